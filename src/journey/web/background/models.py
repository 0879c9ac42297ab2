"""What the queue itself (``django_tasks_db``) does not keep: progress, workers, schedules."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TaskProgress(models.Model):
    """How far a running task has got, in words and per cent (one row per task)."""

    task_id = models.CharField(max_length=64, unique=True)
    task_name = models.CharField(max_length=200)
    percent = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return f"{self.task_name} {self.percent}%"


class WorkerProcess(models.Model):
    """A running ``journey worker``: it says it is alive every few seconds.

    A task left running by a worker that stopped saying so (or whose process is gone, on
    the same machine) is put back in the queue by the next worker that notices.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["host", "pid"]

    def __str__(self) -> str:
        return f"{self.host} process {self.pid}"


class Schedule(models.Model):
    """When a periodic task (e.g. the watched folder) is next due; claimed by one worker."""

    name = models.CharField(max_length=64, unique=True)
    next_run_at = models.DateTimeField()
    last_task_id = models.CharField(max_length=64, blank=True, default="")
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Reminder(models.Model):
    """A reminder e-mailed to a user (at most one of each kind per user per day)."""

    class Kind(models.TextChoices):
        ACTIONS_DUE = "actions_due", "Actions due"
        NARRATIVE = "narrative", "Narrative requested"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    subjects = models.JSONField(default=list, help_text="The actions or measures it named")
    notify_id = models.CharField(max_length=64, blank=True, default="")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "user", "day"], name="one_reminder_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user} on {self.day}"


class WatchedExtract(models.Model):
    """An extract found in the watched folder and proposed to the data team (once)."""

    sha256 = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=255)
    found_at = models.DateTimeField(auto_now_add=True)
    job_id = models.BigIntegerField(null=True, blank=True, help_text="The load job proposing it")
    problem = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-found_at"]

    def __str__(self) -> str:
        return self.name


class QueuedOnce(models.Model):
    """A task queued under a key that must not be queued again for a while (e.g. one
    warm-up per data version, whichever web process asks first)."""

    key = models.CharField(max_length=200, unique=True)
    queued_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
