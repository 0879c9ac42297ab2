"""Assessment and section 47: assessment timeliness, S47 enquiries, initial conferences."""

from __future__ import annotations

from typing import Any

import polars as pl

from journey.engine.measures.base import Context, Periods, fmt_date, with_age
from journey.engine.measures.registry import MeasureDef, Parameter, register
from journey.engine.periods import working_days_expr

AREA = "assessment"
DFE_CIN = "DfE Characteristics of children in need statistics (CIN census)"
WT = "Working Together to Safeguard Children 2023"
_FLOW = ("month", "fytd", "rolling12", "latest")


def _assessments(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    limit = int(params["working_days"])
    a = ctx.table("assessments").filter(pl.col("authorised_date").is_not_null())
    a = a.with_columns(
        pl.col("authorised_date").alias("date"),
        working_days_expr(pl.col("start_date"), pl.col("authorised_date")).alias("working_days"),
    )
    return with_age(a, ctx, "date").with_columns(
        (pl.col("working_days") <= limit).cast(pl.Float64).alias("num"), pl.lit(1.0).alias("den")
    )


def _assessment_reason(params: dict[str, Any]) -> pl.Expr:
    limit = int(params["working_days"])
    return pl.format(
        "Assessment authorised in {} working days{} (started {}, authorised {})",
        pl.col("working_days"),
        pl.when(pl.col("working_days") <= limit).then(pl.lit("")).otherwise(pl.lit(f", over {limit}")),
        fmt_date("start_date"),
        fmt_date("authorised_date"),
    )


def _s47(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    base = ctx.cached(
        "s47_base", lambda: with_age(ctx.table("section47").with_columns(pl.col("start_date").alias("date")), ctx, "date")
    )
    return base.with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


def _s47_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "Section 47 enquiry started {} (strategy discussion {})",
        fmt_date("start_date"),
        fmt_date("strategy_discussion_date"),
    )


def icpc_with_strategy(ctx: Context) -> pl.LazyFrame:
    """Each ICPC with the strategy discussion that started its S47 enquiry: the enquiry
    named by s47_id, else the child's latest enquiry started on or before the conference
    that could have led to it (one with no conference of its own and not marked "initial
    conference not required"). The strategy date is the enquiry's strategy discussion,
    else its start date."""
    s = ctx.table("section47").select(
        "s47_id",
        pl.col("child_id").alias("s47_child"),
        pl.coalesce("strategy_discussion_date", "start_date").alias("strategy_date"),
        "team",
        "worker_id",
        pl.col("flagged").alias("s47_flagged"),
        "icpc_required",
    )
    i = ctx.table("icpcs")
    by_id = i.filter(pl.col("s47_id").is_not_null()).join(s.drop("s47_child", "icpc_required"), on="s47_id", how="left")
    # An enquiry that had its own conference, or needed none, did not lead to this one
    # (a conference for a child moving in with a plan from another council has no
    # enquiry here, and is not timed from an old one).
    with_own = i.filter(pl.col("s47_id").is_not_null()).select("s47_id").unique()
    open_enquiries = s.filter(pl.col("icpc_required").fill_null(True)).join(with_own, on="s47_id", how="anti").drop("icpc_required")
    by_child = (
        i.filter(pl.col("s47_id").is_null())
        .drop("s47_id")
        .sort("conference_date")
        .join_asof(
            open_enquiries.rename({"s47_child": "child_id"}).with_columns(pl.col("strategy_date").alias("_on")).sort("_on"),
            left_on="conference_date",
            right_on="_on",
            by="child_id",
            strategy="backward", check_sortedness=False,
        )
        .drop("_on")
    )
    cols = by_id.collect_schema().names()
    return pl.concat([by_id, by_child.select(cols)], how="vertical_relaxed").with_columns(
        (pl.col("flagged") | pl.col("s47_flagged").fill_null(False)).alias("flagged")
    )


def _icpcs(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    """Each conference timed from its enquiry's strategy discussion; a conference with no
    enquiry to time it from is kept as a note (in neither numerator nor denominator), so
    the drill-down lists it instead of dropping it."""
    limit = int(params["working_days"])
    timed = pl.col("strategy_date").is_not_null()
    i = icpc_with_strategy(ctx).with_columns(
        pl.col("conference_date").alias("date"),
        working_days_expr(pl.col("strategy_date"), pl.col("conference_date")).alias("working_days"),
        pl.when(~timed)
        .then(
            pl.lit(
                "no section 47 enquiry to time it from (none named, and none of the child's started on or "
                "before it without a conference of its own): not counted"
            )
        )
        .alias("quality"),
    )
    return with_age(i, ctx, "date").with_columns(
        (timed & (pl.col("working_days") <= limit)).cast(pl.Float64).alias("num"),
        timed.cast(pl.Float64).alias("den"),
    )


def _icpc_reason(params: dict[str, Any]) -> pl.Expr:
    limit = int(params["working_days"])
    return (
        pl.when(pl.col("strategy_date").is_null())
        .then(pl.format("Initial conference {} not timed: {}", fmt_date("conference_date"), pl.col("quality")))
        .otherwise(
            pl.format(
                "Initial conference {} working days after the strategy discussion{} (strategy {}, conference {})",
                pl.col("working_days"),
                pl.when(pl.col("working_days") <= limit).then(pl.lit("")).otherwise(pl.lit(f", over {limit}")),
                fmt_date("strategy_date"),
                fmt_date("conference_date"),
            )
        )
    )


register(
    MeasureDef(
        id="assessments_45wd_pct",
        title="Assessments completed within 45 working days (%)",
        area=AREA,
        definition=(
            "Of the child and family assessments authorised in the period, the percentage authorised within "
            "`working_days` working days of the assessment's start (AssessmentActualStartDate to "
            "AssessmentAuthorisationDate; the start day is not counted, the authorisation day is). Counted by "
            "authorisation date, as DfE does; the clock starts at the assessment start, which is normally the "
            "referral date. Assessments not yet authorised are not counted (see the drill-down of open work)."
        ),
        unit="percent",
        polarity="higher_is_better",
        numerator="assessments authorised in the period within 45 working days of their start",
        denominator="assessments authorised in the period",
        tables=("assessments",),
        source=f"{DFE_CIN}; {WT}",
        lait="304",
        dfe=(
            "Of the assessments completed (AssessmentAuthorisationDate) in the year ending 31 "
            "March, the percentage whose duration from AssessmentActualStartDate was 45 working days "
            "or fewer (weekends and England bank holidays not counted); counts assessments, not "
            "children. LAIT 304."
        ),
        dfe_difference=(
            "None for the financial year (`fytd` at March). The start day is "
            "not counted and the authorisation day is: an assessment authorised the day it started "
            "took 0 working days."
        ),
        kind="flow",
        records=_assessments,
        reason=_assessment_reason,
        key_dates=("start_date", "authorised_date"),
        parameters=(Parameter("working_days", 45, "the timescale in working days"),),
        breakdowns=("team", "worker", "age_band"),
        period_types=_FLOW,
        record_id="assessment_id",
    ),
    MeasureDef(
        id="s47_count",
        title="Section 47 enquiries started",
        area=AREA,
        definition="Section 47 enquiries started in the period (S47ActualStartDate). Each enquiry counts.",
        unit="count",
        polarity="within_range",
        numerator="section 47 enquiries started in the period",
        denominator="none",
        tables=("section47",),
        source=DFE_CIN,
        lait="217",
        dfe=(
            "Section 47 enquiries with S47ActualStartDate in the year ending 31 March, each "
            "enquiry counted (DfE also publishes the number of children with an enquiry, which is not"
            " this). S47ActualStartDate is the date of the strategy discussion that initiated the "
            "enquiry. LAIT 217 (as a rate)."
        ),
        dfe_difference=(
            "None for the financial year (`fytd` at March)."
        ),
        kind="flow",
        records=_s47,
        reason=_s47_reason,
        key_dates=("strategy_discussion_date", "start_date"),
        breakdowns=("team", "worker", "age_band"),
        period_types=_FLOW,
        latest_window="fytd",
        record_id="s47_id",
    ),
    MeasureDef(
        id="s47_rate_per_10k",
        title="Section 47 enquiries per 10,000 children (projected for the year)",
        area=AREA,
        definition=(
            "Section 47 enquiries started per 10,000 children aged 0-17, projected for the financial year: "
            "each month, enquiries from 1 April to the month's end ÷ months elapsed × 12 ÷ population × 10,000. "
            "`rolling12`: enquiries in the last twelve months ÷ population × 10,000. DfE publishes the annual rate."
        ),
        unit="rate_per_10k",
        polarity="within_range",
        numerator="section 47 enquiries started from 1 April to the month's end (rolling12: in the twelve months)",
        denominator="0-17 population × months elapsed ÷ 12",
        tables=("section47", "population"),
        source=DFE_CIN,
        lait="217",
        dfe=(
            "Section 47 enquiries started in the year ending 31 March ÷ ONS mid-year population "
            "aged 0-17 of the year before (mid-2024 for the year ending 31 March 2025) × 10,000. LAIT"
            " 217."
        ),
        dfe_difference=(
            "In-year the monthly figure is projected for the year (year to date ÷ months elapsed × "
            "12), a local convention boards read; at March, and `rolling12` for any twelve months, it"
            " is DfE's annual rate. The population is the one of the month's financial year: the "
            "mid-year estimate of the year it starts, the same one DfE uses."
        ),
        kind="flow",
        records=_s47,
        reason=_s47_reason,
        key_dates=("start_date",),
        period_types=("month", "rolling12", "latest"),
        month_window="fytd",
        latest_window="fytd",
        record_id="s47_id",
    ),
    MeasureDef(
        id="icpc_15wd_pct",
        title="Initial child protection conferences within 15 working days (%)",
        area=AREA,
        definition=(
            "Of the initial child protection conferences held in the period, the percentage held within "
            "`working_days` working days of the strategy discussion that started the section 47 enquiry. "
            "The enquiry is the one the conference names (s47_id), else the child's latest enquiry started on "
            "or before the conference that had no conference of its own and was not marked 'conference not "
            "required' (a child moving in on another council's plan is not timed from an old enquiry); when the "
            "strategy discussion date is missing the enquiry's start date is "
            "used. A conference with no enquiry to time it from is not counted, and is listed in the drill-down "
            "(with the reason) rather than dropped; the CIN census reader warns of each (`icpc_not_timed`). A "
            "conference the CIN census records on the CIN episode (CINdetails) belongs to the episode's section 47 "
            "enquiry: not counted again when the enquiry records one (DfE rule 2884), else timed from the "
            "episode's latest enquiry started on or before it."
        ),
        unit="percent",
        polarity="higher_is_better",
        numerator="initial conferences held within 15 working days of the strategy discussion",
        denominator="initial conferences held in the period",
        tables=("icpcs", "section47"),
        source=f"{DFE_CIN}; {WT}",
        lait="218",
        dfe=(
            "Of the initial child protection conferences held in the year ending 31 March "
            "(DateOfInitialCPC on the Section47 module), the percentage held within 15 working days "
            "of the start of the section 47 enquiry they follow (S47ActualStartDate, the strategy "
            "discussion that initiated it); each conference counted. A conference with no enquiry in "
            "the census (a child moving in on another council's plan) has nothing to time it from. "
            "LAIT 218 (and 268 for the bands of working days)."
        ),
        dfe_difference=(
            "None for the financial year (`fytd` at March) on a CIN census. "
            "Where conferences do not name their enquiry (Annex A, some local extracts) the product "
            "infers it: the child's latest enquiry started on or before the conference that had no "
            "conference of its own and was not marked 'conference not required'."
        ),
        kind="flow",
        records=_icpcs,
        reason=_icpc_reason,
        key_dates=("strategy_date", "conference_date"),
        parameters=(Parameter("working_days", 15, "the timescale in working days"),),
        breakdowns=("team", "worker", "age_band"),
        period_types=_FLOW,
        record_id="icpc_id",
    ),
)
