"""``journey demo``: a synthetic council from extract to board pack, served in the browser.

Every step is the one an analyst takes with a real council — generate (instead of
extract), check and load into the snapshot store, compute the plan's measures, enter the
manual figures, write and approve narrative, build the reports — so the demo shows the
product working, not a mock-up of it. Only invented data is used.
"""

from __future__ import annotations

import os
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from journey.cli._options import date_option, month_option

DEMO_MARKER = ".journey-demo"
EXAMPLE_PLAN = Path(__file__).resolve().parents[3] / "examples" / "plan.yaml"


def _step(message: str) -> None:
    click.secho(f"• {message}", fg="cyan", err=True)


def _prepare_data_dir(data_dir: Path, keep: bool) -> None:
    """Start from an empty demo folder; refuse to wipe a folder the demo did not make."""
    if data_dir.exists() and not keep:
        if any(data_dir.iterdir()) and not (data_dir / DEMO_MARKER).exists():
            raise click.UsageError(
                f"{data_dir} exists and was not made by `journey demo`; choose another --data-dir."
            )
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / DEMO_MARKER).write_text("Made by `journey demo`; deleted and rebuilt by it.\n")


def _manual_figures(plan: Any, first: str, last: str, seed: int) -> Any:
    """Plausible monthly figures for the plan's manual measures (surveys, HR, judgements).

    Each series starts below its first milestone and moves towards the targets with
    month-to-month noise, so the demo shows manual measures rated like computed ones.
    """
    import numpy as np
    import polars as pl

    from journey.engine.evaluation import target_for
    from journey.engine.observations import SCHEMA
    from journey.engine.periods import month_range
    from journey.engine.plan import Polarity

    rng = np.random.default_rng(seed)
    months = month_range(first, last)
    rows: list[dict[str, Any]] = []
    for measure in plan.measures:
        if measure.source.kind != "manual":
            continue
        in_force = [target_for(measure, month, plan.default_tolerance) for month in months]
        targets = [t.target if t is not None else None for t in in_force]
        known = [t for t in targets if t is not None]
        if not known:
            continue
        scale = max(abs(known[0]), 1.0)
        worse = -1.0 if measure.polarity == Polarity.HIGHER_IS_BETTER else 1.0
        start_gap = 0.15 * scale * worse
        for i, (month, target) in enumerate(zip(months, targets, strict=True)):
            target = known[0] if target is None else target
            progress = i / max(len(months) - 1, 1)
            value = target + start_gap * (1.1 - progress) + rng.normal(0, 0.04 * scale)
            if measure.unit == "percent":
                value = min(max(value, 0.0), 100.0)
            value = round(max(value, 0.0), measure.display_decimals)
            rows.append({"measure_id": measure.id, "period": month, "value": value,
                         "period_type": "month", "source": "manual"})
    frame = pl.DataFrame(rows) if rows else pl.DataFrame(schema={"measure_id": pl.String})
    missing = [name for name in SCHEMA if name not in frame.columns]
    return frame.with_columns([pl.lit(None, SCHEMA[name]).alias(name) for name in missing])


def _seed_narrative(plan: Any, month: str, director: Any) -> tuple[int, int]:
    """Narrative for the month: approved for some measures, waiting for sign-off for others."""
    from journey.engine.evaluation import format_value
    from journey.web.narrative import services as narrative
    from journey.web.plans import services as plans

    evaluations = plans.evaluations_for(month, plan)
    approved = submitted = 0
    for index, measure in enumerate(plan.measures):
        result = evaluations.get(measure.id)
        if result is None or result.value is None:
            continue
        texts = {
            "working_well": (
                f"{measure.title} stood at {format_value(result.value, measure.unit, measure.display_decimals)} in {month}. "
                f"{result.reason}"
            ),
            "worried_about": (
                f"{result.direction_reason.rstrip('.')}. We are checking whether the change is more than "
                "month-to-month variation before drawing conclusions."
            ),
            "doing_about": (
                f"{measure.owner or 'The service lead'} reviews the children behind this figure "
                "in the weekly performance meeting and reports progress to the Board."
            ),
        }
        saved = narrative.save(director, measure.id, month, texts, base_version=0, submit=True)
        if index % 3 == 2:
            submitted += 1
            continue
        narrative.approve(
            director, measure.id, month, base_version=saved.narrative.version,
            comment="Approved for the Board.",
        )
        approved += 1
    return approved, submitted


DEMO_REPORTS = (
    ("monthly", ("pdf", "docx", "html", "xlsx")),
    ("quarterly", ("pdf", "docx")),
    ("scrutiny", ("docx", "pdf")),
    ("summary", ("pdf",)),
)


def _build_reports(month: str, out_dir: Path) -> list[Path]:
    """The board pack and the other reports for ``month``, as the Reports page builds them."""
    from journey.engine.reports import renderers
    from journey.engine.reports.assemble import assemble
    from journey.web.reports.services import build_inputs

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, formats in DEMO_REPORTS:
        built = assemble(kind, build_inputs(month, kind=kind))
        for fmt in formats:
            renderer = renderers.get(fmt)
            path = out_dir / renderer.filename(built)
            path.write_bytes(renderer.render(built))
            click.echo(f"  {path}", err=True)
            written.append(path)
    return written


