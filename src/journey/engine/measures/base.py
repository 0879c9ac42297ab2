"""The machinery every measure shares: normalised tables, evaluation dates, windows,
intervals open at a date, ages, and the aggregation into observations.

A measure produces **records**: one row per thing it counts (a referral, a child on a
plan at a month end, a worker in post), with

* ``num`` and ``den`` — the record's weight in the numerator and denominator (0/1 for
  percentages, FTE for caseloads),
* ``flagged`` — True when any source row the record used was flagged by validation,
* ``child_id`` (and ``worker_id`` / a record id where there is one),
* one column per breakdown the measure supports, and the key dates its reason needs.

Two kinds of measure:

* **snapshot** measures are evaluated at dates (each month's last day, and the extract's
  ``as_at`` for "latest"). Their records carry ``period``, ``period_type`` and ``at``.
* **flow** measures count events by their date. Records carry ``date``; they are
  bucketed by month once, and in-month, financial-year-to-date, rolling-12-month and
  latest figures are sums of those monthly buckets (so every month of a range is computed
  in one pass).

Conventions: something *open at a date d* started on or before d and has no end or ends
after d (an episode that ends on 31 March is not open at 31 March). Months are indexed
``year * 12 + month - 1``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final

import polars as pl

from journey.engine.casedata.schema import FLAG_COLUMN, SCHEMA, CaseData, Extract
from journey.engine.periods import (
    financial_year,
    financial_year_start_year,
    month_end,
    month_key,
    month_range,
    parse_month,
)

FAR_FUTURE = date(9999, 12, 31)

#: Polars engine for every collect: the in-memory engine is faster on these plans (and
#: much faster for working days with a holiday list, which the streaming engine
#: re-prepares for every batch of rows).
ENGINE: Final = "in-memory"
NOT_RECORDED = "Not recorded"

PERIOD_TYPES = ("month", "fytd", "rolling12", "latest")

PARTITION_SEED = 20230401

#: Tables never read whole into memory (only through cached summaries).
LAZY_TABLES = frozenset({"visits"})


def month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


def index_month(idx: int) -> str:
    return f"{idx // 12:04d}-{idx % 12 + 1:02d}"


def month_index_expr(col: pl.Expr) -> pl.Expr:
    return (col.dt.year().cast(pl.Int64) * 12 + col.dt.month().cast(pl.Int64) - 1).alias("idx")


def age_expr(dob: pl.Expr, at: pl.Expr) -> pl.Expr:
    """Age in whole years at ``at`` (a child is 18 on their 18th birthday)."""
    before_birthday = (at.dt.month().cast(pl.Int32) * 100 + at.dt.day().cast(pl.Int32)) < (
        dob.dt.month().cast(pl.Int32) * 100 + dob.dt.day().cast(pl.Int32)
    )
    return at.dt.year().cast(pl.Int32) - dob.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)


AGE_BANDS = ("Under 1", "1 to 4", "5 to 9", "10 to 15", "16 and over")


def age_band_expr(age: pl.Expr) -> pl.Expr:
    """DfE's age bands for children in need and looked after."""
    return (
        pl.when(age.is_null())
        .then(pl.lit(NOT_RECORDED))
        .when(age < 1)
        .then(pl.lit("Under 1"))
        .when(age < 5)
        .then(pl.lit("1 to 4"))
        .when(age < 10)
        .then(pl.lit("5 to 9"))
        .when(age < 16)
        .then(pl.lit("10 to 15"))
        .otherwise(pl.lit("16 and over"))
    )


def fmt_date(col: str | pl.Expr) -> pl.Expr:
    """A date as ``YYYY-MM-DD``, or "none" when missing (for reasons in words)."""
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.dt.to_string("%Y-%m-%d").fill_null("none")


