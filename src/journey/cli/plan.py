"""``journey plan check`` and ``journey evaluate``: the plan file and the month's RAG.

Exit codes: 0 success; 1 the plan or observations file has problems (every problem is
printed, nothing is used); 2 the command was called wrongly (click's usage errors).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import click

from journey.cli._options import month_option
from journey.engine.periods import month_label

PLAN_PATH = click.Path(dir_okay=False, path_type=Path)


def _library_ids() -> dict[str, frozenset[str]]:
    from journey.engine.measures import library_ids

    return library_ids()


def _load_plan_or_exit(path: Path, *, check_library: bool = False):
    from journey.engine.plan import PlanError, load_plan

    try:
        return load_plan(path, library_ids=_library_ids() if check_library else None)
    except PlanError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        n = len(exc.problems)
        click.echo(f"{n} problem{'s' if n != 1 else ''} in {path.name}; the plan was not loaded.", err=True)
        sys.exit(1)


@click.group("plan")
def plan_group() -> None:
    """The improvement plan file (see docs/plan-format.md)."""


@plan_group.command("check")
@click.argument("plan_file", metavar="PLAN", type=PLAN_PATH)
@click.option(
    "--library/--no-library",
    "check_library",
    default=True,
    show_default=True,
    help="Also check that every computed source names a measure of the measure library.",
)
def check(plan_file: Path, check_library: bool) -> None:
    """Validate PLAN; print a summary, or every problem with its line (exit 1)."""
    plan = _load_plan_or_exit(plan_file, check_library=check_library)
    measures = plan.measures
    computed = sum(1 for m in measures if m.source.kind == "computed")
    no_target = sum(1 for m in measures if not m.targets and m.bands is None)
    a = plan.authority
    click.echo(f"{plan_file.name} is valid.")
    if plan.title:
        click.echo(plan.title)
    click.echo(f"Authority: {a.name} (LA code {a.la_code})")
    click.echo(
        f"{len(plan.priorities)} priorities, {len(measures)} measures "
        f"({computed} computed, {len(measures) - computed} manual), {len(plan.actions)} actions"
    )
    for p in plan.priorities:
        name = p.title if p.title.startswith(p.id) else f"{p.id} {p.title}"
        click.echo(f"  {name}: {len(p.measures)} measures, {len(p.actions)} actions")
    if no_target:
        click.echo(f"{no_target} measure(s) have no target and will be shown but not rated.")


@click.command("evaluate")
@click.option("--plan", "plan_file", required=True, type=PLAN_PATH, help="The plan file (YAML).")
@click.option(
    "--observations",
    "observations_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Observations CSV: measure_id,period,value[,numerator,denominator,...].",
)
@click.option("--period", required=True, callback=month_option, help="The month to evaluate, YYYY-MM.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="Output format.",
)
def evaluate(plan_file: Path, observations_file: Path, period: str, fmt: str) -> None:
    """RAG and direction of travel for every measure of the plan in one month."""
    from journey.engine.evaluation import evaluate_plan
    from journey.engine.observations import ObservationsError, read_observations

    plan = _load_plan_or_exit(plan_file)
    warnings: list[str] = []
    try:
        observations = read_observations(observations_file, warnings=warnings)
    except ObservationsError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        total = len(exc.problems) + exc.more
        if exc.more:
            click.echo(f"... and {exc.more} more", err=True)
        click.echo(
            f"{total} problem{'s' if total != 1 else ''} in {observations_file.name}; nothing was evaluated.",
            err=True,
        )
        sys.exit(1)
    result = evaluate_plan(plan, observations, period)
    for warning in warnings + result.warnings:
        click.echo(f"warning: {warning}", err=True)

    rows = [r.to_dict() for r in result.results]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["measure_id"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        click.echo(buf.getvalue(), nl=False)
    else:
        _table(plan, result)


_RAG_STYLE = {"green": "bold green", "amber": "bold yellow", "red": "bold red", "not_rated": "dim"}
_DOT_SYMBOL = {"improving": "▲ Improving", "worsening": "▼ Worsening", "no_change": "► No change", "not_comparable": "– Not comparable"}


def _table(plan, result) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not console.is_terminal:
        console = Console(width=140)  # files and pipes: wide enough for the six columns
    console.print(f"[bold]{plan.authority.name}[/bold] — {month_label(result.period)}")
    for priority in plan.priorities:
        rows = [r for r in result.results if r.priority == priority.id]
        name = priority.title if priority.title.startswith(priority.id) else f"{priority.id} – {priority.title}"
        table = Table(title=name, title_justify="left")
        table.add_column("Measure", overflow="fold")
        table.add_column("Actual", justify="right")
        table.add_column("Target", justify="right")
        table.add_column("Tolerance")
        table.add_column("RAG")
        table.add_column("DoT")
        for r in rows:
            rag_label = r.rag.label
            table.add_row(
                r.title,
                r.value_text,
                r.target_text,
                r.tolerance,
                f"[{_RAG_STYLE[r.rag.value]}]{rag_label}[/]",
                _DOT_SYMBOL[r.direction.value],
            )
        console.print(table)
    counts = result.counts()
    console.print(
        f"Green {counts['green']} · Amber {counts['amber']} · Red {counts['red']} · Not rated {counts['not_rated']}"
    )


def register(main: click.Group) -> None:
    main.add_command(plan_group)
    main.add_command(evaluate)
