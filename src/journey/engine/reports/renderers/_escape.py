"""CSV cells for reports: numbers stay numbers, formula-like text is escaped."""

from __future__ import annotations

from journey.engine.spreadsheet import escape_cell


def csv_text(value: object) -> str:
    """A CSV cell: risky text gets a leading apostrophe, as OWASP recommends; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return escape_cell(value)