def open_at(start: str, end: str, at: pl.Expr | None = None) -> pl.Expr:
    """Open at the date: started on or before it, no end or ending after it."""
    at_expr = pl.col("at") if at is None else at
    return (pl.col(start) <= at_expr) & (pl.col(end).is_null() | (pl.col(end) > at_expr))


# ----------------------------------------------------------------------------- context


class Context:
    """The extract's tables, normalised to the canonical schema, plus a cache of derived
    tables shared by several measures (periods of care, placements), collected once."""

    def __init__(
        self,
        extract: Extract | CaseData,
        population: dict[int, int] | int | None = None,
    ):
        if isinstance(extract, Extract):
            self._raw: CaseData = extract.tables
            self.as_at: date | None = extract.as_at
            self.snapshot: str | None = extract.snapshot
        else:
            self._raw = extract
            self.as_at = None
            self.snapshot = None
        self.fallback_population = population
        self._tables: dict[str, pl.LazyFrame] = {}
        self._cache: dict[str, pl.DataFrame] = {}
        self._population: dict[int, int] | None = None

    def raw_table(self, name: str) -> pl.LazyFrame:
        """The extract's own frame for a table (an empty one with the schema when absent)."""
        lf = self._raw.get(name)
        if lf is None:
            return SCHEMA[name].empty().with_columns(pl.lit(False).alias(FLAG_COLUMN)).lazy()
        return lf.lazy() if isinstance(lf, pl.DataFrame) else lf

    def table(self, name: str) -> pl.LazyFrame:
        """The table with every schema column (missing ones as nulls) and ``_flagged``."""
        if name not in self._tables:
            spec = SCHEMA[name]
            lf = self._raw.get(name)
            if lf is None:
                lf = spec.empty().lazy()
            if isinstance(lf, pl.DataFrame):
                lf = lf.lazy()
            have = set(lf.collect_schema().names())
            exprs = []
            for col in spec.columns:
                if col.name in have:
                    exprs.append(pl.col(col.name).cast(col.dtype))
                else:
                    exprs.append(pl.lit(None, dtype=col.dtype).alias(col.name))
            if FLAG_COLUMN in have:
                exprs.append(pl.col(FLAG_COLUMN).cast(pl.Boolean).fill_null(False).alias("flagged"))
            else:
                exprs.append(pl.lit(False).alias("flagged"))
            lf = lf.select(exprs)
            # Read each table once per computation (visits, the biggest, are only used
            # through cached summaries, so stay lazy).
            self._tables[name] = lf if name in LAZY_TABLES else lf.collect(engine=ENGINE).lazy()
        return self._tables[name]

    def cached_at(self, key: str, periods: Periods, build: Callable[[], pl.LazyFrame]) -> pl.LazyFrame:
        """A derived table for these periods, collected the first time it is asked for."""
        return self.cached(f"{key}@{periods.first}:{periods.last}:{periods.as_at}:{','.join(periods.period_types)}", build)

    def cached(self, key: str, build: Callable[[], pl.LazyFrame]) -> pl.LazyFrame:
        """A derived table, collected the first time it is asked for."""
        if key not in self._cache:
            self._cache[key] = build().collect(engine=ENGINE)
        return self._cache[key].lazy()

    def children(self) -> pl.LazyFrame:
        """child_id, date_of_birth, child_flagged (one row per child)."""
        return self.cached(
            "children",
            lambda: self.table("children")
            .group_by("child_id")
            .agg(pl.col("date_of_birth").first(), pl.col("flagged").any().alias("child_flagged")),
        )

    def population(self) -> dict[int, int]:
        """0-17 population by financial-year start year: the population table, then the
        fallback (the plan's authority population) for years the table lacks."""
        if self._population is None:
            pop: dict[int, int] = {}
            fb = self.fallback_population
            if isinstance(fb, dict):
                pop.update({int(k): int(v) for k, v in fb.items()})
            df = self.table("population").drop_nulls(["year", "population_0_17"]).collect(engine=ENGINE)
            for year, value in zip(df["year"].to_list(), df["population_0_17"].to_list(), strict=True):
                pop[int(year)] = int(value)
            self._population = pop
        return self._population

    def population_for(self, month: str) -> int | None:
        """The population for the month's financial year: that year, else the latest
        earlier year, else the earliest; a single fallback number when there is no table."""
        pop = self.population()
        if not pop:
            fb = self.fallback_population
            return int(fb) if isinstance(fb, int) else None
        wanted = financial_year_start_year(month)
        earlier = [y for y in sorted(pop) if y <= wanted]
        return pop[earlier[-1] if earlier else min(pop)]


