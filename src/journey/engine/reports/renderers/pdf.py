"""PDF: the print HTML laid out by WeasyPrint, tagged for accessibility (PDF/UA-1).

Headers carry the running title and the DRAFT marking, footers the page number; charts
stay vector (inline SVG) with their text alternative and data table beside them.
"""

from __future__ import annotations

import logging
from typing import Any

from journey.engine.charts import measure_chart_svg
from journey.engine.reports.model import ChartBlock, Report
from journey.engine.reports.renderers import register
from journey.engine.reports.renderers.html import chart_ref, report_html

# WeasyPrint logs every CSS property it does not support; the report's stylesheet
# targets screens too, so those messages are noise here.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


def chart_fetcher(report: Report) -> Any:
    """A WeasyPrint URL fetcher that resolves the report's chart references to their SVG
    and fetches nothing else (no network, no files), whatever the report's text holds."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    charts = {chart_ref(b.chart): b.chart for b in report.all_blocks() if isinstance(b, ChartBlock)}

    class ChartFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            chart = charts.get(url)
            if chart is None:
                raise ValueError(f"the report refers to {url[:80]!r}, which is not one of its charts")
            svg = measure_chart_svg(chart).encode("utf-8")
            return URLFetcherResponse(url, svg, {"Content-Type": "image/svg+xml"})

    return ChartFetcher(allowed_protocols=())


@register("pdf", label="PDF (board pack)", extension="pdf", media_type="application/pdf")
def render(report: Report) -> bytes:
    from weasyprint import HTML

    html = report_html(report, "print")
    document = HTML(string=html, base_url=None, media_type="print", url_fetcher=chart_fetcher(report))
    return document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)
