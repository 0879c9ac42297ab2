"""XmR charts reproducing NHS England "Making Data Count" on series worked out by hand.

The arithmetic for each series is written beside it: mean of the baseline points, mean
moving range (MR-bar), process limits mean +/- 2.66 x MR-bar, and the "close to the limit"
lines at two thirds of that distance (two sigma).
"""

from __future__ import annotations

import pytest

from journey.engine.stats.spc import (
    AssuranceIcon,
    Improvement,
    SpcError,
    SpcRules,
    SpecialCause,
    Variation,
    VariationIcon,
    xmr,
)

# Twelve baseline months alternating 12, 10 (ending below the mean): mean 11, every moving range 2, MR-bar 2.
# Limits 11 +/- 2.66 x 2 = 5.68 and 16.32; two-sigma lines 11 +/- 3.5467 = 7.4533 and 14.5467.
BASELINE = [12, 10] * 6
# Then seven months at 13 (all above the mean: a shift), 15, 13, 15 (two of three between
# the two-sigma line and the upper limit) and 17 (above the upper limit).
AFTER = [13] * 7 + [15, 13, 15, 17]
MONTHS = [f"{2023 + (3 + i) // 12}-{(3 + i) % 12 + 1:02d}" for i in range(len(BASELINE + AFTER))]


def worked_example(**options):
    return xmr(BASELINE + AFTER, MONTHS, baseline=12, **options)


def test_limits_are_the_baseline_mean_plus_or_minus_2_66_mean_moving_ranges():
    chart = worked_example(improvement="increase")
    first = chart.points[0]
    assert first.mean == pytest.approx(11)
    assert (first.lower_limit, first.upper_limit) == pytest.approx((5.68, 16.32))
    assert (first.lower_two_sigma, first.upper_two_sigma) == pytest.approx((7.453333, 14.546667))
    assert chart.segments[0].mean_moving_range == pytest.approx(2)
    assert chart.segments[0].baseline_points == 12
    assert [p.in_baseline for p in chart.points] == [True] * 12 + [False] * 11
    assert chart.warnings == ()


def test_each_special_cause_rule_flags_the_points_worked_out_by_hand():
    chart = worked_example(improvement="increase")
    causes = [set(p.special_causes) for p in chart.points]
    assert causes[:12] == [set()] * 12
    assert causes[12:19] == [{SpecialCause.SHIFT}] * 7
    assert causes[19] == {SpecialCause.SHIFT, SpecialCause.TWO_OF_THREE}
    assert causes[20] == {SpecialCause.SHIFT}
    assert causes[21] == {SpecialCause.SHIFT, SpecialCause.TWO_OF_THREE}
    assert causes[22] == {SpecialCause.SHIFT, SpecialCause.OUTSIDE_LIMITS}


def test_high_special_cause_is_improvement_when_increase_is_better_and_concern_when_not():
    rising_good = worked_example(improvement="increase")
    assert rising_good.points[12].variation is Variation.IMPROVEMENT
    assert rising_good.points[0].variation is Variation.COMMON_CAUSE
    assert rising_good.variation_icon is VariationIcon.IMPROVING_HIGH

    rising_bad = worked_example(improvement="decrease")
    assert rising_bad.points[22].variation is Variation.CONCERN
    assert rising_bad.variation_icon is VariationIcon.CONCERNING_HIGH

    neutral = worked_example(improvement="neutral", target=9)
    assert neutral.points[22].variation is Variation.NEITHER
    assert neutral.variation_icon is VariationIcon.NEITHER_HIGH
    assert neutral.assurance_icon is None


@pytest.mark.parametrize(
    ("improvement", "target", "expected"),
    [
        ("increase", 5.0, AssuranceIcon.CONSISTENTLY_PASSING),  # below the lower limit 5.68
        ("increase", 17.0, AssuranceIcon.CONSISTENTLY_FAILING),  # above the upper limit 16.32
        ("increase", 9.0, AssuranceIcon.HIT_AND_MISS),
        ("decrease", 5.0, AssuranceIcon.CONSISTENTLY_FAILING),
        ("decrease", 17.0, AssuranceIcon.CONSISTENTLY_PASSING),
        ("decrease", 16.32, AssuranceIcon.HIT_AND_MISS),  # on the limit is not outside it
        ("increase", None, None),
    ],
)
def test_assurance_icon_places_the_target_against_the_process_limits(improvement, target, expected):
    assert worked_example(improvement=improvement, target=target).assurance_icon == expected


def test_icons_carry_plain_text_labels_not_just_colours():
    chart = worked_example(improvement="increase", target=9.0)
    assert chart.variation_icon.value == "Special cause variation: improving (higher)"
    assert chart.assurance_icon.value.startswith("Hit and miss")


