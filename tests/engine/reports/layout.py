"""Reading a PDF report's pages as a reader would: how full each page is, whether a heading
is left alone at the foot of a page, and whether any text runs past the right margin.

Page geometry is the report stylesheet's: A4, margins 20 mm top, 15 mm sides, 18 mm bottom.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pdfplumber

MM = 72 / 25.4
TOP, SIDE, BOTTOM = 20 * MM, 15 * MM, 18 * MM


@dataclass(frozen=True)
class Page:
    number: int
    lines: list[str]
    fill: float
    """How far down the text area the content reaches (0 to 1)."""
    past_margin: list[str]
    """Words whose right edge runs past the right margin."""


def read_pages(data: bytes, *, one_page: bool = False) -> list[Page]:
    top, side, bottom = (14 * MM, 12 * MM, 12 * MM) if one_page else (TOP, SIDE, BOTTOM)
    pages = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            width, height = float(page.width), float(page.height)
            words = [
                w for w in page.extract_words(use_text_flow=True, keep_blank_chars=False)
                if top - 2 < float(w["top"]) and float(w["bottom"]) < height - bottom + 2
            ]
            body = height - top - bottom
            lowest = max((float(w["bottom"]) for w in words), default=top)
            # Images (charts) count as content too.
            for image in page.images:
                if float(image["bottom"]) < height - bottom + 2:
                    lowest = max(lowest, float(image["bottom"]))
            lines: dict[int, list[str]] = {}
            for w in sorted(words, key=lambda w: (round(float(w["top"])), float(w["x0"]))):
                lines.setdefault(round(float(w["top"]) / 3), []).append(w["text"])
            past = [w["text"] for w in words if float(w["x1"]) > width - side + 1.5]
            pages.append(
                Page(
                    number=number,
                    lines=[" ".join(v) for _, v in sorted(lines.items())],
                    fill=(lowest - top) / body,
                    past_margin=past,
                )
            )
    return pages


def faults(data: bytes, headings: list[str], chapters: list[str], *, one_page: bool = False) -> list[str]:
    """Every layout fault, in words: a page under a third full in the middle of a chapter
    (the next page does not start a new chapter), a heading as the last line of a page, text
    past the right margin."""
    pages = read_pages(data, one_page=one_page)
    found = []
    for i, page in enumerate(pages):
        if page.past_margin:
            found.append(f"page {page.number}: text past the right margin: {' '.join(page.past_margin[:5])}")
        last = page.lines[-1].strip() if page.lines else ""
        # A heading, or the last line of a heading or table caption that wrapped.
        if last and (last in headings or (len(last) > 12 and any(h.endswith(last) for h in headings))):
            found.append(f"page {page.number}: the heading {page.lines[-1]!r} is alone at the foot of the page")
        if i == 0 or i == len(pages) - 1:
            continue
        following = pages[i + 1].lines[0].strip() if pages[i + 1].lines else ""
        if page.fill < 0.33 and following not in chapters:
            found.append(f"page {page.number}: only {page.fill:.0%} full, in the middle of a chapter")
    return found


def headings_of(report) -> tuple[list[str], list[str]]:
    """(every heading and table caption in the report, the headings that start a new page)."""
    from journey.engine.reports.model import ChartBlock, Table

    every, chapters = [], ["Contents"]
    for top in report.sections:
        for s in top.walk():
            every.append(s.title)
            if s.new_page:
                chapters.append(s.title)
            for block in s.blocks:
                table = block.table if isinstance(block, ChartBlock) else block
                if isinstance(table, Table) and table.caption:
                    every.append(table.caption)
    return every, chapters
