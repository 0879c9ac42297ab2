"""``journey report monthly|quarterly|scrutiny``: the board pack and the other reports as files.

Two sources of figures:

* ``--plan PLAN --observations OBS.csv`` — straight from files, no database. There is no
  narrative, so every measure shows "Narrative not yet approved" and the report is DRAFT.
* otherwise the web application's database: the active plan, the stored figures, the
  month's approved narrative and the tracked actions.

Exit codes: 0 written; 1 the inputs have problems (each is printed) or the report cannot be
built; 2 the command was called wrongly.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from journey.cli._options import month_option

if TYPE_CHECKING:
    from journey.engine.reports.inputs import ReportInputs

KINDS = ("monthly", "quarterly", "scrutiny", "summary")
FORMATS = ("pdf", "docx", "html", "xlsx", "csv")


def _inputs_from_files(plan_path: Path, observations_path: Path, period: str | None) -> ReportInputs:
    from journey.cli.plan import _load_plan_or_exit
    from journey.engine.observations import ObservationsError, read_observations
    from journey.engine.reports.inputs import ReportInputs

    plan = _load_plan_or_exit(plan_path)
    warnings: list[str] = []
    try:
        frame = read_observations(observations_path, warnings=warnings)
    except ObservationsError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        if exc.more:
            click.echo(f"... and {exc.more} more problems", err=True)
        click.echo(f"{observations_path.name} has problems; no report was written.", err=True)
        sys.exit(1)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if period is None:
        months = sorted(set(frame.filter(frame["period_type"] == "month")["period"].to_list()))
        if not months:
            click.echo(f"{observations_path.name} has no monthly figures; give --period.", err=True)
            sys.exit(1)
        period = months[-1]
    return ReportInputs(plan=plan, observations=frame, period=period, source_label=f"{plan_path.name} and {observations_path.name}")


def _inputs_from_database(period: str | None, kind: str) -> ReportInputs:
    from journey.cli._django import setup_django

    setup_django()
    from journey.web.plans.services import months_available
    from journey.web.reports.services import ReportUnavailable, build_inputs

    if period is None:
        months = months_available()
        if not months:
            click.echo("The database holds no figures yet; import or compute some first.", err=True)
            sys.exit(1)
        period = months[-1]
    try:
        return build_inputs(period, kind=kind)
    except ReportUnavailable as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


@click.command("report")
@click.argument("kind", type=click.Choice(KINDS))
@click.option("--period", callback=month_option, metavar="YYYY-MM", help="The report's month (the quarter or six months end with it). Default: the latest month with figures.")
@click.option("--format", "fmt", metavar="|".join(FORMATS), help="Output format (any registered renderer). Default: from the extension of -o, else pdf.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write. Default: a name from the report, month and format.")
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="A plan file (with --observations: no database).")
@click.option("--observations", "observations_path", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="An observations CSV (with --plan).")
@click.option("--charts/--no-charts", default=True, show_default=True, help="Draw a chart for each measure.")
def report(kind: str, period: str | None, fmt: str | None, output: Path | None, plan_path: Path | None, observations_path: Path | None, charts: bool) -> None:
    """Build the KIND report (monthly, quarterly, scrutiny or the one-page summary) as PDF, Word, HTML, Excel or CSV.

    \b
    From files:        journey report monthly --plan plan.yaml --observations obs.csv --period 2024-06 -o pack.pdf
    From the database: journey report quarterly --period 2024-06 --format docx -o minister.docx
    """
    if (plan_path is None) != (observations_path is None):
        raise click.UsageError("--plan and --observations go together (or give neither to use the database)")
    from journey.engine.reports import renderers
    from journey.engine.reports.assemble import assemble

    if fmt is None:
        suffix = output.suffix.lower().lstrip(".") if output is not None else ""
        by_extension = {r.extension: r.name for r in renderers.renderers()}
        fmt = by_extension.get(suffix, "pdf")
    if fmt not in renderers.names():
        raise click.BadParameter(f"{fmt!r} is not a report format: choose one of {', '.join(renderers.names())}", param_hint="--format")

    started = time.monotonic()
    if plan_path is not None and observations_path is not None:
        inputs = _inputs_from_files(plan_path, observations_path, period)
    else:
        inputs = _inputs_from_database(period, kind)
    inputs.charts = charts
    built = assemble(kind, inputs)
    renderer = renderers.get(fmt)
    content = renderer.render(built)
    target = output or Path(renderer.filename(built))
    target.write_bytes(content)
    seconds = time.monotonic() - started
    click.echo(f"Wrote {target} ({len(content):,} bytes, {seconds:.1f} s): {built.title}, {built.subtitle or built.period_label}.")
    if built.draft:
        click.echo("DRAFT: " + " ".join(built.draft_reasons), err=True)


def register(main: click.Group) -> None:
    main.add_command(report)
