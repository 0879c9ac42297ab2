"""``journey data``: check, load, list, remove and export case-data extracts."""

from __future__ import annotations

import contextlib
import getpass
import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import click

from journey.cli._options import collection_year_option, date_option
from journey.engine.casedata.problems import ValidationReport


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
        extract, report = read_files(files, as_at=as_at, format="ssd", limits=Limits.from_env())
    else:
        assert path is not None
        extract, report = read_path(
            path,
            as_at=as_at,
            format=extract_format,
            limits=Limits.from_env(),
            collection_year=collection_year,
        )
    _print_report(report, output)
    if output != "json" and report.ok and extract.has_table("referrals"):
        from journey.engine.measures.history import ReferralHistory, referrals_complete_from

        complete_from = referrals_complete_from(extract.tables["referrals"])
        if complete_from is not None:
            history = ReferralHistory(complete_from)
            click.echo(
                f"Referrals: complete from {complete_from:%B %Y} (referrals table, referral_date). "
                f"Re-referrals within 12 months cannot be seen for referrals before "
                f"{history.understated_before.day} {history.understated_before:%B %Y}: figures for "
                "periods before then are understated."
            )
    sys.exit(0 if report.ok else 1)


@data.command("load")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@_AS_AT
@click.option("--by", default=None, help="Who is loading it (default: your user name).")
@_EXTRACT_FORMAT
@collection_year_option
@_FROM_DB
@_DB_SCHEMA
@click.option(
    "--acknowledge",
    "acknowledged",
    multiple=True,
    metavar="NAME",
    help="Acknowledge a warning by its name (population, children, older, tables), as the "
    "proposal asks; repeat for several.",
)
@click.option(
    "--yes",
    is_flag=True,
    help="Accept without asking (warnings must still be acknowledged with --acknowledge).",
)
@click.option("--moves", default=20, show_default=True, help="How many of the largest moves to list.")
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="When JOURNEY_MAX_CONCURRENT_CHECKS extracts are being checked already (by the web "
    "service or other loads), wait for one to finish, or stop and change nothing.",
)
def load(
    path: Path | None,
    as_at: date | None,
    by: str | None,
    extract_format: str | None,
    collection_year: int | None,
    from_db: str | None,
    db_schema: str | None,
    acknowledged: tuple[str, ...],
    yes: bool,
    moves: int,
    wait: bool,
) -> None:
    """Check an extract (PATH, or --from-db URL for the SSD in a council's database), show
    what it would change, and load it when accepted.

    The proposal comes first: the extract's council, population, dates and tables against
    the plan and the data in use, and the figures that would change (the largest moves
    first, with RAG before and after). Nothing changes until it is accepted. A warning
    that must be acknowledged is named: type its name when asked, or give --acknowledge
    NAME. An accepted load can be undone with `journey data activate`.

    The check counts against JOURNEY_MAX_CONCURRENT_CHECKS with the web service's: when
    that many extracts are being checked already it waits its turn (or with --no-wait
    stops, changing nothing).
    """
    from journey.cli._django import setup_django
    from journey.engine.casedata.load import files_from_path, with_collection_year
    from journey.engine.casedata.safety import Limits, UnsafeInput

    _path_or_database(path, from_db)
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
    setup_django()
    _migrate()
    from django.db import DatabaseError

    from journey.web.casedata import services

    who = by or getpass.getuser()
    given = set(acknowledged)
    for _attempt in range(3):
        with _check_slot(wait), _bar() as tell:
            proposal = services.propose(
                files, as_at=as_at, format=extract_format, limits=limits, progress=tell
            )
        _print_proposal(proposal, moves)
        if proposal.errors:
            click.echo(f"Not loaded: {source} cannot be loaded (see above); nothing was changed.", err=True)
            sys.exit(1)
        for check in proposal.to_acknowledge:
            if check.code in given:
                continue
            if yes:
                click.echo(
                    f"Not loaded: the warning '{check.code}' must be acknowledged "
                    f"(--acknowledge {check.code}); nothing was changed.",
                    err=True,
                )
                sys.exit(1)
            typed = click.prompt(
                f"Type '{check.code}' to acknowledge the warning about the {check.title.lower()}",
                default="", show_default=False,
            )
            if typed.strip() != check.code:
                click.echo("Not acknowledged: nothing was changed.", err=True)
                sys.exit(1)
            given.add(check.code)
        if not yes and not click.confirm("Accept this load and put its figures in use?", default=False):
            click.echo("Not loaded: nothing was changed.", err=True)
            sys.exit(1)
        try:
            with _bar() as tell:
                snapshot = services.accept(
                    proposal, user=None, by_name=who, acknowledged=given, progress=tell
                )
        except services.ProposalOutdated as outdated:
            click.echo(f"{outdated.message} Checking it again.", err=True)
            continue
        except DatabaseError as error:
            click.echo(
                f"Not loaded: the database failed during the load ({error}). Nothing was "
                "changed; load it again when the database is back.",
                err=True,
            )
            sys.exit(1)
        undo = snapshot.based_on.short_id if snapshot.based_on else None
        click.echo(
            f"Loaded {source} as snapshot {snapshot.short_id} ({snapshot.format}, as at "
            f"{snapshot.as_at or 'unknown'}), now the data in use: {snapshot.figures:,} figures."
            + (f" To undo: journey data activate {undo} --reason '...'" if undo else "")
        )
        return
    click.echo("Not loaded: the data in use kept changing while this was checked.", err=True)
    sys.exit(1)