def with_age(records: pl.LazyFrame, ctx: Context, at: str, band: bool = True) -> pl.LazyFrame:
    """Join date of birth; add ``age`` at the column ``at`` and the DfE ``age_band``."""
    out = records.join(ctx.children().select("child_id", "date_of_birth"), on="child_id", how="left")
    out = out.with_columns(age_expr(pl.col("date_of_birth"), pl.col(at)).alias("age"))
    if band:
        out = out.with_columns(age_band_expr(pl.col("age")).alias("age_band"))
    return out


# ----------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Periods:
    """The months asked for, plus the extract date for "latest"."""

    first: str
    last: str
    as_at: date | None = None
    #: Which period types to produce (a subset of PERIOD_TYPES).
    period_types: tuple[str, ...] = PERIOD_TYPES
    #: True for a drill-down: records carry every column their reasons need (some,
    #: costly at scale and not needed for counting, are only made then).
    detail: bool = False

    @property
    def months(self) -> list[str]:
        return month_range(self.first, self.last)

    @property
    def first_idx(self) -> int:
        return month_index(parse_month(self.first))

    @property
    def last_idx(self) -> int:
        return month_index(parse_month(self.last))

    @property
    def latest(self) -> bool:
        return (
            "latest" in self.period_types
            and self.as_at is not None
            and month_index(self.as_at) >= self.first_idx
        )

    def points(self) -> pl.LazyFrame:
        """Evaluation dates for snapshot measures: each month's last day, and as_at."""
        rows: list[tuple[str, str, date, int]] = []
        if "month" in self.period_types:
            for m in self.months:
                d = month_end(m)
                rows.append((m, "month", d, month_index(d)))
        if self.latest and self.as_at is not None:
            rows.append((month_key(self.as_at), "latest", self.as_at, month_index(self.as_at)))
        # ``pt`` numbers the points, so records are grouped on a small integer.
        return (
            pl.DataFrame(
                rows,
                schema={"period": pl.String, "period_type": pl.String, "at": pl.Date, "idx": pl.Int64},
                orient="row",
            )
            .with_row_index("pt")
            .with_columns(pl.col("pt").cast(pl.Int32))
            .lazy()
        )

    def single(self, month: str, period_type: str = "month") -> Periods:
        return Periods(month, month, self.as_at, (period_type,), detail=True)


def active_at(intervals: pl.LazyFrame, start: str, end: str, points: pl.LazyFrame, periods: Periods) -> pl.LazyFrame:
    """Intervals × the evaluation dates at which they are open (start ≤ at < end).

    Month ends are found by expanding each interval into the month indexes it is open at
    (no cross join); the "latest" date is a filter.
    """
    month_points = points.filter(pl.col("period_type") == "month").select("idx", "pt", "at")
    lo = pl.max_horizontal(month_index_expr(pl.col(start)), pl.lit(periods.first_idx, pl.Int64))
    end_idx = (month_index_expr(pl.col(end)) - 1).fill_null(periods.last_idx)
    hi = pl.min_horizontal(end_idx, pl.lit(periods.last_idx, pl.Int64))
    monthly = (
        intervals.with_columns(lo.alias("_lo"), hi.alias("_hi"))
        .filter(pl.col("_lo") <= pl.col("_hi"))
        .with_columns(pl.int_ranges(pl.col("_lo"), pl.col("_hi") + 1, dtype=pl.Int64).alias("idx"))
        .explode("idx")
        .drop("_lo", "_hi")
        .join(month_points, on="idx", how="inner")
        .drop("idx")
    )
    parts = [monthly]
    if periods.latest:
        latest = points.filter(pl.col("period_type") == "latest").select("pt", "at")
        parts.append(
            intervals.join(latest, how="cross").filter(open_at(start, end))
        )
    return pl.concat(parts, how="vertical_relaxed")


