"""Reports from the database: records mapped to the engine's plain inputs, built in the background.

* :func:`build_inputs` gathers the active plan, every stored figure, the month's approved
  narrative, the tracked actions and the data notes (loads, imports, warnings summarised
  without values) into :class:`journey.engine.reports.inputs.ReportInputs`.
* :func:`request_build` records a :class:`ReportBuild` and queues its task
  (:mod:`journey.web.reports.tasks`) in the same transaction; a ``journey worker`` runs
  :func:`run_build`, which assembles and renders it, recording progress as it goes, and
  keeps the file for download. Every request, build and download is in the audit log.
"""

from __future__ import annotations

import io
import logging
import time
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from journey.engine.evaluation import MeasureResult, evaluate_plan
from journey.engine.observations import (
    SCHEMA,
    RatedFigure,
    monthly_series,
    rated_figures,
    values_for_evaluation,
)
from journey.engine.periods import add_months, is_month
from journey.engine.plan import Plan
from journey.engine.reports import renderers
from journey.engine.reports.assemble import ASSEMBLERS, assemble
from journey.engine.reports.inputs import (
    ActionItem,
    DataNotes,
    NarrativeText,
    ReportInputs,
    benchmarks_from_store,
    figures_for_report,
    fingerprint,
    freeze,
    judgement_day,
    months_printed,
    thaw,
)
from journey.engine.revisions import (
    PublishedReport,
    Revision,
    Sources,
    find_revisions,
    first_published,
)
from journey.engine.stats.spc import MeasureSpc, measure_spc, spc_series
from journey.web.accounts.audit import record
from journey.web.background import progress
from journey.web.reports.build_progress import BuildProgress
from journey.web.reports.models import PublishedMonth, ReportBuild

log = logging.getLogger(__name__)

KINDS = [(kind, fn.__doc__.strip().splitlines()[0].rstrip(".") if fn.__doc__ else kind) for kind, fn in ASSEMBLERS.items()]


class ReportUnavailable(Exception):
    """The report cannot be built (no plan, a month without figures, an unknown format)."""


# ------------------------------------------------------------------- DB → engine


def observations_frame() -> pl.DataFrame:
    """Every stored figure as the engine's observations frame."""
    from journey.web.plans.models import Observation

    columns = [c for c in SCHEMA if c != "row"]
    rows = list(Observation.objects.values_list(*columns))
    frame = pl.DataFrame(rows, schema={c: SCHEMA[c] for c in columns}, orient="row")
    return frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("row")).select(list(SCHEMA))


def narrative_texts(period: str) -> dict[str, NarrativeText | None]:
    """measure id → the approved narrative for ``period`` (None when none is approved)."""
    from journey.web.narrative.services import narrative_for_month

    out: dict[str, NarrativeText | None] = {}
    for measure_id, approved in narrative_for_month(period).items():
        if approved is None:
            out[measure_id] = None
            continue
        out[measure_id] = NarrativeText(
            working_well=approved.working_well,
            worried_about=approved.worried_about,
            doing_about=approved.doing_about,
            approved_by=approved.approved_by,
            approved_on=timezone.localtime(approved.approved_at).date() if approved.approved_at else None,
            approved_against=approved.figure_check.then if approved.figure_check else "",
            figure_now=approved.figure_check.now if approved.figure_check else "",
        )
    return out


def action_items(day: date) -> list[ActionItem]:
    """The actions as they stood at the end of ``day`` (from their history), rated on ``day``."""
    from journey.web.actions.services import actions_as_at

    return [
        ActionItem(
            number=a.state.number,
            text=a.state.text,
            owner=a.state.owner,
            due=a.state.due,
            status=a.status_label,
            rag=a.rag,
            rag_reason=a.rag_reason,
            overdue=a.overdue,
            measures=a.state.measures,
            priority_id=a.state.priority_id,
            percent_complete=a.state.percent_complete,
            days_overdue=a.days_overdue,
            completed_on=a.state.completed_on,
            evidence=tuple(str(e) for e in a.evidence),
        )
        for a in actions_as_at(day)
    ]


