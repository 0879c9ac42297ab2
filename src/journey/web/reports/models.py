"""Report builds: one row per report asked for, built in the background, kept for download."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ReportBuild(models.Model):
    """A report (kind, month, format) asked for by a user, and the file once built."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Building"
        DONE = "done", "Ready to download"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=16)
    period = models.CharField(max_length=7, help_text="Month as YYYY-MM")
    format = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True, default="")
    draft = models.BooleanField(default=False)
    content = models.BinaryField(null=True, blank=True, editable=False)
    filename = models.CharField(max_length=255, blank=True, default="")
    media_type = models.CharField(max_length=128, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.period} {self.format} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}
