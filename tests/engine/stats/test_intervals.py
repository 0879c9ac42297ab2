"""Confidence intervals against published reference values.

Sources:
- Newcombe R.G. (1998) "Two-sided confidence intervals for the single proportion: comparison
  of seven methods", Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score
  without continuity correction): 81/263 -> 0.2553 to 0.3662; 15/148 -> 0.0624 to 0.1605;
  0/20 -> 0 to 0.1611; 1/29 -> 0.0061 to 0.1718.
- Exact Poisson 95% limits for small counts as tabulated in Armitage & Berry, Statistical
  Methods in Medical Research (and reproduced in every Poisson table): 0 -> 0 to 3.689;
  1 -> 0.0253 to 5.572; 5 -> 1.623 to 11.668; 9 -> 4.115 to 17.085.
- Byar's formula as printed in the PHE Technical Guide: Confidence Intervals (2018),
  Appendix 1; worked by hand below for 65 events, the example PHEindicatormethods uses.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

from journey.engine.stats.intervals import (
    Comparison,
    Interval,
    byars_interval,
    byars_limits,
    compare_with_benchmark,
    exact_poisson_limits,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("numerator", "denominator", "lower", "upper"),
    [(81, 263, 25.53, 36.62), (15, 148, 6.24, 16.05), (0, 20, 0.0, 16.11), (1, 29, 0.61, 17.18)],
)
def test_wilson_interval_matches_newcombes_published_table(numerator, denominator, lower, upper):
    interval = wilson_interval(numerator, denominator, level=95)
    assert interval.lower == pytest.approx(lower, abs=0.005)
    assert interval.upper == pytest.approx(upper, abs=0.005)
    assert interval.value == pytest.approx(numerator / denominator * 100)
    assert interval.method == "Wilson score"


def test_wilson_interval_at_99_8_per_cent_is_wider_and_uses_z_of_3_09():
    # z = 3.0902; centre = 2*81 + z^2 = 171.5494; spread = z*sqrt(z^2 + 4*81*182/263)
    # = 3.0902*sqrt(9.5494 + 224.2129) = 47.2446; scale = 2*(263 + 9.5494) = 545.0988
    # lower = (171.5494 - 47.2446)/545.0988 = 0.22804; upper = 0.40138
    interval = wilson_interval(81, 263, level=99.8)
    assert interval.lower == pytest.approx(22.804, abs=0.002)
    assert interval.upper == pytest.approx(40.138, abs=0.002)


@pytest.mark.parametrize(
    ("count", "lower", "upper"),
    [(0, 0.0, 3.689), (1, 0.0253, 5.572), (5, 1.623, 11.668), (9, 4.115, 17.085)],
)
def test_exact_poisson_limits_match_the_published_poisson_table(count, lower, upper):
    got_lower, got_upper = exact_poisson_limits(count, level=95)
    assert got_lower == pytest.approx(lower, abs=0.0006)
    assert got_upper == pytest.approx(upper, abs=0.0006)


@pytest.mark.parametrize("count", [0, 1, 2, 3, 7, 9, 25, 400])
@pytest.mark.parametrize("level", [95, 99.8])
def test_exact_poisson_limits_agree_with_scipys_chi_squared_quantiles(count, level):
    alpha = 1 - level / 100
    expected_lower = 0.0 if count == 0 else stats.chi2.ppf(alpha / 2, 2 * count) / 2
    expected_upper = stats.chi2.ppf(1 - alpha / 2, 2 * count + 2) / 2
    lower, upper = exact_poisson_limits(count, level)
    assert lower == pytest.approx(expected_lower, rel=1e-9, abs=1e-12)
    assert upper == pytest.approx(expected_upper, rel=1e-9)


def test_byars_limits_for_65_events_worked_by_hand():
    # z = 1.959964; lower = 65*(1 - 1/585 - 1.959964/(3*sqrt 65))^3
    #   = 65*(1 - 0.0017094 - 0.0810330)^3 = 65*0.9172576^3 = 65*0.7717414 = 50.1632
    # upper = 66*(1 - 1/594 + 1.959964/(3*sqrt 66))^3
    #   = 66*(1 - 0.0016835 + 0.0804189)^3 = 66*1.0787354^3 = 66*1.2552900 = 82.8491
    lower, upper = byars_limits(65, level=95)
    assert lower == pytest.approx(50.1632, abs=0.0005)
    assert upper == pytest.approx(82.8491, abs=0.0005)


@pytest.mark.parametrize("count", [10, 11, 20, 65, 1045])
def test_byars_method_is_within_a_fifth_of_a_per_cent_of_exact_from_ten_events(count):
    """The PHE Technical Guide's own claim for 95% intervals, checked against the exact limits."""
    exact_lower, exact_upper = exact_poisson_limits(count, 95)
    lower, upper = byars_limits(count, 95)
    assert abs(lower - exact_lower) / exact_lower < 0.002
    assert abs(upper - exact_upper) / exact_upper < 0.002


def test_rate_interval_scales_count_limits_by_multiplier_over_denominator():
    # 65 children per 32,500 aged 0-17 is 20 per 10,000; limits are Byar's 50.1632 and
    # 82.8491 times 10,000 / 32,500.
    interval = byars_interval(65, level=95, multiplier=10_000, denominator=32_500)
    assert interval.value == pytest.approx(20.0)
    assert interval.lower == pytest.approx(50.1632 * 10_000 / 32_500, abs=0.001)
    assert interval.upper == pytest.approx(82.8491 * 10_000 / 32_500, abs=0.001)
    assert interval.method == "Byar's"


def test_counts_below_ten_switch_to_the_exact_method():
    interval = byars_interval(9, multiplier=10_000, denominator=10_000)
    assert interval.method == "exact Poisson (chi-squared)"
    assert interval.lower == pytest.approx(4.115, abs=0.0006)


def test_impossible_inputs_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="larger than denominator"):
        wilson_interval(30, 20)
    with pytest.raises(ValueError, match="whole number"):
        wilson_interval(-1, 20)
    with pytest.raises(ValueError, match="percentage between"):
        wilson_interval(1, 20, level=0.95)
    with pytest.raises(ValueError, match="denominator must be positive"):
        byars_interval(12, denominator=0)


AROUND_30 = Interval(value=30.0, lower=25.0, upper=36.0, level=95, method="Wilson score")


@pytest.mark.parametrize(
    ("benchmark", "polarity", "expected"),
    [
        (22.0, "higher_is_better", Comparison.BETTER),
        (22.0, "lower_is_better", Comparison.WORSE),
        (40.0, "lower_is_better", Comparison.BETTER),
        (40.0, "higher_is_better", Comparison.WORSE),
        (36.0, "higher_is_better", Comparison.SIMILAR),
        (25.0, "lower_is_better", Comparison.SIMILAR),
        (22.0, "within_range", Comparison.HIGHER),
        (40.0, None, Comparison.LOWER),
        (None, "higher_is_better", Comparison.NOT_COMPARED),
        (math.nan, "higher_is_better", Comparison.NOT_COMPARED),
    ],
)
def test_benchmark_outside_the_interval_is_better_or_worse_by_polarity(
    benchmark, polarity, expected
):
    assert compare_with_benchmark(AROUND_30, benchmark, polarity) is expected


def test_an_unknown_polarity_is_refused():
    with pytest.raises(ValueError, match="unknown polarity 'sideways'"):
        compare_with_benchmark(AROUND_30, 10.0, "sideways")
