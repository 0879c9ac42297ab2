"""Demand and the front door: contacts, referrals, re-referrals, early help, open cases."""

from __future__ import annotations

from typing import Any

import polars as pl

from journey.engine.casedata.codes import SHORT_BREAK_LEGAL_STATUS
from journey.engine.measures.base import (
    Context,
    Periods,
    active_at,
    active_unique,
    fmt_date,
    group_ids,
    merge_intervals,
    shift_in_group,
    with_age,
)
from journey.engine.measures.registry import MeasureDef, Parameter, RecordsFn, register
from journey.engine.periods import working_days_expr

AREA = "front_door"
WT = "Working Together to Safeguard Children 2023"
DFE_CIN = "DfE Characteristics of children in need statistics (CIN census)"


# ----------------------------------------------------------------------------- contacts


def _contacts(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    def build() -> pl.LazyFrame:
        c = ctx.table("contacts").rename({"contact_date": "date"})
        wd = working_days_expr(pl.col("date"), pl.col("decision_date"))
        return with_age(c, ctx, "date").with_columns(wd.alias("working_days"))

    return ctx.cached("contacts_base", build)


def _contacts_count(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    return _contacts(ctx, periods, params).with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


def _contact_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "Contact received {} (source {}), outcome: {}",
        fmt_date("date"),
        pl.col("source").fill_null("not recorded"),
        pl.col("outcome").fill_null("not recorded"),
    )


def _contacts_outcome(outcome: str) -> RecordsFn:
    def records(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
        return _contacts(ctx, periods, params).with_columns(
            (pl.col("outcome") == outcome).fill_null(False).cast(pl.Float64).alias("num"),
            pl.lit(1.0).alias("den"),
        )

    return records


def _contacts_decided(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    limit = int(params["working_days"])
    return _contacts(ctx, periods, params).with_columns(
        (pl.col("working_days") <= limit).fill_null(False).cast(pl.Float64).alias("num"),
        pl.lit(1.0).alias("den"),
    )


def _decided_reason(params: dict[str, Any]) -> pl.Expr:
    return (
        pl.when(pl.col("decision_date").is_null())
        .then(pl.format("No decision recorded (received {})", fmt_date("date")))
        .otherwise(
            pl.format(
                "Decided in {} working days (received {}, decided {})",
                pl.col("working_days"),
                fmt_date("date"),
                fmt_date("decision_date"),
            )
        )
    )


# ---------------------------------------------------------------------------- referrals


def referral_history(ctx: Context) -> pl.LazyFrame:
    """Every referral with the date of the child's previous referral."""

    def build() -> pl.LazyFrame:
        r = ctx.table("referrals").sort("child_id", "referral_date", "referral_id").with_columns(
            group_ids("child_id").alias("_g")
        )
        return r.with_columns(
            shift_in_group(pl.col("referral_date"), "_g").alias("previous_referral_date")
        ).drop("_g")

    return ctx.cached("referral_history", build)


def _referrals(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    base = ctx.cached(
        "referrals_base", lambda: with_age(referral_history(ctx).rename({"referral_date": "date"}), ctx, "date")
    )
    return base.with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


def _referral_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "Referral {} received {} (source {}, team {})",
        pl.col("referral_id"),
        fmt_date("date"),
        pl.col("source").fill_null("not recorded"),
        pl.col("team").fill_null("not recorded"),
    )


def _rereferrals(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    months = int(params["months"])
    base = _referrals(ctx, periods, params)
    within = pl.col("previous_referral_date") >= pl.col("date").dt.offset_by(f"-{months}mo")
    return base.with_columns(within.fill_null(False).cast(pl.Float64).alias("num"), pl.lit(1.0).alias("den"))


def _rereferral_reason(params: dict[str, Any]) -> pl.Expr:
    months = int(params["months"])
    return (
        pl.when(pl.col("previous_referral_date").is_null())
        .then(pl.format("Referral {}: no previous referral recorded", fmt_date("date")))
        .when(pl.col("num") > 0)
        .then(
            pl.format(
                "Re-referral: referred {}, previous referral {} (within {} months)",
                fmt_date("date"),
                fmt_date("previous_referral_date"),
                pl.lit(months),
            )
        )
        .otherwise(
            pl.format(
                "Not a re-referral: referred {}, previous referral {} (more than {} months before)",
                fmt_date("date"),
                fmt_date("previous_referral_date"),
                pl.lit(months),
            )
        )
    )


# ----------------------------------------------------------------- early help and open cases


def _open_early_help(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    eh = ctx.table("early_help")
    recs = active_unique(eh, "child_id", "start_date", "end_date", periods.points(), periods, ["start_date", "episode_id"])
    return with_age(recs, ctx, "at").with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


def _early_help_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "Early help open: started {}, {}",
        fmt_date("start_date"),
        pl.when(pl.col("end_date").is_null()).then(pl.lit("not closed")).otherwise(pl.format("closed {}", fmt_date("end_date"))),
    )


def _closed_early_help(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    eh = ctx.table("early_help").filter(pl.col("end_date").is_not_null()).with_columns(pl.col("end_date").alias("date"))
    return with_age(eh, ctx, "date").with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


def _closed_early_help_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "Early help started {}, closed {}: {}",
        fmt_date("start_date"),
        fmt_date("end_date"),
        pl.col("end_reason").fill_null("reason not recorded"),
    )


def open_case_intervals(ctx: Context) -> pl.LazyFrame:
    """Every reason a child's case is open to children's social care, as intervals."""
    cols = ["child_id", "start_date", "end_date", "flagged", "why"]
    ref = (
        ctx.table("referrals")
        .filter(~pl.col("nfa").fill_null(False))
        .select(
            "child_id",
            pl.col("referral_date").alias("start_date"),
            pl.col("closure_date").alias("end_date"),
            "flagged",
            pl.lit(1, pl.Int32).alias("why"),
        )
    )
    cin = ctx.table("cin_plans").select(
        "child_id", "start_date", "end_date", "flagged", pl.lit(2, pl.Int32).alias("why")
    )
    cp = ctx.table("cp_plans").select(
        "child_id", "start_date", "end_date", "flagged", pl.lit(4, pl.Int32).alias("why")
    )
    cla = (
        ctx.table("cla_episodes")
        .filter(~pl.col("legal_status").is_in(list(SHORT_BREAK_LEGAL_STATUS)).fill_null(False))
        .select(
            "child_id",
            pl.col("episode_start").alias("start_date"),
            pl.col("episode_end").alias("end_date"),
            "flagged",
            pl.lit(8, pl.Int32).alias("why"),
        )
    )
    return pl.concat([ref.select(cols), cin.select(cols), cp.select(cols), cla.select(cols)], how="vertical_relaxed")


def open_cases_at(ctx: Context, periods: Periods) -> pl.LazyFrame:
    """One row per child with an open case at each evaluation date: ``open_since`` (the
    start of the continuous spell), flagged, and in detail (drill-down) mode ``why``."""

    def build() -> pl.LazyFrame:
        intervals = open_case_intervals(ctx)
        spells = merge_intervals(intervals, "child_id", "start_date", "end_date")
        recs = active_at(spells, "start_date", "end_date", periods.points(), periods).rename(
            {"start_date": "open_since"}
        )
        if periods.detail:
            why = (
                active_at(intervals, "start_date", "end_date", periods.points(), periods)
                .group_by("child_id", "pt")
                .agg(pl.col("why").bitwise_or())
            )
            recs = recs.join(why, on=["child_id", "pt"], how="left")
        return recs

    return ctx.cached_at("open_cases", periods, build)


def _open_cases(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    return with_age(open_cases_at(ctx, periods), ctx, "at").with_columns(
        pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den")
    )


def _cin_episodes(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    """CIN episodes (referral to closure) open at each date, each episode a record, as DfE
    counts children in need at 31 March; referrals that led to no further action are not
    episodes of need."""

    def build() -> pl.LazyFrame:
        episodes = ctx.table("referrals").filter(~pl.col("nfa").fill_null(False))
        return with_age(active_at(episodes, "referral_date", "closure_date", periods.points(), periods), ctx, "at")

    return ctx.cached_at("cin_episodes", periods, build).with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


def _cin_episode_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "In need at {}: referred {}, {}",
        fmt_date("at"),
        fmt_date("referral_date"),
        pl.when(pl.col("closure_date").is_null())
        .then(pl.lit("not closed"))
        .otherwise(pl.format("closed {}", fmt_date("closure_date"))),
    )


_CIN_DFE = (
    "Children in need at 31 March are the CIN episodes open at 31 March: referred on or before 31 March "
    "and not closed by then (an episode closing on 31 March is not open), each episode counted, including "
    "children on child protection plans, looked after, unborn or aged 18 and over; referrals that led to no "
    "further action are not episodes of need. Table B1 `At31_episodes`"
)

#: Why a case is open: bits of the ``why`` column.
OPEN_CASE_WHY = {1: "open CIN episode (referral)", 2: "CIN plan", 4: "CP plan", 8: "looked after"}


def why_words() -> pl.Expr:
    """The ``why`` bits in words ("CP plan, open CIN episode (referral)")."""
    parts = [
        pl.when((pl.col("why") & bit) != 0).then(pl.lit(words))
        for bit, words in sorted(OPEN_CASE_WHY.items(), key=lambda kv: kv[1])
    ]
    return pl.concat_str(parts, separator=", ", ignore_nulls=True)


def _open_case_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format("Open case since {}: {}", fmt_date("open_since"), why_words())


_FLOW = ("month", "fytd", "rolling12", "latest")

register(
    MeasureDef(
        id="contacts_count",
        title="Contacts in the period",
        area=AREA,
        definition="Contacts received by the front door (MASH) in the period, counted by the date received. Every contact counts, including repeat contacts about the same child.",
        unit="count",
        polarity="within_range",
        numerator="contacts received in the period",
        denominator="none",
        tables=("contacts",),
        source="local (Ofsted Annex A list 1)",
        kind="flow",
        records=_contacts_count,
        reason=_contact_reason,
        key_dates=("date", "decision_date"),
        breakdowns=("source", "age_band"),
        period_types=_FLOW,
        record_id="contact_id",
    ),
    MeasureDef(
        id="contacts_to_referral_pct",
        title="Contacts leading to a referral (%)",
        area=AREA,
        definition="Of the contacts received in the period, the percentage whose recorded outcome is a referral to children's social care (outcome `referral`). Contacts without an outcome count in the denominator only.",
        unit="percent",
        polarity="within_range",
        numerator="contacts received in the period with outcome `referral`",
        denominator="contacts received in the period",
        tables=("contacts",),
        source="local (Ofsted Annex A list 1)",
        kind="flow",
        records=_contacts_outcome("referral"),
        reason=_contact_reason,
        key_dates=("date", "decision_date"),
        breakdowns=("source", "age_band"),
        period_types=_FLOW,
        record_id="contact_id",
    ),
    MeasureDef(
        id="contacts_to_early_help_pct",
        title="Contacts passed to early help (%)",
        area=AREA,
        definition="Of the contacts received in the period, the percentage whose recorded outcome is early help (outcome `early_help`).",
        unit="percent",
        polarity="within_range",
        numerator="contacts received in the period with outcome `early_help`",
        denominator="contacts received in the period",
        tables=("contacts",),
        source="local (Ofsted Annex A list 1)",
        kind="flow",
        records=_contacts_outcome("early_help"),
        reason=_contact_reason,
        key_dates=("date", "decision_date"),
        breakdowns=("source", "age_band"),
        period_types=_FLOW,
        record_id="contact_id",
    ),
    MeasureDef(
        id="mash_decisions_24h_pct",
        title="Front door (MASH) decisions within 24 hours (%)",
        area=AREA,
        definition=(
            "Of the contacts received in the period, the percentage decided within one working day. "
            "Case records hold dates, not times, so '24 hours' is read as: decided on the day received or "
            "by the end of the next working day (working days between receipt and decision ≤ `working_days`; "
            "a contact received on a Friday and decided on the Monday is in time). Contacts with no decision "
            "recorded are not in time."
        ),
        unit="percent",
        polarity="higher_is_better",
        numerator="contacts decided within `working_days` working days of receipt",
        denominator="contacts received in the period",
        tables=("contacts",),
        source=f"local ({WT}: decision about the type of response within one working day)",
        kind="flow",
        records=_contacts_decided,
        reason=_decided_reason,
        key_dates=("date", "decision_date"),
        parameters=(Parameter("working_days", 1, "working days allowed between receipt and decision"),),
        breakdowns=("source", "age_band"),
        period_types=_FLOW,
        record_id="contact_id",
    ),
    MeasureDef(
        id="referrals_count",
        title="Referrals in the period",
        area=AREA,
        definition="Referrals to children's social care (CIN census CINreferralDate) dated in the period, including referrals that led to no further action. Each referral counts, so a child referred twice counts twice.",
        unit="count",
        polarity="within_range",
        numerator="referrals dated in the period",
        denominator="none",
        tables=("referrals",),
        source=DFE_CIN,
        lait="305",
        dfe=(
            "Referrals with CINreferralDate from 1 April to 31 March, every referral counted (a "
            "child referred twice counts twice), including referrals that led to no further action "
            "and referrals of unborn children. Children in need statistics, table C1 "
            "`referral_count`; LAIT 305."
        ),
        dfe_difference=(
            "None for the financial year (`fytd` at March). Two referrals of "
            "one child on the same day are both counted; the CIN census cannot hold them (overlapping"
            " CIN episodes, DfE rule 8820, flagged in the validation report)."
        ),
        kind="flow",
        records=_referrals,
        reason=_referral_reason,
        key_dates=("date", "previous_referral_date"),
        breakdowns=("team", "worker", "source", "age_band"),
        period_types=_FLOW,
        latest_window="fytd",
        record_id="referral_id",
    ),
    MeasureDef(
        id="referrals_rate_per_10k",
        title="Referrals per 10,000 children (projected for the year)",
        area=AREA,
        definition=(
            "Referrals per 10,000 children aged 0-17 as boards watch it, projected for the financial year: "
            "each month, referrals from 1 April to the month's end ÷ months elapsed × 12 ÷ population × 10,000 "
            "(in June, three months' referrals × 4). `rolling12`: referrals in the last twelve months ÷ "
            "population × 10,000, an actual annual rate. `latest`: 1 April to the extract date, projected by "
            "days elapsed. For the month alone see `referrals_in_month_rate_per_10k`."
        ),
        unit="rate_per_10k",
        polarity="within_range",
        numerator="referrals from 1 April to the month's end (rolling12: in the twelve months)",
        denominator="0-17 population × months elapsed ÷ 12",
        tables=("referrals", "population"),
        source=DFE_CIN,
        lait="305",
        dfe=(
            "Referrals in the year ending 31 March ÷ ONS mid-year population aged 0-17 of the "
            "year before (mid-2024 for the year ending 31 March 2025) × 10,000. LAIT 305; C1 "
            "`referral_count` over the population."
        ),
        dfe_difference=(
            "In-year the monthly figure is projected for the year (year to date ÷ months elapsed × "
            "12), a local convention boards read; at March, and `rolling12` for any twelve months, it"
            " is DfE's annual rate. The population is the one of the month's financial year: the "
            "mid-year estimate of the year it starts, the same one DfE uses."
        ),
        kind="flow",
        records=_referrals,
        reason=_referral_reason,
        key_dates=("date",),
        period_types=("month", "rolling12", "latest"),
        latest_window="fytd",
        month_window="fytd",
        record_id="referral_id",
    ),
    MeasureDef(
        id="referrals_in_month_rate_per_10k",
        title="Referrals in the month per 10,000 children",
        area=AREA,
        definition="Referrals in the month ÷ 0-17 population × 10,000, not annualised (multiply by 12 to compare with annual rates).",
        unit="rate_per_10k",
        polarity="within_range",
        numerator="referrals dated in the month",
        denominator="0-17 population",
        tables=("referrals", "population"),
        source=DFE_CIN,
        dfe=(
            "DfE publishes the annual rate only (LAIT 305)."
        ),
        dfe_difference=(
            "Local: one month's referrals over the population, not annualised; twelve times it is "
            "comparable in magnitude with DfE's annual rate, not equal to it."
        ),
        kind="flow",
        records=_referrals,
        reason=_referral_reason,
        key_dates=("date",),
        period_types=("month",),
        record_id="referral_id",
    ),
    MeasureDef(
        id="rereferrals_12m_pct",
        title="Re-referrals within 12 months (%)",
        area=AREA,
        definition=(
            "Of the referrals in the period, the percentage where the child's previous referral was within "
            "`months` months before: on or after the same date `months` months earlier (a referral on "
            "15 June 2023 after one on 15 June 2022 is a re-referral; after one on 14 June 2022 it is not). "
            "Every earlier referral in the extract is looked at, including ones before the period and ones "
            "that led to no further action; two referrals on the same day make the second a re-referral. "
            "Counts referrals, not children. DfE reports it for the year (`fytd` at March); boards "
            "watch it rolling in-year."
        ),
        unit="percent",
        polarity="lower_is_better",
        numerator="referrals in the period with a previous referral of the same child within 12 months",
        denominator="referrals in the period",
        tables=("referrals",),
        source=DFE_CIN,
        lait="271",
        dfe=(
            "Of the referrals in the year ending 31 March, the percentage where the child had "
            "been referred within the 12 months before (any earlier referral, including one that led "
            "to no further action; DfE links the previous year's census to see referrals before 1 "
            "April). Counts referrals, not children: C1 `rereferral_percent` (DfE's "
            "`rereferral_child_percent`, children re-referred, is another figure). LAIT 271."
        ),
        dfe_difference=(
            "None for the financial year (`fytd` at March), provided the "
            "extract holds the 12 months before the year: a previous referral the extract does not "
            "hold cannot be seen, so an extract that starts on 1 April under-counts re-referrals in "
            "its first 12 months: the load's check (Referral history) says which months, and each "
            "such figure carries a note saying it is understated. 'Within 12 months' is read in calendar months: on or after the same"
            " date 12 months earlier (our reading of DfE's words; a 365-day reading differs only when"
            " 29 February falls between the two referrals)."
        ),
        kind="flow",
        records=_rereferrals,
        reason=_rereferral_reason,
        key_dates=("date", "previous_referral_date"),
        parameters=(Parameter("months", 12, "how recent the previous referral must be, in months"),),
        breakdowns=("team", "worker", "source", "age_band"),
        period_types=_FLOW,
        latest_window="fytd",
        record_id="referral_id",
    ),
    MeasureDef(
        id="early_help_open_count",
        title="Open early help cases",
        area=AREA,
        definition="Children with an early help episode open at the date (started on or before it, not closed before the end of the day). A child with two open episodes counts once.",
        unit="count",
        polarity="within_range",
        numerator="children with an open early help episode",
        denominator="none",
        tables=("early_help",),
        source="local (Ofsted Annex A list 2)",
        kind="snapshot",
        records=_open_early_help,
        reason=_early_help_reason,
        key_dates=("start_date", "end_date"),
        breakdowns=("team", "age_band"),
        record_id="episode_id",
    ),
    MeasureDef(
        id="early_help_closed_count",
        title="Early help episodes closed",
        area=AREA,
        definition=(
            "Early help episodes closed in the period (by their end date), whatever the reason; the drill-down "
            "gives each episode's recorded reason (outcomes achieved, stepped up to social care, ...)."
        ),
        unit="count",
        polarity="within_range",
        numerator="early help episodes closed in the period",
        denominator="none",
        tables=("early_help",),
        source="local (SSD ssd_early_help_episodes, Ofsted Annex A list 2)",
        kind="flow",
        records=_closed_early_help,
        reason=_closed_early_help_reason,
        key_dates=("start_date", "end_date"),
        breakdowns=("team", "age_band"),
        period_types=_FLOW,
        latest_window="month",
        record_id="episode_id",
    ),
    MeasureDef(
        id="cin_count",
        title="Children in need (open CIN episodes)",
        area=AREA,
        definition=(
            "Children in need at the date, as DfE counts them: CIN episodes (referral to closure, CIN census "
            "CINdetails) open at the date, that is referred on or before it and not closed by then; referrals "
            "that led to no further action are left out. Each episode counts (the census allows a child one "
            "open episode; two overlapping ones fail DfE rule 8820). Children on child protection plans, looked "
            "after, unborn, or 18 and over are included when their episode is open."
        ),
        unit="count",
        polarity="within_range",
        numerator="CIN episodes open at the date",
        denominator="none",
        tables=("referrals",),
        source=DFE_CIN,
        dfe=f"{_CIN_DFE}; LAIT 171 gives it as a rate.",
        dfe_difference="None at 31 March; the same count at every month end.",
        kind="snapshot",
        records=_cin_episodes,
        reason=_cin_episode_reason,
        key_dates=("at", "referral_date", "closure_date"),
        breakdowns=("team", "age_band"),
        record_id="referral_id",
    ),
    MeasureDef(
        id="cin_rate_per_10k",
        title="Children in need per 10,000 (open CIN episodes)",
        area=AREA,
        definition="CIN episodes open at the date (as `cin_count`) per 10,000 children aged 0-17 in the month's financial year.",
        unit="rate_per_10k",
        polarity="within_range",
        numerator="CIN episodes open at the date",
        denominator="0-17 population",
        tables=("referrals", "population"),
        source=DFE_CIN,
        lait="171",
        dfe=(
            f"{_CIN_DFE}, ÷ ONS mid-year population aged 0-17 of the year before (mid-2024 for 31 March 2025) "
            "× 10,000. LAIT 171."
        ),
        dfe_difference="None at 31 March; at other month ends the same count over the population of the month's financial year.",
        kind="snapshot",
        records=_cin_episodes,
        reason=_cin_episode_reason,
        key_dates=("at", "referral_date", "closure_date"),
        record_id="referral_id",
    ),
    MeasureDef(
        id="open_cases_count",
        title="All open cases",
        area=AREA,
        definition=(
            "Children whose case is open to children's social care at the date: an open CIN episode "
            "(a referral not closed and not marked no further action), a CIN plan, a child protection plan "
            "or a looked-after episode (not a short break). Each child counts once. Early help is not included."
        ),
        unit="count",
        polarity="within_range",
        numerator="children with an open case",
        denominator="none",
        tables=("referrals", "cin_plans", "cp_plans", "cla_episodes"),
        source="local",
        kind="snapshot",
        records=_open_cases,
        reason=_open_case_reason,
        key_dates=("open_since",),
        breakdowns=("age_band",),
    ),
)
