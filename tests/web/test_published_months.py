"""A published month is frozen: its reports never change; later figures show as revisions."""

from __future__ import annotations

import dataclasses
import io
import re
from collections import Counter
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from docx import Document
from pypdf import PdfReader

from journey.engine.reports import renderers
from journey.engine.reports.assemble import assemble
from journey.engine.reports.model import Table
from journey.web.accounts.roles import Role
from journey.web.actions import services as actions
from journey.web.plans import services as plans
from journey.web.reports import services
from journey.web.reports.models import PublishedMonth, ReportBuild
from tests.web.frozen_council import FIGURES, PLAN, approve_all, load, on

SNAPSHOT = "5eed" * 16
"""The extract snapshot the reloaded figures name as having made them."""
REVISED = "\n".join(
    line + ("," + ("snapshot" if number == 0 else SNAPSHOT) if line else "")
    for number, line in enumerate(
        FIGURES.replace("cp_visits,2024-09,84.0,84,100", "cp_visits,2024-09,84.6,423,500")
        .replace("re_referrals,2024-08,21.0", "re_referrals,2024-08,26.0")
        .split("\n")
    )
)
OCTOBER = f"cp_visits,2024-10,87.0,,,{SNAPSHOT}\nre_referrals,2024-10,22.0,,,{SNAPSHOT}\naudits_completed,2024-10,30,,,{SNAPSHOT}\n"


@pytest.fixture
def inline():
    """Tests run tasks as they are queued (the immediate backend): the build is finished."""


def build(user, period="2024-09", fmt="html") -> ReportBuild:
    return services.request_build(user, "monthly", period, fmt)


def pack(period: str = "2024-09"):
    inputs = services.build_inputs(period)
    inputs.charts = False
    return assemble("monthly", inputs)


def without_revisions(report):
    """The report with its revision notes taken out and no build date: what was published."""
    sections = []
    for section in report.sections:
        if section.id == "revisions":
            continue
        sections.append(_strip(section))
    return dataclasses.replace(report, sections=sections, generated_at=None, cover_facts=[
        f for f in report.cover_facts if f[0] != "Prepared on"
    ])


def _strip(section):
    blocks = [b for b in section.blocks if not getattr(b, "text", "").startswith("Revised since publication")]
    return dataclasses.replace(section, blocks=blocks, subsections=[_strip(s) for s in section.subsections])


def without_prepared_on(html: bytes) -> str:
    return re.sub(r"Prepared on</dt><dd>[^<]*<", "Prepared on</dt><dd><", html.decode())


@pytest.fixture
def published_september(db, make_user, tmp_path, inline):
    return publish_september(make_user, tmp_path)


def publish_september(make_user, tmp_path, before_publishing=None):
    """September 2024 approved on 14 October, built and published on 15 October 2024."""
    with on(2024, 4, 1):
        plans.save_plan_version(PLAN, filename="plan.yaml", user=None)
        actions.ensure_synced()
    lead = make_user(Role.DATA_TEAM, "analyst")
    with on(2024, 9, 15):
        actions.update(lead, "3.1", base_version=0, status="in_progress", percent_complete=40)
    with on(2024, 10, 10):
        load(tmp_path)
    with on(2024, 10, 14):
        approve_all(make_user, "2024-09")
    director = make_user(Role.DIRECTOR, "publisher")
    if before_publishing is not None:
        before_publishing(lead, director)
    with on(2024, 10, 15):
        built = build(director)
        original = pack()
        services.publish(director, built)
    built.refresh_from_db()
    return {"build": built, "report": original, "director": director, "lead": lead}


def test_publishing_freezes_the_months_figures_plan_narrative_and_actions(published_september):
    frozen = PublishedMonth.objects.get(period="2024-09")
    assert frozen.build == published_september["build"] and frozen.published_by_name
    assert frozen.headline["cp_visits"] == 84.0 and frozen.judged_on.isoformat() == "2024-09-30"
    assert {a["number"]: a["percent_complete"] for a in frozen.inputs["actions"]}["3.1"] == 40
    assert frozen.inputs["narrative"]["cp_visits"]["working_well"].startswith("Visits stood at 84.0%")
    assert "3.1" in frozen.plan_text


