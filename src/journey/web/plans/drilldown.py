"""The children behind a figure (drill-down), for roles with ``VIEW_CHILD_LEVEL`` only.

A computed figure records the snapshot (the stored extract) it was computed from; the
list is the measures engine's ``drilldown`` run on that same snapshot, so the children
listed are exactly those counted. Manual figures, figures imported from a CSV without a
stored snapshot, and library measures the engine cannot list say so plainly: nothing is
invented.

Views record every view and export of a list in the audit log; exports escape cells
that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from journey.engine.periods import month_label
from journey.engine.plan import Measure
from journey.engine.spreadsheet import escape_cell
from journey.web.plans import services
from journey.web.plans.models import Observation


@dataclass
class ChildList:
    measure: Measure
    month: str | None
    available: bool
    message: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    show: str = "all"

    @property
    def show_choices(self) -> list[tuple[str, str]]:
        return list(SHOW_CHOICES.items())

    @property
    def month_label(self) -> str:
        return month_label(self.month) if self.month else ""


@lru_cache(maxsize=1)
def _library() -> frozenset[str]:
    from journey.engine.measures import library_ids

    return frozenset(library_ids())


def _library_has(library_id: str) -> bool:
    return library_id in _library()


def _figure_snapshot(measure_id: str, month: str) -> str:
    row = (
        Observation.objects.filter(
            measure_id=measure_id, period=month, period_type=Observation.PeriodType.MONTH,
            breakdown="",
        )
        .values_list("snapshot", flat=True)
        .first()
    )
    return row or ""


def available(measure: Measure, month: str | None) -> bool:
    """Whether the children behind this measure's figure for ``month`` can be listed."""
    if measure.source.kind != "computed" or not measure.source.library_id or not month:
        return False
    return _library_has(measure.source.library_id) and bool(
        services.SNAPSHOT_ID.match(_figure_snapshot(measure.id, month))
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


SHOW_CHOICES = {
    "all": "Everyone counted in the figure",
    "numerator": "Only those counted in the numerator (e.g. seen in time)",
    "not_numerator": "Only those not in the numerator (e.g. overdue)",
}


def child_list_for(
    measure_id: str, month_text: str | None, show: str = "all"
) -> ChildList | None:
    """The list for a measure and month, or ``None`` when the measure is not in the plan.

    ``show`` narrows it to the records in the numerator or those outside it (a team
    manager's overdue list)."""
    plan = services.active_plan()
    measure = services.find_measure(plan, measure_id) if plan else None
    if plan is None or measure is None:
        return None
    months = services.months_available()
    month = services.parse_month_choice(month_text, months)
    if measure.source.kind != "computed" or not measure.source.library_id:
        return ChildList(
            measure, month, False,
            "This measure's figures are entered by hand, so there are no child-level records behind them.",
        )
    if month is None:
        return ChildList(measure, None, False, "There are no figures yet, so there is no list to show.")
    if not _library_has(measure.source.library_id):
        return ChildList(
            measure, month, False,
            "A list of the children behind this figure is not yet available for this measure.",
        )
    snapshot = _figure_snapshot(measure.id, month)
    if not services.SNAPSHOT_ID.match(snapshot):
        return ChildList(
            measure, month, False,
            "This month's figure was not computed from a stored extract, so there is no list behind it.",
        )
    from journey.engine.casedata.store import SnapshotNotFound
    from journey.engine.measures import drilldown, plan_population
    from journey.web.casedata.services import store

    try:
        extract = store().load_snapshot(snapshot)
    except SnapshotNotFound:
        return ChildList(
            measure, month, False,
            f"The extract this figure came from (snapshot {snapshot[:12]}) is no longer in the store.",
        )
    frame = drilldown(
        extract, measure.source.library_id, month, parameters=dict(measure.parameters),
        population=plan_population(plan),
    )
    if show in ("numerator", "not_numerator") and "in_numerator" in frame.columns:
        frame = frame.filter(frame["in_numerator"] == (show == "numerator"))
    columns = [c.replace("_", " ").capitalize() for c in frame.columns]
    rows = [[_cell(v) for v in row] for row in frame.iter_rows()]
    return ChildList(measure, month, True, "", columns, rows, show)


def csv_response(listing: ChildList) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([escape_cell(c) for c in listing.columns])
    for row in listing.rows:
        writer.writerow([escape_cell(v) for v in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    suffix = "" if listing.show == "all" else f"-{listing.show}"
    name = f"{listing.measure.id}-{listing.month}-children{suffix}.csv"
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    response["Cache-Control"] = "no-store"
    return response
