"""Every error page says what went wrong in the reader's terms."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from journey.web.accounts.roles import Role

DATA = Path(__file__).parent / "data"


def test_a_refused_page_says_what_the_role_cannot_do_not_something_else(client_for):
    response = client_for(Role.SCRUTINY).get(reverse("accounts:users"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "Your role (Scrutiny councillor) cannot manage users, roles and teams" in body
    assert "child-level" not in body.lower() and "individual children" not in body
    assert "ask an administrator to change your role" in body


def test_a_refusal_that_no_role_change_would_lift_does_not_suggest_one(client_for, make_user):
    # Someone else's narrative: the owner, the data team or a director may write it.
    from journey.web.plans import services

    services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    other = client_for(Role.SERVICE_LEAD, "not-the-owner")
    response = other.post(reverse("narrative:edit", args=["cp_visits", "2023-06"]),
                          {"version": 0, "intent": "save", "working_well": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Only the measure&#x27;s owner, the data team or a director can write this narrative." in body
    assert "change your role" not in body


def test_a_refused_child_list_says_why_children_are_not_shown(client_for, db):
    body = client_for(Role.BOARD_MEMBER).get(reverse("plans:child_list", args=["cp_visits"])).content.decode()
    assert "cannot see records about individual children" in body


def test_a_missing_measure_says_so(client_for, db):
    response = client_for(Role.DIRECTOR).get(reverse("plans:measure", args=["no_such_measure"]))
    assert response.status_code == 404
    assert "No such measure in the active plan." in response.content.decode()


def test_an_unknown_address_says_to_check_it(client_for, db):
    response = client_for(Role.DIRECTOR).get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "check it is correct" in body and "Resolver404" not in body


@pytest.mark.django_db
def test_a_form_sent_from_an_expired_page_says_nothing_was_saved(make_user):
    from tests.conftest import PASSWORD

    make_user(Role.DATA_TEAM, "dee")
    client = Client(enforce_csrf_checks=True)
    client.login(username="dee", password=PASSWORD)
    response = client.post(reverse("plans:plan_edit"), {"text": "x"})
    assert response.status_code == 403
    assert "The form had expired" in response.content.decode()


def test_a_request_that_cannot_be_read_says_nothing_was_changed(rf, settings):
    from django.views.defaults import bad_request

    response = bad_request(rf.get("/"), Exception("bad"))
    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()
