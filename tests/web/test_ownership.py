"""Owners in the plan are accounts: a username or a team, never a display name."""

from __future__ import annotations

import pytest

from journey.web.accounts.models import Team
from journey.web.accounts.ownership import is_owner, owner_names, resolve_owners
from journey.web.accounts.roles import Role


def test_owner_names_split_on_separators_and_ignore_case_spacing_and_full_stops():
    assert owner_names("sam.lead; HR business partner") == {
        "sam lead; hr business partner", "sam lead", "hr business partner"
    }
    assert owner_names("A. Smith and B. Jones") >= {"a smith", "b jones"}


@pytest.mark.django_db
def test_a_username_owns_whatever_the_case_and_spacing(make_user):
    sam = make_user(Role.SERVICE_LEAD, "slead")
    assert is_owner(sam, "  SLEAD ")
    assert is_owner(sam, "Head of Service / slead")
    assert not is_owner(sam, "slead2")
    assert not is_owner(sam, "")


@pytest.mark.django_db
def test_a_display_name_never_makes_its_holder_the_owner(make_user):
    sam = make_user(Role.SERVICE_LEAD, "slead", display_name="Sam Lead")
    assert not is_owner(sam, "Sam Lead")


@pytest.mark.django_db
def test_every_member_of_a_named_team_owns_and_a_whole_name_with_and_is_one_team(make_user):
    team = Team.objects.create(name="Head of Safeguarding and Quality Assurance")
    ann, bob = make_user(Role.SERVICE_LEAD, "ann"), make_user(Role.TEAM_MANAGER, "bob")
    team.members.add(ann, bob)
    outsider = make_user(Role.SERVICE_LEAD, "cat")
    assert is_owner(ann, "Head of Safeguarding and Quality Assurance")
    assert is_owner(bob, "head of safeguarding and quality assurance")
    assert not is_owner(outsider, "Head of Safeguarding and Quality Assurance")


@pytest.mark.django_db
def test_resolving_owners_lists_the_people_and_what_matched_nothing(make_user):
    team = Team.objects.create(name="Front Door")
    ann = make_user(Role.SERVICE_LEAD, "ann", display_name="Ann Able")
    gone = make_user(Role.SERVICE_LEAD, "gone", display_name="Gone Away")
    gone.is_active = False
    gone.save()
    team.members.add(ann, gone)
    dee = make_user(Role.DATA_TEAM, "dee", display_name="Dee Data")
    owners = resolve_owners({"Front Door; dee", "Head of Nothing", "gone"})
    both = owners["Front Door; dee"]
    assert [t.name for t in both.teams] == ["Front Door"] and both.users == [dee]
    assert [p.name for p in both.people] == ["Ann Able", "Dee Data"]  # the inactive member is not
    assert owners["Head of Nothing"].unmatched == ["Head of Nothing"] and not owners["Head of Nothing"].matched
    assert owners["gone"].unmatched == ["gone"]  # a deactivated account owns nothing