# Twelve months alternating 10, 11 (mean 10.5, MR-bar 1, limits 7.84 to 13.16, two-sigma
# 8.7267 to 12.2733) then six rising months 9, 9.5, 10, 10.2, 10.4, 10.45: inside the
# two-sigma lines and all below the mean, six in a row (not seven).
RISING = [10, 11] * 6 + [9, 9.5, 10, 10.2, 10.4, 10.45]


def test_six_rising_points_are_a_trend_and_go_with_the_trend_not_the_mean():
    chart = xmr(RISING, baseline=12, improvement="decrease")
    assert [p.special_causes for p in chart.points[12:]] == [(SpecialCause.TREND,)] * 6
    assert all(not p.special_causes for p in chart.points[:12])
    assert chart.points[-1].side == "high"
    assert chart.variation_icon is VariationIcon.CONCERNING_HIGH


def test_trend_and_shift_lengths_are_configurable():
    seven_point_trend = xmr(RISING, baseline=12, rules=SpcRules(trend_points=7))
    assert all(not p.special_causes for p in seven_point_trend.points)
    assert seven_point_trend.variation_icon is VariationIcon.COMMON_CAUSE

    six_point_shift = xmr(RISING, baseline=12, rules=SpcRules(shift_points=6, trend_points=7))
    assert [p.special_causes for p in six_point_shift.points[12:]] == [(SpecialCause.SHIFT,)] * 6
    assert six_point_shift.points[-1].side == "low"


def test_a_point_exactly_on_the_mean_breaks_a_run():
    # Mean 11 from the baseline; 13 x 3, 11, 13 x 3 is never seven on one side.
    chart = xmr(BASELINE + [13, 13, 13, 11, 13, 13, 13], baseline=12)
    assert all(not p.special_causes for p in chart.points)


def test_outlying_moving_ranges_are_screened_before_the_limits_are_set():
    # 10,11,10,11,10,11,10,40,10,11: moving ranges 1 x 6, 30, 30, 1 -> MR-bar 67/9 = 7.444;
    # the two ranges of 30 are at least 3.267 x 7.444 = 24.32, so they are dropped and
    # MR-bar = 7/7 = 1. Mean (5 x 10 + 4 x 11 + 40)/10 = 13.4, limits 10.74 and 16.06.
    values = [10, 11, 10, 11, 10, 11, 10, 40, 10, 11]
    screened = xmr(values)
    assert screened.segments[0].mean_moving_range == pytest.approx(1)
    assert (screened.segments[0].lower_limit, screened.segments[0].upper_limit) == pytest.approx(
        (10.74, 16.06)
    )
    unscreened = xmr(values, rules=SpcRules(screen_moving_ranges=False))
    assert unscreened.segments[0].mean_moving_range == pytest.approx(67 / 9)
    assert unscreened.segments[0].upper_limit == pytest.approx(13.4 + 2.66 * 67 / 9)


def test_a_recalculation_point_starts_new_limits_from_that_period():
    # Segment 1: 10,12 x 3 (mean 11, MR-bar 2); segment 2 from period "7": 20,22 x 3 (mean 21).
    values = [10, 12] * 3 + [20, 22] * 3
    periods = [str(i) for i in range(1, 13)]
    chart = xmr(values, periods, recalculate_at=["7"])
    assert [s.mean for s in chart.segments] == pytest.approx([11, 21])
    assert [p.segment for p in chart.points] == [1] * 6 + [2] * 6
    assert chart.points[6].upper_limit == pytest.approx(21 + 5.32)
    assert all(not p.special_causes for p in chart.points)
    assert len(chart.warnings) == 2
    assert "segment starting 7 rest on 6 points" in chart.warnings[1]


def test_fewer_than_twelve_points_warns_and_fewer_than_two_is_refused():
    assert "at least 12" in xmr([1, 2, 3]).warnings[0]
    with pytest.raises(SpcError, match="segment starting 2024-01 has 1 point"):
        xmr([4.0], ["2024-01"])
    with pytest.raises(SpcError, match="baseline of 1 points is too short"):
        xmr([4.0, 5.0, 6.0], baseline=1)


def test_missing_values_and_unknown_recalculation_points_are_named():
    with pytest.raises(SpcError, match="period 2024-02: value None is not a number"):
        xmr([4.0, None, 6.0], ["2024-01", "2024-02", "2024-03"])
    with pytest.raises(SpcError, match="recalculation point '2030-01'"):
        xmr([4.0, 5.0, 6.0], ["2024-01", "2024-02", "2024-03"], recalculate_at=["2030-01"])


def test_plan_polarity_maps_onto_the_improvement_direction():
    assert Improvement.from_polarity("higher_is_better") is Improvement.INCREASE
    assert Improvement.from_polarity("lower_is_better") is Improvement.DECREASE
    assert Improvement.from_polarity("within_range") is Improvement.NEUTRAL