def _day(moment: Any) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {local:%B %Y}"


def data_notes() -> DataNotes:
    """Loads and imports behind the figures; warnings as counts by file and column (no values)."""
    from journey.web.casedata.models import LoadJob
    from journey.web.plans.models import ObservationImport

    extracts: list[tuple[str, str]] = []
    warnings: list[str] = []
    jobs = LoadJob.objects.filter(status=LoadJob.Status.DONE).order_by("-finished_at")[:10]
    for job in jobs:
        detail = f"loaded {_day(job.finished_at or job.updated_at)}"
        if job.kind:
            detail += f", {job.kind}"
        if job.snapshot:
            detail += f", snapshot {job.snapshot}"
        extracts.append((job.original_name, detail))
        counts = Counter(
            (p.get("file") or p.get("table") or job.original_name, p.get("column") or "", p.get("code") or "warning")
            for p in job.warnings
        )
        for (file, column, code), n in sorted(counts.items()):
            where = f"{file}, column {column}" if column else file
            warnings.append(f"{where}: {n} record{'s' if n != 1 else ''} with the warning '{code.replace('_', ' ')}'")
    for imported in ObservationImport.objects.order_by("-imported_at")[:10]:
        extracts.append(
            (imported.file_name, f"figures imported {_day(imported.imported_at)}: {imported.rows} rows "
             f"({imported.created} new, {imported.changed} changed)")
        )
    # Definitions come from the measure library (the engine looks them up).
    return DataNotes(extracts=tuple(extracts), warnings=tuple(warnings[:50]))


def published_benchmarks(plan: Plan, as_at: date | None = None) -> dict[str, dict[str, float]] | None:
    """DfE's published comparators in force on ``as_at`` when benchmarks have been imported,
    else None (the plan's)."""
    from django.conf import settings

    from journey.engine.stats.benchmarks import BenchmarkStore

    try:
        store = BenchmarkStore(Path(settings.DATA_DIR) / "benchmarks")
    except FileNotFoundError:
        return None
    return benchmarks_from_store(plan, store, as_at=as_at)


def build_inputs(period: str, *, today: date | None = None, kind: str = "") -> ReportInputs:
    """Everything a report for ``period`` needs, from the database (``kind``: whose approved
    written sections to include, for the scrutiny and quarterly reports).

    A published month's report is built from what was frozen when it was published, with
    the figures revised since then listed beside it. Any other month is judged as at the end
    of the month (:func:`judgement_day`): actions as they stood then, comparators in force
    then, and the published figures of earlier months that its figures revise. ``today`` is
    the clock (Europe/London) and only matters while the month runs.
    """
    from journey.web.reporttext.services import approved_texts, texts_as_published

    if not is_month(period):
        raise ReportUnavailable(f"{period!r} is not a month in the form YYYY-MM")
    published = PublishedMonth.objects.filter(period=period).first()
    if published is not None:
        inputs = _published_inputs(published)
        inputs.texts = texts_as_published(kind, period, published.inputs.get("written") or {}) if kind else {}
        return inputs
    plan = active_plan_or_refuse()
    judged_on = judgement_day(period, today or timezone.localdate())
    frame = observations_frame()
    return ReportInputs(
        benchmarks=published_benchmarks(plan, judged_on),
        plan=plan,
        observations=frame,
        period=period,
        narrative=narrative_texts(period),
        actions=action_items(judged_on),
        notes=data_notes(),
        generated_at=timezone.now(),
        today=judged_on,
        source_label="Improvement Journey database",
        revisions=revisions_of_published(plan, frame, period),
        texts=approved_texts(kind, period) if kind else {},
    )


def active_plan_or_refuse() -> Plan:
    from journey.web.plans.services import active_plan

    plan = active_plan()
    if plan is None:
        raise ReportUnavailable("No improvement plan has been loaded yet.")
    return plan