def _end_or_far(end: str) -> pl.Expr:
    return pl.col(end).fill_null(FAR_FUTURE)


# Window functions (``over``) are slow with many small groups (one per child), so the
# per-child steps below work on frames sorted by the key, with a group number per row.

_DAY_OFFSET = 1_000_000  # days added so every date is positive
_GROUP_STRIDE = 1 << 23  # larger than any offset date (9999-12-31 is 2,932,896 days)


def new_group(*keys: str) -> pl.Expr:
    """True on the first row of each run of equal ``keys`` (frame sorted by them)."""
    first: pl.Expr | None = None
    for k in keys:
        changed = pl.col(k).ne_missing(pl.col(k).shift(1))
        first = changed if first is None else (first | changed)
    assert first is not None
    return first.fill_null(True)


def group_ids(*keys: str) -> pl.Expr:
    """A number per run of equal ``keys`` (frame sorted by them), increasing."""
    return new_group(*keys).cast(pl.Int64).cum_sum()


def shift_in_group(expr: pl.Expr, gid: str, n: int = 1) -> pl.Expr:
    """``expr`` from ``n`` rows before (negative: after) within the same group, else null."""
    return pl.when(pl.col(gid) == pl.col(gid).shift(n)).then(expr.shift(n))


def row_in_group(gid: str) -> pl.Expr:
    """0 for each group's first row, 1 for the next ... (frame sorted by group)."""
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    return row - pl.when(pl.col(gid) != pl.col(gid).shift(1).fill_null(-1)).then(row).forward_fill()


def running_max_date(date: pl.Expr, gid: str) -> pl.Expr:
    """The running maximum of a date column within each group (frame sorted by group)."""
    days = date.cast(pl.Int32).cast(pl.Int64) + _DAY_OFFSET
    base = pl.col(gid) * _GROUP_STRIDE
    return ((base + days).cum_max() - base - _DAY_OFFSET).cast(pl.Int32).cast(pl.Date)


def active_unique(
    intervals: pl.LazyFrame,
    key: str,
    start: str,
    end: str,
    points: pl.LazyFrame,
    periods: Periods,
    prefer: Sequence[str],
) -> pl.LazyFrame:
    """:func:`active_at`, one row per ``key`` and date: where a key's intervals overlap
    (bad data, or two plans at once) the row first in ``prefer`` order (descending) wins.

    Only the keys whose intervals overlap are de-duplicated (after expansion), so the
    common case costs nothing extra."""
    marked = intervals.sort(key, start).with_columns(group_ids(key).alias("_g"))
    prev_end = shift_in_group(running_max_date(_end_or_far(end), "_g"), "_g")
    marked = marked.with_columns((pl.col(start) < prev_end).fill_null(False).alias("_ov"))
    overlapping = marked.filter(pl.col("_ov")).select(key).unique().with_columns(pl.lit(True).alias("_overlap"))
    marked = marked.join(overlapping, on=key, how="left").with_columns(pl.col("_overlap").fill_null(False)).drop("_g", "_ov")
    expanded = active_at(marked, start, end, points, periods)
    clean = expanded.filter(~pl.col("_overlap"))
    dirty = keep_first(expanded.filter(pl.col("_overlap")), [key, "pt"], list(prefer), descending=True)
    return pl.concat([clean, dirty], how="vertical_relaxed").drop("_overlap")


