"""Assembling the three reports from plain inputs (:class:`ReportInputs`).

* :func:`monthly` — the board pack (DOMAIN.md, "The monthly Improvement Plan Report"):
  cover, contents, overview, per priority a summary table (Measure | Actual |
  Performance (RAG) | DoT) and per measure its target, tolerance, polarity in words,
  the last months with Latest, milestones, chart with data table and text alternative,
  the three narrative answers, breakdowns and linked actions; then every action (overdue
  and red first) and the data notes.
* :func:`quarterly` — the independent chair's progress report to the Minister: progress
  by priority over the quarter, ratings that changed, signals beyond normal variation
  (XmR special causes), actions completed and overdue, approved narrative excerpts.
* :func:`scrutiny` — the six-monthly committee update: key figures in prose (count, rate
  per 10,000, statistical neighbours and England, target), achievements and concerns by
  priority.

Only approved narrative appears. A measure without it shows "Narrative not yet approved"
and the whole report is marked DRAFT (:func:`draft_state`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Any

import polars as pl

from journey.engine.charts import ChartPoint, MeasureChart, describe_measure_chart
from journey.engine.evaluation import (
    Direction,
    MeasureResult,
    Rag,
    direction_of_travel,
    evaluate_measure,
    format_number,
    format_value,
    round_half_up,
)
from journey.engine.measures.looked_after import PLACEMENT_GROUPS, TIME_IN_PLACEMENT
from journey.engine.observations import monthly_series, values_for_evaluation
from journey.engine.periods import add_months, month_end, month_range
from journey.engine.plan import Measure, Plan, Polarity, Priority, Unit
from journey.engine.reports.inputs import ActionItem, NarrativeText, ReportInputs, months_printed
from journey.engine.reports.model import (
    NOT_APPROVED,
    Block,
    BulletList,
    Cell,
    ChartBlock,
    Dataset,
    Facts,
    NarrativeBlock,
    Paragraph,
    Report,
    ReportKind,
    Section,
    Table,
)
from journey.engine.reports.revisions import (
    measure_revision_note,
    narrative_figure_note,
    narrative_figure_reason,
    revisions_section,
)
from journey.engine.reports.written import (
    QUARTERLY_AFTER,
    ApprovedText,
    missing_sections,
    progress_key,
    written_sections,
)
from journey.engine.stats.spc import MeasureSpc, measure_spc, spc_series

__all__ = ["ASSEMBLERS", "assemble", "draft_state", "monthly", "quarterly", "scrutiny", "summary"]

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)

# Breakdowns that could identify a child are never shown, whatever the observations hold.
_PRIVATE_BREAKDOWNS = re.compile(r"child|person|upn|name|dob|birth|postcode|address", re.I)
# Figures by individual worker are for team managers' performance meetings (the drill-down
# in the web app), not for documents the Board, scrutiny and the Minister read.
_NOT_FOR_REPORTS = frozenset({"worker"})

BREAKDOWN_TITLES = {
    "placement_group": "By type of placement",
    "placement_type": "By placement type",
    "placement_provider": "By placement provider",
    "provider": "By placement provider",
    "placement_duration": "By time in current placement",
    "time_in_placement": "By time in current placement",
    "team": "By team",
    "service": "By service",
    "worker_role": "By worker role",
    "worker": "By worker",
    "age_band": "By age band",
    "source": "By source of referral",
    "legal_status": "By legal status",
    "category": "By category of abuse",
}


# --------------------------------------------------------------------------- words


def long_month(month: str) -> str:
    """``2024-06`` → ``June 2024``."""
    return f"{_MONTHS[int(month[5:7]) - 1]} {month[:4]}"


def short_month(month: str) -> str:
    """``2024-06`` → ``Jun-24`` (for narrow table columns and chart axes)."""
    return f"{_MONTHS[int(month[5:7]) - 1][:3]}-{month[2:4]}"


def day_text(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def figure(value: float | None, measure: Measure) -> str:
    """A figure for a table cell: ``85.0%``, ``£1,200``, ``612.3`` (units in the row header)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    unit = measure.unit
    if unit in (Unit.PERCENT, Unit.CURRENCY):
        return format_value(value, unit, measure.display_decimals)
    return format_number(value, measure.display_decimals)


def target_figure(value: float | None, measure: Measure) -> str:
    if value is None:
        return "–"
    return format_value(value, measure.unit, measure.display_decimals, exact=True)


def unit_words(measure: Measure) -> str:
    return {
        Unit.COUNT: "count",
        Unit.PERCENT: "percentage",
        Unit.RATE_PER_10K: "rate per 10,000 children aged 0-17",
        Unit.DAYS: "days",
        Unit.CURRENCY: "pounds",
        Unit.SCORE: "score",
        Unit.NUMBER: "number",
    }[measure.unit]


def against(measure: Measure, r: MeasureResult) -> str:
    """What the figure was rated against, in words: the target, or a banded measure's
    green range (a banded measure may have no target at all)."""
    if measure.bands is not None:
        return "against a green range of " + r.tolerance.split(",")[0].removeprefix("green ")
    return f"against a target of {r.target_text}"


def rag_cell(rag: Rag | str) -> Cell:
    rag = Rag(rag)
    return Cell(rag.label, rag=rag.value)


def action_rag_cell(action: ActionItem) -> Cell:
    text = "Overdue" if action.overdue else action.rag.capitalize()
    return Cell(text, rag=action.rag)


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else (plural or word + 's')}"


def _excerpt(text: str, sentences: int = 2, limit: int = 400) -> str:
    """The first sentences of a narrative answer, for excerpts."""
    parts = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    out = " ".join(parts[:sentences])
    if len(out) > limit:
        out = out[: limit - 1].rsplit(" ", 1)[0] + "…"
    return out


# ------------------------------------------------------------------------ the data


@dataclass
class _Latest:
    value: float
    as_at: date | None
    period: str


class _Figures:
    """The plan's figures and ratings, computed once for every month a report needs."""

    def __init__(self, inputs: ReportInputs) -> None:
        self.inputs = inputs
        self.plan: Plan = inputs.plan
        self.period = inputs.period
        self.frame = inputs.observations
        self.values = values_for_evaluation(self.frame, self.plan)
        self.benchmarks = inputs.benchmark_figures()
        self._results: dict[tuple[str, str], MeasureResult] = {}
        self._spc: dict[str, MeasureSpc | None] = {}
        self._counts: dict[tuple[str, str, str], tuple[float | None, float | None]] | None = None
        self.priority_of = {m.id: p for p, m in self.plan.iter_measures()}
        # Published figures this report's data revises: a direction of travel compared
        # with one says so ("compared with 84.6%, revised from 84.0% as published").
        self.published = {(r.measure_id, r.month): r.published for r in inputs.revisions}

    def value(self, measure: Measure, month: str) -> float | None:
        v = self.values.get(measure.id, {}).get(month)
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v

    def result(self, measure: Measure, month: str) -> MeasureResult:
        key = (measure.id, month)
        found = self._results.get(key)
        if found is None:
            priority = self.priority_of[measure.id]
            previous = add_months(month, -measure.frequency.months)
            found = evaluate_measure(
                measure,
                month,
                self.value(measure, month),
                self.value(measure, previous),
                default_tolerance=self.plan.default_tolerance,
                priority=priority.id,
                priority_title=priority.title,
                cumulative_direction=self.plan.cumulative_direction,
                published_before=self.published.get((measure.id, previous)),
            )
            self._results[key] = found
        return found

    def latest(self, measure: Measure) -> _Latest | None:
        """The mid-month refresh of the month after the report's (the last complete) month."""
        rows = self.frame.filter(
            (pl.col("measure_id") == measure.id)
            & (pl.col("period_type") == "latest")
            & (pl.col("breakdown") == "")
            & (pl.col("period") == add_months(self.period, 1))
            & pl.col("value").is_not_null()
        ).sort("period", descending=True)
        if not rows.height:
            return None
        row = rows.row(0, named=True)
        return _Latest(float(row["value"]), row["as_at"], row["period"])

    def counts(self, measure: Measure, month: str) -> tuple[float | None, float | None]:
        """(numerator, denominator) behind the figure the plan rates for ``month``."""
        if self._counts is None:
            rows = self.frame.filter(
                (pl.col("breakdown") == "") & pl.col("period_type").is_in(["month", "fytd"])
                & (pl.col("numerator").is_not_null() | pl.col("denominator").is_not_null())
            ).select("measure_id", "period", "period_type", "numerator", "denominator")
            self._counts = {(a, b, c): (n, d) for a, b, c, n, d in rows.iter_rows()}
        kind = "fytd" if measure.cumulative_in_year else "month"
        found = self._counts.get((measure.id, month, kind)) or self._counts.get((measure.id, month, "month"))
        return found or (None, None)

    def spc(self, measure: Measure) -> MeasureSpc | None:
        """The measure's SPC reading at the report's month, as the dashboard shows it."""
        if measure.id not in self._spc:
            series = spc_series(
                measure,
                monthly_series(self.frame, measure.id),
                monthly_series(self.frame, measure.id, period_type="fytd"),
            )
            target = self.result(measure, self.period).target
            self._spc[measure.id] = measure_spc(measure, series, self.period, target)
        return self._spc[measure.id]

    def narrative(self, measure: Measure) -> NarrativeText | None:
        return self.inputs.narrative.get(measure.id)

    def data_as_at(self) -> date | None:
        if self.inputs.notes.as_at is not None:
            return self.inputs.notes.as_at
        dates = self.frame.filter(pl.col("period") <= self.period)["as_at"].drop_nulls()
        if dates.len():
            return dates.max()  # type: ignore[return-value]
        return month_end(self.period) if self.frame.height else None

    def breakdowns(self, measure: Measure, month: str) -> dict[str, pl.DataFrame]:
        rows = self.frame.filter(
            (pl.col("measure_id") == measure.id)
            & (pl.col("period") == month)
            & (pl.col("period_type").is_in(["month", "fytd"] if measure.cumulative_in_year else ["month"]))
            & (pl.col("breakdown") != "")
        )
        out: dict[str, pl.DataFrame] = {}
        for name in sorted(set(rows["breakdown"].to_list())):
            if _PRIVATE_BREAKDOWNS.search(name) or name in _NOT_FOR_REPORTS:
                continue
            part = rows.filter(pl.col("breakdown") == name)
            if measure.cumulative_in_year and (part["period_type"] == "fytd").any():
                part = part.filter(pl.col("period_type") == "fytd")
            out[name] = part.sort("breakdown_value")
        return out


