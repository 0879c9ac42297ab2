"""What the dashboard and measure pages show, assembled from the plans services.

Everything here is read-only and built from the cached plan and evaluations, so a page
costs a handful of queries whatever the size of the plan (tests assert the counts). What
is computed is kept in Django's cache (shared by every process, warmed by a worker), under
keys that name the plan, data version and month it depends on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString, mark_safe

from journey.engine.casedata.codes import code_name
from journey.engine.charts import (
    ChartPoint,
    MeasureChart,
    describe_measure_chart,
    measure_chart_svg,
    sparkline_svg,
)
from journey.engine.disclosure import SmallNumberRule
from journey.engine.evaluation import Direction, MeasureResult, Rag, format_value
from journey.engine.measures.base import AGE_BANDS, NOT_RECORDED
from journey.engine.measures.looked_after import PLACEMENT_GROUPS, TIME_IN_PLACEMENT
from journey.engine.observations import RatedFigure, source_label
from journey.engine.periods import add_months, is_month, month_label
from journey.engine.plan import Action, Measure, Plan, Priority, Unit
from journey.engine.revisions import find_revisions
from journey.web.accounts.roles import Capability
from journey.web.plans import drilldown, services
from journey.web.plans.manual import may_enter
from journey.web.plans.models import Observation
from journey.web.reports.services import (
    PublishedRatings,
    publications_stamp,
    published_figures,
    published_ratings,
    published_spc,
)

RAG_ORDER = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2, Rag.NOT_RATED: 3}
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
    """A figure as text, and what shows instead when the reader may not see small numbers.

    For a published month this is the figure as published; when the data now gives a
    different one, ``revised`` holds it, shown beside the published figure, never in its
    place (:meth:`revision_note`)."""

    text: str
    hidden_text: str = ""
    """Empty when the figure is not small by the plan's rule."""
    revised: Figure | None = None
    rating_change: str = ""
    """"Amber → Green" when the revised figure would be rated differently."""

    def shown(self, suppress: bool) -> str:
        return self.hidden_text if suppress and self.hidden_text else self.text

    @property
    def small(self) -> bool:
        """The figure, or its revision, is small by the plan's rule."""
        return bool(self.hidden_text or (self.revised is not None and self.revised.hidden_text))

    def revision_note(self, suppress: bool) -> str:
        """``revised: 84.0% → 84.6%`` (with the rating's change), or "" when not revised."""
        if self.revised is None:
            return ""
        if suppress and (self.hidden_text or self.revised.hidden_text):
            return "revised since publication (small numbers not shown)"
        change = f" ({self.rating_change})" if self.rating_change else ""
        return f"revised: {self.text} → {self.revised.text}{change}"


def as_published(
    plan: Plan, measure: Measure, months: list[str], figures: list[Figure], values: Mapping[str, float | None],
    published_now: Mapping[str, Mapping[str, tuple[RatedFigure, date]]] | None = None,
) -> list[Figure]:
    """``figures`` (of ``months``, from the data in use, whose values are ``values``) with
    each published figure as it was published, and the figure now beside it when it has
    been revised (:func:`journey.engine.revisions.find_revisions`). ``published_now``:
    :func:`published_figures`, when the caller has it already."""
    published = (published_now if published_now is not None else published_figures()).get(measure.id, {})
    if not any(m in published for m in months):
        return figures
    revisions = {
        r.month: r
        for r in find_revisions(
            plan, {measure.id: {m: published[m][0].value for m in months if m in published}},
            {measure.id: {m: values.get(m) for m in months}}, months,
        )
        if r.measure_id == measure.id
    }
    out = []
    for month, now in zip(months, figures, strict=True):
        if month not in published:
            out.append(now)
            continue
        then, _day = published[month]
        kept = figure(plan, measure, then.value, (then.numerator, then.denominator))
        revision = revisions.get(month)
        if revision is not None:
            rating = f"{Rag(revision.published_rag).label} → {Rag(revision.revised_rag).label}" if revision.rating_changed else ""
            kept = replace(kept, revised=now, rating_change=rating)
        out.append(kept)
    return out