def test_the_published_pack_rebuilt_two_years_later_is_the_same_apart_from_prepared_on(published_september, tmp_path):
    built = published_september["build"]
    with on(2026, 12, 1):
        again = build(published_september["director"])
    assert again.status == ReportBuild.Status.DONE and not again.draft
    assert bytes(again.content) != bytes(built.content)
    assert without_prepared_on(bytes(again.content)) == without_prepared_on(bytes(built.content))


def pdf_lines(data: bytes) -> list[str]:
    """The PDF's text line by line, without what page breaks move: running heads and
    footers, and the contents page's page numbers."""
    lines = [line.strip() for page in PdfReader(io.BytesIO(data)).pages for line in page.extract_text().splitlines()]
    return [
        line for line in lines
        if line and not re.search(r"\.{5,}\s*\d+$|Page \d+ of \d+$|^Synthetic Borough Council – Monthly", line)
    ]


def word_lines(data: bytes) -> list[str]:
    document = Document(io.BytesIO(data))
    cells = [" | ".join(c.text for c in row.cells) for table in document.tables for row in table.rows]
    return [p.text for p in document.paragraphs if p.text] + cells


def revision_words(report) -> set[str]:
    """Every word the report says about revisions: its revisions section and the notes of
    revised figures beside each measure."""
    texts: list[str] = []
    for top in report.sections:
        for section in top.walk():
            about = section.id.startswith("revisions")
            if about:
                texts.append(section.title)
            for block in section.blocks:
                if isinstance(block, Table) and about:
                    texts += [block.caption, *block.columns, *(c.text for row in block.rows for c in row)]
                elif about or getattr(block, "text", "").startswith("Revised since publication"):
                    texts.append(getattr(block, "text", ""))
    return {word for text in texts for word in text.replace("|", " ").split()}


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_a_published_pack_rebuilt_two_years_later_on_reloaded_data_reads_the_same_apart_from_prepared_on_and_revisions(
    published_september, tmp_path, fmt
):
    director = published_september["director"]
    with on(2024, 10, 15):
        first = build(director, fmt=fmt)
    with on(2026, 11, 20):
        load(tmp_path, REVISED, "reloaded.csv")
    with on(2026, 12, 1):
        later = build(director, fmt=fmt)
    read = pdf_lines if fmt == "pdf" else word_lines
    before, after = Counter(read(bytes(first.content))), Counter(read(bytes(later.content)))
    prepared = "Prepared on" + (" " if fmt == "pdf" else ": ")
    assert before - after == Counter({prepared + "15 October 2024": 1})
    added = after - before
    assert added[prepared + "1 December 2026"] == 1
    assert "Revised since publication – September 2024: published 84.0%, revised 84.6% (+0.6)." in added
    del added[prepared + "1 December 2026"]
    with on(2026, 12, 1):
        about_revisions = revision_words(pack())
    assert {word for line in added for word in line.replace("|", " ").split()} <= about_revisions
    # Dated the day the month was judged on, however late it is built.
    if fmt == "pdf":
        for data in (first.content, later.content):
            assert PdfReader(io.BytesIO(bytes(data))).metadata["/CreationDate"].startswith("D:20240930")
    else:
        for data in (first.content, later.content):
            assert Document(io.BytesIO(bytes(data))).core_properties.modified == datetime(2024, 9, 30, tzinfo=UTC)