def draft_state(plan: Plan, narrative: Mapping[str, NarrativeText | None]) -> tuple[bool, list[str]]:
    """(is DRAFT, why): DRAFT exactly when some measure's narrative is not approved, or was
    approved against a figure that has been revised since (its owner must confirm or revise)."""
    missing = [m for m in plan.measures if narrative.get(m.id) is None]
    unconfirmed = narrative_figure_reason(plan, narrative)
    if not missing:
        return (True, [unconfirmed]) if unconfirmed else (False, [])
    total = len(plan.measures)
    if len(missing) == total:
        why = f"No narrative is approved yet for any of the {total} measures."
    else:
        names = ", ".join(m.title for m in missing[:6]) + (" and others" if len(missing) > 6 else "")
        why = f"Narrative for {len(missing)} of {total} measures is not yet approved: {names}."
    return True, [why, *([unconfirmed] if unconfirmed else [])]


def _report(inputs: ReportInputs, kind: ReportKind, figures: _Figures, subtitle: str) -> Report:
    draft, reasons = draft_state(inputs.plan, inputs.narrative)
    missing = missing_sections(kind.value, inputs.plan, inputs.texts)
    if missing:
        draft = True
        total = len(written_sections(kind.value, inputs.plan))
        names = ", ".join(s.title for s in missing[:6]) + (" and others" if len(missing) > 6 else "")
        reasons.append(f"{len(missing)} of {total} sections written by people are not yet approved: {names}.")
    generated = inputs.generated_at or datetime.now(timezone.utc)  # noqa: UP017
    as_at = figures.data_as_at()
    plan = inputs.plan
    cover = [
        (s.title, inputs.texts[s.key].text.strip() if s.key in inputs.texts else "Not yet entered")
        for s in written_sections(kind.value, plan) if s.short
    ]
    cover.append(("Reporting period", subtitle or long_month(inputs.period)))
    cover.append(("Data as at", day_text(as_at) if as_at else "No figures recorded"))
    cover.append(("Prepared on", day_text(generated.date())))
    if inputs.source_label:
        cover.append(("Source", inputs.source_label))
    cover.append(("Status", "DRAFT – not for publication" if draft else "Final: everything approved"))
    return Report(
        kind=kind,
        title=kind.label,
        authority=plan.authority.name,
        period=inputs.period,
        period_label=long_month(inputs.period),
        data_as_at=as_at,
        generated_at=generated,
        draft=draft,
        draft_reasons=reasons,
        sections=[],
        datasets=[],
        subtitle=subtitle,
        plan_title=plan.title or "",
        cover_facts=cover,
        dated=inputs.judged_on,
    )


# ------------------------------------------------------------- shared sections

GENERATED = Paragraph(
    "Generated from the figures by Improvement Journey; not written by a person.", "note"
)
"""Marks a section the product wrote, so machine text is never read as someone's judgement."""


def written_blocks(texts: Mapping[str, ApprovedText], key: str, what: str) -> list[Block]:
    """A section people write: its approved text with who wrote and approved it, or a
    plain statement that it is not yet written and approved (never machine text)."""
    text = texts.get(key)
    if text is None:
        return [Paragraph(f"Not yet written and approved: {what}. This report is a DRAFT until it is.", "warning")]
    blocks: list[Block] = [Paragraph(p) for p in text.paragraphs()]
    by = []
    if text.written_by:
        by.append(f"Written by {text.written_by}")
    if text.approved_by:
        by.append(f"approved by {text.approved_by}" + (f" on {day_text(text.approved_on)}" if text.approved_on else ""))
    if by:
        words = "; ".join(by)
        blocks.append(Paragraph(words[0].upper() + words[1:] + ".", "note"))
    return blocks



def _summary_table(figures: _Figures, priority: Priority) -> Table:
    rows = []
    for measure in priority.measures:
        r = figures.result(measure, figures.period)
        rows.append(
            (
                Cell(measure.title),
                Cell(r.value_text, number=r.value, numeric=True),
                rag_cell(r.rag),
                Cell(r.direction.label),
            )
        )
    return Table(
        caption=f"{priority.title}: summary for {long_month(figures.period)}",
        columns=("Measure", "Actual", "Performance (RAG)", "DoT"),
        rows=tuple(rows),
    )


def _facts(figures: _Figures, measure: Measure, r: MeasureResult) -> Facts:
    items: list[tuple[str, str]] = []
    target = r.target_text if r.target is not None else "No target set"
    if r.milestone and r.target is not None:
        target += f" (milestone {short_month(r.milestone)})"
    items.append(("Target", target))
    items.append(("Tolerance", r.tolerance or "None"))
    items.append(("Polarity", measure.polarity.words))
    items.append(("Unit", unit_words(measure)))
    counted = count_words(figures, measure, figures.period)
    if counted:
        items.append(("Count", counted))
    items.append(("Rating", r.reason))
    items.append(("Direction of travel", r.direction_reason))
    bench = figures.benchmarks.get(measure.id, {})
    if bench:
        year = measure.benchmarks.year if measure.benchmarks and measure.benchmarks.year else ""
        text = "; ".join(f"{k} {figure(v, measure)}" for k, v in bench.items())
        items.append(("Benchmarks" + (f" ({year})" if year else ""), text))
    if measure.owner:
        items.append(("Owner", measure.owner))
    items.append(("Source", source_words(measure, brackets=True)))
    return Facts(tuple(items))


def _count_cell(figures: _Figures, measure: Measure, month: str) -> Cell:
    """The count beside a rate or percentage: "347", or "41 of 50"; small counts hidden."""
    numerator, denominator = figures.counts(measure, month)
    if numerator is None:
        return Cell("–")
    rule = figures.plan.small_numbers
    n = rule.label if rule.is_small(numerator) else format_number(numerator, 0)
    if measure.unit is Unit.PERCENT and denominator is not None:
        d = rule.label if rule.is_small(denominator) else format_number(denominator, 0)
        return Cell(f"{n} of {d}", number=numerator)
    return Cell(n, number=None if rule.is_small(numerator) else numerator, numeric=not rule.is_small(numerator))


