"""The narrative and actions apps' view of the active improvement plan.

The plan is owned by the plans app: ``journey.web.plans.services.active_plan()`` gives
the engine ``Plan`` parsed from the active ``PlanVersion``. Until that module is in
place, the active ``PlanVersion`` is parsed here with the engine's ``parse_plan``. These
helpers look measures up without failing when no plan has been loaded yet, and link to a
measure's page when the plans app provides one.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.urls import NoReverseMatch, reverse


@lru_cache(maxsize=4)
def _parse(sha256: str, text: str, filename: str) -> Any:
    from journey.engine.plan import parse_plan

    return parse_plan(text, filename)


def _plan_from_active_version() -> Any | None:
    from journey.web.plans.models import PlanVersion

    version = PlanVersion.objects.filter(active=True).first()
    if version is None:
        return None
    return _parse(version.sha256, version.text, version.filename)


def current_plan() -> Any | None:
    """The active plan, or ``None`` when none has been loaded."""
    try:
        from journey.web.plans import services as plan_services
    except ModuleNotFoundError as exc:
        if exc.name != "journey.web.plans.services":
            raise
        return _plan_from_active_version()
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
    """The measure's page in the plans app, or ``None`` if there is no such page."""
    attempts: list[dict[str, str]] = []
    if month:
        attempts.append({"measure_id": measure_id, "month": month})
    attempts.append({"measure_id": measure_id})
    for kwargs in attempts:
        try:
            return reverse("plans:measure", kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None