def month_ratings(
    plan: Plan, version: tuple[int, str], month: str, published: PublishedRatings | None = None
) -> dict[str, MeasureResult]:
    """measure id → ``month``'s rating as it stands. A published figure's rating is the one
    published, frozen with its direction of travel (:func:`published_ratings`, or
    ``published`` when given); any other is worked out from the figures in use, and its
    direction of travel says when the month before's figure was published differently
    (:func:`services.evaluations_for`)."""
    frozen, _before = (published if published is not None else published_ratings()).get(month, ({}, {}))
    return {measure_id: frozen.get(measure_id, result) for measure_id, result in services.evaluations_for(month, plan, version).items()}


def compared_ratings(plan: Plan, version: tuple[int, str], month: str, months: list[str]) -> dict[str, MeasureResult]:
    """measure id → the month before's rating that ``month``'s is compared with ("what
    changed"), on the same figures as its direction of travel: for a published rating, the
    month before as the same report had it; otherwise the figures in use."""
    frozen, frozen_before = published_ratings().get(month, ({}, {}))
    previous = add_months(month, -1)
    current = services.evaluations_for(previous, plan, version) if previous in months else {}
    out = {measure_id: result for measure_id, result in current.items() if measure_id not in frozen}
    out.update({measure_id: result for measure_id, result in frozen_before.items() if measure_id in frozen})
    return out


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
    shown_revisions: list[str] = field(default_factory=list)
    """Beside each of ``shown_months``: "revised: 84.0% → 84.6%" for a published figure
    revised since, else ""."""
    shown_latest: str = ""
    shown_reason: str = ""
    shown_direction_reason: str = ""
    hidden: bool = False
    """The month's own figure is small and this reader may not see it."""

    @property
    def actual(self) -> Figure:
        return self.months[-1]

    @property
    def cells(self) -> list[tuple[str, str]]:
        """(figure, revision note) for each month shown."""
        return list(zip(self.shown_months, self.shown_revisions or [""] * len(self.shown_months), strict=True))

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
        return self.result.direction.label

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
    skip_links: list[tuple[str, str]] = field(default_factory=list)
    """(anchor, priority title) of each priority with rows shown: the page's skip links."""
    body: SafeString | None = None
    """The page body as rendered before under ``cache_key``, when it was kept: then the
    fields only the body shows (blocks, counts, changes, signals and the like) are left
    empty, as the month's summary was not read."""

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
    key = services.cache_key("dashboard", services.plan_key(plan), version, month, bench_version, publications_stamp())
    found = cache.get(key)
    if found is not None:
        return found
    published_now = published_figures()
    frozen_spc = published_spc(month)  # a published month's SPC reading, as its report printed it
    now = month_ratings(plan, version, month)
    previous_month = add_months(month, -1)
    before = compared_ratings(plan, version, month, months)
    values = services.values_for_evaluation(plan, version)
    trend_months = services.recent_months(month, 12)
    trend_labels = [month_label(m) for m in trend_months]
    # A mid-month "Latest" belongs beside the newest complete month only.
    latest = services.latest_values(month, plan) if not months or month == months[-1] else {}
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
            spc = (
                frozen_spc[measure.id] if measure.id in frozen_spc
                else services.spc_summary(measure, services.spc_series(measure, version), month, result.target)
            )
            if spc is not None and spc.signal:
                signals.append(Signal(measure, spc, href))
            series = values.get(measure.id, {})
            measure_counts = services.counts_for_evaluation_of(measure, version)
            kept = published_now.get(measure.id, {})
            # As the cells show them: a published figure as published.
            trend = [kept[m][0].value if m in kept else series.get(m) for m in trend_months]
            figures = as_published(
                plan, measure, trend_months,
                [figure(plan, measure, series.get(m), measure_counts.get(m)) for m in trend_months], series,
                published_now,
            )
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
                            plan, measure, result.value, _fraction(published_now, measure.id, month)
                            if month in published_now.get(measure.id, {}) else fractions.get(measure.id, {}).get(month)
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


