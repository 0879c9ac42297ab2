"""Workforce and practice quality: caseloads, agency workers, supervision, audits,
unallocated cases."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from journey.engine.casedata.codes import CASE_HOLDING_ROLES, GOOD_OR_BETTER
from journey.engine.measures.base import (
    Context,
    Periods,
    active_at,
    fmt_date,
    group_ids,
    keep_first,
    merge_intervals,
    month_index_expr,
    open_at,
    with_age,
)
from journey.engine.measures.front_door import open_cases_at, why_words
from journey.engine.measures.registry import MeasureDef, Parameter, RecordsFn, register

AREA = "workforce"
CSWW = "DfE Children's social work workforce statistics"
QUALIFIED_ROLES = ("SW", "ASYE", "SSW", "TM", "SM")
_FLOW = ("month", "fytd", "rolling12", "latest")


def workers_at(ctx: Context, periods: Periods) -> pl.LazyFrame:
    """Workers in post at each date: one row per worker, FTE summed over their posts."""
    return ctx.cached_at("workers_at", periods, lambda: _workers_at(ctx, periods))


def _allocations(ctx: Context) -> pl.LazyFrame:
    return ctx.table("allocations").filter(pl.col("worker_id").is_not_null())


def cases_per_worker_at(ctx: Context, periods: Periods) -> pl.LazyFrame:
    """Children allocated to each worker at each date (worker_id, pt, cases, alloc_flagged):
    a child's overlapping allocations to the same worker count once.

    Counted by a sweep over months (each allocation adds one from its first month end to
    its last and takes it away after), so a whole authority's allocations are never
    expanded into one row per child and month."""

    def build() -> pl.LazyFrame:
        spells = merge_intervals(_allocations(ctx), ["worker_id", "child_id"], "start_date", "end_date")
        points = periods.points()
        parts: list[pl.LazyFrame] = []
        if "month" in periods.period_types:
            lo = pl.max_horizontal(month_index_expr(pl.col("start_date")), pl.lit(periods.first_idx, pl.Int64))
            end_idx = (month_index_expr(pl.col("end_date")) - 1).fill_null(periods.last_idx)
            hi = pl.min_horizontal(end_idx, pl.lit(periods.last_idx, pl.Int64))
            spans = spells.select("worker_id", lo.alias("lo"), hi.alias("hi"), pl.col("flagged").cast(pl.Int64).alias("f"))
            spans = spans.filter(pl.col("lo") <= pl.col("hi"))
            deltas = (
                pl.concat(
                    [
                        spans.select("worker_id", pl.col("lo").alias("idx"), pl.lit(1, pl.Int64).alias("d"), "f"),
                        spans.select("worker_id", (pl.col("hi") + 1).alias("idx"), pl.lit(-1, pl.Int64).alias("d"), (-pl.col("f")).alias("f")),
                    ]
                )
                .filter(pl.col("idx") <= periods.last_idx)
                .group_by("worker_id", "idx")
                .agg(pl.col("d").sum(), pl.col("f").sum())
            )
            months = pl.DataFrame({"idx": list(range(periods.first_idx, periods.last_idx + 1))}, schema={"idx": pl.Int64}).lazy()
            grid = (
                deltas.select("worker_id").unique().join(months, how="cross")
                .join(deltas, on=["worker_id", "idx"], how="left")
                .with_columns(pl.col("d").fill_null(0), pl.col("f").fill_null(0))
                .sort("worker_id", "idx")
                .with_columns(group_ids("worker_id").alias("_g"))
            )
            first = pl.col("_g") != pl.col("_g").shift(1).fill_null(-1)
            running = []
            for col, out in (("d", "cases"), ("f", "flagged_cases")):
                total = pl.col(col).cum_sum()
                running.append((total - pl.when(first).then(total - pl.col(col)).forward_fill()).alias(out))
            monthly = (
                grid.with_columns(running)
                .filter(pl.col("cases") > 0)
                .join(points.filter(pl.col("period_type") == "month").select("idx", "pt"), on="idx", how="inner")
                .select("worker_id", "pt", pl.col("cases").cast(pl.UInt32), (pl.col("flagged_cases") > 0).alias("alloc_flagged"))
            )
            parts.append(monthly)
        if periods.latest:
            latest = points.filter(pl.col("period_type") == "latest").select("pt", "at")
            parts.append(
                spells.join(latest, how="cross")
                .filter(open_at("start_date", "end_date"))
                .group_by("worker_id", "pt")
                .agg(pl.len().alias("cases"), pl.col("flagged").any().alias("alloc_flagged"))
            )
        if not parts:
            return pl.DataFrame(
                schema={"worker_id": pl.String, "pt": pl.Int32, "cases": pl.UInt32, "alloc_flagged": pl.Boolean}
            ).lazy()
        return pl.concat(parts, how="vertical_relaxed")

    return ctx.cached_at("cases_per_worker", periods, build)


def allocated_at(ctx: Context, periods: Periods) -> pl.LazyFrame:
    """One row per child allocated to any worker at each date (child_id, pt; in detail
    mode also the worker_id of one allocation)."""

    def build() -> pl.LazyFrame:
        spells = merge_intervals(_allocations(ctx), "child_id", "start_date", "end_date")
        recs = active_at(spells, "start_date", "end_date", periods.points(), periods).select(
            "child_id", "pt", pl.lit(True).alias("allocated")
        )
        if periods.detail:
            workers = keep_first(
                active_at(_allocations(ctx), "start_date", "end_date", periods.points(), periods),
                ["child_id", "pt"],
                ["start_date"],
                descending=True,
            ).select("child_id", "pt", "worker_id", "team")
            recs = recs.join(workers, on=["child_id", "pt"], how="left")
        return recs

    return ctx.cached_at("allocated_at", periods, build)


#: A worker whose start in post is not recorded (the SSD keeps none) is in post from before
#: any period measured.
_IN_POST_BEFORE_RECORDS = date(1900, 1, 1)


def _workers_at(ctx: Context, periods: Periods) -> pl.LazyFrame:
    workers = ctx.table("workers").with_columns(
        pl.col("start_date").fill_null(_IN_POST_BEFORE_RECORDS).alias("_in_post_from")
    )
    recs = active_at(workers, "_in_post_from", "end_date", periods.points(), periods)
    return (
        recs.sort("start_date", descending=True)
        .group_by("worker_id", "pt")
        .agg(
            pl.col("at").first(),
            pl.col("fte").sum(),
            pl.col("role").first(),
            pl.col("employment").first(),
            pl.col("team").first(),
            pl.col("service").first(),
            pl.col("start_date").min(),
            pl.col("flagged").any(),
        )
        .with_columns(pl.lit(None, pl.String).alias("child_id"))
    )


def _caseload(roles: tuple[str, ...]) -> RecordsFn:
    def records(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
        # A worker whose FTE is not recorded cannot be weighed: left out of cases per FTE.
        w = workers_at(ctx, periods).filter(pl.col("role").is_in(list(roles)) & pl.col("fte").is_not_null())
        out = w.join(cases_per_worker_at(ctx, periods), on=["worker_id", "pt"], how="left")
        return out.with_columns(
            pl.col("cases").fill_null(0).cast(pl.Float64).alias("num"),
            pl.col("fte").cast(pl.Float64).alias("den"),
            (pl.col("flagged") | pl.col("alloc_flagged").fill_null(False)).alias("flagged"),
        )

    return records


def _holding_cases(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    """Each worker holding at least one case at the date, with their number of cases:
    from the allocations alone (the SSD's involvements), so FTE and role are not needed."""
    held = cases_per_worker_at(ctx, periods).join(
        periods.points().select("pt", "at"), on="pt", how="inner"
    )
    team = workers_at(ctx, periods).select("worker_id", "pt", "team", "service", "role")
    limit = params.get("max_cases")
    return held.join(team, on=["worker_id", "pt"], how="left").with_columns(
        (
            (pl.col("cases") > int(limit)).cast(pl.Float64)
            if limit is not None
            else pl.col("cases").cast(pl.Float64)
        ).alias("num"),
        pl.lit(1.0).alias("den"),
        pl.col("alloc_flagged").alias("flagged"),
        pl.lit(None, pl.String).alias("child_id"),
    )


def _holding_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "Worker {} (team {}): {} children allocated at {}",
        pl.col("worker_id"),
        pl.col("team").fill_null("not recorded"),
        pl.col("cases"),
        fmt_date("at"),
    )


