"""Child protection plans, their reviews and visits; children in need plans and visits."""

from __future__ import annotations

from typing import Any

import polars as pl

from journey.engine.measures.base import (
    Context,
    Periods,
    active_unique,
    fmt_date,
    group_ids,
    shift_in_group,
    with_age,
)
from journey.engine.measures.registry import MeasureDef, Parameter, register
from journey.engine.measures.timeliness import (
    attach_last_visit,
    attach_reviews,
    review_links,
    review_reason,
    review_status,
    seen_visits,
    visit_reason,
)
from journey.engine.periods import add_working_days_expr

AREA = "protection"
DFE_CIN = "DfE Characteristics of children in need statistics (CIN census)"
WT = "Working Together to Safeguard Children 2023"
_FLOW = ("month", "fytd", "rolling12", "latest")


def _plans_at(ctx: Context, periods: Periods, table: str) -> pl.LazyFrame:
    """Plans open at each evaluation date, one per child (the latest started)."""

    def build() -> pl.LazyFrame:
        id_col = "cp_plan_id" if table == "cp_plans" else "cin_plan_id"
        recs = active_unique(
            ctx.table(table), "child_id", "start_date", "end_date", periods.points(), periods, ["start_date", id_col]
        )
        return with_age(recs, ctx, "at")

    return ctx.cached_at(table, periods, build)


