"""The social work workforce: teams by service, posts filled by permanent and agency
workers who start and leave, case allocations, supervisions and case-file audits."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from journey.engine.casedata.synth import _util as u
from journey.engine.casedata.synth.journeys import Ctx

I64 = np.int64

SERVICES = ("assessment", "cin_cp", "children_in_care", "disability", "care_leavers")
_TEAM_TITLE = {
    "assessment": "Assessment",
    "cin_cp": "Safeguarding",
    "children_in_care": "Children in Care",
    "disability": "Disabled Children",
    "care_leavers": "Leaving Care",
}
#: Average stays in post, in days (lognormal with sigma 0.8: the median is the mean / 1.37).
AGENCY_STAY = 330
PERMANENT_STAY = 1800
LOCALITIES = (
    "North",
    "South",
    "East",
    "West",
    "Central",
    "Coast",
    "Valley",
    "Riverside",
    "Forest",
    "Vale",
)


def locality_name(chunk: int, chunks: int) -> str | None:
    if chunks <= 1:
        return None
    if chunk < len(LOCALITIES):
        return LOCALITIES[chunk]
    return f"Area {chunk + 1}"


def team_names(service: str, n: int, locality: str | None) -> list[str]:
    base = _TEAM_TITLE[service] if locality is None else f"{locality} {_TEAM_TITLE[service]}"
    if n == 1:
        return [base]
    return [f"{base} {i + 1}" for i in range(n)]


def workers(ctx: Ctx, loads: dict[str, float], locality: str | None, chunk: int) -> pl.DataFrame:
    """Posts in teams sized for the average caseload, each filled by a chain of workers.

    Returns one row per worker per post-role (an ASYE becomes a social worker after a
    year: two rows, same worker): ``worker, team, service, role, employment, fte, start,
    end`` (``end`` is ``NO_DAY`` while in post)."""
    rng, prof = ctx.rng, ctx.profile
    post_team: list[str] = []
    post_service: list[str] = []
    post_role: list[str] = []
    for service in SERVICES:
        cases = loads.get(service, 0.0)
        holders = max(1, math.ceil(cases / prof.caseload(service)))
        teams = max(1, math.ceil(holders / prof.case_holders_per_team))
        names = team_names(service, teams, locality)
        for i, name in enumerate(names):
            size = holders // teams + (1 if i < holders % teams else 0)
            post_team += [name] * (size + 1)
            post_service += [service] * (size + 1)
            post_role += ["TM"] + ["SW"] * size
    posts = len(post_team)
    team_a = np.array(post_team, dtype=object)
    service_a = np.array(post_service, dtype=object)
    role_a = np.array(post_role, dtype=object)
    senior = (role_a == "SW") & (rng.random(posts) < 0.12)
    role_a = np.where(senior, "SSW", role_a)
    # Chains of incumbents: the first started well before the output window.
    start = ctx.out_start - 730 - u.uniform_int(rng, 0, 6 * 365, posts)
    cur_post = np.arange(posts, dtype=I64)
    rows: dict[str, list[np.ndarray]] = {
        k: [] for k in ("post", "start", "end", "employment", "asye")
    }
    first = np.ones(posts, dtype=bool)
    for _k in range(60):
        if len(cur_post) == 0:
            break
        m = len(cur_post)
        # Agency workers stay months, permanent ones years: the share of starters who are
        # agency is what gives the profile's share of workers in post.
        stock = ctx.p("agency_share", start)
        starters = stock * PERMANENT_STAY / (stock * PERMANENT_STAY + (1 - stock) * AGENCY_STAY)
        agency = ctx.chance(starters, m) & (role_a[cur_post] != "TM")
        tenure = np.where(
            agency,
            u.lognormal_days(rng, AGENCY_STAY / 1.37, 0.8, m),
            u.lognormal_days(rng, PERMANENT_STAY / 1.37, 0.8, m),
        )
        end = start + tenure
        asye = ~agency & ~first & (role_a[cur_post] == "SW") & (rng.random(m) < 0.3)
        rows["post"].append(cur_post)
        rows["start"].append(start)
        rows["end"].append(end)
        rows["employment"].append(
            np.where(agency, "agency", np.where(rng.random(m) < 0.04, "fixed_term", "permanent"))
        )
        rows["asye"].append(asye)
        vacancy = np.where(
            rng.random(m) < 0.5, u.uniform_int(rng, 0, 20, m), u.uniform_int(rng, 21, 150, m)
        )
        nxt = end + vacancy
        go = nxt <= ctx.as_at_day
        cur_post, start = cur_post[go], nxt[go]
        first = np.zeros(len(cur_post), dtype=bool)
    post = np.concatenate(rows["post"])
    st = np.concatenate(rows["start"])
    en = np.concatenate(rows["end"])
    emp = np.concatenate(rows["employment"])
    asye = np.concatenate(rows["asye"])
    keep = (en >= ctx.out_start - 400) & (st <= ctx.as_at_day)
    post, st, en, emp, asye = post[keep], st[keep], en[keep], emp[keep], asye[keep]
    person = np.arange(len(post), dtype=I64)
    fte = u.choose(rng, ["1.0", "0.8", "0.6", "0.5"], [0.8, 0.1, 0.06, 0.04], len(post)).astype(
        float
    )
    fte = np.where(emp == "agency", 1.0, fte)
    # Newly qualified workers: a year as ASYE, then a social worker (second row).
    year_on = u.add_years(st, 1)
    split = asye & (en > year_on)
    role = np.where(asye, "ASYE", role_a[post])
    base = pl.DataFrame(
        {
            "person": person,
            "post": post,
            "role": pl.Series(role.tolist(), dtype=pl.String),
            "employment": pl.Series(emp.tolist(), dtype=pl.String),
            "fte": fte,
            "start": st,
            "end": np.where(split, year_on, en),
        }
    )
    later = pl.DataFrame(
        {
            "person": person[split],
            "post": post[split],
            "role": pl.Series(["SW"] * int(split.sum()), dtype=pl.String),
            "employment": pl.Series(emp[split].tolist(), dtype=pl.String),
            "fte": fte[split],
            "start": year_on[split],
            "end": en[split],
        }
    )
    out = pl.concat([base, later]).sort("person", "start")
    p = out["post"].to_numpy()
    return out.with_columns(
        team=pl.Series(team_a[p].tolist(), dtype=pl.String),
        service=pl.Series(service_a[p].tolist(), dtype=pl.String),
        worker=u.ids(f"W{chunk:03d}", out["person"].to_numpy(), width=5),
    )


def allocate(
    ctx: Ctx, cases: pl.DataFrame, staff: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Allocate case periods (``case, child, service, start, end``) to teams and workers.

    Each case goes to a team of its service and to a case-holding worker in post there;
    some wait for a worker (unallocated), and when a worker leaves the case is
    reallocated after a gap. Returns (cases with ``team``, allocations ``case, child,
    worker, team, start, end``)."""
    rng = ctx.rng
    n = cases.height
    service = cases["service"].to_numpy()
    names = staff["team"].unique(maintain_order=True).to_list()
    code_of = {name: i for i, name in enumerate(names)}
    team_idx = np.full(n, -1, dtype=I64)
    for s in SERVICES:
        codes_ = np.array(
            [
                code_of[t]
                for t in staff.filter(pl.col("service") == s)["team"].unique(maintain_order=True)
            ],
            dtype=I64,
        )
        sel = np.flatnonzero(service == s)
        if len(sel) and len(codes_):
            team_idx[sel] = codes_[rng.integers(0, len(codes_), len(sel))]
    team = np.asarray(names + [None], dtype=object)[team_idx]
    c_start = np.maximum(cases["start"].to_numpy().astype(I64), ctx.out_start - 200)
    c_end = cases["end"].to_numpy().astype(I64)
    holders = staff.filter(pl.col("role") != "TM").with_columns(
        code=pl.col("team").replace_strict(code_of, return_dtype=pl.Int64)
    )
    by_team = {int(k[0]): v for k, v in holders.partition_by("code", as_dict=True).items()}
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("case", "worker", "start", "end")}
    delayed = ctx.chance(ctx.p("unallocated_delay", c_start), n)
    begin = np.where(delayed, c_start + u.uniform_int(rng, 4, 35, n), c_start)
    order = np.argsort(team_idx, kind="stable")
    sorted_idx = team_idx[order]
    for code in range(len(names)):
        lo, hi = np.searchsorted(sorted_idx, [code, code + 1])
        sel = order[lo:hi]
        h = by_team.get(code)
        if h is None or len(sel) == 0:
            continue
        w_start = h["start"].to_numpy().astype(I64)
        w_end = h["end"].to_numpy().astype(I64)
        w_id = h["worker"].to_numpy()
        weight = np.where(h["role"].to_numpy() == "ASYE", 0.9, 1.0) * h["fte"].to_numpy()
        cdf = np.cumsum(weight) / weight.sum()
        live = sel[begin[sel] < c_end[sel]]
        t = begin[live]
        for _hop in range(12):
            if len(live) == 0:
                break
            pick = np.full(len(live), -1, dtype=I64)
            for _try in range(16):
                todo = np.flatnonzero(pick < 0)
                if len(todo) == 0:
                    break
                cand = np.minimum(np.searchsorted(cdf, rng.random(len(todo))), len(cdf) - 1)
                ok = (w_start[cand] <= t[todo]) & (w_end[cand] > t[todo])
                pick[todo[ok]] = cand[ok]
            got = pick >= 0
            a_end = np.where(got, np.minimum(c_end[live], w_end[np.maximum(pick, 0)]), c_end[live])
            out["case"].append(live[got])
            out["worker"].append(w_id[pick[got]])
            out["start"].append(t[got])
            out["end"].append(a_end[got])
            # A worker who leaves mid-case: reallocated after a gap; nobody in post: retry later.
            nxt = np.where(
                got,
                a_end + u.uniform_int(rng, 0, 21, len(live)),
                t + u.uniform_int(rng, 7, 30, len(live)),
            )
            go = nxt < c_end[live]
            live, t = live[go], nxt[go]
    case = np.concatenate(out["case"]) if out["case"] else np.zeros(0, I64)
    alloc = pl.DataFrame(
        {
            "case": case,
            "child": cases["child"].to_numpy()[case],
            "worker": pl.Series(
                np.concatenate(out["worker"]).tolist() if out["worker"] else [], dtype=pl.String
            ),
            "team": pl.Series(team[case].tolist(), dtype=pl.String),
            "start": np.concatenate(out["start"]) if out["start"] else np.zeros(0, I64),
            "end": np.concatenate(out["end"]) if out["end"] else np.zeros(0, I64),
        }
    ).filter((pl.col("end") >= ctx.out_start) & (pl.col("start") <= ctx.as_at_day))
    return cases.with_columns(team=pl.Series(team.tolist(), dtype=pl.String)), alloc


