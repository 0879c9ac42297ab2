"""Figures entered by hand for ``source: manual`` measures (HR figures, survey results...)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from journey.engine.periods import add_months, is_month, month_label
from journey.engine.plan import Measure, Unit
from journey.web.accounts import audit
from journey.web.accounts.models import AuditEvent
from journey.web.plans.models import Observation

NUMBER = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")

# (lowest, highest, whole numbers only) for each unit; None = open.
UNIT_RANGES: dict[str, tuple[float | None, float | None, bool]] = {
    Unit.PERCENT.value: (0.0, 100.0, False),
    Unit.COUNT.value: (0.0, None, True),
    Unit.RATE_PER_10K.value: (0.0, 10_000.0, False),
    Unit.DAYS.value: (0.0, None, False),
    Unit.CURRENCY.value: (None, None, False),
    Unit.SCORE.value: (None, None, False),
    Unit.NUMBER.value: (None, None, False),
}


class FigureRefused(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass
class Outcome:
    observation: Observation
    old_value: float | None
    message: str


def may_enter(user: Any, measure: Measure) -> bool:
    """The data team enters any manual figure; a service lead only their own measures'
    (the same ownership rule as narrative and actions). Other roles, the director
    included, have no ``ENTER_MANUAL_FIGURES``."""
    from journey.web.accounts.ownership import acts_on_all, is_owner
    from journey.web.accounts.roles import Capability

    if not user.can(Capability.ENTER_MANUAL_FIGURES):
        return False
    return acts_on_all(user) or is_owner(user, measure.owner or "")


def _parse_value(text: str, measure: Measure) -> tuple[float | None, str | None]:
    cleaned = text.strip().replace("£", "").rstrip("%").strip()
    if not cleaned:
        return None, "Enter the figure"
    if not NUMBER.match(cleaned):
        return None, "Enter the figure as a number, like 85 or 85.5"
    value = float(cleaned.replace(",", ""))
    low, high, whole = UNIT_RANGES.get(measure.unit.value, (None, None, False))
    unit_words = measure.unit.value.replace("_", " ")
    if whole and not value.is_integer():
        return None, f"A {unit_words} must be a whole number"
    if low is not None and value < low:
        return None, f"A {unit_words} cannot be less than {low:g}"
    if high is not None and value > high:
        return None, f"A {unit_words} cannot be more than {high:g}"
    return value, None


def _check_month(text: str, today: date) -> str | None:
    if not text:
        return "Enter the month the figure is for"
    if not is_month(text):
        return "Enter the month as year and month, like 2023-06"
    this_month = f"{today.year:04d}-{today.month:02d}"
    if text > this_month:
        return "The month cannot be in the future"
    if text < add_months(this_month, -240):
        return "The month is more than 20 years ago"
    return None


def enter_figure(
    user: Any, measure: Measure, month: str, value_text: str, note: str, *, today: date | None = None
) -> Outcome:
    """Validate and store one month's figure; the change (old → new) is audited.

    Refuses (``PermissionDenied``) anyone but the measure's owner and the data team,
    whoever calls it."""
    if not may_enter(user, measure):
        raise PermissionDenied(
            f"Only the measure's owner ({measure.owner or 'not named'}) or the data team may "
            "enter its figures."
        )
    errors: dict[str, str] = {}
    month_problem = _check_month(month, today or date.today())
    if month_problem:
        errors["month"] = month_problem
    value, value_problem = _parse_value(value_text, measure)
    if value_problem:
        errors["value"] = value_problem
    if len(note) > 2000:
        errors["note"] = "The note must be 2,000 characters or fewer"
    if errors:
        raise FigureRefused(errors)
    with transaction.atomic():
        observation, created = Observation.objects.select_for_update().get_or_create(
            measure_id=measure.id,
            period=month,
            period_type=Observation.PeriodType.MONTH,
            breakdown="",
            breakdown_value="",
            defaults={
                "value": value,
                "source": Observation.Source.MANUAL,
                "note": note,
                "entered_by": user,
            },
        )
        old = None if created else observation.value
        if not created:
            if observation.value == value and observation.note == note:
                return Outcome(observation, old, "No change: that figure is already recorded.")
            observation.value = value
            observation.note = note
            observation.source = Observation.Source.MANUAL
            observation.entered_by = user
            observation.numerator = None
            observation.denominator = None
            observation.save()
        audit.record(
            user,
            "entered_manual_figure" if created else "changed_manual_figure",
            f"{measure.id} {month}",
            measure=measure.id,
            month=month,
            old=old,
            new=value,
            note=note[:200],
        )
    verb = "Recorded" if created else f"Changed from {old:g} to"
    return Outcome(observation, old, f"{verb} {value:g} for {measure.title}, {month_label(month)}.")


def history(measure_id: str, limit: int = 24) -> dict[str, Any]:
    """The figures stored for a manual measure and who entered or changed them."""
    figures = list(
        Observation.objects.filter(
            measure_id=measure_id, breakdown="", period_type=Observation.PeriodType.MONTH
        )
        .select_related("entered_by")
        .order_by("-period")[:limit]
    )
    events = list(
        AuditEvent.objects.filter(
            action__in=["entered_manual_figure", "changed_manual_figure"],
            detail__measure=measure_id,
        )[:limit]
    )
    return {"figures": figures, "events": events}
