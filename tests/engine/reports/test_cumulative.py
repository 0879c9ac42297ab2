"""One rule for cumulative (year-to-date) measures in every report: SPC on the monthly
figures, the year to date compared with the same point last year, direction by the
monthly pace (or the running total, where the plan says so)."""

from __future__ import annotations

from datetime import date

from journey.engine.observations import observations_from_rows
from journey.engine.periods import add_months, month_range
from journey.engine.plan import parse_plan
from journey.engine.reports.assemble import _Figures, assemble
from journey.engine.reports.inputs import ReportInputs

PLAN = """\
authority: {{name: Northfield Council, la_code: "999", population_0_17: {{2023: 33200}}}}
{setting}
priorities:
  - id: C
    title: C – Homes for children looked after
    measures:
      - id: starts
        title: Children starting to be looked after since 1 April
        unit: count
        polarity: lower_is_better
        cumulative_in_year: true
        targets: {{2024-03: 120, 2025-03: 120}}
        tolerance: {{ceiling: 140}}
        source: manual
"""

MONTHS = month_range("2022-10", "2024-09")


def _plan(setting: str = ""):
    return parse_plan(PLAN.format(setting=setting))


def _observations(monthly: list[int]):
    rows, total = [], 0
    for month, value in zip(MONTHS, monthly, strict=True):
        total = value if month.endswith("-04") else total + value
        rows.append({"measure_id": "starts", "period": month, "value": str(value)})
        rows.append({"measure_id": "starts", "period": month, "period_type": "fytd", "value": str(total)})
    return observations_from_rows(rows)


def _inputs(monthly: list[int], setting: str = "", period: str = "2024-09") -> ReportInputs:
    return ReportInputs(plan=_plan(setting), observations=_observations(monthly), period=period, today=date(2024, 10, 10))


STEADY = [10, 11] * 12


def test_the_quarterly_report_finds_no_signal_in_a_running_total_that_climbs_every_month():
    report = assemble("quarterly", _inputs(STEADY))
    signals = next(s for top in report.sections for s in top.walk() if s.id == "signals")
    text = " ".join(getattr(b, "text", "") for b in signals.blocks)
    assert "No measure shows special-cause variation" in text


def test_reports_chart_a_cumulative_measure_by_the_same_monthly_figures_as_the_dashboard():
    inputs = _inputs(STEADY)
    figures = _Figures(inputs)
    reading = figures.spc(inputs.plan.measures[0])
    assert reading is not None
    assert [p.value for p in reading.chart.points] == [float(v) for v in STEADY]
    assert [p.period for p in reading.chart.points] == MONTHS


def test_the_scrutiny_update_compares_a_year_to_date_figure_with_the_same_point_last_year():
    from journey.engine.reports.assemble import _key_figure

    inputs = _inputs(STEADY)
    bullet = _key_figure(_Figures(inputs), inputs.plan.measures[0], "2024-03")
    # September 2024: 63 so far (Apr–Sep); September 2023: 63 too. March 2024 (a whole year) is never the comparison.
    assert bullet.endswith("; 63 at the same point last year (September 2023) – no change.")
    report = assemble("scrutiny", inputs)
    table = next(b for s in report.sections for sub in s.walk() for b in sub.blocks if getattr(b, "caption", "").startswith("Every measure"))
    assert table.rows[0][4].text == "63 (same point last year)"


def test_a_plan_may_read_running_totals_month_on_month_as_its_published_reports_do():
    # 51 -> 58 in the year to date is "Improving" where bigger is better and running totals are compared.
    text = PLAN.replace("polarity: lower_is_better", "polarity: higher_is_better").replace("ceiling: 140", "floor: 100")
    plan = parse_plan(text.format(setting="cumulative_direction: running_total"))
    rows = [{"measure_id": "starts", "period": "2024-08", "period_type": "fytd", "value": "51"},
            {"measure_id": "starts", "period": "2024-09", "period_type": "fytd", "value": "58"}]
    inputs = ReportInputs(plan=plan, observations=observations_from_rows(rows), period="2024-09")
    result = _Figures(inputs).result(plan.measures[0], "2024-09")
    assert result.direction_reason == "Improving: 51 in the year to date last month → 58, bigger is better"
    assert add_months("2024-09", -1) == result.previous_period
