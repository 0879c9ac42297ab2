"""The children behind a figure: only for roles that may see them, always logged."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from journey.engine.spreadsheet import escape_cell
from journey.web.accounts.models import AuditEvent
from journey.web.casedata.models import LoadJob
from journey.web.plans import services as plan_services

DATA = Path(__file__).parent / "data"
CHILDREN = b"child_id,sex,date_of_birth\nQZKIDA,F,2015-03-02\n=CMD|C2,M,2012-07-19\nQZKIDC,F,2019-01-05\n"
REFERRALS = (
    b"referral_id,child_id,referral_date\n"
    b"R1,QZKIDA,2023-04-03\nR2,=CMD|C2,2023-06-10\nR3,QZKIDC,2023-06-12\n"
)


@pytest.fixture
def loaded(settings, tmp_path, db, client_for):
    settings.DATA_DIR = tmp_path
    plan_services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    from journey.web.accounts.roles import Role

    loader = client_for(Role.DATA_TEAM, "loader")
    files = [
        SimpleUploadedFile("children.csv", CHILDREN),
        SimpleUploadedFile("referrals.csv", REFERRALS),
        SimpleUploadedFile("extract.json", b'{"as_at": "2023-07-03"}'),
    ]
    loader.post(reverse("casedata:upload"), {"extract": files})
    job = LoadJob.objects.get()
    loader.post(reverse("casedata:accept", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done", (job.message, job.problems)
    loader.logout()
    return job


@pytest.mark.parametrize(
    "value,expected",
    [("=1+2", "'=1+2"), ("+44", "'+44"), ("-3", "'-3"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("\rx", "'\rx"), ("C1", "C1"), (None, ""), (12, "12")],
)
def test_cells_a_spreadsheet_would_run_as_formulas_are_escaped(value, expected):
    assert escape_cell(value) == expected


def test_a_team_manager_sees_the_children_behind_a_figure_and_the_view_is_logged(loaded, client_for):
    from journey.web.accounts.roles import Role

    manager = client_for(Role.TEAM_MANAGER, "tm")
    measure_page = manager.get(reverse("plans:measure", args=["referrals"]), {"month": "2023-06"})
    assert "See the children behind this figure" in measure_page.content.decode()
    response = manager.get(reverse("plans:child_list", args=["referrals"]), {"month": "2023-06"})
    assert response.status_code == 200
    listing = response.context["listing"]
    assert listing.available
    ids = {row[0] for row in listing.rows}
    assert ids == {"=CMD|C2", "QZKIDC"}
    event = AuditEvent.objects.get(action="viewed_child_list")
    assert event.username == "tm" and event.detail["measure"] == "referrals" and event.detail["rows"] == 2


def test_the_csv_export_escapes_formulas_and_is_logged(loaded, client_for):
    from journey.web.accounts.roles import Role

    manager = client_for(Role.TEAM_MANAGER, "tm")
    response = manager.get(
        reverse("plans:child_list", args=["referrals"]), {"month": "2023-06", "format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "Child id"
    assert "'=CMD|C2" in [r[0] for r in rows[1:]]
    assert AuditEvent.objects.filter(action="exported_child_list", username="tm").exists()


@pytest.mark.parametrize("role", ["board_member", "scrutiny", "administrator"])
def test_roles_without_child_level_access_are_refused_the_list_and_its_export(loaded, client_for, role):
    reader = client_for(role, f"reader-{role}")
    page = reader.get(reverse("plans:measure", args=["referrals"]), {"month": "2023-06"}).content.decode()
    assert "children behind" not in page.lower()
    assert "=CMD|C2" not in page
    for params in ({"month": "2023-06"}, {"month": "2023-06", "format": "csv"}):
        response = reader.get(reverse("plans:child_list", args=["referrals"]), params)
        assert response.status_code == 403
        assert b"QZKIDC" not in response.content and b"CMD|C2" not in response.content
    assert not AuditEvent.objects.filter(action__in=["viewed_child_list", "exported_child_list"]).exists()


def test_a_figure_imported_without_a_snapshot_has_no_list(loaded, client_for, tmp_path):
    from journey.web.accounts.roles import Role

    csv_file = tmp_path / "obs.csv"
    csv_file.write_text("measure_id,period,value\nreferrals,2023-05,9\n")
    plan_services.import_observations(csv_file, user=None)
    lead = client_for(Role.SERVICE_LEAD, "lead")
    response = lead.get(reverse("plans:child_list", args=["referrals"]), {"month": "2023-05"})
    assert "not computed from a stored extract" in response.content.decode()
    assert not AuditEvent.objects.filter(action="viewed_child_list").exists()


def test_a_team_manager_can_list_only_the_children_outside_the_numerator(loaded, client_for):
    from journey.web.accounts.roles import Role

    manager = client_for(Role.TEAM_MANAGER, "tm")
    url = reverse("plans:child_list", args=["referrals"])
    everyone = manager.get(url, {"month": "2023-06"}).context["listing"]
    inside = manager.get(url, {"month": "2023-06", "show": "numerator"}).context["listing"]
    outside = manager.get(url, {"month": "2023-06", "show": "not_numerator"}).context["listing"]
    assert len(inside.rows) + len(outside.rows) == len(everyone.rows)
    assert all(row[1] == "Yes" for row in inside.rows)
    assert all(row[1] == "No" for row in outside.rows)
    shows = [e.detail["show"] for e in AuditEvent.objects.filter(action="viewed_child_list").order_by("id")]
    assert shows == ["all", "numerator", "not_numerator"]
