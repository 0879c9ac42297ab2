"""What each scheduled read of the SSD database found (never the database's URL)."""

from __future__ import annotations

from django.db import models


class SsdRead(models.Model):
    """One scheduled read of the SSD database and what became of it."""

    class Outcome(models.TextChoices):
        READING = "reading", "Reading"
        PROPOSED = "proposed", "Proposed to the data team"
        UNCHANGED = "unchanged", "Unchanged since the last read: not proposed again"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.READING)
    message = models.CharField(max_length=500, blank=True, default="")
    tables_sha256 = models.CharField(
        max_length=64, blank=True, default="", help_text="Of the tables' files, as the store names an extract"
    )
    rows = models.JSONField(default=dict, blank=True, help_text="Rows read per SSD table")
    job_id = models.BigIntegerField(null=True, blank=True, help_text="The load job proposing it")

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"SSD read {self.started_at:%Y-%m-%d} ({self.get_outcome_display()})"