def _fraction(
    published: Mapping[str, Mapping[str, tuple[RatedFigure, date]]], measure_id: str, month: str
) -> tuple[float, float] | None:
    """(numerator, denominator) of the published figure, when both were recorded."""
    figure_then, _day = published[measure_id][month]
    if figure_then.numerator is None or figure_then.denominator is None:
        return None
    return figure_then.numerator, figure_then.denominator


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
    mine = services.measures_owned_by(plan, user) if filters.mine else set()
    page.suppress = sees_small_numbers_hidden(user) and plan.small_numbers.active
    page.columns = [month_label(m) for m in services.recent_months(month, filters.columns)]
    page.cache_key = services.cache_key(
        "dashboard-body", services.plan_key(plan), version, month, services.benchmarks_version(),
        page.notice, filters, tuple(sorted(mine)), page.suppress, publications_stamp(),
    )
    kept = cache.get(page.cache_key)
    if isinstance(kept, _DashboardBody):
        # The body is everything the month's figures decide: once it is kept, a page needs
        # neither the month's summary (the largest value in the cache) nor its rows.
        page.body, page.skip_links = mark_safe(kept.html), list(kept.skip_links)  # noqa: S308 - rendered, auto-escaped
        return page
    summary = _month_summary(plan, version, month, months)
    page.latest_shown = any(row.latest_figure for _priority, rows in summary.blocks for row in rows)
    as_at = {row.latest.as_at for _priority, rows in summary.blocks for row in rows if row.latest and row.latest.as_at}
    page.latest_heading = f"{max(as_at).day} {max(as_at):%b}" if as_at else ""
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
    page.skip_links = [(block.anchor, block.priority.title) for block in page.blocks if block.rows]
    return page


@dataclass(frozen=True)
class _DashboardBody:
    """A rendered dashboard body and the skip links to its priorities, kept together."""

    html: str
    skip_links: tuple[tuple[str, str], ...]


def sees_small_numbers_hidden(user: Any) -> bool:
    """Readers without child-level access (board, scrutiny, administrators) get the plan's
    small-number rule; staff who may open the records behind a figure see it whole."""
    return not user.can(Capability.VIEW_CHILD_LEVEL)


