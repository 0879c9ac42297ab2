"""Reminders by e-mail through GOV.UK Notify: actions due and narrative asked for.

Run every morning by a worker (``schedules``) when ``JOURNEY_NOTIFY_API_KEY`` is set. Each
user gets at most one e-mail of each kind a day, listing everything of theirs: the
actions they own that are due within ``JOURNEY_NOTIFY_DAYS_AHEAD`` days or overdue, and
the measures they own whose narrative for the latest month with figures has not been
submitted. Owners are matched to users as everywhere else (``accounts.ownership``: by account or team).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from journey.engine.periods import month_label
from journey.web.background import progress
from journey.web.background.models import Reminder

log = logging.getLogger(__name__)

ACTIONS_DUE, NARRATIVE = "actions_due", "narrative"
"""The kinds of reminder (``Reminder.kind``)."""


@dataclass
class Message:
    """One e-mail to one user: what it lists and where to go."""

    kind: str
    user: Any
    subjects: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    due: date | None = None


def _link(name: str) -> str:
    return settings.JOURNEY_BASE_URL.rstrip("/") + reverse(name)


def _users_owning(owner: str, users: list[Any]) -> list[Any]:
    from journey.web.accounts.ownership import is_owner

    return [u for u in users if owner and is_owner(u, owner)]


def actions_due(users: list[Any], today: date) -> dict[int, Message]:
    """user id → the actions they own due within the notice period or overdue."""
    from journey.web.actions.models import Status
    from journey.web.actions.services import all_actions

    ahead = today + timedelta(days=int(settings.JOURNEY_NOTIFY_DAYS_AHEAD))
    out: dict[int, Message] = {}
    for action in all_actions(on=today):
        if action.status == Status.COMPLETED or action.due is None or action.due > ahead:
            continue
        when = f"overdue since {action.due:%d %B %Y}" if action.overdue else f"due {action.due:%d %B %Y}"
        for user in _users_owning(action.owner, users):
            message = out.setdefault(user.pk, Message(ACTIONS_DUE, user))
            message.subjects.append(action.number)
            message.lines.append(f"{action.number} {action.text} ({when})")
            message.due = min(filter(None, [message.due, action.due]))
    return out


def narrative_requested(users: list[Any]) -> dict[int, Message]:
    """user id → the measures they own whose narrative for the latest month is not in."""
    from journey.web.narrative.models import Narrative, NarrativeState
    from journey.web.plans.services import active_plan, months_available

    plan = active_plan()
    months = months_available()
    if plan is None or not months:
        return {}
    month = months[-1]
    done = set(
        Narrative.objects.filter(month=month).exclude(state=NarrativeState.DRAFT).values_list("measure_id", flat=True)
    )
    out: dict[int, Message] = {}
    for measure in plan.measures:
        if measure.id in done or not measure.owner:
            continue
        for user in _users_owning(measure.owner, users):
            message = out.setdefault(user.pk, Message(NARRATIVE, user))
            message.subjects.append(measure.id)
            message.lines.append(f"{measure.title}: narrative for {month_label(month)}")
    return out


def _client() -> Any:
    from notifications_python_client.notifications import NotificationsAPIClient

    return NotificationsAPIClient(settings.JOURNEY_NOTIFY_API_KEY, base_url=settings.JOURNEY_NOTIFY_BASE_URL)


def _send(client: Any, message: Message, today: date) -> bool:
    """Send one reminder unless it went today; record it. Returns whether it was sent."""
    template, link, subject = {
        ACTIONS_DUE: (settings.JOURNEY_NOTIFY_ACTION_DUE_TEMPLATE, "actions:list", "Actions due"),
        NARRATIVE: (settings.JOURNEY_NOTIFY_NARRATIVE_TEMPLATE, "narrative:index", "Narrative to write"),
    }[message.kind]
    if Reminder.objects.filter(kind=message.kind, user=message.user, day=today).exists():
        return False
    try:
        reminder = Reminder.objects.create(kind=message.kind, user=message.user, day=today, subjects=message.subjects)
    except IntegrityError:  # another worker is sending it
        return False
    try:
        response = client.send_email_notification(
            email_address=message.user.email,
            template_id=template,
            personalisation={
                "name": message.user.name,
                "subject": subject,
                "detail": "\n".join(f"* {line}" for line in message.lines),
                "due": f"{message.due:%d %B %Y}" if message.due else "",
                "link": _link(link),
            },
            reference=f"{message.kind}-{message.user.pk}-{today.isoformat()}",
        )
    except Exception:  # noqa: BLE001 - logged; tried again tomorrow
        reminder.delete()
        log.exception("reminder to %s could not be sent", message.user.get_username())
        return False
    Reminder.objects.filter(pk=reminder.pk).update(notify_id=str(response.get("id", ""))[:64])
    return True


@task()
def send_reminders() -> dict[str, int]:
    """E-mail today's reminders (actions due, narrative asked for) through GOV.UK Notify."""
    from journey.web.accounts.models import User

    if not settings.JOURNEY_NOTIFY_API_KEY:
        return {"sent": 0, "skipped": 0}
    today = timezone.localdate()
    users = list(User.objects.filter(is_active=True).exclude(email=""))
    messages = [*actions_due(users, today).values(), *narrative_requested(users).values()]
    client = _client()
    sent = 0
    for done, message in enumerate(messages, start=1):
        sent += _send(client, message, today)
        progress.report(int(100 * done / len(messages)), f"{done} of {len(messages)} reminders")
    log.info("reminders: %d sent, %d already sent today or failed", sent, len(messages) - sent)
    return {"sent": sent, "skipped": len(messages) - sent}
