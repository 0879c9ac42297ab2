"""Published benchmarks: England, region, statistical neighbours, rank and quartile.

``import_benchmarks`` turns DfE's published CSVs into one tidy table (Parquet) plus the
statistical neighbour models; ``BenchmarkStore.for_council`` answers "how does this council
compare?" for one or every measure. The neighbour figure is given both ways DfE gives it:
the mean of the ten neighbours (LAIT) and their median (the children's social care
dashboard). Ranks are polarity-aware: rank 1 is best, quartile A is the best quarter (LAIT's
convention); for measures with no better direction rank 1 is the lowest value.
"""

from __future__ import annotations

import hashlib
import math
import os
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import polars as pl

from journey.engine.stats.dfe import (
    BENCHMARK_SCHEMA,
    DATA_DICTIONARY_COLUMNS,
    INDICATORS_BY_MEASURE,
    NEIGHBOURS_2021_COLUMNS,
    NEIGHBOURS_2025_COLUMNS,
    PER_10K,
    POPULATION_COLUMNS,
    PUBLISHED_INDICATORS,
    DfeFileError,
    PublishedIndicator,
    area_columns,
    check_figures,
    explode_joint_returns,
    figure,
    header,
    neighbour_rows,
    period_label,
    population_year,
    published_measure_id,
    scan_published,
)
from journey.engine.stats.intervals import better_direction

BENCHMARKS_FILE = "benchmarks.parquet"
NEIGHBOURS_FILE = "statistical_neighbours.parquet"
SOURCES_FILE = "sources.parquet"
QUARTILES = "ABCD"
NEIGHBOUR_SCHEMA: dict[str, pl.DataType] = {
    "model": pl.String(),
    "old_la_code": pl.String(),
    "la_name": pl.String(),
    "position": pl.Int64(),
    "neighbour_old_la_code": pl.String(),
    "closeness": pl.String(),
}


@dataclass(frozen=True)
class ImportReport:
    """What an import read and wrote, for the analyst to check."""

    directory: Path
    rows_by_measure: dict[str, int]
    neighbour_models: tuple[str, ...]
    files: tuple[tuple[str, str], ...]
    """(file name, what it was read as)."""
    notes: tuple[str, ...] = ()


def import_benchmarks(paths: Sequence[Path], directory: Path) -> ImportReport:
    """Read DfE's published CSVs and store the tidy benchmark table under ``directory``.

    Everything is checked before anything is written, so a rejected import leaves the
    previous benchmarks as they were.
    """
    if not paths:
        raise DfeFileError("no files given to import")
    frames: list[pl.LazyFrame] = []
    population: pl.LazyFrame | None = None
    derived: list[tuple[PublishedIndicator, pl.LazyFrame, Path]] = []
    neighbours: list[dict[str, object]] = []
    files: list[tuple[str, str]] = []
    sources: list[dict[str, object]] = []
    notes: list[str] = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise DfeFileError(f"{path}: no such file")
        columns = header(path)
        kind: str
        if NEIGHBOURS_2025_COLUMNS <= set(columns) or NEIGHBOURS_2021_COLUMNS <= set(columns):
            rows = neighbour_rows(path, columns)
            neighbours.extend(rows)
            kind = f"statistical neighbour model {rows[0]['model'] if rows else '(empty)'}"
        elif DATA_DICTIONARY_COLUMNS <= set(columns):
            kind = (
                "LAIT data dictionary (reference only: polarities are listed in docs/statistics.md)"
            )
        elif POPULATION_COLUMNS <= set(columns) and "population_type" not in columns:
            frame = scan_published(path)
            check_figures(frame, ["population_estimate"], path)
            population = _population(frame)
            kind = "ONS mid-year population aged 0-17 (denominator for derived rates)"
        else:
            frame = scan_published(path)
            matching = [
                i for i in PUBLISHED_INDICATORS if i.matches(columns) and _has_rows(i, frame)
            ]
            if not matching:
                raise DfeFileError(
                    f"{path.name}: not a DfE file this product knows; its columns are "
                    f"{', '.join(columns[:20])}"
                )
            used = {c for i in matching for c in _figure_columns(i)}
            check_figures(frame, sorted(used), path)
            for indicator in matching:
                if indicator.per_population:
                    derived.append((indicator, frame, path))
                else:
                    frames.append(_published_rows(indicator, frame, path))
            kind = "published figures for " + ", ".join(i.measure_id for i in matching)
        files.append((path.name, kind))
        sources.append(
            {
                "file": path.name,
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "read_as": kind,
            }
        )
    for indicator, frame, path in derived:
        if population is None:
            notes.append(
                f"{indicator.measure_id} not derived from {path.name}: no ONS population file "
                "among the files imported"
            )
            continue
        frames.append(_derived_rows(indicator, frame, path, population))

    table = (
        pl.concat(frames, how="vertical").collect()
        if frames
        else pl.DataFrame(schema=BENCHMARK_SCHEMA)
    )
    neighbour_table = pl.DataFrame(neighbours, schema=NEIGHBOUR_SCHEMA)
    _write(
        directory,
        {
            BENCHMARKS_FILE: table.sort(
                "measure_id", "time_period", "geographic_level", "area_code"
            ),
            NEIGHBOURS_FILE: neighbour_table,
            SOURCES_FILE: pl.DataFrame(sources),
        },
    )
    counts = table.group_by("measure_id").len().sort("measure_id").rows() if table.height else []
    return ImportReport(
        directory=directory,
        rows_by_measure={measure: count for measure, count in counts},
        neighbour_models=tuple(sorted(set(neighbour_table["model"].to_list()))),
        files=tuple(files),
        notes=tuple(notes),
    )


