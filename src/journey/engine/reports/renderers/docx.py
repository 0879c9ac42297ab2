"""Word: a document a council officer can edit — real Heading styles, real tables.

Headings use Word's built-in Heading 1–3 styles (so the navigation pane and a table of
contents work), tables are editable Word tables with a header row that repeats across
pages, RAG cells are shaded and say the rating in words, charts are PNG pictures (from the
same Vega-Lite chart as the PDF) with their text alternative as the picture's
description. DRAFT is in the header of every page; page numbers are in the footer.
"""

from __future__ import annotations

import io
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from journey.engine.charts import MeasureChart, measure_chart_png
from journey.engine.reports.model import (
    NOT_APPROVED,
    BulletList,
    ChartBlock,
    Facts,
    NarrativeBlock,
    Paragraph,
    Report,
    Section,
    Table,
)
from journey.engine.reports.renderers import register
from journey.engine.reports.renderers._dated import document_datetime, with_member_dates

RAG_FILL = {"green": "CCE2D8", "amber": "FFF2B3", "red": "F6D7D2"}
RAG_TEXT = {"green": RGBColor(0x00, 0x5A, 0x30), "amber": RGBColor(0x59, 0x4D, 0x00), "red": RGBColor(0x94, 0x25, 0x14)}
HEADER_FILL = "F3F2F1"
# Word lays the document out with the reader's fonts: council machines have Arial, whose
# metrics the shipped Arimo (used for the PDF and the charts) shares.
FONT = "Arial"


def _shade(cell, fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    props.append(shd)


def _repeat_header(row) -> None:
    props = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    props.append(flag)


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word fills in when the document is opened."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    shown = OxmlElement("w:t")
    shown.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, text, separate, shown, end):
        run._r.append(element)


def _contents_field(document, entries: list[tuple[str, int]]) -> None:
    """A real table of contents: Word's TOC field over Heading 1–2, which Word fills with
    page numbers when the document opens (``updateFields``); until then it shows the
    headings, so a reader without Word still sees the contents."""
    def char(kind: str) -> Any:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    first = document.add_paragraph()
    first.add_run()._r.append(char("begin"))
    instruction = OxmlElement("w:instrText")
    instruction.set(qn("xml:space"), "preserve")
    instruction.text = ' TOC \\o "1-2" \\h \\z \\u '
    first.add_run()._r.append(instruction)
    first.add_run()._r.append(char("separate"))
    paragraph = first
    for index, (title, level) in enumerate(entries or [("Contents", 1)]):
        if index:
            paragraph = document.add_paragraph()
        paragraph.add_run(title)
        paragraph.paragraph_format.left_indent = Mm(6 * (level - 1))
        paragraph.paragraph_format.space_after = Pt(0)
    paragraph.add_run()._r.append(char("end"))
    settings = document.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)


