"""One chunk of a synthetic council: its children's journeys written as canonical tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import polars as pl

from journey.engine.casedata import schema
from journey.engine.casedata.synth import _util as u
from journey.engine.casedata.synth import care as care_mod
from journey.engine.casedata.synth import ssd_facts
from journey.engine.casedata.synth import workforce as wf
from journey.engine.casedata.synth.journeys import Ctx, simulate
from journey.engine.casedata.synth.profile import SynthProfile

I64 = np.int64

_SOURCES = [
    "6",
    "2A",
    "3A",
    "3B",
    "3E",
    "3F",
    "5A",
    "5B",
    "5C",
    "5D",
    "1A",
    "1C",
    "1D",
    "4",
    "7",
    "8",
    "9",
    "10",
    "2B",
    "3D",
]
_SOURCE_W = [28, 17, 2, 4, 3, 5, 5, 3, 2, 3, 6, 1.5, 1, 3, 2, 7, 1, 2, 2, 3.5]
_NEEDS = ["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9", "N0"]
_NEED_W = [55, 4, 3, 15, 12, 2, 0.5, 3, 4, 1.5]
_ETHNIC = [
    "WBRI",
    "WIRI",
    "WIRT",
    "WOTH",
    "WROM",
    "MWBC",
    "MWBA",
    "MWAS",
    "MOTH",
    "AIND",
    "APKN",
    "ABAN",
    "AOTH",
    "BCRB",
    "BAFR",
    "BOTH",
    "CHNE",
    "OOTH",
    "REFU",
    "NOBT",
]
_ETHNIC_W = [74, 0.4, 0.2, 4, 0.5, 3, 1, 1, 2, 1, 3, 1, 1, 1, 2, 0.5, 0.3, 1.5, 0.5, 1.6]
_UASC_ETHNIC = ["BAFR", "AOTH", "OOTH", "BOTH", "WOTH"]
_UASC_ETHNIC_W = [35, 30, 25, 5, 5]
_EH_ORGS = ["Family Hub", "School", "Health Visiting", "Youth Service", "Voluntary sector partner"]
_EH_ORG_W = [45, 25, 15, 8, 7]
_UPN_LETTERS = np.array(list("ABCDEFGHJKLMNPQRTUVWXYZ"), dtype=object)

CHUNK_STRIDE = 10_000_000

#: What a chunk's generation reports as it goes.
STAGES = (
    "children's journeys",
    "teams and allocations",
    "plans and care episodes",
    "visits",
    "front door and workforce",
    "tables",
)


def _ids(prefix: str, chunk: int, n: int) -> pl.Series:
    return u.ids(prefix, chunk * CHUNK_STRIDE + 1 + np.arange(n, dtype=I64))


def _overlaps(df: pl.DataFrame, start: str, end: str, ctx: Ctx) -> pl.DataFrame:
    return df.filter((pl.col(start) <= ctx.as_at_day) & (pl.col(end) >= ctx.out_start))


def _censor(col: str, ctx: Ctx) -> pl.Expr:
    """A day after the extract date is not known yet."""
    return (
        pl.when(pl.col(col) <= ctx.as_at_day).then(pl.col(col)).otherwise(int(u.NO_DAY)).alias(col)
    )


def _to_dates(df: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
    return df.with_columns(
        [
            pl.when(pl.col(c) == u.NO_DAY)
            .then(None)
            .otherwise(pl.col(c))
            .cast(pl.Int32)
            .cast(pl.Date)
            .alias(c)
            for c in cols
        ]
    )


def _frame(name: str, df: pl.DataFrame) -> pl.DataFrame:
    """Select the table's columns in schema order with schema types."""
    t = schema.table(name)
    return df.select([pl.col(c.name).cast(c.dtype) for c in t.columns])