# ------------------------------------------------------------- published months


REVISION_MONTHS = 12
"""How far back a report or the dashboard looks for revised published figures."""


@dataclass(frozen=True)
class Publication:
    """A published month as the dashboard, the measure page and later reports need it."""

    period: str
    published_on: date
    figures: dict[str, RatedFigure]
    """measure id → the month's rated figure as published, with its counts and where it
    came from (the extract snapshot that made it)."""


@dataclass(frozen=True)
class _Published:
    """Every published month, and what was published about each month (kept in the
    shared cache: the dashboard asks on every view)."""

    publications: list[Publication]
    figures: dict[str, dict[str, tuple[RatedFigure, date]]]
    """measure id → month → the published figure (:func:`journey.engine.revisions.first_published`)
    and the day the report that published it went out."""
    ratings: dict[str, tuple[dict[str, MeasureResult], dict[str, MeasureResult]]]
    """month → (measure id → the month's rating as that report printed it, measure id → the
    month before's rating in the same report), for each published figure."""
    spc: dict[str, dict[str, MeasureSpc | None]]
    """month → measure id → the SPC reading the month's own report printed."""


def _published_values(before: str, months: int = REVISION_MONTHS) -> tuple[dict[str, dict[str, float | None]], dict[str, date], Sources]:
    """(measure id → month → figure as published, month → day it was published, measure id →
    month → where the published figure came from) for the ``months`` up to and including
    ``before`` with a published figure (a month's own report, else the first published
    report that printed it)."""
    first = add_months(before, 1 - months)
    values: dict[str, dict[str, float | None]] = {}
    days: dict[str, date] = {}
    sources: dict[str, dict[str, str]] = {}
    for measure_id, by_month in _published().figures.items():
        for month, (figure, day) in by_month.items():
            if not first <= month <= before:
                continue
            days[month] = min(day, days.get(month, day))
            values.setdefault(measure_id, {})[month] = figure.value
            sources.setdefault(measure_id, {})[month] = figure.source
    return values, days, sources


PUBLICATIONS_KEY = "reports:publications:4"
PUBLICATIONS_STAMP_KEY = "reports:publications-stamp:1"


def _published() -> _Published:
    """Every published month, oldest first, with the figures and ratings published — kept in
    the shared cache (a dashboard asks on every view) and forgotten when a month is published."""
    found: _Published | None = cache.get_or_set(PUBLICATIONS_KEY, _read_publications)
    return found if found is not None else _read_publications()


