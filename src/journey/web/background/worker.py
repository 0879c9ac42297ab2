"""``journey worker``: runs the queued tasks, one at a time, until told to stop.

Several workers (on one machine or several) share the queue in the database: a task is
claimed in an exclusive transaction (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL),
so each runs once. A worker says it is alive every few seconds; a task left running by a
worker that has stopped (its process gone on this machine, or silent for
``JOURNEY_WORKER_STALE_SECONDS`` elsewhere) is put back in the queue, up to
``MAX_ATTEMPTS`` times, then recorded as failed. The same loop enqueues periodic tasks
(:mod:`journey.web.background.schedules`) when they are due, once across all workers.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from datetime import timedelta
from types import FrameType
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.db.utils import OperationalError
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks import TaskResultStatus
from django_tasks.signals import task_finished
from django_tasks_db.management.commands.db_worker import Worker as DatabaseWorker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from journey.web.background import progress
from journey.web.background.models import WorkerProcess

log = logging.getLogger(__name__)

CURRENT_WORKER_ID: str | None = None
"""This process's worker id while it runs as a worker (heartbeats from task progress)."""

MAX_ATTEMPTS = 3
HOUSEKEEPING_EVERY = 15.0
"""Seconds between looking for abandoned tasks and due schedules."""


class WorkerLost(Exception):
    """The worker running a task stopped before the task finished."""


def stale_after() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "JOURNEY_WORKER_STALE_SECONDS", 300)))


def new_worker_id() -> str:
    host = socket.gethostname()[:40]
    return f"{host}.{os.getpid()}.{get_random_string(8)}"[:64]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_workers() -> list[WorkerProcess]:
    """Workers that said they were alive recently (and, on this machine, still exist)."""
    cutoff = timezone.now() - stale_after()
    host = socket.gethostname()[:255]
    return [
        w for w in WorkerProcess.objects.filter(seen_at__gte=cutoff)
        if w.host != host or _process_alive(w.pid)
    ]


def _worker_gone(worker_id: str, workers: dict[str, WorkerProcess], host: str) -> bool:
    known = workers.get(worker_id)
    if known is None:
        return True
    if known.host == host and not _process_alive(known.pid):
        return True
    return known.seen_at < timezone.now() - stale_after()


def recover_abandoned() -> list[str]:
    """Put back in the queue the tasks whose worker has gone; fail them after
    ``MAX_ATTEMPTS``. Returns the ids of the tasks it touched."""
    host = socket.gethostname()[:255]
    touched = []
    workers = {w.worker_id: w for w in WorkerProcess.objects.all()}
    for result in DBTaskResult.objects.running():
        if result.worker_ids and not _worker_gone(result.worker_ids[-1], workers, host):
            continue
        with exclusive_transaction(result._state.db):
            # Another worker may have dealt with it meanwhile.
            current = DBTaskResult.objects.select_for_update().filter(
                pk=result.pk, status=TaskResultStatus.RUNNING
            ).first()
            if current is None or current.worker_ids != result.worker_ids:
                continue
            if len(current.worker_ids) >= MAX_ATTEMPTS:
                current.set_failed(WorkerLost(
                    f"The worker stopped while running this task, {len(current.worker_ids)} times."
                ))
                failed = True
            else:
                current.status = TaskResultStatus.READY
                current.started_at = None
                current.save(update_fields=["status", "started_at"])
                failed = False
        touched.append(str(result.pk))
        log.warning("task %s (%s) was abandoned by worker %s: %s", result.pk, result.task_path,
                    (result.worker_ids or ["?"])[-1], "failed" if failed else "queued again")
        if failed:
            try:
                task_finished.send(sender=DBTaskResult, task_result=current.task_result)
            except ImportError:
                log.exception("task %s no longer exists", result.pk)
    # Forget workers gone for good (a day without a heartbeat).
    WorkerProcess.objects.filter(seen_at__lt=timezone.now() - timedelta(days=1)).delete()
    return touched


