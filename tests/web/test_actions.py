"""Actions: imported from the plan, kept in step with it, updated by owners, rated by the rule.

The workflow plan (tests/web/workflow_plan.py), rated on 1 July 2024:
- 1.1  start 1 Apr, due 30 Sep 2024, in progress 40%: 91 of 182 days gone, 50% expected,
       10 points behind -> amber;
- 1.10 no start, due 30 Jun 2024, not started -> overdue since yesterday -> red;
- 4.10 start 1 Jan 2024, due 31 Mar 2025, not started: 182 of 455 days, 40% expected,
       40 points behind -> red.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from journey.web.accounts.models import AuditEvent
from journey.web.accounts.roles import Role
from journey.web.actions import services
from journey.web.actions.models import ActionEvidence, ActionUpdate, TrackedAction
from tests.web.workflow_plan import PLAN_YAML, activate_plan

TODAY = date(2024, 7, 1)


@pytest.fixture(autouse=True)
def plan(db, monkeypatch):
    monkeypatch.setattr(services, "today", lambda: TODAY)
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


def update_url(number):
    return reverse("actions:update", kwargs={"number": number})


def detail_url(number):
    return reverse("actions:detail", kwargs={"number": number})


def post_update(client, number, version=0, **fields):
    data = {"status": "in_progress", "percent_complete": 60, "note": "", "version": version}
    data.update(fields)
    return client.post(update_url(number), data)


def test_actions_are_imported_from_the_active_plan_with_their_details():
    actions = {a.number: a for a in services.all_actions()}
    assert set(actions) == {"1.1", "1.10", "4.10"}
    first = actions["1.1"]
    assert first.text == "Weekly performance meetings review every overdue CP visit"
    assert first.owner == "sam"
    assert (first.start, first.due) == (date(2024, 4, 1), date(2024, 9, 30))
    assert (first.status, first.percent_complete) == ("in_progress", 40)
    assert first.measures == ["cp_visits_in_time"]
    assert (first.priority_id, first.priority_title) == ("A", "Planning and safety (CIN and CP)")
    assert actions["4.10"].priority_id == "D"
    assert TrackedAction.objects.count() == 3
    assert ActionUpdate.objects.filter(kind="imported").count() == 3
    assert AuditEvent.objects.filter(action="actions.synced").count() == 1


def test_reading_again_without_a_plan_change_does_not_synchronise_again():
    services.all_actions()
    services.all_actions()
    assert AuditEvent.objects.filter(action="actions.synced").count() == 1


def test_rag_comes_from_the_engine_rule_and_overdue_then_red_come_first():
    actions = services.all_actions()
    assert [a.number for a in actions] == ["1.10", "4.10", "1.1"]
    overdue, red, amber = actions
    assert overdue.overdue and overdue.rag == "red" and overdue.days_overdue == 1
    assert red.rag == "red" and red.expected_percent == 40 and not red.overdue
    assert amber.rag == "amber" and amber.expected_percent == 50
    assert amber.rag_reason.startswith("40% complete against 50% expected")


def test_a_changed_plan_adds_new_actions_marks_removed_ones_and_keeps_progress(sam):
    services.all_actions()
    assert post_update(sam, "1.1", status="in_progress", percent_complete=70).status_code == 302
    changed = (
        PLAN_YAML.replace("Weekly performance meetings review", "Fortnightly meetings review")
        .replace(
            "      - number: 1.10\n        text: Audit re-referrals with the front door\n"
            "        owner: dana\n        due: 2024-06-30\n"
            "        measures: [re_referrals]\n",
            "      - number: 1.2\n        text: Publish a visits dashboard for team managers\n"
            "        owner: sam\n        due: 2024-12-31\n"
            "        measures: [cp_visits_in_time]\n",
        )
    )
    assert changed.count("1.2") == 1
    activate_plan(changed)
    actions = {a.number: a for a in services.all_actions()}
    assert set(actions) == {"1.1", "1.2", "4.10"}
    kept = actions["1.1"]
    assert kept.text == "Fortnightly meetings review every overdue CP visit"
    assert kept.percent_complete == 70  # the owner's progress survives the plan change
    removed = TrackedAction.objects.get(number="1.10")
    assert not removed.in_plan and removed.removed_at is not None
    assert "1.10" in {a.number for a in services.all_actions(include_removed=True)}
    kinds = set(ActionUpdate.objects.filter(action__number="1.1").values_list("kind", flat=True))
    assert {"imported", "updated", "plan_changed"} <= kinds
    assert ActionUpdate.objects.filter(action__number="1.10", kind="removed").exists()

    activate_plan()  # back to the original plan: 1.10 returns with its history
    services.all_actions()
    assert TrackedAction.objects.get(number="1.10").in_plan
    assert ActionUpdate.objects.filter(action__number="1.10", kind="restored").exists()
    assert not TrackedAction.objects.get(number="1.2").in_plan


def test_a_status_changed_in_the_plan_file_itself_is_applied():
    services.all_actions()
    activate_plan(PLAN_YAML.replace("status: in_progress\n        percent_complete: 40",
                                    "status: completed\n        percent_complete: 100"))
    action = services.get_action("1.1")
    assert (action.status, action.percent_complete, action.rag) == ("completed", 100, "green")


def test_the_owner_updates_status_progress_note_and_evidence_with_history_and_audit(sam):
    services.all_actions()
    response = post_update(
        sam, "1.1", percent_complete=55, note="Meetings running in all teams.",
        evidence_text="Minutes of 12 June meeting",
        evidence_link="https://documents.example.org/minutes-12-june",
    )
    assert response.status_code == 302
    action = services.get_action("1.1")
    assert (action.status, action.percent_complete) == ("in_progress", 55)
    assert action.rag == "green"  # 55 against 50 expected
    assert action.progress_note == "Meetings running in all teams."
    assert action.updated_by == "Sam Lead"
    assert [str(e) for e in action.evidence] == [
        "Minutes of 12 June meeting (https://documents.example.org/minutes-12-june)"
    ]
    history = services.history("1.1")
    assert [h.what for h in history[:2]] == ["Evidence added", "Progress updated"]
    assert (history[1].status_before, history[1].percent_before) == ("In progress", 40)
    event = AuditEvent.objects.get(action="action.updated")
    assert event.username == "sam" and event.detail["percent"] == [40, 55]

    page = sam.get(detail_url("1.1")).content.decode()
    assert "Minutes of 12 June meeting" in page
    assert 'href="https://documents.example.org/minutes-12-june"' in page
    assert "Progress updated" in page


def test_marking_an_action_completed_records_it_as_a_hundred_percent_and_green(sam):
    services.all_actions()
    post_update(sam, "4.10", status="completed", percent_complete=30)
    action = services.get_action("4.10")
    assert (action.percent_complete, action.rag, action.rag_reason) == (100, "green", "Completed.")


def test_a_blocked_action_needs_a_note_saying_what_blocks_it(sam):
    services.all_actions()
    response = post_update(sam, "1.1", status="blocked", note="")
    assert response.status_code == 400
    assert "Say what is blocking the action" in response.content.decode()
    assert services.get_action("1.1").status == "in_progress"
    post_update(sam, "1.1", status="blocked", note="Waiting for the new case system report.")
    assert services.get_action("1.1").rag == "red"


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"percent_complete": 120}, "Percentage complete must be 100 or less"),
        ({"percent_complete": "lots"}, "Percentage complete must be a whole number"),
        ({"evidence_text": "Minutes", "evidence_link": "javascript:alert(1)"}, "Enter a web address"),
        ({"evidence_link": "https://example.org/x"}, "Describe the evidence the link points to"),
    ],
)
def test_bad_updates_are_refused_with_a_clear_message(sam, fields, message):
    services.all_actions()
    response = post_update(sam, "1.1", **fields)
    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and message in page
    assert not ActionEvidence.objects.filter(from_plan=False).exists()
    assert services.get_action("1.1").percent_complete == 40


def test_a_service_lead_cannot_update_an_action_someone_else_owns(sam):
    services.all_actions()
    page = sam.get(update_url("1.10"))
    assert page.status_code == 200
    assert "Only the action's owner (dana)" in page.content.decode()
    assert post_update(sam, "1.10").status_code == 403
    assert services.get_action("1.10").percent_complete == 0


def test_one_of_several_named_owners_may_update(sam):
    services.all_actions()  # 4.10 is owned by "sam; HR business partner"
    assert post_update(sam, "4.10", percent_complete=10).status_code == 302


def test_the_data_team_and_directors_may_update_any_action(data_team, make_user):
    services.all_actions()
    assert post_update(data_team, "1.10", percent_complete=20).status_code == 302
    director = signed_in(make_user, Role.DIRECTOR, "dana")
    assert post_update(director, "1.10", version=1, percent_complete=30).status_code == 302


def test_board_members_see_actions_but_cannot_update_them(board_member):
    assert board_member.get(reverse("actions:list")).status_code == 200
    assert board_member.get(detail_url("1.1")).status_code == 200
    assert post_update(board_member, "1.1").status_code == 403


def test_an_update_based_on_an_old_version_is_refused_and_changes_nothing(sam, data_team):
    services.all_actions()
    assert post_update(data_team, "1.1", percent_complete=45).status_code == 302
    response = post_update(sam, "1.1", version=0, percent_complete=90)
    assert response.status_code == 409
    page = response.content.decode()
    assert "data_team updated action 1.1 after you opened it" in page
    assert 'name="version" value="1"' in page
    assert 'value="90"' in page  # what Sam typed is still in the form
    assert services.get_action("1.1").percent_complete == 45


def test_an_action_no_longer_in_the_plan_cannot_be_updated(sam):
    services.all_actions()
    activate_plan(PLAN_YAML.replace("number: 1.1\n", "number: 1.5\n"))
    services.all_actions()
    assert post_update(sam, "1.1").status_code == 403
    page = sam.get(detail_url("1.1")).content.decode()
    assert "no longer in the plan" in page


def test_the_list_filters_by_priority_owner_status_and_rag(board_member):
    def numbers(**params):
        page = board_member.get(reverse("actions:list"), params).content.decode()
        return [n for n in ("1.10", "4.10", "1.1") if f'href="{detail_url(n)}"' in page]

    assert numbers() == ["1.10", "4.10", "1.1"]
    assert numbers(priority="D") == ["4.10"]
    assert numbers(owner="dana") == ["1.10"]
    assert numbers(status="in_progress") == ["1.1"]
    assert numbers(rag="amber") == ["1.1"]
    assert numbers(rag="red") == ["1.10", "4.10"]
    assert numbers(rag="overdue") == ["1.10"]


def test_the_list_puts_overdue_and_red_first_in_the_page(board_member):
    page = board_member.get(reverse("actions:list")).content.decode()
    assert page.index(detail_url("1.10")) < page.index(detail_url("4.10")) < page.index(detail_url("1.1"))
    assert "1 overdue, 2 red, 1 amber, 0 green" in page
    assert "<caption" in page


def test_the_action_page_links_to_the_measures_it_should_move(board_member):
    page = board_member.get(detail_url("1.1")).content.decode()
    assert "Child protection visits in timescale" in page
    href = reverse("plans:measure", kwargs={"measure_id": "cp_visits_in_time"})
    assert f'href="{href}"' in page


def test_actions_for_a_measure_and_all_actions_give_plain_objects_for_other_pages():
    linked = services.actions_for_measure("cp_visits_in_time")
    assert [a.number for a in linked] == ["1.1"]
    for action in services.all_actions():
        for name in ("number", "text", "owner", "due", "status", "rag", "rag_reason",
                     "evidence", "measures", "priority_id", "overdue"):
            assert hasattr(action, name)
    assert services.actions_for_measure("no_such_measure") == []


def test_plan_evidence_is_imported_once():
    with_evidence = PLAN_YAML.replace(
        "        measures: [cp_visits_in_time]\n",
        "        measures: [cp_visits_in_time]\n        evidence: [Terms of reference]\n", 1,
    )
    activate_plan(with_evidence)
    services.all_actions()
    activate_plan(with_evidence.replace("Weekly", "Weekly (revised)"))
    action = services.get_action("1.1")
    assert [(e.text, e.from_plan) for e in action.evidence] == [("Terms of reference", True)]


def test_saving_a_new_plan_version_synchronises_the_actions_in_the_name_of_who_saved_it(
    data_team, django_capture_on_commit_callbacks
):
    from journey.web.plans import services as plan_services

    services.all_actions()
    changed = PLAN_YAML.replace("Recruit permanent team managers", "Recruit permanent managers")
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.save_plan_version(changed, filename="plan.yaml", user=data_team.user)
    update = ActionUpdate.objects.get(action__number="4.10", kind="plan_changed")
    assert update.by_name == "data_team"
    assert update.changes["text"] == ["Recruit permanent team managers", "Recruit permanent managers"]
    assert TrackedAction.objects.get(number="4.10").text == "Recruit permanent managers"