def merge_intervals(
    intervals: pl.LazyFrame, keys: str | Sequence[str], start: str, end: str, extra: Sequence[pl.Expr] = ()
) -> pl.LazyFrame:
    """Overlapping or back-to-back intervals of each key merged into one (start, end,
    flagged if any part was, plus ``extra`` aggregations)."""
    keys = [keys] if isinstance(keys, str) else list(keys)
    runs = intervals.sort(*keys, start).with_columns(group_ids(*keys).alias("_g"))
    prev_end = shift_in_group(running_max_date(_end_or_far(end), "_g"), "_g")
    runs = runs.with_columns((prev_end.is_null() | (pl.col(start) > prev_end)).cast(pl.Int64).cum_sum().alias("_run"))
    merged = runs.group_by("_run").agg(
        *[pl.col(k).first() for k in keys],
        pl.col(start).min(),
        _end_or_far(end).max().alias(end),
        pl.col("flagged").any(),
        *extra,
    )
    return merged.with_columns(pl.when(pl.col(end) == FAR_FUTURE).then(None).otherwise(pl.col(end)).alias(end)).drop("_run")


@dataclass(frozen=True)
class Window:
    """One output figure of a flow measure: which monthly buckets it sums."""

    period: str
    period_type: str
    buckets: tuple[int, ...]
    #: Fraction of a year the window covers (for projected annual rates).
    year_fraction: float
    #: Financial-year start year of the window's month (for population and first-in-year).
    fy: int
    #: True when the window uses each child's first event in the financial year.
    first_in_year: bool = False
    #: month | fytd | rolling12 (how the buckets were chosen) or point (snapshot).
    kind: str = "point"


def flow_windows(
    periods: Periods, supported: Sequence[str], latest_window: str, distinct: bool, month_window: str = "month"
) -> list[Window]:
    """The windows of a flow measure. ``month_window="fytd"`` makes the monthly figure the
    financial year to date (projected annual rates: the figure boards watch each month)."""
    out: list[Window] = []

    def make(month: str, ptype: str, kind: str, idx: int, frac_override: float | None = None) -> Window:
        fy = financial_year(month)
        if kind == "month":
            buckets: tuple[int, ...] = (idx,)
            frac = 1 / 12
        elif kind == "fytd":
            start_idx = month_index(fy.start)
            buckets = tuple(range(start_idx, idx + 1))
            frac = len(buckets) / 12
        else:  # rolling12
            buckets = tuple(range(idx - 11, idx + 1))
            frac = 1.0
        return Window(
            month, ptype, buckets, frac if frac_override is None else frac_override,
            fy.start_year, distinct and kind == "fytd", kind,
        )

    for m in periods.months:
        idx = month_index(parse_month(m))
        for ptype in ("month", "fytd", "rolling12"):
            if ptype in periods.period_types and ptype in supported:
                out.append(make(m, ptype, month_window if ptype == "month" else ptype, idx))
    if periods.latest and "latest" in supported and periods.as_at is not None:
        as_at = periods.as_at
        m = month_key(as_at)
        frac: float | None = None
        if latest_window == "fytd":
            fy = financial_year(as_at)
            frac = ((as_at - fy.start).days + 1) / ((fy.end - fy.start).days + 1)
        elif latest_window == "month":
            frac = as_at.day / 365.25
        out.append(make(m, "latest", latest_window, month_index(as_at), frac))
    return out


def windows_frame(windows: Iterable[Window]) -> pl.LazyFrame:
    rows = [(w.period, w.period_type, b, w.first_in_year) for w in windows for b in w.buckets]
    return pl.DataFrame(
        rows,
        schema={"period": pl.String, "period_type": pl.String, "idx": pl.Int64, "first_in_year": pl.Boolean},
        orient="row",
    ).lazy()


def window_bounds(w: Window, as_at: date | None) -> tuple[date, date]:
    start = parse_month(index_month(min(w.buckets)))
    end = month_end(index_month(max(w.buckets)))
    if w.period_type == "latest" and as_at is not None:
        end = min(end, as_at)
    return start, end


