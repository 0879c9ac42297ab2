"""Checking and loading extracts as tasks: queued by the data loads page, run by ``journey worker``."""

from __future__ import annotations

from typing import Any

from django_tasks import TaskResultStatus, task


@task()
def check_extract(job_id: int) -> None:
    """Read and check an uploaded extract and work out what accepting it would change."""
    from journey.web.casedata.services import check_job

    check_job(job_id)


@task()
def load_extract(job_id: int) -> None:
    """Accept a checked extract: keep the snapshot and put its figures in use."""
    from journey.web.casedata.services import load_job

    load_job(job_id)


def load_task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """A check or load whose task failed outside the job's own handling (its worker stopped,
    three times) is recorded as failed, so its page does not wait for ever. A load that
    was stopped changed nothing (``services.accept``), and the page says so."""
    if task_result.status != TaskResultStatus.FAILED:
        return
    if task_result.task.func not in (check_extract.func, load_extract.func):
        return
    from journey.web.casedata.services import fail_interrupted

    fail_interrupted(task_result.args[0])
