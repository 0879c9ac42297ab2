"""Improvement-plan actions as tracked records, with their evidence and history.

An action is defined in the plan file (number, text, owner, dates, linked measures) and
tracked here (status, percentage complete, progress note, evidence). ``services.sync``
copies the plan's definition into ``TrackedAction`` whenever the active plan changes:
new actions are added, actions no longer in the plan are kept but marked
``in_plan=False``, and the progress recorded here is kept. ``ActionUpdate`` is the
history (never edited): imports, changes made in the plan, updates by people, evidence.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    BLOCKED = "blocked", "Blocked"
    COMPLETED = "completed", "Completed"


class TrackedAction(models.Model):
    number = models.CharField(max_length=32, unique=True)
    text = models.TextField()
    owner = models.CharField(max_length=255, blank=True, default="")
    priority_id = models.CharField(max_length=64, blank=True, default="")
    priority_title = models.CharField(max_length=255, blank=True, default="")
    position = models.PositiveIntegerField(default=0, help_text="Order in the plan file")
    start = models.DateField(null=True, blank=True)
    due = models.DateField()
    measures = models.JSONField(default=list, blank=True)
    plan_status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.NOT_STARTED,
        help_text="The status the plan file gave at the last synchronisation",
    )
    plan_percent = models.PositiveSmallIntegerField(default=0)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    percent_complete = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)]
    )
    progress_note = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by_name = models.CharField(max_length=150, blank=True, default="")

    in_plan = models.BooleanField(default=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(percent_complete__lte=100),
                name="actions_percent_at_most_100",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text[:60]}"


class ActionEvidence(models.Model):
    action = models.ForeignKey(TrackedAction, on_delete=models.CASCADE, related_name="evidence")
    text = models.TextField()
    link = models.URLField(max_length=500, blank=True, default="")
    from_plan = models.BooleanField(default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    added_by_name = models.CharField(max_length=150, blank=True, default="")
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class UpdateKind(models.TextChoices):
    IMPORTED = "imported", "Imported from the plan"
    PLAN_CHANGED = "plan_changed", "Changed in the plan"
    REMOVED = "removed", "No longer in the plan"
    RESTORED = "restored", "Back in the plan"
    UPDATED = "updated", "Progress updated"
    EVIDENCE = "evidence", "Evidence added"


class ActionUpdate(models.Model):
    action = models.ForeignKey(TrackedAction, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=16, choices=UpdateKind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    by_name = models.CharField(max_length=150, blank=True, default="")
    status_before = models.CharField(max_length=16, blank=True, default="")
    status_after = models.CharField(max_length=16, blank=True, default="")
    percent_before = models.PositiveSmallIntegerField(null=True, blank=True)
    percent_after = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True, default="")
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.action.number} {self.kind} {self.at:%Y-%m-%d}"


class PlanSync(models.Model):
    """One synchronisation of the actions with the active plan."""

    fingerprint = models.CharField(max_length=64)
    at = models.DateTimeField()
    added = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    restored = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} +{self.added} ~{self.changed} -{self.removed}"