def keep_first(records: pl.LazyFrame, keys: Sequence[str], by: Sequence[str], descending: bool = False) -> pl.LazyFrame:
    """One row per ``keys``: the first in ``by`` order (ties: the first in the input).

    (A sort and ``is_first_distinct`` is several times faster than ``unique`` here.)"""
    return records.sort(list(by), descending=descending, maintain_order=True).filter(
        pl.struct(list(keys)).is_first_distinct()
    )


def first_in_year(records: pl.LazyFrame, key: str) -> pl.LazyFrame:
    """Keep each ``key``'s first record in each financial year (by ``date``)."""
    fy = (pl.col("date").dt.year() - (pl.col("date").dt.month() < 4).cast(pl.Int32)).alias("_fy")
    return keep_first(records.with_columns(fy), [key, "_fy"], ["date"]).drop("_fy")


def first_in_month(records: pl.LazyFrame, key: str) -> pl.LazyFrame:
    idx = month_index_expr(pl.col("date")).alias("_m")
    return keep_first(records.with_columns(idx), [key, "_m"], ["date"]).drop("_m")


@dataclass
class Aggregation:
    """What the aggregator needs to know about a measure."""

    kind: str  # snapshot | flow
    unit: str
    breakdowns: tuple[str, ...]
    period_types: tuple[str, ...]
    latest_window: str = "month"
    distinct: str | None = None
    month_window: str = "month"
    #: Count measures with a target: the denominator is the target per month.
    monthly_target: float | None = None
    extra: dict[str, object] = field(default_factory=dict)


_SUMS = [
    pl.col("num").sum().alias("numerator"),
    pl.col("den").sum().alias("denominator"),
    (pl.col("flagged") & ((pl.col("num") != 0) | (pl.col("den") != 0))).sum().cast(pl.Int64).alias("flagged"),
]


#: Breakdowns whose records column has another name.
BREAKDOWN_COLUMNS = {"worker": "worker_id"}


def breakdown_column(dim: str) -> str:
    return BREAKDOWN_COLUMNS.get(dim, dim)


def _cell(dim: str) -> pl.Expr:
    return pl.col(dim).cast(pl.String).fill_null(NOT_RECORDED).alias("breakdown_value")


def windows_for(agg: Aggregation, periods: Periods) -> list[Window]:
    """The figures a measure produces for these periods (snapshot dates or flow windows)."""
    if agg.kind == "snapshot":
        labels = periods.points().select("period", "period_type").collect(engine=ENGINE).iter_rows()
        return [Window(p, t, (), 1.0, financial_year_start_year(p)) for p, t in labels]
    return flow_windows(periods, agg.period_types, agg.latest_window, agg.distinct is not None, agg.month_window)


