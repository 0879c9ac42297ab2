"""Documents and charts are set in the shipped font, whatever fonts the machine has."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from journey.engine import fonts
from journey.engine.charts import ChartPoint, MeasureChart, measure_chart_svg
from journey.engine.reports import renderers
from journey.engine.reports.assemble import assemble
from journey.engine.reports.inputs import ActionItem
from journey.engine.reports.renderers.html import report_html
from journey.engine.reports.renderers.pdf import chart_fetcher

SUBSET_OF_ARIMO = re.compile(r"^/[A-Z]{6}\+Arimo(-(Bold|Italic|BoldItalic))?$")


def pdf_fonts(data: bytes) -> dict[str, bool]:
    """Every font a PDF uses (pages, and the forms its charts are drawn in) → embedded?"""
    found: dict[str, bool] = {}

    def walk(resources) -> None:
        if resources is None:
            return
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and font.get("/DescendantFonts"):
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            found[str(font.get("/BaseFont"))] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
        for form in (resources.get("/XObject") or {}).values():
            walk(form.get_object().get("/Resources"))

    for page in PdfReader(io.BytesIO(data)).pages:
        walk(page.get("/Resources"))
    return found


@pytest.mark.parametrize("kind", ["monthly", "quarterly", "scrutiny", "summary"])
def test_every_report_uses_only_the_shipped_font_embedded(kind, inputs):
    used = pdf_fonts(renderers.render(assemble(kind, inputs), "pdf"))
    assert used, "the PDF has no fonts at all"
    assert {name for name in used if not SUBSET_OF_ARIMO.match(name)} == set()
    assert all(used.values()), f"fonts not embedded: {[n for n, e in used.items() if not e]}"
    assert any("Bold" in name for name in used) and any("Bold" not in name for name in used)


def test_the_single_file_web_page_carries_the_font_it_asks_for(monthly_report):
    html = renderers.render(monthly_report, "html").decode()
    assert html.count("@font-face") == len(fonts.FACES)
    assert 'src: url("data:font/woff2;base64,' in html
    assert 'font-family: "Arimo", Arial, sans-serif' in html
    # Subset to what reports use: a small page, not four whole fonts.
    assert len(html.encode()) - len(html.split("@font-face")[-1]) < 400_000


def test_charts_set_their_text_in_the_shipped_font():
    chart = MeasureChart(
        title="Referrals", unit="count", decimals=0,
        points=tuple(ChartPoint(label=f"M{m}", value=float(m * 10), target=35.0) for m in range(1, 7)),
    )
    svg = measure_chart_svg(chart)
    families = set(re.findall(r'font-family="([^"]+)"', svg))
    assert families == {"Arimo, Arial, sans-serif"}


def test_the_pdf_fetches_the_shipped_fonts_and_nothing_else_by_that_scheme():
    assert fonts.fetch_font(fonts.font_url("Arimo-Regular.ttf")).startswith(b"\x00\x01\x00\x00")
    assert fonts.fetch_font(fonts.FONT_SCHEME + "../../../../etc/passwd") is None
    assert fonts.fetch_font("file:///etc/passwd") is None


def test_a_package_built_without_its_fonts_says_how_to_put_them_back(tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "FONTS_DIR", tmp_path)
    with pytest.raises(fonts.FontsMissing, match="make install"):
        fonts.font_files()


def test_a_one_page_summary_that_would_run_over_is_set_tighter_and_stays_on_its_page(inputs):
    long_text = ("Personal advisers to contact every care leaver at least every eight weeks, "
                 "recorded on the case file and checked monthly by the team manager") * 2
    actions = [
        ActionItem(number=f"{n}.1", text=long_text, owner="Head of Care Leavers Service",
                   due=date(2024, 3, 31), status="In progress", rag="red", rag_reason="",
                   overdue=True, days_overdue=1000 + n)
        for n in range(1, 6)
    ]
    report = assemble("summary", replace(inputs, actions=actions))

    def pages(fit: int) -> int:
        html = report_html(report, "print", fit=fit)
        return len(HTML(string=html, media_type="print", url_fetcher=chart_fetcher(report)).render().pages)

    assert pages(0) > 1, "the test needs a summary that runs over at the normal size"
    pdf = renderers.render(report, "pdf")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
