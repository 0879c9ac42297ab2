"""Trajectory to milestones on a six-month series worked by hand.

Series April to September 2023: 100, 102, 101, 105, 104, 108 at x = 0..5.
x̄ = 2.5, Sxx = 17.5, ȳ = 103.3333, Sxy = 25, so slope = 25 / 17.5 = 1.428571 a month and
intercept = 103.3333 - 1.428571 x 2.5 = 99.761905. Residuals 0.2381, 0.8095, -1.6190,
0.9524, -1.4762, 1.0952 give SSE = 7.619048 and s = √(7.619048 / 4) = 1.380131.
March 2024 is x₀ = 11: ŷ = 99.761905 + 1.428571 x 11 = 115.476190;
√(1 + 1/6 + (11 - 2.5)² / 17.5) = √5.295238 = 2.301138; t(4, 97.5%) = 2.776445;
half-width = 2.776445 x 1.380131 x 2.301138 = 8.817636, interval 106.658554 to 124.293827.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from journey.engine.stats.trajectory import Outlook, trajectory

MONTHS = ["2023-04", "2023-05", "2023-06", "2023-07", "2023-08", "2023-09"]
SERIES = list(zip(MONTHS, [100, 102, 101, 105, 104, 108], strict=True))


@dataclass
class Milestone:
    month: str
    target: float


def test_projection_and_prediction_interval_match_the_hand_calculation():
    result = trajectory(SERIES, [("2024-03", 105)], "higher_is_better")
    assert result.slope_per_month == pytest.approx(1.428571, abs=1e-6)
    (march,) = result.projections
    assert march.projected == pytest.approx(115.476190, abs=1e-6)
    assert (march.lower, march.upper) == pytest.approx((106.658554, 124.293827), abs=1e-6)
    assert (result.first_month, result.last_month, result.months_used) == ("2023-04", "2023-09", 6)


@pytest.mark.parametrize(
    ("polarity", "target", "outlook"),
    [
        ("higher_is_better", 105, Outlook.LIKELY),
        ("higher_is_better", 120, Outlook.UNCERTAIN),
        ("higher_is_better", 130, Outlook.UNLIKELY),
        ("lower_is_better", 130, Outlook.LIKELY),
        ("lower_is_better", 120, Outlook.UNCERTAIN),
        ("lower_is_better", 105, Outlook.UNLIKELY),
        ("within_range", (100, 130), Outlook.LIKELY),
        ("within_range", (110, 130), Outlook.UNCERTAIN),
        ("within_range", (80, 100), Outlook.UNLIKELY),
    ],
)
def test_whether_the_target_will_be_met_depends_on_polarity(polarity, target, outlook):
    (march,) = trajectory(SERIES, [("2024-03", target)], polarity).projections
    assert march.outlook is outlook


def test_the_reason_is_given_in_words():
    (march,) = trajectory(SERIES, [Milestone("2024-03", 105)], "higher_is_better").projections
    assert march.reason == (
        "At the trend of the last 6 months (+1.43 a month) the value projected for 2024-03 is "
        "115.5 (95% prediction interval 106.7 to 124.3); target 105: likely to be met, because "
        "even the worse end of the interval is at or above the target."
    )


def test_only_milestones_after_the_latest_month_are_projected():
    result = trajectory(
        SERIES,
        [Milestone("2023-09", 1), Milestone("2023-12", 1), Milestone("2024-03", 1)],
        "higher_is_better",
    )
    assert [p.month for p in result.projections] == ["2023-12", "2024-03"]


def test_the_window_keeps_only_the_last_n_months_and_missing_values_are_skipped():
    # Two older wild months fall outside a six-month window; a missing July is left out,
    # leaving 100, 102, 101, 104, 108 at x = 0, 1, 2, 4, 5.
    series = [("2022-10", 900.0), ("2023-03", -50.0), *SERIES]
    series[5] = ("2023-07", None)
    result = trajectory(series, [("2024-03", 105)], "higher_is_better", window=6)
    assert result.months_used == 5
    # x̄ = 2.4, ȳ = 103, Sxx = 5.76 + 1.96 + 0.16 + 2.56 + 6.76 = 17.2,
    # Sxy = 7.2 + 1.4 + 0.8 + 1.6 + 13 = 24 -> slope 24 / 17.2 = 1.395349
    assert result.slope_per_month == pytest.approx(24 / 17.2)


def test_too_little_data_and_a_range_measure_without_a_range_are_refused():
    with pytest.raises(ValueError, match="at least 3 months with values in the last 12; found 2"):
        trajectory(SERIES[:2], [("2024-03", 105)], "higher_is_better")
    with pytest.raises(ValueError, match="needs its target as a \\(low, high\\) range"):
        trajectory(SERIES, [("2024-03", 105)], "within_range")
    with pytest.raises(ValueError, match="more than one value for 2023-04"):
        trajectory([*SERIES, ("2023-04", 1.0)], [("2024-03", 105)], "higher_is_better")
