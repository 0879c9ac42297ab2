"""What a report is built from, as plain data (no database, no Django).

The web app maps its records to these (``journey.web.reports.services``); the CLI builds
them from a plan file and an observations CSV. Everything but the plan, the observations
and the period is optional: no narrative means every measure shows "Narrative not yet
approved" and the report is a DRAFT; no actions list means the plan file's actions, rated
with the engine's action rule.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from journey.engine.actions import assess_action
from journey.engine.periods import add_months, month_end, month_range
from journey.engine.plan import Action, Plan
from journey.engine.reports.written import ApprovedText

if TYPE_CHECKING:
    from journey.engine.revisions import Revision

__all__ = [
    "ActionItem",
    "DataNotes",
    "NarrativeText",
    "ReportInputs",
    "actions_from_plan",
    "benchmarks_from_plan",
    "benchmark_in_force_from",
    "benchmarks_from_store",
    "fingerprint",
    "freeze",
    "judgement_day",
    "months_printed",
    "thaw",
]

QUESTIONS = (
    ("working_well", "What's working well?"),
    ("worried_about", "What are we worried about?"),
    ("doing_about", "What are we doing about it?"),
)


@dataclass(frozen=True)
class NarrativeText:
    """The approved three-part narrative of one measure for the report's month."""

    working_well: str
    worried_about: str
    doing_about: str
    approved_by: str = ""
    approved_on: date | None = None
    approved_against: str = ""
    """The measure's figure the text was approved (or last confirmed) against: ``84.0%``."""
    figure_now: str = ""
    """The figure now, when it reads differently: the owner must confirm or revise the text."""

    @property
    def figure_revised(self) -> bool:
        return bool(self.approved_against and self.figure_now and self.figure_now != self.approved_against)

    @property
    def answers(self) -> tuple[tuple[str, str], ...]:
        return tuple((question, getattr(self, name)) for name, question in QUESTIONS)


