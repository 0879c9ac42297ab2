"""User management for administrators: every change is written to the audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from journey.web.accounts import audit
from journey.web.accounts.models import Team, User
from journey.web.accounts.roles import Role

USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{2,150}$")


@dataclass
class Problems:
    """Field name → message, in the order the form shows them."""

    errors: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.errors)


class UserChangeRefused(Exception):
    def __init__(self, problems: Problems) -> None:
        super().__init__("; ".join(problems.errors.values()))
        self.problems = problems


def _role(value: str, problems: Problems) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        problems.add("role", "Choose a role")
        return None


def new_user_problems(
    *,
    username: str,
    role: str,
    password: str,
    password_again: str | None = None,
    display_name: str = "",
    email: str = "",
) -> Problems:
    """Everything wrong with a new user's details, all at once (the web form shows them)."""
    problems = Problems()
    username = username.strip()
    if not USERNAME.match(username):
        problems.add(
            "username",
            "Enter a username of 2 to 150 letters, digits or the characters . @ + - _",
        )
    elif User.objects.filter(username__iexact=username).exists():
        problems.add("username", f"There is already a user called {username}")
    _role(role, problems)
    if password_again is not None and password != password_again:
        problems.add("password_again", "The two passwords do not match")
    try:
        validate_password(
            password, User(username=username, display_name=display_name, email=email)
        )
    except ValidationError as exc:
        problems.add("password", " ".join(exc.messages))
    return problems


def create_user(
    by: Any,
    *,
    username: str,
    role: str,
    password: str,
    password_again: str | None = None,
    display_name: str = "",
    email: str = "",
) -> User:
    """Create a user with one role; refuses with every problem at once."""
    problems = new_user_problems(
        username=username, role=role, password=password, password_again=password_again,
        display_name=display_name, email=email,
    )
    if problems:
        raise UserChangeRefused(problems)
    username = username.strip()
    chosen = Role(role)
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            password=password,
            role=chosen.value,
            display_name=display_name.strip()[:150],
            email=email.strip(),
        )
        audit.record(by, "created_user", username, role=chosen.value)
    return user


def update_user(
    by: Any,
    person: User,
    *,
    role: str,
    active: bool,
    display_name: str | None = None,
    email: str | None = None,
    team_ids: list[int] | None = None,
) -> list[str]:
    """Change a user's role, whether they may sign in, their name, e-mail address and teams
    (``None``: leave as it is). Returns what changed; every change is audited."""
    problems = Problems()
    chosen = _role(role, problems)
    if person.pk == getattr(by, "pk", None):
        if not active:
            problems.add("active", "You cannot deactivate your own account")
        if chosen is not None and chosen.value != person.role:
            problems.add("role", "You cannot change your own role")
    if chosen is not None and (chosen != Role.ADMINISTRATOR or not active):
        if person.role == Role.ADMINISTRATOR.value and person.is_active:
            others = User.objects.filter(role=Role.ADMINISTRATOR.value, is_active=True).exclude(
                pk=person.pk
            )
            if not others.exists():
                problems.add("role", "There must always be at least one active administrator")
    name = display_name.strip() if display_name is not None else person.display_name
    if len(name) > 150:
        problems.add("display_name", "Enter a name of 150 characters or fewer")
    address = email.strip() if email is not None else person.email
    if address:
        try:
            validate_email(address)
        except ValidationError:
            problems.add("email", "Enter an e-mail address like name@council.gov.uk")
    teams = list(Team.objects.filter(pk__in=team_ids)) if team_ids is not None else None
    if team_ids is not None and teams is not None and len(teams) != len(set(team_ids)):
        problems.add("teams", "Choose teams from the list")
    if problems:
        raise UserChangeRefused(problems)
    assert chosen is not None
    changed: list[str] = []
    with transaction.atomic():
        if chosen.value != person.role:
            audit.record(
                by, "changed_role", person.username, old=person.role, new=chosen.value
            )
            changed.append(f"role changed from {person.role_label} to {chosen.label}")
            person.role = chosen.value
        if active != person.is_active:
            audit.record(
                by, "activated_user" if active else "deactivated_user", person.username
            )
            changed.append("reactivated" if active else "deactivated")
            person.is_active = active
        if name != person.display_name or address != person.email:
            audit.record(
                by, "changed_user_details", person.username,
                old_name=person.display_name, new_name=name, old_email=person.email, new_email=address,
            )
            if name != person.display_name:
                changed.append(f"name changed to {name or 'none'}")
            if address != person.email:
                changed.append(f"e-mail address changed to {address or 'none'}")
            person.display_name, person.email = name, address
        if changed:
            person.save(update_fields=["role", "is_active", "display_name", "email"])
        if teams is not None:
            before = set(person.teams.values_list("name", flat=True))
            after = {t.name for t in teams}
            if before != after:
                person.teams.set(teams)
                audit.record(by, "changed_teams", person.username, old=sorted(before), new=sorted(after))
                changed.append("teams: " + (", ".join(sorted(after)) or "none"))
    return changed


def save_team(by: Any, team: Team | None, *, name: str, member_ids: list[int]) -> Team:
    """Create a team (``team`` None) or rename it and set its members; audited."""
    problems = Problems()
    name = " ".join(name.split())
    if not name:
        problems.add("name", "Enter the team's name, as the plan names it (e.g. Head of Front Door)")
    elif len(name) > 150:
        problems.add("name", "Enter a name of 150 characters or fewer")
    elif Team.objects.filter(name__iexact=name).exclude(pk=team.pk if team is not None else 0).exists():
        problems.add("name", f"There is already a team called {name}")
    members = list(User.objects.filter(pk__in=member_ids))
    if len(members) != len(set(member_ids)):
        problems.add("members", "Choose members from the list")
    if problems:
        raise UserChangeRefused(problems)
    with transaction.atomic():
        if team is None:
            team = Team.objects.create(name=name)
            audit.record(by, "created_team", name)
        elif team.name != name:
            audit.record(by, "renamed_team", name, old=team.name)
            team.name = name
            team.save(update_fields=["name"])
        before = set(team.members.values_list("username", flat=True))
        after = {m.username for m in members}
        if before != after:
            team.members.set(members)
            audit.record(by, "changed_team_members", name, old=sorted(before), new=sorted(after))
    return team


def delete_team(by: Any, team: Team) -> None:
    audit.record(by, "deleted_team", team.name, members=sorted(team.members.values_list("username", flat=True)))
    team.delete()


def change_password(user: User, password: str) -> None:
    """The user's own change (already validated by the form); every other session ends."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record(user, "changed_own_password", user.username)


def reset_password(by: Any, person: User, password: str) -> None:
    """An administrator's reset: the person is signed out everywhere and any lock is lifted.

    Django ends a user's sessions when their password hash changes; django-axes' failure
    records for the account are removed so the person can sign in straight away.
    """
    from axes.utils import reset as reset_failed_sign_ins

    with transaction.atomic():
        person.set_password(password)
        person.save(update_fields=["password"])
        audit.record(by, "reset_password", person.username)
    reset_failed_sign_ins(username=person.username)
