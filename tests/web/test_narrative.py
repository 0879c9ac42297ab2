"""Narrative: written by the measure's owner, signed off by a director, never lost."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from journey.web.accounts.models import AuditEvent
from journey.web.accounts.roles import Role
from journey.web.narrative import services
from journey.web.narrative.models import Narrative, NarrativeRevision
from tests.web.workflow_plan import activate_plan

MEASURE = "cp_visits_in_time"  # owned by sam
OTHER_MEASURE = "re_referrals"  # owned by dana
MONTH = "2024-06"

ANSWERS = {
    "working_well": "Visits in timescale rose to 88%.",
    "worried_about": "Two teams remain below 80%.",
    "doing_about": "Weekly performance meetings review every overdue visit.",
}


@pytest.fixture(autouse=True)
def plan(db):
    return activate_plan()


def signed_in(make_user, role, username, **extra):
    user = make_user(role, username, **extra)
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def sam(make_user):
    return signed_in(make_user, Role.SERVICE_LEAD, "sam", display_name="Sam Lead")


@pytest.fixture
def dana(make_user):
    return signed_in(make_user, Role.DIRECTOR, "dana", display_name="Dana Director")


def edit_url(measure=MEASURE, month=MONTH):
    return reverse("narrative:edit", kwargs={"measure_id": measure, "month": month})


def review_url(measure=MEASURE, month=MONTH):
    return reverse("narrative:review", kwargs={"measure_id": measure, "month": month})


def save(client, version=0, intent="save", measure=MEASURE, **answers):
    data = {**ANSWERS, **answers, "version": version, "intent": intent}
    return client.post(edit_url(measure), data)


def current(measure=MEASURE, month=MONTH):
    return Narrative.objects.get(measure_id=measure, month=month)


def test_the_owner_saves_a_draft_which_is_versioned_kept_in_history_and_audited(sam):
    response = save(sam)
    assert response.status_code == 302
    narrative = current()
    assert narrative.state == "draft"
    assert narrative.version == 1
    assert narrative.working_well == ANSWERS["working_well"]
    revision = narrative.revisions.get()
    assert (revision.event, revision.by_name, revision.version) == ("saved", "Sam Lead", 1)
    assert AuditEvent.objects.filter(
        action="narrative.saved", target=f"narrative {MEASURE} {MONTH}", username="sam"
    ).exists()


def test_the_edit_page_shows_the_three_questions_with_labels(sam):
    page = sam.get(edit_url()).content.decode()
    for question in ("What&#x27;s working well?", "What are we worried about?", "What are we doing about it?"):
        assert question in page
    assert 'for="id_working_well"' in page
    assert 'name="version" value="0"' in page


def test_a_service_lead_cannot_change_narrative_for_a_measure_someone_else_owns(sam):
    page = sam.get(edit_url(OTHER_MEASURE))
    assert page.status_code == 200
    assert "Only the measure's owner (dana)" in page.content.decode()
    assert "<textarea" not in page.content.decode()
    response = save(sam, measure=OTHER_MEASURE)
    assert response.status_code == 403
    assert not Narrative.objects.filter(measure_id=OTHER_MEASURE).exists()


def test_the_data_team_and_directors_may_write_narrative_for_any_measure(data_team, director):
    assert save(data_team).status_code == 302
    assert save(director, version=1, working_well="Edited by the director.").status_code == 302
    assert current().version == 2


def test_ownership_matches_the_username_whatever_its_case(make_user):
    client = signed_in(make_user, Role.SERVICE_LEAD, "SAM")
    assert save(client).status_code == 302


def test_a_measure_not_in_the_plan_or_a_bad_month_is_not_found(sam):
    assert sam.get(edit_url("no_such_measure")).status_code == 404
    assert sam.get(edit_url(month="2024-13")).status_code == 404


def test_submitting_needs_every_answer_and_names_the_missing_one(sam):
    response = save(sam, intent="submit", worried_about="  ")
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page
    assert "before submitting for sign-off" in page
    assert 'href="#id_worried_about"' in page
    assert not Narrative.objects.exists()


def test_a_submitted_narrative_waits_in_the_directors_sign_off_queue(sam, dana):
    assert save(sam, intent="submit").status_code == 302
    assert current().state == "submitted"
    queue = dana.get(reverse("narrative:queue")).content.decode()
    assert "Child protection visits in timescale" in queue
    assert review_url() in queue
    assert "Jun-2024" in queue


def test_a_director_approves_and_the_approved_text_is_what_everyone_sees(sam, dana):
    save(sam, intent="submit")
    assert services.approved_narrative(MEASURE, MONTH) is None
    response = dana.post(review_url(), {"version": 1, "decision": "approve"})
    assert response.status_code == 302
    narrative = current()
    assert narrative.state == "approved"
    approved = services.approved_narrative(MEASURE, MONTH)
    assert approved.working_well == ANSWERS["working_well"]
    assert approved.approved_by == "Dana Director"
    assert approved.version == 2
    assert not approved.published
    assert [a.question for a in approved.answers][0] == "What's working well?"
    assert AuditEvent.objects.filter(action="narrative.approved", username="dana").exists()
    assert dana.get(reverse("narrative:queue")).content.decode().count(review_url()) == 0


def test_a_service_lead_cannot_approve(sam):
    save(sam, intent="submit")
    assert sam.post(review_url(), {"version": 1, "decision": "approve"}).status_code == 403
    assert current().state == "submitted"


def test_a_director_returns_a_narrative_with_a_comment_the_writer_then_sees(sam, dana):
    save(sam, intent="submit")
    refused = dana.post(review_url(), {"version": 1, "decision": "return", "comment": ""})
    assert refused.status_code == 400
    assert "Say what needs to change" in refused.content.decode()
    assert current().state == "submitted"

    dana.post(review_url(), {"version": 1, "decision": "return", "comment": "Say which teams."})
    narrative = current()
    assert narrative.state == "returned"
    assert narrative.revisions.filter(event="returned", comment="Say which teams.").exists()
    page = sam.get(edit_url()).content.decode()
    assert "Returned for changes" in page
    assert "Say which teams." in page
    assert AuditEvent.objects.filter(action="narrative.returned").exists()


def test_a_change_after_approval_is_a_new_version_and_the_approved_one_stays_shown(sam, dana):
    save(sam, intent="submit")
    dana.post(review_url(), {"version": 1, "decision": "approve"})
    response = save(sam, version=2, working_well="Visits in timescale rose to 91%.")
    assert response.status_code == 302
    assert current().state == "draft"
    approved = services.approved_narrative(MEASURE, MONTH)
    assert approved.working_well == "Visits in timescale rose to 88%."
    assert approved.newer_text_in_progress

    save(sam, version=3, intent="submit", working_well="Visits in timescale rose to 91%.")
    dana.post(review_url(), {"version": 4, "decision": "approve"})
    assert services.approved_narrative(MEASURE, MONTH).working_well == (
        "Visits in timescale rose to 91%."
    )
    events = list(current().revisions.values_list("event", flat=True))
    assert events == ["submitted", "approved", "saved", "submitted", "approved"]


def test_two_people_editing_at_once_the_second_save_is_refused_and_nothing_is_lost(
    sam, data_team
):
    # Both open the empty page (version 0); Sam saves first.
    save(sam)
    response = save(data_team, working_well="The data team's version of events.")
    assert response.status_code == 409
    page = response.content.decode()
    assert "Your changes were not saved" in page
    assert "Sam Lead changed this narrative" in page
    # Their text is shown back in the form, the current text beside it ...
    assert "The data team&#x27;s version of events.</textarea>" in page
    assert "Visits in timescale rose to 88%." in page
    # ... the form now carries the current version so a deliberate re-save can succeed,
    assert 'name="version" value="1"' in page
    # ... Sam's text was not overwritten, and the refused text is kept in the history.
    narrative = current()
    assert narrative.working_well == ANSWERS["working_well"]
    assert narrative.version == 1
    refused = narrative.revisions.get(event="conflict")
    assert refused.working_well == "The data team's version of events."
    assert refused.by_name == "data_team"
    assert AuditEvent.objects.filter(action="narrative.conflict").exists()

    again = save(data_team, version=1, working_well="The data team's version of events.")
    assert again.status_code == 302
    assert current().working_well == "The data team's version of events."


def test_a_director_cannot_approve_text_that_changed_after_they_opened_it(sam, dana):
    save(sam, intent="submit")  # version 1
    opened_version = 1
    save(sam, version=1, intent="submit", doing_about="A different plan.")  # version 2
    response = dana.post(review_url(), {"version": opened_version, "decision": "approve"})
    assert response.status_code == 409
    assert "changed this narrative after you opened it" in response.content.decode()
    assert services.approved_narrative(MEASURE, MONTH) is None


def test_saving_the_same_text_twice_changes_nothing(sam):
    save(sam)
    response = save(sam, version=0)
    assert response.status_code == 302
    assert current().version == 1
    assert NarrativeRevision.objects.count() == 1


def test_the_history_lists_every_change_with_who_and_the_words_that_changed(sam, dana):
    save(sam, intent="submit")
    dana.post(review_url(), {"version": 1, "decision": "approve"})
    save(sam, version=2, working_well="Visits in timescale rose to 91%.")
    page = sam.get(
        reverse("narrative:history", kwargs={"measure_id": MEASURE, "month": MONTH})
    ).content.decode()
    assert page.count("Sam Lead") >= 2
    assert "Dana Director" in page
    assert "Approved" in page
    assert "Submitted for sign-off" in page
    assert "[removed: </span>88%." in page
    assert "[added: </span>91%." in page


def test_narrative_for_month_gives_every_measure_with_its_approved_text_or_none(sam, dana):
    save(sam, intent="submit")
    dana.post(review_url(), {"version": 1, "decision": "approve"})
    result = services.narrative_for_month(MONTH)
    assert set(result) == {"cp_visits_in_time", "re_referrals", "supervisions_in_time"}
    assert result[MEASURE].doing_about == ANSWERS["doing_about"]
    assert result["re_referrals"] is None
    assert services.narrative_for_month("2024-07")[MEASURE] is None


def test_publishing_the_month_marks_the_approved_text_as_published_once(sam, dana):
    save(sam, intent="submit")
    dana.post(review_url(), {"version": 1, "decision": "approve"})
    assert services.publish_month(MONTH, dana.user) == 1
    assert services.publish_month(MONTH, dana.user) == 0
    assert current().state == "published"
    assert services.approved_narrative(MEASURE, MONTH).published
    # A later change is a new draft; the published text is still the one shown.
    save(sam, version=current().version, working_well="New words.")
    approved = services.approved_narrative(MEASURE, MONTH)
    assert approved.working_well == ANSWERS["working_well"]
    assert approved.published


def test_the_month_overview_lists_measures_with_their_state_and_can_show_only_mine(sam):
    save(sam, intent="submit")
    page = sam.get(reverse("narrative:index"), {"month": MONTH}).content.decode()
    assert "Submitted for sign-off" in page
    assert "Re-referrals within 12 months" in page
    mine = sam.get(reverse("narrative:index"), {"month": MONTH, "mine": "1"}).content.decode()
    assert "Re-referrals within 12 months" not in mine
    assert "Supervisions in timescale" in mine


def test_posting_without_the_csrf_token_is_refused(make_user):
    user = make_user(Role.SERVICE_LEAD, "sam", display_name="Sam Lead")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post(edit_url(), {**ANSWERS, "version": 0, "intent": "save"})
    assert response.status_code == 403
    assert not Narrative.objects.exists()


def test_the_word_diff_marks_added_and_removed_words_and_keeps_the_rest():
    from journey.web.narrative.diff import Segment, has_changes, word_diff

    segments = word_diff("Visits rose to 88% this month.", "Visits rose to 91% this month.")
    assert segments == [
        Segment("same", "Visits rose to "),
        Segment("removed", "88%"),
        Segment("added", "91%"),
        Segment("same", " this month."),
    ]
    assert not has_changes(word_diff("Same text.", "Same text."))
    assert word_diff("", "New") == [Segment("added", "New")]


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_from_the_same_version_leave_one_winner_and_keep_both_texts(
    make_user,
):
    import threading

    from django.db import connection

    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("needs a database file that several connections share")
    writers = [
        make_user(Role.SERVICE_LEAD, "sam", display_name="Sam Lead"),
        make_user(Role.DATA_TEAM, "dee"),
    ]
    barrier = threading.Barrier(len(writers))
    outcomes = []

    def write(user):
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            services.save(user, MEASURE, MONTH, {**ANSWERS, "working_well": f"By {user.username}."},
                          base_version=0)
            outcomes.append("saved")
        except services.NarrativeConflict:
            outcomes.append("refused")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=write, args=(user,)) for user in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "saved"]
    narrative = current()
    assert narrative.version == 1
    texts = set(narrative.revisions.values_list("working_well", flat=True))
    assert texts == {"By sam.", "By dee."}


def test_a_director_can_go_from_the_month_overview_to_review_a_submitted_narrative(sam, dana):
    save(sam, intent="submit")
    page = dana.get(reverse("narrative:index"), {"month": MONTH}).content.decode()
    assert f'href="{review_url()}"' in page
    assert f'href="{review_url()}"' not in sam.get(
        reverse("narrative:index"), {"month": MONTH}
    ).content.decode()
