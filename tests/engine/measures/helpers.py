"""Building tiny hand-made extracts and reading single figures back."""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from journey.engine.casedata.schema import FLAG_COLUMN, SCHEMA, Extract
from journey.engine.measures import compute


def d(text: str) -> date:
    return date.fromisoformat(text)


def table(name: str, rows: list[dict[str, Any]]) -> pl.LazyFrame:
    """A canonical table from rows (missing columns null, text dates parsed)."""
    spec = SCHEMA[name]
    cols: dict[str, list[Any]] = {c.name: [] for c in spec.columns}
    flags = []
    for row in rows:
        for c in spec.columns:
            v = row.get(c.name)
            if isinstance(v, str) and c.dtype == pl.Date:
                v = d(v)
            cols[c.name].append(v)
        flags.append(bool(row.get(FLAG_COLUMN, False)))
    frame = pl.DataFrame(cols, schema=spec.polars_schema).with_columns(pl.Series(FLAG_COLUMN, flags, pl.Boolean))
    return frame.lazy()


def extract(as_at: str | None = None, **tables: list[dict[str, Any]]) -> Extract:
    return Extract({name: table(name, rows) for name, rows in tables.items()}, as_at=d(as_at) if as_at else None, snapshot="test")


def figures(ex: Extract, measure_id: str, first: str, last: str, parameters: dict[str, Any] | None = None, **kw: Any) -> pl.DataFrame:
    return compute(ex, first, last, [measure_id], {measure_id: parameters} if parameters else None, **kw)


def figure(
    ex: Extract,
    measure_id: str,
    month: str,
    period_type: str = "month",
    breakdown: str | None = None,
    cell: str | None = None,
    parameters: dict[str, Any] | None = None,
    **kw: Any,
) -> dict[str, Any]:
    """The single observation row for a measure, month, period type and cell."""
    df = figures(ex, measure_id, month, month, parameters, **kw)
    sel = df.filter(pl.col("period_type") == period_type)
    if breakdown is None:
        sel = sel.filter(pl.col("breakdown").is_null())
    else:
        sel = sel.filter((pl.col("breakdown") == breakdown) & (pl.col("breakdown_value") == cell))
    assert sel.height == 1, sel
    return sel.row(0, named=True)