def _months_table(figures: _Figures, measure: Measure, months: list[str]) -> Table:
    """The last months, and Latest when a mid-month figure exists: the chart's data table too.
    A rate or percentage has its count beside it, as the board's own reports show both."""
    with_counts = measure.unit in (Unit.RATE_PER_10K, Unit.PERCENT) and any(
        figures.counts(measure, m)[0] is not None for m in months
    )
    rows = []
    for m in months:
        r = figures.result(measure, m)
        row = [
            Cell(short_month(m)),
            Cell(figure(r.value, measure), number=r.value, numeric=True),
        ]
        if with_counts:
            row.append(_count_cell(figures, measure, m))
        row += [
            Cell(target_figure(r.target, measure), number=r.target, numeric=True),
            rag_cell(r.rag) if r.value is not None else Cell("–"),
        ]
        rows.append(tuple(row))
    latest = figures.latest(measure)
    if latest is not None:
        when = f" {latest.as_at.day} {_MONTHS[latest.as_at.month - 1][:3]}" if latest.as_at else ""
        current = figures.result(measure, figures.period)
        row = [
            Cell(f"Latest{when}", strong=True),
            Cell(figure(latest.value, measure), number=latest.value, numeric=True, strong=True),
        ]
        if with_counts:
            row.append(Cell("–"))
        row += [
            Cell(target_figure(current.target, measure), number=current.target, numeric=True),
            Cell("Provisional"),
        ]
        rows.append(tuple(row))
    unit = f" ({unit_words(measure)})" if measure.unit in (Unit.DAYS, Unit.CURRENCY) else ""
    counted = ""
    what = counted_as(measure) if with_counts else None
    if what is not None:
        numerator, denominator = what
        counted = f"; Count: {_short_words(numerator)}"
        if measure.unit is Unit.PERCENT and denominator is not None:
            counted += f", of {_short_words(denominator)}"
    columns = ("Month", f"Actual{unit}", *(("Count",) if with_counts else ()), "Target", "Rating")
    return Table(
        caption=f"{measure.title}: the last {len(months)} months" + (" and the latest figure" if latest is not None else "") + counted,
        columns=columns,
        rows=tuple(rows),
        compact=True,
    )


def _milestones_table(measure: Measure) -> Table | None:
    if not measure.milestones:
        return None
    return Table(
        caption=f"{measure.title}: milestone targets",
        columns=("Milestone", *[short_month(m) for m, _ in measure.milestones]),
        rows=((Cell("Target"), *[Cell(target_figure(t, measure), number=t, numeric=True) for _, t in measure.milestones]),),
        compact=True,
    )


def _chart(figures: _Figures, measure: Measure, months: list[str], table: Table) -> ChartBlock:
    points = [ChartPoint.rated(short_month(m), measure, figures.result(measure, m)) for m in months]
    chart = MeasureChart(
        title=measure.title,
        unit=_CHART_UNITS[measure.unit],
        points=tuple(points),
        benchmarks=dict(figures.benchmarks.get(measure.id, {})),
        decimals=measure.display_decimals,
        width=330,
        height=170,
    )
    return ChartBlock(chart=chart, description=describe_measure_chart(chart), table=table)


_CHART_UNITS = {
    Unit.PERCENT: "percent",
    Unit.CURRENCY: "currency",
    Unit.RATE_PER_10K: "rate",
    Unit.DAYS: "Days",
    Unit.COUNT: "Number",
    Unit.NUMBER: "Number",
    Unit.SCORE: "Score",
}


def _narrative_block(figures: _Figures, measure: Measure) -> NarrativeBlock:
    text = figures.narrative(measure)
    if text is None:
        return NarrativeBlock(None, month_label=long_month(figures.period))
    by = text.approved_by + (f", {day_text(text.approved_on)}" if text.approved_on else "")
    return NarrativeBlock(text.answers, approved_by=by, month_label=long_month(figures.period))


def _breakdown_label(name: str, value: str) -> str:
    from journey.engine.casedata import codes

    lookup = {
        "placement_type": codes.PLACEMENT_TYPE,
        "placement_provider": codes.PLACEMENT_PROVIDER,
        "provider": codes.PLACEMENT_PROVIDER,
        "source": codes.REFERRAL_SOURCE,
        "legal_status": codes.LEGAL_STATUS,
        "category": codes.CP_CATEGORY,
        "service": codes.ALLOCATION_SERVICE,
        "worker_role": codes.WORKER_ROLE,
    }.get(name, {})
    return f"{value} – {lookup[value]}" if value in lookup else value


NATURAL_ORDER: dict[str, tuple[str, ...]] = {
    "age_band": ("Under 1", "1 to 4", "5 to 9", "10 to 15", "16 and over"),
    "placement_group": PLACEMENT_GROUPS,
    "time_in_placement": TIME_IN_PLACEMENT,
    "grade": ("outstanding", "good", "requires_improvement", "inadequate"),
}
"""Breakdowns read in their own order (ages youngest first, time shortest first), not A–Z."""


SECONDARY = "not shown"
"""A figure hidden only so that a total cannot give back a small one beside it."""


def breakdown_order(name: str, values: Sequence[str]) -> list[str]:
    """``values`` in natural order: the breakdown's own order, or its code list's (U1 before
    U4 before Z1; PR0 … PR5), else as text; anything unknown last, as text."""
    from journey.engine.casedata import codes

    known: Sequence[str] = NATURAL_ORDER.get(name) or list({
        "placement_type": codes.PLACEMENT_TYPE,
        "placement_provider": codes.PLACEMENT_PROVIDER,
        "provider": codes.PLACEMENT_PROVIDER,
        "legal_status": codes.LEGAL_STATUS,
        "source": codes.REFERRAL_SOURCE,
        "category": codes.CP_CATEGORY,
        "cp_category": codes.CP_CATEGORY,
    }.get(name, {}))
    rank = {v: i for i, v in enumerate(known)}
    return sorted(values, key=lambda v: (rank.get(v, len(rank)), v))


def _breakdown_tables(figures: _Figures, measure: Measure) -> list[Table]:
    rule = figures.plan.small_numbers
    tables = []
    for name, rows in figures.breakdowns(measure, figures.period).items():
        has_num = rows["numerator"].drop_nulls().len() > 0
        has_den = rows["denominator"].drop_nulls().len() > 0
        columns = [BREAKDOWN_TITLES.get(name, "By " + name.replace("_", " "))[3:].capitalize(), "Figure"]
        if has_num:
            columns.append("Numerator")
        if has_den:
            columns.append("Denominator")
        by_value = {row["breakdown_value"]: row for row in rows.iter_rows(named=True)}
        ordered = [by_value[v] for v in breakdown_order(name, list(by_value))]
        counts = [
            (row["value"] if measure.unit is Unit.COUNT and row["numerator"] is None else row["numerator"], row["denominator"])
            for row in ordered
        ]
        hidden = rule.parts(counts).hidden if rule.active else tuple(False for _ in ordered)
        body = []
        for row, secret, (count, base) in zip(ordered, hidden, counts, strict=True):
            if secret:
                # A small count itself, or a larger one hidden so that the total cannot give it back.
                shown = Cell(rule.hidden_text(measure.unit.value) if rule.hides(count, base) else SECONDARY)
            else:
                shown = Cell(figure(row["value"], measure), number=row["value"], numeric=True)
            cells = [Cell(_breakdown_label(name, row["breakdown_value"])), shown]
            for key, present in (("numerator", has_num), ("denominator", has_den)):
                if not present:
                    continue
                n = row[key]
                if n is None:
                    cells.append(Cell("–"))
                elif secret:
                    cells.append(Cell(rule.label if rule.is_small(n) else "–"))
                else:
                    cells.append(Cell(format_number(n, 0), number=n, numeric=True))
            body.append(tuple(cells))
        title = BREAKDOWN_TITLES.get(name, "By " + name.replace("_", " "))
        tables.append(
            Table(
                caption=f"{measure.title}: {title[0].lower() + title[1:]}, {long_month(figures.period)}",
                columns=tuple(columns),
                rows=tuple(body),
            )
        )
    return tables


_PROFILE = (
    ("placement_group", "Type of placement"),
    ("placement_type", "Placement type"),
    ("placement_provider", "Placement provider"),
    ("time_in_placement", "Time in current placement"),
    ("legal_status", "Legal status"),
)


def placement_profile(figures: _Figures) -> Section | None:
    """Children looked after at the month's end by type of placement (in-house foster care,
    independent fostering agency, kinship, residential, other: the library's
    ``placement_group``, type crossed with provider), by SSDA903 placement type, provider,
    time in placement and legal status: the counts behind the looked-after measures whose
    denominator is every child looked after at the date."""
    plan = figures.plan
    sources = []
    for m in plan.measures:
        found = _library(m)
        if found is not None and found.denominator == "children looked after at the date":
            sources.append(m)
    if not sources:
        return None
    rule = plan.small_numbers
    section = Section("placement-profile", "Children looked after: placement profile", level=1, new_page=True)
    for name, heading in _PROFILE:
        counts: dict[str, float] = {}
        for m in sources:
            rows = figures.breakdowns(m, figures.period).get(name)
            if rows is not None and rows["denominator"].drop_nulls().len():
                counts = {r["breakdown_value"]: float(r["denominator"]) for r in rows.iter_rows(named=True) if r["denominator"] is not None}
                break
        if not counts:
            continue
        total = sum(counts.values())
        values = breakdown_order(name, list(counts))
        section.blocks.append(
            _profile_table(
                f"Children looked after by {heading.lower()}, {long_month(figures.period)}",
                heading, [(_breakdown_label(name, v), counts[v]) for v in values], total, rule,
            )
        )
    if not section.blocks:
        return None
    section.blocks.insert(0, Paragraph(
        f"Children looked after at the end of {long_month(figures.period)}, counted from the SSDA903 "
        "episodes and placements behind the looked-after measures.", "lead"))
    if rule.active:
        section.blocks.append(Paragraph(rule.explanation, "note"))
    return section