class Worker:
    """Claims and runs tasks from the database queue (see the module's docstring)."""

    def __init__(
        self,
        *,
        queue_names: list[str] | None = None,
        interval: float = 1.0,
        batch: bool = False,
        max_tasks: int | None = None,
        backend_name: str = "default",
        worker_id: str | None = None,
        own_connections: bool = True,
    ) -> None:
        self.own_connections = own_connections
        """Close stale database connections between tasks, as a request would (not when
        run inside another's transaction, e.g. a test's)."""
        self.queue_names = queue_names or ["default"]
        self.interval = interval
        self.batch = batch
        self.max_tasks = max_tasks
        self.backend_name = backend_name
        self.worker_id = worker_id or new_worker_id()
        self.running = True
        self.ran = 0
        self._runner = DatabaseWorker(
            queue_names=self.queue_names, interval=interval, batch=batch,
            backend_name=backend_name, startup_delay=False, max_tasks=max_tasks,
            worker_id=self.worker_id, excluded_queue_names=[],
        )
        self._housekept = 0.0

    # -------------------------------------------------------------- signals

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        if not self.running or not self._runner.running_task:
            raise SystemExit(0)  # idle, or asked twice: stop now (a running task is recovered)
        log.warning("%s: finishing the current task, then stopping", signal.strsignal(signum))
        self.running = False

    def configure_signals(self) -> None:
        for name in ("SIGINT", "SIGTERM", "SIGQUIT"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), self._stop)

    # ----------------------------------------------------------------- loop

    def register(self) -> None:
        global CURRENT_WORKER_ID
        WorkerProcess.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={"host": socket.gethostname()[:255], "pid": os.getpid(), "seen_at": timezone.now()},
        )
        CURRENT_WORKER_ID = self.worker_id

    def unregister(self) -> None:
        global CURRENT_WORKER_ID
        CURRENT_WORKER_ID = None
        try:
            WorkerProcess.objects.filter(worker_id=self.worker_id).delete()
        except OperationalError:
            log.exception("could not remove worker %s", self.worker_id)

    def housekeeping(self, force: bool = False) -> None:
        from journey.web.background import schedules

        now = time.monotonic()
        if not force and now - self._housekept < HOUSEKEEPING_EVERY:
            return
        self._housekept = now
        try:
            recover_abandoned()
            schedules.enqueue_due()
        except OperationalError as error:
            if not is_locked_database_exception(error):
                raise

    def claim(self) -> DBTaskResult | None | bool:
        """The next ready task, claimed for this worker; ``None`` when the queue is empty;
        ``False`` when the database was busy (SQLite: try again)."""
        tasks = DBTaskResult.objects.ready().filter(
            backend_name=self.backend_name, queue_name__in=self.queue_names
        )
        try:
            with exclusive_transaction(tasks.db):
                result = tasks.get_locked()
                if result is not None:
                    result.claim(self.worker_id)
                return result
        except OperationalError as error:
            if is_locked_database_exception(error):
                return False
            raise

    def run_one(self) -> bool | None:
        """Claim and run one ready task. Returns whether there was one (``None``: the
        database was busy, so it is not known)."""
        result = self.claim()
        if not isinstance(result, DBTaskResult):
            return None if result is False else False
        self._runner.run_task(result)
        self.ran += 1
        return True

    def run(self) -> None:
        self.register()
        log.info("worker %s started (queues: %s)", self.worker_id, ", ".join(self.queue_names))
        try:
            self.housekeeping(force=True)
            while self.running:
                if self.own_connections:
                    close_old_connections()
                progress.beat()
                self.housekeeping()
                found = self.run_one()
                if self.max_tasks is not None and self.ran >= self.max_tasks:
                    break
                if found is False and self.batch:
                    break  # the queue is empty
                if not found:
                    time.sleep(self.interval)
        finally:
            self.unregister()
            log.info("worker %s stopped after %d task(s)", self.worker_id, self.ran)


def run_ready_tasks(**options: Any) -> int:
    """Run every ready task in this process, then return how many ran (tests, commands)."""
    worker = Worker(batch=True, own_connections=False, **options)
    worker.run()
    return worker.ran
