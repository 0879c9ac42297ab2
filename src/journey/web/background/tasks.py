"""The queue's own housekeeping, as a daily task."""

from __future__ import annotations

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone
from django_tasks import task

from journey.web.background.models import QueuedOnce, TaskProgress

KEEP_DAYS = 14
"""Finished tasks (and their progress) are kept this long for the Background work page."""


@task(priority=-80)
def prune_finished_tasks() -> int:
    """Forget tasks finished more than two weeks ago (failed ones after eight weeks)."""
    from django_tasks_db.models import DBTaskResult

    before = DBTaskResult.objects.count()
    call_command("prune_db_task_results", min_age_days=KEEP_DAYS, failed_min_age_days=4 * KEEP_DAYS, verbosity=0)
    cutoff = timezone.now() - timedelta(days=KEEP_DAYS)
    kept = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    TaskProgress.objects.filter(updated_at__lt=cutoff).exclude(task_id__in=kept).delete()
    QueuedOnce.objects.filter(queued_at__lt=cutoff).delete()
    return before - DBTaskResult.objects.count()
