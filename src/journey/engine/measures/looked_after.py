"""Children looked after: numbers, starts and ceased, stability, reviews and visits."""

from __future__ import annotations

from typing import Any

import polars as pl

from journey.engine.casedata.codes import ADOPTION_PLACEMENT_TYPES, SHORT_BREAK_LEGAL_STATUS
from journey.engine.measures.base import (
    FAR_FUTURE,
    Context,
    Periods,
    active_unique,
    fmt_date,
    group_ids,
    running_max_date,
    shift_in_group,
    with_age,
)
from journey.engine.measures.registry import MeasureDef, Parameter, register
from journey.engine.measures.timeliness import (
    attach_last_visit,
    attach_reviews,
    current_review_reason,
    review_links,
    review_status,
    seen_visits,
    visit_reason,
)
from journey.engine.periods import add_working_days_expr

AREA = "looked_after"
DFE_CLA = "DfE Children looked after in England statistics (SSDA903)"
REGS = "Care Planning, Placement and Case Review (England) Regulations 2010"
NEW_CARER = ("P", "T", "B")
TEMPORARY_PLACEMENTS = ("T0", "T1", "T2", "T3", "T4")
#: Placed for adoption with the current foster carer(s): the same carer, so not a new placement.
ADOPTION_WITH_CURRENT_CARER = ("A3", "A5")
TIME_IN_PLACEMENT = ("0-3 months", "3-6 months", "6-12 months", "1-2 years", "2 years or more")

#: Foster care with a relative or friend (connected persons): kinship, whoever provides it.
KINSHIP_FOSTER_CARE = ("U1", "U2", "U3")
#: Foster care with other foster carers: in-house or an agency's, as the provider says.
OTHER_FOSTER_CARE = ("U4", "U5", "U6")
#: The council's own provision (in-house) and the agencies' (private, voluntary or third sector).
IN_HOUSE_PROVIDERS = ("PR1",)
AGENCY_PROVIDERS = ("PR4", "PR5")
#: Children's homes (secure and regulated), residential care homes and residential schools.
RESIDENTIAL_PLACEMENTS = ("K1", "K2", "R1", "S1")
PLACEMENT_GROUPS = (
    "In-house foster care",
    "Independent fostering agency (IFA)",
    "Kinship foster care (connected persons)",
    "Residential care",
    "Other placements",
)
"""The placement profile's groups, in the order a board reads them: SSDA903 placement type
(PLACE) crossed with provider (PLACE_PROVIDER), see :func:`placement_group_expr`."""


#: How periods of care are found: by DfE's codes (default) or by the dates alone (local).
PERIOD_METHODS = {
    "dfe": "DfE's codes: a period starts with RNE S and ends with an episode whose REC is not X1",
    "gap": "local: a period is a run of episodes with no gap between them (codes ignored)",
}
CONTINUING = ("P", "L", "T", "U", "B")


def _method(params: dict[str, Any]) -> str:
    method = str(params.get("periods_of_care", "dfe"))
    if method not in PERIOD_METHODS:
        raise ValueError(f"periods_of_care must be one of {', '.join(PERIOD_METHODS)}, not {method!r}")
    return method


