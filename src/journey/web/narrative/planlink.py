"""The narrative and actions apps' view of the active improvement plan.

The plan is owned by the plans app: ``journey.web.plans.services.active_plan()`` gives
the engine ``Plan`` parsed from the active ``PlanVersion``. These helpers look measures
up without failing when no plan has been loaded yet, and link to a measure's page when
the plans app provides one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse


def current_plan() -> Any | None:
    """The active plan, or ``None`` when none has been loaded."""
    from journey.web.plans import services as plan_services

    return plan_services.active_plan()


def find_measure(plan: Any | None, measure_id: str) -> Any | None:
    if plan is None:
        return None
    for measure in plan.measures:
        if str(measure.id) == measure_id:
            return measure
    return None


def priority_of(plan: Any | None, measure_id: str) -> Any | None:
    if plan is None:
        return None
    for priority in plan.priorities:
        if any(str(m.id) == measure_id for m in priority.measures):
            return priority
    return None


def measure_url(measure_id: str, month: str | None = None) -> str | None:
    """The measure's page in the plans app (for ``month`` when given), or ``None`` if the
    plans app has no such page."""
    try:
        url = reverse("plans:measure", kwargs={"measure_id": measure_id})
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode({'month': month})}" if month else url


def measure_trend(user: Any, measure_id: str, month: str) -> Any | None:
    """The measure page's chart and months table for exactly ``month``, as ``user`` may
    see them (the plans app's :func:`journey.web.plans.pages.measure_trend`)."""
    from journey.web.plans import pages

    return pages.measure_trend(user, measure_id, month)


def months_with_figures() -> list[str]:
    """Months with at least one figure, oldest first."""
    from journey.web.plans import services as plan_services

    return plan_services.months_available(plan_services.data_version())
