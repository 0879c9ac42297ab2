"""Periodic tasks: enqueued by whichever worker first finds them due, once.

Each schedule names a task (by its import path, so this module imports no app) and how
often it runs. The next due time is kept in the database (:class:`Schedule`), claimed in
an exclusive transaction together with the enqueueing, so with several workers a
schedule is enqueued once per period.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.utils import exclusive_transaction

from journey.web.background.models import Schedule


@dataclass(frozen=True)
class Periodic:
    name: str
    task_path: str
    every: Callable[[], timedelta | None]
    """How often; ``None`` turns the schedule off (e.g. no watched folder configured)."""
    at: time | None = None
    """Run at this local time of day (for daily schedules)."""

    def enabled(self) -> bool:
        return self.every() is not None

    def next_after(self, moment: datetime) -> datetime:
        every = self.every() or timedelta(days=1)
        if self.at is None:
            return moment + every
        local = timezone.localtime(moment)
        candidate = local.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)
        while candidate <= local:
            candidate += every
        return candidate


@dataclass(frozen=True)
class Monthly:
    """A task run once a month, on a day of the month at a local time."""

    name: str
    task_path: str
    when: Callable[[], tuple[int, time] | None]
    """(day of the month, time of day); ``None`` turns the schedule off."""

    def enabled(self) -> bool:
        return self.when() is not None

    def next_after(self, moment: datetime) -> datetime:
        day, at = self.when() or (1, time(0, 0))
        local = timezone.localtime(moment)
        candidate = local.replace(day=day, hour=at.hour, minute=at.minute, second=0, microsecond=0)
        if candidate <= local:
            year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
            candidate = candidate.replace(year=year, month=month)
        return candidate


def _reminders_every() -> timedelta | None:
    return timedelta(days=1) if settings.JOURNEY_NOTIFY_API_KEY else None


def _watch_every() -> timedelta | None:
    if not settings.JOURNEY_WATCH_DIR:
        return None
    return timedelta(seconds=settings.JOURNEY_WATCH_EVERY_SECONDS)


def _ssd_when() -> tuple[int, time] | None:
    from journey.web.ssd.reads import enabled

    return (settings.JOURNEY_SSD_DAY, settings.JOURNEY_SSD_AT) if enabled() else None


SCHEDULES: list[Periodic | Monthly] = [
    Periodic("prune-tasks", "journey.web.background.tasks.prune_finished_tasks", lambda: timedelta(days=1),
             at=time(3, 0)),
    Periodic("watched-folder", "journey.web.operations.watch.scan_watched_folder", _watch_every),
    Periodic("reminders", "journey.web.background.reminders.send_reminders", _reminders_every,
             at=time(7, 0)),
    Monthly("ssd-read", "journey.web.ssd.reads.read_ssd_monthly", _ssd_when),
]
"""The periodic tasks; each feature adds its own."""


def enqueue_due(now: datetime | None = None) -> list[str]:
    """Enqueue every schedule that is due; returns their names."""
    now = now or timezone.now()
    done = []
    for periodic in SCHEDULES:
        if not periodic.enabled():
            continue
        try:
            Schedule.objects.get_or_create(
                name=periodic.name, defaults={"next_run_at": periodic.next_after(now)}
            )
        except IntegrityError:  # another worker created it at the same moment
            pass
        with exclusive_transaction(Schedule.objects.db):
            row = (
                Schedule.objects.select_for_update(skip_locked=True)
                .filter(name=periodic.name, next_run_at__lte=now)
                .first()
            )
            if row is None:
                continue
            result = import_string(periodic.task_path).enqueue()
            row.last_task_id = str(result.id)
            row.last_enqueued_at = now
            row.next_run_at = periodic.next_after(now)
            row.save()
        done.append(periodic.name)
    return done
