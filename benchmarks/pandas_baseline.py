"""Five core measures written the way council performance teams often write them today:
pandas, a Python loop over the months, row-wise ``apply`` for the fiddly parts.

It is the yardstick for the measure library's speed (``bench_measures.py``) and, because
it follows the same documented definitions, a second implementation to check the
library's answers against (``tests/engine/measures/test_pandas_baseline.py``).

Measures (in-month figures, overall only):

* ``cla_count`` — children looked after at the month end, short breaks (V3/V4) excluded;
* ``cp_plans_count`` — children on a child protection plan at the month end;
* ``rereferrals_12m_pct`` — referrals in the month whose child had a referral in the 12
  months before (on or after the same date a year earlier);
* ``assessments_45wd_pct`` — assessments authorised in the month within 45 working days;
* ``cla_3plus_placements_pct`` — children looked after at the month end with 3 or more
  placements (changes of carer, temporary placements excluded) in the 12 months.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from journey.engine.periods import bank_holidays, month_end, month_range

MEASURES = (
    "cla_count",
    "cp_plans_count",
    "rereferrals_12m_pct",
    "assessments_45wd_pct",
    "cla_3plus_placements_pct",
)

SHORT_BREAKS = ("V3", "V4")
TEMPORARY = ("T0", "T1", "T2", "T3", "T4")
NEW_CARER = ("P", "T", "B")


def _ts(d: date) -> pd.Timestamp:
    return pd.Timestamp(d)


def _dates(df: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    df = df.copy()
    for c in cols:
        df[c] = pd.to_datetime(df[c])
    return df


def cla_count(episodes: pd.DataFrame, months: list[str]) -> list[dict]:
    eps = _dates(episodes, ["episode_start", "episode_end"])
    eps = eps[~eps["legal_status"].isin(SHORT_BREAKS)]
    out = []
    for m in months:
        me = _ts(month_end(m))
        open_ = eps[(eps["episode_start"] <= me) & (eps["episode_end"].isna() | (eps["episode_end"] > me))]
        n = open_["child_id"].nunique()
        out.append({"measure_id": "cla_count", "period": m, "value": float(n), "numerator": float(n), "denominator": None})
    return out


def cp_plans_count(plans: pd.DataFrame, months: list[str]) -> list[dict]:
    p = _dates(plans, ["start_date", "end_date"])
    out = []
    for m in months:
        me = _ts(month_end(m))
        open_ = p[(p["start_date"] <= me) & (p["end_date"].isna() | (p["end_date"] > me))]
        n = open_["child_id"].nunique()
        out.append({"measure_id": "cp_plans_count", "period": m, "value": float(n), "numerator": float(n), "denominator": None})
    return out


def _pct(measure: str, month: str, num: int, den: int) -> dict:
    return {
        "measure_id": measure,
        "period": month,
        "value": (100.0 * num / den) if den else None,
        "numerator": float(num),
        "denominator": float(den),
    }


def rereferrals(referrals: pd.DataFrame, months: list[str]) -> list[dict]:
    r = _dates(referrals, ["referral_date"]).sort_values(["child_id", "referral_date", "referral_id"])
    r["previous"] = r.groupby("child_id")["referral_date"].shift(1)

    def is_rereferral(row: pd.Series) -> bool:
        if pd.isna(row["previous"]):
            return False
        return bool(row["previous"] >= row["referral_date"] - pd.DateOffset(months=12))

    out = []
    for m in months:
        start, end = _ts(date.fromisoformat(m + "-01")), _ts(month_end(m))
        in_month = r[(r["referral_date"] >= start) & (r["referral_date"] <= end)]
        flags = in_month.apply(is_rereferral, axis=1) if len(in_month) else pd.Series(dtype=bool)
        out.append(_pct("rereferrals_12m_pct", m, int(flags.sum()), len(in_month)))
    return out


def assessments_45wd(assessments: pd.DataFrame, months: list[str]) -> list[dict]:
    a = _dates(assessments, ["start_date", "authorised_date"])
    a = a[a["authorised_date"].notna()]
    hols = np.array([np.datetime64(h) for h in bank_holidays()], dtype="datetime64[D]")

    def working_days(row: pd.Series) -> int:
        # Days after the start up to and including the authorisation day.
        s = np.datetime64(row["start_date"].date()) + np.timedelta64(1, "D")
        e = np.datetime64(row["authorised_date"].date()) + np.timedelta64(1, "D")
        return int(np.busday_count(s, e, holidays=hols))

    out = []
    for m in months:
        start, end = _ts(date.fromisoformat(m + "-01")), _ts(month_end(m))
        in_month = a[(a["authorised_date"] >= start) & (a["authorised_date"] <= end)]
        days = in_month.apply(working_days, axis=1) if len(in_month) else pd.Series(dtype=int)
        out.append(_pct("assessments_45wd_pct", m, int((days <= 45).sum()), len(in_month)))
    return out


def _placements(episodes: pd.DataFrame) -> pd.DataFrame:
    """Periods of care and placements, episode by episode, as a loop over children."""
    eps = _dates(episodes, ["episode_start", "episode_end"])
    eps = eps[~eps["legal_status"].isin(SHORT_BREAKS)]
    eps = eps.sort_values(["child_id", "episode_start", "episode_end"], na_position="last")
    far = pd.Timestamp("2262-01-01")
    rows = []
    for child, group in eps.groupby("child_id", sort=False):
        running_end = None
        placement = None
        prev_type = prev_carer = None
        for ep in group.itertuples(index=False):
            end = ep.episode_end if not pd.isna(ep.episode_end) else far
            new_period = running_end is None or ep.episode_start > running_end
            carer = ep.carer_id if isinstance(ep.carer_id, str) else None
            same_carer = carer is not None and carer == prev_carer
            carer_changed = carer is not None and prev_carer is not None and carer != prev_carer
            rne = ep.reason_new_episode if isinstance(ep.reason_new_episode, str) else None
            if new_period:
                new_placement = True
            elif rne is not None:
                new_placement = rne in NEW_CARER and not same_carer
            else:
                new_placement = ep.placement_type != prev_type or carer_changed
            if new_placement:
                placement = {"child_id": child, "start": ep.episode_start, "end": end, "type": ep.placement_type}
                rows.append(placement)
            else:
                placement["end"] = max(placement["end"], end)
            running_end = end if running_end is None else max(running_end, end)
            prev_type, prev_carer = ep.placement_type, carer
    return pd.DataFrame(rows, columns=["child_id", "start", "end", "type"])


def three_plus_placements(episodes: pd.DataFrame, months: list[str]) -> list[dict]:
    eps = _dates(episodes, ["episode_start", "episode_end"])
    eps = eps[~eps["legal_status"].isin(SHORT_BREAKS)]
    placements = _placements(episodes)
    placements = placements[~placements["type"].isin(TEMPORARY)]
    by_child = {c: g for c, g in placements.groupby("child_id")}
    out = []
    for m in months:
        me = _ts(month_end(m))
        window_start = me - pd.DateOffset(years=1) + pd.Timedelta(days=1)
        open_ = eps[(eps["episode_start"] <= me) & (eps["episode_end"].isna() | (eps["episode_end"] > me))]
        children = open_["child_id"].unique()

        def count(child: str, me: pd.Timestamp = me, window_start: pd.Timestamp = window_start) -> int:
            g = by_child.get(child)
            if g is None:
                return 0
            return int(((g["start"] <= me) & (g["end"] >= window_start)).sum())

        counts = pd.Series(children).apply(count) if len(children) else pd.Series(dtype=int)
        out.append(_pct("cla_3plus_placements_pct", m, int((counts >= 3).sum()), len(children)))
    return out


def compute(tables: dict[str, pd.DataFrame], first_month: str, last_month: str) -> pd.DataFrame:
    """The five measures for each month, as the library's overall in-month figures."""
    months = month_range(first_month, last_month)
    rows = (
        cla_count(tables["cla_episodes"], months)
        + cp_plans_count(tables["cp_plans"], months)
        + rereferrals(tables["referrals"], months)
        + assessments_45wd(tables["assessments"], months)
        + three_plus_placements(tables["cla_episodes"], months)
    )
    return pd.DataFrame(rows, columns=["measure_id", "period", "value", "numerator", "denominator"])
