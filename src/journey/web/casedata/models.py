"""Extract uploads from the browser: one ``LoadJob`` per uploaded file set."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class LoadJob(models.Model):
    """An uploaded extract moving through check → accept → load → compute."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        CHECKING = "checking", "Checking"
        CHECKED = "checked", "Checked: ready to accept"
        REJECTED = "rejected", "Rejected: errors found"
        QUEUED = "queued", "Accepted: waiting to load"
        LOADING = "loading", "Loading"
        DONE = "done", "Loaded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    RUNNING = {Status.CHECKING, Status.QUEUED, Status.LOADING}

    original_name = models.CharField(max_length=255)
    stored_path = models.CharField(max_length=1024)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    kind = models.CharField(max_length=32, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True, default="")
    problems = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    snapshot = models.CharField(max_length=128, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def errors(self) -> list[dict]:
        return [p for p in self.problems if p.get("severity") == "error"]

    @property
    def warnings(self) -> list[dict]:
        return [p for p in self.problems if p.get("severity") != "error"]


class DataSnapshot(models.Model):
    """An accepted extract and the figures computed from it. Exactly one is active.

    Figures are never overwritten: each snapshot keeps its own (:class:`SnapshotFigure`).
    The figures in use (``plans.Observation`` rows with ``data_snapshot`` set) are those of
    the active snapshot for the months it computed, and for every other month those of the
    snapshot it was accepted on top of (``based_on``), and so on back. Making an earlier
    snapshot active again gives back exactly the figures in use when it was.
    """

    sha256 = models.CharField(max_length=64, unique=True)
    as_at = models.DateField(null=True, blank=True)
    la_code = models.CharField(max_length=16, blank=True, default="")
    format = models.CharField(max_length=32, blank=True, default="")
    files = models.JSONField(default=list, blank=True)
    #: Rows per table the extract gave; the tables it gave (null when not known).
    rows = models.JSONField(default=dict, blank=True)
    present = models.JSONField(null=True, blank=True)
    #: What was checked when it was accepted (``journey.engine.proposal.ExtractFacts``).
    facts = models.JSONField(default=dict, blank=True)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The snapshot active when this one was accepted.",
    )
    plan_sha256 = models.CharField(max_length=64, blank=True, default="")
    #: measure id → the months its figures cover (what they replace when in use).
    coverage = models.JSONField(default=dict, blank=True)
    #: measure id → the tables it lacked (the plan's measures not computed from it).
    not_computed = models.JSONField(default=dict, blank=True)
    figures = models.PositiveIntegerField(default=0)
    #: The warnings someone acknowledged by name to accept it: [{code, message}].
    acknowledged = models.JSONField(default=list, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    accepted_by_name = models.CharField(max_length=150, blank=True, default="")
    accepted_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=False)
    #: Figures kept from before snapshots were (the upgrade made this record of them).
    legacy = models.BooleanField(default=False)

    class Meta:
        ordering = ["-accepted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True),
                name="casedata_one_active_snapshot",
            )
        ]

    def __str__(self) -> str:
        return f"snapshot {self.short_id}{' (active)' if self.active else ''}"

    @property
    def short_id(self) -> str:
        return self.sha256[:12]


class SnapshotFigure(models.Model):
    """One figure as a snapshot computed it (the observations contract), kept for good."""

    snapshot = models.ForeignKey(DataSnapshot, on_delete=models.PROTECT, related_name="+")
    measure_id = models.CharField(max_length=64)
    period = models.CharField(max_length=7)
    period_type = models.CharField(max_length=16, default="month")
    breakdown = models.CharField(max_length=64, blank=True, default="")
    breakdown_value = models.CharField(max_length=128, blank=True, default="")
    value = models.FloatField(null=True, blank=True)
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    #: How many flagged records the figure counted.
    flagged = models.PositiveIntegerField(default=0)
    as_at = models.DateField(null=True, blank=True)
    #: What a reader must know about the figure (an understated re-referral figure says why).
    note = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "measure_id", "period", "period_type", "breakdown", "breakdown_value"],
                name="casedata_one_figure_per_snapshot_key",
            )
        ]
        indexes = [models.Index(fields=["snapshot", "period"], name="casedata_figure_period_idx")]

    def __str__(self) -> str:
        return f"{self.snapshot_id} {self.measure_id} {self.period} {self.period_type}: {self.value}"


class SnapshotActivation(models.Model):
    """Every change of the active snapshot: who, when, why, from which to which.

    ``at`` answers "which data was in use on a date": the latest activation before it.
    """

    class Kind(models.TextChoices):
        ACCEPTED = "accepted", "Accepted a new extract"
        ACTIVATED = "activated", "Made an earlier snapshot active again"
        UPGRADED = "upgraded", "Recorded the figures kept before snapshots were"

    snapshot = models.ForeignKey(DataSnapshot, on_delete=models.PROTECT, related_name="activations")
    previous = models.ForeignKey(
        DataSnapshot, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.TextField(blank=True, default="")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    by_name = models.CharField(max_length=150, blank=True, default="")
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.by_name} {self.kind} {self.snapshot_id}"


class DataLock(models.Model):
    """One row that every change of the active data updates first, inside its transaction:
    PostgreSQL then holds the row (and SQLite the database) until the commit, so two
    processes cannot change the figures in use at the same time."""

    holder = models.CharField(max_length=255, blank=True, default="")
    since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"data lock ({self.holder or 'free'})"
