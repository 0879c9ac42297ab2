"""``journey benchmarks`` and ``journey stats``: published comparators and the statistics.

Exit codes: 0 success; 1 the input could not be used (the message names file, row and
column); 2 the command was called wrongly (click's usage errors).
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import Any

import click

DEFAULT_BENCHMARKS_DIR = Path("var/benchmarks")
FORMAT = click.Choice(["table", "json"])


def register(main: click.Group) -> None:
    main.add_command(benchmarks_group)
    main.add_command(stats_group)


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


def _json(data: Any) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, Path):
            return str(value)
        raise TypeError(f"cannot write {type(value).__name__} as JSON")

    return json.dumps(data, indent=2, default=plain, ensure_ascii=False)


def _table(headings: list[str], rows: list[list[Any]]) -> str:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
        for i, h in enumerate(headings)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headings, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


# ---------------------------------------------------------------------------- benchmarks


@click.group("benchmarks")
def benchmarks_group() -> None:
    """DfE published figures: England, region, statistical neighbours, rank and quartile."""


@benchmarks_group.command("import")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--out",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_BENCHMARKS_DIR,
    show_default=True,
    help="Directory to store the benchmark tables (Parquet) in.",
)
def import_command(paths: tuple[Path, ...], directory: Path) -> None:
    """Import DfE's published CSVs (as downloaded) and the statistical neighbour models."""
    from journey.engine.stats.benchmarks import import_benchmarks
    from journey.engine.stats.dfe import DfeFileError

    try:
        report = import_benchmarks(list(paths), directory)
    except DfeFileError as error:
        _fail(f"{error}\nNothing was imported.")
    for name, kind in report.files:
        click.echo(f"{name}: {kind}")
    click.echo(_table(["measure", "rows"], [[m, n] for m, n in report.rows_by_measure.items()]))
    if report.neighbour_models:
        click.echo(f"Statistical neighbour models: {', '.join(report.neighbour_models)}")
    for note in report.notes:
        click.echo(f"Note: {note}")
    click.echo(f"Stored in {report.directory}")


@benchmarks_group.command("show")
@click.option(
    "--la", "la_code", required=True, help="Council: old LA code (812) or new code (E06000012)."
)
@click.option(
    "--measure", "measure_id", help="One measure id; every measure with a benchmark if left out."
)
@click.option(
    "--year", "time_period", help="Published time period (e.g. 2025); the latest if left out."
)
@click.option(
    "--neighbours",
    "neighbour_model",
    help="Statistical neighbour model (2025 or 2021); latest if left out.",
)
@click.option(
    "--polarity",
    type=click.Choice(["higher_is_better", "lower_is_better", "within_range"]),
    help="Rank by this polarity instead of DfE LAIT's.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_BENCHMARKS_DIR,
    show_default=True,
    help="Where `journey benchmarks import` stored the benchmarks.",
)
@click.option("--format", "output", type=FORMAT, default="table", show_default=True)
def show_command(
    la_code: str,
    measure_id: str | None,
    time_period: str | None,
    neighbour_model: str | None,
    polarity: str | None,
    directory: Path,
    output: str,
) -> None:
    """How a council compares with England, its region and its ten statistical neighbours.

    A measure DfE published no figure for (that year, or ever) is listed as "no published
    figure"; the others are shown."""
    from journey.engine.stats.benchmarks import BenchmarkStore

    try:
        results, missing = BenchmarkStore(directory).coverage(
            la_code, measure_id, time_period, neighbour_model, polarity
        )
    except (FileNotFoundError, LookupError) as error:
        _fail(str(error).strip("'\""))
    if output == "json":
        unpublished = [{**asdict(m), "no_published_figure": True} for m in missing]
        click.echo(_json([asdict(r) for r in results] + unpublished))
        return
    if not results:
        if not missing:
            _fail(f"no benchmarks for {la_code} in {directory}")
        for m in missing:
            click.echo(f"{m.measure_id}: no published figure ({m.reason})")
        return
    first = results[0]
    click.echo(
        f"{first.la_name} ({first.old_la_code}, {first.new_la_code}); region {first.region_name}"
    )
    if first.neighbour_model:
        click.echo(f"Statistical neighbours: DfE {first.neighbour_model} model")
    click.echo(
        _table(
            [
                "measure",
                "year",
                "value",
                "England",
                "region",
                "SN mean",
                "SN median",
                "rank",
                "quartile",
            ],
            [
                [
                    r.measure_id,
                    r.time_period,
                    r.value if r.value is not None else f"({r.suppression})",
                    r.england,
                    r.region_value,
                    r.neighbour_mean,
                    r.neighbour_median,
                    f"{r.rank} of {r.ranked_of}" if r.rank else None,
                    r.quartile_label,
                ]
                for r in results
            ]
            + [
                [m.measure_id, m.time_period, "no published figure", *[None] * 6]
                for m in missing
            ],
        )
    )
    for r in results:
        for note in r.notes:
            click.echo(f"Note ({r.measure_id}): {note}")
    for m in missing:
        click.echo(f"Note ({m.measure_id}): {m.reason}")


