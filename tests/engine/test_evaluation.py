"""RAG, targets in force, profiling and direction of travel, on hand-worked cases."""

import pytest

from journey.engine.evaluation import (
    Direction,
    Rag,
    direction_of_travel,
    evaluate_measure,
    evaluate_plan,
    format_value,
    rate,
    round_half_up,
    target_for,
    tolerance_text,
)
from journey.engine.observations import observations_from_rows
from journey.engine.plan import Measure, Tolerance, parse_plan

DEFAULT = Tolerance(percent=10)


def measure(**kw) -> Measure:
    base = {"id": "m", "title": "M", "unit": "percent", "polarity": "higher_is_better", "source": "manual"}
    base.update(kw)
    return Measure.model_validate(base)


MILESTONES = {"2023-09": 80, "2024-03": 85, "2024-09": 88, "2025-03": 90}


# --------------------------------------------------------------- target in force


@pytest.mark.parametrize(
    ("month", "target", "milestone", "past"),
    [
        ("2023-04", 80, "2023-09", False),  # before the first milestone: the first
        ("2023-09", 80, "2023-09", False),  # on a milestone: that one
        ("2023-10", 85, "2024-03", False),  # the month after: the next
        ("2025-03", 90, "2025-03", False),
        ("2025-06", 90, "2025-03", True),  # past the last: the last
    ],
)
def test_target_in_force(month, target, milestone, past):
    tif = target_for(measure(targets=MILESTONES), month, DEFAULT)
    assert (tif.target, tif.milestone, tif.past_last_milestone) == (target, milestone, past)


def test_no_milestones_no_target():
    assert target_for(measure(), "2023-06", DEFAULT) is None
    rag, reason, _ = rate(measure(), 50, "2023-06", DEFAULT)
    assert (rag, reason) == (Rag.NOT_RATED, "Not rated: no target is set for this measure")


def test_past_the_last_milestone_is_said_in_the_reason():
    rag, reason, _ = rate(measure(targets=MILESTONES), 91, "2025-06", DEFAULT)
    assert rag is Rag.GREEN
    assert reason == "Green: 91.0% is above the target of 90.0% (the last milestone, Mar-2025, has passed)"


# ------------------------------------------------------- cumulative in-year profiling

CUMULATIVE = dict(unit="count", polarity="lower_is_better", cumulative_in_year=True)


@pytest.mark.parametrize(
    ("targets", "month", "expected"),
    [
        ({"2023-09": 60}, "2023-06", 30),  # 60 by September -> 30 by June (3 of 6 months)
        ({"2023-09": 60}, "2023-09", 60),
        ({"2023-09": 60}, "2023-04", 10),  # 1 of 6
        ({"2023-09": 60, "2024-03": 120}, "2023-10", 70),  # 120 x 7/12
        ({"2023-09": 60, "2024-03": 120}, "2024-03", 120),
        ({"2025-03": 110}, "2023-06", 28),  # milestone in a later financial year: 110 x 3/12 = 27.5, a count: 28
        ({"2023-09": 60}, "2024-06", 30),  # past the last milestone, next year: 60 x 3/6
        ({"2023-09": 60}, "2023-12", 90),  # past the milestone, same year: 60 x 9/6
    ],
)
def test_cumulative_targets_are_profiled_from_1_april(targets, month, expected):
    tif = target_for(measure(targets=targets, **CUMULATIVE), month, DEFAULT)
    assert tif.target == pytest.approx(expected)


def test_cumulative_tolerance_scales_with_the_profile():
    m = measure(targets={"2023-09": 60}, tolerance={"lower": 50, "upper": 70}, **CUMULATIVE)
    tif = target_for(m, "2023-06", DEFAULT)
    assert (tif.target, tif.lower, tif.upper, tif.fraction) == (30, 25, 35, 0.5)
    pct = target_for(measure(targets={"2023-09": 60}, **CUMULATIVE), "2023-06", DEFAULT)
    assert (pct.lower, pct.upper) == (27, 33)  # 10% of the profiled 30
    rag, reason, _ = rate(m, 33, "2023-06", DEFAULT)
    assert rag is Rag.AMBER
    assert reason == (
        "Amber: 33 is above the target of 30 but within the upper tolerance of 35 "
        "(60 by Sep-2023, profiled pro rata from 1 April: 3 of 6 months)"
    )


