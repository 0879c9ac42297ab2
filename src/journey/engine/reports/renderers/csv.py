"""CSV: the report's summary table (one row per measure), UTF-8 with a byte-order mark.

Text that a spreadsheet would run as a formula gets a leading apostrophe.
"""

from __future__ import annotations

import csv as _csv
import io

from journey.engine.reports.model import Report
from journey.engine.reports.renderers import register
from journey.engine.reports.renderers._escape import csv_text


@register("csv", label="CSV (summary table)", extension="csv", media_type="text/csv; charset=utf-8")
def render(report: Report) -> bytes:
    dataset = report.dataset(report.summary_dataset)
    out = io.StringIO(newline="")
    writer = _csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_text(c) for c in dataset.columns] + ["Report status"])
    status = "DRAFT" if report.draft else "Final"
    for row in dataset.rows:
        writer.writerow([csv_text(v) for v in row] + [status])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