@click.command("demo")
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path("var/demo"),
              show_default=True, help="Folder for the demo's database, store and reports.")
@click.option("--population", default=33_000, show_default=True, help="Children aged 0-17.")
@click.option("--seed", default=7, show_default=True, help="Random seed of the synthetic council.")
@click.option("--from", "first_month", default="2021-04", show_default=True, callback=month_option,
              help="First month of case data (YYYY-MM).")
@click.option("--as-at", "as_at", default="2024-10-14", show_default=True, callback=date_option,
              help="Date the synthetic extract is taken (mid-month gives a 'Latest' column).")
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="Serve the web application when the demo is built.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--keep", is_flag=True, help="Keep an existing demo folder instead of rebuilding it.")
@click.pass_context
def demo(ctx: click.Context, data_dir: Path, population: int, seed: int, first_month: str,
         as_at: date, serve: bool, host: str, port: int, keep: bool) -> None:
    """Build a synthetic council end to end and serve it on http://HOST:PORT/ with demo logins."""
    data_dir = data_dir.resolve()
    os.environ.setdefault("JOURNEY_ENV", "development")
    os.environ["JOURNEY_DATA_DIR"] = str(data_dir)
    if os.environ["JOURNEY_ENV"] != "development":
        raise click.UsageError("The demo runs only with JOURNEY_ENV=development.")
    os.environ.pop("DATABASE_URL", None)  # the demo always uses its own SQLite file
    if not keep:
        _prepare_data_dir(data_dir, keep)

    from journey.cli._django import setup_django

    setup_django()
    from django.core.management import call_command

    from journey.cli.web import serve as serve_command
    from journey.cli.web import users_demo
    from journey.engine.casedata import canonical
    from journey.engine.casedata.schema import Extract
    from journey.engine.casedata.synth import synth_case_data
    from journey.engine.periods import last_complete_month
    from journey.web.accounts.models import User
    from journey.web.actions import services as actions
    from journey.web.casedata import services as casedata
    from journey.web.plans import services as plans

    if keep and (data_dir / "journey.sqlite3").exists():
        _step("Keeping the existing demo")
    else:
        _step("Creating the database")
        call_command("migrate", interactive=False, verbosity=0)

        _step(f"Loading the example plan ({EXAMPLE_PLAN.name})")
        plans.save_plan_version(EXAMPLE_PLAN.read_text(encoding="utf-8"),
                                filename=EXAMPLE_PLAN.name, user=None, origin="command")
        plan = plans.active_plan()
        assert plan is not None

        extract_date = as_at
        last_month = last_complete_month(extract_date)
        _step(f"Generating a synthetic council: {population:,} children, {first_month} to "
              f"{as_at} (seed {seed})")
        generated: Extract = synth_case_data(
            population=population, first_month=first_month, last_month=str(last_month),
            seed=seed, as_at=extract_date,
        )
        files = canonical.to_csv_files(generated)
        extract_dir = data_dir / "extract"
        canonical.write_csv_folder(generated, extract_dir)

        _step("Checking and loading the extract into the snapshot store")
        info, report = casedata.store().load(files, by="demo", as_at=extract_date)
        click.echo(f"  snapshot {info.id[:12]}: {sum(info.rows.values()):,} rows, "
                   f"{len(report.warnings)} warnings", err=True)
        extract = casedata.store().load_snapshot(info.id)

        _step("Computing the plan's measures")
        with click.progressbar(length=100, label="  measures", file=sys.stderr) as bar:
            done = [0]

            def tell(percent: int, message: str) -> None:
                bar.update(max(percent - done[0], 0))
                done[0] = max(done[0], percent)

            outcome = casedata.compute_figures(extract, info.id, None, tell)
        click.echo(f"  {outcome['message']}", err=True)

        _step("Entering the manual figures (surveys, workforce, inspection)")
        manual = _manual_figures(plan, first_month, str(last_month), seed)
        plans.store_observations(manual, None, name="demo manual figures", sha256="",
                                 default_source="manual")

        _step("Tracking the plan's actions and writing narrative")
        director, _ = User.objects.get_or_create(
            username="demo-director", defaults={"role": "director", "display_name": "Demo director"}
        )
        actions.sync(plan, director)
        approved, submitted = _seed_narrative(plan, str(last_month), director)
        click.echo(f"  narrative for {last_month}: {approved} approved, {submitted} awaiting "
                   "sign-off", err=True)

        _step("Writing the reports")
        _build_reports(str(last_month), data_dir / "reports")

    click.echo("")
    ctx.invoke(users_demo)
    click.echo(f"\nDemo data in {data_dir}")
    if serve:
        ctx.invoke(serve_command, host=host, port=port, threads=8, no_migrate=False)


def register(main: click.Group) -> None:
    main.add_command(demo)
