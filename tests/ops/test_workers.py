"""Background work with real processes: several workers, a worker killed mid-task, and
``journey serve`` starting its own worker (no setup)."""

from __future__ import annotations

import signal
import socket
import time
import urllib.request

QUEUE = """
from tests.ops.work import append_line
for number in range({count}):
    append_line.enqueue({path!r}, number)
result = True
"""

STATUSES = """
from django_tasks_db.models import DBTaskResult
result = sorted(DBTaskResult.objects.values_list("status", flat=True))
"""


def test_two_workers_share_the_queue_and_run_each_task_exactly_once(instance):
    instance.journey("worker", "--migrate", "--batch")
    lines = instance.root / "lines.txt"
    instance.python(QUEUE.format(count=40, path=str(lines)))
    first = instance.start_journey("worker", "--batch", "--interval", "0.05", log="w1.log")
    second = instance.start_journey("worker", "--batch", "--interval", "0.05", log="w2.log")
    assert first.wait(timeout=300) == 0 and second.wait(timeout=300) == 0, instance.log("w1.log")
    written = lines.read_text().splitlines()
    numbers = sorted(int(line.split()[0]) for line in written)
    assert numbers == list(range(40))  # every task once: none lost, none run twice
    assert instance.python(STATUSES) == ["SUCCESSFUL"] * 40
    assert instance.python(
        "from journey.web.background.models import WorkerProcess\nresult = WorkerProcess.objects.count()"
    ) == 0


def test_a_task_whose_worker_is_killed_is_run_again_by_the_next_worker(instance):
    instance.journey("worker", "--migrate", "--batch")
    marker = instance.root / "marker"
    instance.python(f"from tests.ops.work import slow_then_done\nslow_then_done.enqueue({str(marker)!r})\nresult = True")
    doomed = instance.start_journey("worker", "--interval", "0.05", log="doomed.log")
    assert instance.wait_for(
        "from journey.web.background.models import TaskProgress\n"
        "result = TaskProgress.objects.filter(message='started').exists()"
    )
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=30)
    assert instance.python(STATUSES) == ["RUNNING"]  # as the dead worker left it
    instance.journey("worker", "--batch", "--interval", "0.05")
    done = instance.python(
        "from django_tasks_db.models import DBTaskResult\n"
        "row = DBTaskResult.objects.get()\n"
        "result = [row.status, row.return_value, len(row.worker_ids)]"
    )
    assert done == ["SUCCESSFUL", "done", 2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_journey_serve_starts_a_worker_beside_it_and_stops_it_with_itself(instance):
    port = _free_port()
    server = instance.start_journey("serve", "--port", str(port), log="serve.log")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2).read()  # noqa: S310
            break
        except OSError:
            time.sleep(0.2)
    workers = instance.wait_for(
        "from journey.web.background.models import WorkerProcess\n"
        "result = list(WorkerProcess.objects.values_list('pid', flat=True))"
    )
    assert len(workers) == 1
    lines = instance.root / "lines.txt"
    instance.python(QUEUE.format(count=3, path=str(lines)))
    assert instance.wait_for(STATUSES.replace("result = sorted", "result = set") + "\nresult = result == {'SUCCESSFUL'}")
    server.send_signal(signal.SIGINT)
    assert server.wait(timeout=60) is not None
    assert instance.python(
        "from journey.web.background.models import WorkerProcess\nresult = WorkerProcess.objects.count()"
    ) == 0
