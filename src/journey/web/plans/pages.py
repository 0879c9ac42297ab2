"""What the dashboard and measure pages show, assembled from the plans services.

Everything here is read-only and built from the cached plan and evaluations, so a page
costs a handful of queries whatever the size of the plan (tests assert the counts). What
is computed is kept in Django's cache (shared by every process, warmed by a worker), under
keys that name the plan, data version and month it depends on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe

from journey.engine.charts import (
    ChartPoint,
    MeasureChart,
    describe_measure_chart,
    measure_chart_svg,
    sparkline_svg,
)
from journey.engine.evaluation import Direction, MeasureResult, Rag, format_value
from journey.engine.periods import add_months, is_month, month_label
from journey.engine.plan import Action, Measure, Plan, Priority
from journey.web.accounts.roles import Capability
from journey.web.plans import drilldown, services
from journey.web.plans.manual import may_enter
from journey.web.plans.models import Observation

RAG_ORDER = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2, Rag.NOT_RATED: 3}
DIRECTION_WORDS = {
    Direction.IMPROVING: "Improving",
    Direction.WORSENING: "Worsening",
    Direction.NO_CHANGE: "No change",
    Direction.NOT_COMPARABLE: "Not comparable",
}
DIRECTION_ARROWS = {
    Direction.IMPROVING: "▲",
    Direction.WORSENING: "▼",
    Direction.NO_CHANGE: "▶",
    Direction.NOT_COMPARABLE: "–",
}


MONTH_COLUMNS = (3, 6, 12)
"""How many months the dashboard table may show (3 unless the reader chooses more)."""


@dataclass(frozen=True)
class DashboardFilters:
    red_only: bool = False
    worsening: bool = False
    mine: bool = False
    columns: int = MONTH_COLUMNS[0]

    @classmethod
    def from_query(cls, query: QueryDict) -> DashboardFilters:
        columns = query.get("months", "")
        return cls(
            red_only=query.get("red") == "1",
            worsening=query.get("worsening") == "1",
            mine=query.get("mine") == "1",
            columns=int(columns) if columns.isdigit() and int(columns) in MONTH_COLUMNS else MONTH_COLUMNS[0],
        )

    @property
    def active(self) -> bool:
        return self.red_only or self.worsening or self.mine

    def keep(self, row: DashboardRow) -> bool:
        if self.red_only and row.result.rag != Rag.RED:
            return False
        if self.worsening and row.result.direction != Direction.WORSENING:
            return False
        return not (self.mine and not row.mine)


@dataclass(frozen=True)
class Figure:
    """A figure as text, and what shows instead when the reader may not see small numbers."""

    text: str
    hidden_text: str = ""
    """Empty when the figure is not small by the plan's rule."""

    def shown(self, suppress: bool) -> str:
        return self.hidden_text if suppress and self.hidden_text else self.text


def figure(plan: Plan, measure: Measure, value: float | None, counts: services.Counts | None) -> Figure:
    """``value`` formatted for the measure, with the small-number rule's text if it applies."""
    text = format_value(value, measure.unit, measure.display_decimals) if value is not None else "–"
    numerator, denominator = counts or (None, None)
    rule = plan.small_numbers
    if value is not None and rule.hides_figure(measure.unit.value, value, numerator, denominator):
        return Figure(text, rule.hidden_text(measure.unit.value, short=True))
    return Figure(text)