def test_after_data_is_reloaded_the_published_pack_keeps_its_figures_and_shows_revisions(published_september, tmp_path, make_user):
    lead = published_september["lead"]
    with on(2025, 5, 2):
        actions.update(lead, "3.1", base_version=1, status="completed", percent_complete=100)
    with on(2026, 11, 20):
        load(tmp_path, REVISED, "reloaded.csv")
        plans.save_plan_version(PLAN.replace("CP visits in timescale", "Child protection visits on time"),
                                filename="plan.yaml", user=None)
    with on(2026, 12, 1):
        rebuilt = pack()
        html = renderers.render(rebuilt, "html").decode()
    assert without_revisions(rebuilt) == without_revisions(published_september["report"])
    since = next(s for s in rebuilt.sections if s.id == "revisions").subsections[0]
    assert since.title == "Revised since this report was published on 15 October 2024"
    rows = [[c.text for c in row] for row in since.blocks[1].rows]
    made_by = "imported → imported (extract 5eed5eed)"
    assert ["CP visits in timescale", "September 2024", "84.0%", "84.6%", "+0.6", "Amber", made_by] in rows
    assert ["Re-referrals within 12 months", "August 2024", "21.0%", "26.0%", "+5.0", "Green → Red", made_by] in rows
    assert "Revised since publication – September 2024: published 84.0%, revised 84.6% (+0.6)." in html
    assert "Child protection visits on time" not in html and "Overdue:" not in html


def test_the_next_report_says_which_published_figures_were_revised_and_by_how_much(published_september, tmp_path):
    with on(2024, 11, 12):
        load(tmp_path, REVISED + OCTOBER, "november.csv")
        october = pack("2024-10")
    section = next(s for s in october.sections if s.id == "revisions")
    rows = [[c.text for c in row] for row in section.blocks[1].rows]
    assert ["CP visits in timescale", "September 2024 (published 15 October 2024)", "84.0%", "84.6%", "+0.6", "Amber",
            "imported → imported (extract 5eed5eed)"] in rows
    assert not section.subsections


def test_a_month_is_published_once(published_september):
    with on(2024, 10, 16), pytest.raises(services.ReportUnavailable, match="was published on 15 October 2024"):
        services.publish(published_september["director"], build(published_september["director"]))


def test_a_report_whose_figures_changed_after_it_was_built_cannot_be_published(db, make_user, tmp_path, inline):
    with on(2024, 10, 10):
        plans.save_plan_version(PLAN, filename="plan.yaml", user=None)
        load(tmp_path)
        approve_all(make_user, "2024-09")
    director = make_user(Role.DIRECTOR, "publisher")
    with on(2024, 10, 15):
        built = build(director)
        load(tmp_path, REVISED, "late.csv")
        with pytest.raises(services.ReportUnavailable, match="have changed since this report was built"):
            services.publish(director, built)
    assert not PublishedMonth.objects.exists()


def test_the_dashboard_says_which_published_figures_were_revised(published_september, tmp_path, client):
    client.force_login(published_september["director"])
    url = reverse("plans:dashboard") + "?month=2024-09"
    page = client.get(url).content.decode()
    assert "The report for this month was published on 15 October 2024" in page
    assert "No published figure has been revised since." in page
    load(tmp_path, REVISED, "reloaded.csv")
    plans.clear_caches()
    page = client.get(url).content.decode()
    assert "Published figures revised since" in page
    row = re.search(r"CP visits in timescale</th>(.*?)</tr>", page, re.S).group(1)
    assert all(text in row for text in ("September 2024", "84.0%", "84.6%", "+0.6", "imported → imported (extract 5eed5eed)"))


def test_a_later_build_of_a_published_month_says_so_and_offers_no_publishing(published_september, client):
    director = published_september["director"]
    client.force_login(director)
    with on(2024, 10, 20):
        later = build(director)
        page = client.get(reverse("reports:status", args=[later.pk])).content.decode()
    assert "Sep-2024 was published on 15 October 2024 with another build" in page
    assert "Publish this report" not in page


def scrutiny_summary() -> str:
    inputs = services.build_inputs("2024-09", kind="scrutiny")
    return inputs.texts["executive_summary"].text if "executive_summary" in inputs.texts else ""


