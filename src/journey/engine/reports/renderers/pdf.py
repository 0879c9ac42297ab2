"""PDF: the print HTML laid out by WeasyPrint, tagged for accessibility (PDF/UA-1).

Headers carry the running title and the DRAFT marking, footers the page number; charts
stay vector (inline SVG) with their text alternative and data table beside them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from journey.engine.charts import measure_chart_svg
from journey.engine.fonts import fetch_font
from journey.engine.reports.model import ChartBlock, Report
from journey.engine.reports.renderers import register
from journey.engine.reports.renderers.html import chart_ref, report_html

# WeasyPrint logs every CSS property it does not support; the report's stylesheet
# targets screens too, so those messages are noise here.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


def chart_fetcher(report: Report, ready: Mapping[str, Future[str]] | None = None) -> Any:
    """A WeasyPrint URL fetcher that resolves the report's chart references to their SVG
    and the shipped fonts, and fetches nothing else (no network, no files), whatever the
    report's text holds.

    ``ready`` maps references to charts already being drawn (see :func:`render`)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    charts = {chart_ref(b.chart): b.chart for b in report.all_blocks() if isinstance(b, ChartBlock)}
    pending = ready or {}

    class ChartFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            font = fetch_font(url)
            if font is not None:
                return URLFetcherResponse(url, font, {"Content-Type": "font/ttf"})
            chart = charts.get(url)
            if chart is None:
                raise ValueError(f"the report refers to {url[:80]!r}, which is not one of its charts")
            future = pending.get(url)
            svg = future.result() if future is not None else measure_chart_svg(chart)
            return URLFetcherResponse(url, svg.encode("utf-8"), {"Content-Type": "image/svg+xml"})

    return ChartFetcher(allowed_protocols=())


# How many times a one-page report may be set tighter to stay on its page.
ONE_PAGE_FIT_STEPS = 3
# Tagged PDF/UA-1: needed when laying out (structure) and when writing (metadata, tags).
PDF_OPTIONS: dict[str, Any] = {"pdf_variant": "pdf/ua-1", "pdf_tags": True}


@register("pdf", label="PDF (board pack)", extension="pdf", media_type="application/pdf", draws=measure_chart_svg)
def render(report: Report) -> bytes:
    from weasyprint import HTML

    charts = [b.chart for b in report.all_blocks() if isinstance(b, ChartBlock)]
    # Charts are drawn on worker threads (vl-convert runs outside the GIL) while
    # WeasyPrint parses the page and works out its styles; it collects them when it
    # reaches each picture.
    with ThreadPoolExecutor(max_workers=2) as pool:
        ready = {chart_ref(chart): pool.submit(measure_chart_svg, chart) for chart in charts}
        fetcher = chart_fetcher(report, ready)
        fit = 0
        while True:
            html = report_html(report, "print", fit=fit)
            document = HTML(string=html, base_url=None, media_type="print", url_fetcher=fetcher).render(**PDF_OPTIONS)
            # A one-page report that runs over is set tighter, step by step (report.css).
            if not report.one_page or len(document.pages) <= 1 or fit == ONE_PAGE_FIT_STEPS:
                return document.write_pdf(**PDF_OPTIONS)
            fit += 1