@dataclass
class DashboardRow:
    measure: Measure
    result: MeasureResult
    previous_rag: Rag | None
    months: list[Figure]
    """The last 12 months' figures, oldest first, ending with the month shown."""
    latest: Observation | None
    latest_figure: Figure | None
    mine: bool
    href: str = ""
    spc: services.SpcSummary | None = None
    benchmarks: list[services.BenchmarkComparison] = field(default_factory=list)
    sparkline: SafeString = mark_safe("")  # noqa: S308 - empty
    sparkline_suppressed: SafeString = mark_safe("")  # noqa: S308 - empty
    # What one reader sees (set per page from the cached summary):
    shown_months: list[str] = field(default_factory=list)
    shown_latest: str = ""
    shown_reason: str = ""
    shown_direction_reason: str = ""
    hidden: bool = False
    """The month's own figure is small and this reader may not see it."""

    @property
    def actual(self) -> Figure:
        return self.months[-1]

    @property
    def owner(self) -> str:
        return self.measure.owner or ""

    @property
    def latest_label(self) -> str:
        return month_label(self.latest.period) if self.latest else ""

    @property
    def comparator(self) -> services.BenchmarkComparison | None:
        """The one comparator the compact table shows: statistical neighbours, else England."""
        return self.benchmarks[0] if self.benchmarks else None

    @property
    def direction_word(self) -> str:
        return DIRECTION_WORDS[self.result.direction]

    @property
    def direction_arrow(self) -> str:
        return DIRECTION_ARROWS[self.result.direction]


@dataclass
class PriorityBlock:
    priority: Priority
    rows: list[DashboardRow]
    total: int

    @property
    def anchor(self) -> str:
        """The id the skip links jump to."""
        return "priority-" + "".join(c if c.isalnum() else "-" for c in self.priority.id)


@dataclass
class RagChange:
    measure: Measure
    old: Rag
    new: Rag

    @property
    def worse(self) -> bool:
        return RAG_ORDER[self.new] < RAG_ORDER[self.old]


@dataclass(frozen=True)
class Signal:
    """A measure whose latest month is special cause by the Making Data Count rules."""

    measure: Measure
    spc: services.SpcSummary
    href: str


@dataclass
class Dashboard:
    plan: Plan | None
    month: str | None
    months: list[tuple[str, str]] = field(default_factory=list)
    blocks: list[PriorityBlock] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    changes: list[RagChange] = field(default_factory=list)
    new_reds: list[RagChange] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    spc_shown: bool = False
    previous_month: str | None = None
    shown: int = 0
    notice: str = ""
    columns: list[str] = field(default_factory=list)
    """Labels of the month columns, oldest first (the month shown last)."""
    latest_shown: bool = False
    """Whether a mid-month "Latest" column follows the month (only for the newest month)."""
    latest_heading: str = ""
    suppress: bool = False
    """The reader may not see small numbers (board members, scrutiny councillors)."""
    suppressed_any: bool = False
    month_choices: tuple[int, ...] = MONTH_COLUMNS
    cache_key: str | None = None
    """What the rendered page body depends on (None: render it afresh)."""

    @property
    def month_label(self) -> str:
        return month_label(self.month) if self.month else ""

    @property
    def previous_label(self) -> str:
        return month_label(self.previous_month) if self.previous_month else ""


def _sparkline(measure: Measure, values: list[float | None], labels: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - built from numbers, titles escaped
        sparkline_svg(
            values, labels, title=f"{measure.title}, last 12 months",
            decimals=measure.display_decimals, unit=measure.unit.value,
        )
    )


@dataclass(frozen=True)
class _MonthSummary:
    """Everything on the dashboard that does not depend on who is looking (cached)."""

    plan: Plan
    blocks: list[tuple[Priority, list[DashboardRow]]]
    counts: dict[str, int]
    changes: list[RagChange]
    new_reds: list[RagChange]
    previous_month: str | None
    signals: list[Signal]
    benchmarks_version: int


