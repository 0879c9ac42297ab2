"""PDF: the print HTML laid out by WeasyPrint, tagged for accessibility (PDF/UA-1).

Headers carry the running title and the DRAFT marking, footers the page number; charts
stay vector (inline SVG) with their text alternative and data table beside them.
"""

from __future__ import annotations

import logging

from journey.engine.reports.model import Report
from journey.engine.reports.renderers import register
from journey.engine.reports.renderers.html import report_html

# WeasyPrint logs every CSS property it does not support; the report's stylesheet
# targets screens too, so those messages are noise here.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


@register("pdf", label="PDF (board pack)", extension="pdf", media_type="application/pdf")
def render(report: Report) -> bytes:
    from weasyprint import HTML

    html = report_html(report, "print")
    document = HTML(string=html, base_url=None, media_type="print")
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