def _profile_table(caption: str, heading: str, rows: list[tuple[str, float]], total: float, rule: Any) -> Table:
    hidden = rule.parts([(n, None) for _, n in rows]).hidden if rule.active else tuple(False for _ in rows)
    body = []
    for (label, n), secret in zip(rows, hidden, strict=True):
        if secret:
            body.append((Cell(label), Cell(rule.label if rule.is_small(n) else SECONDARY), Cell("–")))
        else:
            share = 100 * n / total if total else 0.0
            body.append((Cell(label), Cell(format_number(n, 0), number=n, numeric=True), Cell(f"{format_number(share, 1)}%", number=share, numeric=True)))
    body.append((Cell("All children looked after", strong=True), Cell(format_number(total, 0), number=total, numeric=True, strong=True), Cell("100.0%", number=100.0, numeric=True)))
    return Table(caption=caption, columns=(heading, "Children", "Share"), rows=tuple(body))


def _actions_table(actions: Sequence[ActionItem], caption: str, *, reasons: bool = False) -> Table:
    columns = ["No.", "Action", "Owner", "Due", "Status", "RAG"]
    if reasons:
        columns.append("Why")
    rows = []
    for a in actions:
        row = [
            Cell(a.number),
            Cell(a.text),
            Cell(a.owner or "–"),
            Cell(day_text(a.due)),
            Cell(f"{a.status} ({a.percent_complete}%)"),
            action_rag_cell(a),
        ]
        if reasons:
            row.append(Cell(a.rag_reason))
        rows.append(tuple(row))
    return Table(caption=caption, columns=tuple(columns), rows=tuple(rows))


def definition_of(measure: Measure, given: Mapping[str, str]) -> str:
    """How the measure is counted: as given, else the measure library's definition (in
    plain words: the plan's parameters filled in, no code names), else the plan's own
    definition of a manual measure; the plan's notes after either."""
    if given.get(measure.id):
        return given[measure.id]
    notes = f" {measure.notes}" if measure.notes else ""
    found = _library(measure)
    if found is not None:
        return plain_words(found, measure) + notes
    if measure.definition is not None:
        return measure.definition.text + notes
    return measure.notes or ""


def source_words(measure: Measure, *, brackets: bool = False) -> str:
    """Where the figures come from: "Computed (id)" (or "Computed: id"), or "Entered by
    hand", with the manual definition's source when the plan gives one."""
    if measure.source.kind == "computed":
        return f"Computed ({measure.source.library_id})" if brackets else f"Computed: {measure.source.library_id}"
    given = measure.definition.source if measure.definition is not None else None
    return "Entered by hand" + (f" from {given}" if given else "")


def counted_as(measure: Measure) -> tuple[str, str | None] | None:
    """(what is counted, out of what) behind a measure's figure: the measure library's
    numerator and denominator for a computed measure, the plan's definition for a manual
    one; None when neither says (no denominator: None)."""
    found = _library(measure)
    if found is not None:
        return found.numerator, (None if found.denominator == "none" else found.denominator)
    d = measure.definition
    if d is not None and d.numerator is not None:
        return d.numerator, d.denominator
    return None


_CODE_NAMES = {"referral": "referral", "early_help": "early help", "fytd": "financial year to date"}


