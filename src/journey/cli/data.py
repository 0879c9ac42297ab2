"""``journey data``: check, load, list, remove and export case-data extracts."""

from __future__ import annotations

import getpass
import sys
from datetime import date
from pathlib import Path

import click

from journey.cli._options import collection_year_option, date_option
from journey.engine.casedata.problems import ExtractRejected, ValidationReport


def _store(store_dir: Path | None):  # -> Store, imported lazily to keep the CLI start fast
    from journey.engine.casedata.store import Store

    return Store(store_dir)


_REPORT_FORMAT = click.option(
    "--format",
    "output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="How to show the report.",
)

_STORE = click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Snapshot store directory (default: $JOURNEY_DATA_DIR/store).",
)
_AS_AT = click.option(
    "--as-at",
    callback=date_option,
    metavar="DATE",
    help="The date the extract was taken (YYYY-MM-DD), overriding what the files say.",
)
_EXTRACT_FORMAT = click.option(
    "--extract-format",
    "extract_format",
    metavar="NAME",
    help="Read as this format instead of recognising it (canonical, ssda903, cin_census, annex_a, ssd).",
)


_FROM_DB = click.option(
    "--from-db",
    "from_db",
    metavar="URL",
    help="Read the Standard Safeguarding Dataset from this database instead of PATH "
    "(postgresql://user@host/db or mssql+pyodbc://...; env:NAME reads the URL from the "
    "environment variable NAME, so no password is typed on the command line).",
)
_DB_SCHEMA = click.option(
    "--db-schema", metavar="NAME", help="The database schema holding the ssd_* tables (with --from-db)."
)


def _ssd_database_files(from_db: str, db_schema: str | None) -> dict[str, bytes]:
    """The SSD tables read from the database as files, or exit 1 saying why not."""
    from journey.engine.casedata.ssd_db import SsdDatabaseError, read_ssd_database

    try:
        return read_ssd_database(from_db, schema=db_schema).files
    except SsdDatabaseError as err:
        click.echo(f"Not read: {err}", err=True)
        sys.exit(1)


def _path_or_database(path: Path | None, from_db: str | None) -> None:
    if (path is None) == (from_db is None):
        raise click.UsageError("give either PATH or --from-db URL")


@click.group("data")
def data() -> None:
    """Case-data extracts: check them, load them into the snapshot store, export them."""


def _print_report(report: ValidationReport, output: str) -> None:
    if output == "json":
        click.echo(report.to_json())
    else:
        click.echo(report.render_text())


@data.command("check")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@_REPORT_FORMAT
@_AS_AT
@_EXTRACT_FORMAT
@collection_year_option
@_FROM_DB
@_DB_SCHEMA
def check(
    path: Path | None,
    output: str,
    as_at: date | None,
    extract_format: str | None,
    collection_year: int | None,
    from_db: str | None,
    db_schema: str | None,
) -> None:
    """Check an extract (a file or a folder, or the SSD in a database) without loading it;
    exit 1 when it has errors."""
    from journey.engine.casedata.load import read_files, read_path
    from journey.engine.casedata.safety import Limits

    _path_or_database(path, from_db)
    if from_db is not None:
        files = _ssd_database_files(from_db, db_schema)
        _, report = read_files(files, as_at=as_at, format="ssd", limits=Limits.from_env())
    else:
        assert path is not None
        _, report = read_path(
            path,
            as_at=as_at,
            format=extract_format,
            limits=Limits.from_env(),
            collection_year=collection_year,
        )
    _print_report(report, output)
    sys.exit(0 if report.ok else 1)


@data.command("load")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@_AS_AT
@click.option("--by", default=None, help="Who is loading it (default: your user name).")
@_STORE
@_EXTRACT_FORMAT
@collection_year_option
@_FROM_DB
@_DB_SCHEMA
def load(
    path: Path | None,
    as_at: date | None,
    by: str | None,
    store_dir: Path | None,
    extract_format: str | None,
    collection_year: int | None,
    from_db: str | None,
    db_schema: str | None,
) -> None:
    """Check an extract and, when it has no errors, keep it as a snapshot in the store
    (an extract PATH, or --from-db URL for the SSD in a council's database)."""
    from rich.progress import BarColumn, Progress, TextColumn

    from journey.engine.casedata.load import files_from_path, with_collection_year
    from journey.engine.casedata.safety import Limits, UnsafeInput
    from journey.engine.casedata.store import AlreadyLoaded

    _path_or_database(path, from_db)
    store = _store(store_dir)
    limits = Limits.from_env()
    if from_db is not None:
        files = _ssd_database_files(from_db, db_schema)
        extract_format, source = "ssd", "the SSD database"
    else:
        assert path is not None
        source = path.name
        try:
            files = files_from_path(path, limits)
        except UnsafeInput as refused:
            click.echo(f"Not loaded: {refused.problem}", err=True)
            sys.exit(1)
    if collection_year is not None:
        files, conflicts = with_collection_year(files, collection_year)
        for problem in conflicts:
            click.echo(f"Not loaded: {problem}", err=True)
        if conflicts:
            sys.exit(1)
    with Progress(
        TextColumn("{task.description:<40}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%")
    ) as bar:
        task = bar.add_task("Loading", total=1.0)

        def progress(fraction: float, message: str) -> None:
            bar.update(task, completed=fraction, description=message)

        try:
            info, report = store.load(
                files,
                by=by or getpass.getuser(),
                as_at=as_at,
                format=extract_format,
                limits=limits,
                progress=progress,
            )
        except ExtractRejected as rejected:
            bar.stop()
            click.echo(rejected.report.render_text(), err=True)
            click.echo(f"Not loaded: {source} has errors; nothing was stored.", err=True)
            sys.exit(1)
        except AlreadyLoaded as already:
            bar.stop()
            click.echo(f"Not loaded: {already}", err=True)
            sys.exit(1)
    rows = sum(info.rows.values())
    click.echo(
        f"Loaded {source} as snapshot {info.id[:12]} ({info.format}, as at "
        f"{info.as_at or 'unknown'}): {rows:,} rows, {info.warnings} warnings, "
        f"{sum(info.flagged.values()):,} rows flagged."
    )
    for table, n in info.rows.items():
        if n:
            click.echo(f"  {table:<14} {n:>8,} rows  {info.flagged[table]:>6,} flagged")