def test_profiled_targets_for_counts_are_whole_numbers_rounded_half_up():
    m = measure(targets={"2024-03": 800}, **CUMULATIVE)
    rag, reason, tif = rate(m, 466, "2023-10", DEFAULT)  # 800 x 7/12 = 466.67 -> 467
    assert rag is Rag.GREEN
    assert reason.startswith("Green: 466 is below the target of 467 ")
    # 10% either side of 466.67 is 420.0 to 513.3: 420 to 513 as counts.
    assert (tif.target, tif.lower, tif.upper) == (467, 420, 513)
    # 92 a year: 7.67 by April rounds to 8, 15.33 by May to 15.
    yearly = measure(targets={"2024-03": 92}, **CUMULATIVE)
    assert [target_for(yearly, m, DEFAULT).target for m in ("2023-04", "2023-05", "2023-09")] == [8, 15, 46]


def test_profiled_targets_for_rates_keep_their_decimals():
    m = measure(targets={"2024-03": 92}, unit="rate_per_10k", polarity="lower_is_better", cumulative_in_year=True)
    assert target_for(m, "2023-05", DEFAULT).target == pytest.approx(15.333333333)


# ------------------------------------------------------------------------ RAG


@pytest.mark.parametrize(
    ("value", "rag", "reason"),
    [
        (85, Rag.GREEN, "Green: 85.0% is at the target of 85.0%"),
        (85.04, Rag.GREEN, "Green: 85.0% is at the target of 85.0%"),  # rounded as shown
        (84.96, Rag.GREEN, "Green: 85.0% is at the target of 85.0%"),
        (90, Rag.GREEN, "Green: 90.0% is above the target of 85.0%"),
        (80, Rag.AMBER, "Amber: 80.0% is below the target of 85.0% but within the lower tolerance of 80.0%"),
        (79.9, Rag.RED, "Red: 79.9% is below the target of 85.0% and outside the lower tolerance of 80.0%"),
        (None, Rag.NOT_RATED, "Not rated: no value for Mar-2024"),
    ],
)
def test_higher_is_better_with_a_floor(value, rag, reason):
    m = measure(targets={"2024-03": 85}, tolerance={"floor": 80})
    assert rate(m, value, "2024-03", DEFAULT)[:2] == (rag, reason)


@pytest.mark.parametrize(
    ("value", "rag", "reason"),
    [
        (800, Rag.GREEN, "Green: 800 is at the target of 800"),
        (700, Rag.GREEN, "Green: 700 is below the target of 800"),
        (807, Rag.AMBER, "Amber: 807 is above the target of 800 but within the upper tolerance of 880"),
        (880, Rag.AMBER, "Amber: 880 is above the target of 800 but within the upper tolerance of 880"),
        (881, Rag.RED, "Red: 881 is above the target of 800 and outside the upper tolerance of 880"),
        (1234, Rag.RED, "Red: 1,234 is above the target of 800 and outside the upper tolerance of 880"),
    ],
)
def test_lower_is_better_with_a_band(value, rag, reason):
    m = measure(unit="count", polarity="lower_is_better", targets={"2023-09": 800}, tolerance={"lower": 720, "upper": 880})
    assert rate(m, value, "2023-09", DEFAULT)[:2] == (rag, reason)


def test_the_plan_default_tolerance_applies_when_a_measure_has_none():
    m = measure(targets={"2024-03": 90})  # default 10% of 90 = 9: amber down to 81
    assert rate(m, 81, "2024-03", DEFAULT)[0] is Rag.AMBER
    assert rate(m, 80.9, "2024-03", DEFAULT)[:2] == (
        Rag.RED,
        "Red: 80.9% is below the target of 90.0% and outside the lower tolerance of 81.0%",
    )
    assert rate(m, 80.9, "2024-03", Tolerance(percent=20))[0] is Rag.AMBER