def plain_words(found: Any, measure: Measure) -> str:
    """A library definition for a board: parameters by their value (`working_days` → 10),
    other measures by their title, the rolling-twelve-month variant (not what this plan
    uses) left out, and no code names in back-quotes."""
    from journey.engine.measures import REGISTRY

    text = re.sub(r"\s*`rolling12`:[^.]*(?:\.\d[^.]*)*\.", "", found.definition)
    text = re.sub(r"\s*\(rolling12[^)]*\)", "", text)
    defaults = {p.name: p.default for p in found.parameters}

    def word(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in measure.parameters or name in defaults:
            value = measure.parameters.get(name, defaults.get(name))
            return str(value).replace("_", " ")
        if name in REGISTRY:
            return REGISTRY[name].title.lower()
        return _CODE_NAMES.get(name, name.replace("_", " "))

    return " ".join(re.sub(r"`([^`]+)`", word, text).split())


def _data_notes(figures: _Figures, months: list[str], *, definitions: bool = True) -> Section:
    inputs = figures.inputs
    notes = inputs.notes
    section = Section("data-notes", "Data notes", level=1, new_page=True)
    frame = figures.frame.filter(pl.col("period").is_in(months))
    as_at = figures.data_as_at()
    lead = f"Figures for {long_month(months[0])} to {long_month(months[-1])}"
    lead += f", data as at {day_text(as_at)}." if as_at else "."
    section.blocks.append(Paragraph(lead, "lead"))

    sources = Section("data-sources", "Extracts and loads used", level=2)
    if notes.extracts:
        sources.blocks.append(
            Table("Extracts and loads", ("Extract or load", "Detail"), tuple((Cell(a), Cell(b)) for a, b in notes.extracts))
        )
    snapshots = sorted({s for s in frame["snapshot"].to_list() if s})
    if snapshots:
        sources.blocks.append(
            Paragraph(
                f"The figures were computed from {_plural(len(snapshots), 'stored extract')}, kept "
                "byte for byte so that every figure can be worked out again; the data team can "
                "trace each figure to its extract on the Loads page."
            )
        )
    by_source = frame.filter(pl.col("breakdown") == "").group_by("source").len().sort("source")
    counts = [f"{_plural(n, 'figure')} {s or 'imported'}" for s, n in by_source.iter_rows()]
    if counts:
        sources.blocks.append(Paragraph("Figures in these months: " + "; ".join(counts) + "."))
    if not sources.blocks:
        sources.blocks.append(Paragraph("No extract or load details were supplied with these figures.", "note"))
    section.subsections.append(sources)

    quality = Section("data-quality", "Validation warnings and flagged figures", level=2)
    flagged = frame.filter(pl.col("flagged") & (pl.col("breakdown") == "")).sort(["measure_id", "period"])
    titles = {m.id: m.title for m in figures.plan.measures}
    if flagged.height:
        quality.blocks.append(
            Paragraph(
                "These figures were computed from records with validation warnings; they are "
                "shown, and should be read with care:"
            )
        )
        quality.blocks.append(
            BulletList(
                tuple(
                    f"{titles.get(mid, mid)}, {long_month(p)}"
                    for mid, p in flagged.select("measure_id", "period").iter_rows()
                )
            )
        )
    if notes.warnings:
        quality.blocks.append(Paragraph("Warnings from the loads:"))
        quality.blocks.append(BulletList(tuple(notes.warnings)))
    missing = [m.title for m in figures.plan.measures if figures.value(m, figures.period) is None]
    if missing:
        quality.blocks.append(Paragraph(f"No figure for {long_month(figures.period)} (Not rated): " + "; ".join(missing) + "."))
    if not quality.blocks:
        quality.blocks.append(Paragraph("No validation warnings or flagged figures for these months."))
    section.subsections.append(quality)

    method = Section("data-method", "How ratings are worked out", level=2)
    method.blocks.append(
        BulletList(
            (
                "RAG: each month's value, rounded as shown, is compared with the target in force "
                "that month (the next milestone) and the tolerance: Green meets the target, Amber "
                "misses it but is within tolerance, Red is outside the tolerance.",
                "Direction of travel (DoT) compares with the previous month by polarity, not by "
                "sign: for a measure where smaller is better, a fall is Improving.",
                "Cumulative in-year measures are rated against targets profiled pro rata from 1 April.",
                "Latest is a mid-month refresh shown beside the last complete month; it is provisional and not rated.",
                "Narrative appears only once a director has approved it.",
            )
        )
    )
    section.subsections.append(method)

    if definitions:
        defs = Section("data-definitions", "Definitions of measures", level=2)
        rows = []
        for measure in figures.plan.measures:
            text = definition_of(measure, notes.definitions)
            rows.append((Cell(measure.title), Cell(text or "–"), Cell(source_words(measure))))
        defs.blocks.append(Table("Definitions of measures", ("Measure", "Definition", "Source"), tuple(rows)))
        section.subsections.append(defs)
    return section


# ------------------------------------------------------------------------ datasets


def _summary_dataset(figures: _Figures) -> Dataset:
    rows = []
    for priority, measure in figures.plan.iter_measures():
        r = figures.result(measure, figures.period)
        rows.append(
            (
                priority.id,
                priority.title,
                measure.id,
                measure.title,
                figures.period,
                r.value,
                measure.unit.value,
                r.target,
                r.tolerance,
                r.rag.label,
                r.direction.label,
                "Approved" if figures.narrative(measure) else NOT_APPROVED,
            )
        )
    return Dataset(
        "summary",
        f"Summary, {long_month(figures.period)}",
        ("Priority", "Priority title", "Measure id", "Measure", "Month", "Actual", "Unit", "Target", "Tolerance", "Performance (RAG)", "DoT", "Narrative"),
        tuple(rows),
    )


def _priority_datasets(figures: _Figures, months: list[str]) -> list[Dataset]:
    out = []
    for priority in figures.plan.priorities:
        rows = []
        for measure in priority.measures:
            for m in months:
                r = figures.result(measure, m)
                rows.append((measure.id, measure.title, m, measure.unit.value, r.value, r.target, r.tolerance_lower, r.tolerance_upper, r.rag.label, r.direction.label))
            latest = figures.latest(measure)
            if latest is not None:
                rows.append((measure.id, measure.title, f"Latest {latest.as_at.isoformat() if latest.as_at else latest.period}", measure.unit.value, latest.value, None, None, None, "Provisional", ""))
        out.append(
            Dataset(
                f"priority-{priority.id}",
                priority.title,
                ("Measure id", "Measure", "Month", "Unit", "Actual", "Target", "Tolerance lower", "Tolerance upper", "RAG", "DoT"),
                tuple(rows),
            )
        )
    return out


def _measures_dataset(figures: _Figures) -> Dataset:
    rows = []
    for priority, m in figures.plan.iter_measures():
        bench = figures.benchmarks.get(m.id, {})
        rows.append(
            (
                priority.id, m.id, m.title, m.unit.value, m.polarity.words,
                "; ".join(f"{short_month(k)}: {target_figure(v, m)}" for k, v in m.milestones),
                figures.result(m, figures.period).tolerance,
                str(m.source), m.owner or "",
                bench.get("Statistical neighbours"), bench.get("England"),
                definition_of(m, figures.inputs.notes.definitions),
            )
        )
    return Dataset(
        "measures", "Measures",
        ("Priority", "Measure id", "Measure", "Unit", "Polarity", "Milestone targets", "Tolerance", "Source", "Owner", "Statistical neighbours", "England", "Definition"),
        tuple(rows),
    )


def _actions_dataset(actions: Sequence[ActionItem]) -> Dataset:
    return Dataset(
        "actions", "Actions",
        ("Number", "Priority", "Action", "Owner", "Due", "Status", "% complete", "RAG", "Overdue", "Reason", "Measures", "Evidence"),
        tuple(
            (a.number, a.priority_id, a.text, a.owner, a.due, a.status, a.percent_complete,
             a.rag.capitalize(), "Yes" if a.overdue else "No", a.rag_reason, ", ".join(a.measures), "; ".join(a.evidence))
            for a in actions
        ),
    )


# ------------------------------------------------------------------------- monthly


def monthly(inputs: ReportInputs) -> Report:
    """The monthly Improvement Plan Report (the board pack)."""
    figures = _Figures(inputs)
    report = _report(inputs, ReportKind.MONTHLY, figures, long_month(inputs.period))
    chart_months = months_printed(inputs.period, inputs.months_shown)
    actions = inputs.action_items()
    plan = inputs.plan

    overview = Section("overview", "Overview", level=1, new_page=True)
    counts = {rag: 0 for rag in Rag}
    for _, measure in plan.iter_measures():
        counts[figures.result(measure, inputs.period).rag] += 1
    overdue = [a for a in actions if a.overdue]
    red = [a for a in actions if a.rag == "red" and not a.overdue]
    overview.blocks.append(
        Paragraph(
            f"In {long_month(inputs.period)}, of {_plural(len(plan.measures), 'measure')}: "
            f"{counts[Rag.GREEN]} Green, {counts[Rag.AMBER]} Amber, {counts[Rag.RED]} Red"
            + (f" and {counts[Rag.NOT_RATED]} not rated" if counts[Rag.NOT_RATED] else "")
            + f". Of {_plural(len(actions), 'action')}, {len(overdue)} overdue and {len(red)} more rated Red.",
            "lead",
        )
    )
    rows = []
    for priority in plan.priorities:
        c = {rag: 0 for rag in Rag}
        for measure in priority.measures:
            c[figures.result(measure, inputs.period).rag] += 1
        rows.append(
            (
                Cell(priority.title),
                Cell(str(c[Rag.GREEN]), rag="green" if c[Rag.GREEN] else None, numeric=True, number=c[Rag.GREEN]),
                Cell(str(c[Rag.AMBER]), rag="amber" if c[Rag.AMBER] else None, numeric=True, number=c[Rag.AMBER]),
                Cell(str(c[Rag.RED]), rag="red" if c[Rag.RED] else None, numeric=True, number=c[Rag.RED]),
                Cell(str(c[Rag.NOT_RATED]), numeric=True, number=c[Rag.NOT_RATED]),
            )
        )
    overview.blocks.append(
        Table("Ratings by priority", ("Priority", "Green", "Amber", "Red", "Not rated"), tuple(rows))
    )
    red_measures = [
        (m, figures.result(m, inputs.period)) for _, m in plan.iter_measures()
        if figures.result(m, inputs.period).rag is Rag.RED
    ]
    if red_measures:
        overview.blocks.append(Paragraph(f"Measures rated Red in {long_month(inputs.period)}:"))
        overview.blocks.append(
            BulletList(
                tuple(
                    f"{m.title}: {r.value_text} {against(m, r)} ({r.direction.label.lower()})"
                    for m, r in red_measures
                )
            )
        )
    if overdue:
        listed = overdue[:5]
        more = f" (the {len(listed)} most overdue; all {len(overdue)} are in the Actions section)" if len(overdue) > len(listed) else ""
        overview.blocks.append(Paragraph(f"Overdue actions{more}:"))
        overview.blocks.append(
            BulletList(tuple(f"{a.number} {a.text} – {a.owner or 'no owner'}, due {day_text(a.due)}" for a in listed))
        )
    if report.draft:
        # At the top, where it is read first (at the foot it was split across pages).
        overview.blocks.insert(1, Paragraph("DRAFT: " + " ".join(report.draft_reasons), "warning"))
    report.sections.append(overview)

    for index, priority in enumerate(plan.priorities, 1):
        section = Section(f"priority-{index}", priority.title, level=1, new_page=True)
        section.blocks.append(_summary_table(figures, priority))
        for measure in priority.measures:
            r = figures.result(measure, inputs.period)
            sub = Section(f"measure-{measure.id}", measure.title, level=2, new_page=False)
            sub.blocks.append(_facts(figures, measure, r))
            if (revised := measure_revision_note(inputs, measure.id)) is not None:
                sub.blocks.append(revised)
            milestones = _milestones_table(measure)
            if milestones is not None:
                sub.blocks.append(milestones)
            months = _months_table(figures, measure, chart_months)
            sub.blocks.append(_chart(figures, measure, chart_months, months) if inputs.charts else months)
            if (figure_note := narrative_figure_note(inputs, measure.id)) is not None:
                sub.blocks.append(figure_note)
            sub.blocks.append(_narrative_block(figures, measure))
            for table in _breakdown_tables(figures, measure):
                sub.blocks.append(table)
            linked = [a for a in actions if measure.id in a.measures]
            if linked:
                sub.blocks.append(_actions_table(linked, f"Actions meant to move {measure.title.lower()[:1] + measure.title[1:]}"))
            section.subsections.append(sub)
        report.sections.append(section)

    profile = placement_profile(figures)
    if profile is not None:
        report.sections.append(profile)

    act = Section("actions", "Actions", level=1, new_page=True)
    act.blocks.append(
        Paragraph(
            f"{_plural(len(actions), 'action')}: {len(overdue)} overdue, "
            f"{sum(a.rag == 'red' for a in actions)} Red, {sum(a.rag == 'amber' for a in actions)} Amber, "
            f"{sum(a.rag == 'green' for a in actions)} Green. Overdue and Red actions come first.",
            "lead",
        )
    )
    if actions:
        act.blocks.append(_actions_table(actions, "Every action of the plan, overdue and red first", reasons=True))
    report.sections.append(act)
    if (revisions := revisions_section(inputs)) is not None:
        report.sections.append(revisions)
    report.sections.append(_data_notes(figures, chart_months))

    report.datasets = [
        _summary_dataset(figures),
        *_priority_datasets(figures, chart_months),
        _measures_dataset(figures),
        _actions_dataset(actions),
    ]
    return report


# ----------------------------------------------------------------------- quarterly


def _change(figures: _Figures, measure: Measure, before_month: str, month: str) -> Direction:
    """Better or worse over a longer span (the quarterly and scrutiny reports), by the same
    rule as the month's direction of travel: by polarity, and for a cumulative measure by its
    monthly pace (or its running total, as the plan says)."""
    direction, _ = direction_of_travel(
        measure, figures.value(measure, month), figures.value(measure, before_month), month,
        figures.plan.cumulative_direction, before=before_month,
    )
    return direction


def comparison_month(measure: Measure, period: str, earlier: str) -> str:
    """The month to compare ``period`` with over a span: ``earlier``, except that a
    cumulative (year-to-date) measure is compared with the same point last year, never
    with a total for a different number of months (92 for April–September is not set
    against 178 for a whole year)."""
    return add_months(period, -12) if measure.cumulative_in_year else earlier


def quarter_label(period: str) -> str:
    first = add_months(period, -2)
    return f"{_MONTHS[int(first[5:7]) - 1][:3]}–{_MONTHS[int(period[5:7]) - 1][:3]} {period[:4]}" if first[:4] == period[:4] else f"{short_month(first)} to {short_month(period)}"


@dataclass(frozen=True)
class Signal:
    measure: Measure
    month: str
    causes: tuple[str, ...]
    variation: str
    value: float


def spc_signals(figures: _Figures, measure: Measure, months: Iterable[str]) -> list[Signal]:
    """Special-cause points among ``months``, by the one SPC reading the dashboard shows
    (:func:`journey.engine.stats.spc.measure_spc`: each month's own figure)."""
    reading = figures.spc(measure)
    if reading is None:
        return []
    return [
        Signal(measure, p.period, tuple(str(c) for c in p.special_causes), str(p.variation), p.value)
        for p in reading.special_causes(months)
    ]


def quarterly(inputs: ReportInputs) -> Report:
    """The quarterly progress report to the Minister from the independent chair."""
    figures = _Figures(inputs)
    period = inputs.period
    start = add_months(period, -3)  # the end of the previous quarter
    quarter = month_range(add_months(period, -2), period)
    label = quarter_label(period)
    report = _report(inputs, ReportKind.QUARTERLY, figures, f"Quarter {label} (to the end of {long_month(period)})")
    plan = inputs.plan
    actions = inputs.action_items()

    counts_now = {rag: 0 for rag in Rag}
    counts_then = {rag: 0 for rag in Rag}
    for _, m in plan.iter_measures():
        counts_now[figures.result(m, period).rag] += 1
        counts_then[figures.result(m, start).rag] += 1
    texts = inputs.texts
    intro = Section("summary", "Summary from the independent chair", level=1, new_page=True)
    intro.blocks.extend(written_blocks(texts, "chair_summary", "the independent chair's summary"))
    report.sections.append(intro)

    glance = Section("quarter-in-figures", "The quarter in figures", level=2)
    glance.blocks.append(GENERATED)
    glance.blocks.append(
        Paragraph(
            f"At the end of {long_month(period)}, {counts_now[Rag.GREEN]} of {_plural(len(plan.measures), 'measure')} "
            f"were Green, {counts_now[Rag.AMBER]} Amber and {counts_now[Rag.RED]} Red"
            + (f" ({counts_now[Rag.NOT_RATED]} not rated)" if counts_now[Rag.NOT_RATED] else "")
            + f"; at the end of {long_month(start)}: {counts_then[Rag.GREEN]} Green, {counts_then[Rag.AMBER]} Amber "
            f"and {counts_then[Rag.RED]} Red"
            + (f" ({counts_then[Rag.NOT_RATED]} not rated)" if counts_then[Rag.NOT_RATED] else "") + "."
        )
    )
    intro.subsections.append(glance)

    progress = Section("progress", "Progress against each priority", level=1)
    changed: list[tuple[Measure, MeasureResult, MeasureResult]] = []
    for priority in plan.priorities:
        sub = Section(f"progress-{priority.id}", priority.title, level=2)
        sub.blocks.extend(written_blocks(texts, progress_key(priority.id), f"the chair's assessment of {priority.title}"))
        rows = []
        better = worse = 0
        for m in priority.measures:
            then, now = figures.result(m, start), figures.result(m, period)
            move = _change(figures, m, start, period)
            better += move is Direction.IMPROVING
            worse += move is Direction.WORSENING
            if then.rag is not now.rag:
                changed.append((m, then, now))
            rows.append(
                (
                    Cell(m.title),
                    Cell(then.value_text, number=then.value, numeric=True),
                    rag_cell(then.rag),
                    Cell(now.value_text, number=now.value, numeric=True),
                    rag_cell(now.rag),
                    Cell(move.label),
                )
            )
        sub.blocks.append(GENERATED)
        sub.blocks.append(
            Paragraph(
                f"Of {_plural(len(priority.measures), 'measure')}, {better} improved and {worse} worsened over the quarter "
                "(a cumulative measure by its monthly pace)."
            )
        )
        sub.blocks.append(
            Table(
                f"{priority.title}: {short_month(start)} and {short_month(period)}",
                ("Measure", short_month(start), "RAG", short_month(period), "RAG ", "Over the quarter"),
                tuple(rows),
            )
        )
        progress.subsections.append(sub)
    report.sections.append(progress)

    for section in QUARTERLY_AFTER:
        chair_part = Section(section.key.replace("_", "-"), section.title, level=1)
        chair_part.blocks.extend(written_blocks(texts, section.key, section.title.lower()))
        report.sections.append(chair_part)

    appendix = Section("appendix", "Appendix: the figures behind this report", level=1, new_page=True)
    appendix.blocks.append(GENERATED)
    report.sections.append(appendix)
    moved = Section("rag-changes", "Ratings that changed this quarter", level=2)
    if changed:
        order = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2, Rag.NOT_RATED: 3}
        moved.blocks.append(
            Table(
                "Measures whose rating changed",
                ("Measure", "Priority", f"{short_month(start)}", f"{short_month(period)}", "Figures"),
                tuple(
                    (
                        Cell(m.title),
                        Cell(figures.priority_of[m.id].id),
                        rag_cell(then.rag),
                        rag_cell(now.rag),
                        Cell(f"{then.value_text} → {now.value_text}"),
                    )
                    for m, then, now in sorted(changed, key=lambda x: (order[x[2].rag], x[0].title))
                ),
            )
        )
    else:
        moved.blocks.append(Paragraph("No measure's rating changed over the quarter."))

    appendix.subsections.append(moved)
    signals_section = Section("signals", "Signals beyond normal variation", level=2)
    signals_section.blocks.append(
        Paragraph(
            "Monthly figures vary by chance. Statistical process control (XmR charts, NHS England's "
            "Making Data Count rules) picks out the changes that are more than noise: a point outside "
            "the process limits, a run of seven on one side of the mean, six rising or falling, or two "
            "of three near a limit. Only these are listed.",
            "note",
        )
    )
    found = [s for _, m in plan.iter_measures() for s in spc_signals(figures, m, quarter)]
    if found:
        by_measure: dict[str, list[Signal]] = {}
        for signal in found:
            by_measure.setdefault(signal.measure.id, []).append(signal)
        signal_rows: list[tuple[Cell, ...]] = []
        for signals in by_measure.values():
            m, last = signals[0].measure, signals[-1]
            causes = list(dict.fromkeys(c for s in signals for c in s.causes))
            signal_rows.append(
                (
                    Cell(m.title),
                    Cell(", ".join(f"{short_month(s.month)} ({figure(s.value, m)})" for s in signals)),
                    Cell("; ".join(causes).capitalize()),
                    Cell(last.variation.replace("special cause - ", "").capitalize()),
                )
            )
        signals_section.blocks.append(
            Paragraph(f"{_plural(len(signal_rows), 'measure')} {'shows' if len(signal_rows) == 1 else 'show'} special-cause variation this quarter.")
        )
        signals_section.blocks.append(
            Table(
                "Special-cause variation this quarter",
                ("Measure", "Months (figure)", "What the chart shows", "Reading (latest)"),
                tuple(signal_rows),
            )
        )
    else:
        signals_section.blocks.append(Paragraph("No measure shows special-cause variation this quarter: the changes seen are within normal variation."))
    appendix.subsections.append(signals_section)

    act = Section("actions", "Actions completed and overdue", level=2)
    completed = [
        a for a in actions
        if a.completed and (a.completed_on is None or quarter[0] <= a.completed_on.isoformat()[:7] <= period)
    ]
    overdue = [a for a in actions if a.overdue]
    act.blocks.append(
        Paragraph(f"{_plural(len(completed), 'action')} completed and {len(overdue)} overdue at the end of {long_month(period)}.", "lead")
    )
    if completed:
        act.blocks.append(_actions_table(completed, "Actions completed"))
    if overdue:
        act.blocks.append(_actions_table(overdue, "Actions overdue", reasons=True))
    appendix.subsections.append(act)

    excerpts = Section("narrative", "From the service: approved narrative", level=1, new_page=True)
    # The measures the Minister needs to read about: rating changed, Red now, or a signal.
    notable = {m.id for m, _, _ in changed} | {s.measure.id for s in found}
    notable |= {m.id for _, m in plan.iter_measures() if figures.result(m, period).rag is Rag.RED}
    excerpts.blocks.append(
        Paragraph(
            "Excerpts from the approved narrative for the measures whose rating changed, that are "
            "rated Red, or that show a signal beyond normal variation.",
            "note",
        )
    )
    for priority in plan.priorities:
        sub = Section(f"narrative-{priority.id}", priority.title, level=2)
        for m in priority.measures:
            if m.id not in notable:
                continue
            text = figures.narrative(m)
            if text is None:
                sub.blocks.append(NarrativeBlock(None, month_label=f"{m.title}, {long_month(period)}"))
                continue
            sub.blocks.append(
                NarrativeBlock(
                    (
                        (f"{m.title} – what's working well", _excerpt(text.working_well)),
                        (f"{m.title} – what we are worried about", _excerpt(text.worried_about)),
                    ),
                    approved_by=text.approved_by,
                    month_label=long_month(period),
                )
            )
        if sub.blocks:
            excerpts.subsections.append(sub)
    others = [m.title for _, m in plan.iter_measures() if m.id not in notable and figures.narrative(m) is None]
    if others:
        excerpts.blocks.append(Paragraph(f"{NOT_APPROVED} for: " + "; ".join(others) + ".", "note"))
    report.sections.append(excerpts)
    if (revisions := revisions_section(inputs)) is not None:
        report.sections.append(revisions)
    report.sections.append(_data_notes(figures, month_range(start, period), definitions=False))

    report.datasets = [
        _summary_dataset(figures),
        *_priority_datasets(figures, month_range(start, period)),
        _measures_dataset(figures),
        _actions_dataset(actions),
    ]
    return report


