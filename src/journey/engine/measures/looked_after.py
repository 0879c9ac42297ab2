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
TIME_IN_PLACEMENT = ("0-3 months", "3-6 months", "6-12 months", "1-2 years", "2 years or more")


def episodes(ctx: Context) -> pl.LazyFrame:
    """Looked-after episodes without short breaks, each with its period of care and
    placement: poc_no, poc_start, poc_end, poc_key, placement_no, placement_start."""

    def build() -> pl.LazyFrame:
        e = (
            ctx.table("cla_episodes")
            .filter(~pl.col("legal_status").is_in(list(SHORT_BREAK_LEGAL_STATUS)).fill_null(False))
            .sort("child_id", "episode_start", "episode_end", nulls_last=True)
            .with_columns(group_ids("child_id").alias("_g"))
        )
        end_f = pl.col("episode_end").fill_null(FAR_FUTURE)
        prev_max = shift_in_group(running_max_date(end_f, "_g"), "_g")
        e = e.with_columns(
            (prev_max.is_null() | (pl.col("episode_start") > prev_max)).alias("_new_poc"),
            shift_in_group(pl.col("placement_type"), "_g").alias("_prev_type"),
            shift_in_group(pl.col("carer_id"), "_g").alias("_prev_carer"),
        )
        same_carer = (pl.col("carer_id").is_not_null() & (pl.col("carer_id") == pl.col("_prev_carer"))).fill_null(False)
        carer_changed = (
            pl.col("carer_id").is_not_null() & pl.col("_prev_carer").is_not_null() & (pl.col("carer_id") != pl.col("_prev_carer"))
        )
        new_placement = (
            pl.col("_new_poc")
            | (pl.col("reason_new_episode").is_in(list(NEW_CARER)).fill_null(False) & ~same_carer)
            | (
                pl.col("reason_new_episode").is_null()
                & (pl.col("placement_type").ne_missing(pl.col("_prev_type")) | carer_changed)
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
        return e.drop("_new_poc", "_prev_type", "_prev_carer", "_g")

    return ctx.cached("cla_episodes", build)


def placements(ctx: Context) -> pl.LazyFrame:
    """One row per placement: child, placement_no, start, end, first type, previous
    placement start in the same period of care, flagged."""

    def build() -> pl.LazyFrame:
        p = (
            episodes(ctx)
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

    return ctx.cached("cla_placements", build)


def periods_of_care(ctx: Context) -> pl.LazyFrame:
    def build() -> pl.LazyFrame:
        return (
            episodes(ctx)
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

    return ctx.cached("cla_periods_of_care", build)


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


def cla_at(ctx: Context, periods: Periods) -> pl.LazyFrame:
    """Children looked after at each evaluation date (one row each: the latest-starting
    open episode), with placement and period-of-care dates."""

    def build() -> pl.LazyFrame:
        recs = active_unique(
            episodes(ctx), "child_id", "episode_start", "episode_end", periods.points(), periods, ["episode_start"]
        )
        return with_age(recs, ctx, "at").with_columns(time_in_placement_expr().alias("time_in_placement"))

    return ctx.cached_at("cla_at", periods, build)


def _cla(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    return cla_at(ctx, periods).with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


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
    p = periods_of_care(ctx).with_columns(pl.col("poc_start").alias("date"))
    return with_age(p, ctx, "date").with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


def _ceased(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    p = periods_of_care(ctx).filter(pl.col("poc_end").is_not_null()).with_columns(pl.col("poc_end").alias("date"))
    return with_age(p, ctx, "date").with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


def _start_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format("Started to be looked after {}", fmt_date("poc_start"))


def _ceased_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format("Ceased to be looked after {} (in care since {})", fmt_date("poc_end"), fmt_date("poc_start"))


def _three_plus(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    threshold = int(params["placements"])
    recs = cla_at(ctx, periods)
    pls = placements(ctx).filter(~pl.col("placement_type").is_in(list(TEMPORARY_PLACEMENTS)).fill_null(False))
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
    recs = cla_at(ctx, periods).filter(
        (pl.col("age") < 16) & (pl.col("poc_start") <= pl.col("at").dt.offset_by("-2y6mo"))
    )
    prev = placements(ctx).select("child_id", "placement_no", "previous_placement_start")
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
    pocs = periods_of_care(ctx)
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
    recs = cla_at(ctx, periods).with_columns(pl.col("poc_start").alias("start"))
    recs = attach_reviews(recs, links, status, "poc_key", mode="current")
    return recs.with_columns(pl.col("in_time").cast(pl.Float64).alias("num"), pl.lit(1.0).alias("den"))


def _visits(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    first_days, interval = int(params["first_visit_days"]), int(params["interval_days"])
    lt_months = int(params["long_term_interval_months"])
    long_term_types = list(params["long_term_placement_types"])
    recs = attach_last_visit(cla_at(ctx, periods), seen_visits(ctx, "CLA"), "placement_start")
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


_CLA_DIMS = ("team", "age_band", "placement_type", "placement_provider", "time_in_placement", "legal_status")
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
            "the date: type, provider and time in the current placement."
        ),
        unit="count",
        polarity="within_range",
        numerator="children looked after at the date",
        denominator="none",
        tables=("cla_episodes",),
        source=DFE_CLA,
        lait="332",
        kind="snapshot",
        records=_cla,
        reason=_cla_reason,
        key_dates=("at", "poc_start", "placement_start", "episode_start"),
        breakdowns=_CLA_DIMS,
    ),
    MeasureDef(
        id="cla_rate_per_10k",
        title="Children looked after per 10,000",
        area=AREA,
        definition="Children looked after at the date (as `cla_count`) per 10,000 children aged 0-17 in the month's financial year.",
        unit="rate_per_10k",
        polarity="within_range",
        numerator="children looked after at the date",
        denominator="0-17 population",
        tables=("cla_episodes", "population"),
        source=DFE_CLA,
        lait="124",
        kind="snapshot",
        records=_cla,
        reason=_cla_reason,
        key_dates=("at", "poc_start"),
    ),
    MeasureDef(
        id="cla_starts_in_year",
        title="Children starting to be looked after",
        area=AREA,
        definition=(
            "Children who started a period of care (not a short break) in the period; a child who starts twice "
            "counts once (in the financial year to date: from their first start in the year). A change of "
            "placement or legal status within a period of care is not a start. Cumulative from 1 April (`fytd`); "
            "`month` gives the month alone."
        ),
        unit="count",
        polarity="within_range",
        numerator="children who started to be looked after in the period",
        denominator="none",
        tables=("cla_episodes",),
        source=DFE_CLA,
        lait="376",
        kind="flow",
        records=_starts,
        reason=_start_reason,
        key_dates=("poc_start",),
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
            "÷ months elapsed × 12 ÷ population × 10,000."
        ),
        unit="rate_per_10k",
        polarity="within_range",
        numerator="children who started to be looked after in the period",
        denominator="0-17 population × months elapsed ÷ 12",
        tables=("cla_episodes", "population"),
        source=DFE_CLA,
        lait="376",
        kind="flow",
        records=_starts,
        reason=_start_reason,
        key_dates=("poc_start",),
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
            "Children whose period of care ended in the period (including on turning 18); a child counts once. "
            "An episode ending with X1 (a new episode the same day) is not a cessation. Cumulative from 1 April "
            "(`fytd`)."
        ),
        unit="count",
        polarity="within_range",
        numerator="children who ceased to be looked after in the period",
        denominator="none",
        tables=("cla_episodes",),
        source=DFE_CLA,
        lait="392",
        kind="flow",
        records=_ceased,
        reason=_ceased_reason,
        key_dates=("poc_start", "poc_end"),
        breakdowns=("team", "age_band", "legal_status"),
        period_types=_FLOW_DISTINCT,
        latest_window="fytd",
        distinct="child_id",
    ),
    MeasureDef(
        id="cla_ceased_rate_per_10k",
        title="Children ceasing to be looked after per 10,000 (projected for the year)",
        area=AREA,
        definition="Children ceasing to be looked after (as `cla_ceased_in_year`) per 10,000 children aged 0-17, projected for the financial year: each month, children who ceased from 1 April to the month's end ÷ months elapsed × 12 ÷ population × 10,000.",
        unit="rate_per_10k",
        polarity="within_range",
        numerator="children who ceased to be looked after in the period",
        denominator="0-17 population × months elapsed ÷ 12",
        tables=("cla_episodes", "population"),
        source=DFE_CLA,
        lait="392",
        kind="flow",
        records=_ceased,
        reason=_ceased_reason,
        key_dates=("poc_start", "poc_end"),
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
            "(RNE S, P, T or B); changes of legal status only (L) or placement with the same carer (U) are not "
            "new placements; temporary placements (T0–T4) are not counted."
        ),
        unit="percent",
        polarity="lower_is_better",
        numerator="children looked after with 3 or more placements in the 12 months",
        denominator="children looked after at the date",
        tables=("cla_episodes",),
        source=DFE_CLA,
        lait="372",
        kind="snapshot",
        records=_three_plus,
        reason=_three_plus_reason,
        key_dates=("at", "window_start", "placement_start"),
        parameters=(Parameter("placements", 3, "how many placements count as unstable"),),
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
            "A change of legal status, or of placement with the same carer (RNE U), does not start a new placement."
        ),
        unit="percent",
        polarity="higher_is_better",
        numerator="those in the same placement 2+ years, or placed for adoption",
        denominator="children looked after under 16 who have been looked after 2½ years or more",
        tables=("cla_episodes", "children"),
        source=DFE_CLA,
        lait="393",
        kind="snapshot",
        records=_long_term,
        reason=_long_term_reason,
        key_dates=("at", "poc_start", "placement_start", "previous_placement_start"),
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
            "current practice)."
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
            "first year. Visits count when the child was seen."
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
            Parameter("first_visit_days", 7, "days from the start of a placement to the first visit"),
            Parameter("interval_days", 42, "days allowed between visits (6 weeks)"),
            Parameter("long_term_interval_months", 3, "months allowed between visits in a long-term placement after its first year"),
            Parameter("long_term_placement_types", ["U1", "U4"], "placement types intended to last until 18"),
        ),
        breakdowns=_CLA_DIMS,
    ),
)
