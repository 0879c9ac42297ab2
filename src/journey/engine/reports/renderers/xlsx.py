"""Excel: the report's figures as typed data — a summary, a sheet per priority, measures, actions.

Numbers are numbers (so officers can chart and filter them), dates are dates, and any text
a spreadsheet would run as a formula (starting =, +, -, @, tab or carriage return) is
stored as text with Excel's quote prefix, never as a formula.
"""

from __future__ import annotations

import io
import re
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from journey.engine.reports.model import Dataset, Report
from journey.engine.reports.renderers import register
from journey.engine.spreadsheet import is_formula_like

RAG_FILLS = {
    "Green": PatternFill("solid", fgColor="CCE2D8"),
    "Amber": PatternFill("solid", fgColor="FFF2B3"),
    "Red": PatternFill("solid", fgColor="F6D7D2"),
}
HEADER_FILL = PatternFill("solid", fgColor="F3F2F1")
_BAD_SHEET_CHARS = re.compile(r"[\[\]\*\?/\\:]")


def sheet_title(text: str, used: set[str]) -> str:
    """A valid, unique sheet name (at most 31 characters, none of []*?/\\:)."""
    base = _BAD_SHEET_CHARS.sub(" ", text).strip().strip("'")[:31] or "Sheet"
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
    for r, row in enumerate(dataset.rows, 4):
        for c, value in enumerate(row, 1):
            cell = write_value(ws, r, c, value)
            if isinstance(value, str) and value in RAG_FILLS:
                cell.fill = RAG_FILLS[value]
            if isinstance(value, float):
                cell.number_format = "#,##0.0##"
            widths[c - 1] = max(widths[c - 1], min(len(str(value)) if value is not None else 0, 60))
    for c, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(c)].width = max(8, min(width + 2, 62))
    ws.freeze_panes = "A4"
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
    used = {"about"}
    for dataset in report.datasets:
        name = dataset.title if dataset.name.startswith("priority-") else dataset.title.split(",")[0]
        _sheet(wb, dataset, sheet_title(name, used), report)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