# ------------------------------------------------------------------------ scrutiny


class Standing(StrEnum):
    """Where a measure stands for the committee: one of three, never two at once."""

    ACHIEVEMENT = "achievement"
    CONCERN = "concern"
    NEITHER = "neither"


def benchmark_side(measure: Measure, value: float | None, england: float | None) -> str:
    """``better``, ``worse`` or ``same`` than England by polarity (as shown), or ``""``."""
    if value is None or england is None or measure.polarity is Polarity.WITHIN_RANGE:
        return ""
    d = measure.display_decimals
    v, e = round_half_up(value, d), round_half_up(england, d)
    if v == e:
        return "same"
    better = v > e if measure.polarity is Polarity.HIGHER_IS_BETTER else v < e
    return "better" if better else "worse"


def standing(measure: Measure, r: MeasureResult, move: Direction, england: float | None) -> tuple[Standing, str]:
    """The one rule for achievements and concerns (docs/reports.md), from the rating now,
    the direction over the span and England's figure:

    * **Concern**: rated Red; or Amber and worsening.
    * **Achievement**: rated Green, not worsening, and not worse than England (where
      England publishes the figure).
    * Otherwise neither (shown in the table of every measure, not in either list).
    """
    side = benchmark_side(measure, r.value, england)
    if r.rag is Rag.RED:
        return Standing.CONCERN, "Red" + (" and worsening" if move is Direction.WORSENING else "")
    if r.rag is Rag.AMBER and move is Direction.WORSENING:
        return Standing.CONCERN, "Amber and worsening"
    if r.rag is Rag.GREEN and move is not Direction.WORSENING and side != "worse":
        why = "Green"
        if move is Direction.IMPROVING:
            why += " and improving"
        if side == "better":
            why += ", better than England"
        return Standing.ACHIEVEMENT, why
    return Standing.NEITHER, ""


