"""Report files carry the day their content stands as at, never the clock they were built by."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from datetime import UTC, date, datetime

import openpyxl
from docx import Document
from pypdf import PdfReader

from journey.engine.reports import renderers
from journey.engine.reports.assemble import assemble
from tests.engine.reports.test_reports import approved, small_inputs


def report_built_on(when: datetime, **kwargs):
    inputs = small_inputs(narrative={"cp_visits": approved(), "cp_rate": approved()}, **kwargs)
    inputs.generated_at = when
    inputs.today = date(2024, 6, 30)
    inputs.charts = False
    return assemble("monthly", inputs)


def member_dates(data: bytes) -> set[tuple[int, ...]]:
    return {member.date_time for member in zipfile.ZipFile(io.BytesIO(data)).infolist()}


def test_a_word_document_is_dated_the_day_it_stands_as_at_not_the_day_it_was_built():
    first = renderers.render(report_built_on(datetime(2024, 7, 12, 9, 30)), "docx")
    later = renderers.render(report_built_on(datetime(2026, 7, 12, 16, 5)), "docx")
    for data in (first, later):
        props = Document(io.BytesIO(data)).core_properties
        assert props.created == props.modified == datetime(2024, 6, 30, tzinfo=UTC)
        assert props.last_modified_by == "Testshire County Council" and props.revision == 1
        assert member_dates(data) == {(2024, 6, 30, 0, 0, 0)}
    texts = [[p.text for p in Document(io.BytesIO(d)).paragraphs] for d in (first, later)]
    changed = [(a, b) for a, b in zip(*texts, strict=True) if a != b]
    assert changed == [("Prepared on: 12 July 2024", "Prepared on: 12 July 2026")]


def test_an_excel_workbook_built_two_years_later_is_the_same_file():
    first = renderers.render(report_built_on(datetime(2024, 7, 12, 9, 30)), "xlsx")
    later = renderers.render(report_built_on(datetime(2026, 7, 12, 16, 5)), "xlsx")
    assert first == later
    props = openpyxl.load_workbook(io.BytesIO(first)).properties
    assert (props.created, props.modified) == (datetime(2024, 6, 30), datetime(2024, 6, 30))
    assert member_dates(first) == {(2024, 6, 30, 0, 0, 0)}


def test_a_pdf_is_dated_the_day_it_stands_as_at_and_differs_only_in_prepared_on():
    first = renderers.render(report_built_on(datetime(2024, 7, 12, 9, 30)), "pdf")
    later = renderers.render(report_built_on(datetime(2026, 7, 12, 16, 5)), "pdf")
    readers = [PdfReader(io.BytesIO(d)) for d in (first, later)]
    for reader in readers:
        assert reader.metadata["/CreationDate"].startswith("D:20240630")
        assert reader.metadata["/ModDate"].startswith("D:20240630")
    first_text, later_text = (["\n".join(p.extract_text() for p in r.pages)] for r in readers)
    assert first_text != later_text
    assert first_text[0].replace("12 July 2024", "12 July 2026") == later_text[0]


def test_a_report_is_dated_the_day_it_is_judged_on():
    report = dataclasses.replace(report_built_on(datetime(2026, 7, 12)), dated=date(2024, 7, 15))
    props = Document(io.BytesIO(renderers.render(report, "docx"))).core_properties
    assert props.created == datetime(2024, 7, 15, tzinfo=UTC)
    unpublished = small_inputs()  # judged on 1 July 2024
    assert assemble("monthly", unpublished).dated == unpublished.judged_on == date(2024, 7, 1)