def _month_summary(plan: Plan, version: tuple[int, str], month: str, months: list[str]) -> _MonthSummary:
    bench_version = services.benchmarks_version()
    key = services.cache_key("dashboard", services.plan_key(plan), version, month, bench_version)
    found = cache.get(key)
    if found is not None:
        return found
    now = services.evaluations_for(month, plan, version)
    previous_month = add_months(month, -1)
    before = services.evaluations_for(previous_month, plan, version) if previous_month in months else {}
    values = services.values_for_evaluation(plan, version)
    trend_months = services.recent_months(month, 12)
    trend_labels = [month_label(m) for m in trend_months]
    # A mid-month "Latest" belongs beside the newest complete month only.
    latest = services.latest_values(month) if not months or month == months[-1] else {}
    fractions = services.monthly_fractions(version)
    counts = {rag.value: 0 for rag in Rag}
    changes: list[RagChange] = []
    signals: list[Signal] = []
    blocks = []
    for priority in plan.priorities:
        rows = []
        for measure in priority.measures:
            result = now[measure.id]
            counts[result.rag.value] += 1
            old = before.get(measure.id)
            href = reverse("plans:measure", args=[measure.id]) + f"?month={month}"
            spc = services.spc_summary(measure, services.spc_series(measure, version), month, result.target)
            if spc is not None and spc.signal:
                signals.append(Signal(measure, spc, href))
            series = values.get(measure.id, {})
            measure_counts = services.counts_for_evaluation_of(measure, version)
            trend = [series.get(m) for m in trend_months]
            figures = [figure(plan, measure, series.get(m), measure_counts.get(m)) for m in trend_months]
            latest_obs = latest.get(measure.id)
            latest_figure = (
                figure(plan, measure, latest_obs.value, (latest_obs.numerator, latest_obs.denominator))
                if latest_obs is not None and latest_obs.value is not None
                else None
            )
            sparkline = _sparkline(measure, trend, trend_labels)
            rows.append(
                DashboardRow(
                    measure=measure,
                    result=result,
                    previous_rag=old.rag if old else None,
                    months=figures,
                    latest=latest_obs,
                    latest_figure=latest_figure,
                    mine=False,
                    href=href,
                    spc=spc,
                    benchmarks=[  # the measure page shows the region too
                        b for b in services.compare_with_benchmarks(
                            plan, measure, result.value, fractions.get(measure.id, {}).get(month)
                        )
                        if b.short_name in DASHBOARD_COMPARATORS
                    ],
                    sparkline=sparkline,
                    sparkline_suppressed=(
                        _sparkline(
                            measure, [None if f.hidden_text else v for f, v in zip(figures, trend, strict=True)],
                            trend_labels,
                        )
                        if any(f.hidden_text for f in figures) else sparkline
                    ),
                )
            )
            if old is not None and old.rag != result.rag:
                changes.append(RagChange(measure, old.rag, result.rag))
        blocks.append((priority, rows))
    changes.sort(key=lambda c: (not c.worse, RAG_ORDER[c.new]))
    summary = _MonthSummary(
        plan=plan,
        blocks=blocks,
        counts=counts,
        changes=changes,
        new_reds=[c for c in changes if c.new == Rag.RED],
        previous_month=previous_month if before else None,
        signals=sorted(signals, key=lambda g: SIGNAL_ORDER.get(g.spc.signal, 3)),
        benchmarks_version=bench_version,
    )
    cache.set(key, summary)
    return summary


DASHBOARD_COMPARATORS = frozenset({"Stat. neighbours", "England"})
SIGNAL_ORDER = {"concern": 0, "neither": 1, "improvement": 2}
"""Concerns first on the dashboard's list of signals."""