def _england(figures: _Figures, measure: Measure) -> float | None:
    for name, value in figures.benchmarks.get(measure.id, {}).items():
        if name.startswith("England"):
            return value
    return None


def _short_words(text: str) -> str:
    """A measure library's numerator or denominator as a noun phrase for a sentence."""
    text = re.sub(r"\s*\([^)]*\)", "", text).replace("`", "")
    return " ".join(text.split())


def count_words(figures: _Figures, measure: Measure, month: str) -> str:
    """What a rate or percentage counts, with the count: "347 children on a CP plan at the
    date", "41 of 50 case-holding workers in post at the date". Empty when the figure has
    no recorded count or neither the measure library nor the plan says what it counts. Small counts are
    shown as the plan's small-number rule says ("fewer than 5")."""
    if measure.unit not in (Unit.RATE_PER_10K, Unit.PERCENT):
        return ""
    numerator, denominator = figures.counts(measure, month)
    if numerator is None:
        return ""
    what = counted_as(measure)
    if what is None:
        return ""
    counted, out_of = what
    rule = figures.plan.small_numbers
    n = rule.label if rule.is_small(numerator) else format_number(numerator, 0)
    if measure.unit is Unit.RATE_PER_10K:
        return f"{n} {_short_words(counted)}"
    if denominator is None or out_of is None:
        return ""
    d = rule.label if rule.is_small(denominator) else format_number(denominator, 0)
    return f"{n} of {d} {_short_words(out_of)}"


def _library(measure: Measure) -> Any:
    if measure.source.kind != "computed" or not measure.source.library_id:
        return None
    from journey.engine.measures import REGISTRY

    return REGISTRY.get(measure.source.library_id)


def _key_figure(figures: _Figures, measure: Measure, before_month: str) -> str:
    """One bullet: the figure, what it counts, its rating, England and neighbours, and the
    comparison over the span (a year-to-date figure with the same point last year)."""
    period = figures.period
    r = figures.result(measure, period)
    if r.value is None:
        return f"{measure.title}: no figure for {long_month(period)}, so not rated."
    counted = count_words(figures, measure, period)
    sentence = f"{measure.title}: {r.value_text}" + (f" ({counted})" if counted else "")
    sentence += f", {r.rag.label} {against(measure, r)}"
    bench = figures.benchmarks.get(measure.id, {})
    comparisons = [
        f"{name[0].lower() + name[1:] if name.startswith('Statistical') else name} {figure(v, measure)}"
        for name, v in bench.items()
        if not name.startswith("Region")
    ]
    if comparisons:
        sentence += "; " + ", ".join(comparisons)
    earlier = comparison_month(measure, period, before_month)
    before = figures.value(measure, earlier)
    if before is not None:
        move = _change(figures, measure, earlier, period)
        when = "same point last year" if measure.cumulative_in_year else long_month(earlier)
        sentence += f"; {figure(before, measure)} at the {when}" if measure.cumulative_in_year else f"; {figure(before, measure)} in {when}"
        if measure.cumulative_in_year:
            sentence += f" ({long_month(earlier)})"
        sentence += f" – {move.label.lower()}"
    return sentence + "."


KEY_FIGURES = 10
"""About as many bullets as a committee report's key figures hold."""