def test_written_sections_approved_when_a_month_is_published_stay_as_published(db, make_user, tmp_path, inline, client):
    from journey.web.reporttext import services as written
    from journey.web.reporttext.models import ReportText

    def write_and_approve(lead, director):
        with on(2024, 10, 14):
            written.save(lead, "scrutiny", "2024-09", "executive_summary", "Visits recovered in September.", base_version=0)
            written.approve(director, "scrutiny", "2024-09", "executive_summary", base_version=1)
            written.save(lead, "scrutiny", "2024-09", "executive_summary", "A draft not yet approved.", base_version=1)

    published = publish_september(make_user, tmp_path, write_and_approve)
    lead, director = published["lead"], published["director"]
    frozen = PublishedMonth.objects.get(period="2024-09").inputs["written"]
    assert frozen["scrutiny"]["executive_summary"]["text"] == "Visits recovered in September."
    with on(2026, 12, 1):
        with pytest.raises(written.SectionPublished, match="published on 15 October 2024.*Nothing was saved"):
            written.approve(director, "scrutiny", "2024-09", "executive_summary", base_version=2)
        with pytest.raises(written.SectionPublished):
            written.save(lead, "scrutiny", "2024-09", "executive_summary", "Rewritten later.", base_version=2)
        assert ReportText.objects.get(section="executive_summary").version == 2
        client.force_login(director)
        page = client.get(reverse("reporttext:edit", args=["scrutiny", "2024-09", "executive_summary"])).content.decode()
        assert "was published on 15 October 2024, so this approved section stays as it is" in page
        assert "Save draft" not in page and "Approve version" not in page
        listing = client.get(reverse("reporttext:sections", args=["scrutiny", "2024-09"])).content.decode()
        assert "Approved: final (published 15 October 2024)" in listing
        # Even a change behind the application's back does not reach the published month's reports.
        ReportText.objects.filter(section="executive_summary").update(text="Changed in the database.")
        assert scrutiny_summary() == "Visits recovered in September."


def test_a_written_section_first_approved_after_publication_is_then_final(published_september):
    from journey.web.reporttext import services as written

    lead, director = published_september["lead"], published_september["director"]
    with on(2024, 11, 3):
        written.save(lead, "scrutiny", "2024-09", "executive_summary", "Written for the November committee.", base_version=0)
        written.save(lead, "scrutiny", "2024-09", "executive_summary", "Written for the committee.", base_version=1)
        written.approve(director, "scrutiny", "2024-09", "executive_summary", base_version=2)
        assert scrutiny_summary() == "Written for the committee."
        with pytest.raises(written.SectionPublished):
            written.save(lead, "scrutiny", "2024-09", "executive_summary", "And again.", base_version=2)
    # Another month's sections are not affected.
    with on(2024, 11, 4):
        written.save(lead, "scrutiny", "2024-10", "executive_summary", "October.", base_version=0)


def test_the_dashboard_and_measure_page_show_a_published_figure_as_published_with_its_revision_beside_it(
    published_september, tmp_path, client
):
    client.force_login(published_september["director"])
    with on(2024, 11, 12):
        load(tmp_path, REVISED + OCTOBER, "november.csv")
        plans.clear_caches()
        dashboard = client.get(reverse("plans:dashboard") + "?month=2024-10&columns=3").content.decode()
        measure = client.get(reverse("plans:measure", args=["cp_visits"]) + "?month=2024-09").content.decode()
    cells = re.findall(r'<td class="govuk-table__cell govuk-table__cell--numeric[^"]*">(.*?)</td>', dashboard)
    # August (never published itself, printed in September's report), September (published,
    # revised since), October (not published).
    assert cells[:3] == ["88.0%", '84.0%<span class="journey-revised">revised: 84.0% → 84.6%</span>', "87.0%"]
    # August's re-referrals were printed as 21.0% in September's report: that stays, the revision beside it.
    assert cells[4:7] == ['21.0%<span class="journey-revised">revised: 21.0% → 26.0% (Green → Red)</span>', "20.0%", "22.0%"]
    notice = re.search(r'<div class="govuk-inset-text" id="published-revisions">.*?</div>', dashboard, re.S).group(0)
    assert "84.6%" in notice  # the revisions notice lists it; the figures never show it in place of 84.0%
    assert not any(cell.startswith("84.6%") for cell in cells if cell not in notice)
    actual = re.search(r'id="measure-actual">(.*?)</dd>', measure).group(1)
    assert actual == '84.0%<span class="journey-revised">revised: 84.0% → 84.6%</span>'
    table = measure[measure.index('id="months-table"'):]
    row = re.search(r"Sep-2024</th>(.*?)</tr>", table, re.S).group(1)
    assert "84.0%" in row and "revised: 84.0% → 84.6%" in row
    # Counted and From are the published figure's (84 of 100, imported), not the revision's (423 of 500).
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert (cells[1], cells[-1]) == ("84 of 100", "imported")


