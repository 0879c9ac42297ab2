"""Report builds (one row per report asked for, built in the background, kept for download)
and published months (what a published month's report said, frozen)."""

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
    judged_on = models.DateField(null=True, blank=True, help_text="The day the report was judged on")
    inputs_sha256 = models.CharField(
        max_length=64, blank=True, default="", help_text="Fingerprint of what the report says (not when built)"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.period} {self.format} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}


class PublishedMonth(models.Model):
    """A month whose report went out, and everything it said, kept as it was.

    Publishing freezes the month: its figures (the observations the report could show, as
    Parquet), the plan text it was judged against, and as JSON the narrative, the actions as
    rated, the benchmarks, the data notes and the revisions it reported. Every report for
    the month is built from these ever after; later data shows only as revisions beside them.
    """

    period = models.CharField(max_length=7, unique=True, help_text="Month as YYYY-MM")
    build = models.ForeignKey(ReportBuild, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_by_name = models.CharField(max_length=150, blank=True, default="")
    judged_on = models.DateField(help_text="The day actions and comparators were judged on")
    plan_text = models.TextField()
    plan_sha256 = models.CharField(max_length=64)
    inputs = models.JSONField(help_text="Narrative, actions, benchmarks, notes and revisions as published")
    figures = models.BinaryField(help_text="The figures the report could show (Parquet)")
    headline = models.JSONField(default=dict, help_text="measure id → the month's rated figure as published")
    inputs_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-period"]

    def __str__(self) -> str:
        return f"{self.period} published {self.published_at:%Y-%m-%d}"
