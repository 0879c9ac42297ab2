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


def narrative_for(measure: Any, result: Any, benchmarks: dict[str, float]) -> dict[str, str]:
    """The demo's three answers for one measure, consistent with its rating, direction of
    travel and benchmarks: a Red measure is never said to be working well."""
    from journey.engine.evaluation import Direction, Rag, format_value
    from journey.engine.reports.assemble import against, benchmark_side

    def shown(value: float) -> str:
        return format_value(value, measure.unit, measure.display_decimals)

    figure = f"{measure.title} was {result.value_text} in {result.period[:4]}-{result.period[5:]}"
    rated = f"{figure}, {result.rag.label} {against(measure, result)}"
    england = next((v for k, v in benchmarks.items() if k.startswith("England")), None)
    side = benchmark_side(measure, result.value, england)
    compared = f" England's figure is {shown(england)}." if england is not None else ""
    if side:
        compared = f" That is {'better than' if side == 'better' else 'worse than' if side == 'worse' else 'the same as'} England ({shown(england)})." if england is not None else ""
    moving = {
        Direction.IMPROVING: "It improved on the month before.",
        Direction.WORSENING: "It was worse than the month before.",
        Direction.NO_CHANGE: "It was the same as the month before.",
        Direction.NOT_COMPARABLE: "",
    }[result.direction]
    owner = measure.owner or "The head of service"
    if result.rag is Rag.GREEN:
        return {
            "working_well": f"{rated}.{compared} {moving}".strip(),
            "worried_about": (
                "We need to hold this position as demand changes; the month-to-month variation "
                "is watched in the weekly performance meeting."
                if result.direction is not Direction.WORSENING
                else "The figure slipped this month, although it is still on target; we are checking "
                "whether that is more than normal variation."
            ),
            "doing_about": f"{owner} keeps the weekly review of this measure and reports any slippage to the Board.",
        }
    if result.rag is Rag.AMBER:
        return {
            "working_well": (
                f"{rated}: within tolerance. {moving}".strip()
                + (" The direction is right." if result.direction is Direction.IMPROVING else "")
            ),
            "worried_about": f"It is not yet at the target.{compared}".strip(),
            "doing_about": f"{owner} reviews the children behind this figure weekly and has set a trajectory to the target.",
        }
    if result.rag is Rag.RED:
        return {
            "working_well": (
                "The figure improved on the month before, but it is still outside tolerance, so "
                "this is not yet an achievement."
                if result.direction is Direction.IMPROVING
                else "Little is working well on this measure yet."
            ),
            "worried_about": f"{rated}: outside tolerance. {moving}{compared}".strip(),
            "doing_about": (
                f"{owner} has a recovery plan: every child behind this figure is reviewed weekly, "
                "and progress against a monthly trajectory is reported to the Board."
            ),
        }
    return {
        "working_well": f"{measure.title} has no figure to rate this month.",
        "worried_about": "Without a figure the Board cannot see progress on this measure.",
        "doing_about": f"{owner} is making sure the figure is recorded next month.",
    }


def _seed_narrative(plan: Any, month: str, director: Any) -> tuple[int, int]:
    """Narrative for the month: approved for some measures, waiting for sign-off for others."""
    from journey.web.narrative import services as narrative
    from journey.web.plans import services as plans

    evaluations = plans.evaluations_for(month, plan)
    approved = submitted = 0
    for index, measure in enumerate(plan.measures):
        result = evaluations.get(measure.id)
        if result is None or result.value is None:
            continue
        texts = narrative_for(measure, result, plans.measure_benchmarks(plan, measure))
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


