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
    b"referral_id,child_id,referral_date,team\n"
    b"R1,QZKIDA,2023-04-03,North\nR2,=CMD|C2,2023-06-10,South\nR3,QZKIDC,2023-06-12,North\n"
)


@pytest.fixture
def loaded(settings, tmp_path, db, client_for):
    settings.DATA_DIR = tmp_path
    return _load((DATA / "plan.yaml").read_text(), client_for)


def _load(plan: str, client_for):
    plan_services.save_plan_version(plan, filename="plan.yaml", user=None)
    from journey.web.accounts.roles import Role

    loader = client_for(Role.DATA_TEAM, "loader")
    files = [
        SimpleUploadedFile("children.csv", CHILDREN),
        SimpleUploadedFile("referrals.csv", REFERRALS),
        SimpleUploadedFile("extract.json", b'{"as_at": "2023-07-03"}'),
    ]
    loader.post(reverse("casedata:upload"), {"extract": files})
    job = LoadJob.objects.get()
    from journey.web.casedata.services import needs_acknowledging

    # (a re-referral measure asks to acknowledge that the extract's referral history is short)
    loader.post(reverse("casedata:accept", args=[job.pk]), {"acknowledge": [c.code for c in needs_acknowledging(job)]})
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
    assert rows[0][0] == "Child"
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


def test_a_team_manager_can_list_only_the_children_outside_the_numerator(settings, tmp_path, db, client_for):
    from journey.web.accounts.roles import Role

    settings.DATA_DIR = tmp_path

    # Re-referrals within 12 months, from the same extract: of June's two referrals neither
    # child was referred in the year before, so both are outside the numerator.
    plan = (DATA / "plan.yaml").read_text().replace(
        "          computed: referrals_count\n",
        "          computed: referrals_count\n"
        "      - id: rereferrals\n        title: Re-referrals\n        unit: percent\n"
        "        polarity: lower_is_better\n        targets:\n          \"2023-04\": 22\n"
        "        source:\n          computed: rereferrals_12m_pct\n",
    )
    _load(plan, client_for)
    manager = client_for(Role.TEAM_MANAGER, "tm")
    url = reverse("plans:child_list", args=["rereferrals"])
    everyone = manager.get(url, {"month": "2023-06"}).context["listing"]
    inside = manager.get(url, {"month": "2023-06", "show": "numerator"}).context["listing"]
    outside = manager.get(url, {"month": "2023-06", "show": "not_numerator"}).context["listing"]
    assert [c.label for c in everyone.columns][:3] == ["Child", "In numerator", "In denominator"]
    assert len(everyone.rows) == 2 and inside.rows == [] and len(outside.rows) == 2
    assert all(row[1] == "No" and row[2] == "Yes" for row in outside.rows)
    shows = [e.detail["show"] for e in AuditEvent.objects.filter(action="viewed_child_list").order_by("id")]
    assert shows == ["all", "numerator", "not_numerator"]


def test_a_count_lists_everyone_counted_without_numerator_columns_or_a_choice_of_whom(loaded, client_for):
    from journey.web.accounts.roles import Role

    manager = client_for(Role.TEAM_MANAGER, "tm")
    url = reverse("plans:child_list", args=["referrals"])
    response = manager.get(url, {"month": "2023-06", "show": "not_numerator"})
    listing = response.context["listing"]
    assert [c.label for c in listing.columns][:2] == ["Child", "Reason"]
    assert len(listing.rows) == 2 and listing.show == "all"
    assert 'id="show"' not in response.content.decode()


def test_the_work_list_is_as_at_the_newest_extract_unless_a_month_or_a_date_is_chosen(loaded, client_for):
    from journey.web.accounts.roles import Role

    manager = client_for(Role.TEAM_MANAGER, "tm")
    url = reverse("plans:child_list", args=["referrals"])
    today = manager.get(url).context["listing"]
    # The extract was taken on 3 July 2023; the measure's "latest" figure is the financial
    # year to that date: all three referrals since 1 April.
    assert today.as_at == "3 Jul 2023, the date of the newest extract"
    assert {r[0] for r in today.rows} == {"QZKIDA", "=CMD|C2", "QZKIDC"}
    june = manager.get(url, {"as_at": "2023-06"}).context["listing"]
    assert june.as_at == "the end of Jun-2023" and {r[0] for r in june.rows} == {"=CMD|C2", "QZKIDC"}
    mid_june = manager.get(url, {"date": "2023-06-11"}).context["listing"]
    assert mid_june.as_at == "11 Jun 2023" and {r[0] for r in mid_june.rows} == {"QZKIDA", "=CMD|C2"}
    later = manager.get(url, {"date": "2023-08-01"})
    assert "The newest extract was taken on 3 July 2023" in later.content.decode()
    assert not later.context["listing"].available


def test_the_work_list_filters_by_team_and_reason_sorts_and_names_what_it_shows(loaded, client_for):
    from journey.web.accounts.roles import Role

    manager = client_for(Role.TEAM_MANAGER, "tm")
    url = reverse("plans:child_list", args=["referrals"])
    listing = manager.get(url, {"as_at": "2023-06", "team": "North"}).context["listing"]
    assert listing.options["team"] == ["North", "South"]
    assert [r[0] for r in listing.rows] == ["QZKIDC"] and listing.total == 2
    reasons = listing.options["reason"]
    assert reasons and all(":" not in r and not any(ch.isdigit() for ch in r) for r in reasons)
    by_reason = manager.get(url, {"as_at": "2023-06", "reason": reasons[0]}).context["listing"]
    assert by_reason.rows
    newest_first = manager.get(url, {"as_at": "2023-06", "sort": "child_id", "order": "desc"}).context["listing"]
    assert [r[0] for r in newest_first.rows] == ["QZKIDC", "=CMD|C2"]
    header = manager.get(url, {"as_at": "2023-06", "sort": "child_id", "order": "desc"}).content.decode()
    assert 'aria-sort="descending"' in header
    event = AuditEvent.objects.filter(action="viewed_child_list").order_by("-id").first()
    assert event.detail["as_at"] == "the end of Jun-2023" and event.detail["show"] == "all"
    team_event = AuditEvent.objects.filter(action="viewed_child_list", detail__team="North").first()
    assert team_event is not None and team_event.detail["rows"] == 1


def test_the_excel_download_escapes_formulas_keeps_the_filters_and_is_logged(loaded, client_for):
    import openpyxl

    from journey.web.accounts.roles import Role

    manager = client_for(Role.TEAM_MANAGER, "tm")
    response = manager.get(
        reverse("plans:child_list", args=["referrals"]), {"as_at": "2023-06", "team": "South", "format": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('referrals-2023-06-South-children.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Child" and [row[0] for row in values[1:]] == ["'=CMD|C2"]
    assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    event = AuditEvent.objects.get(action="exported_child_list")
    assert event.detail["format"] == "xlsx" and event.detail["team"] == "South"
