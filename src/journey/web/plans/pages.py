"""What the dashboard and measure pages show, assembled from the plans services.

Everything here is read-only and built from the cached plan and evaluations, so a page
costs a handful of queries whatever the size of the plan (tests assert the counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe

from journey.engine.charts import ChartPoint, MeasureChart, measure_chart_svg, sparkline_svg
from journey.engine.evaluation import Direction, MeasureResult, Rag, format_value
from journey.engine.periods import add_months, month_label
from journey.engine.plan import Action, Measure, Plan, Priority
from journey.web.accounts.roles import Capability
from journey.web.plans import drilldown, services
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


@dataclass(frozen=True)
class DashboardFilters:
    red_only: bool = False
    worsening: bool = False
    mine: bool = False

    @classmethod
    def from_query(cls, query: QueryDict) -> DashboardFilters:
        return cls(
            red_only=query.get("red") == "1",
            worsening=query.get("worsening") == "1",
            mine=query.get("mine") == "1",
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


@dataclass
class DashboardRow:
    measure: Measure
    result: MeasureResult
    previous_rag: Rag | None
    sparkline: SafeString
    latest: Observation | None
    latest_text: str
    mine: bool

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


@dataclass
class RagChange:
    measure: Measure
    old: Rag
    new: Rag

    @property
    def worse(self) -> bool:
        return RAG_ORDER[self.new] < RAG_ORDER[self.old]


@dataclass
class Dashboard:
    plan: Plan | None
    month: str | None
    months: list[tuple[str, str]] = field(default_factory=list)
    blocks: list[PriorityBlock] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    changes: list[RagChange] = field(default_factory=list)
    new_reds: list[RagChange] = field(default_factory=list)
    previous_month: str | None = None
    shown: int = 0

    @property
    def month_label(self) -> str:
        return month_label(self.month) if self.month else ""

    @property
    def previous_label(self) -> str:
        return month_label(self.previous_month) if self.previous_month else ""


def _series(values: dict[str, float | None], months: list[str]) -> list[float | None]:
    return [values.get(m) for m in months]


def _latest_text(measure: Measure, latest: Observation | None) -> str:
    if latest is None or latest.value is None:
        return ""
    return format_value(latest.value, measure.unit, measure.display_decimals)


def dashboard(user: Any, month_text: str | None, filters: DashboardFilters) -> Dashboard:
    """Priority by priority, every measure's figure, RAG and direction for one month."""
    plan = services.active_plan()
    months = services.months_available()
    month = services.parse_month_choice(month_text, months)
    page = Dashboard(plan=plan, month=month, months=[(m, month_label(m)) for m in reversed(months)])
    if plan is None or month is None:
        return page
    version = services.data_version()
    now = services.evaluations_for(month, plan, version)
    previous_month = add_months(month, -1)
    before = services.evaluations_for(previous_month, plan, version) if previous_month in months else {}
    page.previous_month = previous_month if before else None
    values = services.values_for_evaluation(plan, version)
    trend_months = services.recent_months(month, 12)
    trend_labels = [month_label(m) for m in trend_months]
    latest = services.latest_values(month)
    mine = services.measures_owned_by(plan, user)
    counts = {rag.value: 0 for rag in Rag}
    for priority in plan.priorities:
        rows = []
        for measure in priority.measures:
            result = now[measure.id]
            counts[result.rag.value] += 1
            old = before.get(measure.id)
            row = DashboardRow(
                measure=measure,
                result=result,
                previous_rag=old.rag if old else None,
                sparkline=mark_safe(  # noqa: S308 - built from numbers, titles escaped
                    sparkline_svg(
                        _series(values.get(measure.id, {}), trend_months),
                        trend_labels,
                        title=f"{measure.title}, last 12 months",
                        decimals=measure.display_decimals,
                        unit=measure.unit.value,
                    )
                ),
                latest=latest.get(measure.id),
                latest_text=_latest_text(measure, latest.get(measure.id)),
                mine=measure.id in mine,
            )
            if old is not None and old.rag != result.rag:
                change = RagChange(measure, old.rag, result.rag)
                page.changes.append(change)
                if result.rag == Rag.RED:
                    page.new_reds.append(change)
            if filters.keep(row):
                rows.append(row)
        page.blocks.append(PriorityBlock(priority, rows, len(priority.measures)))
        page.shown += len(rows)
    page.counts = counts
    page.changes.sort(key=lambda c: (not c.worse, RAG_ORDER[c.new]))
    return page


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
    chart_svg: SafeString | None
    chart_description: str
    benchmarks: list[tuple[str, str]]
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