@dataclass(frozen=True)
class ActionItem:
    """One action as the report shows it, already rated."""

    number: str
    text: str
    owner: str
    due: date
    status: str
    rag: str
    rag_reason: str
    overdue: bool
    measures: tuple[str, ...] = ()
    priority_id: str = ""
    percent_complete: int = 0
    days_overdue: int = 0
    completed_on: date | None = None
    evidence: tuple[str, ...] = ()

    @property
    def completed(self) -> bool:
        return self.status.strip().lower() in {"completed", "complete", "done"}

    @property
    def sort_key(self) -> tuple[object, ...]:
        """Overdue first, then red, amber, green; then by due date and number."""
        band = 0 if self.overdue else {"red": 1, "amber": 2, "green": 3}.get(self.rag, 4)
        parts = tuple(
            (0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.number.replace("-", ".").split(".")
        )
        return (band, self.due, parts)


def actions_from_plan(plan: Plan, today: date) -> list[ActionItem]:
    """The plan file's actions, rated on ``today`` by :func:`journey.engine.actions.assess_action`."""
    out = []
    for priority in plan.priorities:
        for action in priority.actions:
            out.append(_from_plan_action(action, priority.id, today))
    return sorted(out, key=lambda a: a.sort_key)


def _from_plan_action(action: Action, priority_id: str, today: date) -> ActionItem:
    assessment = assess_action(
        due=action.due,
        today=today,
        status=action.status.value,
        percent_complete=action.percent_complete,
        start=action.start,
    )
    return ActionItem(
        number=action.number,
        text=action.text,
        owner=action.owner or "",
        due=action.due,
        status=action.status.value.replace("_", " ").capitalize(),
        rag=assessment.rag.value,
        rag_reason=assessment.reason,
        overdue=assessment.overdue,
        measures=tuple(action.measures),
        priority_id=priority_id,
        percent_complete=100 if action.status.value == "completed" else action.percent_complete,
        days_overdue=assessment.days_overdue,
        evidence=tuple(action.evidence),
    )


def benchmarks_from_plan(plan: Plan) -> dict[str, dict[str, float]]:
    """measure id → {"Statistical neighbours": …, "England": …, "Region": …} from the plan file."""
    out: dict[str, dict[str, float]] = {}
    for measure in plan.measures:
        b = measure.benchmarks
        if b is None:
            continue
        figures = {
            name: value
            for name, value in (
                ("Statistical neighbours", b.statistical_neighbours),
                ("England", b.england),
                ("Region", b.region),
            )
            if value is not None
        }
        if figures:
            out[measure.id] = figures
    return out


WORKFORCE_BENCHMARKS = frozenset({"workforce_agency_pct", "workforce_vacancy_pct", "workforce_turnover_pct", "average_caseload"})
"""DfE figures from the social work workforce collection (as at 30 September, published in February)."""


def benchmark_in_force_from(measure_id: str, time_period: str) -> date | None:
    """The day DfE's figures for ``time_period`` are taken as published, so in force.

    DfE publishes the year to 31 March ``Y`` (``2024`` or ``2023/24``) in the autumn: the CIN
    census late in October, children looked after in November, so from 1 December ``Y``.
    The workforce collection, as at 30 September ``Y``, is published in February: from
    1 March ``Y+1``. None when the period is not a year we can read.
    """
    text = time_period.strip()
    digits = text.replace("/", "").replace("-", "")
    if not digits.isdigit() or len(digits) not in (4, 6):
        return None
    year = int(digits[:4]) + (1 if len(digits) == 6 else 0)
    if measure_id in WORKFORCE_BENCHMARKS:
        return date(year + 1, 3, 1)
    return date(year, 12, 1)


def _period_in_force(store: object, la_code: str, measure_id: str, day: date) -> str | None:
    """The latest of the council's published years of ``measure_id`` in force on ``day``."""
    old, _new, _name = store.resolve_council(la_code)  # type: ignore[attr-defined]
    periods = (
        store.table()  # type: ignore[attr-defined]
        .filter((pl.col("measure_id") == measure_id) & (pl.col("old_la_code") == old))
        .select(pl.col("time_period").unique())
        .collect()["time_period"]
        .to_list()
    )
    in_force = [p for p in periods if (since := benchmark_in_force_from(measure_id, p)) is not None and since <= day]
    return max(in_force) if in_force else None


def benchmarks_from_store(plan: Plan, store: object, *, as_at: date | None = None) -> dict[str, dict[str, float]]:
    """The plan's benchmark figures, replaced by DfE's published ones where ``store`` (a
    :class:`journey.engine.stats.benchmarks.BenchmarkStore`) has the measure for the council:
    statistical neighbours (mean or median, as the plan says), England and the region.

    With ``as_at``, the figures in force on that day (:func:`benchmark_in_force_from`), not
    the latest: a report for a past month compares with what had been published by then.
    """
    out = benchmarks_from_plan(plan)
    method = plan.statistical_neighbour_method.value
    for measure in plan.measures:
        if measure.source.kind != "computed" or not measure.source.library_id:
            continue
        library_id = measure.source.library_id
        try:
            if as_at is None:
                found = store.for_council(  # type: ignore[attr-defined]
                    plan.authority.la_code, measure_id=library_id, polarity=measure.polarity.value
                )
            else:
                period = _period_in_force(store, plan.authority.la_code, library_id, as_at)
                if period is None:
                    continue
                found = store.for_council(  # type: ignore[attr-defined]
                    plan.authority.la_code, measure_id=library_id, time_period=period,
                    polarity=measure.polarity.value,
                )
        except (LookupError, ValueError, FileNotFoundError):
            continue
        if not found:
            continue
        latest = found[0]
        neighbours = latest.neighbour_median if method == "median" else latest.neighbour_mean
        figures = {
            f"Statistical neighbours ({latest.time_period})": neighbours,
            f"England ({latest.time_period})": latest.england,
            f"Region ({latest.time_period})": latest.region_value,
        }
        published = {k: v for k, v in figures.items() if v is not None}
        if published:
            out[measure.id] = published
    return out


def judgement_day(period: str, today: date) -> date:
    """The day a report for ``period`` is judged on: the month's last day, or ``today``
    while the month is still running. Never the build date of a finished month, so the
    same report built a year later rates its actions and comparators the same way."""
    return min(month_end(period), today)


@dataclass(frozen=True)
class DataNotes:
    """Where the figures came from, for the report's data notes section."""

    extracts: tuple[tuple[str, str], ...] = ()
    """(extract or load, detail: its date, snapshot and rows)."""
    warnings: tuple[str, ...] = ()
    """Validation warnings from the loads the figures rest on (no child identifiers)."""
    definitions: Mapping[str, str] = field(default_factory=dict)
    """measure id → how it is counted (the measure library's definition)."""
    as_at: date | None = None
    """The date of the data, when known (otherwise taken from the observations)."""


@dataclass
class ReportInputs:
    """Everything one report is assembled from."""

    plan: Plan
    observations: pl.DataFrame
    period: str
    narrative: Mapping[str, NarrativeText | None] = field(default_factory=dict)
    actions: Sequence[ActionItem] | None = None
    benchmarks: Mapping[str, Mapping[str, float]] | None = None
    notes: DataNotes = field(default_factory=DataNotes)
    generated_at: datetime | None = None
    """When the report is built: shown only as "Prepared on"."""
    today: date | None = None
    """The day everything is judged on (action ratings, overdue days); default
    :func:`judgement_day` of the period and the clock, never a later build date."""
    months_shown: int = 12
    charts: bool = True
    source_label: str = ""
    texts: Mapping[str, ApprovedText] = field(default_factory=dict)
    """Section key → the approved text people wrote for this report and period
    (:mod:`journey.engine.reports.written`; scrutiny and quarterly reports)."""
    revisions: Sequence[Revision] = ()
    """Published figures (of earlier published months) that read differently in these
    figures: shown as revisions beside the published value."""
    revised_since_publication: Sequence[Revision] = ()
    """For a published month rebuilt later: its figures that have been revised since."""
    published_on: date | None = None
    """The day the month's report was published (its inputs are then the frozen ones)."""

    def action_items(self) -> list[ActionItem]:
        if self.actions is not None:
            return sorted(self.actions, key=lambda a: a.sort_key)
        return actions_from_plan(self.plan, self.judged_on)

    @property
    def judged_on(self) -> date:
        return self.today or judgement_day(self.period, date.today())

    def benchmark_figures(self) -> Mapping[str, Mapping[str, float]]:
        return self.benchmarks if self.benchmarks is not None else benchmarks_from_plan(self.plan)


# ------------------------------------------------------------- frozen (published) inputs


def months_printed(period: str, months_shown: int) -> list[str]:
    """The months a monthly report for ``period`` prints a figure and rating for, oldest
    first: its months table and chart (``months_shown``, at least 6 and at most 24)."""
    shown = max(6, min(months_shown, 24))
    return month_range(add_months(period, -(shown - 1)), period)


def figures_for_report(frame: pl.DataFrame, period: str) -> pl.DataFrame:
    """The figures a report for ``period`` can show: every month up to ``period`` and the
    mid-month refresh ("Latest") of the month after. What publishing keeps."""
    following = add_months(period, 1)
    return frame.filter(
        (pl.col("period") <= period) | ((pl.col("period") == following) & (pl.col("period_type") == "latest"))
    )


def _day(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _frozen_parts(inputs: ReportInputs) -> dict[str, Any]:
    """Everything but the plan and the figures, as JSON-ready values."""
    return {
        "period": inputs.period,
        "judged_on": inputs.judged_on.isoformat(),
        "narrative": {
            measure_id: None if text is None else {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(text).items()}
            for measure_id, text in sorted(inputs.narrative.items())
        },
        "actions": [
            {k: (v.isoformat() if isinstance(v, date) else list(v) if isinstance(v, tuple) else v) for k, v in asdict(a).items()}
            for a in inputs.action_items()
        ],
        # Lists of pairs, not objects: the order is what the report shows, and PostgreSQL's
        # jsonb does not keep the order of an object's keys.
        "benchmarks": [[k, [[name, value] for name, value in v.items()]] for k, v in sorted(inputs.benchmark_figures().items())],
        "notes": {
            "extracts": [list(e) for e in inputs.notes.extracts],
            "warnings": list(inputs.notes.warnings),
            "definitions": dict(inputs.notes.definitions),
            "as_at": inputs.notes.as_at.isoformat() if inputs.notes.as_at else None,
        },
        "months_shown": inputs.months_shown,
        "source_label": inputs.source_label,
        "revisions": [
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(r).items()} for r in inputs.revisions
        ],
    }


def freeze(inputs: ReportInputs) -> tuple[dict[str, Any], bytes]:
    """(what the report said, as JSON; its figures, as Parquet): kept when a month is
    published, so the month's reports are built from them ever after (:func:`thaw`)."""
    buffer = io.BytesIO()
    figures_for_report(inputs.observations, inputs.period).write_parquet(buffer)
    return _frozen_parts(inputs), buffer.getvalue()


def fingerprint(inputs: ReportInputs) -> str:
    """SHA-256 of everything a report's content depends on (not when it was built): two
    builds with the same fingerprint say the same thing."""
    frame = figures_for_report(inputs.observations, inputs.period)
    keys = ["measure_id", "period", "period_type", "breakdown", "breakdown_value"]
    digest = hashlib.sha256()
    digest.update(json.dumps(_frozen_parts(inputs), sort_keys=True, default=str).encode())
    digest.update(frame.sort(keys).write_csv().encode())
    return digest.hexdigest()


def _known(kind: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values of fields ``kind`` still has (a field added later keeps its default)."""
    names = {f.name for f in dataclass_fields(kind)}
    return {k: v for k, v in values.items() if k in names}


def thaw(plan: Plan, parts: Mapping[str, Any], figures: bytes) -> ReportInputs:
    """The inputs :func:`freeze` kept, with the plan they were judged against."""
    from journey.engine.revisions import Revision

    narrative: dict[str, NarrativeText | None] = {}
    for measure_id, text in parts["narrative"].items():
        if text is None:
            narrative[measure_id] = None
            continue
        values = _known(NarrativeText, text)
        values["approved_on"] = _day(values.get("approved_on"))
        narrative[measure_id] = NarrativeText(**values)
    actions = []
    for item in parts["actions"]:
        values = _known(ActionItem, item)
        values["due"] = _day(values["due"])
        values["completed_on"] = _day(values.get("completed_on"))
        values["measures"] = tuple(values.get("measures") or ())
        values["evidence"] = tuple(values.get("evidence") or ())
        actions.append(ActionItem(**values))
    notes = parts["notes"]
    revisions = []
    for item in parts.get("revisions", []):
        values = _known(Revision, item)
        values["published_on"] = _day(values.get("published_on"))
        revisions.append(Revision(**values))
    return ReportInputs(
        plan=plan,
        observations=pl.read_parquet(io.BytesIO(figures)),
        period=parts["period"],
        narrative=narrative,
        actions=actions,
        benchmarks={measure_id: dict(pairs) for measure_id, pairs in parts["benchmarks"]},
        notes=DataNotes(
            extracts=tuple(tuple(e) for e in notes["extracts"]),
            warnings=tuple(notes["warnings"]),
            definitions=dict(notes["definitions"]),
            as_at=_day(notes.get("as_at")),
        ),
        today=_day(parts["judged_on"]),
        months_shown=parts["months_shown"],
        source_label=parts["source_label"],
        revisions=revisions,
    )
