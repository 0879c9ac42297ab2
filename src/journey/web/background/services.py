"""The queue as the pages see it: is a worker running, what is queued, how far it has got."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from journey.web.background.models import QueuedOnce, TaskProgress, WorkerProcess
from journey.web.background.worker import live_workers


def enqueue_once(task: Any, key: str, *args: Any, timeout: int = 6 * 3600) -> bool:
    """Enqueue ``task`` unless the same ``key`` was enqueued within ``timeout`` seconds by
    any process (a unique row in the database decides; the shared cache saves asking it on
    every page). Returns whether it did."""
    remembered = f"enqueued:{key}"
    if cache.get(remembered):
        return False
    QueuedOnce.objects.filter(queued_at__lt=timezone.now() - timedelta(seconds=timeout)).delete()
    try:
        with transaction.atomic():
            QueuedOnce.objects.create(key=key)
            task.enqueue(*args)
        queued = True
    except IntegrityError:
        queued = False
    cache.set(remembered, True, timeout)
    return queued


def task_status(task_id: str) -> str | None:
    """The queue's status of a task (READY, RUNNING, SUCCESSFUL, FAILED), None if unknown."""
    if not task_id:
        return None
    return (
        DBTaskResult.objects.filter(pk=task_id).values_list("status", flat=True).first()
        if _is_uuid(task_id) else None
    )


def _is_uuid(text: str) -> bool:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def no_worker_running() -> bool:
    """True when tasks are queued but no worker has been seen alive recently."""
    return not live_workers()


@dataclass(frozen=True)
class QueuedTask:
    id: str
    name: str
    status: str
    enqueued_at: Any
    started_at: Any
    finished_at: Any
    attempts: int
    percent: int | None
    message: str


STATUS_WORDS = {"READY": "Waiting", "RUNNING": "Running", "SUCCESSFUL": "Done", "FAILED": "Failed"}
"""The queue's statuses (as stored) in words."""


def recent_tasks(limit: int = 50) -> list[QueuedTask]:
    rows = list(
        DBTaskResult.objects.order_by("-enqueued_at").values(
            "id", "task_path", "status", "enqueued_at", "started_at", "finished_at", "worker_ids",
            "exception_class_path",
        )[:limit]
    )
    progress = {
        p.task_id: p for p in TaskProgress.objects.filter(task_id__in=[str(r["id"]) for r in rows])
    }
    out = []
    for row in rows:
        found = progress.get(str(row["id"]))
        message = found.message if found else ""
        if row["status"] == "FAILED" and row["exception_class_path"]:
            message = f"{message} – failed: {row['exception_class_path'].rsplit('.', 1)[-1]}".lstrip(" –")
        out.append(
            QueuedTask(
                id=str(row["id"]),
                name=row["task_path"].rsplit(".", 1)[-1].replace("_", " ").capitalize(),
                status=STATUS_WORDS.get(row["status"], row["status"]),
                enqueued_at=row["enqueued_at"],
                started_at=row["started_at"],
                finished_at=row["finished_at"],
                attempts=len(row["worker_ids"] or []),
                percent=found.percent if found else None,
                message=message,
            )
        )
    return out


def workers() -> list[WorkerProcess]:
    return live_workers()
