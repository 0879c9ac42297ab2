"""Compute measures for a range of months into the observations contract."""

from __future__ import annotations

import math
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from journey.engine.casedata.schema import FLAG_COLUMN, SCHEMA, CaseData, Extract
from journey.engine.measures.base import (
    ENGINE,
    LAZY_TABLES,
    PARTITION_SEED,
    PERIOD_TYPES,
    Aggregation,
    Context,
    Periods,
    add_sums,
    finalize,
    sum_records,
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

#: Parts computed at the same time (threads; each part's working set is small).
PARALLEL_PARTS = 2

#: Children records per part when a big extract is split by child.
CHILDREN_PER_PARTITION = 250_000


def aggregation_for(m: MeasureDef, params: Mapping[str, Any]) -> Aggregation:
    target = params.get("monthly_target")
    return Aggregation(
        kind=m.kind,
        unit=m.unit,
        breakdowns=m.breakdowns,
        period_types=m.period_types,
        latest_window=m.latest_window,
        distinct=m.distinct,
        month_window=m.month_window,
        monthly_target=float(target) if target is not None else None,
    )


def measure_periods(m: MeasureDef, periods: Periods) -> Periods:
    """The periods restricted to the period types the measure has."""
    return Periods(
        periods.first, periods.last, periods.as_at, tuple(p for p in periods.period_types if p in m.period_types)
    )


def measure_sums(
    ctx: Context,
    m: MeasureDef,
    periods: Periods,
    params: Mapping[str, Any],
    breakdowns: Sequence[str] | None = None,
) -> pl.DataFrame:
    """One measure's sums over the records of a context (breakdowns=None: all it supports)."""
    wanted = m.breakdowns if breakdowns is None else tuple(b for b in breakdowns if b in m.breakdowns)
    mp = measure_periods(m, periods)
    # Records are computed once; every period type and breakdown is summed from them.
    records = m.records(ctx, mp, dict(params)).collect(engine=ENGINE).lazy()
    return sum_records(records, aggregation_for(m, params), mp, wanted).collect(engine=ENGINE)


#: Columns of the visits table the measures use (the biggest table: read only these).
VISIT_COLUMNS = ("child_id", "visit_date", "visit_type", "seen")


def split_by_child(ctx: Context, parts: int, directory: Path) -> list[dict[str, Path]]:
    """Every table of the context's extract read once and split into ``parts`` by a hash
    of child_id, one table at a time, each part written to ``directory`` as Parquet
    files (so only one part needs to be in memory at once). Tables without a child_id,
    such as workers and population, go whole into every part; of visits, only the columns
    measures use are kept."""
    out: list[dict[str, Path]] = [{} for _ in range(parts)]
    for p in range(parts):
        (directory / f"part-{p:03d}").mkdir(parents=True, exist_ok=True)
    for name in SCHEMA:
        lf = ctx.raw_table(name)
        have = lf.collect_schema().names()
        if name in LAZY_TABLES:
            lf = lf.select([c for c in (*VISIT_COLUMNS, FLAG_COLUMN) if c in have])
        if "child_id" not in have:
            path = directory / f"{name}.parquet"
            lf.collect(engine=ENGINE).write_parquet(path, compression="lz4", statistics=False)
            for part in out:
                part[name] = path
            continue
        df = lf.with_columns(
            (pl.col("child_id").hash(seed=PARTITION_SEED) % parts).cast(pl.Int32).alias("_part")
        ).collect(engine=ENGINE)
        pieces = df.partition_by("_part", as_dict=True, include_key=False)
        empty = df.drop("_part").clear()
        del df
        for p in range(parts):
            path = directory / f"part-{p:03d}" / f"{name}.parquet"
            pieces.pop((p,), empty).write_parquet(path, compression="lz4", statistics=False)
            out[p][name] = path
        del pieces
    return out


def auto_partitions(extract: Extract | CaseData, children_per_partition: int = CHILDREN_PER_PARTITION) -> int:
    """How many parts to split an extract into by child so each part's working set stays
    small: one per ``children_per_partition`` children records."""
    tables = extract.tables if isinstance(extract, Extract) else extract
    frame = tables.get("children")
    if frame is None:
        return 1
    lf = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    rows = int(lf.select(pl.len()).collect(engine=ENGINE).item())
    return max(1, math.ceil(rows / children_per_partition))


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
    partitions: int | None = None,
) -> pl.DataFrame:
    """Every requested measure for every month from ``first_month`` to ``last_month``.

    Returns the observations contract: measure_id, period, period_type, breakdown,
    breakdown_value, value, numerator, denominator, flagged, snapshot, as_at. Overall
    figures have an empty breakdown. ``breakdowns=None`` gives every breakdown each
    measure supports; ``[]`` gives overall figures only. ``population`` (by financial-year
    start year, or one number) is used for years the extract's population table lacks.
    ``progress(done, total, measure_id)`` is called after each measure (and partition).
    ``partitions`` splits a big extract by child (default: one part per 250,000 children
    records); the figures are the same, the memory needed smaller.
    """
    ids = list(REGISTRY) if measure_ids is None else list(measure_ids)
    params_by = parameters_by_measure or {}
    requests = [Request(i, i, params_by.get(i)) for i in ids]
    return compute_requests(
        extract, first_month, last_month, requests, progress,
        breakdowns=breakdowns, period_types=period_types, population=population, partitions=partitions,
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
    partitions: int | None = None,
) -> pl.DataFrame:
    """:func:`compute` for a list of requests (tables derived once and shared).

    Measures about children are computed part by part (children split by a hash of their
    id), each part in its own context, and their sums added; workforce measures are
    computed over the whole extract. A measure needing a table the extract did not give
    is left out (see :func:`not_computable`): no figure, rather than a zero."""
    absent = not_computable(requests, extract)
    defs = [(r, get(r.library_id)) for r in requests if r.output_id not in absent]
    resolved = [m.resolve(r.parameters) for r, m in defs]
    for p in period_types:
        if p not in PERIOD_TYPES:
            raise ValueError(f"{p!r} is not a period type ({', '.join(PERIOD_TYPES)})")
    whole = Context(extract, population)
    periods = Periods(month_key(first_month), month_key(last_month), whole.as_at, tuple(period_types))
    if periods.first_idx > periods.last_idx:
        raise ValueError(f"{periods.first} is after {periods.last}")
    parts = partitions if partitions is not None else auto_partitions(extract)
    by_child = [i for i, (_, m) in enumerate(defs) if m.keyed_by == "child"]
    by_worker = [i for i, (_, m) in enumerate(defs) if m.keyed_by != "child"]
    sums: dict[int, list[pl.DataFrame]] = {i: [] for i in range(len(defs))}
    total, done = len(by_child) * parts + len(by_worker), 0

    lock = threading.Lock()

    def step(ctx: Context, i: int) -> None:
        nonlocal done
        r, m = defs[i]
        result = measure_sums(ctx, m, periods, resolved[i], breakdowns)
        with lock:
            # A running total, so a part's sums are freed once added (with breakdowns by
            # worker they are not small).
            if sums[i]:
                result = add_sums([sums[i][0].lazy(), result.lazy()]).collect(engine=ENGINE)
            sums[i] = [result]
            done += 1
            if progress is not None:
                progress(done, total, r.output_id)

    if parts == 1 or not by_child:
        for i in by_child + by_worker:
            step(whole, i)
    else:
        # Workforce measures first, over the whole extract (they read only the workforce
        # tables); then every table is read once, split by child and spilled to disk, and
        # the other measures computed part by part.
        workforce = Context(extract, population)
        for i in by_worker:
            step(workforce, i)
        del workforce
        whole.population()
        spill = tempfile.TemporaryDirectory(prefix="journey-measures-")
        split = split_by_child(whole, parts, Path(spill.name))

        def run_part(part: int) -> None:
            paths = split[part]
            tables = {name: pl.read_parquet(path).lazy() for name, path in paths.items()}
            ctx = Context(Extract(tables, as_at=whole.as_at, snapshot=whole.snapshot), population)
            for i in by_child:
                step(ctx, i)

        # Two parts at a time: Polars releases the GIL, and small parts leave cores idle.
        try:
            with ThreadPoolExecutor(max_workers=PARALLEL_PARTS) as pool:
                for future in [pool.submit(run_part, part) for part in range(parts)]:
                    future.result()
        finally:
            spill.cleanup()
    frames: list[pl.DataFrame] = []
    for i, (r, m) in enumerate(defs):
        mp = measure_periods(m, periods)
        figures = finalize(add_sums([s.lazy() for s in sums[i]]), aggregation_for(m, resolved[i]), mp, whole)
        frames.append(
            figures.with_columns(
                pl.lit(r.output_id).alias("measure_id"),
                pl.lit(whole.snapshot, pl.String).alias("snapshot"),
                pl.when(pl.col("period_type") == "latest").then(pl.lit(whole.as_at, pl.Date)).alias("as_at"),
            )
            .select(list(OBSERVATION_SCHEMA.names()))
            .collect(engine=ENGINE)
        )
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


def not_computable(
    requests: Sequence[Request], extract: Extract | CaseData
) -> dict[str, tuple[str, ...]]:
    """output id → the tables it needs that the extract did not give (only the requests
    that cannot be computed; an extract that does not say what it gave lacks nothing)."""
    if not isinstance(extract, Extract) or extract.present is None:
        return {}
    out = {}
    for r in requests:
        missing = tuple(t for t in get(r.library_id).required_tables if not extract.has_table(t))
        if missing:
            out[r.output_id] = missing
    return out


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