def test_points_and_ceiling_tolerances():
    m = measure(polarity="lower_is_better", targets={"2024-03": 25}, tolerance={"points": 3})
    assert rate(m, 28, "2024-03", DEFAULT)[0] is Rag.AMBER
    assert rate(m, 28.1, "2024-03", DEFAULT)[0] is Rag.RED
    m = measure(unit="count", polarity="lower_is_better", targets={"2024-03": 0}, tolerance={"ceiling": 15})
    assert rate(m, 15, "2024-03", DEFAULT)[:2] == (Rag.AMBER, "Amber: 15 is above the target of 0 but within the upper tolerance of 15")
    assert rate(m, 16, "2024-03", DEFAULT)[0] is Rag.RED
    zero = measure(unit="count", polarity="lower_is_better", targets={"2024-03": 0})
    assert rate(zero, 1, "2024-03", DEFAULT)[0] is Rag.RED  # 10% of 0 is 0: no amber


WITHIN = dict(polarity="within_range", bands={"green": {"lower": 20, "upper": 30}, "amber": {"lower": 15, "upper": 35}})


@pytest.mark.parametrize(
    ("value", "rag"),
    [(20, Rag.GREEN), (25, Rag.GREEN), (30, Rag.GREEN), (30.1, Rag.AMBER), (19.9, Rag.AMBER),
     (15, Rag.AMBER), (35, Rag.AMBER), (14.9, Rag.RED), (35.1, Rag.RED)],
)
def test_within_range_edges(value, rag):
    assert rate(measure(**WITHIN), value, "2023-06", DEFAULT)[0] is rag


def test_within_range_reasons():
    m = measure(**WITHIN)
    assert rate(m, 32, "2023-06", DEFAULT)[1] == (
        "Amber: 32.0% is outside the green range 20.0%–30.0% but within the amber range 15.0%–35.0%"
    )
    assert rate(m, 40, "2023-06", DEFAULT)[1] == "Red: 40.0% is outside the amber range 15.0%–35.0%"
    assert rate(m, 25, "2023-06", DEFAULT)[1] == "Green: 25.0% is within the green range 20.0%–30.0%"


# --------------------------------------------------------------- direction of travel


def test_direction_by_polarity_not_sign():
    lower = measure(unit="count", polarity="lower_is_better")
    assert direction_of_travel(lower, 807, 812, "2023-06") == (
        Direction.IMPROVING, "Improving: 812 last month → 807, smaller is better"
    )
    assert direction_of_travel(lower, 820, 812, "2023-06")[0] is Direction.WORSENING
    higher = measure()
    assert direction_of_travel(higher, 81.2, 78.4, "2023-06") == (
        Direction.IMPROVING, "Improving: 78.4% last month → 81.2%, bigger is better"
    )
    assert direction_of_travel(higher, 75, 78.4, "2023-06") == (
        Direction.WORSENING, "Worsening: 78.4% last month → 75.0%, bigger is better"
    )
    assert direction_of_travel(higher, 78.44, 78.36, "2023-06") == (
        Direction.NO_CHANGE, "No change: 78.4% last month and now"
    )


def test_direction_not_comparable():
    m = measure()
    assert direction_of_travel(m, 80, None, "2023-06") == (
        Direction.NOT_COMPARABLE, "Not comparable: no value for May-2023 to compare with"
    )
    assert direction_of_travel(m, None, 80, "2023-06") == (
        Direction.NOT_COMPARABLE, "Not comparable: no value for Jun-2023"
    )


def test_direction_within_range_is_closeness_to_the_middle():
    m = measure(**WITHIN)  # middle 25
    assert direction_of_travel(m, 29, 32, "2023-06") == (
        Direction.IMPROVING,
        "Improving: 32.0% last month → 29.0%, closer to the middle of the green range 20.0%–30.0% (25.0%) is better",
    )
    assert direction_of_travel(m, 20, 26, "2023-06")[0] is Direction.WORSENING
    assert direction_of_travel(m, 28, 22, "2023-06")[0] is Direction.NO_CHANGE  # both 3 away


def test_direction_of_quarterly_measures_looks_back_a_quarter():
    m = measure(frequency="quarterly")
    assert direction_of_travel(m, 80, None, "2024-03")[1] == "Not comparable: no value for Dec-2023 to compare with"
    assert direction_of_travel(m, 80, 70, "2024-03")[1] == "Improving: 70.0% last quarter → 80.0%, bigger is better"


