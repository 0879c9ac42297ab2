"""Tasks the process tests queue (imported by the workers as ``tests.ops.work``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from django_tasks import task


@task()
def append_line(path: str, number: int) -> int:
    """Write one line naming the task and the worker process that ran it."""
    time.sleep(0.02)
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"{number} {os.getpid()}\n")
    return number


@task()
def slow_then_done(marker: str) -> str:
    """Runs long the first time (so a test can stop its worker), briefly after that."""
    from journey.web.background import progress

    first = not Path(marker).exists()
    Path(marker).write_text("started", encoding="utf-8")
    progress.report(10, "started")
    if first:
        time.sleep(120)
    return "done"
