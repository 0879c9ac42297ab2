"""``journey synth``: generate a realistic synthetic council (invented children only)."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import click

from journey.cli._options import date_option, month_option

FORMATS = ("canonical", "canonical-xlsx", "ssda903", "cin-census", "annex-a", "ssd", "parquet")


def write_format(fmt: str, tables: dict, as_at: date, first: date, out: Path) -> list[Path]:
    """Write in-memory synthetic tables in one of the statutory or canonical formats."""
    import polars as pl

    from journey.engine.casedata.schema import FLAG_COLUMN, Extract
    from journey.engine.casedata.synth import SYNTHETIC_LA_CODE

    extract = Extract(
        tables={
            n: df.with_columns(pl.lit(False).alias(FLAG_COLUMN)).lazy() for n, df in tables.items()
        },
        as_at=as_at,
        la_code=SYNTHETIC_LA_CODE,
    )
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "canonical":
        from journey.engine.casedata.canonical import write_csv_folder

        return write_csv_folder(extract, out)
    if fmt == "canonical-xlsx":
        from journey.engine.casedata.canonical import write_xlsx

        return [write_xlsx(extract, out / "extract.xlsx")]
    if fmt == "ssda903":
        from journey.engine.casedata.formats.ssda903 import write_ssda903
        from journey.engine.periods import financial_year_start_year

        years = range(financial_year_start_year(first) + 1, financial_year_start_year(as_at) + 2)
        return write_ssda903(extract, out, as_at=as_at, collection_years=years)
    if fmt == "cin-census":
        from journey.engine.casedata.formats.cin_census import write_cin_census
        from journey.engine.periods import financial_year

        written = []
        fy = financial_year(first)
        while fy.start <= as_at:
            reference = min(fy.end, as_at)
            path = out / f"cin_census_{fy.label.replace('-', '')}.xml"
            write_cin_census(extract, path, reference_date=reference, period_start=fy.start)
            written.append(path)
            fy = financial_year(date(fy.start.year + 1, 4, 1))
        return written
    if fmt == "ssd":
        from journey.engine.casedata.formats.ssd import write_ssd

        return write_ssd(extract, out, as_at=as_at)
    if fmt == "annex-a":
        from journey.engine.casedata.formats.annex_a import write_annex_a

        return [write_annex_a(extract, out / "annex_a.xlsx", as_at)]
    raise click.BadParameter(f"unknown format {fmt!r}")


@click.command("synth")
@click.option(
    "--population",
    default=33_000,
    show_default=True,
    type=click.IntRange(min=1000),
    help="Children aged 0-17 in the council (12000000 for all of England).",
)
@click.option(
    "--from",
    "first_month",
    default="2020-04",
    show_default=True,
    callback=month_option,
    help="First month of the window (YYYY-MM).",
)
@click.option(
    "--to",
    "last_month",
    default="2023-07",
    show_default=True,
    callback=month_option,
    help="Last month of the window (YYYY-MM).",
)
@click.option(
    "--as-at",
    callback=date_option,
    metavar="DATE",
    help="Extract date (YYYY-MM-DD); default the last month's end. A mid-month date gives a 'latest' extract.",
)
@click.option(
    "--seed", default=7, show_default=True, type=int, help="Random seed: same seed, same council."
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory to write into.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="canonical",
    show_default=True,
    help="canonical CSVs, canonical workbook, SSDA903 CSVs, CIN census XML, Annex A workbook, Standard Safeguarding Dataset CSVs (ssd_*.csv), or Parquet per table (big runs).",
)
@click.option(
    "--to-db",
    "to_db",
    metavar="URL",
    help="With --format ssd: also write the SSD tables into this PostgreSQL database "
    "(env:NAME reads the URL from the environment), replacing the schema's ssd_* tables.",
)
@click.option(
    "--db-schema",
    default="ssd",
    show_default=True,
    metavar="NAME",
    help="The schema --to-db writes into (created when missing).",
)
@click.option(
    "--profile",
    "profile_name",
    default="deprived",
    show_default=True,
    type=click.Choice(["deprived", "england", "steady"]),
    help="Volumes and timeliness: a mid-sized deprived council improving over a plan year, England-like rates, or no improvement.",
)
@click.option(
    "--plant-problems",
    "plant",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Plant this many data-quality problems (episode ending before it starts, unknown placement code, review for an unknown child, ...).",
)
@click.option(
    "--chunk-children",
    default=None,
    type=click.IntRange(min=1000),
    help="Children per chunk (each chunk a locality with its own teams); default 250000.",
)
def synth(
    population: int,
    first_month: str,
    last_month: str,
    as_at: date | None,
    seed: int,
    out_dir: Path,
    fmt: str,
    profile_name: str,
    plant: int,
    chunk_children: int | None,
    to_db: str | None,
    db_schema: str,
) -> None:
    """Generate a synthetic council's case data: children's journeys from contacts to
    leaving care, with the workforce that holds their cases. Only invented data."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from journey.engine.casedata import synth as s

    if to_db is not None and fmt != "ssd":
        raise click.UsageError("--to-db writes the Standard Safeguarding Dataset: give --format ssd")
    profile = s.PROFILES[profile_name]
    chunk = chunk_children or s.DEFAULT_CHUNK_CHILDREN
    try:
        first, last = s.window(first_month, last_month, as_at)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None
    console = Console(stderr=True)
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        task = bar.add_task("synthetic council", total=None)

        def progress(message: str, done: int, total: int) -> None:
            bar.update(task, description=message, completed=done, total=total)

        if fmt == "parquet":
            run = s.synth_to_parquet(
                profile,
                population,
                first_month,
                last_month,
                seed,
                out_dir,
                chunk_children=chunk,
                as_at=as_at,
                plant=plant,
                progress=progress,
            )
            rows, planted = run.rows, run.planted
            files = sorted(out_dir.rglob("*.parquet"))
        else:
            tables, planted = s.synth_extract_with_problems(
                profile,
                population,
                first_month,
                last_month,
                seed,
                as_at=as_at,
                plant=plant,
                chunk_children=chunk,
                progress=progress,
            )
            bar.update(task, description=f"writing {fmt}")
            files = write_format(fmt, tables, last, first, out_dir)
            rows = {name: df.height for name, df in tables.items()}
            if to_db is not None:
                from journey.engine.casedata.ssd_db import (
                    SsdDatabaseError,
                    resolve_url,
                    shown,
                    write_ssd_database,
                )

                bar.update(task, description="writing the SSD database")
                try:
                    write_ssd_database(tables, to_db, schema=db_schema)
                    console.print(f"Wrote the SSD tables into schema {db_schema} of {shown(resolve_url(to_db))}.")
                except SsdDatabaseError as err:
                    raise click.ClickException(str(err)) from None
                    console.print(f"Wrote the SSD tables into schema {db_schema} of {shown(resolve_url(to_db))}.")
    elapsed = time.perf_counter() - started
    console.print(
        f"Synthetic council: {population:,} children aged 0-17, {first_month} to {last_month}, "
        f"extract date {last.isoformat()}, seed {seed}, profile {profile_name}."
    )
    console.print("Rows: " + ", ".join(f"{name} {n:,}" for name, n in rows.items() if n))
    console.print(f"Wrote {len(files)} file(s) to {out_dir} in {elapsed:.1f}s.")
    for p in planted:
        console.print(
            f"Planted: {p.kind.replace('_', ' ')} in {p.table} (child {p.child_id}): {p.description}"
        )


def register(main: click.Group) -> None:
    main.add_command(synth)
