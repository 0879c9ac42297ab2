"""The sections of the scrutiny and quarterly reports that people write.

One ``ReportText`` per report kind, period and section (``journey.engine.reports.written``
lists the sections): the working text, its ``version`` (a save carries the version it was
based on and is refused when it has moved, as narrative), and ``approved_revision``, the
text the report prints, which changes only when a director approves a newer one.
``ReportTextRevision`` is the history, one row per save, approval or refused save.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TextEvent(models.TextChoices):
    SAVED = "saved", "Saved"
    APPROVED = "approved", "Approved"
    CONFLICT = "conflict", "Save refused: someone else saved first"


class ReportText(models.Model):
    kind = models.CharField(max_length=16, help_text="scrutiny or quarterly")
    period = models.CharField(max_length=7, help_text="The report's month, YYYY-MM")
    section = models.CharField(max_length=64)
    text = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=0)
    approved_revision = models.ForeignKey(
        "ReportTextRevision", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by_name = models.CharField(max_length=150, blank=True, default="")
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "period", "section"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "period", "section"], name="report_text_one_per_section")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period} {self.section} (v{self.version})"

    @property
    def approved_is_current(self) -> bool:
        return self.approved_revision is not None and self.approved_revision.version == self.version


class ReportTextRevision(models.Model):
    report_text = models.ForeignKey(ReportText, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    event = models.CharField(max_length=16, choices=TextEvent.choices)
    text = models.TextField(blank=True, default="")
    written_by_name = models.CharField(max_length=150, blank=True, default="")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_name = models.CharField(max_length=150, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        ordering = ["report_text", "at", "id"]

    def __str__(self) -> str:
        return f"{self.report_text} {self.event} v{self.version} by {self.by_name}"
