"""User management for administrators: every change is written to the audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from journey.web.accounts import audit
from journey.web.accounts.models import User
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


def update_user(by: Any, person: User, *, role: str, active: bool) -> list[str]:
    """Change a user's role and whether they may sign in. Returns what changed."""
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
        if changed:
            person.save(update_fields=["role", "is_active"])
    return changed


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
