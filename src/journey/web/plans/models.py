"""The improvement plan as uploaded, and the monthly figures it is judged on.

The plan itself lives as YAML text (``PlanVersion``): the engine parses it on use and
the parsed plan is cached per sha256, so the text is always the single source of truth.
``Observation`` holds one figure for one measure, period and breakdown, whatever its
source: computed from case data, entered by hand or imported from a CSV.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class PlanVersion(models.Model):
    """One version of the plan file; exactly one is active at a time."""

    class Origin(models.TextChoices):
        UPLOAD = "upload", "Uploaded file"
        EDIT = "edit", "Edited in the browser"
        COMMAND = "command", "Loaded with the journey command"

    text = models.TextField()
    sha256 = models.CharField(max_length=64, db_index=True)
    filename = models.CharField(max_length=255, default="plan.yaml")
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.UPLOAD)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    active = models.BooleanField(default=False)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["active"],
                condition=models.Q(active=True),
                name="plans_one_active_plan_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.sha256[:10]}){' active' if self.active else ''}"


class ObservationImport(models.Model):
    """One accepted import of figures (CSV or the load of an extract)."""

    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    changes = models.JSONField(default=list, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.rows} rows)"


class Observation(models.Model):
    """One figure: a measure's value for a period (and optionally one breakdown value)."""

    class PeriodType(models.TextChoices):
        MONTH = "month", "Month"
        FYTD = "fytd", "Financial year to date"
        ROLLING12 = "rolling12", "Rolling 12 months"
        LATEST = "latest", "Latest (mid-month refresh)"

    class Source(models.TextChoices):
        COMPUTED = "computed", "Computed from case data"
        MANUAL = "manual", "Entered by hand"
        IMPORTED = "imported", "Imported from a file"

    measure_id = models.CharField(max_length=64)
    period = models.CharField(max_length=7, help_text="Month as YYYY-MM")
    period_type = models.CharField(
        max_length=16, choices=PeriodType.choices, default=PeriodType.MONTH
    )
    breakdown = models.CharField(max_length=64, blank=True, default="")
    breakdown_value = models.CharField(max_length=128, blank=True, default="")
    value = models.FloatField(null=True, blank=True)
    numerator = models.FloatField(null=True, blank=True)
    denominator = models.FloatField(null=True, blank=True)
    flagged = models.BooleanField(default=False)
    snapshot = models.CharField(max_length=128, blank=True, default="")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.IMPORTED)
    as_at = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True, default="")
    import_record = models.ForeignKey(
        ObservationImport, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="observations",
    )
    #: The snapshot that made this figure, for a figure computed from case data: such
    #: figures are replaced only by changing the active snapshot (``casedata.figures``).
    data_snapshot = models.ForeignKey(
        "casedata.DataSnapshot", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["measure_id", "period", "period_type", "breakdown", "breakdown_value"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure_id", "period", "period_type", "breakdown", "breakdown_value"],
                name="plans_one_observation_per_key",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    period_type__in=["month", "fytd", "rolling12", "latest"]
                ),
                name="plans_observation_period_type_known",
            ),
        ]
        indexes = [
            models.Index(fields=["period", "breakdown"], name="plans_obs_period_idx"),
            models.Index(fields=["measure_id", "breakdown", "period"], name="plans_obs_measure_idx"),
        ]

    def __str__(self) -> str:
        where = f" {self.breakdown}={self.breakdown_value}" if self.breakdown else ""
        return f"{self.measure_id} {self.period} {self.period_type}{where}: {self.value}"

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.measure_id, self.period, self.period_type, self.breakdown, self.breakdown_value)
