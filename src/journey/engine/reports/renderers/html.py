"""HTML: one self-contained file (CSS and SVG charts inline), and the source of the PDF.

Jinja2 with autoescaping: every text from the plan, narrative and actions is escaped;
only the chart SVG (built here from numbers and escaped titles) is marked safe.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from journey.engine.charts import MeasureChart, measure_chart_svg
from journey.engine.fonts import print_font_faces, screen_font_faces
from journey.engine.reports.model import NOT_APPROVED, ChartBlock, Report
from journey.engine.reports.renderers import register

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["chart_svg"] = lambda chart: Markup(measure_chart_svg(chart))  # noqa: S704 - SVG built from escaped text
    env.globals["chart_data_uri"] = chart_data_uri
    env.globals["chart_ref"] = chart_ref
    env.globals["not_approved"] = NOT_APPROVED
    return env


@cache
def stylesheet() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def prerender_charts(report: Report, render: Callable[[MeasureChart], object] = measure_chart_svg) -> None:
    """Render every chart of the report, several at once (vl-convert works outside the GIL);
    the results are cached, so the template then finds them ready."""
    charts = [b.chart for b in report.all_blocks() if isinstance(b, ChartBlock)]
    if len(charts) < 2:
        return
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2)) as pool:
        list(pool.map(render, charts))


def report_html(report: Report, medium: str = "screen", fit: int = 0) -> str:
    """The report as an HTML document for ``medium`` ``screen`` (web page) or ``print`` (PDF).

    The screen page holds its charts inline; the print page refers to them (the PDF
    renderer supplies them as it lays the page out). ``fit`` tightens a one-page report's
    type by that many steps (see ``.fit-N`` in report.css) when it would not fit."""
    if medium == "screen":
        prerender_charts(report)
    template = _environment().get_template("report.html.j2")
    # The shipped fonts: embedded in the web page, fetched by the PDF renderer.
    fonts = screen_font_faces() if medium == "screen" else print_font_faces()
    return template.render(report=report, medium=medium, fit=fit, css=Markup(fonts + "\n" + stylesheet()))  # noqa: S704 - our own files


CHART_SCHEME = "journey-chart:"


def chart_ref(chart: MeasureChart) -> str:
    """A reference the PDF renderer resolves to the chart's SVG (see ``pdf.chart_fetcher``)."""
    return CHART_SCHEME + chart.cache_key()


def chart_data_uri(chart: MeasureChart) -> str:
    """The chart SVG as a ``data:`` URI: the PDF lays it out as one image with alt text."""
    svg = measure_chart_svg(chart)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@register("html", label="Web page (single file)", extension="html", media_type="text/html; charset=utf-8",
          draws=measure_chart_svg)
def render(report: Report) -> bytes:
    return report_html(report, "screen").encode("utf-8")
