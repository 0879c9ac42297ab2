"""The sections of the scrutiny and quarterly reports that people write: saved as
versioned drafts, approved by a director, printed under the names of the people who
wrote and approved them, and only once approved."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from journey.engine.reports.assemble import assemble
from journey.web.accounts.models import AuditEvent
from journey.web.accounts.roles import Role
from journey.web.reports.services import build_inputs
from journey.web.reporttext import services
from journey.web.reporttext.models import ReportTextRevision
from tests.web.workflow_plan import activate_plan

URL = ("scrutiny", "2024-06", "executive_summary")


@pytest.fixture(autouse=True)
def plan(db):
    return activate_plan()


def signed_in(make_user, role, username, **extra):
    client = Client()
    client.force_login(make_user(role, username, **extra))
    return client


@pytest.fixture
def sam(make_user):
    return signed_in(make_user, Role.SERVICE_LEAD, "sam", display_name="Sam Lead")


@pytest.fixture
def dana(make_user):
    return signed_in(make_user, Role.DIRECTOR, "dana", display_name="Dana Director")


def _edit(client, **data):
    data.setdefault("intent", "approve" if data.pop("approve", None) else "save")
    return client.post(reverse("reporttext:edit", args=URL), data)


def _report_text(kind="scrutiny"):
    report = assemble(kind, build_inputs("2024-06", kind=kind))
    return report, " ".join(
        getattr(b, "text", "") for s in report.sections for sub in s.walk() for b in sub.blocks
    )


def test_a_writer_saves_a_versioned_draft_that_stays_out_of_the_report_until_approved(sam):
    response = _edit(sam, text="The service has stabilised.\n\nCaseloads are falling.", version=0)
    assert response.status_code == 302
    assert ReportTextRevision.objects.filter(event="saved", version=1, by_name="Sam Lead").exists()
    assert AuditEvent.objects.filter(action="report_text.saved").exists()
    report, text = _report_text()
    assert "The service has stabilised." not in text
    assert "Not yet written and approved: executive summary." in text
    assert report.draft


def test_a_director_approves_and_the_report_prints_it_under_the_writer_and_approver(sam, dana):
    _edit(sam, text="The service has stabilised.\n\nCaseloads are falling.", version=0)
    assert _edit(dana, approve="1", version=1).status_code == 302
    _, text = _report_text()
    assert "The service has stabilised. Caseloads are falling." in text
    assert "Written by Sam Lead; approved by Dana Director on" in text


def test_a_later_edit_keeps_the_approved_text_in_the_report_until_the_new_one_is_approved(sam, dana):
    _edit(sam, text="First text.", version=0)
    _edit(dana, approve="1", version=1)
    _edit(sam, text="Second text.", version=1)
    _, text = _report_text()
    assert "First text." in text and "Second text." not in text


def test_a_save_based_on_an_old_version_is_refused_and_kept_in_the_history(sam, dana):
    _edit(sam, text="Mine.", version=0)
    _edit(dana, text="Theirs, on the old version.", version=0)
    assert services.approved_texts(*URL[:2]) == {}
    assert ReportTextRevision.objects.filter(event="conflict", text="Theirs, on the old version.").exists()


def test_a_service_lead_cannot_approve(sam):
    _edit(sam, text="Mine.", version=0)
    _edit(sam, approve="1", version=1)
    assert services.approved_texts(*URL[:2]) == {}


def test_the_quarterly_report_has_a_section_for_the_chairs_judgement_of_each_priority(sam):
    from journey.web.plans.services import active_plan

    plan = active_plan()
    page = sam.get(reverse("reporttext:sections", args=("quarterly", "2024-06")))
    for priority in plan.priorities:
        assert f"Progress: {priority.title}" in page.content.decode()
    _, text = _report_text("quarterly")
    assert "Not yet written and approved: the independent chair's summary." in text
    assert "Generated from the figures by Improvement Journey; not written by a person." in text


def test_an_unknown_report_or_section_is_not_found(sam):
    assert sam.get(reverse("reporttext:sections", args=("monthly", "2024-06"))).status_code == 404
    assert sam.get(reverse("reporttext:edit", args=("scrutiny", "2024-06", "nonsense"))).status_code == 404