def sum_records(records: pl.LazyFrame, agg: Aggregation, periods: Periods, breakdowns: Sequence[str]) -> pl.LazyFrame:
    """Sum records into numerator, denominator and flagged per breakdown cell (the overall
    rows have a null breakdown): for snapshots per period and period type; for flows per
    month (``idx``) and ``variant`` ("m": each child once a month, "y": once a financial
    year, for measures counting children; "all" otherwise), expanded into windows only by
    :func:`finalize`. Sums from separate parts of an extract (children split by id) add up
    with :func:`add_sums`."""
    records = records.with_columns(
        pl.col("num").cast(pl.Float64).fill_null(0.0),
        pl.col("den").cast(pl.Float64).fill_null(0.0),
        pl.col("flagged").fill_null(False),
    )
    wanted = [b for b in breakdowns if b in agg.breakdowns]
    records = records.with_columns([pl.col(breakdown_column(b)).alias(b) for b in wanted if breakdown_column(b) != b])
    dims: list[str | None] = [None, *wanted]
    frames: list[pl.LazyFrame] = []
    if agg.kind == "snapshot":
        points = periods.points().select("pt", "period", "period_type")
        for dim in dims:
            keys = ["pt"] + ([dim] if dim else [])
            g = records.group_by(keys).agg(_SUMS)
            if dim is None:
                g = g.with_columns(pl.lit(None, pl.String).alias("breakdown"), pl.lit(None, pl.String).alias("breakdown_value"))
            else:
                g = g.with_columns(pl.lit(dim).alias("breakdown"), _cell(dim)).drop(dim)
            frames.append(g.join(points, on="pt", how="inner").drop("pt"))
        keys_out = list(SNAPSHOT_KEYS)
    else:
        # Records counted nowhere (notes kept for the drill-down) must not take a child's
        # place as their first event in a month or year.
        dated = records.filter((pl.col("num") != 0) | (pl.col("den") != 0)).with_columns(
            month_index_expr(pl.col("date"))
        )
        if periods.as_at is not None:
            dated = dated.filter(pl.col("date") <= periods.as_at)
        variants: list[tuple[str, pl.LazyFrame]]
        if agg.distinct:
            variants = [("m", first_in_month(dated, agg.distinct)), ("y", first_in_year(dated, agg.distinct))]
        else:
            variants = [("all", dated)]
        for dim in dims:
            for name, recs in variants:
                keys = ["idx"] + ([dim] if dim else [])
                g = recs.group_by(keys).agg(_SUMS).with_columns(pl.lit(name).alias("variant"))
                if dim is None:
                    g = g.with_columns(pl.lit(None, pl.String).alias("breakdown"), pl.lit(None, pl.String).alias("breakdown_value"))
                else:
                    g = g.with_columns(pl.lit(dim).alias("breakdown"), _cell(dim)).drop(dim)
                frames.append(g)
        keys_out = list(FLOW_KEYS)
    out = pl.concat(frames, how="diagonal_relaxed")
    return out.with_columns(pl.col("flagged").cast(pl.Int64)).select(*keys_out, "numerator", "denominator", "flagged")


SNAPSHOT_KEYS = ("period", "period_type", "breakdown", "breakdown_value")
FLOW_KEYS = ("variant", "idx", "breakdown", "breakdown_value")


def add_sums(parts: Sequence[pl.LazyFrame]) -> pl.LazyFrame:
    """Sums from several partitions added together."""
    if len(parts) == 1:
        return parts[0]
    frame = pl.concat(parts, how="vertical_relaxed")
    keys = [k for k in FLOW_KEYS if k in frame.collect_schema().names()] if "idx" in frame.collect_schema().names() else list(SNAPSHOT_KEYS)
    return frame.group_by(keys, maintain_order=True).agg(
        pl.col("numerator").sum(), pl.col("denominator").sum(), pl.col("flagged").sum()
    )


