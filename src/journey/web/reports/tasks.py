"""Report builds as tasks: queued by the Reports page, run by ``journey worker``."""

from __future__ import annotations

from typing import Any

from django_tasks import TaskResultStatus, task


@task(priority=50)
def build_report(build_id: int) -> None:
    """Assemble and render one requested report (progress on the build's page)."""
    from journey.web.reports.services import run_build

    run_build(build_id)


def build_task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """A build whose task failed outside :func:`run_build` (its worker stopped, three
    times) is recorded as failed, so its page does not wait for ever."""
    if task_result.status != TaskResultStatus.FAILED or task_result.task.func is not build_report.func:
        return
    from journey.web.reports.models import ReportBuild
    from journey.web.reports.services import fail_interrupted

    build = ReportBuild.objects.filter(pk=task_result.args[0]).first()
    if build is not None and build.running:
        fail_interrupted(build)