def test_a_series_that_never_changes_gives_zero_width_limits_and_common_cause():
    # Twelve months of an inspection grade of 2: mean 2, every moving range 0, MR-bar 0
    # (screening leaves nothing to screen), limits 2 +/- 2.66 x 0 = 2 and 2, two-sigma
    # lines also 2. No point is above or below the mean, so no rule fires.
    grades = [2] * 12
    chart = xmr(grades, improvement="decrease", target=2)
    (segment,) = chart.segments
    assert (segment.mean, segment.mean_moving_range) == (2, 0)
    assert (segment.lower_limit, segment.upper_limit) == (2, 2)
    assert all(p.special_causes == () for p in chart.points)
    assert all(p.variation is Variation.COMMON_CAUSE for p in chart.points)
    assert chart.variation_icon is VariationIcon.COMMON_CAUSE
    # a target on the mean lies within the (zero-width) limits: hit and miss
    assert chart.assurance_icon is AssuranceIcon.HIT_AND_MISS
    (warning,) = chart.warnings
    assert "do not vary" in warning and "every moving range is 0" in warning
    assert "the process limits are the mean itself (2)" in warning


def test_a_change_after_a_flat_baseline_is_outside_the_zero_width_limits():
    # Baseline of 12 points at 30 (limits 30 and 30), then 31: above the upper limit, and
    # higher is better → special cause improvement. A target of 28 lies below the lower
    # limit on the bad side for an increase measure → consistently passing.
    chart = xmr([30] * 12 + [31], baseline=12, improvement="increase", target=28)
    last = chart.points[-1]
    assert last.special_causes == (SpecialCause.OUTSIDE_LIMITS,)
    assert last.variation is Variation.IMPROVEMENT
    assert chart.variation_icon is VariationIcon.IMPROVING_HIGH
    assert chart.assurance_icon is AssuranceIcon.CONSISTENTLY_PASSING


def test_screening_that_leaves_only_zero_ranges_also_gives_zero_width_limits():
    # 11 points at 5 then one at 9 (baseline of all 12): ranges ten 0s and one 4, MR-bar 4/11
    # = 0.3636; the 4 is at least 3.267 x 0.3636 = 1.188 so it is screened; MR-bar of the
    # rest is 0. Mean (11 x 5 + 9) / 12 = 5.3333; limits collapse onto it.
    chart = xmr([5] * 11 + [9])
    (segment,) = chart.segments
    assert segment.mean_moving_range == 0
    assert segment.lower_limit == segment.upper_limit == pytest.approx(16 / 3)
    assert chart.points[-1].special_causes[0] is SpecialCause.OUTSIDE_LIMITS
    assert any("barely vary" in w for w in chart.warnings)


# ------------------------------------------------ a plan measure's SPC (dashboard and reports)


def _plan_measure(**kw):
    from journey.engine.plan import Measure

    base = {"id": "starts", "title": "Children starting care", "unit": "count",
            "polarity": "lower_is_better", "source": "manual", "targets": {"2024-03": 120}}
    base.update(kw)
    return Measure.model_validate(base)


def test_a_cumulative_measure_is_charted_by_its_monthly_figures_derived_from_year_to_date_totals():
    from journey.engine.stats.spc import spc_series

    measure = _plan_measure(cumulative_in_year=True)
    # Year-to-date totals: February 100, March 110; April starts again at 9, May 20.
    ytd = {"2024-02": 100, "2024-03": 110, "2024-04": 9, "2024-05": 20}
    assert spc_series(measure, {}, ytd) == {"2024-03": 10, "2024-04": 9, "2024-05": 11}
    # A month's own figure, where given, is used as it is.
    assert spc_series(measure, {"2024-05": 12}, ytd)["2024-05"] == 12
    # A measure that is not cumulative is charted by its monthly figures only.
    assert spc_series(_plan_measure(), {"2024-05": 12}, ytd) == {"2024-05": 12}


def test_a_running_total_never_shows_a_rising_trend_when_charted_by_its_monthly_figures():
    from journey.engine.periods import add_months
    from journey.engine.stats.spc import measure_spc, spc_series

    measure = _plan_measure(cumulative_in_year=True)
    months = [add_months("2022-10", i) for i in range(24)]
    monthly = [10, 11] * 12  # a steady ten or eleven children a month
    ytd, total = {}, 0
    for month, value in zip(months, monthly, strict=True):
        total = value if month.endswith("-04") else total + value
        ytd[month] = total
    reading = measure_spc(measure, spc_series(measure, {}, ytd), months[-1], target=110)
    assert reading is not None and reading.months == 23  # October has no September total before it
    assert reading.signal == ""
    assert reading.variation_short == "Common cause"
    assert reading.assurance_short == "Not assessed"  # the target is for the year to date
    assert reading.special_causes(months) == []


def test_under_twelve_months_there_is_no_spc_reading():
    from journey.engine.stats.spc import measure_spc

    series = {f"2024-{m:02d}": 10.0 for m in range(1, 12)}
    assert measure_spc(_plan_measure(), series, "2024-11", None) is None
