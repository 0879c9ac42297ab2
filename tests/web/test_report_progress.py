"""A report build's progress bar moves with the work: per stage, per measure's chart, per
page laid out; it never goes back and never sits on one figure for a whole stage."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from journey.engine.charts import ChartPoint, MeasureChart
from journey.engine.reports.model import (
    Cell,
    ChartBlock,
    Paragraph,
    Report,
    ReportKind,
    Section,
    Table,
)
from journey.engine.reports.renderers import Renderer
from journey.web.reports import build_progress, services
from journey.web.reports.build_progress import BuildProgress
from journey.web.reports.models import ReportBuild

DATA = Path(__file__).parent / "data"


def _chart_block(title: str) -> ChartBlock:
    chart = MeasureChart(title=title, unit="percent", points=(ChartPoint("Jun-23", 80.0),))
    table = Table("Months", ("Month", "Value"), ((Cell("Jun-23"), Cell("80.0%")),))
    return ChartBlock(chart, f"{title} by month", table)


def _report(*blocks) -> Report:
    return Report(
        kind=ReportKind("monthly"), title="Monthly", authority="Test", period="2023-06",
        period_label="Jun-2023", data_as_at=date(2023, 6, 30),
        generated_at=datetime(2023, 7, 1, tzinfo=UTC), draft=False, draft_reasons=[],
        sections=[Section("s", "Measures", blocks=list(blocks))], datasets=[],
    )


def test_each_measures_chart_moves_the_bar_by_its_share_of_the_build():
    # Two charts (0.2 s each as PNG) and five blocks written to Word (0.012 s each): the
    # charts are 0.4 of 0.46, so after the first the bar is 6 + int(93 * 0.2 / 0.46) = 46,
    # after the second 6 + int(93 * 0.4 / 0.46) = 86, and writing starts there.
    drawn: list[str] = []
    lock = threading.Lock()

    def draw(chart):
        with lock:
            drawn.append(chart.title)

    word = Renderer("docx", "Word document", "docx", "application/x-test", lambda r: b"", draw)
    report = _report(_chart_block("Visits"), Paragraph("a"), _chart_block("Reviews"), Paragraph("b"), Paragraph("c"))
    told: list[tuple[int, str]] = []
    bar = BuildProgress(lambda percent, message: told.append((percent, message)), every=0)
    bar.gathered()
    bar.plan(report, word)
    bar.draw_charts(report, word)
    with bar.writing(word):
        pass
    assert sorted(drawn) == ["Reviews", "Visits"]
    assert [p for p, _ in told] == [3, 6, 46, 86, 86, 99]
    assert told[1][1] == "Drawing the charts: 0 of 2"
    assert {told[2][1], told[3][1]} == {"Drawing the charts: 1 of 2 (Visits)", "Drawing the charts: 2 of 2 (Reviews)"} or {
        told[2][1], told[3][1]} == {"Drawing the charts: 1 of 2 (Reviews)", "Drawing the charts: 2 of 2 (Visits)"}
    assert told[4][1] == "Writing the Word document" and told[5][1] == "Saving the report"


def test_the_bar_never_goes_back_and_tells_a_stage_at_most_every_so_often():
    told: list[int] = []
    bar = BuildProgress(lambda percent, message: told.append(percent), every=3600)
    report = _report(*(Paragraph(str(i)) for i in range(10)))
    bar.plan(report, Renderer("csv", "CSV", "csv", "text/csv", lambda r: b""))
    bar.at("write", 0.5)
    bar.at("write", 0.6)  # within the same stage and the hour: not told
    bar.at("write", 0.2)
    bar.at("write", 1.0)  # the stage's end is always told
    assert told == [52, 99]
    bar.at("write", 0.1, "again")
    assert told == [52, 99, 99]


def test_an_unknown_stage_is_an_error_naming_it():
    bar = BuildProgress(lambda percent, message: None, every=0)
    bar.plan(_report(Paragraph("a")), Renderer("csv", "CSV", "csv", "text/csv", lambda r: b""))
    with pytest.raises(KeyError, match="no stage 'layout'"):
        bar.at("layout", 0.5)


def test_a_pdf_build_reports_each_chart_and_weasyprints_steps_and_pages_in_order(db, monkeypatch, make_user):
    from journey.web.plans import services as plans

    plans.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    plans.import_observations(DATA / "observations.csv", user=None)
    monkeypatch.setattr(build_progress, "TELL_EVERY", 0)
    told: list[tuple[int, str]] = []
    original = services._progress

    def record(pk, percent, message, **fields):
        told.append((percent, message))
        original(pk, percent, message, **fields)

    monkeypatch.setattr(services, "_progress", record)
    services.request_build(make_user("data_team", "builder"), "monthly", "2023-06", "pdf")
    build = ReportBuild.objects.get()
    assert build.status == ReportBuild.Status.DONE, build.message
    assert build.progress == 100
    percents = [p for p, _ in told]
    assert percents == sorted(percents), told
    assert percents[0] == 0 and percents[-1] == 99
    messages = [m for _, m in told]
    charts = sum(1 for m in messages if m.startswith("Drawing the charts: ") and " of " in m) - 1
    assert charts >= 2, messages
    stages = ["Drawing the charts: 1 of", "Reading the report's pages and styles", "Applying the styles",
              "Placing the text, tables and charts", "Laying out the pages: page 1", "Writing the PDF file",
              "Adding the PDF's tags for screen readers"]
    at = [next(i for i, m in enumerate(messages) if m.startswith(stage)) for stage in stages]
    assert at == sorted(at), messages
    # No stage holds the bar: the largest step between two tellings is a fraction of it.
    assert max(b - a for a, b in zip(percents, percents[1:], strict=False)) <= 30, told