def test_a_published_figure_not_revised_shows_as_it_was_with_no_note(published_september, client):
    client.force_login(published_september["director"])
    page = client.get(reverse("plans:measure", args=["cp_visits"]) + "?month=2024-09").content.decode()
    assert re.search(r'id="measure-actual">(.*?)</dd>', page).group(1) == "84.0%"
    assert "journey-revised" not in page


def test_a_revision_of_a_small_number_is_noted_without_either_figure_for_readers_who_may_not_see_small_numbers():
    from journey.web.plans.pages import Figure

    published = Figure("4", "<5", revised=Figure("6"), rating_change="Green → Amber")
    assert published.revision_note(suppress=False) == "revised: 4 → 6 (Green → Amber)"
    assert published.revision_note(suppress=True) == "revised since publication (small numbers not shown)"
    assert Figure("12", revised=Figure("3", "<5")).revision_note(suppress=True) == (
        "revised since publication (small numbers not shown)"
    )
    assert Figure("12").revision_note(suppress=False) == ""


def test_a_published_plan_that_no_longer_reads_still_leaves_the_dashboard_showing_the_published_figures(
    published_september, tmp_path, client
):
    from django.core.cache import cache

    PublishedMonth.objects.filter(period="2024-09").update(plan_text="title: [not a plan")
    cache.clear()
    load(tmp_path, REVISED, "reloaded.csv")
    client.force_login(published_september["director"])
    page = client.get(reverse("plans:dashboard") + "?month=2024-09&columns=3").content.decode()
    assert '84.0%<span class="journey-revised">revised: 84.0% → 84.6%</span>' in page


# ------------------------------------------- direction of travel against published figures

AUGUST_REVISED = REVISED.replace("cp_visits,2024-08,88.0,88,100", "cp_visits,2024-08,83.0,83,100")
"""September's figure 84.0% → 84.6% and August's 88.0% → 83.0% (August was printed in
September's report, not published itself); re-referrals August 21.0% → 26.0%."""


def dashboard_row(client, month: str, title: str) -> str:
    page = client.get(reverse("plans:dashboard") + f"?month={month}&months=3").content.decode()
    return re.search(rf'<th scope="row"[^>]*>\s*<a class="govuk-link" href="[^"]*">{re.escape(title)}</a>(.*?)</tr>', page, re.S).group(1)


def test_a_published_months_rating_and_direction_of_travel_stay_as_published_when_earlier_figures_are_revised(
    published_september, tmp_path, client
):
    client.force_login(published_september["director"])
    load(tmp_path, AUGUST_REVISED, "reloaded.csv")
    plans.clear_caches()
    row = dashboard_row(client, "2024-09", "CP visits in timescale")
    # Published: 88.0% in August → 84.0% in September. Worked out again from the figures in
    # use it would read 83.0% → 84.6%, Improving: the published month does not change.
    assert "Worsening: 88.0% last month → 84.0%, bigger is better" in row
    assert "83.0% last month" not in row
    assert '<span aria-hidden="true">▼</span> Worsening' in row
    assert "Amber: 84.0% is below the target" in row
    # July, August (printed in September's report) and September, each as published.
    cells = re.findall(r'govuk-table__cell--numeric[^"]*">(.*?)</td>', row)[:3]
    assert cells == [
        "86.0%",
        '88.0%<span class="journey-revised">revised: 88.0% → 83.0%</span>',
        '84.0%<span class="journey-revised">revised: 84.0% → 84.6%</span>',
    ]
    # The measure page's months table and chart say the same.
    page = client.get(reverse("plans:measure", args=["cp_visits"]) + "?month=2024-09").content.decode()
    assert "Worsening: 88.0% last month → 84.0%, bigger is better" in page
    table = page[page.index('id="months-table"'):]
    september = re.search(r"Sep-2024</th>(.*?)</tr>", table, re.S).group(1)
    assert "Worsening" in september and "revised: 84.0% → 84.6%" in september
    assert "from 86.0% to 84.0%. Lowest 84.0%, highest 88.0%." in page  # the chart, in words


