"""Signing in with a local account: password rules, change and reset, throttling, idle time-out.

Each test reproduces a finding of the security test (issue 14) and failed before the fix.
"""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from journey.web.accounts.models import AuditEvent, User
from journey.web.accounts.roles import Role
from tests.conftest import PASSWORD

NEW_PASSWORD = "lantern-orchard-mileage-42"  # noqa: S105 - test-only


def _sign_in(client: Client, username: str, password: str, address: str = "10.9.8.7"):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def _signed_in(client: Client) -> bool:
    response = client.get(reverse("plans:dashboard"))
    return response.status_code == 200


# ------------------------------------------------------------------- password rules


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Northfield", "too short"),
        ("Northfield12", "too similar to the username"),
        ("Samantha-Northfield", "too similar to the name"),
        ("password1234", "too common"),
        ("734982165487", "entirely numeric"),
    ],
)
def test_a_new_account_refuses_a_weak_password(administrator, password, why):
    response = administrator.post(
        reverse("accounts:user_create"),
        {
            "username": "northfield",
            "display_name": "Samantha Northfield",
            "role": "director",
            "password": password,
            "password_again": password,
        },
    )
    assert response.status_code == 400, why
    assert not User.objects.filter(username="northfield").exists()


def test_a_new_account_accepts_a_long_unrelated_password(administrator):
    response = administrator.post(
        reverse("accounts:user_create"),
        {"username": "northfield", "role": "director", "password": NEW_PASSWORD,
         "password_again": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.get(username="northfield").check_password(NEW_PASSWORD)


# ------------------------------------------------------------ changing one's password


def test_a_user_changes_their_password_and_their_other_sessions_end(make_user):
    user = make_user(Role.SERVICE_LEAD, "sam")
    here, elsewhere = Client(), Client()
    here.force_login(user)
    elsewhere.force_login(user)
    page = here.get(reverse("accounts:password_change"))
    assert page.status_code == 200
    response = here.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert _signed_in(here)
    assert not _signed_in(elsewhere)
    assert AuditEvent.objects.filter(action="changed_own_password", target="sam").exists()


def test_a_password_change_needs_the_old_password_and_a_strong_new_one(make_user):
    user = make_user(Role.SERVICE_LEAD, "sam")
    client = Client()
    client.force_login(user)
    wrong_old = client.post(
        reverse("accounts:password_change"),
        {"old_password": "not-my-password", "new_password1": NEW_PASSWORD,
         "new_password2": NEW_PASSWORD},
    )
    weak_new = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "sam12345", "new_password2": "sam12345"},
    )
    assert wrong_old.status_code == 400 and weak_new.status_code == 400
    assert "at least 12 characters" in weak_new.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# ---------------------------------------------------------- an administrator's reset


