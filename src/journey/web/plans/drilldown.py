"""The children behind a figure (drill-down), for roles with ``VIEW_CHILD_LEVEL`` only.

Integration point with the measures engine: a computed measure has a child list when
the engine's measure library says so for its library id. The engine functions looked
for are ``journey.engine.measures.has_drilldown(library_id) -> bool`` and
``journey.engine.measures.drilldown(library_id, month, parameters=...) -> polars.DataFrame``
(one row per child). Until the engine provides them, or for a measure it has no list
for, the page says so plainly: nothing is invented.

Views record every view and export of a list in the audit log; exports escape cells
that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpResponse

from journey.engine.periods import is_month, month_label
from journey.engine.plan import Measure
from journey.web.plans import services

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will show as text, never run (formula injection)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


@dataclass
class ChildList:
    measure: Measure
    month: str | None
    available: bool
    message: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    @property
    def month_label(self) -> str:
        return month_label(self.month) if self.month else ""


def _engine() -> Any | None:
    try:
        from journey.engine import measures as engine_measures  # type: ignore[attr-defined]
    except ImportError:
        return None
    if not (hasattr(engine_measures, "has_drilldown") and hasattr(engine_measures, "drilldown")):
        return None
    return engine_measures


def available(measure: Measure) -> bool:
    """Whether the engine can list the children behind this measure's figure."""
    if measure.source.kind != "computed" or not measure.source.library_id:
        return False
    engine = _engine()
    return bool(engine and engine.has_drilldown(measure.source.library_id))


def child_list_for(measure_id: str, month_text: str | None) -> ChildList | None:
    """The list for a measure and month, or ``None`` when the measure is not in the plan."""
    plan = services.active_plan()
    measure = services.find_measure(plan, measure_id) if plan else None
    if measure is None:
        return None
    months = services.months_available()
    month = month_text if month_text and is_month(month_text) else (months[-1] if months else None)
    if measure.source.kind != "computed":
        return ChildList(
            measure, month, False,
            "This measure's figures are entered by hand, so there are no child-level records behind them.",
        )
    if month is None:
        return ChildList(measure, None, False, "There are no figures yet, so there is no list to show.")
    if not available(measure):
        return ChildList(
            measure, month, False, "A list of the children behind this figure is not yet available for this measure."
        )
    engine = _engine()
    assert engine is not None and measure.source.library_id
    frame = engine.drilldown(measure.source.library_id, month, parameters=measure.parameters)
    columns = list(frame.columns)
    rows = [["" if v is None else str(v) for v in row] for row in frame.iter_rows()]
    return ChildList(measure, month, True, "", columns, rows)


def csv_response(listing: ChildList) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(c) for c in listing.columns])
    for row in listing.rows:
        writer.writerow([safe_cell(v) for v in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"{listing.measure.id}-{listing.month}-children.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