def dashboard(user: Any, month_text: str | None, filters: DashboardFilters) -> Dashboard:
    """Priority by priority, every measure's figures, RAG and direction for one month.

    Readers who may not see child-level records (board members, scrutiny councillors) see
    small numbers as the plan's rule says (``journey.engine.disclosure``)."""
    plan = services.active_plan()
    version = services.data_version()
    months = services.months_available(version)
    month = services.parse_month_choice(month_text, months)
    page = Dashboard(plan=plan, month=month, months=[(m, month_label(m)) for m in reversed(months)])
    if plan is None or month is None:
        return page
    if month_text and month_text != month:
        page.notice = (
            f"There are no figures for {month_label(month_text)}; showing {month_label(month)}."
            if is_month(month_text)
            else f"'{month_text}' is not a month like 2023-06; showing {month_label(month)}."
        )
    warm_up_in_background(version)
    summary = _month_summary(plan, version, month, months)
    mine = services.measures_owned_by(plan, user) if filters.mine else set()
    page.suppress = sees_small_numbers_hidden(user) and plan.small_numbers.active
    page.columns = [month_label(m) for m in services.recent_months(month, filters.columns)]
    page.latest_shown = any(row.latest_figure for _priority, rows in summary.blocks for row in rows)
    as_at = {row.latest.as_at for _priority, rows in summary.blocks for row in rows if row.latest and row.latest.as_at}
    page.latest_heading = f"{max(as_at).day} {max(as_at):%b}" if as_at else ""
    page.cache_key = services.cache_key(
        "dashboard-body", services.plan_key(plan), version, month, summary.benchmarks_version,
        page.notice, filters, tuple(sorted(mine)), page.suppress,
    )
    for priority, all_rows in summary.blocks:
        rows = [
            _for_reader(row, filters.columns, page.suppress)
            for row in (replace(r, mine=r.measure.id in mine) for r in all_rows)
            if filters.keep(row)
        ]
        page.blocks.append(PriorityBlock(priority, rows, len(all_rows)))
        page.shown += len(rows)
        if page.suppress and any(
            row.shown_latest != (row.latest_figure.text if row.latest_figure else "")
            or row.shown_months != [f.text for f in row.months[-filters.columns:]]
            for row in rows
        ):
            page.suppressed_any = True
    page.counts = summary.counts
    page.changes = summary.changes
    page.new_reds = summary.new_reds
    page.signals = summary.signals
    page.spc_shown = any(row.spc is not None for _priority, rows in summary.blocks for row in rows)
    page.previous_month = summary.previous_month
    return page


def sees_small_numbers_hidden(user: Any) -> bool:
    """Readers without child-level access (board, scrutiny, administrators) get the plan's
    small-number rule; staff who may open the records behind a figure see it whole."""
    return not user.can(Capability.VIEW_CHILD_LEVEL)


def _for_reader(row: DashboardRow, columns: int, suppress: bool) -> DashboardRow:
    hidden = suppress and bool(row.actual.hidden_text)
    before_hidden = suppress and len(row.months) > 1 and bool(row.months[-2].hidden_text)
    why_not = "the figure is worked out from so few people that it is not shown"
    return replace(
        row,
        shown_reason=f"{row.result.rag.label}: {why_not}." if hidden else row.result.reason,
        shown_direction_reason=(
            f"{row.direction_word}: {why_not}." if hidden or before_hidden else row.result.direction_reason
        ),
        shown_months=[f.shown(suppress) for f in row.months[-columns:]],
        shown_latest=row.latest_figure.shown(suppress) if row.latest_figure else "",
        hidden=hidden,
        sparkline=row.sparkline_suppressed if suppress else row.sparkline,
        # A comparison of a hidden figure would narrow it down: the comparator alone is shown.
        benchmarks=[replace(b, comparison="") for b in row.benchmarks] if hidden else row.benchmarks,
    )


def dashboard_body(page: Dashboard, filters: DashboardFilters) -> SafeString:
    """The dashboard's month, filters, summary, signals and tables as HTML.

    Rendering some thirty rows of a dozen cells was most of a warm dashboard's time, and the
    result is the same for everyone who sees the same rows: so it is rendered once per plan,
    data version, month, benchmarks and filters (and, for "my measures", the measures shown).
    """
    key = page.cache_key
    html = cache.get(key) if key is not None else None
    if html is None:
        html = render_to_string(
            "plans/_dashboard_body.html", {"page": page, "filters": filters}
        )
        if key is not None:
            cache.set(key, html)
    return mark_safe(html)  # noqa: S308 - a rendered, auto-escaped template


# ----------------------------------------------------------------------- measure


@dataclass
class MonthRow:
    label: str
    result: MeasureResult | None
    value_text: str
    is_latest: bool = False
    direction_word: str = ""


@dataclass(frozen=True)
class PlanActionRow:
    number: str
    text: str
    owner: str | None
    due: Any
    status_label: str

    @classmethod
    def of(cls, action: Action) -> PlanActionRow:
        status = action.status.value.replace("_", " ").capitalize()
        return cls(action.number, action.text, action.owner, action.due, status)