def _days(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    return (later - earlier).dt.total_days().abs().cast(pl.String)


def _start_quality(rne: pl.Expr, gap_start: pl.Expr) -> pl.Expr:
    """Where the episode's reason for new episode and the dates disagree, in words (null
    where they agree). The figure follows DfE's code; the note says what the dates say."""
    start, prev_end = pl.col("episode_start"), pl.col("_prev_end_any")
    has_prev = pl.col("_has_prev_any")
    previous = (
        pl.when(prev_end.is_null())
        .then(pl.lit("the previous episode has not ended"))
        .when(prev_end == start)
        .then(pl.lit("the previous episode ended the same day"))
        .when(prev_end < start)
        .then(pl.format("the previous episode ended {} days before", _days(start, prev_end)))
        .otherwise(pl.format("the previous episode ended {} days after this one started", _days(prev_end, start)))
    )
    return (
        pl.when((rne == "S") & has_prev & (prev_end.is_null() | (prev_end >= start)))
        .then(pl.format("RNE is S but {}: counted as a start, as DfE counts by the code (DfE rule 431)", previous))
        .when(rne.is_in(CONTINUING) & ~has_prev)
        .then(pl.format("RNE is {} but the child has no earlier episode in the extract: not counted as a start, as DfE counts by the code (DfE rule 357)", rne))
        .when(rne.is_in(CONTINUING) & has_prev & prev_end.ne_missing(start))
        .then(pl.format("RNE is {} but {}: not counted as a start, as DfE counts by the code (DfE rule 433)", rne, previous))
        .when(rne.is_null() & gap_start)
        .then(pl.lit("RNE is blank: counted as a start because no earlier episode runs up to this one"))
        .when(rne.is_null())
        .then(pl.format("RNE is blank: not counted as a start because {}", previous))
    )


def _ceased_quality(rec: pl.Expr) -> pl.Expr:
    """Where the episode's reason ceased and the dates disagree, in words (null where they agree)."""
    end, next_start, next_rne = pl.col("episode_end"), pl.col("_next_start_any"), pl.col("_next_rne_any")
    has_next = pl.col("_has_next_any")
    following = (
        pl.when(~has_next)
        .then(pl.lit("the child has no later episode"))
        .when(next_start > end)
        .then(pl.format("the next episode starts {} days later", _days(next_start, end)))
        .otherwise(pl.format("the next episode starts {} days before this one ended", _days(end, next_start)))
    )
    return (
        pl.when(end.is_null())
        .then(None)
        .when((rec == "X1") & (~has_next | next_start.ne_missing(end)))
        .then(pl.format("REC is X1 (a new episode the same day) but {}: not counted as ceasing, as DfE counts by the code (DfE rule 388)", following))
        .when(rec.is_not_null() & (rec != "X1") & has_next & (next_start == end) & next_rne.ne_missing(pl.lit("S")))
        .then(pl.format("REC is {} (ceased to be looked after) but the next episode starts the same day with RNE {}: counted as ceasing, as DfE counts by the code (DfE rule 388)", rec, next_rne.fill_null("blank")))
        .when(rec.is_null() & has_next & (next_start <= end))
        .then(pl.lit("REC is blank: not counted as ceasing because the next episode starts by the day this one ended"))
        .when(rec.is_null())
        .then(pl.lit("REC is blank: counted as ceasing because no episode follows on"))
    )


def episodes(ctx: Context, method: str = "dfe") -> pl.LazyFrame:
    """Looked-after episodes without short breaks, each with its period of care and
    placement: poc_no, poc_start, poc_end, poc_key, placement_no, placement_start; whether
    it is a start or a cessation (``starts_here``, ``ceases_here``) by ``method``; and where
    its codes and dates disagree, why in words (``start_quality``, ``ceased_quality``).

    Short-break episodes (V3/V4) are left out of the counts but not of the neighbours an
    episode is checked against: a short break that ends X1 the day a care order episode
    starts with RNE L is a continuation, as DfE's codes say."""

    def build() -> pl.LazyFrame:
        short = pl.col("legal_status").is_in(list(SHORT_BREAK_LEGAL_STATUS)).fill_null(False)
        every = (
            ctx.table("cla_episodes")
            .sort("child_id", "episode_start", "episode_end", nulls_last=True)
            .with_columns(group_ids("child_id").alias("_g"))
        )
        same_prev = (pl.col("_g") == pl.col("_g").shift(1)).fill_null(False)
        same_next = (pl.col("_g") == pl.col("_g").shift(-1)).fill_null(False)
        every = every.with_columns(
            same_prev.alias("_has_prev_any"),
            same_next.alias("_has_next_any"),
            shift_in_group(pl.col("episode_end"), "_g").alias("_prev_end_any"),
            shift_in_group(pl.col("episode_start"), "_g", -1).alias("_next_start_any"),
            shift_in_group(pl.col("reason_new_episode"), "_g", -1).alias("_next_rne_any"),
        )
        e = every.filter(~short).with_columns(group_ids("child_id").alias("_g"))
        end_f = pl.col("episode_end").fill_null(FAR_FUTURE)
        prev_max = shift_in_group(running_max_date(end_f, "_g"), "_g")
        gap_start = prev_max.is_null() | (pl.col("episode_start") > prev_max)
        rne, rec = pl.col("reason_new_episode"), pl.col("reason_ceased")
        next_start = shift_in_group(pl.col("episode_start"), "_g", -1)
        if method == "dfe":
            starts_here = (rne == "S").fill_null(False) | (rne.is_null() & gap_start)
            ceases_here = pl.col("episode_end").is_not_null() & (
                (rec.is_not_null() & (rec != "X1"))
                | (rec.is_null() & (next_start.is_null() | (next_start > pl.col("episode_end"))))
            )
            e = e.with_columns(starts_here.alias("starts_here"), ceases_here.alias("ceases_here"))
            new_poc = prev_max.is_null() | pl.col("starts_here") | shift_in_group(pl.col("ceases_here"), "_g").fill_null(False)
            e = e.with_columns(
                new_poc.alias("_new_poc"),
                _start_quality(rne, gap_start).alias("start_quality"),
                _ceased_quality(rec).alias("ceased_quality"),
            )
        else:
            # The period ends where the next episode starts after every episode so far ended.
            period_end = (next_start.is_null() | (next_start > running_max_date(end_f, "_g"))) & (
                running_max_date(end_f, "_g") < FAR_FUTURE
            )
            e = e.with_columns(
                gap_start.alias("_new_poc"),
                gap_start.alias("starts_here"),
                period_end.alias("ceases_here"),
                pl.lit(None, dtype=pl.String).alias("start_quality"),
                pl.lit(None, dtype=pl.String).alias("ceased_quality"),
            )
        e = e.with_columns(
            shift_in_group(pl.col("placement_type"), "_g").alias("_prev_type"),
            shift_in_group(pl.col("carer_id"), "_g").alias("_prev_carer"),
        )
        same_carer = (pl.col("carer_id").is_not_null() & (pl.col("carer_id") == pl.col("_prev_carer"))).fill_null(False)
        carer_changed = (
            pl.col("carer_id").is_not_null() & pl.col("_prev_carer").is_not_null() & (pl.col("carer_id") != pl.col("_prev_carer"))
        )
        # Placed for adoption with the current foster carer (A3, A5) is no change of carer:
        # DfE does not count it as a new placement (LAIT 372).
        adopted_by_carer = pl.col("placement_type").is_in(list(ADOPTION_WITH_CURRENT_CARER)).fill_null(False) & ~carer_changed
        new_placement = pl.col("_new_poc") | (
            ~adopted_by_carer
            & (
                (pl.col("reason_new_episode").is_in(list(NEW_CARER)).fill_null(False) & ~same_carer)
                | (
                    pl.col("reason_new_episode").is_null()
                    & (pl.col("placement_type").ne_missing(pl.col("_prev_type")) | carer_changed)
                )
            )
        )
        # Numbers unique across children (they only identify periods and placements).
        e = e.with_columns(
            pl.col("_new_poc").cast(pl.Int64).cum_sum().alias("poc_no"),
            new_placement.cast(pl.Int64).cum_sum().alias("placement_no"),
        )
        pocs = e.group_by("poc_no").agg(
            pl.col("episode_start").min().alias("poc_start"), end_f.max().alias("poc_end")
        )
        places = e.group_by("placement_no").agg(
            pl.col("episode_start").min().alias("placement_start"),
            end_f.max().alias("placement_end"),
            pl.col("placement_type").first().alias("first_placement_type"),
        )
        e = (
            e.join(pocs, on="poc_no", how="left")
            .join(places, on="placement_no", how="left")
            .with_columns(pl.format("{}#{}", pl.col("child_id"), pl.col("poc_no")).alias("poc_key"))
            .with_columns(
                pl.when(pl.col(c) == FAR_FUTURE).then(None).otherwise(pl.col(c)).alias(c)
                for c in ("poc_end", "placement_end")
            )
        )
        return e.drop(
            "_new_poc", "_prev_type", "_prev_carer", "_g", "_has_prev_any", "_has_next_any",
            "_prev_end_any", "_next_start_any", "_next_rne_any",
        )

    return ctx.cached(f"cla_episodes:{method}", build)


def placements(ctx: Context, method: str = "dfe") -> pl.LazyFrame:
    """One row per placement: child, placement_no, start, end, first type, previous
    placement start in the same period of care, flagged."""

    def build() -> pl.LazyFrame:
        p = (
            episodes(ctx, method)
            .group_by("placement_no")
            .agg(
                pl.col("child_id").first(),
                pl.col("poc_no").first(),
                pl.col("placement_start").first(),
                pl.col("placement_end").first(),
                pl.col("first_placement_type").first().alias("placement_type"),
                pl.col("flagged").any(),
            )
            .sort("placement_no")
        )
        return p.with_columns(shift_in_group(pl.col("placement_start"), "poc_no").alias("previous_placement_start"))

    return ctx.cached(f"cla_placements:{method}", build)


def periods_of_care(ctx: Context, method: str = "dfe") -> pl.LazyFrame:
    def build() -> pl.LazyFrame:
        return (
            episodes(ctx, method)
            .group_by("poc_no")
            .agg(
                pl.col("child_id").first(),
                pl.col("poc_key").first(),
                pl.col("poc_start").first(),
                pl.col("poc_end").first(),
                pl.col("team").first(),
                pl.col("legal_status").first(),
                pl.col("flagged").any(),
            )
        )

    return ctx.cached(f"cla_periods_of_care:{method}", build)


def time_in_placement_expr() -> pl.Expr:
    at, ps = pl.col("at"), pl.col("placement_start")
    return (
        pl.when(ps > at.dt.offset_by("-3mo"))
        .then(pl.lit(TIME_IN_PLACEMENT[0]))
        .when(ps > at.dt.offset_by("-6mo"))
        .then(pl.lit(TIME_IN_PLACEMENT[1]))
        .when(ps > at.dt.offset_by("-1y"))
        .then(pl.lit(TIME_IN_PLACEMENT[2]))
        .when(ps > at.dt.offset_by("-2y"))
        .then(pl.lit(TIME_IN_PLACEMENT[3]))
        .otherwise(pl.lit(TIME_IN_PLACEMENT[4]))
    )


def placement_group_expr(type_col: str = "placement_type", provider_col: str = "placement_provider") -> pl.Expr:
    """The placement's group (:data:`PLACEMENT_GROUPS`) from its type and provider.

    Foster care with a relative or friend (U1–U3) is kinship, whoever provides it. Foster
    care with other carers (U4–U6) is in-house when the council provides it (PR1) and an
    independent fostering agency's when a private (PR4) or voluntary or third-sector (PR5)
    provider does. Children's homes, residential care homes and residential schools (K1, K2,
    R1, S1) are residential care. Everything else is another placement: placed for adoption,
    with parents, supported or independent living, health or custody, temporary, and foster
    care with other carers whose provider is another council or public body or not recorded."""
    place, provider = pl.col(type_col), pl.col(provider_col)
    other_foster = place.is_in(list(OTHER_FOSTER_CARE)).fill_null(False)
    return (
        pl.when(other_foster & provider.is_in(list(IN_HOUSE_PROVIDERS)).fill_null(False))
        .then(pl.lit(PLACEMENT_GROUPS[0]))
        .when(other_foster & provider.is_in(list(AGENCY_PROVIDERS)).fill_null(False))
        .then(pl.lit(PLACEMENT_GROUPS[1]))
        .when(place.is_in(list(KINSHIP_FOSTER_CARE)).fill_null(False))
        .then(pl.lit(PLACEMENT_GROUPS[2]))
        .when(place.is_in(list(RESIDENTIAL_PLACEMENTS)).fill_null(False))
        .then(pl.lit(PLACEMENT_GROUPS[3]))
        .otherwise(pl.lit(PLACEMENT_GROUPS[4]))
    )


def cla_at(ctx: Context, periods: Periods, method: str = "dfe") -> pl.LazyFrame:
    """Children looked after at each evaluation date (one row each: the latest-starting
    open episode), with placement and period-of-care dates."""

    def build() -> pl.LazyFrame:
        recs = active_unique(
            episodes(ctx, method), "child_id", "episode_start", "episode_end", periods.points(), periods, ["episode_start"]
        )
        return with_age(recs, ctx, "at").with_columns(
            time_in_placement_expr().alias("time_in_placement"), placement_group_expr().alias("placement_group")
        )

    return ctx.cached_at(f"cla_at:{method}", periods, build)


def _cla(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    return cla_at(ctx, periods, _method(params)).with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


def _cla_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "Looked after at {}: in care since {}, placement {} ({}) since {}, legal status {}",
        fmt_date("at"),
        fmt_date("poc_start"),
        pl.col("placement_type").fill_null("not recorded"),
        pl.col("placement_provider").fill_null("provider not recorded"),
        fmt_date("placement_start"),
        pl.col("legal_status").fill_null("not recorded"),
    )


def _starts(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    """DfE: each episode with RNE S is a start (and, as notes, the episodes whose RNE and
    dates disagree, counted or not); local ``gap`` method: each period of care's start."""
    method = _method(params)
    if method == "gap":
        p = periods_of_care(ctx, method).with_columns(
            pl.col("poc_start").alias("date"),
            pl.col("poc_start").alias("episode_start"),
            pl.lit(None, dtype=pl.String).alias("reason_new_episode"),
            pl.lit(None, dtype=pl.String).alias("quality"),
            pl.lit(1.0).alias("num"),
        )
    else:
        p = (
            episodes(ctx, method)
            .filter(pl.col("starts_here") | pl.col("start_quality").is_not_null())
            .with_columns(
                pl.col("episode_start").alias("date"),
                pl.col("start_quality").alias("quality"),
                pl.col("starts_here").cast(pl.Float64).alias("num"),
            )
        )
    return with_age(p, ctx, "date").with_columns(pl.lit(0.0).alias("den"))


def _ceased(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    """DfE: each episode ended with a REC other than X1 is a cessation (and, as notes, the
    episodes whose REC and dates disagree); ``gap``: each period of care's end."""
    method = _method(params)
    if method == "gap":
        p = (
            periods_of_care(ctx, method)
            .filter(pl.col("poc_end").is_not_null())
            .with_columns(
                pl.col("poc_end").alias("date"),
                pl.col("poc_end").alias("episode_end"),
                pl.lit(None, dtype=pl.String).alias("reason_ceased"),
                pl.lit(None, dtype=pl.String).alias("quality"),
                pl.lit(1.0).alias("num"),
            )
        )
    else:
        p = (
            episodes(ctx, method)
            .filter(pl.col("episode_end").is_not_null() & (pl.col("ceases_here") | pl.col("ceased_quality").is_not_null()))
            .with_columns(
                pl.col("episode_end").alias("date"),
                pl.col("ceased_quality").alias("quality"),
                pl.col("ceases_here").cast(pl.Float64).alias("num"),
            )
        )
    return with_age(p, ctx, "date").with_columns(pl.lit(0.0).alias("den"))


def _with_quality(text: pl.Expr) -> pl.Expr:
    return pl.when(pl.col("quality").is_null()).then(text).otherwise(pl.format("{}. Data quality: {}", text, pl.col("quality")))


def _start_reason(params: dict[str, Any]) -> pl.Expr:
    rne = pl.col("reason_new_episode")
    code = pl.when(rne.is_null()).then(pl.lit("")).otherwise(pl.format(" (RNE {})", rne))
    text = (
        pl.when(pl.col("num") > 0)
        .then(pl.format("Started to be looked after {}{}", fmt_date("episode_start"), code))
        .otherwise(
            pl.format("Not a start: the episode from {}{} continues the period of care since {}", fmt_date("episode_start"), code, fmt_date("poc_start"))
        )
    )
    return _with_quality(text)


def _ceased_reason(params: dict[str, Any]) -> pl.Expr:
    rec = pl.col("reason_ceased")
    code = pl.when(rec.is_null()).then(pl.lit("")).otherwise(pl.format(" (REC {})", rec))
    text = (
        pl.when(pl.col("num") > 0)
        .then(pl.format("Ceased to be looked after {}{} (in care since {})", fmt_date("episode_end"), code, fmt_date("poc_start")))
        .otherwise(pl.format("Not a cessation: the episode ended {}{} (in care since {})", fmt_date("episode_end"), code, fmt_date("poc_start")))
    )
    return _with_quality(text)


def _three_plus(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    threshold = int(params["placements"])
    method = _method(params)
    recs = cla_at(ctx, periods, method)
    pls = placements(ctx, method).filter(~pl.col("placement_type").is_in(list(TEMPORARY_PLACEMENTS)).fill_null(False))
    window_start = pl.col("at").dt.offset_by("-1y") + pl.duration(days=1)
    counts = (
        recs.select("child_id", "pt", "at")
        .join(pls.select("child_id", pl.col("placement_start").alias("ps"), pl.col("placement_end").alias("pe"), pl.col("flagged").alias("pf")), on="child_id")
        .filter((pl.col("ps") <= pl.col("at")) & (pl.col("pe").is_null() | (pl.col("pe") >= window_start)))
        .group_by("child_id", "pt")
        .agg(pl.len().alias("placements_in_12_months"), pl.col("pf").any().alias("pf"))
    )
    recs = recs.join(counts, on=["child_id", "pt"], how="left").with_columns(
        pl.col("placements_in_12_months").fill_null(0),
        (pl.col("flagged") | pl.col("pf").fill_null(False)).alias("flagged"),
        (pl.col("at").dt.offset_by("-1y") + pl.duration(days=1)).alias("window_start"),
    )
    return recs.with_columns(
        (pl.col("placements_in_12_months") >= threshold).cast(pl.Float64).alias("num"), pl.lit(1.0).alias("den")
    )


def _three_plus_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "{} placements in the 12 months {} to {} (current placement since {})",
        pl.col("placements_in_12_months"),
        fmt_date("window_start"),
        fmt_date("at"),
        fmt_date("placement_start"),
    )


def _long_term(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    method = _method(params)
    recs = cla_at(ctx, periods, method).filter(
        (pl.col("age") < 16) & (pl.col("poc_start") <= pl.col("at").dt.offset_by("-2y6mo"))
    )
    prev = placements(ctx, method).select("child_id", "placement_no", "previous_placement_start")
    recs = recs.join(prev, on=["child_id", "placement_no"], how="left")
    two_years = pl.col("at").dt.offset_by("-2y")
    adoption = pl.col("placement_type").is_in(list(ADOPTION_PLACEMENT_TYPES)).fill_null(False)
    stable = (pl.col("placement_start") <= two_years) | (
        adoption & (pl.col("previous_placement_start") <= two_years).fill_null(False)
    )
    return recs.with_columns(stable.cast(pl.Float64).alias("num"), pl.lit(1.0).alias("den"))


def _long_term_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "Aged {}, in care since {}; placement {} since {}{}",
        pl.col("age"),
        fmt_date("poc_start"),
        pl.col("placement_type").fill_null("not recorded"),
        fmt_date("placement_start"),
        pl.when(pl.col("num") > 0)
        .then(pl.lit(" (stable: 2 years or more, or placed for adoption after 2 years)"))
        .otherwise(pl.lit(" (under 2 years in this placement)")),
    )


def _reviews(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    first_wd, second, later = int(params["first_review_working_days"]), int(params["second_review_months"]), int(params["review_interval_months"])
    method = _method(params)
    pocs = periods_of_care(ctx, method)
    starts = pocs.select("poc_key", pl.col("poc_start").alias("start"), pl.col("poc_end").alias("end"))
    reviews = (
        ctx.table("cla_reviews")
        .join(pocs.select("child_id", "poc_key"), on="child_id", how="inner")
        .select("poc_key", "review_date", pl.col("flagged").alias("review_flagged"))
    )

    def due(seq: pl.Expr, anchor: pl.Expr) -> pl.Expr:
        return (
            pl.when(seq == 0)
            .then(add_working_days_expr(anchor, first_wd))
            .when(seq == 1)
            .then(anchor.dt.offset_by(f"{second}mo"))
            .otherwise(anchor.dt.offset_by(f"{later}mo"))
        )

    links = review_links(starts, reviews, "poc_key", due)
    status = review_status(links, "poc_key")
    recs = cla_at(ctx, periods, method).with_columns(pl.col("poc_start").alias("start"))
    recs = attach_reviews(recs, links, status, "poc_key", mode="current")
    return recs.with_columns(pl.col("in_time").cast(pl.Float64).alias("num"), pl.lit(1.0).alias("den"))


def _visits(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    first_days, interval = int(params["first_visit_days"]), int(params["interval_days"])
    lt_months = int(params["long_term_interval_months"])
    long_term_types = list(params["long_term_placement_types"])
    recs = attach_last_visit(cla_at(ctx, periods, _method(params)), seen_visits(ctx, "CLA"), "placement_start")
    first_year = pl.col("last_visit") < pl.col("placement_start").dt.offset_by("1y")
    long_term = pl.col("placement_type").is_in(long_term_types).fill_null(False)
    due = (
        pl.when(pl.col("last_visit").is_null())
        .then(pl.col("placement_start") + pl.duration(days=first_days))
        .when(first_year | ~long_term)
        .then(pl.col("last_visit") + pl.duration(days=interval))
        .otherwise(pl.col("last_visit").dt.offset_by(f"{lt_months}mo"))
    )
    recs = recs.with_columns(due.alias("due")).with_columns((pl.col("due") >= pl.col("at")).alias("in_time"))
    return recs.with_columns(pl.col("in_time").cast(pl.Float64).alias("num"), pl.lit(1.0).alias("den"))


PERIODS_OF_CARE = Parameter(
    "periods_of_care",
    "dfe",
    "how periods of care are found: `dfe` (the default: DfE's codes, a period starts with an episode with RNE S "
    "and ends with an episode whose REC is not X1) or `gap` (a local method, not DfE's: runs of episodes with no "
    "gap between them, the codes ignored)",
)

_CLA_DIMS = ("team", "age_band", "placement_group", "placement_type", "placement_provider", "time_in_placement", "legal_status")
_FLOW_DISTINCT = ("month", "fytd", "latest")

register(
    MeasureDef(
        id="cla_count",
        title="Children looked after",
        area=AREA,
        definition=(
            "Children looked after at the date: an episode started on or before it and not ended before the end "
            "of the day, excluding short breaks (legal status V3/V4). Back-to-back episodes (one ends, the next "
            "starts the same day) and overlapping episodes count the child once. Broken down by the placement at "
            "the date: its group (in-house foster care, independent fostering agency, kinship, residential, other: "
            "type crossed with provider), type, provider and time in the current placement. The period of care (\"in care since\") and the placements are found by `periods_of_care` (DfE's codes by default)."
        ),
        unit="count",
        polarity="within_range",
        numerator="children looked after at the date",
        denominator="none",
        tables=("cla_episodes",),
        source=DFE_CLA,
        lait="332",
        dfe=(
            "Children looked after at 31 March: an episode open at 31 March (no end date, or an "
            "end after 31 March: an episode ending on 31 March is a cessation in the year), each "
            "child once, excluding children looked after under an agreed series of short-term "
            "placements (legal status V3, V4). 'Children looked after on 31 March each year'; LAIT "
            "332."
        ),
        dfe_difference=(
            "None at 31 March; the same count at every month end."
        ),
        kind="snapshot",
        records=_cla,
        reason=_cla_reason,
        key_dates=("at", "poc_start", "placement_start", "episode_start"),
        parameters=(PERIODS_OF_CARE,),
        breakdowns=_CLA_DIMS,
    ),
    MeasureDef(
        id="cla_rate_per_10k",
        title="Children looked after per 10,000",
        area=AREA,
        definition="Children looked after at the date (as `cla_count`) per 10,000 children aged 0-17 in the month's financial year. Periods of care by `periods_of_care`.",
        unit="rate_per_10k",
        polarity="within_range",
        numerator="children looked after at the date",
        denominator="0-17 population",
        tables=("cla_episodes", "population"),
        source=DFE_CLA,
        lait="124",
        dfe=(
            "Children looked after at 31 March ÷ ONS mid-year population aged 0-17 of the year "
            "before (mid-2024 for the year ending 31 March 2025) × 10,000. `rate_per_10000` of "
            "'Children looked after on 31 March each year'; LAIT 124."
        ),
        dfe_difference=(
            "None at 31 March; at other month ends the same count over the population of the month's "
            "financial year."
        ),
        kind="snapshot",
        records=_cla,
        reason=_cla_reason,
        key_dates=("at", "poc_start"),
        parameters=(PERIODS_OF_CARE,),
    ),
    MeasureDef(
        id="cla_starts_in_year",
        title="Children starting to be looked after",
        area=AREA,
        definition=(
            "Children who started to be looked after in the period, counted as DfE counts them: an episode with "
            "reason for new episode (RNE) S is a start; an episode with any other RNE (P, L, T, U, B: a change of "
            "placement or legal status) is not, whatever the dates say. Short breaks (legal status V3 or V4) are "
            "never starts, so a child who moves the same day from a short break to another legal status (the short "
            "break ends X1, the new episode starts with RNE L) has not started to be looked after. A child who "
            "starts twice counts once (DfE: only the first occasion in the year is counted; in the financial year "
            "to date from their first start in the year). Where the RNE and the dates disagree (RNE S but the "
            "previous episode ended the same day, DfE rule 431; RNE L but the previous episode ended 3 days before, "
            "DfE rule 433) the figure follows the code and the drill-down lists the episode with the reason in "
            "words; where RNE is blank the dates decide (a start when no earlier episode runs up to it). "
            "Cumulative from 1 April (`fytd`); `month` gives the month alone. With `periods_of_care` set to `gap` (local, "
            "not DfE's) a start is the first day of a run of episodes with no gap, the codes ignored."
        ),
        unit="count",
        polarity="within_range",
        numerator="children who started to be looked after in the period",
        denominator="none",
        tables=("cla_episodes",),
        source=DFE_CLA,
        lait="376",
        dfe=(
            "Children who started to be looked after in the year ending 31 March: an episode "
            "with RNE S (short breaks, V3 and V4, excluded); a child starting more than once is "
            "counted once (the first occasion). 'Children starting to be looked after each year'; "
            "LAIT 376."
        ),
        dfe_difference=(
            "None for the financial year (`fytd` at March). With "
            "`periods_of_care: gap` (local) the dates decide instead of the codes."
        ),
        kind="flow",
        records=_starts,
        reason=_start_reason,
        key_dates=("episode_start", "poc_start"),
        parameters=(PERIODS_OF_CARE,),
        breakdowns=("team", "age_band", "legal_status"),
        period_types=_FLOW_DISTINCT,
        latest_window="fytd",
        distinct="child_id",
    ),
    MeasureDef(
        id="cla_starts_rate_per_10k",
        title="Children starting to be looked after per 10,000 (projected for the year)",
        area=AREA,
        definition=(
            "Children starting to be looked after (as `cla_starts_in_year`) per 10,000 children aged 0-17, "
            "projected for the financial year: each month, children who started from 1 April to the month's end "
            "÷ months elapsed × 12 ÷ population × 10,000. Starts as `periods_of_care` says (DfE's codes by default)."
        ),
        unit="rate_per_10k",
        polarity="within_range",
        numerator="children who started to be looked after in the period",
        denominator="0-17 population × months elapsed ÷ 12",
        tables=("cla_episodes", "population"),
        source=DFE_CLA,
        lait="376",
        dfe=(
            "Children starting to be looked after in the year ending 31 March ÷ ONS mid-year "
            "population aged 0-17 of the year before (mid-2024 for the year ending 31 March 2025) × "
            "10,000. LAIT 376."
        ),
        dfe_difference=(
            "In-year the monthly figure is projected for the year (year to date ÷ months elapsed × "
            "12), a local convention boards read; at March, and `rolling12` for any twelve months, it"
            " is DfE's annual rate. The population is the one of the month's financial year: the "
            "mid-year estimate of the year it starts, the same one DfE uses."
        ),
        kind="flow",
        records=_starts,
        reason=_start_reason,
        key_dates=("episode_start", "poc_start"),
        parameters=(PERIODS_OF_CARE,),
        period_types=("month", "latest"),
        month_window="fytd",
        latest_window="fytd",
        distinct="child_id",
    ),
    MeasureDef(
        id="cla_ceased_in_year",
        title="Children ceasing to be looked after",
        area=AREA,
        definition=(
            "Children who ceased to be looked after in the period (including on turning 18), counted as DfE counts "
            "them: an episode that ended with a reason episode ceased (REC) other than X1 is a cessation; an "
            "episode ending X1 (a new episode begins the same day) is not, whatever the dates say. Short breaks "
            "(V3 or V4) are never cessations. A child counts once (DfE counts the last occasion in the year; the "
            "count is the same). Where the REC and the dates disagree (X1 but no episode starts that day, DfE rule "
            "388; a cessation but the next episode starts the same day without RNE S) the figure follows the code "
            "and the drill-down lists the episode with the reason in words; where REC is blank the dates decide (a "
            "cessation when no episode follows on). Cumulative from 1 April (`fytd`). With `periods_of_care` set to `gap` "
            "(local, not DfE's) a cessation is the last day of a run of episodes with no gap, the codes ignored."
        ),
        unit="count",
        polarity="within_range",
        numerator="children who ceased to be looked after in the period",
        denominator="none",
        tables=("cla_episodes",),
        source=DFE_CLA,
        lait="392",
        dfe=(
            "Children who ceased to be looked after in the year ending 31 March: an episode "
            "ending with a reason ceased other than X1 (short breaks excluded); a child counted once,"
            " by the last occasion. 'Children ceasing to be looked after each year'; LAIT 392."
        ),
        dfe_difference=(
            "None for the financial year (`fytd` at March). A child who ceased"
            " twice is counted once as DfE counts them, but breakdowns take the first cessation in "
            "the year and DfE's the last, so such a child can fall in another cell."
        ),
        kind="flow",
        records=_ceased,
        reason=_ceased_reason,
        key_dates=("episode_end", "poc_start"),
        parameters=(PERIODS_OF_CARE,),
        breakdowns=("team", "age_band", "legal_status"),
        period_types=_FLOW_DISTINCT,
        latest_window="fytd",
        distinct="child_id",
    ),
    MeasureDef(
        id="cla_ceased_rate_per_10k",
        title="Children ceasing to be looked after per 10,000 (projected for the year)",
        area=AREA,
        definition="Children ceasing to be looked after (as `cla_ceased_in_year`) per 10,000 children aged 0-17, projected for the financial year: each month, children who ceased from 1 April to the month's end ÷ months elapsed × 12 ÷ population × 10,000. Cessations as `periods_of_care` says (DfE's codes by default).",
        unit="rate_per_10k",
        polarity="within_range",
        numerator="children who ceased to be looked after in the period",
        denominator="0-17 population × months elapsed ÷ 12",
        tables=("cla_episodes", "population"),
        source=DFE_CLA,
        lait="392",
        dfe=(
            "Children ceasing to be looked after in the year ending 31 March ÷ ONS mid-year "
            "population aged 0-17 of the year before (mid-2024 for the year ending 31 March 2025) × "
            "10,000. LAIT 392."
        ),
        dfe_difference=(
            "In-year the monthly figure is projected for the year (year to date ÷ months elapsed × "
            "12), a local convention boards read; at March, and `rolling12` for any twelve months, it"
            " is DfE's annual rate. The population is the one of the month's financial year: the "
            "mid-year estimate of the year it starts, the same one DfE uses."
        ),
        kind="flow",
        records=_ceased,
        reason=_ceased_reason,
        key_dates=("episode_end", "poc_start"),
        parameters=(PERIODS_OF_CARE,),
        period_types=("month", "latest"),
        month_window="fytd",
        latest_window="fytd",
        distinct="child_id",
    ),
    MeasureDef(
        id="cla_3plus_placements_pct",
        title="Children looked after with 3 or more placements in 12 months (%)",
        area=AREA,
        definition=(
            "Of the children looked after at the date, the percentage with `placements` or more placements "
            "during the 12 months to the date (open at any time from the day after the date a year earlier to "
            "the date), counting placements in earlier periods of care too. A placement is a change of carer "
            "(RNE S, P, T or B); changes of legal status only (L) or placement with the same carer (U), and "
            "being placed for adoption with the current foster carer (A3, A5), are not new placements; temporary "
            "placements (T0–T4) are not counted. A new period of care (as `periods_of_care` finds it, DfE's codes by default) starts a new placement."
        ),
        unit="percent",
        polarity="lower_is_better",
        numerator="children looked after with 3 or more placements in the 12 months",
        denominator="children looked after at the date",
        tables=("cla_episodes",),
        source=DFE_CLA,
        lait="372",
        dfe=(
            "Of the children looked after at 31 March (not short breaks), the percentage with "
            "three or more placements during the year (1 April to 31 March), counting the placement "
            "open on 1 April and the one open at 31 March; temporary placements (T0-T4) and a child "
            "being placed for adoption with their existing foster carers are not counted as "
            "placements. la_cla_placement_stability 'With 3 or more placements during the year'; LAIT"
            " 372."
        ),
        dfe_difference=(
            "None at 31 March, where the extract holds the episodes back to 1 April; at other month "
            "ends the 12 months to the date. A new placement is told by RNE (S, P, T, B; not L or U) "
            "and, where recorded, the carer; placed for adoption with the current foster carer (A3, "
            "A5) is the same placement."
        ),
        kind="snapshot",
        records=_three_plus,
        reason=_three_plus_reason,
        key_dates=("at", "window_start", "placement_start"),
        parameters=(PERIODS_OF_CARE, Parameter("placements", 3, "how many placements count as unstable"),),
        breakdowns=_CLA_DIMS,
    ),
    MeasureDef(
        id="cla_long_term_stability_pct",
        title="Long-term placement stability (%)",
        area=AREA,
        definition=(
            "Of the children looked after at the date who are under 16 and have been looked after continuously "
            "for 2½ years or more (their period of care started on or before the date 2 years 6 months earlier), "
            "the percentage who have been in the same placement for 2 years or more, or are placed for adoption "
            "(A3–A6) and their adoptive placement together with the placement before it lasted 2 years or more. "
            "A change of legal status, or of placement with the same carer (RNE U), does not start a new placement. \"Looked after continuously\" is the period of care as `periods_of_care` finds it: by DfE's codes (default), a short break or a change of legal status does not interrupt it, a cessation (REC other than X1) does."
        ),
        unit="percent",
        polarity="higher_is_better",
        numerator="those in the same placement 2+ years, or placed for adoption",
        denominator="children looked after under 16 who have been looked after 2½ years or more",
        tables=("cla_episodes", "children"),
        source=DFE_CLA,
        lait="393",
        dfe=(
            "Of the children looked after at 31 March aged under 16 who had been looked after "
            "continuously for at least 2½ years, the percentage living in the same placement for at "
            "least 2 years, or placed for adoption with their adoptive placement and the placement "
            "before it together lasting at least 2 years. la_cla_placement_stability 'Living with the"
            " same carer for at least 2 years'; LAIT 393."
        ),
        dfe_difference=(
            "None at 31 March, where the extract holds the whole period of care; the same rule at "
            "every month end."
        ),
        kind="snapshot",
        records=_long_term,
        reason=_long_term_reason,
        key_dates=("at", "poc_start", "placement_start", "previous_placement_start"),
        parameters=(PERIODS_OF_CARE,),
        breakdowns=_CLA_DIMS,
    ),
    MeasureDef(
        id="cla_reviews_in_timescale_pct",
        title="Looked-after reviews in timescale (%)",
        area=AREA,
        definition=(
            "Of the children looked after at the date, the percentage whose reviews are in timescale (regulation "
            "33): the latest review in this period of care was held by its due date and the next is not overdue. "
            "The first review is due within `first_review_working_days` working days of starting to be looked "
            "after, the second within `second_review_months` months of the first, then each within "
            "`review_interval_months` months of the one before. A review on its due date is on time. Unlike the "
            "DfE child protection measure, a late review stops counting against the child once the next review "
            "is held on time (for children in care for years, 'every review ever on time' says little about "
            "current practice). The period of care is found by `periods_of_care` (DfE's codes by default)."
        ),
        unit="percent",
        polarity="higher_is_better",
        numerator="children looked after whose reviews have all been on time",
        denominator="children looked after at the date",
        tables=("cla_episodes", "cla_reviews"),
        source=f"{REGS}, regulation 33",
        kind="snapshot",
        records=_reviews,
        reason=lambda params: current_review_reason("Review"),
        key_dates=("at", "poc_start", "last_anchor", "last_due", "next_due"),
        parameters=(
            PERIODS_OF_CARE,
            Parameter("first_review_working_days", 20, "working days from the start of care to the first review"),
            Parameter("second_review_months", 3, "months from the first review to the second"),
            Parameter("review_interval_months", 6, "months allowed between later reviews"),
        ),
        breakdowns=_CLA_DIMS,
    ),
    MeasureDef(
        id="cla_visits_in_timescale_pct",
        title="Looked-after visits in timescale (%)",
        area=AREA,
        definition=(
            "Of the children looked after at the date, the percentage whose statutory visit is not overdue "
            "(regulation 28): with no visit since the current placement started, the first is due within "
            "`first_visit_days` days of the placement; after that, each within `interval_days` days of the last "
            "in the placement's first year, and where the placement is long-term (intended to last until 18: "
            "placement types `long_term_placement_types`) within `long_term_interval_months` months after the "
            "first year. Visits count when the child was seen. Placements are found within periods of care as `periods_of_care` says (DfE's codes by default)."
        ),
        unit="percent",
        polarity="higher_is_better",
        numerator="children looked after whose visit is not overdue at the date",
        denominator="children looked after at the date",
        tables=("cla_episodes", "visits"),
        source=f"{REGS}, regulation 28",
        kind="snapshot",
        records=_visits,
        reason=lambda params: visit_reason("CLA visit", "the placement started", "placement_start"),
        key_dates=("at", "placement_start", "last_visit", "due"),
        parameters=(
            PERIODS_OF_CARE,
            Parameter("first_visit_days", 7, "days from the start of a placement to the first visit"),
            Parameter("interval_days", 42, "days allowed between visits (6 weeks)"),
            Parameter("long_term_interval_months", 3, "months allowed between visits in a long-term placement after its first year"),
            Parameter("long_term_placement_types", ["U1", "U4"], "placement types intended to last until 18"),
        ),
        breakdowns=_CLA_DIMS,
    ),
)