def report_texts_for(kind: str, plan: Any, month: str, evaluations: dict[str, Any]) -> dict[str, str]:
    """The demo's written sections for the scrutiny and quarterly reports: invented text for
    an invented council, consistent with the month's ratings (names no real person)."""
    from journey.engine.evaluation import Rag

    red = [plan.measure(mid).title for mid, r in evaluations.items() if r.rag is Rag.RED]
    green = [plan.measure(mid).title for mid, r in evaluations.items() if r.rag is Rag.GREEN]
    worst = "; ".join(red[:3]) or "none"
    best = "; ".join(green[:3]) or "none"
    common = {
        "risks": "Recruitment and retention of experienced social workers remain the main risk; "
        "agency use is monitored monthly and a market supplement is in place.",
    }
    if kind == "scrutiny":
        return {
            **common,
            "meeting": "Children and Young People Scrutiny Panel (demo)",
            "report_of": "Director of Children's Services",
            "portfolio_holder": "Cabinet Member for Children and Families",
            "open_exempt": "Open",
            "wards": "All wards",
            "contact_officer": "Head of Performance (demo), performance@northfield.example",
            "executive_summary": (
                f"Of {len(evaluations)} measures, {len(green)} are on target and {len(red)} are outside "
                f"tolerance. The committee should note in particular: {worst}.\n\n"
                f"Progress is clearest in: {best}."
            ),
            "recommendations": "That the committee notes the progress made and the areas of concern, "
            "and asks for a further update in six months.",
            "reasons": "The committee's work programme includes regular oversight of the improvement plan.",
            "background": "Ofsted judged the council's children's services Inadequate (an invented "
            "judgement for this demo). The Department for Education issued an improvement notice and "
            "an Improvement Board with an independent chair oversees the plan.",
            "other_options": "None: scrutiny of the plan is part of the council's response to the notice.",
            "financial_implications": "No new financial implications arise from this report.",
            "legal_implications": "The council must comply with the improvement notice.",
            "consultation": "The Improvement Board and the service leads were consulted on this report.",
            "background_papers": "The Ofsted inspection report; the improvement plan; monitoring visit letters.",
        }
    texts = {
        **common,
        "chair": "Independent Chair of the Improvement Board (demo)",
        "chair_summary": (
            f"Progress this quarter is uneven. {len(green)} of {len(evaluations)} measures are on target; "
            f"{len(red)} are outside tolerance, among them {worst}. The Board is not yet assured that "
            "improvement is sustained on those measures."
        ),
        "capacity": "Leaders understand their weaknesses; capacity to improve depends on a stable workforce.",
        "leadership_workforce": "The senior team is stable; agency use remains above the target.",
        "ofsted_findings": "The last monitoring visit found improving practice at the front door and "
        "inconsistent management oversight in long-term teams.",
        "risks_finance": "Placement costs are the main pressure on the budget.",
        "asks_of_dfe": "Continued support from the DfE adviser for the workforce strategy.",
        "next_quarter": "Recovery plans for the measures outside tolerance; a practice week in January.",
    }
    for priority in plan.priorities:
        rated = [evaluations[m.id] for m in priority.measures if m.id in evaluations]
        reds = sum(r.rag is Rag.RED for r in rated)
        texts[f"progress_{priority.id}"] = (
            f"{reds} of {len(rated)} measures in this priority are outside tolerance; "
            + ("the Board expects a recovery plan for each." if reds else "the Board is assured by progress here.")
        )
    return texts


def _seed_report_texts(plan: Any, month: str, writer: Any, director: Any) -> None:
    from journey.web.plans import services as plans
    from journey.web.reporttext import services as reporttext

    evaluations = {k: v for k, v in plans.evaluations_for(month, plan).items() if v.value is not None}
    for kind in ("scrutiny", "quarterly"):
        for key, text in report_texts_for(kind, plan, month, evaluations).items():
            saved = reporttext.save(writer, kind, month, key, text, base_version=0)
            reporttext.approve(director, kind, month, key, base_version=saved.version)


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

        _step("Checking the extract, computing the plan's measures and accepting them")
        with click.progressbar(length=100, label="  measures", file=sys.stderr) as bar:
            done = [0]

            def tell(percent: int, message: str) -> None:
                bar.update(max(percent - done[0], 0))
                done[0] = max(done[0], percent)

            proposal = casedata.propose(files, as_at=extract_date, progress=tell)
            # The demo's own council: whatever it warns of is acknowledged (and said below).
            snapshot = casedata.accept(
                proposal, user=None, by_name="demo",
                acknowledged=[c.code for c in proposal.to_acknowledge], progress=tell,
            )
        for check in proposal.to_acknowledge:
            click.echo(f"  acknowledged: {check.message}", err=True)
        click.echo(f"  snapshot {snapshot.short_id}: {sum(snapshot.rows.values()):,} rows, "
                   f"{len(proposal.report.warnings)} warnings, {snapshot.figures:,} figures for "
                   f"{proposal.first_month} to {proposal.last_month}", err=True)

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
        writer, _ = User.objects.get_or_create(
            username="demo-data-team", defaults={"role": "data_team", "display_name": "Demo performance analyst"}
        )
        _seed_report_texts(plan, str(last_month), writer, director)
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