def expand_windows(sums: pl.LazyFrame, agg: Aggregation, periods: Periods) -> pl.LazyFrame:
    """Snapshot sums as they are; flow sums (by month) added up over each window, with
    every window present in the overall rows (zero where nothing happened)."""
    if agg.kind == "snapshot":
        points = periods.points().select("period", "period_type")
        overall = points.join(
            sums.filter(pl.col("breakdown").is_null()).drop("breakdown", "breakdown_value"),
            on=["period", "period_type"],
            how="left",
        ).with_columns(pl.lit(None, pl.String).alias("breakdown"), pl.lit(None, pl.String).alias("breakdown_value"))
        cells = sums.filter(pl.col("breakdown").is_not_null())
    else:
        windows = windows_for(agg, periods)
        wf = windows_frame(windows).with_columns(
            pl.when(pl.col("first_in_year")).then(pl.lit("y")).otherwise(pl.lit("m")).alias("variant")
        ).drop("first_in_year")
        if not agg.distinct:
            wf = wf.with_columns(pl.lit("all").alias("variant"))
        keys = ["period", "period_type", "breakdown", "breakdown_value"]
        summed = (
            sums.join(wf, on=["variant", "idx"], how="inner")
            .group_by(keys)
            .agg(pl.col("numerator").sum(), pl.col("denominator").sum(), pl.col("flagged").sum())
        )
        wlist = pl.DataFrame(
            [(w.period, w.period_type) for w in windows],
            schema={"period": pl.String, "period_type": pl.String},
            orient="row",
        ).lazy()
        overall = wlist.join(
            summed.filter(pl.col("breakdown").is_null()).drop("breakdown", "breakdown_value"),
            on=["period", "period_type"],
            how="left",
        ).with_columns(pl.lit(None, pl.String).alias("breakdown"), pl.lit(None, pl.String).alias("breakdown_value"))
        cells = summed.filter(pl.col("breakdown").is_not_null())
    cols = ["period", "period_type", "breakdown", "breakdown_value", "numerator", "denominator", "flagged"]
    return pl.concat([overall.select(cols), cells.select(cols)], how="vertical_relaxed").with_columns(
        pl.col("numerator").fill_null(0.0),
        pl.col("denominator").fill_null(0.0),
        pl.col("flagged").fill_null(0).cast(pl.Int64),
    )


def finalize(sums: pl.LazyFrame, agg: Aggregation, periods: Periods, ctx: Context) -> pl.LazyFrame:
    """Values from sums: rates over the population, percentages, averages, counts (with
    the target as denominator where there is one)."""
    windows = windows_for(agg, periods)
    out = expand_windows(sums, agg, periods)
    if agg.unit == "rate_per_10k":
        wf_rates = pl.DataFrame(
            [(w.period, w.period_type, _population_denominator(ctx, w)) for w in windows],
            schema={"period": pl.String, "period_type": pl.String, "_pop": pl.Float64},
            orient="row",
        ).lazy()
        out = out.join(wf_rates, on=["period", "period_type"], how="left").with_columns(
            pl.col("_pop").alias("denominator")
        ).drop("_pop")
        value: pl.Expr = pl.when(pl.col("denominator") > 0).then(pl.col("numerator") / pl.col("denominator") * 10_000)
    elif agg.unit == "percent":
        value = pl.when(pl.col("denominator") > 0).then(pl.col("numerator") / pl.col("denominator") * 100)
    elif agg.unit == "number":
        value = pl.when(pl.col("denominator") > 0).then(pl.col("numerator") / pl.col("denominator"))
    else:  # count
        value = pl.col("numerator")
        if agg.monthly_target is not None and agg.kind == "flow":
            tf = pl.DataFrame(
                [(w.period, w.period_type, agg.monthly_target * len(w.buckets)) for w in windows],
                schema={"period": pl.String, "period_type": pl.String, "_t": pl.Float64},
                orient="row",
            ).lazy()
            out = out.join(tf, on=["period", "period_type"], how="left").with_columns(
                pl.col("_t").alias("denominator")
            ).drop("_t")
        else:
            out = out.with_columns(pl.lit(None, pl.Float64).alias("denominator"))
    return out.with_columns(value.cast(pl.Float64).alias("value"))


def aggregate(records: pl.LazyFrame, agg: Aggregation, periods: Periods, ctx: Context, breakdowns: Sequence[str]) -> pl.LazyFrame:
    """Sum records into observations: one row per period, period type and breakdown cell."""
    return finalize(sum_records(records, agg, periods, breakdowns), agg, periods, ctx)


def _population_denominator(ctx: Context, w: Window) -> float | None:
    pop = ctx.population_for(w.period)
    if pop is None:
        return None
    if w.kind == "fytd":
        # Projected annual rate: the population scaled to the part of the year elapsed.
        return pop * w.year_fraction
    # In-month and point-in-time rates are not annualised; rolling 12 months is a year.
    return float(pop)


def day_before(d: date) -> date:
    return d - timedelta(days=1)
