"""Every report read as pages: no page left nearly empty in the middle of a chapter, no
heading alone at the foot of a page, no text past the right margin (pdfplumber reads the
PDF as it is printed)."""

from __future__ import annotations

import pytest

from journey.engine.reports import renderers
from journey.engine.reports.assemble import assemble
from tests.engine.reports.layout import faults, headings_of, read_pages


def test_the_monthly_board_pack_has_no_near_empty_pages_orphaned_headings_or_clipped_text(monthly_report, monthly_pdf):
    every, chapters = headings_of(monthly_report)
    assert faults(monthly_pdf, every, chapters) == []


@pytest.mark.parametrize("kind", ["quarterly", "scrutiny", "summary"])
def test_the_other_reports_have_no_near_empty_pages_orphaned_headings_or_clipped_text(kind, inputs):
    report = assemble(kind, inputs)
    every, chapters = headings_of(report)
    assert faults(renderers.render(report, "pdf"), every, chapters, one_page=report.one_page) == []


def test_the_page_reader_finds_a_nearly_empty_page_and_a_heading_left_at_the_foot(inputs):
    # A heading forced onto its own page and text pushed past the margin are both found.
    from dataclasses import replace

    from journey.engine.reports.model import Paragraph, Section

    report = assemble("summary", inputs)
    lonely = Section("lonely", "A heading alone", level=1, new_page=True)
    report.sections.append(lonely)
    report.sections.append(Section("after", "After", level=1, new_page=True, blocks=[Paragraph("x " * 40)]))
    report = replace(report)
    data = renderers.render(report, "pdf")
    assert read_pages(data, one_page=True)[-2].lines[-1] == "A heading alone"
    found = faults(data, ["A heading alone", "After"], ["After"], one_page=True)
    assert any("alone at the foot" in f for f in found)


def test_the_month_table_beside_a_chart_keeps_a_county_s_counts_latest_and_provisional_on_one_line(plan):
    # A large council's counts ("5,629 of 23,456"): each month is one line of the table,
    # as are "Latest 15 Jul" and "Provisional", and nothing runs past the margin.
    from journey.engine.observations import observations_from_rows
    from journey.engine.plan import Plan
    from journey.engine.reports.inputs import ReportInputs
    from tests.engine.reports.synthetic import approved_narrative, observation_rows

    data = plan.model_dump()
    keep = "rereferrals_12m_pct"
    for priority in data["priorities"]:
        priority["measures"] = [m for m in priority["measures"] if m["id"] == keep]
        for action in priority["actions"]:
            action["measures"] = [x for x in action["measures"] if x == keep]
    data["priorities"] = [p for p in data["priorities"] if p["measures"]]
    small = Plan.model_validate(data)
    rows = observation_rows(small, "2023-04", "2024-06")
    for row in rows:
        if row.get("denominator"):
            row["denominator"], row["numerator"] = "23456", str(round(float(row["value"]) * 234.56))
    inputs = ReportInputs(plan=small, observations=observations_from_rows(rows), period="2024-06",
                          narrative=approved_narrative(small))
    report = assemble("monthly", inputs)
    pdf = renderers.render(report, "pdf")
    text = "\n".join(line for page in read_pages(pdf) for line in page.lines)
    june = next(r for r in rows if r["period"] == "2024-06" and r.get("denominator"))
    count = f"{int(june['numerator']):,} of 23,456"
    assert f"Jun-24 {june['value']}% {count} 22.0%" in text
    assert "Latest 15 Jul" in text and "Provisional" in text
    every, chapters = headings_of(report)
    assert [f for f in faults(pdf, every, chapters) if "past the right margin" in f or "alone" in f] == []