def test_direction_of_cumulative_measures_compares_the_monthly_pace():
    m = measure(targets={"2024-03": 120}, **CUMULATIVE)
    # May 22 (11 a month), June 33 (11 a month): the same pace.
    assert direction_of_travel(m, 33, 22, "2023-06")[0] is Direction.NO_CHANGE
    assert direction_of_travel(m, 36, 22, "2023-06") == (
        Direction.WORSENING, "Worsening: 11.0 a month so far in the financial year last month → 12.0, smaller is better"
    )
    # April after March: 12 in one month against 120 over twelve.
    assert direction_of_travel(m, 12, 120, "2024-04")[0] is Direction.WORSENING


def test_a_plan_can_read_cumulative_measures_by_their_running_totals_month_on_month():
    # Seed 001 prints children ceasing care 51 -> 58 as "Improving" (bigger is better).
    m = measure(unit="count", polarity="higher_is_better", targets={"2024-03": 120}, cumulative_in_year=True)
    assert direction_of_travel(m, 58, 51, "2023-09", "running_total") == (
        Direction.IMPROVING, "Improving: 51 in the year to date last month → 58, bigger is better"
    )
    # By the monthly pace (the default) the same figures are slower: 10.2 then 9.7 a month.
    assert direction_of_travel(m, 58, 51, "2023-09")[0] is Direction.WORSENING


def test_a_span_comparison_of_a_cumulative_measure_reads_the_monthly_pace():
    m = measure(targets={"2024-03": 120}, **CUMULATIVE)
    # 92 for April-September (15.3 a month) against 178 for the whole last year (14.8).
    direction, reason = direction_of_travel(m, 92, 178, "2024-09", before="2024-03")
    assert direction is Direction.WORSENING
    assert reason == "Worsening: 14.8 a month so far in the financial year in Mar-2024 → 15.3, smaller is better"


def test_a_direction_compared_with_a_revised_published_figure_says_so():
    m = measure()
    # August published as 84.0%, now 84.6%; September 87.0%: compared with the figure in use.
    assert direction_of_travel(m, 87.0, 84.6, "2024-09", published_before=84.0) == (
        Direction.IMPROVING,
        "Improving: 84.6% last month → 87.0%, bigger is better (compared with 84.6%, revised from 84.0% as published)",
    )
    # A revision can turn the direction: published 88.0% (September down), now 86.0% (up).
    assert direction_of_travel(m, 87.0, 86.0, "2024-09", published_before=88.0) == (
        Direction.IMPROVING,
        "Improving: 86.0% last month → 87.0%, bigger is better (compared with 86.0%, revised from 88.0% as published)",
    )
    # 84.04 published and 84.01 now both read 84.0%: not a revision, nothing said.
    assert direction_of_travel(m, 87.0, 84.01, "2024-09", published_before=84.04)[1] == (
        "Improving: 84.0% last month → 87.0%, bigger is better"
    )
    # Nothing published, or the month before has no figure now: nothing to say about revision.
    assert direction_of_travel(m, 87.0, 84.6, "2024-09")[1] == "Improving: 84.6% last month → 87.0%, bigger is better"
    assert direction_of_travel(m, 87.0, None, "2024-09", published_before=84.0)[1] == (
        "Not comparable: no value for Aug-2024 to compare with"
    )


def test_a_cumulative_measure_compared_by_its_pace_names_the_revised_year_to_date_figure():
    m = measure(targets={"2024-03": 120}, **CUMULATIVE)
    # May 22 (11 a month), published as 20; June 36 (12 a month).
    assert direction_of_travel(m, 36, 22, "2023-06", published_before=20) == (
        Direction.WORSENING,
        "Worsening: 11.0 a month so far in the financial year last month → 12.0, smaller is better "
        "(compared with 22 in the year to date, revised from 20 as published)",
    )


@pytest.mark.parametrize(
    ("kw", "text"),
    [
        (dict(polarity="lower_is_better", targets={"2024-03": 25}, tolerance={"points": 3}), "Upper tolerance 28.0%"),
        (dict(polarity="higher_is_better", targets={"2024-03": 85}, tolerance={"floor": 80}), "Lower tolerance 80.0%"),
        (dict(polarity="higher_is_better", targets={"2024-03": 90}), "Lower tolerance 81.0%"),
    ],
)
def test_tolerances_are_written_one_sided_as_the_rating_reads_them(kw, text):
    m = measure(**kw)
    assert tolerance_text(m, target_for(m, "2024-03", DEFAULT)) == text