def provenance(figure: Observation | None, measure: Measure) -> list[str]:
    """Where a stored figure came from, in a few short sentences."""
    if figure is None:
        return []
    when = f"{figure.updated.day} {figure.updated:%b %Y}" if figure.updated else ""
    if figure.source == Observation.Source.COMPUTED and figure.snapshot:
        lines = [f"Computed from extract snapshot {figure.snapshot[:12]}, stored {when}."]
    elif figure.source == Observation.Source.MANUAL:
        who = figure.entered_by.name if figure.entered_by else "the journey command"
        lines = [f"Entered by hand by {who}, {when}."]
    else:
        origin = figure.import_record.file_name if figure.import_record else "a file"
        lines = [f"Imported from {origin}, {when}."]
    if figure.numerator is not None and figure.denominator is not None:
        lines.append(f"{figure.numerator:,.10g} of {figure.denominator:,.10g}.")
    if figure.flagged:
        lines.append("Includes records with data-quality warnings.")
    if figure.note:
        lines.append(f"Note: {figure.note}")
    return lines


@dataclass(frozen=True)
class BreakdownTable:
    title: str
    dimension: str
    rows: list[tuple[str, str, str]]  # cell, figure, "numerator of denominator"


def _breakdown_tables(measure: Measure, month: str | None) -> list[BreakdownTable]:
    if month is None:
        return []
    tables = []
    for breakdown, cells in services.breakdowns_for(measure.id, month).items():
        rows = []
        for obs in cells:
            fraction = ""
            if obs.numerator is not None and obs.denominator is not None:
                fraction = f"{obs.numerator:,.10g} of {obs.denominator:,.10g}"
            value = format_value(obs.value, measure.unit, measure.display_decimals)
            rows.append((obs.breakdown_value or "Not recorded", value, fraction))
        dimension = breakdown.replace("_", " ")
        title = f"By {dimension}, {month_label(month)}"
        tables.append(BreakdownTable(title, dimension.capitalize(), rows))
    return tables


@dataclass
class MeasurePage:
    plan: Plan
    measure: Measure
    priority: Priority
    month: str | None
    months: list[tuple[str, str]]
    result: MeasureResult | None
    rows: list[MonthRow]
    milestones: list[tuple[str, str]]
    has_chart: bool
    spc: SpcSummary | None
    narrative_url: str
    provenance: list[str]
    breakdowns: list[BreakdownTable]
    chart_description: str
    benchmarks: list[services.BenchmarkComparison]
    narrative: Any
    plan_actions: list[PlanActionRow]
    tracked_actions: list[Any]
    can_enter_figures: bool
    can_see_children: bool
    drilldown_available: bool

    @property
    def month_label(self) -> str:
        return month_label(self.month) if self.month else ""

    @property
    def polarity_words(self) -> str:
        return self.measure.polarity.words

    @property
    def direction_word(self) -> str:
        return DIRECTION_WORDS[self.result.direction] if self.result else ""


def approved_narrative(measure_id: str, month: str) -> Any:
    """Integration point: the narrative app's signed-off text for this measure and month."""
    try:
        from journey.web.narrative.services import approved_narrative as narrative_for
    except ImportError:
        return None
    return narrative_for(measure_id, month)


def _narrative_url(user: Any, measure_id: str, month: str | None) -> str:
    """Integration point: where a writer of narrative edits this measure's for the month."""
    if not month or not user.can(Capability.WRITE_NARRATIVE):
        return ""
    try:
        return reverse("narrative:edit", kwargs={"measure_id": measure_id, "month": month})
    except NoReverseMatch:
        return ""


def tracked_actions(measure_id: str) -> list[Any]:
    """Integration point: the actions app's live action records linked to this measure."""
    try:
        from journey.web.actions.services import actions_for_measure
    except ImportError:
        return []
    return list(actions_for_measure(measure_id))


SpcSummary = services.SpcSummary


@dataclass(frozen=True)
class _MeasureFigures:
    plan: Plan
    rows: list[MonthRow]
    result: MeasureResult | None
    chart: MeasureChart | None
    description: str
    spc: SpcSummary | None = None
    provenance: list[str] = field(default_factory=list)
    fraction: tuple[float, float] | None = None
    breakdowns: list[BreakdownTable] = field(default_factory=list)