def test_a_month_printed_in_a_published_report_keeps_the_rating_printed_with_its_revision_beside_it(
    published_september, tmp_path, client
):
    client.force_login(published_september["director"])
    load(tmp_path, AUGUST_REVISED, "reloaded.csv")
    plans.clear_caches()
    # Re-referrals for August were printed as 21.0% (Green) in September's report; now 26.0% (Red).
    row = dashboard_row(client, "2024-08", "Re-referrals within 12 months")
    assert '21.0%<span class="journey-revised">revised: 21.0% → 26.0% (Green → Red)</span>' in row
    assert "journey-rag--green" in row and "journey-rag--red" not in row
    # And the dashboard's notice for August lists it, without calling August published itself.
    page = client.get(reverse("plans:dashboard") + "?month=2024-08").content.decode()
    notice = re.search(r'<div class="govuk-inset-text" id="published-revisions">.*?</div>', page, re.S).group(0)
    assert "The report for this month was published" not in notice
    revised = re.search(r"Re-referrals within 12 months</th>(.*?)</tr>", notice, re.S).group(1)
    assert all(text in revised for text in ("August 2024 (published 15 Oct 2024)", "21.0%", "26.0%", "Green → Red"))


def test_a_later_months_direction_of_travel_compares_with_the_figure_in_use_and_says_it_was_revised(
    published_september, tmp_path, client
):
    client.force_login(published_september["director"])
    with on(2024, 11, 12):
        load(tmp_path, REVISED + OCTOBER, "november.csv")
        plans.clear_caches()
        row = dashboard_row(client, "2024-10", "CP visits in timescale")
        page = client.get(reverse("plans:measure", args=["cp_visits"]) + "?month=2024-10").content.decode()
        october = pack("2024-10")
        referrals = dashboard_row(client, "2024-10", "Re-referrals within 12 months")
    said = "Improving: 84.6% last month → 87.0%, bigger is better (compared with 84.6%, revised from 84.0% as published)"
    assert said in row and said in page
    facts = next(s for top in october.sections for s in top.walk() if s.id == "measure-cp_visits").blocks[0]
    assert ("Direction of travel", said) in facts.items
    # The figure never published stays as it is: re-referrals in October compare with September's 20.0%.
    assert "Worsening: 20.0% last month → 22.0%, smaller is better" in referrals
    # October's report lists August's re-referrals too: printed in September's report, revised since.
    section = next(s for s in october.sections if s.id == "revisions")
    rows = [[c.text for c in r] for r in section.blocks[1].rows]
    assert ["Re-referrals within 12 months", "August 2024 (published 15 October 2024)", "21.0%", "26.0%", "+5.0",
            "Green → Red", "imported → imported (extract 5eed5eed)"] in rows