SLOT_POLL_SECONDS = 2
"""How often a load waiting for a check slot tries again."""


def _pause(seconds: float) -> None:
    time.sleep(seconds)


@contextlib.contextmanager
def _check_slot(wait: bool) -> Iterator[None]:
    """Hold one of the ``JOURNEY_MAX_CONCURRENT_CHECKS`` check slots while the extract is
    checked, as the web service's checks do (``journey.web.casedata.slots``): this process
    counts against the same limit. When every slot is taken, wait for one (saying so once),
    or with ``wait`` False stop and change nothing."""
    from journey.web.casedata.slots import check_slot, max_checks

    told = False
    while True:
        with check_slot() as slot:
            if slot is not None:
                yield
                return
        busy = max_checks()
        many = "1 extract is" if busy == 1 else f"{busy} extracts are"
        if not wait:
            click.echo(
                f"Not checked: {many} being checked already, the most at once "
                "(JOURNEY_MAX_CONCURRENT_CHECKS). Nothing was changed; run it again when one has "
                "finished, or without --no-wait to wait for it.",
                err=True,
            )
            sys.exit(1)
        if not told:
            click.echo(f"Waiting: {many} being checked already, the most at once. This check starts when one finishes.", err=True)
            told = True
        _pause(SLOT_POLL_SECONDS)


def _migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