def _upns(rng: np.random.Generator, n: int) -> np.ndarray:
    """Syntactically valid, invented unique pupil numbers (check letter + 12 digits,
    LA code 999 which no council uses)."""
    digits = rng.integers(0, 10, size=(n, 12))
    digits[:, 0:3] = 9
    check = (digits * np.arange(2, 14)).sum(axis=1) % 23
    number = (digits * 10 ** np.arange(11, -1, -1, dtype=I64)).sum(axis=1)
    text = pl.Series(number).cast(pl.String).str.zfill(12)
    letters = pl.Series(_UPN_LETTERS[check].tolist(), dtype=pl.String)
    return (letters + text).to_numpy()


def generate_chunk(
    profile: SynthProfile,
    population: int,
    first: date,
    as_at: date,
    seed: int,
    chunk: int = 0,
    chunks: int = 1,
    on_stage: Callable[[str], None] | None = None,
) -> dict[str, pl.DataFrame]:
    """The canonical tables (all but ``population``) for one chunk of ``population``
    children. Deterministic from (``seed``, ``chunk``). ``on_stage`` is called with the
    name of each of :data:`STAGES` as it completes."""

    def stage(name: str) -> None:
        if on_stage is not None:
            on_stage(name)

    rng = np.random.default_rng(np.random.SeedSequence([seed, chunk]))
    ctx = Ctx(rng, profile, population, first, as_at)
    sk = simulate(ctx)
    stage(STAGES[0])
    kids = sk.children
    dob = kids.dob
    n_ep = len(sk.episodes["episode"])

    # --- episodes (referrals) ---------------------------------------------------------
    need = u.choose(rng, _NEEDS, _NEED_W, n_ep)
    ep_child = sk.episodes["child"]
    need = np.where(kids.disabled[ep_child] & (rng.random(n_ep) < 0.5), "N2", need)
    need = np.where(kids.short_breaks[ep_child], "N2", need)
    need = np.where(kids.uasc[ep_child], "N8", need)
    source = u.choose(rng, _SOURCES, _SOURCE_W, n_ep)
    episodes = pl.DataFrame(
        {
            "episode": sk.episodes["episode"],
            "child": ep_child,
            "referral": sk.episodes["referral"],
            "closure": sk.episodes["closure"],
            "reason": pl.Series(sk.episodes["reason"].tolist(), dtype=pl.String),
            "nfa": sk.episodes["nfa"],
            "need": pl.Series(need.tolist(), dtype=pl.String),
            "source": pl.Series(source.tolist(), dtype=pl.String),
        }
    )
    need_of_episode = episodes.select("episode", "need")
    kept_eps = _overlaps(episodes, "referral", "closure", ctx).sort("referral", "episode")
    kept_eps = kept_eps.with_columns(referral_id=_ids("R", chunk, kept_eps.height))
    ref_ids = kept_eps.select("episode", "referral_id")

    # --- case periods, teams and workers ------------------------------------------------
    ph = pl.DataFrame(
        {
            "episode": sk.phases["episode"],
            "child": sk.phases["child"],
            "service": pl.Series(sk.phases["service"].tolist(), dtype=pl.String),
            "start": sk.phases["start"],
            "end": sk.phases["end"],
        }
    )
    dis_child = kids.disabled[sk.phases["child"]]
    ph = ph.with_columns(
        service=pl.when((pl.col("service") == "cin_cp") & pl.Series(dis_child))
        .then(pl.lit("disability"))
        .otherwise(pl.col("service"))
    )
    ph = ph.sort("episode", "start")
    ph = ph.with_columns(
        new=(pl.col("service") != pl.col("service").shift(1))
        | (pl.col("episode") != pl.col("episode").shift(1))
    ).with_columns(group=pl.col("new").fill_null(True).cum_sum())
    cases = (
        ph.group_by("group", maintain_order=True)
        .agg(
            pl.col("episode").first(),
            pl.col("child").first(),
            pl.col("service").first(),
            pl.col("start").min(),
            pl.col("end").max(),
        )
        .join(episodes.select("episode", "closure"), on="episode", how="left")
        .with_columns(last=pl.col("episode") != pl.col("episode").shift(-1).fill_null(-1))
        .with_columns(
            end=pl.when(pl.col("last"))
            .then(pl.max_horizontal("end", "closure"))
            .otherwise(pl.col("end"))
        )
        .drop("closure", "last", "group")
    )
    cases = _overlaps(cases, "start", "end", ctx)
    care_all = (
        pl.DataFrame(
            {
                "episode": sk.care["episode"],
                "child": sk.care["child"],
                "start": sk.care["start"],
                "end": sk.care["end"],
                "route": sk.care["route"],
                "reason": pl.Series(sk.care["reason"].tolist(), dtype=pl.String),
            }
        )
        .join(need_of_episode, on="episode", how="left")
        .with_columns(
            need=pl.when(pl.col("need").is_in(["N0", "N9"]))
            .then(pl.lit("N1"))
            .otherwise(pl.col("need"))
        )
    )
    leaver_contacts, leaving = care_mod.care_leavers(ctx, care_all, dob)
    leaving = leaving.with_columns(
        episode=pl.lit(-1, dtype=pl.Int64), service=pl.lit("care_leavers")
    )
    cases = pl.concat([cases, _overlaps(leaving, "start", "end", ctx).select(cases.columns)])
    cases = cases.with_row_index("case").with_columns(pl.col("case").cast(pl.Int64))
    loads = _average_open(cases, ctx)
    staff = wf.workers(ctx, loads, wf.locality_name(chunk, chunks), chunk)
    cases, alloc = wf.allocate(ctx, cases, staff)

    def team_of(df: pl.DataFrame, day_col: str) -> pl.DataFrame:
        """Join the team of the case (same episode) in which each row's day falls."""
        c = (
            cases.filter(pl.col("episode") >= 0)
            .select("episode", pl.col("start").alias("_cs"), "team")
            .sort("_cs")
        )
        return (
            df.with_columns(pl.col(day_col).alias("_d"))
            .sort("_d")
            .join_asof(
                c,
                left_on="_d",
                right_on="_cs",
                by="episode",
                strategy="backward",
                check_sortedness=False,
            )
            .drop("_d", "_cs")
        )

    alloc_sorted = alloc.select(
        "child", pl.col("start").alias("_as"), pl.col("end").alias("_ae"), "worker"
    ).sort("_as")

    def worker_of(df: pl.DataFrame, day_col: str) -> pl.DataFrame:
        return (
            df.with_columns(pl.col(day_col).alias("_d"))
            .sort("_d")
            .join_asof(
                alloc_sorted,
                left_on="_d",
                right_on="_as",
                by="child",
                strategy="backward",
                check_sortedness=False,
            )
            .with_columns(worker=pl.when(pl.col("_ae") >= pl.col("_d")).then(pl.col("worker")))
            .drop("_d", "_as", "_ae")
        )

    out: dict[str, pl.DataFrame] = {}

    stage(STAGES[1])

    # --- referrals --------------------------------------------------------------------
    refs = kept_eps.with_columns(_censor("closure", ctx))
    refs = worker_of(team_of(refs, "referral"), "referral").sort("referral_id")
    refs = refs.with_columns(reason=pl.when(pl.col("closure") != u.NO_DAY).then(pl.col("reason")))
    out["referrals"] = refs.rename(
        {
            "referral": "referral_date",
            "need": "primary_need",
            "closure": "closure_date",
            "reason": "closure_reason",
            "worker": "worker_id",
        }
    )

    # --- assessments, section 47s, conferences ---------------------------------------
    a = pl.DataFrame(sk.assessments).with_columns(
        outcome=pl.Series(sk.assessments["outcome"].tolist(), dtype=pl.String)
    )
    a = (
        _overlaps(a, "start", "authorised", ctx)
        .join(ref_ids, on="episode", how="inner")
        .sort("start", "episode")
    )
    a = a.with_columns(assessment_id=_ids("A", chunk, a.height))
    a = a.with_columns(_censor("authorised", ctx))
    a = a.with_columns(outcome=pl.when(pl.col("authorised") != u.NO_DAY).then(pl.col("outcome")))
    a = worker_of(team_of(a, "start"), "start").sort("assessment_id")
    out["assessments"] = a.rename(
        {
            "start": "start_date",
            "authorised": "authorised_date",
            "seen": "child_seen",
            "worker": "worker_id",
        }
    )

    s = pl.DataFrame(sk.section47)
    s = s.with_columns(last=pl.max_horizontal("end", "conference"))
    s = (
        _overlaps(s, "start", "last", ctx)
        .join(ref_ids, on="episode", how="inner")
        .sort("strategy", "episode")
    )
    s = s.with_columns(s47_id=_ids("S", chunk, s.height))
    icpc = s.filter(
        pl.col("icpc")
        & (pl.col("conference") <= ctx.as_at_day)
        & (pl.col("conference") >= ctx.out_start)
    )
    icpc = icpc.with_columns(icpc_id=_ids("I", chunk, icpc.height))
    s = s.with_columns(
        icpc=pl.when(
            (pl.col("end") <= ctx.as_at_day) | (pl.col("conference") <= ctx.as_at_day)
        ).then(pl.col("icpc"))
    ).with_columns(_censor("end", ctx))
    s = worker_of(team_of(s, "strategy"), "strategy").sort("s47_id")
    out["section47"] = s.rename(
        {
            "strategy": "strategy_discussion_date",
            "start": "start_date",
            "end": "end_date",
            "icpc": "icpc_required",
            "worker": "worker_id",
        }
    )
    out["icpcs"] = icpc.rename({"conference": "conference_date", "plan": "plan_made"})

    # --- plans ------------------------------------------------------------------------
    cp = pl.DataFrame(sk.cp_plans).with_columns(
        initial=pl.Series(sk.cp_plans["initial"].tolist(), dtype=pl.String),
        latest=pl.Series(sk.cp_plans["latest"].tolist(), dtype=pl.String),
    )
    cp = cp.sort("child", "start").with_columns(
        previous_plans=pl.int_range(pl.len()).over("child").cast(pl.Int64)
    )
    cp = _overlaps(cp, "start", "end", ctx).sort("start", "plan")
    cp = cp.with_columns(cp_plan_id=_ids("CP", chunk, cp.height)).with_columns(_censor("end", ctx))
    cp = team_of(cp, "start").sort("cp_plan_id")
    out["cp_plans"] = cp.rename(
        {
            "start": "start_date",
            "end": "end_date",
            "initial": "initial_category",
            "latest": "latest_category",
        }
    )
    rv = pl.DataFrame(sk.cp_reviews).join(
        cp.select("plan", "child", "cp_plan_id"), on="plan", how="inner"
    )
    rv = rv.join(
        pl.DataFrame({"plan": sk.cp_plans["plan"], "_end": sk.cp_plans["end"]}),
        on="plan",
        how="left",
    )
    rv = rv.filter(
        (pl.col("review") >= ctx.out_start)
        & (pl.col("review") <= ctx.as_at_day)
        & (pl.col("review") <= pl.col("_end"))
    ).sort("cp_plan_id", "review")
    out["cp_reviews"] = rv.rename({"review": "review_date"}).unique(
        ["cp_plan_id", "review_date"], maintain_order=True
    )

    cin = pl.DataFrame(sk.cin_plans)
    cin = _overlaps(cin, "start", "end", ctx).sort("start", "episode")
    cin = cin.with_columns(
        cin_plan_id=_ids("CIN", chunk, cin.height), _end_raw=pl.col("end")
    ).with_columns(_censor("end", ctx))
    cin = team_of(cin, "start").sort("cin_plan_id")
    out["cin_plans"] = cin.rename({"start": "start_date", "end": "end_date"})

    # --- looked after -----------------------------------------------------------------
    care_kept = _overlaps(care_all, "start", "end", ctx).sort("start", "episode")
    care_kept = care_kept.with_row_index("period").with_columns(pl.col("period").cast(pl.Int64))
    eps = care_mod.care_episodes(ctx, care_kept, dob, kids.uasc, chunk)
    eps = eps.join(care_kept.select("period", "episode"), on="period", how="left")
    eps = team_of(eps, "episode_start")
    sb_plans = cin.filter(pl.Series(kids.short_breaks[cin["child"].to_numpy()]))
    sb_plans = sb_plans.with_columns(end=pl.col("_end_raw"))
    sb = care_mod.short_break_episodes(ctx, sb_plans, chunk)
    sb = sb.with_columns(episode=pl.lit(-1, dtype=pl.Int64), team=pl.lit(None, dtype=pl.String))
    sb_team = cases.filter(pl.col("service") == "disability")["team"].head(1).to_list()
    if sb_team:
        sb = sb.with_columns(team=pl.lit(sb_team[0]))
    eps = pl.concat([eps, sb.select(eps.columns)]).filter(
        (pl.col("episode_end") >= ctx.out_start) | (pl.col("episode_end") == u.NO_DAY)
    )
    out["cla_episodes"] = eps.sort("child", "episode_start")
    out["cla_reviews"] = care_mod.cla_reviews(ctx, care_kept, dob).sort("child", "review_date")
    out["care_leavers"] = leaver_contacts.sort("child", "contact_date")

    stage(STAGES[2])

    # --- visits -----------------------------------------------------------------------
    vis = []
    o, d = care_mod.regular_events(
        ctx,
        cp["start"].to_numpy(),
        np.where(cp["end"].to_numpy() == u.NO_DAY, ctx.as_at_day + 1, cp["end"].to_numpy()),
        first=(1, 10),
        on_time=(6, 10),
        late=(11, 22),
        p_name="cp_visit_on_time",
        working_days=True,
    )
    vis.append(
        pl.DataFrame(
            {"child": cp["child"].to_numpy()[o], "day": d, "visit_type": ["CP"] * len(o)},
            schema={"child": pl.Int64, "day": pl.Int64, "visit_type": pl.String},
        )
    )
    cin_end = cin["_end_raw"].to_numpy()
    o, d = care_mod.regular_events(
        ctx,
        cin["start"].to_numpy(),
        cin_end,
        first=(3, 20),
        on_time=(12, 20),
        late=(21, 40),
        p_name="cin_visit_on_time",
        working_days=True,
    )
    vis.append(
        pl.DataFrame(
            {"child": cin["child"].to_numpy()[o], "day": d, "visit_type": ["CIN"] * len(o)},
            schema={"child": pl.Int64, "day": pl.Int64, "visit_type": pl.String},
        )
    )
    o, d = care_mod.regular_events(
        ctx,
        care_kept["start"].to_numpy(),
        care_kept["end"].to_numpy(),
        first=(1, 7),
        on_time=(21, 42),
        late=(43, 80),
        p_name="cla_visit_on_time",
        working_days=False,
    )
    vis.append(
        pl.DataFrame(
            {"child": care_kept["child"].to_numpy()[o], "day": d, "visit_type": ["CLA"] * len(o)},
            schema={"child": pl.Int64, "day": pl.Int64, "visit_type": pl.String},
        )
    )
    moved = out["cla_episodes"].filter(
        pl.col("reason_new_episode").is_in(["P", "T", "U"]) & (pl.col("period") >= 0)
    )
    on_time = ctx.chance(
        ctx.p("cla_visit_on_time", moved["episode_start"].to_numpy()), moved.height
    )
    mv_day = moved["episode_start"].to_numpy() + np.where(
        on_time, u.uniform_int(rng, 0, 6, moved.height), u.uniform_int(rng, 7, 20, moved.height)
    )
    vis.append(
        pl.DataFrame(
            {
                "child": moved["child"].to_numpy(),
                "day": mv_day,
                "visit_type": ["CLA"] * moved.height,
            },
            schema={"child": pl.Int64, "day": pl.Int64, "visit_type": pl.String},
        ).filter((pl.col("day") <= ctx.as_at_day) & (pl.col("day") >= ctx.out_start))
    )
    visits = (
        pl.concat(vis)
        .unique(["child", "day", "visit_type"], keep="first", maintain_order=True)
        .sort("day", "child")
    )
    visits = visits.filter(
        pl.Series(visits["day"].to_numpy() <= kids.bday18[visits["child"].to_numpy()])
    )
    nv = visits.height
    v_age = visits["day"].to_numpy() - dob[visits["child"].to_numpy()]
    seen = ctx.chance(0.96, nv)
    alone = seen & (v_age >= 4 * 365) & ctx.chance(0.72, nv)
    visits = visits.with_columns(
        visit_id=_ids("V", chunk, nv), seen=pl.Series(seen), seen_alone=pl.Series(alone)
    )
    visits = worker_of(visits, "day").sort("visit_id")
    out["visits"] = visits.rename({"day": "visit_date", "worker": "worker_id"})

    stage(STAGES[3])

    # --- front door: contacts, early help ----------------------------------------------
    contacts, eh, extra_kids = _front_door(ctx, kids, kept_eps, sk.early_help, chunk, chunks)
    out["contacts"] = contacts
    out["early_help"] = eh

    # --- workforce --------------------------------------------------------------------
    staff_out = staff.filter(pl.col("start") <= ctx.as_at_day).with_columns(_censor("end", ctx))
    out["workers"] = staff_out.rename(
        {"worker": "worker_id", "start": "start_date", "end": "end_date"}
    )
    out["allocations"] = (
        alloc.with_columns(_censor("end", ctx))
        .sort("child", "start")
        .rename({"worker": "worker_id", "start": "start_date", "end": "end_date"})
    )
    sup = wf.supervisions(ctx, staff)
    out["supervisions"] = sup.rename({"worker": "worker_id", "day": "supervision_date"}).sort(
        "worker_id", "supervision_date"
    )
    aud = wf.audits(
        ctx,
        alloc.with_columns(
            pl.when(pl.col("end") > ctx.as_at_day)
            .then(ctx.as_at_day + 1)
            .otherwise(pl.col("end"))
            .alias("end")
        ),
    )
    aud = aud.with_columns(audit_id=_ids("QA", chunk, aud.height))
    out["audits"] = aud.rename({"day": "audit_date", "worker": "worker_id"})

    # --- what only the council's own database holds (the SSD) ------------------------
    extra_rng = ssd_facts.rng_for(seed, chunk)
    out["early_help"] = ssd_facts.early_help_end_reasons(extra_rng, out["early_help"])
    out["missing_episodes"] = ssd_facts.missing_episodes(
        extra_rng, out["cla_episodes"], dob, ctx.as_at_day, _ids("M", chunk, 4 * out["cla_episodes"].height)
    )
    on_plan = pl.concat(
        [out[name].select("child", pl.col("start_date").alias("start"), pl.col("end_date").alias("end"))
         for name in ("cin_plans", "cp_plans")]
    )
    out["voice_of_child"] = ssd_facts.voice_of_child(
        extra_rng, on_plan, dob, ctx.as_at_day, _ids("VC", chunk, on_plan.height)
    )

    stage(STAGES[4])

    # --- children ---------------------------------------------------------------------
    n_all = len(kids) + len(extra_kids["dob"])
    seen_child = np.zeros(n_all, dtype=bool)
    for t in out.values():
        if "child" in t.columns:
            seen_child[t["child"].to_numpy().astype(I64)] = True
    used = np.flatnonzero(seen_child)
    all_dob = np.concatenate([dob, extra_kids["dob"]])
    all_sex = np.concatenate([kids.sex, extra_kids["sex"]])
    all_dis = np.concatenate([kids.disabled, extra_kids["disabled"]])
    all_uasc = np.concatenate([kids.uasc, np.zeros(len(extra_kids["dob"]), dtype=bool)])
    nc = len(used)
    ethnic = u.choose(rng, _ETHNIC, _ETHNIC_W, nc)
    ethnic = np.where(all_uasc[used], u.choose(rng, _UASC_ETHNIC, _UASC_ETHNIC_W, nc), ethnic)
    unborn = all_dob[used] > ctx.as_at_day
    school_age = (ctx.as_at_day - all_dob[used]) >= 5 * 365
    has_upn = school_age & ~all_uasc[used] & ctx.chance(0.92, nc)
    upn = np.where(has_upn, _upns(rng, nc).astype(object), u.NULL)
    sex = np.where(unborn, "U", all_sex[used])
    child_ids = _ids("C", chunk, nc)
    children = pl.DataFrame(
        {
            "child": used,
            "child_id": child_ids,
            "sex": pl.Series(sex.tolist(), dtype=pl.String),
            "date_of_birth": all_dob[used],
            "unborn": unborn,
            "ethnicity": pl.Series(ethnic.tolist(), dtype=pl.String),
            "upn": pl.Series(upn.tolist(), dtype=pl.String),
            "disability": all_dis[used],
            "uasc": all_uasc[used],
            "date_of_death": np.full(nc, u.NO_DAY, dtype=I64),
        }
    )
    out["children"] = children
    id_map = children.select("child", "child_id")

    tables: dict[str, pl.DataFrame] = {}
    date_cols = {t.name: [c.name for c in t.columns if c.dtype == pl.Date()] for t in schema.TABLES}
    for name, df in out.items():
        if name != "children":
            df = df.join(id_map, on="child", how="left") if "child" in df.columns else df
        df = _to_dates(df, [c for c in date_cols[name] if c in df.columns])
        for c in schema.table(name).columns:
            if c.name not in df.columns:
                df = df.with_columns(pl.lit(None, dtype=c.dtype).alias(c.name))
        tables[name] = _frame(name, df)
    stage(STAGES[5])
    return tables