@benchmarks_group.command("measures")
def measures_command() -> None:
    """The measures with a published DfE benchmark, where each comes from, and the measure
    library's measure compared with it."""
    from journey.engine.measures import REGISTRY
    from journey.engine.stats.dfe import PUBLISHED_INDICATORS, library_measure_id

    click.echo(
        _table(
            ["measure", "library measure", "unit", "polarity", "LAIT", "column", "how"],
            [
                [
                    i.measure_id,
                    library_measure_id(i.measure_id) if library_measure_id(i.measure_id) in REGISTRY else "none",
                    i.unit,
                    i.polarity or "none",
                    i.lait_code,
                    i.value_column,
                    "derived per 10,000 from ONS population" if i.per_population else "published",
                ]
                for i in PUBLISHED_INDICATORS
            ],
        )
    )


# --------------------------------------------------------------------------------- stats


@click.group("stats")
def stats_group() -> None:
    """Confidence intervals, SPC charts (Making Data Count) and trajectories."""


@stats_group.command("ci")
@click.option("--numerator", type=int, required=True, help="Events or people counted.")
@click.option("--denominator", type=float, help="Denominator (people); needed for wilson.")
@click.option("--method", type=click.Choice(["wilson", "byars"]), required=True)
@click.option("--level", type=click.Choice(["95", "99.8"]), default="95", show_default=True)
@click.option(
    "--multiplier", type=float, help="Scale: 100 for per cent (wilson default), 10000 per 10,000."
)
@click.option("--benchmark", type=float, help="Compare with this value (e.g. England).")
@click.option(
    "--polarity", type=click.Choice(["higher_is_better", "lower_is_better", "within_range"])
)
@click.option("--format", "output", type=FORMAT, default="table", show_default=True)
def ci_command(
    numerator: int,
    denominator: float | None,
    method: str,
    level: str,
    multiplier: float | None,
    benchmark: float | None,
    polarity: str | None,
    output: str,
) -> None:
    """A confidence interval (Wilson for proportions; Byar's, or exact below 10, for rates)."""
    from journey.engine.stats.intervals import (
        byars_interval,
        compare_with_benchmark,
        wilson_interval,
    )

    try:
        if method == "wilson":
            if denominator is None:
                raise click.UsageError("--denominator is needed for a Wilson interval")
            interval = wilson_interval(numerator, denominator, float(level), multiplier or 100)  # type: ignore[arg-type]
        else:
            interval = byars_interval(numerator, float(level), multiplier or 1, denominator)
    except ValueError as error:
        _fail(str(error))
    result: dict[str, Any] = asdict(interval)
    if benchmark is not None:
        result["benchmark"] = benchmark
        result["comparison"] = compare_with_benchmark(interval, benchmark, polarity)
    if output == "json":
        click.echo(_json(result))
        return
    click.echo(
        f"{interval.value:.4g} ({interval.level:g}% CI {interval.lower:.4g} to {interval.upper:.4g}; "
        f"{interval.method})"
    )
    if benchmark is not None:
        click.echo(f"Against {benchmark:g}: {result['comparison'].value}")


