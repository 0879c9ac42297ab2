"""Narrative knows its figures: a figure revised after approval shows beside the text."""

from __future__ import annotations

import pytest
from django.urls import reverse

from journey.engine.reports.assemble import assemble
from journey.web.accounts.models import AuditEvent
from journey.web.accounts.roles import Role
from journey.web.narrative import services as narrative
from journey.web.narrative.models import RevisionEvent
from journey.web.plans import services as plans
from journey.web.reports.services import build_inputs
from tests.web.frozen_council import FIGURES, PLAN, approve_all, load

REVISED = FIGURES.replace("cp_visits,2024-09,84.0,84,100", "cp_visits,2024-09,84.6,423,500")
WORDS = "Figure revised since approval: 84.0% → 84.6%"


@pytest.fixture
def approved(db, make_user, tmp_path):
    plans.save_plan_version(PLAN, filename="plan.yaml", user=None)
    load(tmp_path)
    approve_all(make_user, "2024-09")


def revise(tmp_path):
    load(tmp_path, REVISED, "corrected.csv")
    plans.clear_caches()


def test_the_narrative_keeps_the_figure_it_was_written_and_approved_against(approved):
    stored = narrative.get_narrative("cp_visits", "2024-09")
    assert stored.approved_figures == {"period": "2024-09", "value": 84.0, "text": "84.0%"}
    assert {r.event: r.figures["text"] for r in stored.revisions.all()} == {"submitted": "84.0%", "approved": "84.0%"}
    assert narrative.approved_narrative("cp_visits", "2024-09").figure_check is None


def test_a_figure_revised_after_approval_shows_beside_the_approved_text(approved, tmp_path):
    revise(tmp_path)
    check = narrative.approved_narrative("cp_visits", "2024-09").figure_check
    assert check.words == WORDS
    assert narrative.approved_narrative("re_referrals", "2024-09").figure_check is None


def test_a_draft_report_shows_the_revised_figure_and_is_draft_until_the_owner_confirms(approved, tmp_path, client_for):
    revise(tmp_path)
    report = assemble("monthly", build_inputs("2024-09"))
    assert report.draft
    assert any("approved against a figure revised since" in r and "CP visits in timescale" in r for r in report.draft_reasons)
    page = next(s for s in report.sections for s in s.walk() if s.id == "measure-cp_visits")
    assert any(getattr(b, "text", "").startswith(WORDS + ". The narrative below was approved against 84.0%") for b in page.blocks)

    owner = client_for(Role.SERVICE_LEAD, "sam")
    edit = reverse("narrative:edit", args=["cp_visits", "2024-09"])
    body = owner.get(edit).content.decode()
    assert WORDS in body and "Confirm the approved text still holds for 84.6%" in body
    version = narrative.get_narrative("cp_visits", "2024-09").version
    response = owner.post(reverse("narrative:confirm_figures", args=["cp_visits", "2024-09"]), {"version": version})
    assert response.status_code == 302 and response["Location"] == edit
    assert WORDS not in owner.get(edit).content.decode()

    stored = narrative.get_narrative("cp_visits", "2024-09")
    confirmed = stored.revisions.get(event=RevisionEvent.CONFIRMED)
    assert confirmed.figures["text"] == "84.6%" and "84.0% → 84.6%" in confirmed.comment
    assert stored.approved_revision.event == RevisionEvent.APPROVED  # the approval stands
    assert AuditEvent.objects.filter(action="narrative.figures_confirmed").exists()
    assert not assemble("monthly", build_inputs("2024-09")).draft


def test_the_approver_sees_the_revision_on_the_sign_off_page_and_the_month_list(approved, tmp_path, make_user, client_for):
    writer = make_user(Role.DATA_TEAM, "rewriter")
    current = narrative.get_narrative("cp_visits", "2024-09")
    narrative.save(writer, "cp_visits", "2024-09", {"working_well": "New text", "worried_about": "x", "doing_about": "y"},
                   base_version=current.version, submit=True)
    revise(tmp_path)
    director = client_for(Role.DIRECTOR, "approver")
    review = director.get(reverse("narrative:review", args=["cp_visits", "2024-09"])).content.decode()
    assert "Figure revised since this text was written: 84.0% → 84.6%" in review
    assert WORDS in review
    overview = director.get(reverse("narrative:index") + "?month=2024-09").content.decode()
    assert WORDS in overview and "Confirm or revise" in overview


def test_confirming_is_refused_when_nothing_changed_or_the_page_was_stale(approved, tmp_path, make_user):
    owner = make_user(Role.DATA_TEAM, "confirmer")
    stored = narrative.get_narrative("cp_visits", "2024-09")
    with pytest.raises(narrative.NarrativeError, match="nothing to confirm"):
        narrative.confirm_figures(owner, "cp_visits", "2024-09", base_version=stored.version)
    revise(tmp_path)
    with pytest.raises(narrative.NarrativeError, match="changed this narrative after you opened it"):
        narrative.confirm_figures(owner, "cp_visits", "2024-09", base_version=stored.version - 1)