def _cp_at(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    return _plans_at(ctx, periods, "cp_plans").with_columns(
        pl.coalesce("latest_category", "initial_category").alias("cp_category"),
        pl.lit(1.0).alias("num"),
        pl.lit(0.0).alias("den"),
    )


def _plan_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format("On a plan at {}: started {}", fmt_date("at"), fmt_date("start_date"))


def _cp_starts(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    def build() -> pl.LazyFrame:
        p = cp_history(ctx).with_columns(pl.col("start_date").alias("date"), pl.col("initial_category").alias("cp_category"))
        return with_age(p, ctx, "date")

    return ctx.cached("cp_starts", build).with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


def _cp_ends(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    def build() -> pl.LazyFrame:
        p = ctx.table("cp_plans").filter(pl.col("end_date").is_not_null())
        p = p.with_columns(
            pl.col("end_date").alias("date"),
            pl.coalesce("latest_category", "initial_category").alias("cp_category"),
            (pl.col("end_date") - pl.col("start_date")).dt.total_days().alias("days_on_plan"),
        )
        return with_age(p, ctx, "date")

    return ctx.cached("cp_ends", build).with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


def _start_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format("Plan started {} (category {})", fmt_date("start_date"), pl.col("cp_category").fill_null("not recorded"))


def _end_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "Plan ended {} after {} days (started {})", fmt_date("end_date"), pl.col("days_on_plan"), fmt_date("start_date")
    )


def cp_history(ctx: Context) -> pl.LazyFrame:
    """Every CP plan with the start of the child's previous plan in the extract."""

    def build() -> pl.LazyFrame:
        p = ctx.table("cp_plans").sort("child_id", "start_date", "cp_plan_id").with_columns(
            group_ids("child_id").alias("_g")
        )
        return p.with_columns(shift_in_group(pl.col("start_date"), "_g").alias("previous_plan_start")).drop("_g")

    return ctx.cached("cp_history", build)


def _second_plans(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    has_previous = pl.col("previous_plan_start").is_not_null() | (pl.col("previous_plans").fill_null(0) > 0)
    return _cp_starts(ctx, periods, params).with_columns(
        has_previous.cast(pl.Float64).alias("num"), pl.lit(1.0).alias("den")
    )


def _second_reason(params: dict[str, Any]) -> pl.Expr:
    return (
        pl.when(pl.col("previous_plan_start").is_not_null())
        .then(pl.format("Second or later plan: started {}, previous plan started {}", fmt_date("start_date"), fmt_date("previous_plan_start")))
        .when(pl.col("previous_plans").fill_null(0) > 0)
        .then(pl.format("Second or later plan: started {}, {} previous plans recorded", fmt_date("start_date"), pl.col("previous_plans")))
        .otherwise(pl.format("First plan: started {}, no previous plan", fmt_date("start_date")))
    )


#: DfE's "2 years or more" for a child protection plan (LAIT 264 and 98): more than 729
#: calendar days from the plan's start to the date (or its end).
TWO_YEARS_DAYS = 729


def _open_2y(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    days = (pl.col("at") - pl.col("start_date")).dt.total_days()
    return _cp_at(ctx, periods, params).with_columns(
        days.alias("days_on_plan"),
        (days > TWO_YEARS_DAYS).cast(pl.Float64).alias("num"),
        pl.lit(1.0).alias("den"),
    )


def _open_2y_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "On a plan since {}: {} days at {}{}",
        fmt_date("start_date"),
        pl.col("days_on_plan"),
        fmt_date("at"),
        pl.when(pl.col("num") > 0).then(pl.lit(" (2 years or more: over 729 days)")).otherwise(pl.lit(" (under 2 years: 729 days or fewer)")),
    )


def _ceased_2y(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    return _cp_ends(ctx, periods, params).with_columns(
        (pl.col("days_on_plan") > TWO_YEARS_DAYS).cast(pl.Float64).alias("num"), pl.lit(1.0).alias("den")
    )


def _cp_reviews(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    first, interval = int(params["first_review_months"]), int(params["review_interval_months"])
    plans = ctx.table("cp_plans").select("cp_plan_id", pl.col("start_date").alias("start"), pl.col("end_date").alias("end"))
    reviews = ctx.table("cp_reviews").select("cp_plan_id", "review_date", pl.col("flagged").alias("review_flagged"))

    def due(seq: pl.Expr, anchor: pl.Expr) -> pl.Expr:
        return pl.when(seq == 0).then(anchor.dt.offset_by(f"{first}mo")).otherwise(anchor.dt.offset_by(f"{interval}mo"))

    links = review_links(plans, reviews, "cp_plan_id", due)
    status = review_status(links, "cp_plan_id")
    recs = _cp_at(ctx, periods, params).filter(
        pl.col("start_date") <= pl.col("at").dt.offset_by(f"-{int(params['minimum_months'])}mo")
    ).with_columns(pl.col("start_date").alias("start"))
    recs = attach_reviews(recs, links, status, "cp_plan_id")
    return recs.with_columns(pl.col("in_time").cast(pl.Float64).alias("num"), pl.lit(1.0).alias("den"))


def _visits(ctx: Context, periods: Periods, params: dict[str, Any], table: str, visit_type: str) -> pl.LazyFrame:
    limit = int(params["working_days"])
    recs = _plans_at(ctx, periods, table)
    recs = attach_last_visit(recs, seen_visits(ctx, visit_type), "start_date")
    due = add_working_days_expr(pl.coalesce("last_visit", "start_date"), limit)
    recs = recs.with_columns(due.alias("due")).with_columns((pl.col("due") >= pl.col("at")).alias("in_time"))
    if table == "cp_plans":
        recs = recs.with_columns(pl.coalesce("latest_category", "initial_category").alias("cp_category"))
    return recs.with_columns(pl.col("in_time").cast(pl.Float64).alias("num"), pl.lit(1.0).alias("den"))


def _cp_visits(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    return _visits(ctx, periods, params, "cp_plans", "CP")


def _cin_visits(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    return _visits(ctx, periods, params, "cin_plans", "CIN")


def _cin_at(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    return _plans_at(ctx, periods, "cin_plans").with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


_CP_DIMS = ("team", "cp_category", "age_band")
_RATE_NOTE = "per 10,000 children aged 0-17 in the month's financial year"

register(
    MeasureDef(
        id="cp_plans_count",
        title="Children on child protection plans",
        area=AREA,
        definition="Children subject to a child protection plan at the date (plan started on or before it and not ended before the end of the day). A child counts once.",
        unit="count",
        polarity="within_range",
        numerator="children on a CP plan at the date",
        denominator="none",
        tables=("cp_plans",),
        source=DFE_CIN,
        lait="377",
        dfe=(
            "Children who were the subject of a child protection plan at 31 March: a plan "
            "started on or before 31 March with no end date by then (a plan ending on 31 March has "
            "ended; one starting on 31 March is open); each child once; unborn children with a plan "
            "included. Table D5 `CPP_At31`; LAIT 377."
        ),
        dfe_difference=(
            "None at 31 March; the same count at every month end."
        ),
        kind="snapshot",
        records=_cp_at,
        reason=_plan_reason,
        key_dates=("at", "start_date", "end_date"),
        breakdowns=_CP_DIMS,
        record_id="cp_plan_id",
    ),
    MeasureDef(
        id="cp_plans_rate_per_10k",
        title="Children on child protection plans per 10,000",
        area=AREA,
        definition=f"Children on a child protection plan at the date, {_RATE_NOTE}.",
        unit="rate_per_10k",
        polarity="within_range",
        numerator="children on a CP plan at the date",
        denominator="0-17 population",
        tables=("cp_plans", "population"),
        source=DFE_CIN,
        lait="215",
        dfe=(
            "Children on a plan at 31 March ÷ ONS mid-year population aged 0-17 of the year "
            "before (mid-2024 for the year ending 31 March 2025) × 10,000. LAIT 215."
        ),
        dfe_difference=(
            "None at 31 March; at other month ends the same count over the population of the month's "
            "financial year."
        ),
        kind="snapshot",
        records=_cp_at,
        reason=_plan_reason,
        key_dates=("at", "start_date"),
        record_id="cp_plan_id",
    ),
    MeasureDef(
        id="cp_starts_count",
        title="Child protection plans started",
        area=AREA,
        definition="Child protection plans started in the period. Counts plans: a child with two plans starting in the period counts twice. Broken down by initial category of abuse.",
        unit="count",
        polarity="within_range",
        numerator="CP plans started in the period",
        denominator="none",
        tables=("cp_plans",),
        source=DFE_CIN,
        lait="219",
        dfe=(
            "Child protection plans starting (CPPstartDate) in the year ending 31 March, each "
            "occasion counted: a child with two plans in the year counts twice. Table D3 `CPP_start`;"
            " LAIT 219."
        ),
        dfe_difference=(
            "None for the financial year (`fytd` at March)."
        ),
        kind="flow",
        records=_cp_starts,
        reason=_start_reason,
        key_dates=("start_date",),
        breakdowns=_CP_DIMS,
        period_types=_FLOW,
        latest_window="fytd",
        record_id="cp_plan_id",
    ),
    MeasureDef(
        id="cp_ends_count",
        title="Child protection plans ended",
        area=AREA,
        definition="Child protection plans that ended in the period. Counts plans.",
        unit="count",
        polarity="within_range",
        numerator="CP plans ended in the period",
        denominator="none",
        tables=("cp_plans",),
        source=DFE_CIN,
        lait="16",
        dfe=(
            "Child protection plans ending (CPPendDate) in the year ending 31 March, each "
            "occasion counted. LAIT 16."
        ),
        dfe_difference=(
            "None for the financial year (`fytd` at March)."
        ),
        kind="flow",
        records=_cp_ends,
        reason=_end_reason,
        key_dates=("start_date", "end_date"),
        breakdowns=_CP_DIMS,
        period_types=_FLOW,
        latest_window="fytd",
        record_id="cp_plan_id",
    ),
    MeasureDef(
        id="cp_second_plan_pct",
        title="Second or subsequent child protection plans (%)",
        area=AREA,
        definition=(
            "Of the child protection plans started in the period, the percentage where the child had been "
            "on a plan before, however long ago: an earlier plan in the extract, or a recorded number of "
            "previous plans (NumberOfPreviousCPP) above zero. Counts plan starts (occasions), not children."
        ),
        unit="percent",
        polarity="lower_is_better",
        numerator="CP plan starts where the child had a previous plan",
        denominator="CP plan starts in the period",
        tables=("cp_plans",),
        source=DFE_CIN,
        lait="15",
        dfe=(
            "Of the plans starting in the year ending 31 March (each occasion), the percentage "
            "where the child had been the subject of a plan before, however long ago. Table D3 "
            "`CPP_subsequent_percent`; LAIT 15."
        ),
        dfe_difference=(
            "None for the financial year (`fytd` at March), where the extract "
            "holds the child's earlier plans or records NumberOfPreviousCPP: an earlier plan that is "
            "neither in the extract nor recorded cannot be seen."
        ),
        kind="flow",
        records=_second_plans,
        reason=_second_reason,
        key_dates=("start_date", "previous_plan_start"),
        breakdowns=_CP_DIMS,
        period_types=_FLOW,
        latest_window="fytd",
        record_id="cp_plan_id",
    ),
    MeasureDef(
        id="cp_plans_2y_open_pct",
        title="Open child protection plans lasting 2 years or more (%)",
        area=AREA,
        definition=(
            "Of the children on a child protection plan at the date, the percentage who had been on it for 2 years "
            "or more: more than 729 days from the plan's start to the date, DfE's definition (at 31 March 2025, a "
            "plan from 1 April 2023 has lasted 730 days and counts; one from 2 April 2023, 729 days, does not)."
        ),
        unit="percent",
        polarity="lower_is_better",
        numerator="children on a CP plan for more than 729 days at the date",
        denominator="children on a CP plan at the date",
        tables=("cp_plans",),
        source=DFE_CIN,
        lait="264",
        dfe=(
            "Of the children on a plan at 31 March, the percentage who had been on it "
            "continuously for 2 years or more, which DfE defines as more than 729 calendar days. "
            "Table D5 `2_years_or_more_percent`; LAIT 264."
        ),
        dfe_difference=(
            "None at 31 March; the same rule at every month end. At 31 March 2025 a plan from 1 April"
            " 2023 (730 days) has lasted 2 years; one from 2 April 2023 (729 days) has not."
        ),
        kind="snapshot",
        records=_open_2y,
        reason=_open_2y_reason,
        key_dates=("at", "start_date"),
        breakdowns=_CP_DIMS,
        record_id="cp_plan_id",
    ),
    MeasureDef(
        id="cp_plans_ceased_2y_pct",
        title="Plans ending that lasted 2 years or more (%)",
        area=AREA,
        definition="Of the child protection plans that ended in the period, the percentage that had lasted more than 729 days (end date minus start date), DfE's definition of 2 years or more.",
        unit="percent",
        polarity="lower_is_better",
        numerator="CP plans ended in the period that lasted more than 729 days",
        denominator="CP plans ended in the period",
        tables=("cp_plans",),
        source=DFE_CIN,
        lait="98",
        dfe=(
            "Of the plans ending in the year ending 31 March (each occasion), the percentage "
            "that had lasted more than 729 calendar days (end date minus start date). LAIT 98."
        ),
        dfe_difference=(
            "None for the financial year (`fytd` at March)."
        ),
        kind="flow",
        records=_ceased_2y,
        reason=_end_reason,
        key_dates=("start_date", "end_date"),
        breakdowns=_CP_DIMS,
        period_types=_FLOW,
        latest_window="fytd",
        record_id="cp_plan_id",
    ),
    MeasureDef(
        id="cp_reviews_in_timescale_pct",
        title="Child protection plans reviewed in timescale (%)",
        area=AREA,
        definition=(
            "Of the children on a child protection plan at the date who had been on it for `minimum_months` "
            "months or more, the percentage whose review conferences had all been on time: the first within "
            "`first_review_months` months of the plan's start (the initial conference), then each within "
            "`review_interval_months` months of the one before, and none overdue at the date. A review held "
            "exactly on its due date is on time. Once a review is late the plan stays out of timescale (DfE "
            "counts plans whose reviews were *all* on time)."
        ),
        unit="percent",
        polarity="higher_is_better",
        numerator="children on a plan 3+ months whose reviews were all on time",
        denominator="children on a plan for 3 months or more at the date",
        tables=("cp_plans", "cp_reviews"),
        source=f"{DFE_CIN}; {WT}",
        lait="19",
        dfe=(
            "Of the children on a plan at 31 March who had been on it for at least 3 months, the"
            " percentage whose plan had been reviewed within the required timescales throughout: the "
            "first review within 3 months of the plan's start, then at intervals of no more than 6 "
            "months. LAIT 19."
        ),
        dfe_difference=(
            "None at 31 March; the same rule at every month end. A review held on its due date is on "
            "time."
        ),
        kind="snapshot",
        records=_cp_reviews,
        reason=lambda params: review_reason("Review"),
        key_dates=("at", "start_date", "last_anchor", "next_due", "missed_due", "late_review"),
        parameters=(
            Parameter("first_review_months", 3, "months from the plan's start to the first review"),
            Parameter("review_interval_months", 6, "months allowed between later reviews"),
            Parameter("minimum_months", 3, "months on the plan before a child is counted"),
        ),
        breakdowns=_CP_DIMS,
        record_id="cp_plan_id",
    ),
    MeasureDef(
        id="cp_visits_in_timescale_pct",
        title="Child protection visits in timescale (%)",
        area=AREA,
        definition=(
            "Of the children on a child protection plan at the date, the percentage whose statutory visit is "
            "not overdue: the last child protection visit at which the child was seen, since the plan started, "
            "was within `working_days` working days of the date (or, with no visit yet, the plan started within "
            "that many working days). Visits where the child was not seen do not count; a visit whose 'seen' is "
            "not recorded counts."
        ),
        unit="percent",
        polarity="higher_is_better",
        numerator="children on a CP plan whose visit is not overdue at the date",
        denominator="children on a CP plan at the date",
        tables=("cp_plans", "visits"),
        source="local (council practice standard; Working Together 2023 leaves the frequency to the plan)",
        kind="snapshot",
        records=_cp_visits,
        reason=lambda params: visit_reason("CP visit", "the plan started", "start_date"),
        key_dates=("at", "start_date", "last_visit", "due"),
        parameters=(Parameter("working_days", 10, "working days allowed between visits"),),
        breakdowns=_CP_DIMS,
        record_id="cp_plan_id",
    ),
    MeasureDef(
        id="cin_plans_count",
        title="Children on child in need plans",
        area=AREA,
        definition=(
            "Children with a child in need plan open at the date (CIN census CINPlanDates), each once, whatever "
            "else is open for them. Not DfE's count of children in need, which is every open CIN episode."
        ),
        unit="count",
        polarity="within_range",
        numerator="children on a CIN plan at the date",
        denominator="none",
        tables=("cin_plans",),
        source="local (CIN census CINPlanDates; DfE publishes no figure for it)",
        dfe=(
            "The CIN census records CIN plans (CINPlanDates, since 2022), but DfE's headline "
            "children in need figure (table B1 `At31_episodes`, LAIT 171) counts every CIN episode "
            "open at 31 March (referral to closure), including children on protection plans, looked "
            "after, or receiving other services."
        ),
        dfe_difference=(
            "Not a DfE figure: children with a CIN plan open at the date, each once. Not comparable "
            "with DfE's children in need count or rate."
        ),
        kind="snapshot",
        records=_cin_at,
        reason=_plan_reason,
        key_dates=("at", "start_date", "end_date"),
        breakdowns=("team", "age_band"),
        record_id="cin_plan_id",
    ),
    MeasureDef(
        id="cin_visits_in_timescale_pct",
        title="Child in need visits in timescale (%)",
        area=AREA,
        definition=(
            "Of the children on a child in need plan at the date, the percentage whose last child in need visit "
            "(child seen) since the plan started was within `working_days` working days of the date (or, with no "
            "visit yet, the plan started within that many working days)."
        ),
        unit="percent",
        polarity="higher_is_better",
        numerator="children on a CIN plan whose visit is not overdue at the date",
        denominator="children on a CIN plan at the date",
        tables=("cin_plans", "visits"),
        source="local (council practice standard)",
        kind="snapshot",
        records=_cin_visits,
        reason=lambda params: visit_reason("CIN visit", "the plan started", "start_date"),
        key_dates=("at", "start_date", "last_visit", "due"),
        parameters=(Parameter("working_days", 20, "working days allowed between visits"),),
        breakdowns=("team", "age_band"),
        record_id="cin_plan_id",
    ),
)