def _caseload_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "Worker {} ({}, {} FTE, team {}): {} cases",
        pl.col("worker_id"),
        pl.col("role"),
        pl.col("fte"),
        pl.col("team").fill_null("not recorded"),
        pl.col("num").cast(pl.Int64),
    )


def _employment(kind: str) -> RecordsFn:
    def records(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
        w = workers_at(ctx, periods).filter(
            pl.col("role").is_in(list(QUALIFIED_ROLES)) & pl.col("employment").is_not_null() & pl.col("fte").is_not_null()
        )
        return w.with_columns(
            pl.when(pl.col("employment") == kind).then(pl.col("fte")).otherwise(0.0).cast(pl.Float64).alias("num"),
            pl.col("fte").cast(pl.Float64).alias("den"),
        )

    return records


def _employment_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "Worker {} ({}, {}, {} FTE, team {})",
        pl.col("worker_id"),
        pl.col("role"),
        pl.col("employment").fill_null("employment not recorded"),
        pl.col("fte"),
        pl.col("team").fill_null("not recorded"),
    )


def _supervisions(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    days = int(params["days"])
    w = workers_at(ctx, periods).filter(pl.col("role").is_in(sorted(CASE_HOLDING_ROLES)))
    sup = (
        ctx.table("supervisions")
        .group_by("worker_id", "supervision_date")
        .agg(pl.col("flagged").any().alias("sup_flagged"))
        .sort("supervision_date")
    )
    w = w.sort("at").join_asof(sup, left_on="at", right_on="supervision_date", by="worker_id", strategy="backward", check_sortedness=False)
    since = pl.max_horizontal(pl.col("supervision_date"), pl.col("start_date"))
    due = since + pl.duration(days=days)
    return w.with_columns(
        due.alias("due"),
        (due >= pl.col("at")).cast(pl.Float64).alias("num"),
        pl.lit(1.0).alias("den"),
        (pl.col("flagged") | pl.col("sup_flagged").fill_null(False)).alias("flagged"),
    )


def _supervision_reason(params: dict[str, Any]) -> pl.Expr:
    last = pl.when(pl.col("supervision_date").is_null()).then(
        pl.format("no supervision since starting {}", fmt_date("start_date"))
    ).otherwise(pl.format("last supervised {}", fmt_date("supervision_date")))
    return pl.format(
        "Worker {} (team {}): {}, {} by {}",
        pl.col("worker_id"),
        pl.col("team").fill_null("not recorded"),
        last,
        pl.when(pl.col("num") > 0).then(pl.lit("next due")).otherwise(pl.lit("overdue: was due")),
        fmt_date("due"),
    )


def _audits(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    a = ctx.table("audits").with_columns(pl.col("audit_date").alias("date"))
    return with_age(a, ctx, "date").with_columns(pl.lit(1.0).alias("num"), pl.lit(0.0).alias("den"))


def _audits_good(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
    return _audits(ctx, periods, params).with_columns(
        pl.col("grade").is_in(sorted(GOOD_OR_BETTER)).fill_null(False).cast(pl.Float64).alias("num"),
        pl.lit(1.0).alias("den"),
    )


def _audit_reason(params: dict[str, Any]) -> pl.Expr:
    return pl.format(
        "Audit {} on {}: graded {}", pl.col("audit_id"), fmt_date("audit_date"), pl.col("grade").fill_null("not recorded")
    )


def _unallocated(share: bool) -> RecordsFn:
    def records(ctx: Context, periods: Periods, params: dict[str, Any]) -> pl.LazyFrame:
        open_cases = open_cases_at(ctx, periods)
        recs = open_cases.join(allocated_at(ctx, periods), on=["child_id", "pt"], how="left")
        recs = with_age(recs, ctx, "at")
        unallocated = pl.col("allocated").is_null().cast(pl.Float64)
        return recs.with_columns(unallocated.alias("num"), pl.lit(1.0 if share else 0.0).alias("den"))

    return records


def _unallocated_reason(params: dict[str, Any]) -> pl.Expr:
    return (
        pl.when(pl.col("allocated").is_null())
        .then(pl.format("Unallocated: open since {} ({}), no worker allocated at {}", fmt_date("open_since"), why_words(), fmt_date("at")))
        .otherwise(pl.format("Allocated to {} (open since {})", pl.col("worker_id"), fmt_date("open_since")))
    )


_W_DIMS = ("team", "service", "worker")

register(
    MeasureDef(
        id="caseload_sw_avg",
        title="Average caseload per social worker",
        area=AREA,
        definition=(
            "Cases held by case-holding social workers (roles SW, ASYE and senior practitioners SSW, agency "
            "included) at the date ÷ their full-time equivalent. A case is a child with an allocation to the "
            "worker open at the date; a worker in two posts has their FTE added up. Workers whose FTE is not "
            "recorded are left out."
        ),
        unit="number",
        polarity="lower_is_better",
        numerator="children allocated to case-holding social workers at the date",
        denominator="FTE of case-holding social workers in post at the date",
        tables=("workers", "allocations"),
        source=CSWW,
        lait="287",
        dfe=(
            "Cases held by children and family social workers at 30 September ÷ the FTE of those"
            " holding one or more cases (children's social work workforce statistics `caseload_fte`; "
            "LAIT 287 'Average number of cases per children and family social worker')."
        ),
        dfe_difference=(
            "DfE counts once a year, at 30 September; the product at every month end, from the "
            "allocations and workers tables (case holders: roles SW, ASYE, SSW, agency included)."
        ),
        kind="snapshot",
        records=_caseload(tuple(sorted(CASE_HOLDING_ROLES))),
        reason=_caseload_reason,
        key_dates=("at", "start_date"),
        breakdowns=_W_DIMS,
        keyed_by="worker",
    ),
    MeasureDef(
        id="caseload_asye_avg",
        title="Average caseload per newly qualified (ASYE) social worker",
        area=AREA,
        definition="Cases held by social workers in their Assessed and Supported Year in Employment (role ASYE) at the date ÷ their FTE.",
        unit="number",
        polarity="lower_is_better",
        numerator="children allocated to ASYE workers at the date",
        denominator="FTE of ASYE workers in post at the date",
        tables=("workers", "allocations"),
        source="local (ASYE protected caseload)",
        kind="snapshot",
        records=_caseload(("ASYE",)),
        reason=_caseload_reason,
        key_dates=("at", "start_date"),
        breakdowns=_W_DIMS,
        keyed_by="worker",
    ),
    MeasureDef(
        id="caseload_per_worker_avg",
        title="Children per allocated worker",
        area=AREA,
        definition=(
            "Children allocated at the date ÷ the workers (any role) holding at least one allocation then: the "
            "average caseload of the people children are allocated to, by head count. Needs only the "
            "allocations (the SSD's involvements), not FTE or roles."
        ),
        unit="number",
        polarity="lower_is_better",
        numerator="children allocated to a worker at the date (a child with two workers counts for each)",
        denominator="workers holding at least one allocation at the date",
        tables=("allocations",),
        source="local (SSD ssd_involvements)",
        kind="snapshot",
        records=_holding_cases,
        reason=_holding_reason,
        key_dates=("at",),
        breakdowns=("team", "service"),
        keyed_by="worker",
    ),
    MeasureDef(
        id="workers_over_caseload_pct",
        title="Workers holding more than the caseload limit (%)",
        area=AREA,
        definition=(
            "Of the workers holding at least one allocation at the date, the percentage holding more than "
            "`max_cases` children."
        ),
        unit="percent",
        polarity="lower_is_better",
        numerator="workers holding more than `max_cases` children",
        denominator="workers holding at least one allocation at the date",
        tables=("allocations",),
        source="local (SSD ssd_involvements; caseload policy)",
        kind="snapshot",
        records=_holding_cases,
        reason=_holding_reason,
        key_dates=("at",),
        parameters=(Parameter("max_cases", 20, "the most children a worker should hold"),),
        breakdowns=("team", "service"),
        keyed_by="worker",
    ),
    MeasureDef(
        id="agency_workforce_pct",
        title="Agency social workers (% of FTE)",
        area=AREA,
        definition="Agency social workers' FTE as a percentage of the FTE of all qualified social workers in post at the date (roles SW, ASYE, SSW, TM, SM) whose employment and FTE are recorded.",
        unit="percent",
        polarity="lower_is_better",
        numerator="FTE of agency qualified social workers",
        denominator="FTE of qualified social workers in post",
        tables=("workers",),
        source=CSWW,
        lait="287",
        dfe=(
            "Agency children and family social workers (FTE) at 30 September as a percentage of "
            "agency plus directly employed social workers (FTE) (`agency_rate_fte`; LAIT 287 "
            "'Percentage of agency social workers')."
        ),
        dfe_difference=(
            "DfE counts at 30 September; the product at every month end, over the qualified roles "
            "(SW, ASYE, SSW, TM, SM) whose employment and FTE are recorded."
        ),
        kind="snapshot",
        records=_employment("agency"),
        reason=_employment_reason,
        key_dates=("at", "start_date"),
        breakdowns=("team", "service"),
        keyed_by="worker",
    ),
    MeasureDef(
        id="permanent_workforce_pct",
        title="Permanent social workers (% of FTE)",
        area=AREA,
        definition="Permanent social workers' FTE as a percentage of the FTE of all qualified social workers in post at the date whose employment and FTE are recorded (fixed-term contracts are neither permanent nor agency).",
        unit="percent",
        polarity="higher_is_better",
        numerator="FTE of permanent qualified social workers",
        denominator="FTE of qualified social workers in post",
        tables=("workers",),
        source=CSWW,
        dfe=(
            "DfE's workforce statistics count directly employed social workers (permanent and "
            "fixed-term together) and agency workers; they publish no permanent share."
        ),
        dfe_difference=(
            "Local: permanent staff only (fixed-term contracts are neither permanent nor agency)."
        ),
        kind="snapshot",
        records=_employment("permanent"),
        reason=_employment_reason,
        key_dates=("at", "start_date"),
        breakdowns=("team", "service"),
        keyed_by="worker",
    ),
    MeasureDef(
        id="supervisions_in_timescale_pct",
        title="Supervisions in timescale (%)",
        area=AREA,
        definition=(
            "Of the case-holding social workers (SW, ASYE, SSW) in post at the date, the percentage supervised "
            "within the last `days` days (the last supervision on or before the date, or for a new starter the "
            "start in post, is at most `days` days before the date). Broken down by team and service."
        ),
        unit="percent",
        polarity="higher_is_better",
        numerator="case-holding workers supervised within the timescale",
        denominator="case-holding workers in post at the date",
        tables=("workers", "supervisions"),
        source="local (supervision policy; 4 weeks is common)",
        kind="snapshot",
        records=_supervisions,
        reason=_supervision_reason,
        key_dates=("at", "start_date", "supervision_date", "due"),
        parameters=(Parameter("days", 30, "days allowed between supervisions"),),
        breakdowns=_W_DIMS,
        keyed_by="worker",
    ),
    MeasureDef(
        id="audits_completed_count",
        title="Case-file audits completed",
        area=AREA,
        definition=(
            "Case-file audits completed in the period. With the parameter `monthly_target`, the denominator is "
            "the target for the period (monthly target × months), so audits completed can be read against it."
        ),
        unit="count",
        polarity="higher_is_better",
        numerator="audits completed in the period",
        denominator="the audit target for the period (when `monthly_target` is set)",
        tables=("audits",),
        source="local",
        kind="flow",
        records=_audits,
        reason=_audit_reason,
        key_dates=("audit_date",),
        parameters=(Parameter("monthly_target", None, "audits planned per month"),),
        breakdowns=("team", "worker", "grade"),
        period_types=_FLOW,
        latest_window="month",
        record_id="audit_id",
    ),
    MeasureDef(
        id="audits_good_or_better_pct",
        title="Case-file audits graded good or better (%)",
        area=AREA,
        definition="Of the case-file audits completed in the period, the percentage graded good or outstanding.",
        unit="percent",
        polarity="higher_is_better",
        numerator="audits completed in the period graded good or outstanding",
        denominator="audits completed in the period",
        tables=("audits",),
        source="local",
        kind="flow",
        records=_audits_good,
        reason=_audit_reason,
        key_dates=("audit_date",),
        breakdowns=("team", "worker"),
        period_types=_FLOW,
        record_id="audit_id",
    ),
    MeasureDef(
        id="unallocated_cases_count",
        title="Unallocated cases",
        area=AREA,
        definition="Children with an open case at the date (as `open_cases_count`) and no allocation to a worker open at the date.",
        unit="count",
        polarity="lower_is_better",
        numerator="open cases with no allocated worker",
        denominator="none",
        tables=("referrals", "cin_plans", "cp_plans", "cla_episodes", "allocations"),
        source="local",
        kind="snapshot",
        records=_unallocated(False),
        reason=_unallocated_reason,
        key_dates=("at", "open_since"),
        breakdowns=("age_band",),
    ),
    MeasureDef(
        id="unallocated_cases_pct",
        title="Unallocated cases (% of open cases)",
        area=AREA,
        definition="Of the children with an open case at the date, the percentage with no allocation to a worker open at the date.",
        unit="percent",
        polarity="lower_is_better",
        numerator="open cases with no allocated worker",
        denominator="open cases at the date",
        tables=("referrals", "cin_plans", "cp_plans", "cla_episodes", "allocations"),
        source="local",
        kind="snapshot",
        records=_unallocated(True),
        reason=_unallocated_reason,
        key_dates=("at", "open_since"),
        breakdowns=("age_band",),
    ),
)