def test_only_the_owner_the_data_team_or_a_director_may_confirm(approved, tmp_path, client_for):
    revise(tmp_path)
    other = client_for(Role.SERVICE_LEAD, "Someone Else")
    version = narrative.get_narrative("cp_visits", "2024-09").version
    response = other.post(reverse("narrative:confirm_figures", args=["cp_visits", "2024-09"]), {"version": version})
    assert response.status_code == 403
    assert narrative.approved_narrative("cp_visits", "2024-09").figure_check is not None


# ------------------------------------------------ the figures and chart written about


def _between(page: str, start: str, end: str) -> str:
    at = page.index(start)
    return page[at:page.index(end, at) + len(end)]


@pytest.fixture
def figures(db, tmp_path):
    plans.save_plan_version(PLAN, filename="plan.yaml", user=None)
    load(tmp_path)


def test_the_narrative_page_shows_the_months_figure_and_the_measure_pages_own_chart_and_table(figures, client_for):
    owner = client_for(Role.SERVICE_LEAD, "sam")
    page = owner.get(reverse("narrative:edit", args=["cp_visits", "2024-09"])).content.decode()
    figure = _between(page, 'id="narrative-figure">', "</dd>")
    assert "84.0%" in figure and "84 of 100" in figure
    assert "The figures for Sep-2024" in page
    assert f'src="{reverse("plans:measure_chart", args=["cp_visits"])}?month=2024-09"' in page
    # One definition: the months table is the measure page's, cell for cell.
    measure = owner.get(reverse("plans:measure", args=["cp_visits"]) + "?month=2024-09").content.decode()
    table = _between(measure, '<table class="govuk-table journey-compact-table" id="months-table">', "</table>")
    assert "Jul-2024" in table and "86.0%" in table and "88 of 100" in table
    assert table in page


def test_the_sign_off_page_shows_the_director_the_figures_being_signed_off(figures, make_user, client_for):
    writer = make_user(Role.DATA_TEAM, "writer")
    narrative.save(writer, "re_referrals", "2024-08", {"working_well": "a", "worried_about": "b", "doing_about": "c"},
                   base_version=0, submit=True)
    director = client_for(Role.DIRECTOR, "approver")
    page = director.get(reverse("narrative:review", args=["re_referrals", "2024-08"])).content.decode()
    assert "21.0%" in _between(page, 'id="narrative-figure">', "</dd>")
    assert f'src="{reverse("plans:measure_chart", args=["re_referrals"])}?month=2024-08"' in page


def test_a_month_without_figures_says_so_and_shows_no_other_months_chart(figures, client_for):
    owner = client_for(Role.SERVICE_LEAD, "sam")
    page = owner.get(reverse("narrative:edit", args=["cp_visits", "2024-11"])).content.decode()
    assert "There are no figures for Nov-2024 yet" in page
    assert reverse("plans:measure_chart", args=["cp_visits"]) not in page
    assert 'id="months-table"' not in page


def test_the_month_picker_offers_every_month_with_figures_newest_first_and_starts_at_the_newest(figures, client_for):
    owner = client_for(Role.SERVICE_LEAD, "sam")
    page = owner.get(reverse("narrative:index")).content.decode()
    picker = _between(page, '<select class="govuk-select" id="month"', "</select>")
    assert picker.count("<option") == 3
    assert picker.index("2024-09") < picker.index("2024-08") < picker.index("2024-07")
    assert '<option value="2024-09" selected>' in picker
    assert "Narrative for Sep-2024" in page
    # A month asked for by address is offered too, so the picker shows where the reader is.
    later = owner.get(reverse("narrative:index"), {"month": "2025-01"}).content.decode()
    picker = _between(later, '<select class="govuk-select" id="month"', "</select>")
    assert '<option value="2025-01" selected>' in picker and picker.count("<option") == 4


def test_the_narrative_pages_name_the_people_an_owner_stands_for(figures, client_for, make_user):
    from journey.web.accounts.models import Team

    owner = client_for(Role.SERVICE_LEAD, "sam")
    owner.user.display_name = "Sam Lead"
    owner.user.save()
    team = Team.objects.create(name="Quality Lead")
    team.members.add(make_user(Role.SERVICE_LEAD, "qa", display_name="Quinn Audit"))
    index = owner.get(reverse("narrative:index"), {"month": "2024-09"}).content.decode()
    assert "sam<span class=\"govuk-body-s journey-cell-line\">Sam Lead</span>" in index
    assert "Quality Lead<span class=\"govuk-body-s journey-cell-line\">Quinn Audit</span>" in index
    edit = owner.get(reverse("narrative:edit", args=["audits_completed", "2024-09"])).content.decode()
    assert "Quality Lead <span class=\"govuk-body-s\">(Quinn Audit)</span>" in edit
