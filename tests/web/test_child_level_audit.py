"""Every refused request for child-level records is in the audit log."""

from __future__ import annotations

import pytest
from django.urls import reverse

from journey.web.accounts.models import AuditEvent
from journey.web.accounts.roles import Role
from tests.web import test_security as security
from tests.web.url_walk import GUARDED_VIEWS

examples = security.examples
CHILD_LEVEL = [
    (name, pattern) for name, pattern in GUARDED_VIEWS
    if getattr(pattern.callback, "journey_child_level", False)
]


def test_the_child_list_and_validation_reports_are_marked_child_level():
    names = {name for name, _ in CHILD_LEVEL}
    assert {"plans:child_list", "casedata:job", "casedata:job_status"} <= names


@pytest.mark.parametrize("role", [Role.BOARD_MEMBER, Role.SCRUTINY, Role.ADMINISTRATOR],
                         ids=lambda r: r.value)
def test_a_refused_request_for_child_level_records_is_audited(examples, make_user, role):
    client = security._signed_in(make_user, role, f"denied-{role.value}")
    for name, pattern in CHILD_LEVEL:
        url = security._url(name, pattern, examples)
        before = AuditEvent.objects.filter(action="denied_child_level").count()
        assert client.get(url, {"month": "2023-06"}).status_code == 403, name
        event = AuditEvent.objects.filter(action="denied_child_level").first()
        assert AuditEvent.objects.filter(action="denied_child_level").count() == before + 1
        assert event.username == f"denied-{role.value}" and event.target == url
        assert event.detail["role"] == role.value and event.detail["method"] == "GET"


def test_a_request_for_child_level_records_before_signing_in_is_audited(examples, client):
    url = reverse("plans:child_list", kwargs=examples["plans:child_list"])
    response = client.get(url)
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="denied_child_level")
    assert event.username == "" and event.target == url
    assert event.detail["role"] == "not signed in"


def test_an_allowed_request_and_a_refused_aggregate_page_are_not_audited_as_denied(
    examples, make_user
):
    manager = security._signed_in(make_user, Role.TEAM_MANAGER, "tm")
    manager.get(reverse("plans:child_list", kwargs=examples["plans:child_list"]))
    board = security._signed_in(make_user, Role.BOARD_MEMBER, "board")
    assert board.get(reverse("accounts:users")).status_code == 403
    assert not AuditEvent.objects.filter(action="denied_child_level").exists()
