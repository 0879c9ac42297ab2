"""Where a council's CSV export is laid out wrongly: a title above the header, a row
longer than the header. Shared by every CSV reader (canonical, SSDA903, SSD)."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Sequence

from journey.engine.casedata.problems import ERROR, Problem

#: How far down a file a header is looked for when the first line is not one (a report's
#: title, the date it was run, a blank line).
HEADER_SEARCH_LINES = 10


def header_below(
    text: str, is_header: Callable[[list[str]], bool], *, lines: int = HEADER_SEARCH_LINES
) -> int | None:
    """The row (2 to ``lines``) holding the header when the first does not: a title above it."""
    records = csv.reader(io.StringIO(text))
    for number, record in enumerate(itertools.islice(records, lines), start=1):
        if number > 1 and is_header([cell.replace("\ufeff", "").strip() for cell in record]):
            return number
    return None


def header_not_first(
    number: int, header: Sequence[str], *, file: str, table: str | None = None
) -> Problem:
    """The error for a header found below the first row."""
    shown = ", ".join(h.replace("\ufeff", "").strip() for h in header if h and h.strip())
    return Problem(
        ERROR,
        "header_not_first",
        f"the header is on row {number} ({shown}), not row 1: delete the "
        + ("line" if number == 2 else f"{number - 1} lines")
        + " above it (a title or notes) so that the file starts with the header, and export again",
        file=file,
        row=number,
        table=table,
    )


def overlong_row(text: str, width: int) -> tuple[int, str] | None:
    """The first row with a value beyond the header's ``width`` columns, and that value.

    Extra values that are blank (a trailing comma, as some exports add to every row) are
    not data and are not reported. Used only once the parser has refused the file, so the
    rows are walked in Python only for a file that is wrong anyway.
    """
    for number, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        extra = [value for value in record[width:] if value.strip()]
        if extra:
            return number, extra[0]
    return None


def overlong_problem(
    number: int, value: str, width: int, *, file: str, table: str | None = None
) -> Problem:
    """The error for a row with more values than the header (nothing is cut off silently)."""
    return Problem(
        ERROR,
        "unreadable_file",
        f"row {number} has more values than the header's {width} columns (the first extra "
        f"value is {value!r}): a value holding a comma must be in double quotes, or a "
        "column is missing its header",
        file=file,
        row=number,
        value=value,
        table=table,
    )
