"""The Plan owners page: owner texts resolved to accounts, and new owners saved as a plan version."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from journey.web.accounts.models import AuditEvent, Team
from journey.web.accounts.roles import Role
from journey.web.plans import services
from journey.web.plans.models import PlanVersion

DATA = Path(__file__).parent / "data"


@pytest.fixture
def plan(db):
    services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)


def test_the_page_says_who_each_owner_is_and_flags_owners_that_match_no_account(plan, data_team, make_user):
    make_user(Role.SERVICE_LEAD, "sam", display_name="Sam Lead")
    body = data_team.get(reverse("plans:plan_owners")).content.decode()
    assert "Sam Lead" in body  # owner "sam" is the account sam
    assert "No account or team: Director Person" in body and "No account or team: Quality Lead" in body
    assert "owners match no account or team" in body


def test_choosing_a_team_saves_a_new_plan_version_with_only_the_owner_changed(plan, data_team, make_user):
    team = Team.objects.create(name="Quality team")
    team.members.add(make_user(Role.TEAM_MANAGER, "tim"))
    before = PlanVersion.objects.get(active=True)
    response = data_team.post(
        reverse("plans:plan_owners"),
        {"based_on": before.pk, "measure:audits_completed": "Quality team", "measure:cp_visits": ""},
    )
    assert response.status_code == 302
    after = PlanVersion.objects.get(active=True)
    assert after.pk != before.pk and after.origin == "edit"
    assert services.active_plan().measure("audits_completed").owner == "Quality team"
    changed = [
        (old, new) for old, new in zip(before.text.splitlines(), after.text.splitlines(), strict=True) if old != new
    ]
    assert changed == [("        owner: Quality Lead", "        owner: Quality team")]
    assert AuditEvent.objects.filter(action="changed_plan").count() == 2


def test_a_choice_that_is_not_an_account_or_team_is_ignored(plan, data_team):
    before = PlanVersion.objects.get(active=True)
    data_team.post(reverse("plans:plan_owners"), {"based_on": before.pk, "measure:cp_visits": "Made Up"})
    assert PlanVersion.objects.get(active=True).pk == before.pk


def test_owners_chosen_on_a_plan_that_changed_meanwhile_are_not_saved(plan, data_team, make_user):
    make_user(Role.SERVICE_LEAD, "ann")
    stale = PlanVersion.objects.get(active=True).pk
    services.save_plan_version(
        (DATA / "plan.yaml").read_text() + "\n# edited\n", filename="plan.yaml", user=None
    )
    response = data_team.post(reverse("plans:plan_owners"), {"based_on": stale, "measure:cp_visits": "ann"})
    assert response.status_code == 302
    assert services.active_plan().measure("cp_visits").owner == "sam"