def test_an_administrator_resets_a_password_and_the_person_is_signed_out_everywhere(
    administrator, make_user
):
    person = make_user(Role.DATA_TEAM, "dee")
    their_session = Client()
    their_session.force_login(person)
    response = administrator.post(
        reverse("accounts:password_reset", args=[person.pk]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert not _signed_in(their_session)
    assert _signed_in(administrator)
    event = AuditEvent.objects.get(action="reset_password")
    assert event.target == "dee" and event.username == administrator.user.username
    assert NEW_PASSWORD not in str(event.detail)


def test_only_an_administrator_may_reset_someone_elses_password(director, make_user):
    person = make_user(Role.DATA_TEAM, "dee")
    response = director.post(
        reverse("accounts:password_reset", args=[person.pk]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


# ------------------------------------------------------------- failed sign-ins throttled


def test_after_repeated_failures_even_the_right_password_is_refused_for_a_while(
    make_user, client, settings
):
    make_user(Role.DIRECTOR, "dcs")
    for _ in range(24):
        _sign_in(client, "dcs", "guess-" + "x" * 10)
    response = _sign_in(client, "dcs", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert not _signed_in(client)


def test_an_account_is_throttled_whichever_address_the_guesses_come_from(make_user):
    make_user(Role.DIRECTOR, "dcs")
    for n in range(6):
        _sign_in(Client(), "dcs", "wrong-password-here", address=f"10.0.0.{n}")
    assert _sign_in(Client(), "dcs", PASSWORD, address="10.0.1.1").status_code == 429


def test_an_address_is_throttled_whichever_accounts_it_guesses(make_user):
    for name in ("a1", "a2", "a3", "a4", "a5", "a6"):
        make_user(Role.BOARD_MEMBER, name)
        _sign_in(Client(), name, "wrong-password-here", address="10.7.7.7")
    make_user(Role.BOARD_MEMBER, "fresh")
    assert _sign_in(Client(), "fresh", PASSWORD, address="10.7.7.7").status_code == 429
    assert _sign_in(Client(), "fresh", PASSWORD, address="10.7.7.8").status_code == 302


def test_a_forged_forwarded_for_header_does_not_escape_the_address_throttle(make_user):
    for n in range(6):
        make_user(Role.BOARD_MEMBER, f"b{n}")
        Client().post(
            reverse("accounts:login"), {"username": f"b{n}", "password": "wrong-password-x"},
            REMOTE_ADDR="10.6.6.6", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    make_user(Role.BOARD_MEMBER, "fresh")
    response = Client().post(
        reverse("accounts:login"), {"username": "fresh", "password": PASSWORD},
        REMOTE_ADDR="10.6.6.6", HTTP_X_FORWARDED_FOR="192.0.2.99",
    )
    assert response.status_code == 429


def test_an_administrators_reset_lifts_the_lock(administrator, make_user):
    person = make_user(Role.DIRECTOR, "dcs")
    for _ in range(6):
        _sign_in(Client(), "dcs", "wrong-password-here")
    administrator.post(
        reverse("accounts:password_reset", args=[person.pk]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert _sign_in(Client(), "dcs", NEW_PASSWORD).status_code == 302


def test_a_few_mistakes_then_the_right_password_signs_in(make_user, client):
    make_user(Role.DIRECTOR, "dcs")
    for _ in range(3):
        assert _sign_in(client, "dcs", "wrong-password-here").status_code == 400  # the form again, with the error
    assert _sign_in(client, "dcs", PASSWORD).status_code == 302


# ------------------------------------------------------------------ session time-out


def test_a_session_ends_after_the_idle_time(make_user, client, settings, monkeypatch):
    user = make_user(Role.DIRECTOR, "dcs")
    assert _sign_in(client, "dcs", PASSWORD).status_code == 302
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_IDLE_SECONDS <= 60 * 60
    from django.contrib.sessions.models import Session

    session = Session.objects.get()
    user.refresh_from_db()
    assert (session.expire_date - user.last_login).total_seconds() <= settings.SESSION_IDLE_SECONDS + 5
    # Idle: the stored session expires, and the next request goes to sign in.
    Session.objects.update(expire_date=session.expire_date.replace(year=2000))
    response = client.get(reverse("plans:dashboard"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_activity_keeps_a_session_alive_and_moves_its_expiry(make_user, client, monkeypatch):
    from django.contrib.sessions.models import Session

    make_user(Role.DIRECTOR, "dcs")
    _sign_in(client, "dcs", PASSWORD)
    first = Session.objects.get().expire_date
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    from django.utils import timezone

    real_now = timezone.now
    monkeypatch.setattr(
        timezone, "now", lambda: real_now() + timezone.timedelta(seconds=120)
    )
    assert _signed_in(client)
    assert Session.objects.get().expire_date > first


def test_a_session_ends_after_its_longest_life_whatever_the_activity(
    make_user, client, settings, monkeypatch
):
    make_user(Role.DIRECTOR, "dcs")
    _sign_in(client, "dcs", PASSWORD)
    assert _signed_in(client)
    later = time.time() + settings.SESSION_MAX_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get(reverse("plans:dashboard"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
