"""The date a report file carries: the day its content stands as at, never the build clock.

Word and Excel files are zip archives whose members record when they were written, and
whose document properties record when the document was made and last changed. Both are
set here from :attr:`journey.engine.reports.model.Report.dated` (the day it is judged on), so the same report built
again later is the same file (only "Prepared on" in the text says when it was built).
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

from journey.engine.reports.model import Report

__all__ = ["document_datetime", "with_member_dates"]

UNDATED = date(2000, 1, 1)
"""For a report that stands as at no particular day (none built by the product)."""


def document_datetime(report: Report) -> datetime:
    """Midnight of the report's day, naive (as the Office formats want, read as UTC)."""
    day = report.dated or UNDATED
    return datetime(day.year, day.month, day.day)  # noqa: DTZ001 - Office properties are naive UTC


def with_member_dates(archive: bytes, report: Report) -> bytes:
    """``archive`` rewritten with every member dated midnight of the report's day (same
    names, order, contents and compression)."""
    stamp = document_datetime(report).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(out, "w") as target:
        for member in source.infolist():
            info = zipfile.ZipInfo(member.filename, date_time=stamp)
            info.compress_type = member.compress_type
            info.external_attr = member.external_attr
            target.writestr(info, source.read(member))
    return out.getvalue()
