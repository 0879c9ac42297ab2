"""Administrators manage users and roles; every change is audited."""

from __future__ import annotations

from django.urls import reverse

from journey.web.accounts.models import AuditEvent, User
from journey.web.accounts.roles import Role


def test_an_administrator_sees_every_user_with_their_role(administrator, make_user):
    make_user(Role.BOARD_MEMBER, "chair")
    response = administrator.get(reverse("accounts:users"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "chair" in body
    assert Role.BOARD_MEMBER.label in body


def test_an_administrator_creates_a_user_with_a_role_and_it_is_audited(administrator):
    response = administrator.post(
        reverse("accounts:user_create"),
        {
            "username": "new.lead",
            "display_name": "Nia Lead",
            "role": Role.SERVICE_LEAD.value,
            "password": "a-long-unusual-passphrase",
            "password_again": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == 302
    person = User.objects.get(username="new.lead")
    assert person.role == Role.SERVICE_LEAD.value
    assert person.check_password("a-long-unusual-passphrase")
    event = AuditEvent.objects.get(action="created_user")
    assert event.target == "new.lead"
    assert event.detail == {"role": "service_lead"}


def test_creating_a_user_with_bad_details_lists_every_problem_and_creates_nothing(administrator):
    response = administrator.post(
        reverse("accounts:user_create"),
        {"username": "x", "role": "emperor", "password": "short", "password_again": "other"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert 'href="#username"' in body and 'href="#role"' in body
    assert 'href="#password"' in body and 'href="#password_again"' in body
    assert not User.objects.filter(username="x").exists()
    assert not AuditEvent.objects.filter(action="created_user").exists()


def test_a_duplicate_username_is_refused(administrator, make_user):
    make_user(Role.DIRECTOR, "dcs")
    response = administrator.post(
        reverse("accounts:user_create"),
        {"username": "DCS", "role": "director", "password": "a-long-unusual-passphrase",
         "password_again": "a-long-unusual-passphrase"},
    )
    assert response.status_code == 400
    assert "already a user called" in response.content.decode()


def test_an_administrator_changes_a_role_and_deactivates_a_user_with_old_and_new_audited(
    administrator, make_user
):
    person = make_user(Role.SERVICE_LEAD, "lead")
    response = administrator.post(
        reverse("accounts:user_edit", args=[person.pk]), {"role": "team_manager", "active": "no"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.role == "team_manager"
    assert not person.is_active
    change = AuditEvent.objects.get(action="changed_role")
    assert change.detail == {"old": "service_lead", "new": "team_manager"}
    assert AuditEvent.objects.filter(action="deactivated_user", target="lead").exists()


def test_a_deactivated_user_can_no_longer_sign_in(client, administrator, make_user):
    person = make_user(Role.DIRECTOR, "gone")
    administrator.post(
        reverse("accounts:user_edit", args=[person.pk]), {"role": "director", "active": "no"}
    )
    client.logout()
    from tests.conftest import PASSWORD

    assert not client.login(username="gone", password=PASSWORD)


def test_administrators_cannot_lock_themselves_out(administrator):
    me = administrator.user
    response = administrator.post(
        reverse("accounts:user_edit", args=[me.pk]), {"role": "board_member", "active": "no"}
    )
    assert response.status_code == 400
    me.refresh_from_db()
    assert me.is_active and me.role == Role.ADMINISTRATOR.value
    assert not AuditEvent.objects.filter(action__in=["changed_role", "deactivated_user"]).exists()


def test_other_roles_cannot_create_users(director):
    response = director.post(
        reverse("accounts:user_create"),
        {"username": "sneaky", "role": "administrator", "password": "a-long-unusual-passphrase",
         "password_again": "a-long-unusual-passphrase"},
    )
    assert response.status_code == 403
    assert not User.objects.filter(username="sneaky").exists()


def test_an_administrator_edits_a_name_email_and_teams_and_each_change_is_audited(administrator, make_user):
    from journey.web.accounts.models import Team

    front_door = Team.objects.create(name="Head of Front Door")
    person = make_user(Role.SERVICE_LEAD, "lead", display_name="Old Name")
    response = administrator.post(
        reverse("accounts:user_edit", args=[person.pk]),
        {"role": "service_lead", "active": "yes", "display_name": "Lee Ead", "email": "lee@council.example",
         "teams": [str(front_door.pk)]},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.display_name, person.email) == ("Lee Ead", "lee@council.example")
    assert list(person.teams.values_list("name", flat=True)) == ["Head of Front Door"]
    details = AuditEvent.objects.get(action="changed_user_details")
    assert details.detail["old_name"] == "Old Name" and details.detail["new_name"] == "Lee Ead"
    assert AuditEvent.objects.get(action="changed_teams").detail == {"old": [], "new": ["Head of Front Door"]}
    page = administrator.get(reverse("accounts:users")).content.decode()
    assert "Lee Ead" in page and "Head of Front Door" in page


def test_a_bad_email_address_is_named_and_nothing_changes(administrator, make_user):
    person = make_user(Role.SERVICE_LEAD, "lead", display_name="Kept")
    response = administrator.post(
        reverse("accounts:user_edit", args=[person.pk]),
        {"role": "service_lead", "active": "yes", "display_name": "Changed", "email": "not an address"},
    )
    assert response.status_code == 400
    assert 'href="#email"' in response.content.decode()
    person.refresh_from_db()
    assert person.display_name == "Kept"


def test_teams_are_created_given_members_listed_with_what_they_own_and_deleted(administrator, make_user):
    from journey.web.accounts.models import Team
    from journey.web.plans import services as plan_services
    from tests.web.url_examples import EXAMPLE_PLAN

    plan_services.save_plan_version(
        EXAMPLE_PLAN.read_text().replace("owner: sam\n", "owner: Head of Visits\n", 1), filename="plan.yaml", user=None
    )
    ann = make_user(Role.SERVICE_LEAD, "ann", display_name="Ann Able")
    created = administrator.post(reverse("accounts:teams"), {"name": "  Head of   Visits "})
    team = Team.objects.get(name="Head of Visits")
    assert created["Location"] == reverse("accounts:team_edit", args=[team.pk])
    duplicate = administrator.post(reverse("accounts:teams"), {"name": "head of visits"})
    assert duplicate.status_code == 400 and "There is already a team called head of visits" in duplicate.content.decode()
    edit = administrator.get(reverse("accounts:team_edit", args=[team.pk])).content.decode()
    assert "CP visits in timescale" in edit  # what the plan gives the team
    administrator.post(reverse("accounts:team_edit", args=[team.pk]), {"name": "Head of Visits", "members": [ann.pk]})
    assert list(team.members.all()) == [ann]
    listing = administrator.get(reverse("accounts:teams")).content.decode()
    assert "Ann Able" in listing and "1 measure" in listing
    assert AuditEvent.objects.get(action="changed_team_members").detail == {"old": [], "new": ["ann"]}
    administrator.post(reverse("accounts:team_edit", args=[team.pk]), {"delete": "yes"})
    assert not Team.objects.exists()
    assert AuditEvent.objects.filter(action="deleted_team", target="Head of Visits").exists()
