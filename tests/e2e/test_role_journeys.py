"""A Monday morning for each role, in a real browser (Debian's Chromium) against a live
server: the director reads the dashboard at 1,366×768 and a measure; a service lead writes
and submits the narrative for a measure they own, beside its figures and chart; a team
manager works the list of children behind a figure (filter, sort, download); a board member
and a scrutiny councillor read, and the councillor is refused child- and worker-level data
and draft reports. Every page visited is checked with axe-core; each journey saves
screenshots (to $JOURNEY_E2E_SHOTS when set, else a temporary folder) for a person to look at.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.e2e.checks import check_accessible, watch_policy

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "web" / "data"
MONDAY = {"width": 1366, "height": 768}

CHILDREN = "child_id,sex,date_of_birth\n" + "".join(
    f"QZ{n:02d},{'FM'[n % 2]},{2008 + n % 9}-0{1 + n % 9}-1{n % 10}\n" for n in range(1, 13)
)
# Referrals, April to June 2023: June has seven (four in North, two in South, one whose team
# was not recorded), with the workers who took them.
REFERRALS = "referral_id,child_id,referral_date,team,worker_id\n" + "".join(
    f"R{i},QZ{child:02d},{day},{team},{worker}\n"
    for i, (child, day, team, worker) in enumerate(
        [
            (1, "2023-04-04", "North", "W101"), (2, "2023-04-12", "South", "W201"),
            (3, "2023-04-20", "North", "W102"), (4, "2023-05-02", "North", "W101"),
            (5, "2023-05-09", "South", "W201"), (6, "2023-05-16", "South", "W202"),
            (7, "2023-05-23", "North", "W102"), (8, "2023-05-30", "North", "W101"),
            (9, "2023-06-01", "North", "W101"), (10, "2023-06-05", "North", "W102"),
            (11, "2023-06-08", "South", "W201"), (12, "2023-06-13", "North", "W101"),
            (1, "2023-06-19", "South", "W202"), (2, "2023-06-22", "North", "W102"),
            (3, "2023-06-27", "", ""),
        ],
        start=1,
    )
)


@pytest.fixture
def council(transactional_db, monkeypatch, settings, tmp_path):
    """The web tests' plan and figures, an extract of referrals accepted, people in each role
    (sam owns CP visits) and a draft board pack built by the data team."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.DATA_DIR = tmp_path
    from journey.web.accounts.models import User
    from journey.web.casedata import services as casedata
    from journey.web.plans import services
    from journey.web.reports.models import ReportBuild

    services.clear_caches()
    services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    services.import_observations(DATA / "observations.csv", user=None)
    files = {
        "children.csv": CHILDREN.encode(),
        "referrals.csv": REFERRALS.encode(),
        "extract.json": b'{"as_at": "2023-07-03"}',
    }
    proposal = casedata.propose(files)
    assert not proposal.errors, proposal.errors
    casedata.accept(proposal, user=None, by_name="fixture", acknowledged=[c.code for c in proposal.to_acknowledge])
    for username, role, name in [
        ("dana", "director", "Dana Director"), ("sam", "service_lead", "Sam Lead"),
        ("tia", "team_manager", "Tia Manager"), ("bea", "board_member", "Bea Board"),
        ("cal", "scrutiny", "Cllr Cal Scrutiny"),
    ]:
        User.objects.create_user(username=username, password=PASSWORD, role=role, display_name=name)
    draft = ReportBuild.objects.create(
        kind="monthly", period="2023-06", format="pdf", status=ReportBuild.Status.DONE,
        progress=100, draft=True, content=b"%PDF-1.7 draft", filename="monthly-report-2023-06-DRAFT.pdf",
        media_type="application/pdf", size=14, message="DRAFT: narrative not approved",
    )
    yield {"draft": draft}
    services.clear_caches()