def _language(document, tag: str = "en-GB") -> None:
    """British English for the spelling checker and screen readers, in every style."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for attr in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attr), tag)
    for element in styles.iter(qn("w:lang")):
        for attr in ("w:val", "w:eastAsia"):
            element.set(qn(attr), tag)


def _styles(document) -> None:
    _language(document)
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    for name, size in (("Title", 26), ("Heading 1", 16), ("Heading 2", 13), ("Heading 3", 11)):
        style = styles[name]
        style.font.name = FONT
        style.font.size = Pt(size)
        style.font.color.rgb = RGBColor(0x1D, 0x4F, 0x76)
        rfonts = style.element.rPr.rFonts if style.element.rPr is not None else None
        if rfonts is not None:
            for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                rfonts.set(qn(attr), FONT)
            for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                rfonts.attrib.pop(qn(attr), None)


def _page_setup(document, report: Report) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(18)
    section.top_margin, section.bottom_margin = Mm(20), Mm(18)
    header = section.header.paragraphs[0]
    header.text = report.running_title
    header.runs[0].font.size = Pt(8)
    if report.draft:
        run = header.add_run("\tDRAFT")
        run.bold = True
        run.font.color.rgb = RGB_RED
        header.paragraph_format.tab_stops.add_tab_stop(Mm(174), alignment=2)  # right
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run("Page ").font.size = Pt(8)
    _field(footer, "PAGE")
    footer.add_run(" of ").font.size = Pt(8)
    _field(footer, "NUMPAGES")


RGB_RED = RGBColor(0xD4, 0x35, 0x1C)


def _table(document, table: Table, container=None) -> None:
    """An editable Word table with its caption, in the document or in a layout cell."""
    into = container if container is not None else document
    caption = into.add_paragraph(table.caption, style="Caption")
    caption.paragraph_format.keep_with_next = True
    grid = into.add_table(rows=1, cols=len(table.columns))
    grid.style = document.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.LEFT
    grid.autofit = False
    widths = column_widths(table, TEXT_WIDTH_MM if container is None else 74)
    numeric = table.numeric_columns()
    head = grid.rows[0]
    _repeat_header(head)
    for i, name in enumerate(table.columns):
        cell = head.cells[i]
        cell.width = Mm(widths[i])
        cell.text = name
        run = cell.paragraphs[0].runs[0] if cell.paragraphs[0].runs else cell.paragraphs[0].add_run("")
        run.bold = True
        run.font.size = Pt(8.5)
        if i in numeric:
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _shade(cell, HEADER_FILL)
    for row in table.rows:
        cells = grid.add_row().cells
        for i, value in enumerate(row):
            cell = cells[i]
            cell.width = Mm(widths[i])
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(value.text)
            run.font.size = Pt(8.5)
            if value.strong:
                run.bold = True
            if value.numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            if value.rag in RAG_FILL:
                _shade(cell, RAG_FILL[value.rag])
                run.bold = True
                run.font.color.rgb = RAG_TEXT[value.rag]
    if container is None:
        document.add_paragraph()


TEXT_WIDTH_MM = 174
"""A4 less 18 mm margins each side."""


def column_widths(table: Table, total: float) -> list[float]:
    """Column widths in mm, shared by how much each column has to say (its longest word
    and its typical length), so a measure's name is not squeezed beside short figures."""
    texts = [[table.columns[i], *(row[i].text for row in table.rows)] for i in range(len(table.columns))]
    needs = []
    for column in texts:
        longest_word = max((len(w) for t in column for w in t.split()), default=1)
        typical = sorted(len(t) for t in column)[len(column) * 3 // 4]
        needs.append(max(longest_word, min(typical, 60), 4))
    scale = total / sum(needs)
    return [round(n * scale, 1) for n in needs]


def _chart_png(chart: MeasureChart) -> bytes:
    return measure_chart_png(chart, scale=2)


def _chart_with_table(document, block: ChartBlock, png: bytes) -> None:
    """The chart across the page (a picture with its description as alt text, never
    cropped by a narrow column), then its data table."""
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.keep_with_next = True
    shape = paragraph.add_run().add_picture(io.BytesIO(png), width=Mm(150))
    doc_pr = shape._inline.docPr
    doc_pr.set("descr", block.description)
    doc_pr.set("title", block.chart.title)
    note = document.add_paragraph(block.description, style="Caption")
    note.paragraph_format.space_after = Pt(6)
    _table(document, block.table)


def _narrative(document, block: NarrativeBlock) -> None:
    if not block.approved:
        p = document.add_paragraph()
        run = p.add_run(f"Narrative for {block.month_label}: {NOT_APPROVED}")
        run.bold = True
        run.font.color.rgb = RGB_RED
        return
    assert block.answers is not None
    for question, answer in block.answers:
        document.add_heading(question, level=4)
        document.add_paragraph(answer)
    if block.approved_by:
        p = document.add_paragraph(f"Approved by {block.approved_by}")
        p.runs[0].italic = True
        p.runs[0].font.size = Pt(8)


def _section(document, section: Section, first: bool, pngs: dict[int, bytes]) -> None:
    if section.new_page and not first:
        document.add_page_break()
    document.add_heading(section.title, level=min(section.level, 3))
    for block in section.blocks:
        if isinstance(block, Paragraph):
            p = document.add_paragraph(block.text)
            if block.style == "lead":
                p.runs[0].font.size = Pt(11)
            elif block.style == "note":
                p.runs[0].font.size = Pt(8.5)
            elif block.style == "warning":
                p.runs[0].bold = True
                p.runs[0].font.color.rgb = RGB_RED
        elif isinstance(block, Facts):
            grid = document.add_table(rows=0, cols=2)
            grid.style = document.styles["Table Grid"]
            for key, value in block.items:
                cells = grid.add_row().cells
                cells[0].text = key
                cells[0].paragraphs[0].runs[0].bold = True
                cells[1].text = value
                for c in cells:
                    c.paragraphs[0].runs[0].font.size = Pt(9)
                _shade(cells[0], HEADER_FILL)
                cells[0].width, cells[1].width = Mm(45), Mm(129)
            document.add_paragraph()
        elif isinstance(block, Table):
            _table(document, block)
        elif isinstance(block, ChartBlock):
            _chart_with_table(document, block, pngs[id(block.chart)])
        elif isinstance(block, NarrativeBlock):
            _narrative(document, block)
        elif isinstance(block, BulletList):
            for item in block.items:
                document.add_paragraph(item, style="List Bullet")
    for sub in section.subsections:
        _section(document, sub, False, pngs)


@register(
    "docx",
    label="Word document (editable)",
    extension="docx",
    media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    draws=_chart_png,
)
def render(report: Report) -> bytes:
    document = Document()
    _styles(document)
    _page_setup(document, report)
    props = document.core_properties
    props.title = report.running_title
    props.author = report.authority
    props.subject = report.title
    props.keywords = "DRAFT" if report.draft else ""
    props.language = "en-GB"
    # The day the report stands as at, not the build clock: built again, the same file.
    props.created = props.modified = document_datetime(report)
    props.last_modified_by = report.authority
    props.comments = "Improvement Journey"
    props.revision = 1

    document.add_paragraph(report.authority).runs[0].font.size = Pt(14 if not report.one_page else 10)
    if report.one_page:
        document.add_heading(f"{report.title}: {report.subtitle or report.period_label}", level=0)
    else:
        document.add_heading(report.title, level=0)
        document.add_paragraph(report.subtitle or report.period_label).runs[0].font.size = Pt(16)
    if report.draft:
        p = document.add_paragraph()
        run = p.add_run("DRAFT")
        run.bold = True
        run.font.size = Pt(24 if not report.one_page else 14)
        run.font.color.rgb = RGB_RED
        for reason in report.draft_reasons:
            document.add_paragraph(reason)
    for key, value in report.cover_facts:
        p = document.add_paragraph()
        p.add_run(f"{key}: ").bold = True
        p.add_run(value)
        if report.one_page:
            p.paragraph_format.space_after = Pt(0)

    if not report.one_page:
        document.add_page_break()
        document.add_heading("Contents", level=1)
        _contents_field(document, [(s.title, s.level) for s in report.contents()])
    charts = [b.chart for b in report.all_blocks() if isinstance(b, ChartBlock)]
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool:
        pngs = dict(zip([id(c) for c in charts], pool.map(_chart_png, charts), strict=True))
    for section in report.sections:
        _section(document, section, False, pngs)
    out = io.BytesIO()
    document.save(out)
    return with_member_dates(out.getvalue(), report)
