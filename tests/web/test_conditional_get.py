"""A repeat visit to the dashboard, a measure page or a chart answers 304 Not Modified
until something the page shows has changed: the figures, the plan, narrative, actions, or
who is looking."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.messages import constants as levels
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from journey.web.accounts.roles import Role
from journey.web.plans import services

DATA = Path(__file__).parent / "data"

DASHBOARD = reverse("plans:dashboard")
MEASURE = reverse("plans:measure", args=["cp_visits"])
CHART = reverse("plans:measure_chart", args=["cp_visits"])
PAGES = [DASHBOARD, MEASURE, CHART]


@pytest.fixture
def loaded(db):
    from journey.web.actions.services import ensure_synced

    services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    services.import_observations(DATA / "observations.csv", user=None)
    ensure_synced()  # the plan's actions brought in, as the first page to show them does


def _again(client: Client, url: str, first):
    return client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])


@pytest.mark.parametrize("url", PAGES)
def test_a_repeat_visit_answers_not_modified_without_drawing_the_page(
    url, loaded, board_member, django_assert_max_num_queries
):
    first = board_member.get(url)
    assert first.status_code == 200 and first["ETag"]
    assert "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]
    with django_assert_max_num_queries(10):
        again = _again(board_member, url, first)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]


@pytest.mark.parametrize("url", PAGES)
def test_a_changed_figure_draws_the_page_again(url, loaded, board_member, data_team):
    first = board_member.get(url)
    entered = data_team.post(
        reverse("plans:manual_entry", args=["cp_visits"]), {"month": "2023-06", "value": "99"}
    )
    assert entered.status_code == 302
    again = _again(board_member, url, first)
    assert again.status_code == 200
    if url != CHART:
        assert "99.0%" in again.content.decode()


@pytest.mark.parametrize("url", PAGES)
def test_a_new_plan_draws_the_page_again(url, loaded, board_member):
    first = board_member.get(url)
    text = (DATA / "plan.yaml").read_text().replace("CP visits in timescale", "CP visits on time")
    services.save_plan_version(text, filename="plan.yaml", user=None)
    again = _again(board_member, url, first)
    assert again.status_code == 200
    assert "CP visits on time" in again.content.decode()


def test_updated_narrative_or_actions_draw_the_measure_page_again(loaded, board_member, data_team):
    first = board_member.get(MEASURE)
    action = data_team.get(reverse("actions:update", args=["1.1"]))
    version = action.context["form"].initial["version"]
    updated = data_team.post(
        reverse("actions:update", args=["1.1"]),
        {"status": "blocked", "percent_complete": "40", "note": "No analyst", "version": version},
    )
    assert updated.status_code == 302
    again = _again(board_member, MEASURE, first)
    assert again.status_code == 200
    assert "Blocked" in again.content.decode()


def test_publishing_a_month_draws_the_dashboard_again(loaded, board_member):
    """The dashboard says when a published month's figures have been revised since."""
    from django.utils import timezone

    from journey.web.reports.models import PublishedMonth

    first = board_member.get(DASHBOARD)
    PublishedMonth.objects.create(
        period="2023-06", published_at=timezone.now(), judged_on=timezone.localdate(),
        plan_text="", plan_sha256="", inputs={}, figures=b"", inputs_sha256="",
    )
    assert _again(board_member, DASHBOARD, first).status_code == 200


def test_someone_else_with_the_same_etag_is_sent_their_own_page(loaded, board_member, make_user):
    first = board_member.get(DASHBOARD)
    other = Client()
    other.force_login(make_user(Role.DATA_TEAM, "dee"))
    answer = _again(other, DASHBOARD, first)
    assert answer.status_code == 200
    assert "Dee" in answer.content.decode() or "dee" in answer.content.decode()


def test_joining_a_team_draws_my_measures_again(loaded, service_lead):
    """Measures are owned by people or teams: a new member owns the team's measures."""
    from journey.web.accounts.services import save_team

    first = service_lead.get(DASHBOARD, {"mine": "1"})
    save_team(None, None, name="Front Door", member_ids=[service_lead.user.pk])
    again = service_lead.get(DASHBOARD, {"mine": "1"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200


def test_another_month_or_filter_is_another_page(loaded, board_member):
    first = board_member.get(DASHBOARD)
    for query in ({"month": "2023-05"}, {"red": "1"}):
        assert board_member.get(DASHBOARD, query, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_signing_in_again_draws_the_page_with_the_new_sign_out_token(loaded, make_user, client):
    """A 304 would show a page whose sign-out form carries the old session's CSRF token."""
    from tests.conftest import PASSWORD

    make_user(Role.BOARD_MEMBER, "bea")
    client.post(reverse("accounts:login"), {"username": "bea", "password": PASSWORD})
    first = client.get(DASHBOARD)
    client.post(reverse("accounts:logout"))
    client.post(reverse("accounts:login"), {"username": "bea", "password": PASSWORD})
    assert _again(client, DASHBOARD, first).status_code == 200


def test_a_waiting_message_is_shown_not_hidden_behind_a_304(loaded, board_member):
    first = board_member.get(DASHBOARD)
    storage = CookieStorage(RequestFactory().get(DASHBOARD))
    storage.add(levels.SUCCESS, "Your password has been changed.")
    carrier = HttpResponse()
    storage.update(carrier)
    board_member.cookies.update(carrier.cookies)
    again = _again(board_member, DASHBOARD, first)
    assert again.status_code == 200
    assert "Your password has been changed." in again.content.decode()
    assert "ETag" not in again  # a page with a message is always drawn
    assert _again(board_member, DASHBOARD, first).status_code == 304  # shown once, then 304s


def test_what_one_release_kept_in_the_shared_cache_is_never_read_by_another(monkeypatch):
    # The file cache outlives an upgrade; a plan or a page's figures pickled by the release
    # before may lack what this one reads, so every key names the code running.
    from journey.web import release
    from journey.web.plans import services

    before = services.cache_key("plan", "same", "parts")
    monkeypatch.setattr(release, "code_version", lambda: "another-release")
    after = services.cache_key("plan", "same", "parts")
    assert before != after and before.startswith("journey:plan:") and after.startswith("journey:plan:")
    assert services.cache_key("plan", "same", "parts") == after