@data.command("list")
@_STORE
def list_snapshots(store_dir: Path | None) -> None:
    """List the snapshots in the store, oldest first."""
    from rich.console import Console
    from rich.table import Table

    snapshots = _store(store_dir).snapshots()
    if not snapshots:
        click.echo("The store holds no snapshots.")
        return
    table = Table("id", "as at", "format", "loaded by", "loaded at", "files", "rows", "warnings")
    for s in snapshots:
        table.add_row(
            s.id[:12],
            str(s.as_at or ""),
            s.format,
            s.loaded_by,
            s.loaded_at,
            ", ".join(s.names) if len(s.files) <= 2 else f"{len(s.files)} files",
            f"{sum(s.rows.values()):,}",
            str(s.warnings),
        )
    Console(width=160).print(table)


@data.command("remove")
@click.argument("snapshot_id")
@click.option(
    "--reason", required=True, help="Why the snapshot is removed (kept in the removal log)."
)
@click.option("--by", default=None, help="Who is removing it (default: your user name).")
@_STORE
def remove(snapshot_id: str, reason: str, by: str | None, store_dir: Path | None) -> None:
    """Remove a snapshot and its original files; the removal is logged."""
    from journey.engine.casedata.store import SnapshotNotFound

    try:
        removal = _store(store_dir).remove(snapshot_id, who=by or getpass.getuser(), reason=reason)
    except (SnapshotNotFound, ValueError) as err:
        click.echo(f"Not removed: {err.args[0]}", err=True)
        sys.exit(1)
    click.echo(f"Removed snapshot {removal.id[:12]} ({', '.join(removal.files)}): {removal.reason}")


@data.command("export")
@click.argument("snapshot_id")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder (csv) or workbook path (xlsx).",
)
@click.option(
    "--format", "output", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True
)
@_STORE
def export(snapshot_id: str, out: Path, output: str, store_dir: Path | None) -> None:
    """Export a snapshot in the canonical format (CSV files in a folder, or one workbook)."""
    from journey.engine.casedata import canonical
    from journey.engine.casedata.store import SnapshotNotFound

    try:
        extract = _store(store_dir).load_snapshot(snapshot_id)
    except SnapshotNotFound as err:
        click.echo(f"Not exported: {err.args[0]}", err=True)
        sys.exit(1)
    if output == "csv":
        paths = canonical.write_csv_folder(extract, out)
        click.echo(f"Wrote {len(paths)} files to {out}")
    else:
        target = out / f"extract-{snapshot_id[:12]}.xlsx" if out.is_dir() else out
        canonical.write_xlsx(extract, target)
        click.echo(f"Wrote {target}")


@data.command("report")
@click.argument("snapshot_id")
@_REPORT_FORMAT
@_STORE
def report(snapshot_id: str, output: str, store_dir: Path | None) -> None:
    """Show the validation report a snapshot was accepted with."""
    from journey.engine.casedata.store import SnapshotNotFound

    try:
        kept = _store(store_dir).report(snapshot_id)
    except SnapshotNotFound as err:
        click.echo(f"No report: {err.args[0]}", err=True)
        sys.exit(1)
    _print_report(kept, output)


@data.command("verify")
@click.argument("snapshot_id")
@_STORE
def verify(snapshot_id: str, store_dir: Path | None) -> None:
    """Recompute a snapshot from its stored original files; exit 1 if any table differs."""
    from journey.engine.casedata.store import SnapshotNotFound

    store = _store(store_dir)
    try:
        info = store.get(snapshot_id)
        differing = store.verify(info.id)
    except SnapshotNotFound as err:
        click.echo(f"Not verified: {err.args[0]}", err=True)
        sys.exit(1)
    if differing:
        click.echo(f"Snapshot {info.id[:12]} differs from its originals in: {', '.join(differing)}")
        sys.exit(1)
    click.echo(
        f"Snapshot {info.id[:12]}: every table recomputes identically from the original files."
    )


@data.command("schema-doc")
@click.option(
    "--update",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Replace the generated section of this Markdown file (docs/data-format.md) instead.",
)
def schema_doc(update: Path | None) -> None:
    """Print the canonical tables, columns, code lists and rules as Markdown (for docs/data-format.md)."""
    from journey.engine.casedata.docs import replace_generated, schema_markdown

    if update is None:
        click.echo(schema_markdown(), nl=False)
        return
    update.write_text(replace_generated(update.read_text(encoding="utf-8")), encoding="utf-8")
    click.echo(f"Updated the generated reference in {update}")


def register(main: click.Group) -> None:
    main.add_command(data)
