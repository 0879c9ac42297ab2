"""Reports: the board pack read back from PDF and Word, DRAFT marking, spreadsheets, registry."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

from journey.engine.evaluation import evaluate_plan
from journey.engine.observations import observations_from_rows
from journey.engine.plan import parse_plan
from journey.engine.reports import renderers
from journey.engine.reports.assemble import assemble, draft_state
from journey.engine.reports.inputs import ActionItem, NarrativeText, ReportInputs
from journey.engine.reports.model import NOT_APPROVED, BulletList, ChartBlock, NarrativeBlock, Table
from tests.engine.reports.conftest import UNAPPROVED


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def pdf_pages(data: bytes) -> list[str]:
    return [squash(page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages]


SMALL_PLAN = """
title: Small plan
authority:
  name: Testshire County Council
  la_code: "998"
  population_0_17: {2023: 50000}
priorities:
  - id: A
    title: A – Safety
    measures:
      - id: cp_visits
        title: CP visits in timescale
        unit: percent
        polarity: higher_is_better
        targets: {2023-09: 90, 2024-03: 95}
        tolerance: {floor: 80}
        source: manual
        owner: "=HYPERLINK(\\"http://evil.example\\",\\"click\\")"
        benchmarks: {statistical_neighbours: 88, england: 86, year: 2022-23}
      - id: cp_rate
        title: Children on a CP plan per 10,000 <script>alert(1)</script>
        unit: rate_per_10k
        polarity: lower_is_better
        targets: {2024-03: 50}
        tolerance: {percent: 10}
        source: manual
        benchmarks: {statistical_neighbours: 45.5, england: 43.2}
    actions:
      - number: "1.1"
        text: "+SUM(A1:A9) weekly visit tracker"
        owner: Sam Lead
        start: 2023-04-01
        due: 2023-12-31
        status: in_progress
        percent_complete: 50
        measures: [cp_visits]
      - number: "1.2"
        text: Visits audit
        owner: Sam Lead
        due: 2025-12-31
        status: completed
        percent_complete: 100
        measures: [cp_visits]
