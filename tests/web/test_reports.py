"""The Reports page: choose, build (in the background), watch progress, download; all audited."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.urls import reverse

from journey.engine.reports.model import NOT_APPROVED
from journey.web.accounts.models import AuditEvent
from journey.web.accounts.roles import Role
from journey.web.narrative import services as narrative
from journey.web.plans import services as plans
from journey.web.reports import services
from journey.web.reports.models import ReportBuild

DATA = Path(__file__).parent / "data"
ANSWERS = {
    "working_well": "Visits are tracked weekly.",
    "worried_about": "One team is behind.",
    "doing_about": "The head of service reviews the tracker.",
}


@pytest.fixture
def loaded(db):
    plans.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    plans.import_observations(DATA / "observations.csv", user=None)


@pytest.fixture
def inline():
    """Tests run tasks as they are queued (the immediate backend): the build is finished."""


def approve_all(make_user, month="2023-06", skip=()):
    writer = make_user(Role.DATA_TEAM, "writer")
    director = make_user(Role.DIRECTOR, "signer")
    for measure in plans.active_plan().measures:
        if measure.id in skip:
            continue
        result = narrative.save(writer, measure.id, month, ANSWERS, base_version=0, submit=True)
        narrative.approve(director, measure.id, month, base_version=result.narrative.version)


def build(client, **form):
    data = {"kind": "monthly", "period": "2023-06", "format": "csv", **form}
    return client.post(reverse("reports:index"), data)


def test_the_reports_page_offers_every_report_month_and_format(loaded, data_team):
    body = data_team.get(reverse("reports:index")).content.decode()
    for text in ("Monthly Improvement Plan Report", "quarterly progress report", "six-monthly scrutiny update",
                 "PDF (board pack)", "Word document (editable)", "Excel workbook (figures)", "CSV (summary table)",
                 "Web page (single file)", '<option value="2023-06" selected>Jun-2023</option>'):
        assert text.lower() in body.lower(), text


def test_a_report_is_built_and_downloaded_with_every_step_audited(loaded, inline, data_team):
    response = build(data_team)
    record = ReportBuild.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reports:status", args=[record.pk])
    assert record.status == ReportBuild.Status.DONE and record.progress == 100
    page = data_team.get(response["Location"]).content.decode()
    assert "Download monthly-report-2023-06-DRAFT.csv" in page
    assert 'http-equiv="refresh"' not in page

    download = data_team.get(reverse("reports:download", args=[record.pk]))
    assert download["Content-Disposition"] == 'attachment; filename="monthly-report-2023-06-DRAFT.csv"'
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    figures = {r["Measure id"]: (r["Actual"], r["Performance (RAG)"]) for r in rows}
    assert [r["Measure id"] for r in rows] == [m.id for m in plans.active_plan().measures]
    assert figures["cp_visits"] == ("84.5", "Amber")
    assert figures["re_referrals"] == ("20.0", "Green")
    assert figures["audits_completed"] == ("31.0", "Green")
    actions = [a for a in AuditEvent.objects.order_by("id").values_list("action", flat=True) if a.startswith("report.")]
    assert actions == ["report.requested", "report.built", "report.downloaded"]


def test_a_report_is_draft_until_every_narrative_is_approved_and_then_final(loaded, inline, data_team, make_user):
    approve_all(make_user, skip={"audits_completed"})
    build(data_team, format="html")
    draft = ReportBuild.objects.get()
    html = bytes(draft.content).decode()
    assert draft.draft and "DRAFT" in html
    assert html.count(NOT_APPROVED) == 1
    assert "Visits are tracked weekly." in html

    writer = make_user(Role.DATA_TEAM, "writer2")
    director = make_user(Role.DIRECTOR, "signer2")
    result = narrative.save(writer, "audits_completed", "2023-06", ANSWERS, base_version=0, submit=True)
    narrative.approve(director, "audits_completed", "2023-06", base_version=result.narrative.version)
    build(data_team, format="html")
    final = ReportBuild.objects.order_by("-id").first()
    assert not final.draft
    assert "DRAFT" not in bytes(final.content).decode()
    assert final.filename == "monthly-report-2023-06.html"


def test_a_director_publishes_a_final_monthly_report_and_its_narrative(loaded, inline, client_for, make_user):
    approve_all(make_user)
    director = client_for(Role.DIRECTOR, "publisher")
    build(director)
    record = ReportBuild.objects.get()
    page = director.get(reverse("reports:status", args=[record.pk])).content.decode()
    assert "Publish this report" in page
    response = director.post(reverse("reports:publish", args=[record.pk]))
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.published_at is not None
    assert narrative.approved_narrative("cp_visits", "2023-06").published
    assert AuditEvent.objects.filter(action="report.published").exists()


def test_a_draft_report_cannot_be_published(loaded, inline, director):
    build(director)
    record = ReportBuild.objects.get()
    director.post(reverse("reports:publish", args=[record.pk]))
    record.refresh_from_db()
    assert record.published_at is None


def test_the_status_page_refreshes_itself_while_a_report_is_building(loaded, data_team):
    record = ReportBuild.objects.create(kind="monthly", period="2023-06", format="pdf", status=ReportBuild.Status.RUNNING, progress=45, message="Drawing charts")
    body = data_team.get(reverse("reports:status", args=[record.pk])).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in body
    assert "Drawing charts" in body and 'value="45"' in body
    assert data_team.get(reverse("reports:download", args=[record.pk])).status_code == 404


def test_a_month_without_figures_or_an_unknown_format_is_refused_with_a_message(loaded, inline, data_team):
    response = build(data_team, period="2019-01")
    assert response.status_code == 400
    assert "Choose a month that has figures" in response.content.decode()
    response = build(data_team, format="odt")
    assert response.status_code == 400 and "Choose a format" in response.content.decode()
    assert not ReportBuild.objects.exists()


def test_a_failed_build_says_why_on_its_page(db, inline, board_member):
    record = services.request_build(board_member.user, "monthly", "2023-06", "csv")
    assert record.status == ReportBuild.Status.FAILED
    assert record.message == "No improvement plan has been loaded yet."
    assert AuditEvent.objects.filter(action="report.failed").exists()


def test_a_build_waits_in_the_queue_until_a_worker_runs_it(loaded, client_for, settings):
    from journey.web.background.models import TaskProgress
    from journey.web.background.worker import run_ready_tasks

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = client_for(Role.DATA_TEAM)
    response = build(client, format="xlsx")
    record = ReportBuild.objects.get()
    assert response["Location"].endswith(f"/reports/builds/{record.pk}/")
    assert record.status == ReportBuild.Status.QUEUED
    page = client.get(response["Location"]).content.decode()
    assert "No background worker is running" in page
    assert run_ready_tasks() == 1
    record.refresh_from_db()
    assert record.status == ReportBuild.Status.DONE, record.message
    assert bytes(record.content[:2]) == b"PK"
    progress = TaskProgress.objects.get()
    assert progress.task_name == "build_report" and progress.percent == 100
    assert progress.message == "Saving the report"


def test_the_monthly_pdf_from_the_database_holds_every_measure_and_its_rating(loaded, inline, data_team, make_user):
    from pypdf import PdfReader

    approve_all(make_user)
    build(data_team, format="pdf")
    record = ReportBuild.objects.get()
    text = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(bytes(record.content))).pages)
    text = " ".join(text.split())
    for title, value, rag in (("CP visits in timescale", "84.5%", "Amber"), ("Re-referrals within 12 months", "20.0%", "Green"), ("Case-file audits completed", "31", "Green")):
        assert title in text and value in text and rag in text
    assert "Visits are tracked weekly." in text
    assert "DRAFT" not in text


def test_only_the_newest_files_are_kept_and_older_builds_say_so(loaded, board_member):
    for _ in range(3):
        ReportBuild.objects.create(kind="monthly", period="2023-06", format="csv", status=ReportBuild.Status.DONE, content=b"x", size=1, filename="m.csv", media_type="text/csv")
    assert services.prune_old_files(keep=2) == 1
    oldest = ReportBuild.objects.order_by("id").first()
    assert oldest.content is None and oldest.size == 0
    assert board_member.get(reverse("reports:download", args=[oldest.pk])).status_code == 404
    assert "The file has been removed" in board_member.get(reverse("reports:status", args=[oldest.pk])).content.decode()
    assert "File removed" in board_member.get(reverse("reports:index")).content.decode()
