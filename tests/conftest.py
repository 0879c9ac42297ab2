"""Shared fixtures: one signed-in client per named role."""

from __future__ import annotations

import pytest

from journey.web.accounts.roles import Role

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - test-only password


@pytest.fixture
def make_user(db):
    from journey.web.accounts.models import User

    def make(role: Role | str, username: str | None = None, **extra):
        role = Role(role)
        user = User.objects.create_user(
            username=username or role.value, password=PASSWORD, role=role.value, **extra
        )
        return user

    return make


@pytest.fixture
def client_for(make_user, client):
    """``client_for(Role.DIRECTOR)`` gives a test client signed in as a new director."""

    def sign_in(role: Role | str, username: str | None = None):
        user = make_user(role, username)
        client.force_login(user)
        client.user = user
        return client

    return sign_in


@pytest.fixture
def data_team(client_for):
    return client_for(Role.DATA_TEAM)


@pytest.fixture
def board_member(client_for):
    return client_for(Role.BOARD_MEMBER)


@pytest.fixture
def director(client_for):
    return client_for(Role.DIRECTOR)


@pytest.fixture
def service_lead(client_for):
    return client_for(Role.SERVICE_LEAD)


@pytest.fixture
def administrator(client_for):
    return client_for(Role.ADMINISTRATOR)
