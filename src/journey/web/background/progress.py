"""Progress of the task being run, stored so any web process can show it.

The worker (and Django's immediate backend, in tests) sends ``task_started`` before a
task runs; we remember its id here, so code deep inside a task reports progress with
``progress.report(percent, message)`` without passing the task around.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Any

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks.signals import task_finished, task_started

_CURRENT: ContextVar[tuple[str, str] | None] = ContextVar("journey_task", default=None)
_LAST_BEAT = [0.0]
HEARTBEAT_EVERY = 5.0
"""Seconds between a worker's 'still alive' updates (from its loop or a task's progress)."""


def current_task_id() -> str | None:
    current = _CURRENT.get()
    return current[0] if current else None


def report(percent: int, message: str) -> None:
    """Record the running task's progress (nothing outside a task)."""
    from journey.web.background.models import TaskProgress

    current = _CURRENT.get()
    if current is None:
        return
    task_id, name = current
    TaskProgress.objects.update_or_create(
        task_id=task_id,
        defaults={"task_name": name, "percent": max(0, min(int(percent), 100)), "message": message[:500]},
    )
    beat()


def beat(force: bool = False) -> None:
    """Tell the others this worker is alive (at most every few seconds)."""
    from journey.web.background import worker

    now = time.monotonic()
    if worker.CURRENT_WORKER_ID is None or (not force and now - _LAST_BEAT[0] < HEARTBEAT_EVERY):
        return
    _LAST_BEAT[0] = now
    from journey.web.background.models import WorkerProcess

    WorkerProcess.objects.filter(worker_id=worker.CURRENT_WORKER_ID).update(seen_at=timezone.now())


def _started(sender: Any, task_result: Any, **kwargs: Any) -> None:
    _CURRENT.set((str(task_result.id), task_result.task.name))
    report(0, "Started")


def _finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    from journey.web.background.models import TaskProgress

    if task_result.status == TaskResultStatus.SUCCESSFUL:
        TaskProgress.objects.filter(task_id=str(task_result.id)).update(
            percent=100, updated_at=timezone.now()
        )
    _CURRENT.set(None)


def connect() -> None:
    task_started.connect(_started, dispatch_uid="journey.background.started")
    task_finished.connect(_finished, dispatch_uid="journey.background.finished")
