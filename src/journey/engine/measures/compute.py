"""Compute measures for a range of months into the observations contract."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from journey.engine.casedata.schema import CaseData, Extract
from journey.engine.measures.base import (
    ENGINE,
    PERIOD_TYPES,
    Aggregation,
    Context,
    Periods,
    aggregate,
)
from journey.engine.measures.registry import REGISTRY, MeasureDef, get
from journey.engine.periods import month_key

OBSERVATION_SCHEMA = pl.Schema(
    {
        "measure_id": pl.String,
        "period": pl.String,
        "period_type": pl.String,
        "breakdown": pl.String,
        "breakdown_value": pl.String,
        "value": pl.Float64,
        "numerator": pl.Float64,
        "denominator": pl.Float64,
        "flagged": pl.Int64,
        "snapshot": pl.String,
        "as_at": pl.Date,
    }
)

Progress = Callable[[int, int, str], None]


def aggregation_for(m: MeasureDef, params: Mapping[str, Any]) -> Aggregation:
    target = params.get("monthly_target")
    return Aggregation(
        kind=m.kind,
        unit=m.unit,
        breakdowns=m.breakdowns,
        period_types=m.period_types,
        latest_window=m.latest_window,
        distinct=m.distinct,
        monthly_target=float(target) if target is not None else None,
    )


def measure_frame(
    ctx: Context,
    m: MeasureDef,
    periods: Periods,
    params: Mapping[str, Any],
    breakdowns: Sequence[str] | None = None,
) -> pl.LazyFrame:
    """One measure's observations, lazily (breakdowns=None: all the measure supports)."""
    wanted = m.breakdowns if breakdowns is None else tuple(b for b in breakdowns if b in m.breakdowns)
    snap_periods = Periods(
        periods.first, periods.last, periods.as_at, tuple(p for p in periods.period_types if p in m.period_types)
    )
    # Records are computed once; every period type and breakdown is summed from them.
    records = m.records(ctx, snap_periods, dict(params)).collect(engine=ENGINE).lazy()
    out = aggregate(records, aggregation_for(m, params), snap_periods, ctx, wanted)
    return out.with_columns(
        pl.lit(m.id).alias("measure_id"),
        pl.lit(ctx.snapshot, pl.String).alias("snapshot"),
        pl.when(pl.col("period_type") == "latest").then(pl.lit(ctx.as_at, pl.Date)).alias("as_at"),
    ).select(list(OBSERVATION_SCHEMA.names()))


def compute(
    extract: Extract | CaseData,
    first_month: str | date,
    last_month: str | date,
    measure_ids: Iterable[str] | None = None,
    parameters_by_measure: Mapping[str, Mapping[str, Any]] | None = None,
    progress: Progress | None = None,
    *,
    breakdowns: Sequence[str] | None = None,
    period_types: Sequence[str] = PERIOD_TYPES,
    population: dict[int, int] | int | None = None,
) -> pl.DataFrame:
    """Every requested measure for every month from ``first_month`` to ``last_month``.

    Returns the observations contract: measure_id, period, period_type, breakdown,
    breakdown_value, value, numerator, denominator, flagged, snapshot, as_at. Overall
    figures have an empty breakdown. ``breakdowns=None`` gives every breakdown each
    measure supports; ``[]`` gives overall figures only. ``population`` (by financial-year
    start year, or one number) is used for years the extract's population table lacks.
    ``progress(done, total, measure_id)`` is called after each measure.
    """
    ids = list(REGISTRY) if measure_ids is None else list(measure_ids)
    params_by = parameters_by_measure or {}
    requests = [Request(i, i, params_by.get(i)) for i in ids]
    return compute_requests(
        extract, first_month, last_month, requests, progress,
        breakdowns=breakdowns, period_types=period_types, population=population,
    )


@dataclass(frozen=True)
class Request:
    """One measure to compute: the id to write (a plan's measure id), the library measure
    and its parameters."""

    output_id: str
    library_id: str
    parameters: Mapping[str, Any] | None = None


def compute_requests(
    extract: Extract | CaseData,
    first_month: str | date,
    last_month: str | date,
    requests: Sequence[Request],
    progress: Progress | None = None,
    *,
    breakdowns: Sequence[str] | None = None,
    period_types: Sequence[str] = PERIOD_TYPES,
    population: dict[int, int] | int | None = None,
) -> pl.DataFrame:
    """:func:`compute` for a list of requests (tables derived once and shared)."""
    defs = [(r, get(r.library_id)) for r in requests]
    resolved = [m.resolve(r.parameters) for r, m in defs]
    for p in period_types:
        if p not in PERIOD_TYPES:
            raise ValueError(f"{p!r} is not a period type ({', '.join(PERIOD_TYPES)})")
    ctx = Context(extract, population)
    periods = Periods(month_key(first_month), month_key(last_month), ctx.as_at, tuple(period_types))
    if periods.first_idx > periods.last_idx:
        raise ValueError(f"{periods.first} is after {periods.last}")
    frames: list[pl.DataFrame] = []
    for i, ((r, m), params) in enumerate(zip(defs, resolved, strict=True), start=1):
        frame = measure_frame(ctx, m, periods, params, breakdowns).collect(engine=ENGINE)
        frames.append(frame.with_columns(pl.lit(r.output_id).alias("measure_id")))
        if progress is not None:
            progress(i, len(defs), r.output_id)
    if not frames:
        return pl.DataFrame(schema=OBSERVATION_SCHEMA)
    out = pl.concat(frames, how="vertical_relaxed")
    order = {p: i for i, p in enumerate(PERIOD_TYPES)}
    return (
        out.with_columns(pl.col("period_type").replace_strict(order, return_dtype=pl.Int8).alias("_o"))
        .sort(["measure_id", "breakdown", "breakdown_value", "_o", "period"], nulls_last=False)
        .drop("_o")
        .select(list(OBSERVATION_SCHEMA.names()))
    )


def plan_requests(plan: Any) -> list[Request]:
    """A request for every computed measure of a plan (``journey.engine.plan.Plan``)."""
    out = []
    for priority in plan.priorities:
        for measure in priority.measures:
            if measure.source.kind == "computed" and measure.source.library_id:
                out.append(Request(measure.id, measure.source.library_id, dict(measure.parameters)))
    return out


def plan_population(plan: Any) -> dict[int, int]:
    return {int(k): int(v) for k, v in plan.authority.population_0_17.items()}
