"""Drill-down: the children (or workers) behind any figure, each with a reason in words."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import polars as pl

from journey.engine.casedata.schema import CaseData, Extract
from journey.engine.measures.base import (
    ENGINE,
    NOT_RECORDED,
    Context,
    Periods,
    breakdown_column,
    first_in_month,
    first_in_year,
    flow_windows,
    window_bounds,
)
from journey.engine.measures.registry import get
from journey.engine.periods import month_key


def drilldown(
    extract: Extract | CaseData,
    measure_id: str,
    month: str | date,
    breakdown: str | None = None,
    cell: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    *,
    period_type: str = "month",
    population: dict[int, int] | int | None = None,
) -> pl.DataFrame:
    """The records counted in ``measure_id`` for ``month`` (and a breakdown cell).

    Columns: child_id, in_numerator, in_denominator, reason, then worker_id and the
    record's id where the measure has them, the key dates, the breakdown columns, and
    ``quality`` for measures that note where the codes and the dates disagree (such rows
    may be in neither the numerator nor the denominator: they say why), ``dfe_rules``
    (DfE validation rules failed by the rows behind the record), then flagged. For "higher is better" percentages the records missing the standard come
    first (overdue visits, late assessments); otherwise numerator rows first.
    """
    m = get(measure_id)
    params = m.resolve(parameters)
    ctx = Context(extract, population)
    if period_type not in m.period_types:
        raise ValueError(f"{measure_id} has no {period_type!r} figures ({', '.join(m.period_types)})")
    if period_type == "latest":
        if ctx.as_at is None:
            raise ValueError("the extract has no as_at date, so there is no latest figure")
        month = month_key(ctx.as_at)
    key = month_key(month)
    periods = Periods(key, key, ctx.as_at, (period_type,), detail=True)
    records = m.records(ctx, periods, dict(params))
    if m.kind == "flow":
        windows = flow_windows(periods, m.period_types, m.latest_window, m.distinct is not None, m.month_window)
        if not windows:
            raise ValueError(f"no {period_type} window for {key}")
        w = windows[0]
        start, end = window_bounds(w, ctx.as_at)
        if m.distinct:
            # Each child's first counted event; records counted nowhere (notes on the data,
            # such as an RNE that disagrees with the dates) are listed as they are.
            counted = (pl.col("num").fill_null(0) != 0) | (pl.col("den").fill_null(0) != 0)
            first = (first_in_year if w.first_in_year else first_in_month)(records.filter(counted), m.distinct)
            records = pl.concat([first, records.filter(~counted)], how="vertical_relaxed")
        records = records.filter(pl.col("date").is_between(start, end))
    # (Snapshot records are already those of the one date asked for.)
    if breakdown is not None:
        if breakdown not in m.breakdowns:
            supported = ", ".join(m.breakdowns) or "none"
            raise ValueError(f"{measure_id} has no breakdown {breakdown!r} (it supports: {supported})")
        if cell is not None:
            records = records.filter(pl.col(breakdown_column(breakdown)).cast(pl.String).fill_null(NOT_RECORDED) == cell)
    records = records.with_columns(
        pl.col("num").cast(pl.Float64).fill_null(0.0), pl.col("den").cast(pl.Float64).fill_null(0.0)
    )
    names = records.collect_schema().names()
    noted = pl.col("quality").is_not_null() if "quality" in names else pl.lit(False)
    records = records.filter((pl.col("num") != 0) | (pl.col("den") != 0) | noted)
    out = records.with_columns(
        (pl.col("num") > 0).alias("in_numerator"),
        (pl.col("den") > 0).alias("in_denominator"),
        m.reason(params).alias("reason"),
    )
    out = _with_dfe_rules(out, ctx, m.tables)
    names = out.collect_schema().names()
    cols = ["child_id", "in_numerator", "in_denominator", "reason"]
    for extra in ("worker_id", m.record_id):
        if extra and extra in names and extra not in cols:
            cols.append(extra)
    for c in (*m.key_dates, *(breakdown_column(b) for b in m.breakdowns)):
        if c in names and c not in cols:
            cols.append(c)
    if m.unit == "number":
        cols += ["num", "den"]
    if "quality" in names:
        cols.append("quality")
    cols += ["dfe_rules", "flagged"]
    # What a team manager needs first: the children missing the standard (not in the
    # numerator of a "higher is better" measure), else those in the numerator.
    failures_first = m.polarity == "higher_is_better" and m.unit == "percent"
    sort_cols = ["in_numerator", "child_id"] + ([m.record_id] if m.record_id and m.record_id in names else [])
    return (
        out.select(cols)
        .sort(sort_cols, descending=[not failures_first] + [False] * (len(sort_cols) - 1), nulls_last=True)
        .collect(engine=ENGINE)
    )


def _with_dfe_rules(records: pl.LazyFrame, ctx: Context, tables: tuple[str, ...]) -> pl.LazyFrame:
    """The DfE validation rules failed by the rows behind each record (``dfe_rules``), so a
    figure can say "3 records failing DfE rule 431 are in this figure"."""
    from journey.engine.casedata.dfe_rules import attach_rules, rules_by_record
    from journey.engine.casedata.schema import SCHEMA

    keys = {name: SCHEMA[name].key for name in SCHEMA}
    year = None if ctx.as_at is None else ctx.as_at.year + (1 if ctx.as_at.month >= 4 else 0)
    frames = {name: ctx.table(name).drop("flagged") for name in SCHEMA}
    failing = rules_by_record(frames, tables, keys, year)
    return attach_rules(records, failing, keys)
