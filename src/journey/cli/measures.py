"""``journey measures``, ``journey compute`` and ``journey drilldown``: the measure library
from the command line."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from journey.cli._options import collection_year_option, date_option, month_option
from journey.engine.spreadsheet import escape_text_columns


def load_extract(
    path: Path | None, snapshot: str | None, store_dir: Path | None, as_at: date | None, collection_year: int | None = None
) -> Any:
    """An Extract from a snapshot in the store, a folder of Parquet tables, or any extract
    the case-data readers understand (canonical CSV/XLSX, SSDA903, CIN census, Annex A)."""
    import polars as pl

    from journey.engine.casedata.schema import FLAG_COLUMN, SCHEMA, Extract

    if snapshot is not None:
        from journey.engine.casedata.store import Store

        extract = Store(store_dir).load_snapshot(snapshot)
        if as_at is not None:
            extract.as_at = as_at
        return extract
    if path is None:
        raise click.UsageError("give --data PATH or --snapshot ID")
    parquet: dict[str, Any] = {}
    if path.is_dir():
        parquet = {p.stem: p for p in path.glob("*.parquet")}
        for sub in path.iterdir():
            parts = sorted(sub.glob("*.parquet")) if sub.is_dir() else []
            if parts:
                parquet[sub.name] = parts
    if parquet and set(parquet) <= set(SCHEMA):
        tables = {}
        for name, spec in SCHEMA.items():
            if name in parquet:
                lf = pl.scan_parquet(parquet[name])
                if FLAG_COLUMN not in lf.collect_schema().names():
                    lf = lf.with_columns(pl.lit(False).alias(FLAG_COLUMN))
            else:
                lf = spec.empty().with_columns(pl.lit(False).alias(FLAG_COLUMN)).lazy()
            tables[name] = lf
        meta = path / "extract.json"
        if as_at is None and meta.exists():
            text = json.loads(meta.read_text()).get("as_at")
            as_at = date.fromisoformat(text) if text else None
        return Extract(tables, as_at=as_at, snapshot=None)
    from journey.engine.casedata.load import read_path

    extract, report = read_path(path, as_at=as_at, collection_year=collection_year)
    if not report.ok:
        click.echo(report.render_text(), err=True)
        click.echo(f"{path} has errors; nothing was computed.", err=True)
        sys.exit(1)
    return extract


_DATA = click.option(
    "--data",
    "data",
    type=click.Path(exists=True, path_type=Path),
    help="Extract: a folder of <table>.parquet files (or <table>/ folders of parts, as `journey synth` writes), or any extract `journey data check` reads.",
)
_SNAPSHOT = click.option("--snapshot", default=None, metavar="ID", help="A snapshot in the store instead of --data.")
_STORE = click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), help="Snapshot store directory.")
_AS_AT = click.option("--as-at", callback=date_option, metavar="DATE", help="The extract date (YYYY-MM-DD), overriding what the data says.")


@click.group("measures")
def measures_group() -> None:
    """The measure library: what each computed measure counts."""


@measures_group.command("list")
def list_command() -> None:
    """Every measure in the library with its unit and periods."""
    from rich.console import Console
    from rich.table import Table

    from journey.engine.measures import REGISTRY
    from journey.engine.measures.registry import AREAS

    table = Table("id", "title", "unit", "kind", "periods", "breakdowns")
    for area in AREAS:
        for m in REGISTRY.values():
            if m.area == area:
                table.add_row(m.id, m.title, m.unit, m.kind, ", ".join(m.period_types), ", ".join(m.breakdowns))
    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    console.print(table)


@measures_group.command("explain")
@click.argument("measure_id")
def explain_command(measure_id: str) -> None:
    """The full definition of one measure."""
    from journey.engine.measures import explain, get

    try:
        m = get(measure_id)
    except KeyError as exc:
        click.echo(str(exc.args[0]), err=True)
        sys.exit(1)
    click.echo(explain(m))


@measures_group.command("docs")
def docs_command() -> None:
    """Print docs/measures.md, generated from the library."""
    from journey.engine.measures import render_docs

    click.echo(render_docs(), nl=False)


def _plan(plan_file: Path | None) -> Any:
    if plan_file is None:
        return None
    from journey.engine.measures import library_ids
    from journey.engine.plan import PlanError, load_plan

    try:
        return load_plan(plan_file, library_ids=library_ids())
    except PlanError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)


@click.command("compute")
@_DATA
@_SNAPSHOT
@_STORE
@_AS_AT
@collection_year_option
@click.option("--from", "first", required=True, callback=month_option, help="First month, YYYY-MM.")
@click.option("--to", "last", required=True, callback=month_option, help="Last month, YYYY-MM.")
@click.option("--measures", "measure_list", default=None, help="Comma-separated library ids (default: all, or the plan's).")
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Compute the plan's computed measures, with its parameters and population, under its measure ids.")
@click.option("--no-breakdowns", is_flag=True, help="Overall figures only.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Observations CSV to write.")
def compute_command(
    data: Path | None,
    snapshot: str | None,
    store_dir: Path | None,
    as_at: date | None,
    collection_year: int | None,
    first: str,
    last: str,
    measure_list: str | None,
    plan_file: Path | None,
    no_breakdowns: bool,
    out: Path,
) -> None:
    """Compute measures for every month from --from to --to into an observations CSV."""
    import polars as pl
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from journey.engine.measures import (
        Request,
        compute_requests,
        get,
        plan_population,
        plan_requests,
    )

    plan = _plan(plan_file)
    extract = load_extract(data, snapshot, store_dir, as_at, collection_year)
    if plan is not None:
        requests = plan_requests(plan)
        if measure_list:
            wanted = {s.strip() for s in measure_list.split(",") if s.strip()}
            requests = [r for r in requests if r.output_id in wanted or r.library_id in wanted]
        population: Any = plan_population(plan)
    else:
        ids = [s.strip() for s in measure_list.split(",") if s.strip()] if measure_list else None
        from journey.engine.measures import library_ids

        requests = [Request(i, i) for i in (ids or library_ids())]
        population = None
    for r in requests:
        try:
            get(r.library_id)
        except KeyError as exc:
            raise click.BadParameter(str(exc.args[0]), param_hint="--measures") from None
    with Progress(TextColumn("{task.description:<40}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=not sys.stderr.isatty()) as bar:
        task = bar.add_task("Computing", total=len(requests))

        def progress(done: int, total: int, measure_id: str) -> None:
            bar.update(task, completed=done, description=measure_id)

        try:
            result = compute_requests(
                extract, first, last, requests, progress,
                breakdowns=[] if no_breakdowns else None, population=population,
            )
        except ValueError as exc:
            bar.stop()
            click.echo(str(exc), err=True)
            sys.exit(1)
    # Re-referral figures reaching back before the extract's referrals are complete are
    # understated: each says so in its note, and the command says it once.
    from journey.engine.measures.history import (
        note_understated,
        referrals_complete_from,
        rereferral_months,
    )

    months_by_id = rereferral_months(requests)
    complete_from = (
        referrals_complete_from(extract.tables["referrals"])
        if months_by_id and extract.has_table("referrals") else None
    )
    result = note_understated(result, complete_from, months_by_id)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Breakdown values come from the case data (team names): escaped so a spreadsheet shows
    # them as text; reading the file back removes the escape.
    escape_text_columns(result.with_columns(source=pl.lit("computed"))).write_csv(out)
    click.echo(f"Wrote {result.height:,} figures for {len(requests)} measures, {first} to {last}, to {out}.")
    understated = result.filter(pl.col("note") != "")
    if understated.height:
        click.echo(
            f"Warning: {understated.height:,} re-referral figures are understated "
            f"({understated['note'][0]} See the note column.)",
            err=True,
        )


@click.command("drilldown")
@_DATA
@_SNAPSHOT
@_STORE
@_AS_AT
@collection_year_option
@click.option("--measure", "measure_id", required=True, help="Library id (or, with --plan, the plan's measure id).")
@click.option("--month", required=True, callback=month_option, help="The month, YYYY-MM.")
@click.option("--period-type", default="month", type=click.Choice(["month", "fytd", "rolling12", "latest"]), show_default=True)
@click.option("--breakdown", default=None, help="A breakdown the measure supports (team, placement_type ...).")
@click.option("--cell", default=None, help="The breakdown's cell (e.g. a team name).")
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Use the plan measure's parameters and population.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
def drilldown_command(
    data: Path | None,
    snapshot: str | None,
    store_dir: Path | None,
    as_at: date | None,
    collection_year: int | None,
    measure_id: str,
    month: str,
    period_type: str,
    breakdown: str | None,
    cell: str | None,
    plan_file: Path | None,
    fmt: str,
) -> None:
    """The children (or workers) behind one figure, each with the reason in words."""
    from journey.engine.measures import drilldown, plan_population, plan_requests

    plan = _plan(plan_file)
    library_id, params, population = measure_id, None, None
    if plan is not None:
        for r in plan_requests(plan):
            if r.output_id == measure_id:
                library_id, params = r.library_id, r.parameters
        population = plan_population(plan)
    extract = load_extract(data, snapshot, store_dir, as_at, collection_year)
    try:
        rows = drilldown(
            extract, library_id, month, breakdown, cell, params, period_type=period_type, population=population
        )
    except (KeyError, ValueError) as exc:
        click.echo(str(exc.args[0]) if exc.args else str(exc), err=True)
        sys.exit(1)
    if fmt == "csv":
        click.echo(escape_text_columns(rows).write_csv(), nl=False)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=200)
    table = Table(*rows.columns)
    for row in rows.iter_rows():
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)
    num = int(rows["in_numerator"].sum())
    den = int(rows["in_denominator"].sum())
    console.print(f"{rows.height} records: {num} in the numerator, {den} in the denominator.")
    from journey.engine.casedata.dfe_rules import rule_counts

    for code, n in rule_counts(rows).items():
        console.print(f"{n} record{'s' if n != 1 else ''} failing DfE rule {code} {'are' if n != 1 else 'is'} in this figure.")
    if "quality" in rows.columns and (noted := rows.filter(rows["quality"].is_not_null())).height:
        counted = int((noted["in_numerator"] | noted["in_denominator"]).sum())
        console.print(
            f"Data quality: {noted.height} records where the codes and the dates disagree "
            f"({counted} of them counted); the figure follows DfE's codes. See the quality column."
        )


def register(main: click.Group) -> None:
    main.add_command(measures_group)
    main.add_command(compute_command)
    main.add_command(drilldown_command)