@contextlib.contextmanager
def _bar() -> Iterator[Callable[[int, str], None]]:
    """A progress bar on standard error, told the percentage done and what is happening."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description:<48}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("Loading", total=100)
        yield lambda percent, message: bar.update(task, completed=percent, description=message[:48])


def _print_proposal(proposal: Any, moves: int) -> None:
    report = proposal.report
    counts = report.counts_by_severity()
    click.echo(f"Extract: {', '.join(report.files)} (read as {report.format or 'not recognised'})")
    click.echo(f"  {counts['error']} errors, {counts['warning']} warnings in the extract")
    for problem in report.errors[:20]:
        click.echo(f"  ERROR [{problem.code}] {problem}")
    if len(report.errors) > 20:
        click.echo(f"  ... and {len(report.errors) - 20} more errors (journey data check shows them all)")
    label = {"error": "ERROR", "acknowledge": "ACKNOWLEDGE", "information": ""}
    for check in proposal.checks:
        name = f" ({check.code})" if check.severity == "acknowledge" else ""
        click.echo(f"{label[check.severity]:<11} {check.title}{name}: {check.message}")
    diff = proposal.diff
    if diff is None:
        return
    click.echo(
        f"Figures: {proposal.figures.height:,} for {proposal.first_month} to {proposal.last_month}; "
        f"{diff.total:,} would change ({diff.changed:,} changed, {diff.added:,} new, "
        f"{diff.removed:,} no longer shown), {diff.unchanged:,} stay the same."
    )
    if diff.months:
        click.echo("  month    headline  all figures")
        for month in diff.months:
            click.echo(f"  {month.month}  {month.headline:>8}  {month.figures:>11}")
    if diff.moves:
        click.echo(f"Largest moves first ({min(moves, len(diff.moves))} of {diff.move_count}):")
        for move in diff.moves[:moves]:
            click.echo(
                f"  {move.title}, {move.month}: {move.old_text} -> {move.new_text} "
                f"(RAG {move.old_rag} -> {move.new_rag})"
            )


@data.command("activate")
@click.argument("snapshot_id")
@click.option("--reason", required=True, help="Why the data in use changes (kept in the audit log).")
@click.option("--by", default=None, help="Who is changing it (default: your user name).")
def activate(snapshot_id: str, reason: str, by: str | None) -> None:
    """Make an accepted snapshot the data in use again: every figure goes back to what it
    was when that snapshot was in use. Later snapshots are kept."""
    from journey.cli._django import setup_django

    setup_django()
    _migrate()
    from journey.web.casedata import figures
    from journey.web.casedata.models import DataSnapshot

    if not re.fullmatch(r"[0-9a-f]{6,64}", snapshot_id):
        click.echo(f"Not changed: {snapshot_id!r} is not a snapshot id (6 to 64 hex digits).", err=True)
        sys.exit(1)
    matches = list(DataSnapshot.objects.filter(sha256__startswith=snapshot_id)[:2])
    if len(matches) != 1:
        why = "matches several snapshots" if matches else "is not an accepted snapshot"
        click.echo(f"Not changed: {snapshot_id!r} {why} (journey data list shows them).", err=True)
        sys.exit(1)
    chosen = matches[0]
    try:
        outcome = figures.activate(
            chosen, user=None, by_name=by or getpass.getuser(), reason=reason,
            on_wait=lambda: click.echo("Waiting for another load to finish...", err=True),
        )
    except figures.ActivationRefused as refused:
        click.echo(f"Not changed: {refused.message}", err=True)
        sys.exit(1)
    click.echo(
        f"Snapshot {chosen.short_id} (as at {chosen.as_at or 'unknown'}) is now the data in use: "
        f"{outcome['added']:,} figures added, {outcome['changed']:,} changed, "
        f"{outcome['removed']:,} removed."
    )


@data.command("list")
@_STORE
def list_snapshots(store_dir: Path | None) -> None:
    """List the accepted snapshots, oldest first, and which is in use (with --store, the
    snapshots kept in that store folder instead)."""
    from rich.console import Console
    from rich.table import Table

    if store_dir is not None:
        snapshots = _store(store_dir).snapshots()
        if not snapshots:
            click.echo("The store holds no snapshots.")
            return
        table = Table("id", "as at", "format", "loaded by", "loaded at", "files", "rows", "warnings")
        for s in snapshots:
            table.add_row(
                s.id[:12], str(s.as_at or ""), s.format, s.loaded_by, s.loaded_at,
                ", ".join(s.names) if len(s.files) <= 2 else f"{len(s.files)} files",
                f"{sum(s.rows.values()):,}", str(s.warnings),
            )
        Console(width=160).print(table)
        return
    from journey.cli._django import setup_django

    setup_django()
    _migrate()
    from journey.web.casedata import figures
    from journey.web.casedata.models import DataSnapshot

    figures.recover_if_free()
    accepted = list(DataSnapshot.objects.select_related("based_on").order_by("accepted_at", "id"))
    if not accepted:
        click.echo("No extract has been accepted yet.")
        return
    table = Table("id", "as at", "format", "accepted by", "accepted at", "on top of", "figures", "in use")
    for s in accepted:
        table.add_row(
            s.short_id, str(s.as_at or ""), s.format, s.accepted_by_name,
            f"{s.accepted_at:%Y-%m-%d %H:%M}", s.based_on.short_id if s.based_on else "",
            f"{s.figures:,}", "yes" if s.active else "",
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
