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
