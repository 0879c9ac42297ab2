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


def test_breakdowns_read_in_their_natural_order_with_code_names():
    from journey.engine.reports.assemble import breakdown_order

    assert breakdown_order("age_band", ["1 to 4", "10 to 15", "16 and over", "5 to 9", "Under 1"]) == [
        "Under 1", "1 to 4", "5 to 9", "10 to 15", "16 and over"]
    assert breakdown_order("time_in_placement", ["1-2 years", "0-3 months", "2 years or more", "6-12 months", "3-6 months"]) == [
        "0-3 months", "3-6 months", "6-12 months", "1-2 years", "2 years or more"]
    assert breakdown_order("placement_type", ["Z1", "U6", "K2", "U1", "A5"]) == ["A5", "K2", "U1", "U6", "Z1"]


def test_small_counts_in_a_breakdown_are_hidden_with_a_second_so_the_total_cannot_give_them_back():
    from journey.engine.reports.model import Table

    text = PLAN.replace("""      - id: rereferrals""", """      - id: cla
        title: Children looked after
        unit: count
        polarity: lower_is_better
        source: manual
      - id: rereferrals""")
    plan = parse_plan(text)
    rows = [{"measure_id": "cla", "period": "2024-03", "value": "300"}]
    for code, n in (("U1", 40), ("U4", 200), ("K2", 57), ("P1", 3)):
        rows.append({"measure_id": "cla", "period": "2024-03", "breakdown": "placement_type", "breakdown_value": code, "value": str(n)})
    report = assemble("monthly", ReportInputs(plan=plan, observations=observations_from_rows(rows), period="2024-03"))
    table = next(b for b in report.all_blocks() if isinstance(b, Table) and "placement type" in b.caption)
    shown = {row[0].text.split(" – ")[0]: row[1].text for row in table.rows}
    assert shown["P1"] == "fewer than 5"
    assert shown["U1"] == "not shown"  # the next smallest, so 300 less the rest cannot give P1 back
    assert (shown["U4"], shown["K2"]) == ("200", "57")
    assert list(shown) == ["K2", "P1", "U1", "U4"]  # SSDA903 code-list order


def test_a_rate_shows_its_count_and_says_what_it_counts():
    text = PLAN.replace("""      - id: rereferrals""", """      - id: cp_rate
        title: Children on a child protection plan per 10,000 children
        unit: rate_per_10k
        polarity: lower_is_better
        targets: {2024-03: 100}
        source: {computed: cp_plans_rate_per_10k}
      - id: rereferrals""")
    plan = parse_plan(text)
    rows = [{"measure_id": "cp_rate", "period": "2024-03", "value": "104.5", "numerator": "347"}]
    report = assemble("monthly", ReportInputs(plan=plan, observations=observations_from_rows(rows), period="2024-03"))
    counts = [dict(f.items).get("Count") for f in _blocks(report, Facts)]
    assert counts == [None, "347 children on a CP plan at the date", None]  # referrals have no recorded count
    table = next(c.table for c in _blocks(report, ChartBlock) if c.chart.title.startswith("Children on a child"))
    assert table.columns == ("Month", "Actual", "Count", "Target", "Rating")
    assert table.rows[-1][2].text == "347"
    assert table.caption.endswith("; Count: children on a CP plan at the date")