def _for_reader(row: DashboardRow, columns: int, suppress: bool) -> DashboardRow:
    hidden = suppress and bool(row.actual.hidden_text)
    # The direction of travel quotes the month before's figure in use: hidden when it, or
    # the published figure shown for that month, is small.
    before_hidden = suppress and len(row.months) > 1 and row.months[-2].small
    why_not = "the figure is worked out from so few people that it is not shown"
    return replace(
        row,
        shown_reason=f"{row.result.rag.label}: {why_not}." if hidden else row.result.reason,
        shown_direction_reason=(
            f"{row.direction_word}: {why_not}." if hidden or before_hidden else row.result.direction_reason
        ),
        shown_months=[f.shown(suppress) for f in row.months[-columns:]],
        shown_revisions=[f.revision_note(suppress) for f in row.months[-columns:]],
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
    if page.body is not None:
        return page.body
    html = render_to_string("plans/_dashboard_body.html", {"page": page, "filters": filters})
    if page.cache_key is not None:
        cache.set(page.cache_key, _DashboardBody(html, tuple(page.skip_links)))
    return mark_safe(html)  # noqa: S308 - a rendered, auto-escaped template


# ----------------------------------------------------------------------- measure


@dataclass(frozen=True)
class MonthRow:
    label: str
    result: MeasureResult | None
    value: Figure
    counts: str = ""
    """"169 of 200" for a percentage or an average, from the stored numerator and denominator."""
    source: str = ""
    """Where the month's figure came from (the extract, by hand, a file)."""
    is_latest: bool = False
    direction_word: str = ""
    # What one reader sees:
    value_text: str = ""
    counts_text: str = ""
    revision_text: str = ""
    """"revised: 84.0% → 84.6%" beside a published figure revised since."""


def _counts_text(measure: Measure, numerator: float | None, denominator: float | None) -> str:
    """The counts a figure was worked out from, as a board reads them ("169 of 200")."""
    if numerator is None or measure.unit in (Unit.COUNT, Unit.CURRENCY):
        return ""
    if measure.unit == Unit.RATE_PER_10K:
        return f"{numerator:,.10g} children"
    if denominator is None:
        return ""
    return f"{numerator:,.10g} of {denominator:,.10g}"


def _source_text(figure: Observation | None) -> str:
    return source_label(figure.source or "imported", figure.snapshot) if figure is not None else ""


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


def provenance(figure: Observation | None, measure: Measure, *, counts_shown: bool = True) -> list[str]:
    """Where a stored figure came from, and the rule that made it, in a few short sentences."""
    if figure is None:
        return []
    when = f"{figure.updated.day} {figure.updated:%b %Y}" if figure.updated else ""
    if figure.source == Observation.Source.COMPUTED and figure.snapshot:
        rule = f" by the measure library's rule {measure.source.library_id}" if measure.source.library_id else ""
        lines = [f"Computed{rule} from extract snapshot {figure.snapshot[:12]}, stored {when}."]
    elif figure.source == Observation.Source.MANUAL:
        who = figure.entered_by.name if figure.entered_by else "the journey command"
        lines = [f"Entered by hand by {who}, {when}."]
    else:
        origin = figure.import_record.file_name if figure.import_record else "a file"
        lines = [f"Imported from {origin}, {when}."]
    counts = _counts_text(measure, figure.numerator, figure.denominator)
    if counts and counts_shown:
        lines.append(f"{counts}.")
    if figure.flagged:
        lines.append("Includes records with data-quality warnings.")
    if figure.note:
        lines.append(f"Note: {figure.note}")
    return lines


# ------------------------------------------------------------- the measure's definition


@dataclass(frozen=True)
class Parameter:
    name: str
    value: str
    default: str
    description: str
    set_by_plan: bool


@dataclass(frozen=True)
class Definition:
    """What the measure library says a computed measure counts, with the plan's settings."""

    library_id: str
    text: str
    numerator: str
    denominator: str
    period: str
    kind: str
    tables: tuple[str, ...]
    source: str
    parameters: tuple[Parameter, ...]
    breakdowns: tuple[str, ...]


def library_definition(measure: Measure) -> Definition | None:
    """The library's definition of a computed measure (None for manual ones or an unknown id)."""
    from journey.engine.measures import registry

    library_id = measure.source.library_id
    if measure.source.kind != "computed" or not library_id:
        return None
    try:
        m = registry.get(library_id)
    except KeyError:
        return None
    try:
        in_force = m.resolve(measure.parameters)
    except ValueError:
        in_force = m.defaults
    period = "fytd" if measure.cumulative_in_year and "fytd" in m.period_types else "month"
    period_words = dict(registry.PERIOD_WORDS)
    if m.month_window == "fytd":
        period_words["month"] = "the financial year to the month's last day, projected to a whole year"
    if m.kind == "flow" and period == "month" and m.month_window != "fytd":
        period_words["month"] = "events in the month"
    elif m.kind == "snapshot":
        period_words["month"] = "at the month's last day"
    return Definition(
        library_id=library_id,
        text=m.definition,
        numerator=m.numerator,
        denominator=m.denominator,
        period=period_words[period].capitalize(),
        kind="A snapshot at a date" if m.kind == "snapshot" else "Events counted in a period",
        tables=m.tables,
        source=m.source + (f" (DfE LAIT measure {m.lait})" if m.lait else ""),
        parameters=tuple(
            Parameter(p.name, str(in_force[p.name]), str(p.default), p.description, p.name in measure.parameters)
            for p in m.parameters
        ),
        breakdowns=tuple(registry.BREAKDOWNS.get(b, b) for b in m.breakdowns),
    )


# ------------------------------------------------------------------------ breakdowns

WORKER_LEVEL = frozenset({"worker"})
"""Breakdowns that are about individual staff: only roles with ``view_worker_level``."""

OTHER = "Other or not recorded"
LONG_TABLE = 15
"""Breakdowns with more rows than this are shown folded (a list of every worker)."""


@dataclass(frozen=True)
class BreakdownCell:
    label: str
    value: float | None
    numerator: float | None
    denominator: float | None
    added: bool = False
    """The row that makes the parts add up to the whole."""


@dataclass(frozen=True)
class BreakdownData:
    """One breakdown of the month's figure as stored, with the whole it is a breakdown of."""

    dimension: str
    period_type: str
    cells: tuple[BreakdownCell, ...]
    whole: BreakdownCell | None
    note: str = ""


def _breakdown_value(measure: Measure, whole: BreakdownCell, numerator: float, denominator: float | None) -> float | None:
    if measure.unit in (Unit.COUNT, Unit.CURRENCY):
        return numerator
    if measure.unit == Unit.RATE_PER_10K:
        return whole.value * numerator / whole.numerator if whole.value is not None and whole.numerator else None
    if denominator:
        return numerator / denominator * (100 if measure.unit == Unit.PERCENT else 1)
    return None


def reconcile(measure: Measure, dimension: str, cells: list[BreakdownCell], whole: BreakdownCell | None) -> tuple[list[BreakdownCell], str]:
    """The parts with an "Other or not recorded" row when they add up to less than the whole,
    or a note when a record is counted in more than one part (they add up to more)."""
    if whole is None or whole.numerator is None or any(c.numerator is None for c in cells):
        return cells, ""
    counted = sum(c.numerator or 0.0 for c in cells)
    missing = round(whole.numerator - counted, 6)
    if missing > 0:
        share = None
        if whole.denominator is not None and all(c.denominator is not None for c in cells):
            share = round(whole.denominator - sum(c.denominator or 0.0 for c in cells), 6)
        extra = BreakdownCell(OTHER, _breakdown_value(measure, whole, missing, share), missing, share, added=True)
        return [*cells, extra], ""
    if missing < 0:
        return cells, (
            f"Some are counted under more than one {dimension.replace('_', ' ')}, so the rows add up to "
            f"{counted:,.10g}, more than the {whole.numerator:,.10g} counted once in the whole."
        )
    return cells, ""


def _breakdown_data(measure: Measure, month: str | None) -> list[BreakdownData]:
    """The month's breakdowns of the figure the plan rates: the year to date for a
    cumulative measure (its headline), else the month."""
    if month is None:
        return []
    period_type = Observation.PeriodType.FYTD if measure.cumulative_in_year else Observation.PeriodType.MONTH
    found = services.breakdowns_for(measure.id, month, period_type)
    if not found and period_type != Observation.PeriodType.MONTH:
        period_type = Observation.PeriodType.MONTH
        found = services.breakdowns_for(measure.id, month, period_type)
    whole_obs = services.figure_for(measure.id, month, period_type)
    whole = (
        BreakdownCell("All", whole_obs.value, whole_obs.numerator, whole_obs.denominator)
        if whole_obs is not None else None
    )
    out = []
    for dimension, observations in found.items():
        observations = sorted(observations, key=_cell_order(dimension))
        cells = [
            BreakdownCell(code_name(dimension, o.breakdown_value or NOT_RECORDED), o.value, o.numerator, o.denominator)
            for o in observations
        ]
        cells, note = reconcile(measure, dimension, cells, whole)
        out.append(BreakdownData(dimension, period_type, tuple(cells), whole, note))
    return out


ORDERED_CELLS = {"age_band": AGE_BANDS, "placement_group": PLACEMENT_GROUPS, "time_in_placement": TIME_IN_PLACEMENT}
"""Breakdowns whose cells have a natural order (else by name, "Not recorded" last)."""


def _cell_order(dimension: str) -> Callable[[Observation], tuple[int, str]]:
    order = {name: i for i, name in enumerate(ORDERED_CELLS.get(dimension, ()))}

    def key(obs: Observation) -> tuple[int, str]:
        value = obs.breakdown_value or NOT_RECORDED
        return (order.get(value, len(order) + (value == NOT_RECORDED)), value.casefold())

    return key


@dataclass(frozen=True)
class BreakdownTable:
    """A breakdown as one reader sees it."""

    title: str
    dimension: str
    rows: list[tuple[str, str, str]]
    """cell, figure, counts ("n of d")"""
    total: tuple[str, str] | None
    note: str = ""
    folded: bool = False
    hidden_any: bool = False

    @property
    def counted(self) -> bool:
        """Whether any row has counts beside its figure (counts have none)."""
        return any(counts for _cell, _value, counts in self.rows)


def breakdown_table(
    measure: Measure, data: BreakdownData, month: str, rule: SmallNumberRule, suppress: bool
) -> BreakdownTable:
    """Rows (and the whole) as this reader may see them: the plan's small-number rule with
    secondary suppression for readers without child-level access."""
    unit = measure.unit.value
    as_parts = [
        (c.numerator if c.numerator is not None else c.value, c.denominator if unit in ("percent", "number") else None)
        for c in data.cells
    ]
    hidden = rule.parts(as_parts) if suppress else None

    def shown(cell: BreakdownCell, hide: bool, small: bool = True) -> tuple[str, str]:
        if hide:
            return (rule.hidden_text(unit, short=True) if small else "hidden"), ""
        value = format_value(cell.value, measure.unit, measure.display_decimals) if cell.value is not None else "–"
        return value, _counts_text(measure, cell.numerator, cell.denominator)

    rows = []
    for i, cell in enumerate(data.cells):
        value, counts = shown(cell, bool(hidden and hidden.hidden[i]), bool(hidden and hidden.primary[i]))
        rows.append((cell.label, value, counts))
    total = None
    if data.whole is not None:
        whole_hidden = bool(hidden and hidden.whole_hidden) or (
            suppress and rule.hides_figure(unit, data.whole.value, data.whole.numerator, data.whole.denominator)
        )
        total = shown(data.whole, whole_hidden, suppress and rule.hides_figure(
            unit, data.whole.value, data.whole.numerator, data.whole.denominator
        ))
    name = data.dimension.replace("_", " ")
    when = month_label(month) + (", year to date" if data.period_type == Observation.PeriodType.FYTD else "")
    return BreakdownTable(
        title=f"By {name}, {when}",
        dimension=name.capitalize(),
        rows=rows,
        total=total,
        note=data.note,
        folded=len(rows) > LONG_TABLE,
        hidden_any=bool(hidden and hidden.any_hidden),
    )


@dataclass
class MeasurePage:
    plan: Plan
    measure: Measure
    priority: Priority
    month: str | None
    months: list[tuple[str, str]]
    result: MeasureResult | None
    actual: str
    actual_revision: str
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
    definition: Definition | None = None
    owner: Any = None
    suppressed_any: bool = False
    worker_breakdowns_withheld: bool = False
    reasons_hidden: bool = False
    """The month's or the month before's figure is hidden, so the reasons (which quote them) are."""

    @property
    def month_label(self) -> str:
        return month_label(self.month) if self.month else ""

    @property
    def polarity_words(self) -> str:
        return self.measure.polarity.words

    @property
    def direction_word(self) -> str:
        return self.result.direction.label if self.result else ""


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
    points: list[ChartPoint]
    spc: SpcSummary | None = None
    figure: Observation | None = None
    fraction: tuple[float, float] | None = None
    breakdowns: list[BreakdownData] = field(default_factory=list)

    def __getstate__(self) -> dict[str, Any]:
        """Kept without the plan: its cache key names the plan, and the page that reads it
        back has the plan already (unpickling it again was half of the value's size)."""
        return {**self.__dict__, "plan": None}

    def chart(self, measure: Measure, suppress: bool) -> MeasureChart | None:
        """The chart; for a reader who may not see small numbers, without the months they hide."""
        points = [
            replace(p, value=None) if suppress and row.value.hidden_text else p
            for p, row in zip(self.points, self.rows, strict=False)
        ]
        if not any(p.value is not None for p in points):
            return None
        return MeasureChart(
            title=measure.title,
            unit=measure.unit.value,
            points=tuple(points),
            benchmarks=services.measure_benchmarks(self.plan, measure),
            decimals=measure.display_decimals,
        )


def _measure_figures(
    plan: Plan, version: tuple[int, str], measure: Measure, month: str | None
) -> _MeasureFigures:
    """The months table, chart points, provenance and breakdowns for one measure and month
    (cached per data version; what each reader may see is chosen afterwards)."""
    key = services.cache_key("measure", services.plan_key(plan), version, measure.id, month, publications_stamp())
    found = cache.get(key)
    if found is not None:
        return replace(found, plan=plan)  # kept without it: the key names this plan
    rows: list[MonthRow] = []
    points: list[ChartPoint] = []
    result = None
    stored: dict[str, Observation] = {}
    if month is not None:
        window = services.recent_months(month, 12)
        series = services.values_for_evaluation(plan, version).get(measure.id, {})
        with_values = [m for m in window if series.get(m) is not None]
        # Months before the first figure in the window are left out rather than shown empty.
        window = window[window.index(with_values[0]):] if with_values else window[-1:]
        stored = services.headline_figures(measure, window)
        published = published_ratings()
        evaluations = {m: month_ratings(plan, version, m, published).get(measure.id) for m in window}
        shown = as_published(plan, measure, window, [
            figure(plan, measure, series.get(m), (o.numerator, o.denominator) if (o := stored.get(m)) else None)
            for m in window
        ], series)
        kept_figures = published_figures().get(measure.id, {})
        for m, value in zip(window, shown, strict=True):
            evaluation = evaluations[m]
            obs = stored.get(m)
            counts = (obs.numerator, obs.denominator) if obs is not None else None
            source = _source_text(obs)
            if m in kept_figures:  # a published figure: its own counts and origin
                then = kept_figures[m][0]
                counts, source = (then.numerator, then.denominator), then.source
            rows.append(
                MonthRow(
                    label=month_label(m),
                    result=evaluation,
                    value=value,
                    counts=_counts_text(measure, *counts) if counts else "",
                    source=source,
                    direction_word=evaluation.direction.label if evaluation else "",
                )
            )
            points.append(ChartPoint.rated(month_label(m), measure, evaluation))
            if m == month:
                result = evaluation
        months = services.months_available(version)
        latest = services.latest_values(month, plan).get(measure.id) if not months or month == months[-1] else None
        if latest is not None and latest.value is not None:
            as_at = f" as at {latest.as_at.day} {latest.as_at:%b %Y}" if latest.as_at else ""
            rows.append(
                MonthRow(
                    label=f"Latest ({month_label(latest.period)}{as_at})",
                    result=None,
                    value=figure(plan, measure, latest.value, (latest.numerator, latest.denominator)),
                    counts=_counts_text(measure, latest.numerator, latest.denominator),
                    source=_source_text(latest),
                    is_latest=True,
                )
            )
    spc = None
    if month is not None:
        frozen_spc = published_spc(month)
        spc = (
            frozen_spc[measure.id] if measure.id in frozen_spc
            else services.spc_summary(measure, services.spc_series(measure, version), month, result.target if result else None)
        )
    # The stored figure's provenance and breakdowns change only with the data version too.
    stored_figure = stored.get(month) if month else None
    kept = published_figures().get(measure.id, {}).get(month) if month else None
    counted = (kept[0].numerator, kept[0].denominator) if kept is not None else (
        (stored_figure.numerator, stored_figure.denominator) if stored_figure is not None else (None, None)
    )
    # The published figure is compared with its own counts, not those of a revision.
    fraction = (counted[0], counted[1]) if counted[0] is not None and counted[1] is not None else None
    figures = _MeasureFigures(
        plan, rows, result, points, spc,
        figure=stored_figure,
        fraction=fraction,
        breakdowns=_breakdown_data(measure, month),
    )
    cache.set(key, figures)
    return figures


def measure_chart(user: Any, measure_id: str, month_text: str | None) -> str | None:
    """The measure's chart as an SVG document (the page shows it beside its data table)."""
    plan = services.active_plan()
    measure = services.find_measure(plan, measure_id) if plan else None
    if plan is None or measure is None:
        return None
    version = services.data_version()
    months = services.months_available(version)
    month = services.parse_month_choice(month_text, months)
    figures = _measure_figures(plan, version, measure, month)
    chart = figures.chart(measure, sees_small_numbers_hidden(user) and plan.small_numbers.active)
    if chart is None:
        return None
    return chart_svg(chart)


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
    rule = plan.small_numbers
    suppress = sees_small_numbers_hidden(user) and rule.active
    rows = _reader_rows(figures, suppress)
    current = _current_row(rows, figures.result)
    hidden = bool(suppress and current is not None and current.value.hidden_text)
    at = rows.index(current) if current is not None else -1
    before_hidden = bool(suppress and at > 0 and rows[at - 1].value.small)
    workers = user.can(Capability.VIEW_WORKER_LEVEL)
    breakdowns = [
        breakdown_table(measure, data, month, rule, suppress)
        for data in figures.breakdowns
        if month is not None and (workers or data.dimension not in WORKER_LEVEL)
    ]
    benchmarks = services.compare_with_benchmarks(
        plan, measure, figures.result.value if figures.result else None, figures.fraction
    )
    if hidden:  # a comparison would narrow a hidden figure down
        benchmarks = [replace(b, comparison="") for b in benchmarks]
    owner = None
    if measure.owner:
        from journey.web.accounts.ownership import resolve_owners

        owner = resolve_owners({measure.owner})[measure.owner]
    return MeasurePage(
        plan=plan,
        measure=measure,
        priority=plan.priority_of(measure.id),
        month=month,
        months=[(m, month_label(m)) for m in reversed(months)],
        result=figures.result,
        actual=current.value_text if current else "–",
        actual_revision=current.revision_text if current else "",
        rows=rows,
        milestones=[(month_label(m), fmt(t)) for m, t in measure.milestones],
        has_chart=figures.chart(measure, suppress) is not None,
        spc=figures.spc,
        chart_description=_chart_description(figures, measure, suppress),
        benchmarks=benchmarks,
        narrative=approved_narrative(measure.id, month) if month else None,
        narrative_url=_narrative_url(user, measure.id, month),
        provenance=_provenance_now(figures, measure, current, suppress, hidden),
        breakdowns=breakdowns,
        plan_actions=[PlanActionRow.of(a) for a in plan.actions_for(measure.id)],
        tracked_actions=tracked_actions(measure.id),
        can_enter_figures=measure.source.kind == "manual" and may_enter(user, measure),
        can_see_children=can_see_children,
        drilldown_available=can_see_children and drilldown.available(measure, month),
        definition=library_definition(measure),
        owner=owner,
        suppressed_any=suppress and (any(r.value.hidden_text for r in rows) or any(t.hidden_any for t in breakdowns)),
        worker_breakdowns_withheld=not workers and any(d.dimension in WORKER_LEVEL for d in figures.breakdowns),
        reasons_hidden=hidden or before_hidden,
    )


def _provenance_now(
    figures: _MeasureFigures, measure: Measure, current: MonthRow | None, suppress: bool, hidden: bool
) -> list[str]:
    """Where the stored figure (the one in use) came from. When the month's published figure
    has been revised, that is the revised figure, and the first line says so; its counts
    are left out for a reader who may not see small numbers when either figure is small."""
    revised = current.value.revised if current is not None else None
    small = hidden or (suppress and revised is not None and bool(revised.hidden_text))
    lines = provenance(figures.figure, measure, counts_shown=not small)
    if revised is not None and lines:
        lines[0] = f"The figure in use now, revised since publication: {lines[0][0].lower()}{lines[0][1:]}"
    return lines


def _reader_rows(figures: _MeasureFigures, suppress: bool) -> list[MonthRow]:
    """The months table as one reader sees it (small numbers hidden when ``suppress``)."""
    return [
        replace(
            row,
            value_text=row.value.shown(suppress),
            counts_text="" if suppress and row.value.hidden_text else row.counts,
            revision_text=row.value.revision_note(suppress),
        )
        for row in figures.rows
    ]


def _current_row(rows: list[MonthRow], result: MeasureResult | None) -> MonthRow | None:
    return next((r for r in rows if not r.is_latest and r.result is result), None)


@dataclass(frozen=True)
class MeasureTrend:
    """The measure page's chart and months table for one month, as one reader sees them:
    what the narrative pages show beside the text written about the figure (the template
    ``plans/_trend.html`` draws it for both pages)."""

    measure: Measure
    month: str | None
    """The month, or None when it has no figures yet (then there is no chart or table)."""
    rows: list[MonthRow]
    has_chart: bool
    chart_description: str
    current: MonthRow | None = None

    @property
    def month_label(self) -> str:
        return month_label(self.month) if self.month else ""


def measure_trend(user: Any, measure_id: str, month: str) -> MeasureTrend | None:
    """The chart and months table of ``measure_id`` for exactly ``month`` (never another
    month's: a month without figures gives an empty trend), or None when the measure is not
    in the active plan."""
    plan = services.active_plan()
    measure = services.find_measure(plan, measure_id) if plan else None
    if plan is None or measure is None:
        return None
    version = services.data_version()
    if month not in services.months_available(version):
        return MeasureTrend(measure=measure, month=None, rows=[], has_chart=False, chart_description="")
    figures = _measure_figures(plan, version, measure, month)
    suppress = sees_small_numbers_hidden(user) and plan.small_numbers.active
    rows = _reader_rows(figures, suppress)
    return MeasureTrend(
        measure=measure,
        month=month,
        rows=rows,
        has_chart=figures.chart(measure, suppress) is not None,
        chart_description=_chart_description(figures, measure, suppress),
        current=_current_row(rows, figures.result),
    )


def _draw_charts(figures: _MeasureFigures, measure: Measure) -> bool:
    """Draw (and keep) the measure's chart as staff and as board members see it."""
    drawn = False
    for suppress in (False, True):
        chart = figures.chart(measure, suppress and figures.plan.small_numbers.active)
        if chart is not None:
            chart_svg(chart)
            drawn = True
    return drawn


def _chart_description(figures: _MeasureFigures, measure: Measure, suppress: bool) -> str:
    chart = figures.chart(measure, suppress)
    return describe_measure_chart(chart) if chart is not None else ""


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
        _draw_charts(_measure_figures(plan, version, measure, month), measure)
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
        if _draw_charts(_measure_figures(plan, version, measure, month), measure):
            charts += 1
        tell(done, len(plan.measures))
    return charts
