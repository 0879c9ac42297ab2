"""Record the figures computed before snapshots were kept, so that nothing is lost.

Each extract snapshot behind the computed figures in use becomes a (legacy) snapshot
holding exactly those figures, in the order they were first stored, each accepted on top
of the one before; the last is active. The figures in use do not change.
"""

import json
from pathlib import Path

from django.conf import settings
from django.db import migrations
from django.db.models import Min

SNAPSHOT_ID = r"^[0-9a-f]{64}$"
FIELDS = ("measure_id", "period", "period_type", "breakdown", "breakdown_value", "value",
          "numerator", "denominator", "flagged", "as_at")


def _manifest(sha: str) -> dict:
    path = Path(settings.DATA_DIR) / "store" / "snapshots" / sha / "manifest.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def keep_figures(apps, schema_editor):
    Observation = apps.get_model("plans", "Observation")
    DataSnapshot = apps.get_model("casedata", "DataSnapshot")
    SnapshotFigure = apps.get_model("casedata", "SnapshotFigure")
    SnapshotActivation = apps.get_model("casedata", "SnapshotActivation")
    computed = Observation.objects.filter(source="computed", snapshot__regex=SNAPSHOT_ID)
    order = (
        computed.values("snapshot").annotate(first=Min("created")).order_by("first", "snapshot")
    )
    previous = None
    for entry in order:
        sha = entry["snapshot"]
        rows = list(computed.filter(snapshot=sha).values_list(*FIELDS))
        cover: dict[str, set[str]] = {}
        for row in rows:
            cover.setdefault(row[0], set()).add(row[1])
        manifest = _manifest(sha)
        snapshot = DataSnapshot.objects.create(
            sha256=sha,
            as_at=manifest.get("as_at"),
            la_code=manifest.get("la_code") or "",
            format=manifest.get("format", ""),
            files=[f["name"] for f in manifest.get("files", [])],
            rows=manifest.get("rows", {}),
            present=manifest.get("present"),
            based_on=previous,
            coverage={m: sorted(p) for m, p in sorted(cover.items())},
            figures=len(rows),
            accepted_by_name=manifest.get("loaded_by", ""),
            legacy=True,
        )
        SnapshotFigure.objects.bulk_create(
            [
                SnapshotFigure(snapshot=snapshot, **dict(zip(FIELDS, row, strict=True)))
                for row in rows
            ],
            batch_size=1000,
        )
        computed.filter(snapshot=sha).update(data_snapshot=snapshot)
        previous = snapshot
    if previous is not None:
        DataSnapshot.objects.filter(pk=previous.pk).update(active=True)
        SnapshotActivation.objects.create(
            snapshot=previous, kind="upgraded",
            reason="The figures in use when snapshots began to be kept.",
        )


def forget_figures(apps, schema_editor):
    Observation = apps.get_model("plans", "Observation")
    Observation.objects.update(data_snapshot=None)
    for name in ("SnapshotActivation", "SnapshotFigure"):
        apps.get_model("casedata", name).objects.all().delete()
    DataSnapshot = apps.get_model("casedata", "DataSnapshot")
    DataSnapshot.objects.update(based_on=None, active=False)
    DataSnapshot.objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [
        ("casedata", "0002_snapshots"),
        ("plans", "0002_observation_data_snapshot"),
    ]

    operations = [migrations.RunPython(keep_figures, forget_figures)]