# ------------------------------------------------------------------ whole plan

PLAN = parse_plan("""\
authority: {name: Northfield Council, la_code: "999", population_0_17: {2023: 33200}}
priorities:
  - id: A
    title: Safety
    measures:
      - {id: m1, title: One, unit: percent, polarity: higher_is_better, targets: {2024-03: 85}, source: manual}
      - {id: m2, title: Two, unit: count, polarity: lower_is_better, cumulative_in_year: true,
         targets: {2023-09: 60}, source: manual}
""")


def test_evaluate_plan_from_a_mapping_and_from_a_frame():
    values = {"m1": {"2023-05": 80, "2023-06": 86}, "m2": {"2023-06": 31}, "zz": {"2023-06": 1}}
    result = evaluate_plan(PLAN, values, "2023-06")
    assert [(r.measure_id, r.rag, r.direction) for r in result.results] == [
        ("m1", Rag.GREEN, Direction.IMPROVING),
        ("m2", Rag.AMBER, Direction.NOT_COMPARABLE),
    ]
    assert result.warnings == ["figures for 'zz' were not used: it is not a measure in this plan"]
    assert result.counts() == {"green": 1, "amber": 1, "red": 0, "not_rated": 0}

    frame = observations_from_rows([
        {"measure_id": "m1", "period": "2023-06", "value": "86"},
        {"measure_id": "m2", "period": "2023-06", "value": "5"},  # the month alone
        {"measure_id": "m2", "period": "2023-06", "period_type": "fytd", "value": "31"},
    ])
    again = evaluate_plan(PLAN, frame, "2023-06")
    assert again.results[1].value == 31  # cumulative measures are rated on the fytd figure
    assert again.results[1].rag is Rag.AMBER


def test_a_plan_evaluated_with_published_figures_says_which_comparisons_use_a_revised_one():
    values = {"m1": {"2023-05": 80, "2023-06": 86}, "m2": {"2023-05": 20, "2023-06": 31}}
    published = {"m1": {"2023-05": 82, "2023-06": 99}, "m2": {"2023-05": 20}}
    result = evaluate_plan(PLAN, values, "2023-06", published=published)
    assert [(r.value, r.direction_reason) for r in result.results] == [
        # June's own published 99 is not used: a month is rated on the figures given.
        (86, "Improving: 80.0% last month → 86.0%, bigger is better (compared with 80.0%, revised from 82.0% as published)"),
        # May is the second month of the year (20 / 2 = 10.0), June the third (31 / 3 = 10.3);
        # May published as 20, as now: nothing to say.
        (31, "Worsening: 10.0 a month so far in the financial year last month → 10.3, smaller is better"),
    ]


def test_result_as_json_ready_dict():
    r = evaluate_measure(PLAN.measure("m1"), "2023-06", 86, 80, default_tolerance=DEFAULT, priority="A")
    d = r.to_dict()
    for key in ("measure_id", "period", "value", "target", "rag", "direction", "reason", "priority", "title",
                "tolerance", "direction_reason"):
        assert key in d
    assert (d["rag"], d["direction"], d["target"], d["tolerance"]) == ("green", "improving", 85.0, "Lower tolerance 76.5%")
    assert d["milestone"] == "2024-03"


# ------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "text"),
    [
        (85, "percent", None, "85.0%"),
        (612.34, "rate_per_10k", None, "612.3"),
        (1234, "count", None, "1,234"),
        (5500, "currency", None, "£5,500"),
        (-12.5, "currency", 2, "-£12.50"),
        (12.25, "days", None, "12.3 days"),
        (-0.04, "number", 1, "0.0"),
        (None, "count", None, "–"),
    ],
)
def test_format_value(value, unit, decimals, text):
    assert format_value(value, unit, decimals) == text


def test_round_half_up():
    assert round_half_up(2.25, 1) == 2.3
    assert round_half_up(0.125, 2) == 0.13
    assert round_half_up(-2.5, 0) == -3