def scrutiny(inputs: ReportInputs) -> Report:
    """The six-monthly scrutiny update: a council committee report with the figures."""
    figures = _Figures(inputs)
    period = inputs.period
    before_month = add_months(period, -6)
    window = month_range(add_months(period, -5), period)
    report = _report(inputs, ReportKind.SCRUTINY, figures, f"Six months to {long_month(period)}")
    plan = inputs.plan
    actions = inputs.action_items()
    texts = inputs.texts

    def written(key: str, title: str, *, new_page: bool = False) -> Section:
        section = Section(key.replace("_", "-"), title, level=1, new_page=new_page)
        section.blocks.extend(written_blocks(texts, key, title.lower()))
        return section

    standings: dict[str, tuple[Standing, str]] = {}
    for _, m in plan.iter_measures():
        r = figures.result(m, period)
        move = _change(figures, m, comparison_month(m, period, before_month), period)
        standings[m.id] = standing(m, r, move, _england(figures, m))

    summary_section = written("executive_summary", "Executive summary", new_page=True)
    counts = {rag: 0 for rag in Rag}
    for _, m in plan.iter_measures():
        counts[figures.result(m, period).rag] += 1
    overdue = [a for a in actions if a.overdue]
    key = Section("key-figures", "Key figures", level=2)
    key.blocks.append(GENERATED)
    key.blocks.append(
        Paragraph(
            f"In {long_month(period)}, of {_plural(len(plan.measures), 'measure')}: {counts[Rag.GREEN]} Green, "
            f"{counts[Rag.AMBER]} Amber, {counts[Rag.RED]} Red"
            + (f", {counts[Rag.NOT_RATED]} not rated" if counts[Rag.NOT_RATED] else "")
            + f". Of {_plural(len(actions), 'action')}, {len(overdue)} {'is' if len(overdue) == 1 else 'are'} overdue."
        )
    )
    ordered = [m for _, m in plan.iter_measures() if standings[m.id][0] is Standing.CONCERN]
    ordered += [m for _, m in plan.iter_measures() if standings[m.id][0] is Standing.ACHIEVEMENT]
    chosen = ordered[:KEY_FIGURES]
    if chosen:
        key.blocks.append(BulletList(tuple(_key_figure(figures, m, before_month) for m in chosen)))
    more = len(plan.measures) - len(chosen)
    if more > 0:
        key.blocks.append(Paragraph(f"Every measure is in the table in the appendix ({_plural(more, 'more measure')}).", "note"))
    summary_section.subsections.append(key)
    report.sections.append(summary_section)
    report.sections.append(written("recommendations", "Recommendations"))
    report.sections.append(written("reasons", "Reasons for the recommendations"))
    report.sections.append(written("background", "Background"))

    progress = Section("progress", "Achievements and concerns", level=1)
    progress.blocks.append(GENERATED)
    progress.blocks.append(
        Paragraph(
            "One rule decides, from the rating now, the direction over the six months (a "
            "year-to-date measure against the same point last year, by its monthly pace) and "
            "England's figure: a concern is rated Red, or Amber and worsening; an achievement is "
            "rated Green, not worsening and not worse than England. A measure is never both.",
            "note",
        )
    )
    for priority in plan.priorities:
        sub = Section(f"progress-{priority.id}", priority.title, level=2)
        achievements, concerns = [], []
        for m in priority.measures:
            kind, why = standings[m.id]
            r = figures.result(m, period)
            text = figures.narrative(m)
            if kind is Standing.ACHIEVEMENT:
                achievements.append(f"{m.title}: {r.value_text}, {why}.")
            elif kind is Standing.CONCERN:
                doing = f" What is being done: {_excerpt(text.doing_about, 1)}" if text else ""
                concerns.append(f"{m.title}: {r.value_text}, {why}.{doing}")
        sub.blocks.append(Paragraph("Achievements", "lead"))
        sub.blocks.append(BulletList(tuple(achievements)) if achievements else Paragraph("None under this priority by the rule above."))
        sub.blocks.append(Paragraph("Concerns", "lead"))
        sub.blocks.append(BulletList(tuple(concerns)) if concerns else Paragraph("None under this priority by the rule above."))
        progress.subsections.append(sub)
    report.sections.append(progress)

    for key_name, title in (
        ("other_options", "Other options considered"),
        ("risks", "Risks"),
        ("financial_implications", "Financial implications"),
        ("legal_implications", "Legal implications"),
        ("consultation", "Consultation"),
        ("background_papers", "Background papers"),
    ):
        report.sections.append(written(key_name, title))

    appendix = Section("appendix", "Appendix: every measure", level=1, new_page=True)
    appendix.blocks.append(GENERATED)
    rows = []
    for _, m in plan.iter_measures():
        r = figures.result(m, period)
        earlier = comparison_month(m, period, before_month)
        bench = figures.benchmarks.get(m.id, {})
        england = next((v for k, v in bench.items() if k.startswith("England")), None)
        neighbours = next((v for k, v in bench.items() if k.startswith("Statistical")), None)
        rows.append(
            (
                Cell(m.title),
                Cell(r.value_text, number=r.value, numeric=True),
                Cell(count_words(figures, m, period) or "–"),
                rag_cell(r.rag),
                Cell(figure(figures.value(m, earlier), m) + (" (same point last year)" if m.cumulative_in_year else ""), number=figures.value(m, earlier), numeric=not m.cumulative_in_year),
                Cell(figure(england, m), number=england, numeric=True),
                Cell(figure(neighbours, m), number=neighbours, numeric=True),
            )
        )
    appendix.blocks.append(
        Table(
            f"Every measure, {long_month(period)}",
            ("Measure", short_month(period), "Counted", "RAG", short_month(before_month), "England", "Stat. neighbours"),
            tuple(rows),
        )
    )
    act = Section("actions", "Overdue actions", level=2)
    done = [a for a in actions if a.completed]
    act.blocks.append(Paragraph(f"{_plural(len(done), 'action')} completed; {len(overdue)} overdue.", "lead"))
    if overdue:
        act.blocks.append(_actions_table(overdue, "Overdue actions"))
    appendix.subsections.append(act)
    report.sections.append(appendix)
    report.sections.append(_data_notes(figures, window, definitions=False))
    report.datasets = [
        _summary_dataset(figures),
        *_priority_datasets(figures, window),
        _measures_dataset(figures),
        _actions_dataset(actions),
    ]
    return report


# ------------------------------------------------------------------------- summary


def summary(inputs: ReportInputs) -> Report:
    """The one-page summary: every measure's rating and direction, and the actions to watch."""
    figures = _Figures(inputs)
    period = inputs.period
    report = _report(inputs, ReportKind.SUMMARY, figures, long_month(period))
    report.one_page = True
    plan = inputs.plan
    actions = inputs.action_items()
    counts = {rag: 0 for rag in Rag}
    rows = []
    for priority, m in plan.iter_measures():
        r = figures.result(m, period)
        counts[r.rag] += 1
        rows.append(
            (
                Cell(m.title),
                Cell(priority.id),
                Cell(r.value_text, number=r.value, numeric=True),
                Cell(r.target_text if r.target is not None else "–", number=r.target, numeric=True),
                rag_cell(r.rag),
                Cell(r.direction.label),
            )
        )
    overdue = [a for a in actions if a.overdue]
    section = Section("summary", f"{long_month(period)} at a glance", level=1)
    section.blocks.append(
        Paragraph(
            f"{counts[Rag.GREEN]} Green, {counts[Rag.AMBER]} Amber, {counts[Rag.RED]} Red"
            + (f", {counts[Rag.NOT_RATED]} not rated" if counts[Rag.NOT_RATED] else "")
            + f" of {_plural(len(plan.measures), 'measure')}; {len(overdue)} of {_plural(len(actions), 'action')} overdue.",
            "lead",
        )
    )
    section.blocks.append(
        Table(
            f"Every measure, {long_month(period)}",
            ("Measure", "Priority", "Actual", "Target", "RAG", "DoT"),
            tuple(rows),
            compact=True,
        )
    )
    watch = [a for a in actions if a.overdue or a.rag == "red"][:5]
    if watch:
        more = sum(a.overdue or a.rag == "red" for a in actions) - len(watch)
        section.blocks.append(
            Paragraph("Actions to watch (overdue and Red" + (f"; {more} more in the board pack" if more > 0 else "") + "):", "body")
        )
        section.blocks.append(
            BulletList(
                tuple(
                    f"{a.number} {a.text} – {a.owner or 'no owner'}, due {day_text(a.due)}"
                    + (f", {a.days_overdue} days overdue" if a.overdue else ", Red")
                    for a in watch
                )
            )
        )
    report.sections.append(section)
    report.datasets = [_summary_dataset(figures), _actions_dataset(actions)]
    return report


ASSEMBLERS: dict[str, Callable[[ReportInputs], Report]] = {
    ReportKind.MONTHLY.value: monthly,
    ReportKind.QUARTERLY.value: quarterly,
    ReportKind.SCRUTINY.value: scrutiny,
    ReportKind.SUMMARY.value: summary,
}


def assemble(kind: str | ReportKind, inputs: ReportInputs) -> Report:
    """The report of ``kind`` (monthly, quarterly, scrutiny) for ``inputs``."""
    name = getattr(kind, "value", kind)
    if name not in ASSEMBLERS:
        raise ValueError(f"{kind!r} is not a report: choose one of {', '.join(ASSEMBLERS)}")
    return ASSEMBLERS[str(name)](inputs)