def _figure_columns(indicator: PublishedIndicator) -> list[str]:
    columns = [indicator.value_column, indicator.numerator_column, indicator.denominator_column]
    return [c for c in columns if c is not None]


def _has_rows(indicator: PublishedIndicator, frame: pl.LazyFrame) -> bool:
    """Whether the file holds the indicator's rows (two care leaver files share columns)."""
    if not indicator.filters:
        return True
    return _selected(indicator, frame).select(pl.len()).collect().item() > 0


def _selected(indicator: PublishedIndicator, frame: pl.LazyFrame) -> pl.LazyFrame:
    for column, wanted in indicator.filters:
        frame = frame.filter(pl.col(column) == wanted)
    return explode_joint_returns(frame)


def _published_rows(indicator: PublishedIndicator, frame: pl.LazyFrame, path: Path) -> pl.LazyFrame:
    value, symbol = figure(indicator.value_column)
    return (
        _selected(indicator, frame)
        .with_columns(
            *area_columns(),
            measure_id=pl.lit(indicator.measure_id),
            value=value,
            suppression=symbol,
            numerator=_optional_figure(indicator.numerator_column),
            denominator=_optional_figure(indicator.denominator_column),
            source_file=pl.lit(path.name),
            source_column=pl.lit(indicator.value_column),
            derivation=pl.lit(None, pl.String),
        )
        .select(_schema_columns())
    )


def _derived_rows(
    indicator: PublishedIndicator, frame: pl.LazyFrame, path: Path, population: pl.LazyFrame
) -> pl.LazyFrame:
    """count / previous year's mid-year 0-17 population x 10,000, to one decimal place as DfE does."""
    count, count_symbol = figure(indicator.value_column)
    rows = (
        _selected(indicator, frame)
        .with_columns(*area_columns(), count=count, count_symbol=count_symbol)
        .with_columns(population_year=population_year(pl.col("time_period")))
        .join(population, on=["geographic_level", "area_code", "population_year"], how="left")
    )
    return rows.with_columns(
        measure_id=pl.lit(indicator.measure_id),
        value=(pl.col("count") / pl.col("population") * PER_10K).round(1),
        suppression=pl.coalesce("count_symbol", "population_symbol"),
        numerator=pl.col("count"),
        denominator=pl.col("population"),
        source_file=pl.lit(path.name),
        source_column=pl.lit(indicator.value_column),
        derivation=pl.format(
            "{} / ONS mid-{} population aged 0-17 x 10,000",
            pl.lit(indicator.value_column),
            pl.col("population_year"),
        ),
    ).select(_schema_columns())


def _population(frame: pl.LazyFrame) -> pl.LazyFrame:
    number, symbol = figure("population_estimate")
    return (
        explode_joint_returns(frame)
        .with_columns(
            *area_columns(),
            population_year=pl.col("time_period").cast(pl.Int64, strict=False),
            population=number,
            population_symbol=symbol,
        )
        .select(
            "geographic_level", "area_code", "population_year", "population", "population_symbol"
        )
        .unique(["geographic_level", "area_code", "population_year"], keep="first")
    )


def _optional_figure(column: str | None) -> pl.Expr:
    return figure(column)[0] if column else pl.lit(None, pl.Float64)


def _schema_columns() -> list[pl.Expr]:
    return [pl.col(name).cast(dtype) for name, dtype in BENCHMARK_SCHEMA.items()]


