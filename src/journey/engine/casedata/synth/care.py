"""Periods of care in detail: SSDA903 episodes, reviews, visits, short breaks, care leavers.

A period of care from the skeleton becomes back-to-back episodes: a new episode at each
change of placement or legal status (RNE P/L/T/U, the one before ceasing X1), with
placement types and providers drawn by age and route, children's homes with Ofsted URNs
and foster carers with identifiers (for "same carer" stability).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from journey.engine.casedata.synth import _util as u
from journey.engine.casedata.synth.journeys import ADOPTION, CAO, LONG_STAY, RETURN, SGO, Ctx

I64 = np.int64

#: Placement types by age band (<5, 5-10, 11-15, 16-17) and for unaccompanied children.
_PLACE_CODES = ["U1", "U3", "U4", "U5", "U6", "K2", "P1", "R1", "R3", "S1", "K1", "H5"]
_PLACE_WEIGHTS = np.array(
    [
        [0.05, 0.13, 0.20, 0.025, 0.52, 0.005, 0.045, 0.0, 0.025, 0.0, 0.0, 0.0],
        [0.07, 0.10, 0.33, 0.0, 0.38, 0.06, 0.04, 0.01, 0.0, 0.01, 0.0, 0.0],
        [0.05, 0.07, 0.28, 0.0, 0.32, 0.20, 0.03, 0.015, 0.0, 0.02, 0.005, 0.01],
        [0.03, 0.04, 0.18, 0.0, 0.15, 0.18, 0.02, 0.01, 0.0, 0.01, 0.0, 0.38],
        [0.0, 0.0, 0.05, 0.0, 0.30, 0.20, 0.0, 0.0, 0.0, 0.0, 0.0, 0.45],
    ]
)
_PROVIDERS = ["PR0", "PR1", "PR2", "PR3", "PR4", "PR5"]
_PROVIDER_WEIGHTS: dict[str, list[float]] = {
    "U1": [0, 1, 0, 0, 0, 0],
    "U3": [0, 1, 0, 0, 0, 0],
    "U5": [0, 0.9, 0, 0, 0, 0.1],
    "U4": [0, 0.55, 0, 0, 0.40, 0.05],
    "U6": [0, 0.55, 0, 0, 0.40, 0.05],
    "K2": [0, 0.22, 0, 0, 0.72, 0.06],
    "H5": [0, 0.10, 0, 0, 0.60, 0.30],
    "K3": [0, 0.10, 0, 0, 0.60, 0.30],
    "P1": [1, 0, 0, 0, 0, 0],
    "R1": [0, 0, 0, 0.2, 0.6, 0.2],
    "R3": [0, 0, 0, 0.2, 0.6, 0.2],
    "S1": [0, 0, 0, 0.2, 0.6, 0.2],
    "K1": [0, 0.4, 0.6, 0, 0, 0],
    "A3": [0, 0.65, 0.2, 0, 0, 0.15],
    "A4": [0, 0.65, 0.2, 0, 0, 0.15],
    "A5": [0, 0.65, 0.2, 0, 0, 0.15],
    "A6": [0, 0.65, 0.2, 0, 0, 0.15],
}
_HOMES = frozenset({"K2", "K1", "R1", "R3", "S1", "H5", "K3"})
_OFSTED_REGISTERED = frozenset({"K2", "K1", "R1", "R3", "K3"})
_FOSTER = frozenset({"U1", "U3", "U4", "U5", "U6"})
_PLACE_CHANGE = [
    "CARPL",
    "CLOSE",
    "ALLEG",
    "STAND",
    "APPRR",
    "CREQB",
    "CREQO",
    "CHILD",
    "LAREQ",
    "OTHER",
]
_PLACE_CHANGE_W = [0.38, 0.04, 0.02, 0.03, 0.01, 0.16, 0.08, 0.08, 0.12, 0.08]
#: From April 2024 the SSDA903 placement type for supported accommodation is K3, not H5.
K3_FROM = date(2024, 4, 1)


def _band(age_days: np.ndarray) -> np.ndarray:
    return np.digitize(age_days / 365.25, [5, 11, 16]).astype(I64)


def care_episodes(
    ctx: Ctx, care: pl.DataFrame, dob: np.ndarray, uasc: np.ndarray, chunk: int
) -> pl.DataFrame:
    """Episodes for periods of care (columns ``period, child, start, end, route, reason,
    need``); ``dob``/``uasc`` are indexed by child. Returns one row per episode with
    internal child indices and day numbers, censored at the extract date."""
    rng = ctx.rng
    n = care.height
    S = care["start"].to_numpy().astype(I64)
    E = care["end"].to_numpy().astype(I64)
    route = care["route"].to_numpy().astype(I64)
    child = care["child"].to_numpy().astype(I64)
    age0 = S - dob[child]
    young_uasc = uasc[child]
    horizon = np.minimum(E, ctx.as_at_day + 1)

    # --- legal status: how the period starts and changes ------------------------------
    ls0 = u.choose(rng, ["V2", "C1", "L2", "L1", "J1"], [0.38, 0.50, 0.07, 0.03, 0.02], n)
    ls0 = np.where((ls0 == "J1") & (age0 < 12 * 365), "V2", ls0)
    ls0 = np.where(route == ADOPTION, u.choose(rng, ["C1", "L2", "V2"], [0.85, 0.1, 0.05], n), ls0)
    ls0 = np.where(young_uasc, "V2", ls0)
    # Change points: (kind 0 start / 1 legal / 2 placement, period, day, legal status, forced placement type)
    pts: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def legal(mask: np.ndarray, when: np.ndarray, status: np.ndarray | str) -> None:
        st = np.broadcast_to(np.asarray(status, dtype=object), (n,))
        ok = mask & (when > S) & (when < E)
        idx = np.flatnonzero(ok)
        pts.append((1, idx, when[idx], st[idx], np.full(len(idx), None, dtype=object)))

    # Protection orders last days, then an interim care order or accommodation.
    emergency = np.isin(ls0, ["L1", "L2"])
    after_emergency = np.where(rng.random(n) < 0.7, "C1", "V2")
    t_emergency = S + u.uniform_int(rng, 1, 8, n)
    legal(emergency, t_emergency, after_emergency)
    on_ico = (ls0 == "C1") | (emergency & (after_emergency == "C1"))
    # Remands end and the young person stays accommodated.
    legal(ls0 == "J1", S + u.uniform_int(rng, 20, 90, n), "V2")
    # Some section 20 long stays go to court.
    to_court = (ls0 == "V2") & (route == LONG_STAY) & ~young_uasc & (rng.random(n) < 0.35)
    t_court = S + u.uniform_int(rng, 60, 300, n)
    legal(to_court, t_court, "C1")
    on_ico |= to_court
    ico_start = np.where(to_court, t_court, np.where(emergency, t_emergency, S))
    # Adoption: a placement order, then placed for adoption some months before the order.
    adopt = route == ADOPTION
    placed = np.maximum(S + 60, E - u.uniform_int(rng, 150, 330, n))
    order = np.minimum(ico_start + u.uniform_int(rng, 180, 330, n), placed - 1)
    legal(adopt & on_ico, order, "E1")
    consent = adopt & ~on_ico
    # Final care orders for the rest who went to court and stayed.
    final = on_ico & ~adopt & np.isin(route, [LONG_STAY, RETURN, SGO, CAO]) & (rng.random(n) < 0.85)
    legal(final & (route != SGO), ico_start + u.uniform_int(rng, 180, 330, n), "C2")

    # --- placements ---------------------------------------------------------------------
    years = np.maximum(horizon - S, 0) / 365.25
    rate = np.where(age0 < 5 * 365, 0.22, np.where(age0 < 11 * 365, 0.32, 0.7))
    moves = np.minimum(rng.poisson(rate * years), 30)
    owner, _ = u.segments(moves)
    span = np.maximum(horizon - S - 1, 1)
    when = S[owner] + 1 + np.floor(span[owner] * rng.random(len(owner)) ** 1.2).astype(I64)
    pts.append(
        (
            2,
            owner,
            when,
            np.full(len(owner), None, dtype=object),
            np.full(len(owner), None, dtype=object),
        )
    )
    # Early instability: more moves in the first year.
    extra = np.minimum(rng.poisson(0.55, n), 6)
    owner, _ = u.segments(extra)
    first_year = np.maximum(np.minimum(horizon - S - 1, 365), 1)
    when = S[owner] + 1 + np.floor(first_year[owner] * rng.random(len(owner))).astype(I64)
    pts.append(
        (
            2,
            owner,
            when,
            np.full(len(owner), None, dtype=object),
            np.full(len(owner), None, dtype=object),
        )
    )
    # Placed for adoption.
    a_code = np.where(
        consent,
        np.where(rng.random(n) < 0.3, "A3", "A4"),
        np.where(rng.random(n) < 0.2, "A5", "A6"),
    )
    idx = np.flatnonzero(adopt & (placed > S) & (placed < E))
    pts.append(
        (2, idx, placed[idx], np.full(len(idx), None, dtype=object), a_code[idx].astype(object))
    )
    # Home on trial: placed with parents before returning home.
    p1 = (route == RETURN) & (rng.random(n) < 0.25)
    t_p1 = np.maximum(S + 7, E - u.uniform_int(rng, 30, 150, n))
    idx = np.flatnonzero(p1 & (t_p1 > S) & (t_p1 < E))
    pts.append(
        (
            2,
            idx,
            t_p1[idx],
            np.full(len(idx), None, dtype=object),
            np.full(len(idx), "P1", dtype=object),
        )
    )
    # Semi-independent living from 16.
    sixteen = u.add_years(dob[child], 16)
    move16 = (route == LONG_STAY) & (rng.random(n) < 0.45)
    t16 = np.maximum(sixteen, S + 30) + u.uniform_int(rng, 0, 300, n)
    idx = np.flatnonzero(move16 & (t16 > S) & (t16 < E))
    pts.append(
        (
            2,
            idx,
            t16[idx],
            np.full(len(idx), None, dtype=object),
            np.full(len(idx), "H5", dtype=object),
        )
    )

    start_pts = (0, np.arange(n, dtype=I64), S, ls0.astype(object), np.full(n, None, dtype=object))
    frames = [
        pl.DataFrame(
            {
                "period": p.astype(I64),
                "day": d.astype(I64),
                "ls": pl.Series(ls.tolist(), dtype=pl.String),
                "forced": pl.Series(f.tolist(), dtype=pl.String),
                "kind": np.full(len(p), k, dtype=np.int8),
            }
        )
        for k, p, d, ls, f in [start_pts, *pts]
    ]
    pts_df = pl.concat(frames).filter(pl.col("day") <= ctx.as_at_day)
    ep = (
        pts_df.group_by("period", "day")
        .agg(
            start=(pl.col("kind") == 0).any(),
            legal=(pl.col("kind") == 1).any(),
            place=(pl.col("kind") == 2).any(),
            ls=pl.col("ls").drop_nulls().first(),
            forced=pl.col("forced").drop_nulls().first(),
        )
        .sort("period", "day")
        .with_columns(pl.col("ls").forward_fill().over("period"))
    )
    m = ep.height
    period = ep["period"].to_numpy().astype(I64)
    day_ = ep["day"].to_numpy().astype(I64)
    new_place = (ep["start"] | ep["place"]).to_numpy()
    c = child[period]
    age = day_ - dob[c]
    band = np.where(uasc[c] & (age >= 11 * 365), 4, _band(age))
    drawn = u.choose_rows(rng, _PLACE_CODES, _PLACE_WEIGHTS, band)
    forced = ep["forced"].to_numpy()
    is_forced = ep["forced"].is_not_null().to_numpy()
    place = np.where(is_forced, forced, drawn).astype(object)
    # Kinship for special guardianship routes, from the start.
    sgo_kin = (route[period] == SGO) & np.isin(place, ["U4", "U6"]) & (rng.random(m) < 0.7)
    place = np.where(sgo_kin, np.where(rng.random(m) < 0.5, "U3", "U1"), place)
    place = np.where((place == "H5") & (day_ >= u.day(K3_FROM)), "K3", place)
    # Placement attributes only change at a new placement: carry forward otherwise.
    seq = np.cumsum(new_place) - 1
    first_of_place = np.flatnonzero(new_place)
    carried = place[first_of_place][seq]
    # A foster placement can become long-term with the same carer (RNE U).
    prev_place = np.concatenate([[None], carried[:-1]]).astype(object)
    same_period = np.concatenate([[False], period[1:] == period[:-1]])
    same_carer = new_place & same_period & (prev_place == "U6") & (rng.random(m) < 0.3)
    same_carer &= ~is_forced
    place = np.where(same_carer, "U4", place)
    place = place[first_of_place][seq]
    provider = np.empty(m, dtype=object)
    for code, w in _PROVIDER_WEIGHTS.items():
        sel = place == code
        if sel.any():
            provider[sel] = u.choose(rng, _PROVIDERS, w, int(sel.sum()))
    provider = provider[first_of_place][seq]
    homes = max(6, ctx.population // 1500)
    carers = max(20, ctx.population // 250)
    home_no = rng.integers(0, homes, m)
    carer_no = rng.integers(0, carers, m)
    is_home = np.isin(place, list(_HOMES))
    is_foster = np.isin(place, list(_FOSTER))
    is_adopt = np.isin(place, ["A3", "A4", "A5", "A6"])
    urn = np.where(
        np.isin(place, list(_OFSTED_REGISTERED)),
        u.labels("SC", 900000 + chunk * 1000 + home_no, 6),
        u.NULL,
    )
    carer = np.select(
        [is_home, is_foster, is_adopt],
        [
            u.labels("H", chunk * 100000 + home_no),
            u.labels("FC", chunk * 100000 + carer_no),
            u.labels("AD", chunk * 100000 + carer_no),
        ],
        u.NULL,
    )
    # The same carer keeps their identifier through a change of placement type.
    carer_seq = np.cumsum(new_place & ~same_carer) - 1
    carer_first = np.flatnonzero(new_place & ~same_carer)
    carer = carer[carer_first][carer_seq]
    urn = urn[first_of_place][seq]
    is_start = ep["start"].to_numpy()
    legal_change = ep["legal"].to_numpy()
    rne = np.select(
        [is_start, same_carer, new_place & legal_change, new_place],
        ["S", "U", "T", "P"],
        "L",
    )
    change_reason = np.where(
        is_start | (rne == "L"),
        u.NULL,
        np.where(
            same_carer,
            "PLACE",
            np.where(is_forced, "CARPL", u.choose(rng, _PLACE_CHANGE, _PLACE_CHANGE_W, m)),
        ),
    )
    last = np.concatenate([period[1:] != period[:-1], [True]])
    nxt = np.concatenate([day_[1:], [0]])
    end = np.where(last, E[period], nxt)
    ended = end <= ctx.as_at_day
    reason = np.where(last, care["reason"].to_numpy()[period], "X1")
    return pl.DataFrame(
        {
            "period": period,
            "child": c,
            "episode_start": day_,
            "reason_new_episode": pl.Series(rne.tolist(), dtype=pl.String),
            "legal_status": ep["ls"],
            "category_of_need": pl.Series(
                care["need"].to_numpy()[period].tolist(), dtype=pl.String
            ),
            "placement_type": pl.Series(place.tolist(), dtype=pl.String),
            "placement_provider": pl.Series(provider.tolist(), dtype=pl.String),
            "episode_end": np.where(ended, end, u.NO_DAY),
            "reason_ceased": pl.Series(np.where(ended, reason, u.NULL).tolist(), dtype=pl.String),
            "reason_place_change": pl.Series(change_reason.tolist(), dtype=pl.String),
            "placement_urn": pl.Series(urn.tolist(), dtype=pl.String),
            "carer_id": pl.Series(carer.tolist(), dtype=pl.String),
        }
    )


def cla_reviews(ctx: Ctx, care: pl.DataFrame, dob: np.ndarray) -> pl.DataFrame:
    """Statutory reviews: within 20 working days of coming into care, then within 3
    months, then 6-monthly (some late), while the child is looked after."""
    rng = ctx.rng
    S = care["start"].to_numpy().astype(I64)
    E = np.minimum(care["end"].to_numpy().astype(I64), ctx.as_at_day + 1)
    child = care["child"].to_numpy().astype(I64)
    n = len(S)
    prev = S.copy()
    live = np.arange(n)
    owners: list[np.ndarray] = []
    days: list[np.ndarray] = []
    k = 0
    while len(live):
        if k == 0:
            due = u.add_working_days(S[live], 20)
        else:
            due = u.add_months(prev[live], 3 if k == 1 else 6)
        on_time = ctx.chance(ctx.p("cla_review_on_time", due), len(live))
        early = u.uniform_int(rng, 0, 10 if k == 0 else 30, len(live))
        late = 1 + np.minimum(rng.geometric(0.07, len(live)), 80)
        review = np.where(on_time, np.maximum(due - early, prev[live] + 1), due + late)
        ok = review < E[live]
        live = live[ok]
        review = review[ok]
        owners.append(live)
        days.append(review)
        prev[live] = review
        k += 1
    owner = np.concatenate(owners) if owners else np.zeros(0, I64)
    day_ = np.concatenate(days) if days else np.zeros(0, I64)
    keep = day_ >= ctx.out_start
    owner, day_ = owner[keep], day_[keep]
    age = day_ - dob[child[owner]]
    code = u.choose(
        rng, [f"PN{i}" for i in range(1, 8)], [0.5, 0.12, 0.04, 0.06, 0.08, 0.08, 0.12], len(owner)
    )
    code = np.where(age < 4 * 365, "PN0", code)
    return pl.DataFrame(
        {
            "child": child[owner],
            "review_date": day_,
            "participation": pl.Series(code.tolist(), dtype=pl.String),
        }
    ).unique(["child", "review_date"], keep="first", maintain_order=True)


def regular_events(
    ctx: Ctx,
    starts: np.ndarray,
    ends: np.ndarray,
    *,
    first: tuple[int, int],
    on_time: tuple[int, int],
    late: tuple[int, int],
    p_name: str,
    working_days: bool,
    p_offset: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Events repeating while each span lasts (visits, supervisions): the first within
    ``first`` days of the start, then gaps drawn from ``on_time`` or (with the chance
    that ``p_name`` is missed) ``late``. Spans starting long before the output window
    start just before it. Returns (span index, day) pairs inside the window."""
    rng = ctx.rng
    starts = np.asarray(starts, dtype=I64)
    ends = np.minimum(np.asarray(ends, dtype=I64), ctx.as_at_day + 1)
    offset = np.broadcast_to(np.asarray(p_offset, dtype=float), starts.shape)
    lead = ctx.out_start - 90
    cur = np.where(starts < lead, lead + u.uniform_int(rng, 0, late[1], len(starts)), starts)
    gap0 = u.uniform_int(rng, first[0], first[1], len(starts))
    cur = (u.add_working_days(cur, gap0) if working_days else cur + gap0).astype(I64)
    live = np.flatnonzero(cur < ends)
    owners: list[np.ndarray] = []
    days: list[np.ndarray] = []
    cur_live = cur[live]
    while len(live):
        owners.append(live)
        days.append(cur_live)
        m = len(live)
        ok = ctx.chance(np.clip(ctx.p(p_name, cur_live) + offset[live], 0, 1), m)
        gap = np.where(
            ok,
            u.uniform_int(rng, on_time[0], on_time[1], m),
            u.uniform_int(rng, late[0], late[1], m),
        )
        cur_live = u.add_working_days(cur_live, gap) if working_days else cur_live + gap
        keep = cur_live < ends[live]
        live, cur_live = live[keep], cur_live[keep]
    owner = np.concatenate(owners) if owners else np.zeros(0, I64)
    day_ = np.concatenate(days) if days else np.zeros(0, I64)
    keep = day_ >= ctx.out_start
    return owner[keep], day_[keep]


