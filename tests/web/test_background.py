"""The task queue: workers claim tasks from the database, recover abandoned ones, run
periodic tasks once, and show what they are doing."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from journey.web.background import schedules, worker
from journey.web.background.models import Schedule, TaskProgress, WorkerProcess
from journey.web.reports.models import ReportBuild

RAN: list[int] = []
DATA = Path(__file__).parent / "data"


@task()
def note_number(number: int) -> int:
    """A task for these tests: remembers it ran, and reports progress."""
    from journey.web.background import progress

    progress.report(50, f"Half way through {number}")
    RAN.append(number)
    return number * 2


@pytest.fixture
def queue(settings, db):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    RAN.clear()
    yield
    RAN.clear()



def _last_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])  # noqa: S603
    process.wait()
    return process.pid


def test_a_worker_runs_queued_tasks_in_order_and_keeps_their_results_and_progress(queue):
    first = note_number.enqueue(1)
    second = note_number.enqueue(2)
    assert DBTaskResult.objects.ready().count() == 2
    assert worker.run_ready_tasks() == 2
    assert RAN == [1, 2]
    first.refresh()
    assert first.status == TaskResultStatus.SUCCESSFUL and first.return_value == 2
    progress = TaskProgress.objects.get(task_id=str(second.id))
    assert (progress.percent, progress.message) == (100, "Half way through 2")
    assert not WorkerProcess.objects.exists()  # a worker that stops says so


def test_a_task_left_running_by_a_worker_that_stopped_is_queued_again_then_failed(queue):
    result = note_number.enqueue(7)
    dead = _last_pid()
    for attempt in range(1, worker.MAX_ATTEMPTS + 1):
        row = DBTaskResult.objects.get(pk=result.id)
        gone = f"{worker.socket.gethostname()[:40]}.{dead}.attempt{attempt}"
        WorkerProcess.objects.create(worker_id=gone, host=worker.socket.gethostname(), pid=dead, seen_at=timezone.now())
        row.claim(gone)
        assert worker.recover_abandoned() == [str(result.id)]
        row.refresh_from_db()
        expected = TaskResultStatus.READY if attempt < worker.MAX_ATTEMPTS else TaskResultStatus.FAILED
        assert row.status == expected
    assert "The worker stopped while running this task, 3 times." in row.traceback
    assert worker.run_ready_tasks() == 0 and RAN == []


def test_a_task_whose_worker_is_alive_elsewhere_is_left_alone_until_it_falls_silent(queue, settings):
    result = note_number.enqueue(3)
    row = DBTaskResult.objects.get(pk=result.id)
    WorkerProcess.objects.create(worker_id="other-machine.1.x", host="other-machine", pid=1, seen_at=timezone.now())
    row.claim("other-machine.1.x")
    assert worker.recover_abandoned() == []
    WorkerProcess.objects.update(seen_at=timezone.now() - timedelta(seconds=settings.JOURNEY_WORKER_STALE_SECONDS + 1))
    assert worker.recover_abandoned() == [str(result.id)]
    assert worker.run_ready_tasks() == 1 and RAN == [3]


def test_a_report_whose_worker_kept_stopping_is_recorded_as_failed(queue, make_user):
    from journey.web.reports import services

    user = make_user("board_member", "reader")
    build = services.request_build(user, "monthly", "2023-06", "csv")
    dead = _last_pid()
    row = DBTaskResult.objects.get()
    for attempt in range(worker.MAX_ATTEMPTS):
        row.claim(f"here.{dead}.{attempt}")
        WorkerProcess.objects.create(worker_id=f"here.{dead}.{attempt}", host=worker.socket.gethostname(), pid=dead, seen_at=timezone.now())
        worker.recover_abandoned()
        row.refresh_from_db()
    build.refresh_from_db()
    assert build.status == ReportBuild.Status.FAILED
    assert "interrupted" in build.message


def test_a_periodic_task_is_queued_once_when_due_however_many_workers_look(queue, monkeypatch):
    every = schedules.Periodic("numbers", "tests.web.test_background.note_number_seven", lambda: timedelta(minutes=5))
    monkeypatch.setattr(schedules, "SCHEDULES", [every])
    now = timezone.now()
    assert schedules.enqueue_due(now) == []  # first seen: due in five minutes
    later = now + timedelta(minutes=6)
    assert schedules.enqueue_due(later) == ["numbers"]
    assert schedules.enqueue_due(later) == []  # another worker, the same moment
    assert DBTaskResult.objects.count() == 1
    assert Schedule.objects.get().next_run_at == later + timedelta(minutes=5)
    off = schedules.Periodic("numbers", "tests.web.test_background.note_number_seven", lambda: None)
    monkeypatch.setattr(schedules, "SCHEDULES", [off])
    assert schedules.enqueue_due(later + timedelta(days=1)) == []


@task()
def note_number_seven() -> int:
    RAN.append(7)
    return 7


def test_a_daily_schedule_runs_at_its_time_of_day(db):
    from datetime import time

    daily = schedules.Periodic("daily", "x.y", lambda: timedelta(days=1), at=time(7, 0))
    at_six = timezone.make_aware(timezone.datetime(2024, 3, 4, 6, 0))
    assert timezone.localtime(daily.next_after(at_six)).strftime("%Y-%m-%d %H:%M") == "2024-03-04 07:00"
    at_eight = at_six + timedelta(hours=2)
    assert timezone.localtime(daily.next_after(at_eight)).strftime("%Y-%m-%d %H:%M") == "2024-03-05 07:00"


def test_the_background_page_shows_workers_and_tasks_to_administrators_only(queue, client_for):
    note_number.enqueue(4)
    admin = client_for("administrator")
    page = admin.get(reverse("background:index")).content.decode()
    assert "No worker is running" in page and "Note number" in page and "Waiting" in page
    WorkerProcess.objects.create(worker_id="w1", host="other-machine", pid=1, seen_at=timezone.now())
    page = admin.get(reverse("background:index")).content.decode()
    assert "No worker is running" not in page and "other-machine" in page
    board = client_for("board_member", "board")
    assert board.get(reverse("background:index")).status_code == 403


def test_a_report_someone_waits_for_runs_before_a_page_warm_up_queued_earlier(queue, make_user):
    from journey.web.plans.tasks import warm_up_pages
    from journey.web.reports import services

    warm_up_pages.enqueue()
    services.request_build(make_user("board_member", "reader"), "monthly", "2023-06", "csv")
    first = worker.Worker(batch=True, own_connections=False)
    first.claim()
    (running,) = DBTaskResult.objects.running()
    assert running.task_path.endswith("build_report")


def test_a_task_queued_once_is_not_queued_again_by_another_process_with_its_own_cache(queue):
    from django.core.cache import cache

    from journey.web.background.services import enqueue_once

    assert enqueue_once(note_number, "numbers-v1", 1) is True
    cache.clear()  # another web process: nothing in its cache, the database decides
    assert enqueue_once(note_number, "numbers-v1", 1) is False
    assert enqueue_once(note_number, "numbers-v2", 2) is True
    assert DBTaskResult.objects.count() == 2


def test_the_warm_up_queues_each_earlier_month_as_its_own_small_task(settings, db, tmp_path):
    from django_tasks import task_backends

    from journey.web.plans import services
    from journey.web.plans.tasks import warm_up_pages

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    services.import_observations(DATA / "observations.csv", user=None)
    months = services.months_available()
    warm_up_pages.call()
    queued = task_backends["default"].results
    assert [(r.task.name, r.args) for r in queued] == [
        ("warm_up_month", [m]) for m in reversed(months[-12:-1])
    ]
    assert all(r.task.priority < warm_up_pages.priority for r in queued)


def test_tasks_finished_more_than_two_weeks_ago_are_forgotten_with_their_progress(queue):
    from journey.web.background.tasks import prune_finished_tasks

    old, recent = note_number.enqueue(1), note_number.enqueue(2)
    worker.run_ready_tasks()
    DBTaskResult.objects.filter(pk=old.id).update(finished_at=timezone.now() - timedelta(days=15))
    TaskProgress.objects.filter(task_id=str(old.id)).update(updated_at=timezone.now() - timedelta(days=15))
    assert prune_finished_tasks.call() == 1
    assert str(DBTaskResult.objects.get().pk) == str(recent.id)
    assert list(TaskProgress.objects.values_list("task_id", flat=True)) == [str(recent.id)]
