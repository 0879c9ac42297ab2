"""Commands for running the service: migrate, backup and restore (see docs/deploy.md)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click

from journey.cli._django import setup_django


@click.command("migrate")
def migrate() -> None:
    """Bring the database up to date (run once before starting web and worker services)."""
    setup_django()
    from journey.cli.web import _migrate

    _migrate()
    click.echo("The database is up to date.")


def _say(message: str) -> None:
    click.echo(f"  {message}", err=True)


@click.command("backup")
@click.argument("target", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup(target: Path | None) -> None:
    """Back up the database and the data directory (snapshot store, benchmarks, uploads)
    into one tar file with a checksum manifest (default: $JOURNEY_DATA_DIR/backups/)."""
    setup_django()
    from journey.web.operations.backup import BackupError, data_dir
    from journey.web.operations.backup import backup as make_backup

    if target is None:
        target = data_dir() / "backups" / f"journey-{datetime.now():%Y%m%d-%H%M%S}.tar"
    try:
        summary = make_backup(target, _say)
    except BackupError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"Backed up {summary.records:,} records and {summary.files:,} files "
               f"({summary.bytes / 1024 / 1024:.1f} MB) to {summary.path}")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check-only", is_flag=True, help="Check the backup's checksums and stop.")
def restore(source: Path, check_only: bool) -> None:
    """Restore a backup into an empty instance (a new database and data directory),
    after checking every file against the backup's manifest."""
    setup_django()
    from journey.web.operations.backup import BackupError, verify
    from journey.web.operations.backup import restore as restore_backup

    try:
        if check_only:
            manifest = verify(source)
            click.echo(f"{source}: every checksum matches ({len(manifest['files'])} files, made "
                       f"{manifest['created_at']} by version {manifest['journey_version']}).")
            return
        summary = restore_backup(source, _say)
    except BackupError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)
    click.echo(f"Restored {summary.records:,} records and {summary.files:,} files from {source}")


def register(main: click.Group) -> None:
    main.add_command(migrate)
    main.add_command(backup)
    main.add_command(restore)