def supervisions(ctx: Ctx, staff: pl.DataFrame) -> pl.DataFrame:
    """Monthly-ish supervision of each worker while in post (some late, varying by service)."""
    from journey.engine.casedata.synth.care import regular_events

    people = staff.group_by("person", maintain_order=True).agg(
        pl.col("worker").first(),
        pl.col("team").first(),
        pl.col("service").first(),
        pl.col("start").min(),
        pl.col("end").max(),
    )
    offset = np.array([ctx.profile.supervision_offset(s) for s in people["service"].to_list()])
    owner, day_ = regular_events(
        ctx,
        people["start"].to_numpy(),
        people["end"].to_numpy(),
        first=(7, 30),
        on_time=(18, 31),
        late=(32, 75),
        p_name="supervision_on_time",
        working_days=False,
        p_offset=offset,
    )
    return pl.DataFrame(
        {
            "worker": people["worker"].to_numpy()[owner].tolist(),
            "day": day_,
            "team": people["team"].to_numpy()[owner].tolist(),
        },
        schema={"worker": pl.String, "day": pl.Int64, "team": pl.String},
    ).unique(["worker", "day"], keep="first", maintain_order=True)


def audits(ctx: Ctx, alloc: pl.DataFrame) -> pl.DataFrame:
    """Case-file audits each month of children with an allocated case, graded."""
    rng = ctx.rng
    months = u.month_starts(u.to_date(ctx.out_start), ctx.as_at)
    a_start = alloc["start"].to_numpy()
    a_end = alloc["end"].to_numpy()
    rows: dict[str, list[np.ndarray]] = {"alloc": [], "day": []}
    for m0 in months.tolist():
        mid = np.array([m0 + 14])
        n = rng.poisson(float(ctx.p("audits_per_10k_month", mid)[0]) * ctx.population / 10_000)
        days = m0 + rng.integers(0, 28, n)
        days = days[days <= ctx.as_at_day]
        if len(days) == 0:
            continue
        open_ = np.flatnonzero((a_start <= m0 + 14) & (a_end > m0 + 14))
        if len(open_) == 0:
            continue
        pick = open_[rng.integers(0, len(open_), len(days))]
        rows["alloc"].append(pick)
        rows["day"].append(days)
    pick = np.concatenate(rows["alloc"]) if rows["alloc"] else np.zeros(0, I64)
    day_ = np.concatenate(rows["day"]) if rows["day"] else np.zeros(0, I64)
    good = ctx.p("audit_good", day_)
    bad = ctx.p("audit_inadequate", day_)
    r = rng.random(len(day_))
    grade = np.where(
        r < good * 0.12,
        "outstanding",
        np.where(r < good, "good", np.where(r < 1 - bad, "requires_improvement", "inadequate")),
    )
    return pl.DataFrame(
        {
            "child": alloc["child"].to_numpy()[pick],
            "day": day_,
            "team": alloc["team"].to_numpy()[pick].tolist(),
            "worker": alloc["worker"].to_numpy()[pick].tolist(),
            "grade": grade.tolist(),
        },
        schema={
            "child": pl.Int64,
            "day": pl.Int64,
            "team": pl.String,
            "worker": pl.String,
            "grade": pl.String,
        },
    ).sort("day")
