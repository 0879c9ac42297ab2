"""In a real browser: a service lead writes and submits narrative, a director approves it,
a board member reads the approved text; the owner updates an action. Every page visited
is checked with axe-core and must have no accessibility violations."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD
from tests.e2e.checks import check_accessible, watch_policy
from tests.web.workflow_plan import activate_plan

pytestmark = pytest.mark.e2e

MEASURE = "cp_visits_in_time"
MONTH = "2024-06"

ANSWERS = {
    "working_well": "Visits in timescale rose from 81% to 88% after weekly tracking.",
    "worried_about": "Two teams in the east locality are still below 80%.",
    "doing_about": "Team managers review every overdue visit at the Monday meeting.",
}


@pytest.fixture
def people(transactional_db, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself (never by the server) are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from journey.web.accounts.models import User
    from journey.web.plans import services as plan_services

    plan_services.clear_caches()
    activate_plan()

    def make(username, role, name):
        return User.objects.create_user(
            username=username, password=PASSWORD, role=role, display_name=name
        )

    return {
        "sam": make("sam", "service_lead", "Sam Lead"),
        "dana": make("dana", "director", "Dana Director"),
        "bea": make("bea", "board_member", "Bea Board"),
    }


def sign_in(browser, live_server, username):
    page = watch_policy(browser.new_context().new_page())
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def test_narrative_is_written_submitted_approved_and_read_by_the_board(
    browser, live_server, people
):
    # The service lead finds their measure in the month's overview and writes the answers.
    sam = sign_in(browser, live_server, "sam")
    sam.goto(f"{live_server.url}/narrative/?month={MONTH}&mine=1")
    check_accessible(sam)
    sam.get_by_role("link", name=re.compile("Child protection visits in timescale")).click()
    sam.get_by_role("heading", level=1).wait_for()
    assert "/narrative/cp_visits_in_time/2024-06/" in sam.url
    check_accessible(sam)
    sam.get_by_label("What's working well?").fill(ANSWERS["working_well"])
    sam.get_by_label("What are we worried about?").fill(ANSWERS["worried_about"])
    # Submitting with an answer missing is refused, with an accessible error summary.
    sam.get_by_role("button", name="Save and submit for sign-off").click()
    sam.get_by_text("There is a problem").wait_for()
    check_accessible(sam)
    sam.get_by_label("What are we doing about it?").fill(ANSWERS["doing_about"])
    sam.get_by_role("button", name="Save and submit for sign-off").click()
    sam.get_by_text("Narrative submitted for sign-off by a director.").wait_for()
    assert sam.get_by_text("Submitted for sign-off").first.is_visible()
    check_accessible(sam)

    # The director finds it in the sign-off queue, reads it and approves it.
    dana = sign_in(browser, live_server, "dana")
    dana.goto(f"{live_server.url}/narrative/sign-off/")
    check_accessible(dana)
    dana.get_by_role("link", name=re.compile("Review Child protection visits in timescale")).click()
    dana.get_by_text(ANSWERS["worried_about"]).wait_for()
    check_accessible(dana)
    dana.get_by_role("button", name="Approve this narrative").click()
    dana.get_by_text("Nothing is waiting for sign-off.").wait_for()

    # The board member sees the approved text on the measure page.
    bea = sign_in(browser, live_server, "bea")
    bea.goto(f"{live_server.url}/measures/{MEASURE}/?month={MONTH}")
    for text in ANSWERS.values():
        bea.get_by_text(text).wait_for()
    assert bea.get_by_text("Approved by Dana Director").is_visible()
    # The measure page belongs to the plans app; its narrative section is checked here.
    check_accessible(bea, within="main")

    # The history shows who did what.
    sam.goto(f"{live_server.url}/narrative/{MEASURE}/{MONTH}/history/")
    check_accessible(sam)
    history = sam.locator("table").inner_text()
    assert "Approved" in history and "Dana Director" in history and "Sam Lead" in history


def test_an_owner_updates_an_action_and_the_list_shows_it(browser, live_server, people):
    sam = sign_in(browser, live_server, "sam")
    sam.goto(f"{live_server.url}/actions/")
    check_accessible(sam)
    sam.get_by_role("link", name="1.1", exact=True).click()
    sam.get_by_role("heading", level=1).wait_for()
    check_accessible(sam)
    sam.get_by_role("link", name="Update progress").click()
    sam.get_by_label("Percentage complete").wait_for()
    check_accessible(sam)
    sam.get_by_label("Completed").check()
    sam.get_by_label("Progress note").fill("Meetings are running in every team.")
    sam.get_by_label("Evidence (optional)", exact=True).fill("Minutes of the 12 June meeting")
    sam.get_by_role("button", name="Save update").click()
    sam.get_by_text("Action 1.1 updated.").wait_for()
    assert sam.get_by_role("listitem").filter(has_text="Minutes of the 12 June meeting").is_visible()
    check_accessible(sam)

    sam.goto(f"{live_server.url}/actions/?status=completed")
    rows = sam.locator("tbody tr")
    assert rows.count() == 1
    assert "Completed" in rows.first.inner_text()
    check_accessible(sam)
