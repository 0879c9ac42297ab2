"""Real progress of a report build, per stage and per measure.

Each stage's share of the bar is what it costs, worked out from the report before the
stage starts (how many charts, how many blocks of text and tables), with the costs
measured on the demo council's monthly pack (``journey demo``, 33 measures: see
``benchmarks/bench_reports.py``). Within a stage the bar moves with the work actually done:
a chart drawn for a measure, a step of WeasyPrint's, a page laid out. The bar never goes
back (a one-page summary set tighter lays its page out again).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass

from journey.engine.reports.model import ChartBlock, Report
from journey.engine.reports.renderers import Renderer

Tell = Callable[[int, str], None]
"""Called with (percent, message) whenever the bar moves or the message changes."""

GATHERED = 3
"""Percent once the plan, figures, narrative and actions are read."""
ASSEMBLED = 6
"""Percent once the report is assembled (before any chart is drawn or page written)."""
DONE_BEFORE_SAVING = 99
"""The bar's last step before the finished file is saved (100 is the saved build)."""

# Seconds per chart and per block of the report (paragraph, table, chart, list), measured
# on the demo's monthly pack on two cores; only their proportions matter.
CHART_COST = {"png": 0.2, "svg": 0.12}
WRITE_COST = {"docx": 0.012, "html": 0.005, "xlsx": 0.002, "csv": 0.001}
PDF_COST = {  # per block, for each of WeasyPrint's steps (its "weasyprint.progress" log)
    "read": 0.004,    # steps 1 and 2: the page and its styles parsed
    "styles": 0.006,  # step 3: styles applied
    "boxes": 0.0035,  # step 4: boxes made, charts placed
    "layout": 0.021,  # step 5: pages laid out
    "write": 0.015,   # step 6: the PDF written
    "tags": 0.004,    # step 7: tags and metadata
}
PDF_MESSAGES = {
    "read": "Reading the report's pages and styles",
    "styles": "Applying the styles",
    "boxes": "Placing the text, tables and charts",
    "layout": "Laying out the pages",
    "write": "Writing the PDF file",
    "tags": "Adding the PDF's tags for screen readers",
}
BLOCKS_PER_PAGE = 4.5
"""Roughly how many blocks a PDF page holds (the monthly pack: 243 blocks, 57 pages), to
judge how far through the layout a page is; the bar moves on by pages actually laid out."""

TELL_EVERY = 0.3
"""Seconds between two tellings within one stage (each new stage is told at once)."""

_STEP = re.compile(r"Step (\d) - ")
_PAGE = re.compile(r"- Page (\d+)$")
"""A page laid out for the first time ("Page 3 (up-to-date)" is a page checked again)."""


@dataclass
class _Stage:
    name: str
    cost: float
    message: str