def _write(directory: Path, tables: dict[str, pl.DataFrame]) -> None:
    """Write every table to a temporary name first, then swap them in."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.write_parquet(directory / f".{name}.tmp")
    for name in tables:
        os.replace(directory / f".{name}.tmp", directory / name)


# ------------------------------------------------------------------------------ queries


@dataclass(frozen=True)
class NeighbourFigure:
    old_la_code: str
    la_name: str
    closeness: str | None
    value: float | None
    suppression: str | None


@dataclass(frozen=True)
class CouncilBenchmark:
    """One council's published figure for one measure and year, with its comparators."""

    measure_id: str
    title: str
    unit: str
    time_period: str
    time_identifier: str
    old_la_code: str
    new_la_code: str
    la_name: str
    value: float | None
    suppression: str | None
    england: float | None
    region_code: str | None
    region_name: str | None
    region_value: float | None
    neighbour_model: str | None
    neighbours: tuple[NeighbourFigure, ...]
    neighbour_mean: float | None
    neighbour_median: float | None
    neighbours_with_figures: int
    rank: int | None
    ranked_of: int
    quartile: str | None
    quartile_label: str | None
    polarity: str | None
    source_file: str
    source_column: str
    derivation: str | None
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class NoPublishedFigure:
    """A measure DfE published no row for, for this council and year (not even a
    suppressed one): shown as "no published figure" beside the measures that have one."""

    measure_id: str
    title: str
    time_period: str | None
    reason: str