def test_where_a_revised_published_figure_comes_from_is_said_of_the_figure_in_use_and_its_small_counts_stay_hidden(
    published_september, tmp_path, client, make_user
):
    # September published as 84.0% (84 of 100); now 75.0% of only 4 children (3 of 4): small.
    load(tmp_path, FIGURES.replace("cp_visits,2024-09,84.0,84,100", "cp_visits,2024-09,75.0,3,4"), "reloaded.csv")
    plans.clear_caches()
    url = reverse("plans:measure", args=["cp_visits"]) + "?month=2024-09"
    client.force_login(published_september["lead"])
    staff = client.get(url).content.decode()
    where = re.search(r'id="provenance">(.*?)</dd>', staff, re.S).group(1)
    assert where.startswith("The figure in use now, revised since publication: imported from reloaded.csv")
    assert '<span class="govuk-body-s">3 of 4.</span>' in where
    client.force_login(make_user(Role.BOARD_MEMBER, "board"))
    board = client.get(url).content.decode()
    assert re.search(r'id="measure-actual">(.*?)</dd>', board).group(1) == (
        '84.0%<span class="journey-revised">revised since publication (small numbers not shown)</span>'
    )
    where = re.search(r'id="provenance">(.*?)</dd>', board, re.S).group(1)
    assert where.startswith("The figure in use now, revised since publication:")
    assert "3 of 4" not in where and "govuk-body-s" not in where  # the small counts are left out


def test_a_later_months_direction_does_not_quote_a_revised_figure_that_is_small_to_readers_who_may_not_see_it(
    published_september, tmp_path, client, make_user
):
    revised_small = FIGURES.replace("cp_visits,2024-09,84.0,84,100", "cp_visits,2024-09,75.0,3,4")
    with on(2024, 11, 12):
        load(tmp_path, revised_small + "cp_visits,2024-10,87.0,87,100\n", "november.csv")
        plans.clear_caches()
        client.force_login(make_user(Role.BOARD_MEMBER, "board"))
        board = dashboard_row(client, "2024-10", "CP visits in timescale")
        page = client.get(reverse("plans:measure", args=["cp_visits"]) + "?month=2024-10").content.decode()
        client.force_login(published_september["lead"])
        staff = dashboard_row(client, "2024-10", "CP visits in timescale")
    assert "(compared with 75.0%, revised from 84.0% as published)" in staff
    assert "Improving: the figure is worked out from so few people that it is not shown." in board
    assert "75.0%" not in board and "75.0%" not in page


def test_a_published_months_spc_reading_stays_as_its_report_printed_it(published_september, tmp_path, client):
    # Published with four months of figures: under the 12 an XmR chart needs. A year of
    # history loaded since would give September a reading; its dashboard keeps the published one.
    history = "".join(f"cp_visits,{month},{85 + n % 3}.0,,\n" for n, month in enumerate(
        ["2023-09", "2023-10", "2023-11", "2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    ))
    load(tmp_path, FIGURES + history, "history.csv")
    plans.clear_caches()
    client.force_login(published_september["director"])
    september = dashboard_row(client, "2024-09", "CP visits in timescale")
    assert '<td class="govuk-table__cell journey-spc-cell"><span class="journey-cell-line">Under 12 months</span></td>' in september
    august = dashboard_row(client, "2024-08", "CP visits in timescale")  # not published itself: the data in use
    assert "Under 12 months" not in august and "journey-spc-cell" in august
    from journey.web.plans import pages

    # The measure page reads the same.
    assert pages.measure_page(published_september["director"], "cp_visits", "2024-09").spc is None
    assert pages.measure_page(published_september["director"], "cp_visits", "2024-08").spc is not None


def test_what_changed_in_a_published_month_is_read_on_the_figures_its_report_had(published_september, tmp_path, client):
    def changes() -> str:
        page = client.get(reverse("plans:dashboard") + "?month=2024-09").content.decode()
        return re.search(r'<details class="govuk-details govuk-!-margin-bottom-2" id="changes">(.*?)</details>', page, re.S).group(1)

    client.force_login(published_september["director"])
    published = changes()
    # Re-referrals: August 21.0% (Green) → September 20.0% (Green), no change. Reloaded,
    # August reads 26.0% (Red): worked out again it would be "Red → Green".
    assert "Re-referrals within 12 months" not in published
    load(tmp_path, AUGUST_REVISED, "reloaded.csv")
    plans.clear_caches()
    assert changes() == published
