"""``journey convert``: read an extract in any format and write it in a statutory one
(for example Annex A for an inspection, from the council's canonical extract)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from journey.cli._options import collection_year_option, date_option

if TYPE_CHECKING:  # polars is imported only when a command runs, to keep the CLI quick
    from journey.engine.casedata.schema import Extract

TARGETS = ("ssda903", "cin-census", "annex-a", "canonical")


@click.command("convert")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--to", "target", type=click.Choice(TARGETS), required=True, help="The format to write."
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write into (SSDA903, canonical) or file (CIN census .xml, Annex A .xlsx; "
    "a folder gets cin_census.xml or annex_a.xlsx).",
)
@click.option(
    "--as-at",
    callback=date_option,
    metavar="DATE",
    help="The extract date (YYYY-MM-DD), overriding what the source says; the census "
    "reference date and the end of the Annex A period.",
)
@click.option(
    "--extract-format",
    metavar="NAME",
    help="Read the source as this format instead of recognising it (canonical, ssda903, cin_census, annex_a).",
)
@collection_year_option
def convert(
    source: Path,
    target: str,
    out: Path,
    as_at: date | None,
    extract_format: str | None,
    collection_year: int | None,
) -> None:
    """Read SOURCE (a file or folder in any format the product reads), check it, and write
    it in another format. Exit 1, writing nothing, when the source has errors."""
    from journey.engine.casedata.load import read_path

    extract, report = read_path(
        source, as_at=as_at, format=extract_format, collection_year=collection_year
    )
    if not report.ok:
        click.echo(report.render_text(limit=50), err=True)
        click.echo("Not converted: the source has errors.", err=True)
        sys.exit(1)
    if extract.as_at is None and target in ("cin-census", "annex-a"):
        click.echo("Not converted: the extract date is not known; give --as-at.", err=True)
        sys.exit(1)
    written = _write(target, extract, out)
    warnings = len(report.warnings)
    click.echo(
        f"Read {source.name} as {report.format} ({warnings} warning{'s' if warnings != 1 else ''}); "
        f"wrote {len(written)} file(s): " + ", ".join(str(p) for p in written)
    )


def _write(target: str, extract: Extract, out: Path) -> list[Path]:
    if target == "ssda903":
        from journey.engine.casedata.formats.ssda903 import write_ssda903

        return write_ssda903(extract, out)
    if target == "canonical":
        from journey.engine.casedata.canonical import write_csv_folder

        return write_csv_folder(extract, out)
    if target == "cin-census":
        from journey.engine.casedata.formats.cin_census import write_cin_census

        path = out / "cin_census.xml" if out.is_dir() or not out.suffix else out
        path.parent.mkdir(parents=True, exist_ok=True)
        notes = write_cin_census(extract, path)
        for note in notes:
            click.echo(f"Note: {note}", err=True)
        return [path]
    from journey.engine.casedata.formats.annex_a import write_annex_a

    path = out / "annex_a.xlsx" if out.is_dir() or not out.suffix else out
    path.parent.mkdir(parents=True, exist_ok=True)
    return [write_annex_a(extract, path, extract.as_at)]


def register(main: click.Group) -> None:
    main.add_command(convert)