def _read_series(path: Path) -> tuple[list[str], list[float]]:
    """period,value rows from a CSV file, every problem named by row and column."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = {name.strip().lower(): name for name in reader.fieldnames or []}
        period_column = fields.get("period") or fields.get("month")
        value_column = fields.get("value")
        if not period_column or not value_column:
            raise ValueError(f"{path.name}: needs columns period (or month) and value")
        periods, values = [], []
        for line, row in enumerate(reader, start=2):
            text = (row[value_column] or "").strip()
            try:
                values.append(float(text))
            except ValueError:
                raise ValueError(
                    f"{path.name} row {line} column {value_column}: {text!r} is not a number"
                ) from None
            periods.append((row[period_column] or "").strip())
    return periods, values


@stats_group.command("spc")
@click.option(
    "--input",
    "input_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with period,value.",
)
@click.option(
    "--improvement", type=click.Choice(["increase", "decrease", "neutral"]), required=True
)
@click.option("--target", type=float, help="Target, for the assurance icon.")
@click.option(
    "--baseline", type=int, help="Fix the limits on the first N points (of each segment)."
)
@click.option(
    "--recalculate-at",
    "recalculate_at",
    multiple=True,
    help="Period where new limits start (repeatable).",
)
@click.option(
    "--shift-points", type=int, default=7, show_default=True, help="Run on one side of the mean."
)
@click.option(
    "--trend-points", type=int, default=6, show_default=True, help="Run all rising or all falling."
)
@click.option(
    "--screen-outliers/--no-screen-outliers",
    default=True,
    show_default=True,
    help="Leave moving ranges of 3.267 times their mean or more out of the limits "
    "(NHSRplotthedots does by default; NHS England's Excel tool does not).",
)
@click.option("--format", "output", type=FORMAT, default="table", show_default=True)
def spc_command(
    input_file: Path,
    improvement: str,
    target: float | None,
    baseline: int | None,
    recalculate_at: tuple[str, ...],
    shift_points: int,
    trend_points: int,
    screen_outliers: bool,
    output: str,
) -> None:
    """An XmR chart as NHS England's Making Data Count: limits, special causes and icons."""
    from journey.engine.stats.spc import SpcRules, xmr

    try:
        periods, values = _read_series(input_file)
        chart = xmr(
            values,
            periods,
            improvement,
            target,
            baseline,
            recalculate_at,
            SpcRules(
                shift_points=shift_points,
                trend_points=trend_points,
                screen_moving_ranges=screen_outliers,
            ),
        )
    except ValueError as error:
        _fail(str(error))
    if output == "json":
        click.echo(_json(asdict(chart)))
        return
    click.echo(
        _table(
            ["period", "value", "mean", "lower limit", "upper limit", "variation", "why"],
            [
                [
                    p.period,
                    p.value,
                    p.mean,
                    p.lower_limit,
                    p.upper_limit,
                    p.variation,
                    "; ".join(p.special_causes),
                ]
                for p in chart.points
            ],
        )
    )
    click.echo(f"Variation: {chart.variation_icon.value}")
    if chart.assurance_icon is not None:
        click.echo(f"Assurance: {chart.assurance_icon.value}")
    for warning in chart.warnings:
        click.echo(f"Warning: {warning}")


def _milestone(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[tuple[str, Any]]:
    milestones: list[tuple[str, Any]] = []
    for text in values:
        month, _, target = text.partition("=")
        try:
            low, _, high = target.partition(":")
            milestones.append((month.strip(), (float(low), float(high)) if high else float(low)))
        except ValueError:
            raise click.BadParameter(
                f"{text!r}: expected YYYY-MM=TARGET or YYYY-MM=LOW:HIGH"
            ) from None
    return milestones


@stats_group.command("trajectory")
@click.option(
    "--input",
    "input_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with period (YYYY-MM),value.",
)
@click.option(
    "--milestone",
    "milestones",
    multiple=True,
    required=True,
    callback=_milestone,
    help="YYYY-MM=TARGET (or LOW:HIGH), repeatable.",
)
@click.option(
    "--polarity",
    type=click.Choice(["higher_is_better", "lower_is_better", "within_range"]),
    required=True,
)
@click.option("--window", type=int, default=12, show_default=True, help="Months of trend to fit.")
@click.option("--format", "output", type=FORMAT, default="table", show_default=True)
def trajectory_command(
    input_file: Path, milestones: list[tuple[str, Any]], polarity: str, window: int, output: str
) -> None:
    """Where the current trend leads at each coming milestone, and whether the target will be met."""
    from journey.engine.stats.trajectory import trajectory

    try:
        periods, values = _read_series(input_file)
        result = trajectory(list(zip(periods, values, strict=True)), milestones, polarity, window)
    except ValueError as error:
        _fail(str(error))
    if output == "json":
        click.echo(_json(asdict(result)))
        return
    for projection in result.projections:
        click.echo(projection.reason)
    if not result.projections:
        click.echo(f"No milestone after {result.last_month} to project to.")