class BuildProgress:
    """The bar of one build: stages with their shares, told as the work goes."""

    def __init__(self, tell: Tell, every: float | None = None) -> None:
        self._tell = tell
        self._every = TELL_EVERY if every is None else every
        self._told_at = -self._every
        self._stage = ""
        self._shown = -1
        self._stages: list[_Stage] = []
        self._start = ASSEMBLED
        self._pages = 1.0
        self._laid_out = 0

    def gathered(self) -> None:
        self._show(GATHERED, "Working out ratings and assembling the report")

    def plan(self, report: Report, renderer: Renderer) -> None:
        """Share out the rest of the bar between drawing the report's charts and writing its
        file, by what each costs for this report and format."""
        blocks = max(1, sum(1 for _ in report.all_blocks()))
        charts = _charts(report) if renderer.draws is not None else []
        kind = "png" if renderer.name == "docx" else "svg"
        stages = [_Stage("charts", len(charts) * CHART_COST[kind], "Drawing the charts")] if charts else []
        if renderer.name == "pdf":
            stages += [_Stage(step, blocks * cost, PDF_MESSAGES[step]) for step, cost in PDF_COST.items()]
        else:
            cost = WRITE_COST.get(renderer.name, 0.005)
            stages.append(_Stage("write", blocks * cost, f"Writing the {renderer.label}"))
        self._stages = stages
        self._pages = max(1.0, blocks / BLOCKS_PER_PAGE) if not report.one_page else 1.0

    def at(self, stage: str, fraction: float = 0.0, message: str | None = None) -> None:
        """``fraction`` of ``stage`` is done."""
        total = sum(s.cost for s in self._stages) or 1.0
        before = 0.0
        for s in self._stages:
            if s.name == stage:
                share = (before + s.cost * min(max(fraction, 0.0), 1.0)) / total
                percent = self._start + int((DONE_BEFORE_SAVING - self._start) * share)
                last = fraction >= 1.0
                self._show(percent, message or s.message, "" if last else stage)
                return
            before += s.cost
        raise KeyError(f"no stage {stage!r} in this build")

    def _show(self, percent: int, message: str, stage: str = "") -> None:
        if percent < self._shown:
            percent = self._shown  # never backwards; the message still says what is happening
        now = time.monotonic()
        # Each new stage is told at once; within one, at most every ``every`` seconds (a
        # page laid out every few milliseconds would otherwise write as often).
        if stage == self._stage and stage and now - self._told_at < self._every:
            return
        self._stage, self._told_at, self._shown = stage, now, percent
        self._tell(percent, message)

    # ------------------------------------------------------------------ the work

    def draw_charts(self, report: Report, renderer: Renderer) -> None:
        """Draw the report's charts, several at once, telling each measure as its chart is
        done; the format then finds them drawn (they are cached by their input)."""
        draw = renderer.draws
        charts = _charts(report)
        if draw is None or not charts:
            return
        self.at("charts", 0, f"Drawing the charts: 0 of {len(charts)}")
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {pool.submit(draw, chart): chart.title for chart in charts}
            for done, future in enumerate(as_completed(futures), start=1):
                future.result()
                self.at(
                    "charts", done / len(charts),
                    f"Drawing the charts: {done} of {len(charts)} ({futures[future]})",
                )

    @contextmanager
    def writing(self, renderer: Renderer) -> Iterator[None]:
        """Follow the format's writing: WeasyPrint's steps and pages for a PDF."""
        if renderer.name != "pdf":
            self.at("write", 0)
            yield
        else:
            self.at("read", 0)
            with _weasyprint_steps(self._pdf_step):
                yield
        self.at(self._stages[-1].name, 1.0, "Saving the report")

    def _pdf_step(self, step: int, page: int | None) -> None:
        name = {1: "read", 2: "read", 3: "styles", 4: "boxes", 5: "layout", 6: "write", 7: "tags"}[step]
        if name == "layout" and page is not None:
            self._laid_out = max(self._laid_out, page)
            fraction = min(page / self._pages, 0.95)
            self.at("layout", fraction, f"Laying out the pages: page {page}")
        elif name == "write" and self._laid_out:
            self.at(name, 0, f"Writing the PDF file ({self._laid_out} pages)")
        else:
            self.at(name, 0)


def _charts(report: Report) -> list:
    seen: dict[str, object] = {}
    for block in report.all_blocks():
        if isinstance(block, ChartBlock):
            seen.setdefault(block.chart.cache_key(), block.chart)
    return list(seen.values())


# ------------------------------------------------------------- WeasyPrint's own steps

_LISTENERS: dict[int, Callable[[int, int | None], None]] = {}
_LISTENERS_LOCK = threading.Lock()


class _StepHandler(logging.Handler):
    """Passes WeasyPrint's progress messages to the build running on the same thread."""

    def emit(self, record: logging.LogRecord) -> None:
        listener = _LISTENERS.get(record.thread or 0)
        if listener is None:
            return
        message = record.getMessage()
        step = _STEP.match(message)
        if step:
            page = _PAGE.search(message)
            listener(int(step.group(1)), int(page.group(1)) if page else None)


_HANDLER = _StepHandler()


@contextmanager
def _weasyprint_steps(listener: Callable[[int, int | None], None]) -> Iterator[None]:
    logger = logging.getLogger("weasyprint.progress")
    with _LISTENERS_LOCK:
        if _HANDLER not in logger.handlers:
            logger.addHandler(_HANDLER)
            logger.setLevel(logging.INFO)
            logger.propagate = False  # its INFO lines are for us, not the worker's log
        _LISTENERS[threading.get_ident()] = listener
    try:
        yield
    finally:
        with _LISTENERS_LOCK:
            _LISTENERS.pop(threading.get_ident(), None)