def _read_publications() -> _Published:
    from journey.web.plans.services import PlanRejected, parse_plan_text

    publications: list[Publication] = []
    reports: list[PublishedReport] = []
    frozen: dict[str, tuple[Plan, dict[str, dict[str, float | None]], dict[str, dict[str, float | None]], pl.DataFrame]] = {}
    rows = PublishedMonth.objects.order_by("period").only(
        "period", "headline", "published_at", "plan_text", "figures", "inputs"
    )
    for row in rows:
        published_on = timezone.localtime(row.published_at).date()
        try:
            plan = parse_plan_text(row.plan_text)
        except PlanRejected:  # a plan the measure library no longer accepts: the figures alone
            log.warning("the plan published with %s no longer reads; its figures are shown without counts", row.period)
            printed: dict[str, dict[str, RatedFigure]] = {}
        else:
            frame = pl.read_parquet(io.BytesIO(bytes(row.figures)))
            printed = rated_figures(frame, plan)
            # What the report's direction of travel compared with, as it was published.
            revised: dict[str, dict[str, float | None]] = {}
            for item in (row.inputs or {}).get("revisions", []):
                revised.setdefault(item["measure_id"], {})[item["month"]] = item.get("published")
            frozen[row.period] = (plan, _values(printed), revised, frame)
        months = set(months_printed(row.period, int((row.inputs or {}).get("months_shown", REVISION_MONTHS))))
        figures = {
            measure_id: {month: figure for month, figure in by_month.items() if month in months}
            for measure_id, by_month in printed.items()
        }
        own = {
            measure_id: replace(printed.get(measure_id, {}).get(row.period) or RatedFigure(value), value=value)
            for measure_id, value in (row.headline or {}).items()
        }
        for measure_id, figure in own.items():
            figures.setdefault(measure_id, {})[row.period] = figure
        publications.append(Publication(row.period, published_on, own))
        reports.append(PublishedReport(row.period, published_on, figures))
    in_force = first_published(reports)
    wanted: dict[str, dict[str, set[str]]] = {}  # report → month → measures
    figures_in_force: dict[str, dict[str, tuple[RatedFigure, date]]] = {}
    for measure_id, by_month in in_force.items():
        for month, report in by_month.items():
            figures_in_force.setdefault(measure_id, {})[month] = (report.figures[measure_id][month], report.published_on)
            wanted.setdefault(report.period, {}).setdefault(month, set()).add(measure_id)
    ratings: dict[str, tuple[dict[str, MeasureResult], dict[str, MeasureResult]]] = {}
    for period, measures_by_month in wanted.items():
        if period not in frozen:
            continue
        plan, values, revised, _frame = frozen[period]
        for month, measure_ids in measures_by_month.items():
            now = evaluate_plan(plan, values, month, published=revised).results
            before = evaluate_plan(plan, values, add_months(month, -1), published=revised).results
            kept_now, kept_before = ratings.setdefault(month, ({}, {}))
            kept_now.update({r.measure_id: r for r in now if r.measure_id in measure_ids})
            kept_before.update({r.measure_id: r for r in before if r.measure_id in measure_ids})
    spc: dict[str, dict[str, MeasureSpc | None]] = {}
    for period, (plan, _values_then, _revised, frame) in frozen.items():
        rated = ratings.get(period, ({}, {}))[0]
        for measure in plan.measures:
            if measure.id not in rated or in_force[measure.id][period].period != period:
                continue  # the month's own report did not print this measure
            series = spc_series(
                measure, monthly_series(frame, measure.id), monthly_series(frame, measure.id, period_type="fytd")
            )
            spc.setdefault(period, {})[measure.id] = measure_spc(measure, series, period, rated[measure.id].target)
    return _Published(publications, figures_in_force, ratings, spc)


def _publications() -> list[Publication]:
    """Every published month, oldest first."""
    return _published().publications


def publications_stamp() -> tuple[str, ...]:
    """The months published: part of the keys of cached pages that show published figures
    (kept in the shared cache on its own, so that a page's key costs no more than this)."""
    found: tuple[str, ...] | None = cache.get(PUBLICATIONS_STAMP_KEY)
    if found is None:
        found = tuple(PublishedMonth.objects.order_by("period").values_list("period", flat=True))
        cache.set(PUBLICATIONS_STAMP_KEY, found)
    return found


def published_figures() -> dict[str, dict[str, tuple[RatedFigure, date]]]:
    """measure id → month → (the figure as published, the day it was published): a month's
    figure as its own report published it, else as the first published report that printed
    it did (:func:`journey.engine.revisions.first_published`)."""
    return _published().figures if publications_stamp() else {}


def published_spc(month: str) -> dict[str, MeasureSpc | None]:
    """measure id → the SPC reading ``month``'s own report printed (as
    :mod:`journey.engine.reports.assemble` reads it from the month's frozen figures), for
    a published month; empty for any other."""
    return _published().spc.get(month, {}) if month in publications_stamp() else {}


PublishedRatings = dict[str, tuple[dict[str, MeasureResult], dict[str, MeasureResult]]]


def published_ratings() -> PublishedRatings:
    """month → (measure id → the month's rating as published, measure id → the month
    before's rating in the same report), for the measures with a published figure for the
    month: frozen as the report printed them, direction of travel included."""
    return _published().ratings if publications_stamp() else {}


