"""Excel: the report's figures as typed data — a summary, a sheet per priority, measures, actions.

Numbers are numbers (so officers can chart and filter them), dates are dates, and any text
a spreadsheet would run as a formula (starting =, +, -, @, tab or carriage return) is
stored as text with Excel's quote prefix, never as a formula.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from journey.engine.reports.model import Dataset, Report
from journey.engine.reports.renderers import register
from journey.engine.reports.renderers._dated import document_datetime, with_member_dates
from journey.engine.spreadsheet import is_formula_like

RAG_FILLS = {
    "Green": PatternFill("solid", fgColor="CCE2D8"),
    "Amber": PatternFill("solid", fgColor="FFF2B3"),
    "Red": PatternFill("solid", fgColor="F6D7D2"),
}
HEADER_FILL = PatternFill("solid", fgColor="F3F2F1")
_SMALL_WORDS = frozenset({"the", "and", "of", "for", "with", "to", "in", "on", "a", "an", "by"})
_BAD_SHEET_CHARS = re.compile(r"[\[\]\*\?/\\:]")


def sheet_title(text: str, used: set[str]) -> str:
    """A valid, unique, readable sheet name: at most 31 characters (Excel's limit), cut at a
    word rather than mid-word, no dangling bracket or dash, none of []*?/\\:."""
    base = " ".join(_BAD_SHEET_CHARS.sub(" ", text).split()).strip("'")
    if len(base) > 31:
        words, cut = base.split(" "), ""
        for word in words:
            if len(cut) + len(word) + (1 if cut else 0) > 31:
                break
            cut = f"{cut} {word}" if cut else word
        base = cut or base[:31]
        base = re.sub(r"[\s(–-]+$|\s*\([^)]*$", "", base).strip() or base[:31]
        while base.rsplit(" ", 1)[-1].lower() in _SMALL_WORDS and " " in base:
            base = base.rsplit(" ", 1)[0].rstrip(" –-")
    base = base or "Sheet"
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(title.lower())
    return title


def write_value(ws, row: int, column: int, value: object):
    """Write one value; text that could run as a formula is stored as quoted text."""
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"
        if is_formula_like(value):
            cell.quotePrefix = True
    elif isinstance(value, bool):
        cell.value = "Yes" if value else "No"
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = "d mmm yyyy"
    else:
        cell.value = value
    return cell


VALUE_COLUMNS = frozenset({"Actual", "Target", "Tolerance lower", "Tolerance upper", "Statistical neighbours", "England"})
UNIT_FORMATS = {
    "percent": "0.0%",
    "count": "#,##0",
    "currency": "£#,##0",
    "rate_per_10k": "#,##0.0",
}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _typed(column: str, value: object, unit: str | None) -> tuple[object, str | None]:
    """(value to store, Excel number format): percentages as fractions in percent format,
    months as dates shown "Jun 2024", other figures in their unit's format."""
    if column == "Month" and isinstance(value, str) and _MONTH.match(value):
        return date(int(value[:4]), int(value[5:7]), 1), "mmm yyyy"
    if column in VALUE_COLUMNS and isinstance(value, int | float) and not isinstance(value, bool):
        if unit == "percent":
            return value / 100, UNIT_FORMATS["percent"]
        return value, UNIT_FORMATS.get(unit or "", "#,##0.0")
    if isinstance(value, float):
        return value, "#,##0.0"
    return value, None


def _print_setup(ws, title: str, header_row: int) -> None:
    """A4 landscape, one page wide, the header row on every page, title and page numbers."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.oddHeader.left.text = title.replace("&", "&&")
    ws.oddFooter.right.text = "Page &P of &N"
    ws.print_options.gridLines = True


def _sheet(wb: Workbook, dataset: Dataset, title: str, report: Report) -> None:
    ws = wb.create_sheet(title)
    heading = f"{dataset.title} – {report.authority}, {report.period_label}" + (" – DRAFT" if report.draft else "")
    write_value(ws, 1, 1, heading).font = Font(bold=True, size=12)
    for c, name in enumerate(dataset.columns, 1):
        cell = write_value(ws, 3, c, name)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [len(n) for n in dataset.columns]
    unit_at = dataset.columns.index("Unit") if "Unit" in dataset.columns else None
    for r, row in enumerate(dataset.rows, 4):
        unit = str(row[unit_at]) if unit_at is not None else None
        for c, value in enumerate(row, 1):
            stored, number_format = _typed(dataset.columns[c - 1], value, unit)
            cell = write_value(ws, r, c, stored)
            if number_format:
                cell.number_format = number_format
            if isinstance(value, str) and value in RAG_FILLS:
                cell.fill = RAG_FILLS[value]
            widths[c - 1] = max(widths[c - 1], min(len(str(value)) if value is not None else 0, 60))
    for c, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(c)].width = max(8, min(width + 2, 62))
    ws.freeze_panes = "A4"
    _print_setup(ws, heading, 3)
    if dataset.rows:
        ws.auto_filter.ref = f"A3:{get_column_letter(len(dataset.columns))}{len(dataset.rows) + 3}"


@register(
    "xlsx",
    label="Excel workbook (figures)",
    extension="xlsx",
    media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
def render(report: Report) -> bytes:
    wb = Workbook()
    about = wb.active
    about.title = "About"
    lines = [
        (report.title, True),
        (report.authority, False),
        (f"{report.subtitle or report.period_label}", False),
        ("DRAFT: " + " ".join(report.draft_reasons) if report.draft else "All narrative approved.", report.draft),
        (f"Data as at {report.data_as_at.isoformat() if report.data_as_at else 'unknown'}", False),
        ("Aggregate figures only; no child-level information.", False),
    ]
    for i, (text, bold) in enumerate(lines, 1):
        write_value(about, i, 1, text).font = Font(bold=bold, size=14 if i == 1 else 11)
    about.column_dimensions["A"].width = 100
    _print_setup(about, report.running_title, 1)
    used = {"about"}
    for dataset in report.datasets:
        name = dataset.title if dataset.name.startswith("priority-") else dataset.title.split(",")[0]
        _sheet(wb, dataset, sheet_title(name, used), report)
    # The day the report stands as at, not the build clock (openpyxl's save() would stamp
    # the modified date with now): built again, the same file.
    wb.properties.created = wb.properties.modified = document_datetime(report)
    wb.properties.creator = wb.properties.lastModifiedBy = report.authority
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()
    return with_member_dates(out.getvalue(), report)
