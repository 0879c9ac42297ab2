"""Spreadsheet formula injection: one rule for every file the product writes or reads.

Text that a spreadsheet would run as a formula (it starts with = + - @, a tab or a
carriage return) is written with a leading apostrophe, as OWASP recommends, so it shows
as text. Files that are read back (the canonical extract, the statutory formats, the
observations CSV) also escape text that already starts with an apostrophe; reading
removes exactly one apostrophe before a trigger or an apostrophe, so every value
round-trips unchanged.
"""

from __future__ import annotations

import polars as pl

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_ESCAPE_TO_ROUND_TRIP = (*FORMULA_TRIGGERS, "'")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula (or drop its first character)."""
    return text.startswith(FORMULA_TRIGGERS)


def escape_cell(value: object) -> str:
    """A cell for a document that is only read by people (a drill-down CSV, a report)."""
    text = "" if value is None else str(value)
    return "'" + text if is_formula_like(text) else text


def escape_text(text: str) -> str:
    """Text for a file that is read back: :func:`unescape_text` returns the original."""
    return "'" + text if text.startswith(_NEEDS_ESCAPE_TO_ROUND_TRIP) else text


def unescape_text(text: str) -> str:
    """Undo :func:`escape_text`."""
    if text.startswith("'") and text[1:2] in _NEEDS_ESCAPE_TO_ROUND_TRIP and text[1:2]:
        return text[1:]
    return text


def escape_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`escape_text` for a column of text."""
    risky = expr.str.slice(0, 1).is_in(list(_NEEDS_ESCAPE_TO_ROUND_TRIP))
    return pl.when(risky).then(pl.concat_str([pl.lit("'"), expr])).otherwise(expr)


#: An apostrophe before a character in _NEEDS_ESCAPE_TO_ROUND_TRIP (one anchored pattern
#: costs half of slicing every value to look at its second character).
_ESCAPED = r"^'[=+\-@\t\r']"


def unescape_expr(expr: pl.Expr) -> pl.Expr:
    """:func:`unescape_text` for a column of text."""
    return pl.when(expr.str.contains(_ESCAPED)).then(expr.str.slice(1)).otherwise(expr)


def escape_text_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column of ``frame`` escaped with :func:`escape_expr` (numbers untouched)."""
    return frame.with_columns(
        escape_expr(pl.col(name)).alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )
