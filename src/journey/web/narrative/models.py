"""The three-part narrative for each measure and month, with its sign-off history.

``Narrative`` is the working copy for one measure and month: the text being written,
its state and a ``version`` number that goes up by one on every change (optimistic
concurrency: a save carries the version it was based on and is refused when the number
has moved). ``approved_revision`` points at the text the board sees; it changes only
when a director approves a newer text, so editing after approval never hides the
approved one. ``NarrativeRevision`` is the history: one row, never edited, for every
save, submission, return, approval, publication, refused (conflicting) save and
confirmation. Each revision keeps the measure's figure it was made against, and
``approved_figures`` the figure the approved text stands on, so a figure revised after
approval shows beside the text ("figure revised since approval: 84.0% → 84.6%").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class NarrativeState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for sign-off"
    RETURNED = "returned", "Returned for changes"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"


class RevisionEvent(models.TextChoices):
    SAVED = "saved", "Saved"
    SUBMITTED = "submitted", "Submitted for sign-off"
    RETURNED = "returned", "Returned for changes"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    CONFLICT = "conflict", "Save refused: someone else saved first"
    CONFIRMED = "confirmed", "Confirmed against a revised figure"


class Narrative(models.Model):
    measure_id = models.CharField(max_length=64)
    month = models.CharField(max_length=7, help_text="Month as YYYY-MM")
    state = models.CharField(
        max_length=16, choices=NarrativeState.choices, default=NarrativeState.DRAFT
    )
    working_well = models.TextField(blank=True, default="")
    worried_about = models.TextField(blank=True, default="")
    doing_about = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=0)
    approved_revision = models.ForeignKey(
        "NarrativeRevision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_by_name = models.CharField(max_length=150, blank=True, default="")
    updated_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_figures = models.JSONField(
        default=dict, blank=True,
        help_text="The measure's figure the approved text stands on: at approval, or as last confirmed",
    )

    class Meta:
        ordering = ["month", "measure_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure_id", "month"], name="narrative_one_per_measure_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure_id} {self.month} ({self.state}, v{self.version})"


class NarrativeRevision(models.Model):
    narrative = models.ForeignKey(Narrative, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField(
        help_text="The narrative's version after this event (for a refused save, the "
        "version the writer had started from)."
    )
    event = models.CharField(max_length=16, choices=RevisionEvent.choices)
    state = models.CharField(max_length=16, choices=NarrativeState.choices)
    working_well = models.TextField(blank=True, default="")
    worried_about = models.TextField(blank=True, default="")
    doing_about = models.TextField(blank=True, default="")
    comment = models.TextField(blank=True, default="")
    figures = models.JSONField(
        default=dict, blank=True,
        help_text="The measure's figure for the month when this revision was made (period, value, text)",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    by_name = models.CharField(max_length=150, blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        ordering = ["narrative", "at", "id"]

    def __str__(self) -> str:
        return f"{self.narrative} {self.event} v{self.version} by {self.by_name}"