def _sources(figures: dict[str, dict[str, RatedFigure]]) -> Sources:
    return {measure_id: {month: f.source for month, f in by_month.items()} for measure_id, by_month in figures.items()}


def _values(figures: dict[str, dict[str, RatedFigure]]) -> dict[str, dict[str, float | None]]:
    return {measure_id: {month: f.value for month, f in by_month.items()} for measure_id, by_month in figures.items()}


def revisions_of_published(plan: Plan, frame: pl.DataFrame, period: str) -> list[Revision]:
    """Published figures of the months up to ``period`` that ``frame`` gives differently."""
    published, days, sources = _published_values(period)
    if not days:
        return []
    current = rated_figures(frame, plan)
    return find_revisions(
        plan, published, _values(current), sorted(days),
        published_on=days, published_sources=sources, current_sources=_sources(current),
    )


def _published_inputs(published: PublishedMonth) -> ReportInputs:
    from journey.web.plans.services import parse_plan_text

    plan = parse_plan_text(published.plan_text)
    inputs = thaw(plan, published.inputs, bytes(published.figures))
    inputs.generated_at = timezone.now()
    inputs.published_on = timezone.localtime(published.published_at).date()
    frozen = rated_figures(inputs.observations, plan)
    current = rated_figures(figures_for_report(observations_frame(), published.period), plan)
    months = months_printed(published.period, inputs.months_shown)
    inputs.revised_since_publication = find_revisions(
        plan, _values(frozen), _values(current), months,
        published_sources=_sources(frozen), current_sources=_sources(current),
    )
    return inputs


def publication(period: str) -> PublishedMonth | None:
    """The month's publication (without its frozen figures), if it has been published."""
    return PublishedMonth.objects.defer("figures", "inputs").filter(period=period).first()


# ------------------------------------------------------------------------ builds


def formats() -> list[tuple[str, str]]:
    return [(r.name, r.label) for r in renderers.renderers()]