def _measure_figures(
    plan: Plan, version: tuple[int, str], measure: Measure, month: str | None
) -> _MeasureFigures:
    """The months table and chart for one measure and month (cached per data version)."""
    key = services.cache_key("measure", services.plan_key(plan), version, measure.id, month)
    found = cache.get(key)
    if found is not None:
        return found
    rows: list[MonthRow] = []
    points: list[ChartPoint] = []
    result = None
    if month is not None:
        window = services.recent_months(month, 12)
        series = services.values_for_evaluation(plan, version).get(measure.id, {})
        with_values = [m for m in window if series.get(m) is not None]
        # Months before the first figure in the window are left out rather than shown empty.
        window = window[window.index(with_values[0]):] if with_values else window[-1:]
        for m in window:
            evaluation = services.evaluations_for(m, plan, version).get(measure.id)
            rows.append(
                MonthRow(
                    label=month_label(m),
                    result=evaluation,
                    value_text=evaluation.value_text if evaluation else "–",
                    direction_word=DIRECTION_WORDS[evaluation.direction] if evaluation else "",
                )
            )
            points.append(
                ChartPoint.rated(month_label(m), measure, evaluation)
            )
            if m == month:
                result = evaluation
        latest = services.latest_values(month).get(measure.id)
        if latest is not None and latest.value is not None:
            rows.append(
                MonthRow(
                    label=f"Latest ({month_label(latest.period)})",
                    result=None,
                    value_text=format_value(latest.value, measure.unit, measure.display_decimals),
                    is_latest=True,
                )
            )
    chart = None
    description = ""
    if any(p.value is not None for p in points):
        chart = MeasureChart(
            title=measure.title,
            unit=measure.unit.value,
            points=tuple(points),
            benchmarks=services.measure_benchmarks(plan, measure),
            decimals=measure.display_decimals,
        )
        description = describe_measure_chart(chart)
    spc = None
    if month is not None:
        spc = services.spc_summary(
            measure, services.spc_series(measure, version), month, result.target if result else None
        )
    # The stored figure's provenance and breakdowns change only with the data version too.
    figure = services.figure_for(measure.id, month) if month else None
    fraction = (
        (figure.numerator, figure.denominator)
        if figure is not None and figure.numerator is not None and figure.denominator is not None
        else None
    )
    figures = _MeasureFigures(
        plan, rows, result, chart, description, spc,
        provenance=provenance(figure, measure),
        fraction=fraction,
        breakdowns=_breakdown_tables(measure, month),
    )
    cache.set(key, figures)
    return figures


def measure_chart(measure_id: str, month_text: str | None) -> str | None:
    """The measure's chart as an SVG document (the page shows it beside its data table)."""
    plan = services.active_plan()
    measure = services.find_measure(plan, measure_id) if plan else None
    if plan is None or measure is None:
        return None
    version = services.data_version()
    months = services.months_available(version)
    month = services.parse_month_choice(month_text, months)
    figures = _measure_figures(plan, version, measure, month)
    if figures.chart is None:
        return None
    return chart_svg(figures.chart)


def chart_svg(chart: MeasureChart) -> str:
    """The chart's SVG, drawn once and kept in the shared cache by its content.

    Drawing a chart (vl-convert) costs tens of milliseconds of CPU, which under load slows
    every other page; the key is the hash of everything drawn, so a stale chart is never
    served.
    """
    key = services.cache_key("chart", chart.cache_key())
    svg = cache.get(key)
    if svg is None:
        svg = measure_chart_svg(chart)
        cache.set(key, svg)
    return svg


