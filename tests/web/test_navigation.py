"""The header marks exactly one entry as the current page."""

from django.urls import reverse

from journey.web.accounts.roles import Role


def _current(response):
    return [item["label"] for item in response.context["navigation"] if item["active"]]


def test_only_the_sign_off_entry_is_current_on_the_sign_off_page(client_for):
    client = client_for(Role.DIRECTOR)
    response = client.get(reverse("narrative:queue"))
    assert _current(response) == ["Sign-off"]


def test_the_dashboard_is_not_current_on_the_actions_page(client_for):
    client = client_for(Role.DIRECTOR)
    response = client.get(reverse("actions:list"))
    assert _current(response) == ["Actions"]


def test_a_board_member_sees_no_entries_for_work_their_role_cannot_do(client_for):
    client = client_for(Role.BOARD_MEMBER)
    response = client.get(reverse("plans:dashboard"))
    labels = [item["label"] for item in response.context["navigation"]]
    assert "Data loads" not in labels and "Users" not in labels and "Sign-off" not in labels
    assert "Dashboard" in labels
