"""Spreadsheet formula injection: text that a spreadsheet would run as a formula."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_risky(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula (or strip its first character)."""
    return text.startswith(FORMULA_STARTS)


def csv_text(value: object) -> str:
    """A CSV cell: risky text gets a leading apostrophe, as OWASP recommends; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    return "'" + text if is_risky(text) else text