def measure_page(user: Any, measure_id: str, month_text: str | None) -> MeasurePage | None:
    plan = services.active_plan()
    measure = services.find_measure(plan, measure_id) if plan else None
    if plan is None or measure is None:
        return None
    version = services.data_version()
    months = services.months_available(version)
    month = services.parse_month_choice(month_text, months)
    warm_up_in_background(version)
    figures = _measure_figures(plan, version, measure, month)
    fmt = lambda v: format_value(v, measure.unit, measure.display_decimals)  # noqa: E731
    can_see_children = user.can(Capability.VIEW_CHILD_LEVEL)
    return MeasurePage(
        plan=plan,
        measure=measure,
        priority=plan.priority_of(measure.id),
        month=month,
        months=[(m, month_label(m)) for m in reversed(months)],
        result=figures.result,
        rows=figures.rows,
        milestones=[(month_label(m), fmt(t)) for m, t in measure.milestones],
        has_chart=figures.chart is not None,
        spc=figures.spc,
        chart_description=figures.description,
        benchmarks=services.compare_with_benchmarks(
            plan, measure, figures.result.value if figures.result else None, figures.fraction
        ),
        narrative=approved_narrative(measure.id, month) if month else None,
        narrative_url=_narrative_url(user, measure.id, month),
        provenance=figures.provenance,
        breakdowns=figures.breakdowns,
        plan_actions=[PlanActionRow.of(a) for a in plan.actions_for(measure.id)],
        tracked_actions=tracked_actions(measure.id),
        can_enter_figures=measure.source.kind == "manual" and may_enter(user, measure),
        can_see_children=can_see_children,
        drilldown_available=can_see_children and drilldown.available(measure, month),
    )


Progress = Callable[[int, int], None]
"""Called with (done, total) as a warm-up goes."""


def warm_up(progress: Progress | None = None) -> int:
    """Parse the plan, evaluate the last 12 months' dashboards and draw every measure's chart
    for the latest, so the first visitors after a change do not wait. Returns how many
    measures were drawn."""
    tell = progress or (lambda done, total: None)
    plan = services.active_plan()
    if plan is None:
        return 0
    version = services.data_version()
    months = services.months_available(version)
    if not months:
        return 0
    month = months[-1]
    total = len(months[-12:]) + len(plan.measures)
    for done, earlier in enumerate(months[-12:], start=1):
        _month_summary(plan, version, earlier, months)  # evaluates 13 months on the way
        tell(done, total)
    for done, measure in enumerate(plan.measures, start=len(months[-12:]) + 1):
        figures = _measure_figures(plan, version, measure, month)
        if figures.chart is not None:
            chart_svg(figures.chart)
        tell(done, total)
    return len(plan.measures)


def warm_up_in_background(version: tuple[int, str]) -> bool:
    """Queue the warm-up task for this data version, once (a page found the figures
    changed, e.g. after ``journey observations import`` or a load); off in tests
    (``JOURNEY_WARM_UP_PAGES``). Returns whether it queued one."""
    if not settings.JOURNEY_WARM_UP_PAGES:
        return False
    from journey.web.plans.tasks import warm_up_once

    return warm_up_once(version)


def warm_up_earlier(progress: Progress | None = None, months_back: int = 12) -> int:
    """After :func:`warm_up`: each measure's page and chart for the earlier of the last
    ``months_back`` months, newest first, so no visitor waits for a chart to be drawn and
    drawing does not slow other pages under load. Returns how many charts it went through."""
    earlier = earlier_months(months_back)
    return sum(warm_up_month(month, progress) for month in earlier)


def earlier_months(months_back: int = 12) -> list[str]:
    """The months before the latest of the last ``months_back``, newest first."""
    months = services.months_available(services.data_version())
    return list(reversed(months[-months_back:-1]))


def warm_up_month(month: str, progress: Progress | None = None) -> int:
    """Every measure's page and chart for ``month``. Returns how many charts it drew or found."""
    tell = progress or (lambda done, total: None)
    plan = services.active_plan()
    if plan is None:
        return 0
    version = services.data_version()
    charts = 0
    for done, measure in enumerate(plan.measures, start=1):
        figures = _measure_figures(plan, version, measure, month)
        if figures.chart is not None:
            chart_svg(figures.chart)
            charts += 1
        tell(done, len(plan.measures))
    return charts