@pytest.fixture
def shots(tmp_path_factory, request):
    folder = Path(os.environ.get("JOURNEY_E2E_SHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    prefix = request.node.name.removeprefix("test_")[:40]

    def shot(page, name: str, full_page: bool = True) -> Path:
        path = folder / f"{prefix}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return shot


def sign_in(browser, live_server, username, viewport=MONDAY):
    page = watch_policy(browser.new_context(viewport=viewport, accept_downloads=True, locale="en-GB").new_page())
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def wait_for_chart(page):
    page.wait_for_function(
        "() => { const i = document.querySelector('figure.journey-chart img');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=30_000,
    )


def test_a_directors_monday_reads_the_dashboard_at_1366_by_768_then_a_measure(council, live_server, browser, shots):
    page = sign_in(browser, live_server, "dana")
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard: Jun-2023"
    # The first priority's table starts within the first screen and nothing runs off its side.
    first = page.get_by_role("table", name=re.compile("Planning and safety")).get_by_role("row").nth(1)
    box = first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= MONDAY["height"], box
    assert page.evaluate("document.documentElement.scrollWidth") <= MONDAY["width"]
    row = page.get_by_role("row", name=re.compile("CP visits in timescale"))
    assert "84.5%" in row.inner_text() and "Amber" in row.inner_text()
    check_accessible(page)
    shots(page, "dashboard-first-screen", full_page=False)
    # By keyboard: the second Tab is the skip link to the first priority, whose first measure
    # is the next Tab after it.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").startswith("Skip to A – Planning and safety")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "CP visits in timescale"
    assert page.evaluate("document.activeElement.closest('table') !== null")

    page.get_by_role("link", name="CP visits in timescale").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "CP visits in timescale"
    wait_for_chart(page)
    assert "169 of 200" in page.locator("#months-table").inner_text()
    assert page.get_by_role("heading", name="What is counted").is_visible()
    check_accessible(page)
    shots(page, "measure")


def test_a_service_lead_writes_and_submits_the_narrative_beside_its_figures(council, live_server, browser, shots):
    page = sign_in(browser, live_server, "sam")
    page.get_by_role("link", name="Narrative", exact=True).click()
    # The month picker offers the months with figures and opens at the newest.
    assert page.get_by_role("heading", level=1).inner_text() == "Narrative for Jun-2023"
    # (the extract gives figures for the 24 months to June 2023).
    months = page.get_by_label("Month").locator("option").all_inner_texts()
    assert months[:3] == ["Jun-2023", "May-2023", "Apr-2023"] and months[-1] == "Jul-2021" and len(months) == 24
    page.get_by_label("Only measures I own").check()
    page.get_by_role("button", name="Show").click()
    check_accessible(page)
    shots(page, "my-measures")
    page.get_by_role("link", name="CP visits in timescale").click()
    assert "84.5%" in page.locator("#narrative-figure").inner_text()
    assert "Sam Lead" in page.get_by_role("definition").first.inner_text()  # the owner, by name
    wait_for_chart(page)
    check_accessible(page)
    page.get_by_label("What's working well?").fill("Visits in timescale rose to 91% in April.")
    page.get_by_label("What are we worried about?").fill("June fell to 84.5%: 31 of 200 visits were late.")
    page.get_by_label("What are we doing about it?").fill("Team managers review every overdue visit weekly.")
    page.get_by_role("button", name="Save and submit for sign-off").click()
    page.get_by_text("Narrative submitted for sign-off by a director.").wait_for()
    assert page.get_by_text("Submitted for sign-off").first.is_visible()
    check_accessible(page)
    shots(page, "submitted")

    # The director signs it off reading the same figures and chart.
    director = sign_in(browser, live_server, "dana")
    director.goto(f"{live_server.url}/narrative/sign-off/")
    director.get_by_role("link", name=re.compile("Review CP visits in timescale")).click()
    assert "84.5%" in director.locator("#narrative-figure").inner_text()
    wait_for_chart(director)
    check_accessible(director)
    shots(director, "sign-off")
    director.get_by_role("button", name="Approve this narrative").click()
    director.get_by_text("Nothing is waiting for sign-off.").wait_for()


def test_a_team_manager_filters_sorts_and_downloads_the_children_behind_a_figure(council, live_server, browser, shots):
    from journey.web.accounts.models import AuditEvent

    page = sign_in(browser, live_server, "tia")
    page.get_by_role("link", name="Referrals in month").first.click()
    page.get_by_role("link", name="See the children behind this figure").click()
    listing = page.get_by_role("table", name=re.compile("of 7 records"))
    assert listing.get_by_role("row").count() == 8
    # Codes in words: the three children referred again while an episode was open.
    assert listing.get_by_text("8820: The dates on the CIN episodes for this child overlap").count() == 3
    check_accessible(page)
    shots(page, "all")

    page.get_by_label("Team").select_option("North")
    page.get_by_role("button", name="Show the list").click()
    listing = page.get_by_role("table", name=re.compile("4 of 7 records"))
    assert "South" not in listing.inner_text()
    header = listing.get_by_role("columnheader").first
    name = header.inner_text().split("\n")[0].strip(" ▲▼")
    header.get_by_role("link").click()
    sorted_header = page.get_by_role("table", name=re.compile("4 of 7 records")).get_by_role("columnheader").first
    assert sorted_header.get_attribute("aria-sort") in ("ascending", "descending"), name
    check_accessible(page)
    shots(page, "north-sorted")

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="CSV", exact=True).click()
    text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    assert len(text.strip().splitlines()) == 5 and "South" not in text
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Excel", exact=True).click()
    assert Path(xlsx_download.value.path()).read_bytes()[:2] == b"PK"
    exports = AuditEvent.objects.filter(action="exported_child_list", username="tia")
    assert sorted(e.detail["format"] for e in exports) == ["csv", "xlsx"]
    assert all(e.detail["team"] == "North" for e in exports)


def test_a_board_member_reads_without_worker_figures_or_small_numbers(council, live_server, browser, shots):
    page = sign_in(browser, live_server, "bea")
    assert page.get_by_role("heading", level=1).inner_text() == "Dashboard: Jun-2023"
    check_accessible(page)
    shots(page, "dashboard", full_page=False)
    page.get_by_role("link", name="Referrals in month").first.click()
    wait_for_chart(page)
    body = page.locator("main").inner_text()
    assert "Figures for individual workers are shown to staff only." in body
    assert "W101" not in body and "Children behind the figure" not in body
    assert page.get_by_role("table", name=re.compile("By team")).is_visible()
    check_accessible(page)
    shots(page, "measure")


def test_scrutiny_reads_and_is_refused_worker_level_data_and_draft_reports(council, live_server, browser, shots):
    page = sign_in(browser, live_server, "cal")
    check_accessible(page)
    page.get_by_role("link", name="Referrals in month").first.click()
    body = page.locator("main").inner_text()
    assert "Figures for individual workers are shown to staff only." in body and "W101" not in body
    check_accessible(page)
    shots(page, "measure")

    response = page.goto(f"{live_server.url}/measures/referrals/children/?as_at=2023-06")
    assert response is not None and response.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "You cannot see this page"
    assert "child" in page.locator("main").inner_text().lower()
    check_accessible(page)
    shots(page, "refused-children")

    page.goto(f"{live_server.url}/reports/")
    assert page.get_by_role("button", name=re.compile("Build")).count() == 0
    assert "monthly-report-2023-06-DRAFT" not in page.content()
    check_accessible(page)
    shots(page, "reports")
    draft = council["draft"]
    response = page.goto(f"{live_server.url}/reports/builds/{draft.pk}/download/")
    assert response is not None and response.status == 403
    assert "draft" in page.locator("main").inner_text().lower()
    check_accessible(page)
    shots(page, "refused-draft")