def request_build(user: Any, kind: str, period: str, fmt: str) -> ReportBuild:
    """Record the request and queue its build (one transaction: both or neither)."""
    from journey.web.reports.tasks import build_report

    if kind not in ASSEMBLERS:
        raise ReportUnavailable(f"{kind!r} is not a report")
    if fmt not in renderers.names():
        raise ReportUnavailable(f"{fmt!r} is not a report format")
    if not is_month(period):
        raise ReportUnavailable(f"{period!r} is not a month")
    with transaction.atomic():
        build = ReportBuild.objects.create(
            kind=kind, period=period, format=fmt,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        record(user, "report.requested", f"{kind} report {period} ({fmt})", build=build.pk)
        build_report.enqueue(build.pk)
    build.refresh_from_db()
    return build


def _progress(pk: int, percent: int, message: str, **fields: Any) -> None:
    ReportBuild.objects.filter(pk=pk).update(progress=percent, message=message[:500], **fields)
    progress.report(percent, message)


def run_build(pk: int) -> None:
    """Assemble and render one requested report, recording progress; failures are recorded."""
    build = ReportBuild.objects.select_related("created_by").get(pk=pk)
    started = time.monotonic()
    _progress(pk, 0, "Gathering the plan, figures, narrative and actions", status=ReportBuild.Status.RUNNING, started_at=timezone.now())
    bar = BuildProgress(lambda percent, message: _progress(pk, percent, message))
    try:
        inputs = build_inputs(build.period, kind=build.kind)
        ReportBuild.objects.filter(pk=pk).update(judged_on=inputs.today, inputs_sha256=fingerprint(inputs))
        bar.gathered()
        report = assemble(build.kind, inputs)
        renderer = renderers.get(build.format)
        bar.plan(report, renderer)
        bar.draw_charts(report, renderer)
        with bar.writing(renderer):
            content = renderer.render(report)
    except ReportUnavailable as exc:
        _fail(build, str(exc))
        return
    except Exception as exc:  # a failed build is reported on its page, never lost
        log.exception("report build %s failed", pk)
        _fail(build, f"The report could not be built ({type(exc).__name__}). The error has been logged.")
        return
    seconds = time.monotonic() - started
    ReportBuild.objects.filter(pk=pk).update(
        status=ReportBuild.Status.DONE,
        progress=100,
        message="DRAFT: " + " ".join(report.draft_reasons) if report.draft else "Final: all narrative approved.",
        draft=report.draft,
        content=content,
        filename=renderer.filename(report),
        media_type=renderer.media_type,
        size=len(content),
        seconds=round(seconds, 2),
        finished_at=timezone.now(),
    )
    prune_old_files()
    record(
        build.created_by, "report.built", f"{build.kind} report {build.period} ({build.format})",
        build=pk, draft=report.draft, size=len(content), seconds=round(seconds, 2),
    )


KEEP_FILES = 50
"""Built files kept for download; older builds keep their record but lose the file."""


def prune_old_files(keep: int = KEEP_FILES) -> int:
    """Drop the files of all but the newest ``keep`` finished builds. Returns how many."""
    old = ReportBuild.objects.filter(content__isnull=False).order_by("-created_at", "-id").values_list("pk", flat=True)[keep:]
    ids = list(old)
    if not ids:
        return 0
    return ReportBuild.objects.filter(pk__in=ids).update(
        content=None, size=0, message="The file has been removed to save space; build the report again to download it."
    )


def _fail(build: ReportBuild, message: str) -> None:
    ReportBuild.objects.filter(pk=build.pk).update(
        status=ReportBuild.Status.FAILED, message=message[:500], finished_at=timezone.now()
    )
    record(build.created_by, "report.failed", f"{build.kind} report {build.period} ({build.format})", build=build.pk, message=message[:200])


def fail_interrupted(build: ReportBuild) -> None:
    """The worker building this report stopped (three times): say so, ask for a new build."""
    _fail(build, "The build was interrupted (the worker running it stopped). Build the report again.")


def recent_builds(limit: int = 20) -> list[ReportBuild]:
    return list(ReportBuild.objects.defer("content").select_related("created_by")[:limit])


def downloaded(user: Any, build: ReportBuild) -> None:
    record(user, "report.downloaded", build.filename, build=build.pk, draft=build.draft)


def publish(user: Any, build: ReportBuild) -> int:
    """Publish a final monthly report: its month is frozen as the report says it.

    The inputs are gathered again and must be exactly those the report was built from
    (same fingerprint), so what is frozen is what was read; then the month's figures, plan,
    narrative, actions, benchmarks, notes and revisions are kept (:class:`PublishedMonth`)
    and the month's approved narrative is marked published. A month is published once.
    """
    from journey.web.narrative.services import publish_month
    from journey.web.reporttext.services import frozen_texts

    if build.kind != "monthly" or build.status != ReportBuild.Status.DONE:
        raise ReportUnavailable("Only a finished monthly report can be published.")
    if build.draft:
        raise ReportUnavailable("A DRAFT report cannot be published: approve the narrative for every measure first.")
    label = long_month(build.period)
    with transaction.atomic():
        already = publication(build.period)
        if already is not None:
            raise ReportUnavailable(
                f"The report for {label} was published on {_day(already.published_at)}; a published month "
                "stays as it was. Later changes to its figures show as revisions."
            )
        inputs = build_inputs(build.period)
        if not build.inputs_sha256 or fingerprint(inputs) != build.inputs_sha256:
            raise ReportUnavailable(
                f"The figures, narrative or actions for {label} have changed since this report was built, "
                "so it is not the report that would be published. Build it again, check it, then publish that one."
            )
        parts, figures = freeze(inputs)
        parts["written"] = frozen_texts(build.period)  # the scrutiny and quarterly sections
        version = _active_plan_version()
        headline = {
            measure_id: by_month.get(build.period)
            for measure_id, by_month in values_for_evaluation(inputs.observations, inputs.plan).items()
        }
        now = timezone.now()
        PublishedMonth.objects.create(
            period=build.period,
            build=build,
            published_at=now,
            published_by=user if getattr(user, "is_authenticated", False) else None,
            published_by_name=getattr(user, "name", "") or "",
            judged_on=inputs.judged_on,
            plan_text=version.text,
            plan_sha256=version.sha256,
            inputs=parts,
            figures=figures,
            headline=headline,
            inputs_sha256=build.inputs_sha256,
        )
        cache.delete_many([PUBLICATIONS_KEY, PUBLICATIONS_STAMP_KEY])  # now, and again once committed
        transaction.on_commit(lambda: cache.delete_many([PUBLICATIONS_KEY, PUBLICATIONS_STAMP_KEY]))  # (another process may read them meanwhile)
        count = publish_month(build.period, user)
        ReportBuild.objects.filter(pk=build.pk).update(published_at=now)
        record(user, "report.published", build.filename, build=build.pk, narratives=count, period=build.period,
               figures=len(headline))
    return count


def _active_plan_version() -> Any:
    from journey.web.plans.services import active_plan_version

    version = active_plan_version()
    if version is None:
        raise ReportUnavailable("No improvement plan has been loaded yet.")
    return version


def long_month(period: str) -> str:
    return f"{date.fromisoformat(period + '-01'):%B %Y}"


@dataclass(frozen=True)
class RevisionNotice:
    """What the dashboard says about published figures for a month: whether the month was
    published (and when), and the published figures the current data revises."""

    month: str
    published_on: date | None
    revisions: list[Revision]


def revision_notice(month: str) -> RevisionNotice | None:
    """For the dashboard: the month's publication and the revisions to figures published for
    the twelve months up to ``month`` (in their own reports or printed in later ones); None
    when no figure of those months was published."""
    from journey.web.plans.services import active_plan, cache_key, data_version, plan_key

    if not is_month(month) or not publications_stamp():
        return None  # no query beyond the cached list of months published: the dashboard asks every time
    plan = active_plan()
    if plan is None:
        return None
    key = cache_key("revision-notice", plan_key(plan), data_version(), month, publications_stamp())
    kept: tuple[RevisionNotice | None] | None = cache.get(key)
    if kept is None:
        kept = (None,)
        published, days, sources = _published_values(month)
        if days:
            current = current_rated_figures(plan, sorted(days))
            revisions = find_revisions(
                plan, published, _values(current), sorted(days),
                published_on=days, published_sources=sources, current_sources=_sources(current),
            )
            own = next((p.published_on for p in _publications() if p.period == month), None)
            kept = (RevisionNotice(month=month, published_on=own, revisions=revisions),)
        cache.set(key, kept)
    return kept[0]


def current_rated_figures(plan: Plan, months: list[str]) -> dict[str, dict[str, RatedFigure]]:
    """The figures in use that the plan rates, for ``months`` only (one query), with their
    counts and where each came from (:func:`journey.engine.observations.rated_figures`)."""
    from journey.web.plans.models import Observation

    rows = Observation.objects.filter(
        measure_id__in=[m.id for m in plan.measures], period__in=months, breakdown="", breakdown_value="",
        period_type__in=[Observation.PeriodType.MONTH, Observation.PeriodType.FYTD],
    ).values_list(
        "measure_id", "period", "period_type", "breakdown", "breakdown_value", "value", "numerator", "denominator",
        "source", "snapshot",
    )
    columns = ["measure_id", "period", "period_type", "breakdown", "breakdown_value", "value", "numerator",
               "denominator", "source", "snapshot"]
    frame = pl.DataFrame(list(rows), schema={c: SCHEMA[c] for c in columns}, orient="row")
    return rated_figures(frame, plan)