"""


def small_inputs(narrative=None, rows=None, **kwargs):
    plan = parse_plan(SMALL_PLAN)
    if rows is None:
        rows = []
        for i, month in enumerate(["2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]):
            rows.append({"measure_id": "cp_visits", "period": month, "value": str(80 + i * 2)})
            rows.append({"measure_id": "cp_rate", "period": month, "value": str(60 - i if i < 6 else 57), "numerator": str(300 - 5 * i)})
    frame = observations_from_rows(rows)
    return ReportInputs(
        plan=plan,
        observations=frame,
        period="2024-06",
        narrative=narrative if narrative is not None else {},
        generated_at=datetime(2024, 7, 1, 9, 0),
        today=date(2024, 7, 1),
        **kwargs,
    )


def approved(text="Visits are on track."):
    return NarrativeText(text, "Two teams are behind.", "Weekly tracker.", approved_by="A Director")


# --------------------------------------------------------------------- read back


def results(plan, observations):
    return evaluate_plan(plan, observations, "2024-06").results


def test_every_measure_its_value_and_rating_can_be_read_back_from_the_pdf(plan, observations, monthly_pdf):
    text = " ".join(pdf_pages(monthly_pdf))
    for result in results(plan, observations):
        assert result.title in text, result.measure_id
        # The rating sentence carries the value as shown and the RAG in words.
        assert squash(result.reason) in text, result.measure_id
        assert result.value_text in text


def test_every_measure_its_value_and_rating_can_be_read_back_from_the_word_document(plan, observations, monthly_docx):
    document = Document(io.BytesIO(monthly_docx))
    rows = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    summary = {row[0]: row for row in rows if len(row) == 4 and row[0] != "Measure"}
    for result in results(plan, observations):
        row = summary[result.title]
        assert row[1] == result.value_text
        assert row[2] == result.rag.label


def test_the_word_document_has_real_headings_editable_tables_and_charts_with_alt_text(plan, monthly_docx):
    document = Document(io.BytesIO(monthly_docx))
    headings = {p.text: p.style.name for p in document.paragraphs if p.style.name.startswith("Heading")}
    assert headings["A – Planning and safety (CIN and CP)"] == "Heading 1"
    assert headings[plan.measures[0].title] == "Heading 2"
    assert headings["What's working well?"] == "Heading 4"
    assert len(document.tables) > len(plan.measures)
    shapes = list(document.inline_shapes)
    assert len(shapes) == len(plan.measures)
    # Each chart spans the page (never cropped by a narrow column), its data table below it.
    month_tables = [t for t in document.tables if t.rows[0].cells[0].text == "Month"]
    assert len(month_tables) == len(plan.measures)
    for shape in shapes:
        assert shape.width > 140 * 36000  # EMU: wider than 140 mm
        descr = shape._inline.docPr.get("descr")
        assert descr and "Lowest" in descr and "highest" in descr
    assert "DRAFT" in document.sections[0].header.paragraphs[0].text


def test_the_word_document_has_a_real_contents_field_british_english_and_sized_columns(plan, monthly_docx):
    document = Document(io.BytesIO(monthly_docx))
    body = document.element.body.xml
    assert 'TOC \\o "1-2"' in body  # Word fills in the page numbers
    assert document.settings.element.find(qn("w:updateFields")) is not None
    styles = document.styles.element.xml
    assert 'w:val="en-GB"' in styles and 'w:val="en-US"' not in styles
    assert document.core_properties.language == "en-GB"
    summary = next(t for t in document.tables if t.rows[0].cells[0].text == "Measure" and len(t.columns) == 4)
    widths = [cell.width for cell in summary.rows[0].cells]
    assert widths[0] > 2 * widths[1]  # the measure's name gets the room, not equal columns


def test_the_pdf_is_tagged_has_page_numbers_and_draft_in_every_header(monthly_pdf):
    reader = PdfReader(io.BytesIO(monthly_pdf))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root.get("/Lang") in ("en-GB", "en-gb")
    pages = pdf_pages(monthly_pdf)
    total = len(pages)
    assert total > 30
    for number, text in enumerate(pages[1:], 2):
        assert f"Page {number} of {total}" in text
        assert "DRAFT" in text
    assert "DRAFT" in pages[0] and "Monthly Improvement Plan Report" in pages[0]


def _structure(node, found):
    node = node.get_object()
    if hasattr(node, "get"):
        if node.get("/S"):
            found.append((str(node["/S"]), node.get("/Alt")))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else ([kids] if kids is not None else []):
            if hasattr(kid, "get_object"):
                _structure(kid, found)
    return found


def test_the_pdf_shows_charts_as_images_with_text_alternatives_and_their_data_tables(monthly_report, monthly_pdf):
    charts = [b for b in monthly_report.all_blocks() if isinstance(b, ChartBlock)]
    assert len(charts) == 33
    tags = _structure(PdfReader(io.BytesIO(monthly_pdf)).trailer["/Root"]["/StructTreeRoot"], [])
    figures = [alt for tag, alt in tags if tag == "/Figure"]
    assert figures == [c.description for c in charts]
    assert {"/Table", "/TH", "/TD", "/H2", "/H3"} <= {tag for tag, _ in tags}
    text = " ".join(pdf_pages(monthly_pdf))
    assert text.count("the last 12 months and the latest figure") == 33
    assert squash(charts[0].description) in text
    assert all(len(c.table.rows) == 13 for c in charts)


def test_the_monthly_report_has_the_sections_a_board_pack_needs(plan, monthly_report):
    titles = [s.title for s in monthly_report.contents()]
    assert titles[0] == "Overview"
    for priority in plan.priorities:
        assert priority.title in titles
    assert "Actions" in titles and "Data notes" in titles
    first_priority = monthly_report.sections[1]
    summary = first_priority.blocks[0]
    assert isinstance(summary, Table)
    assert summary.columns == ("Measure", "Actual", "Performance (RAG)", "DoT")
    measure = first_priority.subsections[0]
    facts = dict(measure.blocks[0].items)
    assert facts["Polarity"] == "Good = within the range"
    assert "Target" in facts and "Tolerance" in facts


# ------------------------------------------------------------------------- DRAFT


def test_draft_marking_appears_exactly_when_some_narrative_is_unapproved():
    all_approved = small_inputs({"cp_visits": approved(), "cp_rate": approved()})
    report = assemble("monthly", all_approved)
    assert not report.draft
    html = renderers.render(report, "html").decode()
    assert "DRAFT" not in html and NOT_APPROVED not in html

    one_missing = small_inputs({"cp_visits": approved(), "cp_rate": None})
    report = assemble("monthly", one_missing)
    assert report.draft
    html = renderers.render(report, "html").decode()
    assert "DRAFT" in html
    assert html.count(NOT_APPROVED) == 1
    assert draft_state(one_missing.plan, one_missing.narrative) == (
        True,
        ["Narrative for 1 of 2 measures is not yet approved: Children on a CP plan per 10,000 <script>alert(1)</script>."],
    )


@pytest.mark.parametrize("kind", ["monthly", "quarterly", "scrutiny", "summary"])
def test_every_report_is_draft_without_narrative_and_final_with_it(kind):
    from journey.engine.reports.written import ApprovedText, written_sections

    assert assemble(kind, small_inputs()).draft
    narrative = {"cp_visits": approved(), "cp_rate": approved()}
    written = {s.key: ApprovedText("Written.", "A Writer", "A Director") for s in written_sections(kind, parse_plan(SMALL_PLAN))}
    assert not assemble(kind, small_inputs(narrative, texts=written)).draft
    if written:  # the scrutiny and quarterly reports wait for the sections people write, too
        report = assemble(kind, small_inputs(narrative))
        assert report.draft and "sections written by people are not yet approved" in report.draft_reasons[-1]


def test_only_approved_narrative_is_shown_and_the_rest_says_not_yet_approved(monthly_report):
    blocks = {}
    for section in monthly_report.sections:
        for sub in section.subsections:
            for block in sub.blocks:
                if isinstance(block, NarrativeBlock):
                    blocks[sub.id.removeprefix("measure-")] = block
    assert not blocks[UNAPPROVED].approved
    assert all(b.approved for mid, b in blocks.items() if mid != UNAPPROVED)
    questions = [q for q, _ in blocks["referrals_rate_per_10k"].answers]
    assert questions == ["What's working well?", "What are we worried about?", "What are we doing about it?"]


def test_the_pdf_says_which_narrative_is_not_yet_approved(monthly_pdf):
    text = " ".join(pdf_pages(monthly_pdf))
    assert text.count(NOT_APPROVED) == 1


# -------------------------------------------------------------------- escaping


def test_html_output_escapes_text_from_the_plan_and_the_narrative():
    narrative = {"cp_visits": approved('<img src=x onerror="alert(2)">'), "cp_rate": None}
    html = renderers.render(assemble("monthly", small_inputs(narrative)), "html").decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in html


def test_the_single_file_html_has_its_css_and_svg_charts_inline():
    html = renderers.render(assemble("monthly", small_inputs()), "html").decode()
    assert "<link" not in html and "<style>" in html
    assert html.count('<svg role="img"') == 2
    assert "<desc" in html


def test_excel_text_that_looks_like_a_formula_is_stored_as_quoted_text():
    data = renderers.render(assemble("monthly", small_inputs()), "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    risky = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                    risky.append(cell)
    assert {c.value for c in risky} >= {'=HYPERLINK("http://evil.example","click")', "+SUM(A1:A9) weekly visit tracker"}
    assert all(c.quotePrefix for c in risky)


def test_excel_has_a_sheet_per_priority_a_measures_sheet_and_an_actions_sheet_with_numbers_as_numbers():
    data = renderers.render(assemble("monthly", small_inputs()), "xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["About", "Summary", "A – Safety", "Measures", "Actions"]
    summary = workbook["Summary"]
    header = [c.value for c in summary[3]]
    row = {header[i]: c for i, c in enumerate(summary[4])}
    assert row["Measure id"].value == "cp_visits"
    # A percentage is a percentage to Excel: 0.92 shown as 92.0%, not 92.0 (or 92.00000001).
    assert row["Actual"].value == pytest.approx(0.92) and row["Actual"].number_format == "0.0%"
    assert row["Performance (RAG)"].value == "Amber"
    priority = workbook["A – Safety"]
    assert priority.max_row == 3 + 2 * 12
    month = priority.cell(row=4, column=3)
    assert month.is_date and month.number_format == "mmm yyyy"
    assert priority.page_setup.orientation == "landscape" and priority.print_title_rows == "$3:$3"
    assert "Page &P of &N" in priority.oddFooter.right.text


def test_excel_sheet_names_are_cut_at_a_word_not_mid_word():
    from journey.engine.reports.renderers.xlsx import sheet_title

    used: set[str] = set()
    assert sheet_title("A – Planning and safety (CIN and CP)", used) == "A – Planning and safety"
    assert sheet_title("C – Homes and families for children looked after", used) == "C – Homes and families"
    assert sheet_title("A – Planning and safety (CIN and CP)", used) == "A – Planning and safety (2)"


def test_csv_summary_lists_every_measure_and_escapes_formulas():
    inputs = small_inputs()
    data = renderers.render(assemble("monthly", inputs), "csv")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["Measure id"] for r in rows] == ["cp_visits", "cp_rate"]
    assert rows[0]["Actual"] == "92.0" and rows[0]["Performance (RAG)"] == "Amber"
    assert rows[0]["Report status"] == "DRAFT"

    from journey.engine.reports.renderers._escape import csv_text

    assert csv_text("=1+2") == "'=1+2"
    assert csv_text("@SUM(A1)") == "'@SUM(A1)"
    assert csv_text("\tx") == "'\tx"
    assert csv_text(-3.5) == "-3.5"


# ------------------------------------------------------------------- registry


def test_the_registry_lists_every_format_and_a_new_format_is_one_registration():
    assert renderers.names() == ["pdf", "docx", "html", "xlsx", "csv"]
    assert renderers.get("pdf").media_type == "application/pdf"

    @renderers.register("txt-test", label="Plain text", extension="txt", media_type="text/plain")
    def plain(report):
        return report.title.encode()

    try:
        report = assemble("monthly", small_inputs())
        assert renderers.render(report, "txt-test") == b"Monthly Improvement Plan Report"
        assert renderers.get("txt-test").filename(report) == "monthly-report-2024-06-DRAFT.txt"
        with pytest.raises(ValueError, match="already registered"):
            renderers.register("txt-test", label="x", extension="txt", media_type="text/plain")(lambda r: b"")
    finally:
        renderers._REGISTRY.pop("txt-test")
    with pytest.raises(KeyError, match="choose one of pdf, docx, html, xlsx, csv"):
        renderers.get("odt")


# -------------------------------------------------------------- monthly details


def test_the_months_table_shows_a_latest_column_when_a_mid_month_figure_exists(monthly_report):
    measure = monthly_report.sections[1].subsections[0]
    months = next(b for b in measure.blocks if isinstance(b, ChartBlock)).table
    assert months.columns == ("Month", "Actual", "Target", "Rating")
    assert [row[0].text for row in months.rows[-7:-1]] == ["Jan-24", "Feb-24", "Mar-24", "Apr-24", "May-24", "Jun-24"]
    assert months.rows[-1][0].text == "Latest 15 Jul"
    assert months.rows[-1][3].text == "Provisional"


def test_an_earlier_months_report_has_no_latest_figure(plan, observations):
    report = assemble("monthly", ReportInputs(plan=plan, observations=observations, period="2024-03", charts=False))
    measure = report.sections[1].subsections[0]
    months = next(b for b in measure.blocks if isinstance(b, Table) and b.columns[0] == "Month")
    assert months.rows[-1][0].text == "Mar-24"


def test_breakdowns_show_placement_types_by_name_and_never_child_level_cells(plan, observations):
    import polars as pl

    extra = observations_from_rows(
        [{"measure_id": "cla_rate_per_10k", "period": "2024-06", "breakdown": "child_id", "breakdown_value": "CHILD-000123", "value": "1"}]
    )
    frame = pl.concat([observations, extra.select(observations.columns)])
    report = assemble("monthly", ReportInputs(plan=plan, observations=frame, period="2024-06"))
    html = renderers.render(report, "html").decode()
    assert "U4 – Foster placement with other foster carer – long term fostering" in html
    assert "PR4 – Private provision" in html
    assert "Assessment and safeguarding" in html
    assert "CHILD-000123" not in html


def test_the_placement_profile_splits_foster_care_into_in_house_and_agency_in_the_library_s_order(plan, observations):
    import polars as pl

    # Visits to children looked after: its denominator is every child looked after at the
    # date, so its breakdown by type of placement (type crossed with provider) gives the
    # profile. 200 children: 120 in-house, 45 IFA, 20 kinship, 10 residential, 5 other.
    groups = (("Residential care", 10), ("Other placements", 5), ("Independent fostering agency (IFA)", 45),
              ("Kinship foster care (connected persons)", 20), ("In-house foster care", 120))
    extra = observations_from_rows([
        {"measure_id": "cla_visits_in_timescale_pct", "period": "2024-06", "breakdown": "placement_group",
         "breakdown_value": group, "value": "90.0", "numerator": str(round(n * 0.9)), "denominator": str(n)}
        for group, n in groups
    ])
    frame = pl.concat([observations, extra.select(observations.columns)])
    report = assemble("monthly", ReportInputs(plan=plan, observations=frame, period="2024-06", charts=False))
    profile = next(s for s in report.sections if s.id == "placement-profile")
    table = next(b for b in profile.blocks if isinstance(b, Table))
    assert table.caption == "Children looked after by type of placement, June 2024"
    assert [[c.text for c in row] for row in table.rows] == [
        ["In-house foster care", "120", "60.0%"],
        ["Independent fostering agency (IFA)", "45", "22.5%"],
        ["Kinship foster care (connected persons)", "20", "10.0%"],
        ["Residential care", "10", "5.0%"],
        ["Other placements", "5", "2.5%"],
        ["All children looked after", "200", "100.0%"],
    ]


def test_actions_are_listed_overdue_and_red_first(monthly_report):
    section = next(s for s in monthly_report.sections if s.id == "actions")
    table = next(b for b in section.blocks if isinstance(b, Table))
    ratings = [row[5].text for row in table.rows]
    order = {"Overdue": 0, "Red": 1, "Amber": 2, "Green": 3}
    assert ratings == sorted(ratings, key=order.__getitem__)
    assert ratings[0] == "Overdue"


def test_data_notes_list_snapshots_flagged_figures_extract_details_and_definitions(plan, observations):
    from journey.engine.reports.inputs import DataNotes

    notes = DataNotes(
        extracts=(("SSDA903 2024", "loaded 3 July 2024, 4,210 rows"),),
        warnings=("Episodes: 3 records have a missing placement provider",),
        definitions={"cla_rate_per_10k": "Children looked after at the month end per 10,000 children aged 0-17."},
    )
    report = assemble("monthly", ReportInputs(plan=plan, observations=observations, period="2024-06", notes=notes))
    html = renderers.render(report, "html").decode()
    notes_html = html[html.index('id="data-notes"'):]
    from tests.engine.reports.synthetic import snapshot_id

    # How many stored extracts the figures rest on, in words; no hashes for a board to read.
    assert "computed from 12 stored extracts" in notes_html
    assert snapshot_id("2024-06")[:12] not in notes_html
    for developer_word in ("rolling12", "fytd", "`", "working_days"):
        assert developer_word not in notes_html
    assert "SSDA903 2024" in notes_html and "loaded 3 July 2024, 4,210 rows" in notes_html
    assert "3 records have a missing placement provider" in notes_html
    assert f"{plan.measures[3].title}, June 2024" in notes_html  # flagged in the synthetic data
    assert "Children looked after at the month end per 10,000 children aged 0-17." in notes_html


# ------------------------------------------------------------ quarterly, scrutiny


def _shift_rows():
    rows = []
    months = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)][:18]
    for i, month in enumerate(months):
        # Steady around 82 for a year, then a clear step up to 95 (special cause).
        value = 82 + (i % 3 - 1) * 0.6 if i < 15 else 95 + (i % 2)
        rows.append({"measure_id": "cp_visits", "period": month, "value": f"{value:.1f}"})
        rows.append({"measure_id": "cp_rate", "period": month, "value": str(55 - (i % 2)), "numerator": "270"})
    return rows


def test_the_quarterly_report_lists_rating_changes_signals_and_actions():
    inputs = small_inputs({"cp_visits": approved("Managers check visits every week. It is working."), "cp_rate": None}, rows=_shift_rows())
    report = assemble("quarterly", inputs)
    html = renderers.render(report, "html").decode()
    titles = [s.title for s in report.contents()]
    assert titles[:4] == ["Summary from the independent chair", "The quarter in figures", "Progress against each priority", "A – Safety"]
    assert titles[4:10] == ["Capacity to improve", "Leadership and workforce stability", "Ofsted monitoring findings",
                            "Risks and finance", "Asks of the DfE", "Next quarter"]
    sections = {s.id: s for top in report.sections for s in top.walk()}
    changed = sections["rag-changes"]
    table = changed.blocks[0]
    assert [row[0].text for row in table.rows] == ["CP visits in timescale"]
    assert (table.rows[0][2].text, table.rows[0][3].text) == ("Amber", "Green")
    signals = sections["signals"]
    signal_table = next(b for b in signals.blocks if isinstance(b, Table))
    assert [row[0].text for row in signal_table.rows] == ["CP visits in timescale"]
    assert signal_table.rows[0][3].text == "Improvement"
    assert signal_table.rows[0][1].text == "Apr-24 (96.0%), May-24 (95.0%), Jun-24 (96.0%)"
    assert "Managers check visits every week." in html
    assert f"{NOT_APPROVED} for: Children on a CP plan per 10,000 &lt;script&gt;alert(1)&lt;/script&gt;." in html
    actions = sections["actions"]
    assert "1 action completed and 1 overdue" in actions.blocks[0].text


def test_the_scrutiny_update_gives_key_figures_with_rating_comparators_and_the_figure_six_months_earlier():
    report = assemble("scrutiny", small_inputs({"cp_visits": approved(), "cp_rate": approved()}))
    key = next(s for top in report.sections for s in top.walk() if s.id == "key-figures")
    bullets = next(b for b in key.blocks if isinstance(b, BulletList)).items
    assert bullets == (
        "Children on a CP plan per 10,000 <script>alert(1)</script>: 57.0, Red against a target of 50.0; "
        "statistical neighbours 45.5, England 43.2; 60.0 in December 2023 – improving.",
    )
    progress = next(s for s in report.sections if s.id == "progress").subsections[0]
    items = [i for b in progress.blocks if isinstance(b, BulletList) for i in b.items]
    # CP visits: Amber and improving (80% -> 92%) is neither an achievement nor a concern.
    assert not any(i.startswith("CP visits") for i in items)
    assert items == ["Children on a CP plan per 10,000 <script>alert(1)</script>: 57.0, Red. What is being done: Weekly tracker."]


def test_a_measure_is_never_both_an_achievement_and_a_concern():
    from dataclasses import replace

    from journey.engine.evaluation import Direction, Rag
    from journey.engine.reports.assemble import Standing, _Figures, standing

    inputs = small_inputs()
    figures = _Figures(inputs)
    m = inputs.plan.measure("cp_rate")
    r = figures.result(m, "2024-06")  # 57.0 against 50: Red
    for move in Direction:
        for england in (None, 43.2, 80.0):
            assert standing(m, r, move, england)[0] is Standing.CONCERN
    green = replace(r, rag=Rag.GREEN)
    assert standing(m, green, Direction.IMPROVING, 80.0)[0] is Standing.ACHIEVEMENT  # better than England's 80
    assert standing(m, green, Direction.IMPROVING, 43.2)[0] is Standing.NEITHER  # Green, but worse than England


def test_a_report_with_actions_from_the_web_app_uses_them_instead_of_the_plan_files():
    action = ActionItem(
        number="9.9", text="Recruit permanent managers", owner="HR", due=date(2024, 5, 1), status="In progress",
        rag="red", rag_reason="Overdue", overdue=True, measures=("cp_visits",), priority_id="A", days_overdue=60,
    )
    report = assemble("monthly", small_inputs(actions=[action]))
    assert report.dataset("actions").rows[0][:3] == ("9.9", "A", "Recruit permanent managers")
    assert len(report.dataset("actions").rows) == 1


def test_an_unknown_report_kind_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="choose one of monthly, quarterly, scrutiny"):
        assemble("annual", small_inputs())


def test_published_benchmarks_replace_the_plans_figures_where_the_store_has_the_measure():
    from types import SimpleNamespace

    from journey.engine.reports.inputs import benchmarks_from_store

    plan = parse_plan(SMALL_PLAN.replace("source: manual\n        owner", "source: {computed: cp_visits_in_timescale_pct}\n        owner", 1))

    class Store:
        def for_council(self, la_code, measure_id, polarity):
            assert la_code == "998" and measure_id == "cp_visits_in_timescale_pct"
            return [SimpleNamespace(neighbour_mean=91.5, neighbour_median=90.0, england=89.2, region_value=None, time_period="2023-24")]

    figures = benchmarks_from_store(plan, Store())
    assert figures["cp_visits"] == {"Statistical neighbours (2023-24)": 91.5, "England (2023-24)": 89.2}
    assert figures["cp_rate"] == {"Statistical neighbours": 45.5, "England": 43.2}
    inputs = small_inputs(benchmarks=figures)
    report = assemble("scrutiny", inputs)
    table = next(b for s in report.sections for sub in s.walk() for b in sub.blocks if getattr(b, "caption", "").startswith("Every measure"))
    visits = next(row for row in table.rows if row[0].text == "CP visits in timescale")
    assert (visits[5].text, visits[6].text) == ("89.2%", "91.5%")  # England, statistical neighbours


@pytest.mark.parametrize("kind", ["monthly", "quarterly", "scrutiny", "summary"])
def test_a_month_without_any_figures_still_builds_in_every_format(kind):
    from journey.engine.observations import empty_frame

    inputs = small_inputs(rows=[])
    inputs.observations = empty_frame()
    report = assemble(kind, inputs)
    assert report.data_as_at is None
    for name in renderers.names():
        assert renderers.render(report, name)
    if kind == "monthly":
        html = renderers.render(report, "html").decode()
        assert "CP visits in timescale: no values recorded for the months shown." in html
        assert html.count("Not rated") >= 2


def test_the_one_page_summary_fits_on_one_page_and_rates_every_measure(plan, observations, inputs):
    report = assemble("summary", inputs)
    pages = pdf_pages(renderers.render(report, "pdf"))
    assert len(pages) == 1
    for result in results(plan, observations):
        assert result.title in pages[0]
    assert "DRAFT" in pages[0]
    assert "Actions to watch (overdue and Red" in pages[0]
    document = Document(io.BytesIO(renderers.render(report, "docx")))
    assert "Contents" not in [p.text for p in document.paragraphs]


def test_actions_of_the_same_rating_and_date_are_in_number_order_with_4_9_before_4_10():
    def item(number, rag="green", overdue=False):
        return ActionItem(number=number, text="x", owner="", due=date(2024, 9, 30), status="In progress",
                          rag=rag, rag_reason="", overdue=overdue)

    actions = [item("4.10"), item("4.9"), item("1.2", rag="amber"), item("9.1", rag="red", overdue=True), item("2.1", rag="red")]
    report = assemble("monthly", small_inputs(actions=actions))
    assert [row[0] for row in report.dataset("actions").rows] == ["9.1", "2.1", "1.2", "4.9", "4.10"]


def test_figures_by_individual_worker_stay_out_of_board_documents(plan, observations):
    import polars as pl

    extra = observations_from_rows(
        [{"measure_id": "cla_rate_per_10k", "period": "2024-06", "breakdown": "worker", "breakdown_value": "W-TEST-0042", "value": "3"}]
    )
    frame = pl.concat([observations, extra.select(observations.columns)])
    report = assemble("monthly", ReportInputs(plan=plan, observations=frame, period="2024-06", charts=False))
    html = renderers.render(report, "html").decode()
    assert "W-TEST-0042" not in html
    assert "PR4 – Private provision" in html


def test_referral_sources_and_abuse_categories_are_named_not_just_coded(plan, observations):
    import polars as pl

    extra = observations_from_rows(
        [
            {"measure_id": "cla_rate_per_10k", "period": "2024-06", "breakdown": "source", "breakdown_value": "6", "value": "4"},
            {"measure_id": "cla_rate_per_10k", "period": "2024-06", "breakdown": "category", "breakdown_value": "NEG", "value": "5"},
        ]
    )
    frame = pl.concat([observations, extra.select(observations.columns)])
    report = assemble("monthly", ReportInputs(plan=plan, observations=frame, period="2024-06", charts=False))
    html = renderers.render(report, "html").decode()
    assert "6 – Police" in html
    assert "NEG – Neglect" in html


def test_dfe_years_come_into_force_when_dfe_publishes_them():
    from journey.engine.reports.inputs import benchmark_in_force_from

    assert benchmark_in_force_from("rereferrals_12m_pct", "2024") == date(2024, 12, 1)
    assert benchmark_in_force_from("cla_rate_per_10k", "2023/24") == date(2024, 12, 1)
    assert benchmark_in_force_from("workforce_agency_pct", "2024") == date(2025, 3, 1)
    assert benchmark_in_force_from("cla_rate_per_10k", "spring term") is None


def test_a_report_for_a_past_month_is_judged_at_the_months_end_whenever_it_is_built():
    from journey.engine.reports.inputs import judgement_day

    assert judgement_day("2024-09", date(2026, 12, 1)) == date(2024, 9, 30)
    assert judgement_day("2024-09", date(2024, 9, 14)) == date(2024, 9, 14)


def test_a_manual_measure_s_definition_from_the_plan_is_shown_where_a_library_definition_would_be(monthly_report, observations):
    from journey.engine.reports.model import Facts

    june = observations.filter(
        (observations["measure_id"] == "children_feel_safe_pct") & (observations["period"] == "2024-06")
        & (observations["breakdown"] == "") & (observations["period_type"] == "month")
    ).row(0, named=True)
    section = next(s for top in monthly_report.sections for s in top.walk() if s.title == "Children who say they feel safe (children's survey)")
    facts = dict(next(b for b in section.blocks if isinstance(b, Facts)).items)
    assert facts["Count"] == f"{june['numerator']:.0f} of 200 children who answered the question"
    assert facts["Source"] == "Entered by hand from the quarterly children's survey (Bright Spots style)"
    months = next(b.table for b in section.blocks if isinstance(b, ChartBlock))
    assert months.caption.endswith("; Count: children who say they feel safe, of children who answered the question")
    definitions = next(s for top in monthly_report.sections for s in top.walk() if s.id == "data-definitions")
    rows = {row[0].text: (row[1].text, row[2].text) for row in definitions.blocks[0].rows}
    assert rows["Children who say they feel safe (children's survey)"] == (
        'Children and young people answering the survey who say they feel safe "always" or "most of the time", '
        "of all who answered that question.",
        "Entered by hand from the quarterly children's survey (Bright Spots style)",
    )