class BenchmarkStore:
    """The imported benchmarks in a directory, read lazily."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        missing = [
            name
            for name in (BENCHMARKS_FILE, NEIGHBOURS_FILE)
            if not (self.directory / name).is_file()
        ]
        if missing:
            raise FileNotFoundError(
                f"no imported benchmarks in {self.directory} (missing {', '.join(missing)}); "
                "run `journey benchmarks import` first"
            )

    def table(self) -> pl.LazyFrame:
        return pl.scan_parquet(self.directory / BENCHMARKS_FILE)

    def neighbour_models(self) -> list[str]:
        table = pl.read_parquet(self.directory / NEIGHBOURS_FILE, columns=["model"])
        return sorted(set(table["model"].to_list()))

    def resolve_council(self, la_code: str) -> tuple[str, str, str]:
        """(old code, new code, name) for an old 3-digit code or a new E06/E08/E09/E10 code."""
        code = la_code.strip().upper()
        found = (
            self.table()
            .filter(
                (pl.col("geographic_level") == "Local authority")
                & ((pl.col("old_la_code") == code) | (pl.col("area_code") == code))
            )
            .sort("time_period", descending=True)
            .select("old_la_code", "area_code", "area_name")
            .head(1)
            .collect()
        )
        if not found.height:
            raise LookupError(
                f"no council with code {la_code!r} in the imported benchmarks "
                "(give an old three-digit LA code such as 812 or a new code such as E06000012)"
            )
        old, new, name = found.row(0)
        return old, new, name

    def for_council(
        self,
        la_code: str,
        measure_id: str | None = None,
        time_period: str | None = None,
        neighbour_model: str | None = None,
        polarity: str | Enum | None = None,
    ) -> list[CouncilBenchmark]:
        """The council's benchmarks, one per measure, for ``time_period`` or each measure's latest.

        ``polarity`` overrides DfE's (for example, when the plan says a rate is better low).
        Measures with no published row for the council are left out (see :meth:`coverage`).
        """
        return self.coverage(la_code, measure_id, time_period, neighbour_model, polarity)[0]

    def coverage(
        self,
        la_code: str,
        measure_id: str | None = None,
        time_period: str | None = None,
        neighbour_model: str | None = None,
        polarity: str | Enum | None = None,
    ) -> tuple[list[CouncilBenchmark], list[NoPublishedFigure]]:
        """:meth:`for_council`, plus the measures DfE published no row for (for this council
        in ``time_period``, or in any year), so a list of every measure can say which have
        no published figure instead of failing on the first."""
        old, _new, name = self.resolve_council(la_code)
        if measure_id:
            measure_id = published_measure_id(measure_id)
        measures = [measure_id] if measure_id else self._measures()
        if measure_id and measure_id not in INDICATORS_BY_MEASURE:
            raise LookupError(
                f"no published benchmark for measure {measure_id!r}; those with one are "
                + ", ".join(sorted(INDICATORS_BY_MEASURE))
            )
        model = neighbour_model or self._latest_model()
        results: list[CouncilBenchmark] = []
        missing: list[NoPublishedFigure] = []
        for measure in measures:
            title = INDICATORS_BY_MEASURE[measure].title
            period = period_label(time_period) if time_period else self._latest_period(measure, old)
            if period is None:
                missing.append(
                    NoPublishedFigure(measure, title, None, f"DfE published no figure for {name} ({old}) in any year imported")
                )
                continue
            if not self._has_row(measure, old, period):
                missing.append(
                    NoPublishedFigure(measure, title, period, f"DfE published no figure for {name} ({old}) in {period}")
                )
                continue
            results.append(benchmark_for(self, measure, old, period, model, polarity))
        return results, missing

    def _has_row(self, measure_id: str, old_la_code: str, time_period: str) -> bool:
        found = (
            self.table()
            .filter(
                (pl.col("measure_id") == measure_id)
                & (pl.col("time_period") == time_period)
                & (pl.col("geographic_level") == "Local authority")
                & (pl.col("old_la_code") == old_la_code)
            )
            .select(pl.len())
            .collect()
            .item()
        )
        return bool(found)

    def history(
        self,
        la_code: str,
        measure_id: str,
        neighbour_model: str | None = None,
        polarity: str | Enum | None = None,
    ) -> list[CouncilBenchmark]:
        """Every published year of one measure for the council, oldest first (for charts)."""
        old, _new, _name = self.resolve_council(la_code)
        measure_id = published_measure_id(measure_id)
        periods = (
            self.table()
            .filter((pl.col("measure_id") == measure_id) & (pl.col("old_la_code") == old))
            .select(pl.col("time_period").unique().sort())
            .collect()["time_period"]
            .to_list()
        )
        model = neighbour_model or self._latest_model()
        return [benchmark_for(self, measure_id, old, p, model, polarity) for p in periods]

    def neighbours_of(self, old_la_code: str, model: str | None) -> list[tuple[str, str | None]]:
        if model is None:
            return []
        rows = (
            pl.scan_parquet(self.directory / NEIGHBOURS_FILE)
            .filter((pl.col("model") == model) & (pl.col("old_la_code") == old_la_code))
            .sort("position")
            .select("neighbour_old_la_code", "closeness")
            .collect()
        )
        return [(code, closeness) for code, closeness in rows.rows()]

    def _measures(self) -> list[str]:
        present = set(self.table().select("measure_id").unique().collect()["measure_id"].to_list())
        return [i.measure_id for i in PUBLISHED_INDICATORS if i.measure_id in present]

    def _latest_period(self, measure_id: str, old_la_code: str) -> str | None:
        periods = (
            self.table()
            .filter((pl.col("measure_id") == measure_id) & (pl.col("old_la_code") == old_la_code))
            .select(pl.col("time_period").max())
            .collect()
        )
        return periods.item() if periods.height else None

    def _latest_model(self) -> str | None:
        models = self.neighbour_models()
        return models[-1] if models else None


def benchmark_for(
    store: BenchmarkStore,
    measure_id: str,
    la_code: str,
    time_period: str,
    neighbour_model: str | None = None,
    polarity: str | Enum | None = None,
) -> CouncilBenchmark:
    """How one council compares on one measure in one year."""
    measure_id = published_measure_id(measure_id)
    indicator = INDICATORS_BY_MEASURE.get(measure_id)
    if indicator is None:
        raise LookupError(f"no published benchmark for measure {measure_id!r}")
    old, new, name = store.resolve_council(la_code)
    chosen = polarity if polarity is not None else indicator.polarity
    higher_is_better = better_direction(chosen)
    year = (
        store.table()
        .filter((pl.col("measure_id") == measure_id) & (pl.col("time_period") == time_period))
        .collect()
    )
    councils = ranked_councils(year.lazy(), higher_is_better).collect()
    own = councils.filter(pl.col("old_la_code") == old)
    if not own.height:
        raise LookupError(f"{name} ({old}) has no row for {measure_id} in {time_period}")
    row = own.row(0, named=True)
    england = _value(year.filter(pl.col("geographic_level") == "National"))
    region_value = _value(
        year.filter(
            (pl.col("geographic_level") == "Regional") & (pl.col("area_code") == row["region_code"])
        )
    )
    by_code = {r["old_la_code"]: r for r in councils.iter_rows(named=True)}
    neighbours = []
    for code, closeness in store.neighbours_of(old, neighbour_model):
        figure_row = by_code.get(code)
        neighbours.append(
            NeighbourFigure(
                old_la_code=code,
                la_name=figure_row["area_name"] if figure_row else "",
                closeness=closeness,
                value=figure_row["value"] if figure_row else None,
                suppression=figure_row["suppression"] if figure_row else None,
            )
        )
    values = [n.value for n in neighbours if n.value is not None]
    notes = []
    if neighbours and len(values) < len(neighbours):
        notes.append(
            f"{len(neighbours) - len(values)} of the {len(neighbours)} neighbours have no published "
            "figure (suppressed or not a council that year) and are left out of the mean and median"
        )
    if row["return_code"] != row["old_la_code"]:
        notes.append(f"joint return ({row['return_code']}): the figure covers both councils")
    rank = row["rank"]
    quartile = _quartile(rank, row["ranked_of"]) if rank is not None else None
    return CouncilBenchmark(
        measure_id=measure_id,
        title=indicator.title,
        unit=indicator.unit,
        time_period=time_period,
        time_identifier=row["time_identifier"],
        old_la_code=old,
        new_la_code=new,
        la_name=name,
        value=row["value"],
        suppression=row["suppression"],
        england=england,
        region_code=row["region_code"],
        region_name=row["region_name"],
        region_value=region_value,
        neighbour_model=neighbour_model if neighbours else None,
        neighbours=tuple(neighbours),
        neighbour_mean=math.fsum(values) / len(values) if values else None,
        neighbour_median=statistics.median(values) if values else None,
        neighbours_with_figures=len(values),
        rank=rank,
        ranked_of=row["ranked_of"],
        quartile=quartile,
        quartile_label=_quartile_label(quartile, higher_is_better),
        polarity=str(chosen.value if isinstance(chosen, Enum) else chosen) if chosen else None,
        source_file=row["source_file"],
        source_column=row["source_column"],
        derivation=row["derivation"],
        notes=tuple(notes),
    )


def comparison_table(benchmarks: Sequence[CouncilBenchmark]) -> pl.DataFrame:
    """The council's figures beside England, region and neighbours, one row per measure and year."""
    return pl.DataFrame(
        [
            {
                "measure_id": b.measure_id,
                "time_period": b.time_period,
                "old_la_code": b.old_la_code,
                "new_la_code": b.new_la_code,
                "value": b.value,
                "suppression": b.suppression,
                "england": b.england,
                "region_value": b.region_value,
                "neighbour_mean": b.neighbour_mean,
                "neighbour_median": b.neighbour_median,
                "rank": b.rank,
                "ranked_of": b.ranked_of,
                "quartile": b.quartile,
            }
            for b in benchmarks
        ],
        schema={
            "measure_id": pl.String,
            "time_period": pl.String,
            "old_la_code": pl.String,
            "new_la_code": pl.String,
            "value": pl.Float64,
            "suppression": pl.String,
            "england": pl.Float64,
            "region_value": pl.Float64,
            "neighbour_mean": pl.Float64,
            "neighbour_median": pl.Float64,
            "rank": pl.Int64,
            "ranked_of": pl.Int64,
            "quartile": pl.String,
        },
    )


