"""In a real browser (Debian's Chromium) against a live server: signing in, the dashboard,
a RAG change after importing figures, loading an extract with live progress, and a board
member refused the child list. Every page visited is checked with axe-core and must have
no accessibility violations; pages print without navigation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.e2e.checks import check_accessible, watch_policy

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "web" / "data"


@pytest.fixture
def site(transactional_db, monkeypatch, settings, tmp_path):
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # test itself are safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.DATA_DIR = tmp_path
    from journey.web.accounts.models import User
    from journey.web.plans import services

    services.clear_caches()
    services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    services.import_observations(DATA / "observations.csv", user=None)
    for username, role, name in [
        ("dee", "data_team", "Dee Data"),
        ("bea", "board_member", "Bea Board"),
        ("ada", "administrator", "Ada Admin"),
        ("sam", "service_lead", "Sam Lead"),
    ]:
        User.objects.create_user(username=username, password=PASSWORD, role=role, display_name=name)
    yield
    services.clear_caches()


def sign_in(browser, live_server, username):
    page = watch_policy(browser.new_page(viewport={"width": 1280, "height": 900}))
    page.goto(f"{live_server.url}/accounts/login/")
    check_accessible(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/$"))
    return page


def test_a_board_member_signs_in_and_reads_an_accessible_dashboard_and_measure_page(
    site, live_server, browser
):
    page = sign_in(browser, live_server, "bea")
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard: Jun-2023"
    table = page.get_by_role("table", name=re.compile("Planning and safety"))
    row = table.get_by_role("row", name=re.compile("CP visits in timescale"))
    assert "Amber" in row.inner_text() and "Worsening" in row.inner_text()
    check_accessible(page)

    page.get_by_label("Worsening").check()
    page.get_by_role("button", name="Show", exact=True).click()
    assert "worsening=1" in page.url
    assert page.get_by_role("row").filter(has_text="Re-referrals").count() == 0
    check_accessible(page)

    page.get_by_role("link", name="Clear filters").click()
    page.get_by_role("link", name="Re-referrals within 12 months").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Re-referrals within 12 months"
    chart = page.locator("figure.journey-chart img")
    assert chart.count() == 1
    page.wait_for_function(
        "() => { const i = document.querySelector('figure.journey-chart img');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=20_000,
    )
    assert page.get_by_role("table", name="Milestone targets").is_visible()
    check_accessible(page)

    page.emulate_media(media="print")
    assert not page.locator(".govuk-header__navigation").is_visible()
    assert page.locator("figure.journey-chart img").is_visible()


def test_importing_observations_in_the_browser_turns_a_measure_red_on_the_dashboard(
    site, live_server, browser
):
    page = sign_in(browser, live_server, "dee")
    row = page.get_by_role("row", name=re.compile("CP visits in timescale"))
    assert "Amber" in row.inner_text()

    page.get_by_role("link", name="Data loads").click()
    check_accessible(page)
    page.get_by_label("Observations CSV").set_input_files(str(DATA / "observations_june_revised.csv"))
    page.get_by_role("button", name="Import figures").click()
    assert "Imported 2 figures" in page.locator(".govuk-notification-banner").inner_text()
    check_accessible(page)
    page.get_by_role("link", name="observations_june_revised.csv").click()
    assert "84.5" in page.get_by_role("table", name=re.compile("Figures this import changed")).inner_text()
    check_accessible(page)

    page.get_by_role("link", name="Dashboard").click()
    row = page.get_by_role("row", name=re.compile("CP visits in timescale"))
    assert "Red" in row.inner_text() and "72.0%" in row.inner_text()
    assert "1 measure newly red: CP visits in timescale." in page.content()
    check_accessible(page)


def test_loading_an_extract_shows_the_report_then_live_progress_then_the_figures(
    site, live_server, browser, tmp_path
):
    extract = tmp_path / "extract"
    extract.mkdir()
    (extract / "children.csv").write_text(
        "child_id,sex,date_of_birth\nC1,F,2015-03-02\nC2,M,2012-07-19\nC3,F,2019-01-05\n"
    )
    (extract / "referrals.csv").write_text(
        "referral_id,child_id,referral_date\nR1,C1,2023-04-03\nR2,C2,2023-06-10\nR3,C3,2023-06-12\n"
    )
    (extract / "extract.json").write_text('{"as_at": "2023-07-03"}')
    page = sign_in(browser, live_server, "dee")
    page.get_by_role("link", name="Data loads").click()
    page.get_by_label("Extract files").set_input_files(sorted(str(p) for p in extract.iterdir()))
    page.get_by_role("button", name="Upload and check").click()
    page.get_by_role("button", name="Accept and load").wait_for(timeout=20_000)
    assert page.get_by_role("table", name="Tables found").is_visible()
    moves = page.get_by_role("table", name=re.compile("The largest moves first"))
    assert "Referrals in month" in moves.inner_text()
    check_accessible(page)
    page.get_by_role("button", name="Accept and load").click()
    page.get_by_role("link", name="See the figures on the dashboard").wait_for(timeout=30_000)
    assert "now the data in use" in page.locator("#job-status").inner_text()
    check_accessible(page)
    page.get_by_role("link", name="See the figures on the dashboard").click()
    row = page.get_by_role("row", name=re.compile("Referrals in month"))
    assert "2" in row.inner_text() and "Green" in row.inner_text()

    page.goto(f"{live_server.url}/measures/referrals/?month=2023-06")
    page.get_by_role("link", name="See the children behind this figure").click()
    listing = page.get_by_role("table", name="2 of 2 records")
    assert "C2" in listing.inner_text() and "C3" in listing.inner_text()
    check_accessible(page)
    from journey.web.accounts.models import AuditEvent

    assert AuditEvent.objects.filter(action="viewed_child_list", username="dee").exists()


def test_a_board_member_is_refused_the_child_list_and_sees_no_child_data(site, live_server, browser):
    page = sign_in(browser, live_server, "bea")
    page.goto(f"{live_server.url}/measures/referrals/")
    assert "Children behind the figure" not in page.content()
    response = page.goto(f"{live_server.url}/measures/referrals/children/?month=2023-06")
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "You cannot see this page"
    check_accessible(page)


def test_administrator_pages_and_forms_with_errors_are_accessible(site, live_server, browser):
    page = sign_in(browser, live_server, "ada")
    page.get_by_role("link", name="Users").click()
    check_accessible(page)
    page.get_by_role("link", name="Add a user").click()
    page.get_by_role("button", name="Add user").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    check_accessible(page)

    page = sign_in(browser, live_server, "sam")
    page.goto(f"{live_server.url}/measures/cp_visits/figures/")
    page.get_by_label("Figure").fill("120")
    page.get_by_label("Month").fill("2023-06")
    page.get_by_role("button", name="Save figure").click()
    assert "cannot be more than 100" in page.content()
    check_accessible(page)

    page = sign_in(browser, live_server, "dee")
    page.get_by_role("link", name="Plan", exact=True).click()
    check_accessible(page)
    page.get_by_role("link", name="Edit the plan file").click()
    page.get_by_label(re.compile("^Plan")).fill("authority: [unclosed")
    page.get_by_role("button", name="Check and save").click()
    assert page.get_by_role("table", name="Problems").is_visible()
    check_accessible(page)

    from journey.web.plans.models import PlanVersion

    page.goto(f"{live_server.url}/plan/versions/{PlanVersion.objects.get().pk}/")
    check_accessible(page)

    page.get_by_role("link", name="Data loads").click()
    page.get_by_label("Observations CSV").set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv",
                "buffer": b"measure_id,period,value\ncp_visits,June,80\n"}]
    )
    page.get_by_role("button", name="Import figures").click()
    assert page.get_by_role("heading", name="There is a problem").is_visible()
    check_accessible(page)

    page.get_by_label("Extract files").set_input_files(
        files=[{"name": "children.csv", "mimeType": "text/csv",
                "buffer": b"child_id,sex,date_of_birth\nQ1,F,2014-11-29\nQ1,M,2014-11-29\n"}]
    )
    page.get_by_role("button", name="Upload and check").click()
    page.get_by_role("table", name=re.compile("Validation report")).wait_for(timeout=20_000)
    check_accessible(page)