def _average_open(cases: pl.DataFrame, ctx: Ctx) -> dict[str, float]:
    """Average number of open case periods at month ends over the window, by service."""
    ends = u.month_starts(ctx.first, ctx.as_at)[1:] - 1
    if len(ends) == 0:
        ends = np.array([ctx.as_at_day])
    loads: dict[str, float] = {}
    for service in wf.SERVICES:
        c = cases.filter(pl.col("service") == service)
        st = c["start"].to_numpy()
        en = c["end"].to_numpy()
        counts = [int(((st <= e) & (en > e)).sum()) for e in ends.tolist()]
        loads[service] = float(np.mean(counts)) if counts else 0.0
    return loads


def _front_door(
    ctx: Ctx,
    kids: object,
    kept_eps: pl.DataFrame,
    eh_from_assessment: dict[str, np.ndarray],
    chunk: int,
    chunks: int,
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, np.ndarray]]:
    """Contacts (those that became referrals and the many that did not) and early help."""
    from journey.engine.casedata.synth.journeys import Children

    assert isinstance(kids, Children)
    rng, prof = ctx.rng, ctx.profile
    # Contacts that became the referrals written out.
    r_day = kept_eps["referral"].to_numpy()
    nr = len(r_day)
    on_time = ctx.chance(ctx.p("contact_decided_next_day", r_day), nr)
    lag = np.where(on_time, rng.choice(2, size=nr, p=[0.7, 0.3]), u.uniform_int(rng, 2, 6, nr))
    # Not before birth (a baby referred at birth), unless referred before being born.
    r_child = kept_eps["child"].to_numpy()
    c_day = np.maximum(r_day - lag, np.minimum(kids.dob[r_child], r_day))
    ref_contacts = pl.DataFrame(
        {
            "child": kept_eps["child"].to_numpy(),
            "contact_date": c_day,
            "source": kept_eps["source"],
            "decision_date": r_day,
            "outcome": pl.Series(["referral"] * nr, dtype=pl.String),
        }
    )
    # Other contacts in the output window, about known children and children new to care.
    in_window = (r_day >= ctx.first_day) & (r_day <= ctx.as_at_day)
    per_day = max(1.0, float(in_window.sum())) / max(1, ctx.as_at_day - ctx.first_day + 1)
    days_out = ctx.as_at_day - ctx.out_start + 1
    n_other = rng.poisson(prof.other_contacts_per_referral * per_day * days_out)
    day_ = ctx.out_start + rng.integers(0, days_out, n_other)
    known = ctx.chance(0.45, n_other)
    pick = rng.integers(0, len(kids), n_other)
    ok_known = known & (kids.dob[pick] <= day_) & (kids.bday18[pick] > day_)
    new = ~known
    n_new = int(new.sum())
    new_age = np.floor(rng.random(n_new) * 18 * 365.25).astype(I64)
    new_dob = day_[new] - new_age
    extra = {
        "dob": new_dob,
        "sex": u.choose(rng, ["M", "F", "U"], [0.51, 0.48, 0.01], n_new),
        "disabled": ctx.chance(0.05, n_new),
    }
    child = np.where(new, 0, pick)
    child[new] = len(kids) + np.arange(n_new)
    keep = ok_known | new
    child, day_ = child[keep], day_[keep]
    m = len(child)
    outcome = u.choose(rng, ["early_help", "advice", "nfa"], [0.22, 0.33, 0.45], m)
    on_time = ctx.chance(ctx.p("contact_decided_next_day", day_), m)
    decision = u.add_working_days(
        day_, np.where(on_time, rng.choice(2, size=m, p=[0.55, 0.45]), u.uniform_int(rng, 2, 6, m))
    )
    # A decision is about a child: by the 18th birthday.
    decision = np.minimum(
        decision, u.add_years(np.concatenate([kids.dob, extra["dob"]])[child], 18)
    )
    decision = np.where(decision > ctx.as_at_day, u.NO_DAY, decision)
    others = pl.DataFrame(
        {
            "child": child,
            "contact_date": day_,
            "source": pl.Series(u.choose(rng, _SOURCES, _SOURCE_W, m).tolist(), dtype=pl.String),
            "decision_date": decision,
            "outcome": pl.Series(
                np.where(decision == u.NO_DAY, u.NULL, outcome).tolist(), dtype=pl.String
            ),
        }
    )
    contacts = (
        pl.concat([ref_contacts, others])
        .filter(pl.col("contact_date") >= ctx.out_start)
        .sort("contact_date", "child")
    )
    contacts = contacts.with_columns(contact_id=_ids("K", chunk, contacts.height))
    # Early help: from contacts passed to early help and assessments stepping down.
    to_eh = contacts.filter(
        (pl.col("outcome") == "early_help") & pl.Series(ctx.chance(0.75, contacts.height))
    )
    eh_child = np.concatenate([to_eh["child"].to_numpy(), eh_from_assessment["child"]])
    eh_start = np.concatenate(
        [
            to_eh["decision_date"].to_numpy() + u.uniform_int(rng, 0, 10, to_eh.height),
            eh_from_assessment["start"],
        ]
    )
    k = len(eh_child)
    done = ctx.chance(0.9, k)
    completed = np.where(done, eh_start + u.uniform_int(rng, 10, 45, k), u.NO_DAY)
    end = eh_start + u.lognormal_days(rng, 170, 0.5, k)
    # Early help is for children: it ends by the 18th birthday.
    eighteen = u.add_years(np.concatenate([kids.dob, extra["dob"]])[eh_child], 18)
    completed = np.minimum(completed, eighteen)
    end = np.minimum(end, eighteen)
    adult = eh_start >= eighteen
    teams = max(1, round(ctx.population / 15000))
    locality = wf.locality_name(chunk, chunks)
    names = np.array(
        [
            f"{locality + ' ' if locality else ''}Early Help {i + 1}"
            if teams > 1
            else f"{locality + ' ' if locality else ''}Early Help"
            for i in range(teams)
        ],
        dtype=object,
    )
    eh = pl.DataFrame(
        {
            "child": eh_child,
            "start_date": eh_start,
            "assessment_completed_date": completed,
            "end_date": end,
            "organisation": pl.Series(
                u.choose(rng, _EH_ORGS, _EH_ORG_W, k).tolist(), dtype=pl.String
            ),
            "team": pl.Series(names[rng.integers(0, teams, k)].tolist(), dtype=pl.String),
        }
    )
    eh = eh.filter(
        pl.Series(~adult)
        & (pl.col("start_date") <= ctx.as_at_day)
        & (pl.col("end_date") >= ctx.out_start)
    )
    eh = eh.with_columns([_censor(c, ctx) for c in ("assessment_completed_date", "end_date")]).sort(
        "start_date", "child"
    )
    eh = eh.with_columns(episode_id=_ids("EH", chunk, eh.height))
    return contacts, eh, extra