def _benchmarks(measure: Measure) -> dict[str, float]:
    found: dict[str, float] = {}
    bench = measure.benchmarks
    if bench is None:
        return found
    year = f" ({bench.year})" if bench.year else ""
    if bench.statistical_neighbours is not None:
        found[f"Statistical neighbours{year}"] = float(bench.statistical_neighbours)
    if bench.england is not None:
        found[f"England{year}"] = float(bench.england)
    if bench.region is not None:
        found[f"Region{year}"] = float(bench.region)
    return found


def _band(evaluation: MeasureResult | None) -> dict[str, float | None]:
    """The Amber zone to shade: a one-sided tolerance (floor or ceiling) runs to the target."""
    if evaluation is None or evaluation.target is None:
        return {"tolerance_low": None, "tolerance_high": None}
    low, high = evaluation.tolerance_lower, evaluation.tolerance_upper
    if low is None and high is None:
        return {"tolerance_low": None, "tolerance_high": None}
    return {
        "tolerance_low": low if low is not None else evaluation.target,
        "tolerance_high": high if high is not None else evaluation.target,
    }


def approved_narrative(measure_id: str, month: str) -> Any:
    """Integration point: the narrative app's signed-off text for this measure and month."""
    try:
        from journey.web.narrative.services import approved_narrative as narrative_for
    except ImportError:
        return None
    return narrative_for(measure_id, month)


def tracked_actions(measure_id: str) -> list[Any]:
    """Integration point: the actions app's live action records linked to this measure."""
    try:
        from journey.web.actions.services import actions_for_measure
    except ImportError:
        return []
    return list(actions_for_measure(measure_id))


def measure_page(user: Any, measure_id: str, month_text: str | None) -> MeasurePage | None:
    plan = services.active_plan()
    measure = services.find_measure(plan, measure_id) if plan else None
    if plan is None or measure is None:
        return None
    months = services.months_available()
    month = services.parse_month_choice(month_text, months)
    version = services.data_version()
    rows: list[MonthRow] = []
    points: list[ChartPoint] = []
    result = None
    fmt = lambda v: format_value(v, measure.unit, measure.display_decimals)  # noqa: E731
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
                ChartPoint(
                    label=month_label(m),
                    value=evaluation.value if evaluation else None,
                    target=evaluation.target if evaluation else None,
                    **_band(evaluation),
                )
            )
            if m == month:
                result = evaluation
        latest = services.latest_values(month).get(measure.id)
        if latest is not None and latest.value is not None:
            rows.append(
                MonthRow(
                    label=f"Latest ({month_label(latest.period)})",
                    result=None,
                    value_text=fmt(latest.value),
                    is_latest=True,
                )
            )
    benchmarks = _benchmarks(measure)
    chart_svg = None
    description = ""
    if any(p.value is not None for p in points):
        chart = MeasureChart(
            title=measure.title,
            unit=measure.unit.value,
            points=tuple(points),
            benchmarks=benchmarks,
            decimals=measure.display_decimals,
        )
        from journey.engine.charts import describe_measure_chart

        chart_svg = mark_safe(measure_chart_svg(chart))  # noqa: S308 - vl-convert output, text escaped
        description = describe_measure_chart(chart)
    can_see_children = user.can(Capability.VIEW_CHILD_LEVEL)
    return MeasurePage(
        plan=plan,
        measure=measure,
        priority=plan.priority_of(measure.id),
        month=month,
        months=[(m, month_label(m)) for m in reversed(months)],
        result=result,
        rows=rows,
        milestones=[(month_label(m), fmt(t)) for m, t in measure.milestones],
        chart_svg=chart_svg,
        chart_description=description,
        benchmarks=[(name, fmt(value)) for name, value in benchmarks.items()],
        narrative=approved_narrative(measure.id, month) if month else None,
        plan_actions=[PlanActionRow.of(a) for a in plan.actions_for(measure.id)],
        tracked_actions=tracked_actions(measure.id),
        can_enter_figures=measure.source.kind == "manual"
        and user.can(Capability.ENTER_MANUAL_FIGURES),
        can_see_children=can_see_children,
        drilldown_available=can_see_children and drilldown.available(measure, month),
    )