def short_break_episodes(ctx: Ctx, plans: pl.DataFrame, chunk: int) -> pl.DataFrame:
    """Short breaks for disabled children on CIN plans: V4 (an agreed series, one episode a
    year) or V3 (each stay its own episode). Not counted as looked after."""
    rng = ctx.rng
    S = plans["start"].to_numpy().astype(I64)
    E = plans["end"].to_numpy().astype(I64)
    child = plans["child"].to_numpy().astype(I64)
    n = len(S)
    v4 = rng.random(n) < 0.55
    place = u.choose(rng, ["K2", "U6", "R1"], [0.5, 0.35, 0.15], n)
    provider = np.where(
        place == "U6", "PR1", u.choose(rng, ["PR1", "PR4", "PR5"], [0.5, 0.35, 0.15], n)
    )
    home = rng.integers(0, max(2, ctx.population // 20000), n)
    starts, ends, owner_all = [], [], []
    # V4: one episode for each year of the arrangement.
    o, d = regular_events(
        ctx,
        np.where(v4, S, E),
        E,
        first=(20, 60),
        on_time=(365, 365),
        late=(365, 365),
        p_name="cla_visit_on_time",
        working_days=False,
    )
    starts.append(d)
    ends.append(np.minimum(d + 364, E[o]))
    owner_all.append(o)
    # V3: stays of one to three nights every few weeks.
    o, d = regular_events(
        ctx,
        np.where(~v4, S, E),
        E,
        first=(14, 40),
        on_time=(21, 45),
        late=(46, 70),
        p_name="cla_visit_on_time",
        working_days=False,
    )
    starts.append(d)
    ends.append(d + u.uniform_int(rng, 1, 3, len(d)))
    owner_all.append(o)
    o = np.concatenate(owner_all)
    st = np.concatenate(starts)
    en = np.concatenate(ends)
    en = np.minimum(en, E[o])
    keep = (st < en) & (st <= ctx.as_at_day)
    o, st, en = o[keep], st[keep], en[keep]
    ended = en <= ctx.as_at_day
    ls = np.where(v4[o], "V4", "V3")
    urn = np.where(
        place[o] == "U6",
        u.NULL,
        u.labels("SC", 900000 + chunk * 1000 + 900 + home[o], 6),
    )
    return pl.DataFrame(
        {
            "period": np.full(len(o), -1, dtype=I64),
            "child": child[o],
            "episode_start": st,
            "reason_new_episode": pl.Series(["S"] * len(o), dtype=pl.String),
            "legal_status": pl.Series(ls.tolist(), dtype=pl.String),
            "category_of_need": pl.Series(["N2"] * len(o), dtype=pl.String),
            "placement_type": pl.Series(place[o].tolist(), dtype=pl.String),
            "placement_provider": pl.Series(provider[o].tolist(), dtype=pl.String),
            "episode_end": np.where(ended, en, u.NO_DAY),
            "reason_ceased": pl.Series(np.where(ended, "E8", u.NULL).tolist(), dtype=pl.String),
            "reason_place_change": pl.Series([None] * len(o), dtype=pl.String),
            "placement_urn": pl.Series(urn.tolist(), dtype=pl.String),
            "carer_id": pl.Series(
                np.where(
                    place[o] == "U6",
                    u.NULL,
                    u.labels("H", chunk * 100000 + 900 + home[o]),
                )
                .astype(object)
                .tolist(),
                dtype=pl.String,
            ),
        }
    )


def care_leavers(
    ctx: Ctx, care: pl.DataFrame, dob: np.ndarray
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Contacts with young people who left care at 16 or over after at least 13 weeks
    looked after since 14, until their 21st birthday. Returns (contacts, leaving-care
    periods ``child, start, end`` for allocation to the care leavers service)."""
    rng = ctx.rng
    S = care["start"].to_numpy().astype(I64)
    E = care["end"].to_numpy().astype(I64)
    child = care["child"].to_numpy().astype(I64)
    route = care["route"].to_numpy().astype(I64)
    b = dob[child]
    fourteen = u.add_years(b, 14)
    sixteen = u.add_years(b, 16)
    twenty_one = u.add_years(b, 21)
    eligible = (
        np.isin(route, [LONG_STAY, RETURN])
        & (E >= sixteen)
        & (E - np.maximum(S, fourteen) >= 91)
        & (E <= ctx.as_at_day)
        & (twenty_one >= ctx.out_start)
    )
    idx = np.flatnonzero(eligible)
    # One leaving-care period per young person (their last period of care).
    order = np.lexsort((E[idx], child[idx]))
    idx = idx[order]
    lastof = (
        np.concatenate([child[idx][1:] != child[idx][:-1], [True]])
        if len(idx)
        else np.zeros(0, bool)
    )
    idx = idx[lastof]
    leave = E[idx]
    until = twenty_one[idx]
    kid = child[idx]
    staying_put = care["reason"].to_numpy()[idx] == "E17"
    n = len(idx)
    owner, day_ = regular_events(
        ctx,
        leave,
        until,
        first=(5, 40),
        on_time=(30, 62),
        late=(63, 150),
        p_name="cla_visit_on_time",
        working_days=False,
        p_offset=-0.05,
    )
    m = len(owner)
    engaged = rng.beta(14, 0.9, n)[owner]
    eet_p = rng.beta(2.2, 1.8, n)[owner]
    suitable_p = rng.beta(20, 1.0, n)[owner]
    age = day_ - dob[kid[owner]]
    r = rng.random(m)
    in_touch = np.where(
        r < engaged,
        "YES",
        u.choose(rng, ["NO", "REFU", "NREQ", "RHOM"], [0.5, 0.2, 0.2, 0.1], m),
    )
    in_touch = np.where((in_touch == "NREQ") & (age < 18 * 365), "NO", in_touch)
    known = np.isin(in_touch, ["YES", "RHOM"])
    eet = rng.random(m) < eet_p
    activity = np.where(
        eet,
        u.choose(
            rng, ["F2", "F4", "P4", "F1", "F5", "P2", "P1", "P5"], [35, 25, 15, 8, 7, 5, 2, 3], m
        ),
        u.choose(rng, ["G5", "G4", "G6"], [60, 20, 20], m),
    )
    accom = u.choose(
        rng,
        ["D", "E", "U", "B", "T", "K", "C", "S", "V", "W", "X", "Y"],
        [25, 12, 25, 15, 8, 5, 3, 1.5, 1.5, 1, 1, 2],
        m,
    )
    accom = np.where(staying_put[owner] & (rng.random(m) < 0.75) & (age < 21 * 365), "Z", accom)
    accom = np.where(in_touch == "RHOM", "B", accom)
    always_unsuitable = np.isin(accom, ["S", "V", "W", "X"])
    suitable = ~always_unsuitable & (rng.random(m) < suitable_p)
    contacts = pl.DataFrame(
        {
            "child": kid[owner],
            "contact_date": day_,
            "in_touch": pl.Series(in_touch.tolist(), dtype=pl.String),
            "activity": pl.Series(np.where(known, activity, u.NULL).tolist(), dtype=pl.String),
            "accommodation": pl.Series(np.where(known, accom, u.NULL).tolist(), dtype=pl.String),
            "accommodation_suitable": pl.Series(
                np.where(known, suitable, u.NULL).tolist(), dtype=pl.Boolean
            ),
        }
    ).unique(["child", "contact_date"], keep="first", maintain_order=True)
    periods_ = pl.DataFrame({"child": kid, "start": leave, "end": until})
    return contacts, periods_
