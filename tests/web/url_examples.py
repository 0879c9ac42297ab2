"""Example URL arguments for the permission test, one entry per URL that takes arguments.

Each app adds the objects its URLs point at. Keys are ``namespace:name``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

EXAMPLE_PLAN = Path(__file__).parent / "data" / "plan.yaml"


def _web_examples(examples: dict[str, dict[str, Any]]) -> None:
    """Users, measures and load jobs (the web engineer's URLs)."""
    from journey.web.accounts.models import Team, User
    from journey.web.plans import services as plan_services

    person = User.objects.create_user(username="example-person", password="x-unused-9876")
    examples["accounts:user_edit"] = {"pk": person.pk}
    examples["accounts:team_edit"] = {"pk": Team.objects.create(name="Example team").pk}
    examples["accounts:password_reset"] = {"pk": person.pk}
    version, _ = plan_services.save_plan_version(
        EXAMPLE_PLAN.read_text(), filename="plan.yaml", user=None
    )
    examples["plans:plan_version"] = {"pk": version.pk}
    for name in ("plans:measure", "plans:measure_chart", "plans:child_list", "plans:manual_entry"):
        examples[name] = {"measure_id": "cp_visits"}

    from journey.web.casedata.models import LoadJob

    job = LoadJob.objects.create(
        original_name="example.csv", stored_path="/nonexistent", sha256="0" * 64, status="done"
    )
    for name in ("casedata:job", "casedata:job_status", "casedata:accept", "casedata:cancel"):
        examples[name] = {"pk": job.pk}

    from journey.web.casedata.models import DataSnapshot

    snapshot = DataSnapshot.objects.create(sha256="1" * 64, accepted_by_name="example")
    for name in ("casedata:snapshot", "casedata:activate"):
        examples[name] = {"sha256": snapshot.sha256}

    from journey.web.plans.models import ObservationImport

    record = ObservationImport.objects.create(file_name="example.csv", sha256="0" * 64)
    examples["casedata:import_detail"] = {"pk": record.pk}


def _workflow_examples(examples: dict[str, dict[str, Any]]) -> None:
    """Narrative and actions (the workflow engineer's URLs): a measure, month and action
    of the active plan, or of the workflow test plan when none is active yet."""
    from journey.web.actions import services as action_services
    from journey.web.narrative.planlink import current_plan
    from tests.web.workflow_plan import activate_plan

    plan = current_plan()
    if plan is None or not plan.actions:
        activate_plan()
        plan = current_plan()
    measure_id = plan.measures[0].id
    for name in ("narrative:edit", "narrative:review", "narrative:history", "narrative:confirm_figures"):
        examples[name] = {"measure_id": measure_id, "month": "2024-06"}
    action_services.ensure_synced()
    number = plan.actions[0].number
    for name in ("actions:detail", "actions:update"):
        examples[name] = {"number": number}


def _reports_examples(examples: dict[str, dict[str, Any]]) -> None:
    """A finished report build (the reports engineer's URLs)."""
    from journey.web.reports.models import ReportBuild

    build = ReportBuild.objects.create(
        kind="monthly", period="2024-06", format="csv", status=ReportBuild.Status.DONE,
        content=b"Measure\r\n", filename="monthly-report-2024-06.csv", media_type="text/csv", size=9,
    )
    for name in ("reports:status", "reports:download", "reports:publish"):
        examples[name] = {"pk": build.pk}


def _reporttext_examples(examples: dict[str, dict[str, Any]]) -> None:
    """A scrutiny report's sections for June 2024 (the report-text pages)."""
    examples["reporttext:sections"] = {"kind": "scrutiny", "period": "2024-06"}
    examples["reporttext:edit"] = {"kind": "scrutiny", "period": "2024-06", "section": "executive_summary"}


def build_examples() -> dict[str, dict[str, Any]]:
    examples: dict[str, dict[str, Any]] = {}
    _web_examples(examples)
    _workflow_examples(examples)
    _reports_examples(examples)
    _reporttext_examples(examples)
    return examples
