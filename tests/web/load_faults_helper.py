"""Run in a subprocess by ``test_load_faults``: set up a council, or say what state it is in.

``python -m tests.web.load_faults_helper setup PLAN`` brings the database (from
``DATABASE_URL`` / ``JOURNEY_DATA_DIR``) up to date and makes PLAN the active plan;
``... state`` prints, as JSON, everything a load may change: the figures in use (a hash of
every field of every figure), the active and accepted snapshots, and the snapshot store
on disk, first as the killed load left it and then after the next load's recovery.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any


def _store_state(root: Path) -> dict[str, Any]:
    snapshots = root / "snapshots"
    folders = sorted(p for p in snapshots.iterdir()) if snapshots.is_dir() else []
    return {
        "whole": sorted(p.name for p in folders if (p / "manifest.json").is_file()),
        "partial": sorted(p.name for p in folders if not (p / "manifest.json").is_file()),
        "pending": sorted(p.stem for p in (root / "pending").glob("*.json")),
        "temporary": sorted(p.name for p in root.glob(".loading-*")),
    }


def _database_state() -> dict[str, Any]:
    from journey.web.casedata.models import DataSnapshot
    from journey.web.plans.models import Observation

    rows = Observation.objects.order_by(
        "measure_id", "period", "period_type", "breakdown", "breakdown_value"
    ).values_list(
        "measure_id", "period", "period_type", "breakdown", "breakdown_value", "value",
        "numerator", "denominator", "flagged", "snapshot", "as_at", "source",
        "data_snapshot__sha256",
    )
    text = "\n".join(repr(row) for row in rows)
    active = DataSnapshot.objects.filter(active=True).values_list("sha256", flat=True).first()
    return {
        "figures": hashlib.sha256(text.encode()).hexdigest(),
        "count": len(rows),
        "active": active,
        "accepted": sorted(DataSnapshot.objects.values_list("sha256", flat=True)),
    }


def main(argv: list[str]) -> None:
    from journey.cli._django import setup_django

    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    if argv[0] == "setup":
        from journey.web.plans import services

        call_command("migrate", interactive=False, verbosity=0)
        services.save_plan_version(Path(argv[1]).read_text(), filename="plan.yaml", user=None)
        return
    from journey.web.casedata import figures

    store = Path(settings.DATA_DIR) / "store"
    left = _store_state(store)
    figures.recover_if_free()
    print(json.dumps({"left": left, "store": _store_state(store), **_database_state()}))


if __name__ == "__main__":
    main(sys.argv[1:])