def ranked_councils(table: pl.LazyFrame, higher_is_better: bool | None) -> pl.LazyFrame:
    """Council rows with their rank (1 = best; ties share the better rank) and number ranked.

    A joint return is ranked once and its rank given to each council it covers; councils
    without a figure are not ranked.
    """
    councils = table.filter(pl.col("geographic_level") == "Local authority")
    returns = (
        councils.filter(pl.col("value").is_not_null())
        .unique("return_code", keep="first")
        .select("return_code", "value")
    )
    ranks = returns.with_columns(
        rank=pl.col("value").rank("min", descending=bool(higher_is_better)).cast(pl.Int64),
        ranked_of=pl.len().cast(pl.Int64),
    ).select("return_code", "rank", "ranked_of")
    total = returns.select(pl.len().cast(pl.Int64).alias("total"))
    return (
        councils.join(ranks, on="return_code", how="left")
        .join(total, how="cross")
        .with_columns(pl.col("ranked_of").fill_null(pl.col("total")))
        .drop("total")
    )


def _quartile(rank: int, ranked_of: int) -> str:
    """A for ranks in the first quarter of those ranked, ... D for the last."""
    return QUARTILES[min(3, math.ceil(rank * 4 / ranked_of) - 1)]


def _quartile_label(quartile: str | None, higher_is_better: bool | None) -> str | None:
    if quartile is None:
        return None
    position = QUARTILES.index(quartile)
    if higher_is_better is None:
        words = (
            "lowest quarter",
            "second lowest quarter",
            "second highest quarter",
            "highest quarter",
        )
    else:
        words = ("best quarter", "second best quarter", "second worst quarter", "worst quarter")
    return f"{quartile} ({words[position]})"


def _value(frame: pl.DataFrame) -> float | None:
    return frame["value"][0] if frame.height else None


def measures_with_benchmarks() -> Iterable[PublishedIndicator]:
    """The library measures DfE publishes a comparable figure for."""
    return PUBLISHED_INDICATORS
