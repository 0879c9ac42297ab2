"""Charts and tolerances in the reports: zones as the rating rule reads them, one-sided
tolerances worded one-sided, banded measures rated against their bands."""

from __future__ import annotations

from journey.engine.observations import observations_from_rows
from journey.engine.plan import parse_plan
from journey.engine.reports.assemble import assemble
from journey.engine.reports.inputs import ReportInputs
from journey.engine.reports.model import BulletList, ChartBlock, Facts

PLAN = """\
authority: {name: Northfield Council, la_code: "999", population_0_17: {2023: 33200}}
priorities:
  - id: A
    title: A – Front door
    measures:
      - id: referrals
        title: Referrals per 10,000 children
        unit: rate_per_10k
        polarity: within_range
        bands: {green: {lower: 500, upper: 650}, amber: {lower: 450, upper: 700}}
        source: manual
      - id: rereferrals
        title: Re-referrals within 12 months
        unit: percent
        polarity: lower_is_better
        targets: {2024-03: 25}
        tolerance: {points: 3}
        source: manual
"""


def _report():
    plan = parse_plan(PLAN)
    rows = [
        {"measure_id": "referrals", "period": "2024-03", "value": "720"},
        {"measure_id": "rereferrals", "period": "2024-03", "value": "26"},
    ]
    return assemble("monthly", ReportInputs(plan=plan, observations=observations_from_rows(rows), period="2024-03"))


def _blocks(report, kind):
    return [b for b in report.all_blocks() if isinstance(b, kind)]


def test_a_banded_measure_is_reported_against_its_green_range_never_a_target_of_a_dash():
    items = [i for b in _blocks(_report(), BulletList) for i in b.items]
    red = next(i for i in items if i.startswith("Referrals per 10,000"))
    assert red == "Referrals per 10,000 children: 720.0 against a green range of 500.0–650.0 (not comparable)"
    assert not any("target of –" in i for i in items)


def test_a_one_sided_tolerance_is_worded_one_sided_in_the_facts_and_drawn_one_sided_on_the_chart():
    report = _report()
    facts = dict(next(f for f in _blocks(report, Facts) if ("Polarity", "Good = smaller is better") in f.items).items)
    assert facts["Tolerance"] == "Upper tolerance 28.0%"
    chart = next(c for c in _blocks(report, ChartBlock) if c.chart.title.startswith("Re-referrals")).chart
    assert (chart.points[-1].green, chart.points[-1].amber) == ((None, 25.0), (None, 28.0))
    assert "Green at or below 25.0%; Amber above 25.0% up to 28.0%; Red above 28.0%." in chart_description(report)


def chart_description(report):
    return " ".join(c.description for c in _blocks(report, ChartBlock))
