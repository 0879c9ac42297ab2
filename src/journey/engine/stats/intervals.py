"""Confidence intervals and benchmark comparison as OHID Fingertips does them.

Proportions use the Wilson score method; counts and rates use Byar's approximation, or the
exact Poisson limits (from the chi-squared distribution) when fewer than 10 events were seen.
Source: Public Health England, *Technical Guide: Confidence Intervals* (2018) and the
Fingertips public health technical guidance, "Rates" and "Proportions".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum, StrEnum

from journey.engine.stats._distributions import check_level, gamma_quantile, two_sided_z

BYARS_MINIMUM_COUNT = 10
"""Below this many events Fingertips switches from Byar's method to the exact limits."""


@dataclass(frozen=True)
class Interval:
    """A value with its confidence limits, already scaled (per cent, per 10,000...)."""

    value: float
    lower: float
    upper: float
    level: float
    method: str

    def contains(self, benchmark: float) -> bool:
        return self.lower <= benchmark <= self.upper


def wilson_interval(
    numerator: int, denominator: int, level: float = 95, multiplier: float = 100
) -> Interval:
    """Wilson score interval for ``numerator`` out of ``denominator``, scaled by ``multiplier``."""
    _check_counts(numerator, denominator)
    if numerator > denominator:
        raise ValueError(f"numerator {numerator} is larger than denominator {denominator}")
    z = two_sided_z(level)
    n, o = denominator, numerator
    q = (n - o) / n
    centre = 2 * o + z * z
    spread = z * math.sqrt(z * z + 4 * o * q)
    scale = 2 * (n + z * z)
    return Interval(
        value=o / n * multiplier,
        lower=max(0.0, (centre - spread) / scale) * multiplier,
        upper=min(1.0, (centre + spread) / scale) * multiplier,
        level=level,
        method="Wilson score",
    )


def exact_poisson_limits(count: int, level: float = 95) -> tuple[float, float]:
    """Exact limits for an observed Poisson count: chi-squared(2O) / 2 and chi-squared(2O+2) / 2."""
    _check_counts(count, None)
    check_level(level)
    alpha = 1 - level / 100
    lower = 0.0 if count == 0 else gamma_quantile(alpha / 2, count)
    return lower, gamma_quantile(1 - alpha / 2, count + 1)


def byars_limits(count: int, level: float = 95) -> tuple[float, float]:
    """Byar's approximation to the Poisson limits of an observed count (needs a count above 0)."""
    _check_counts(count, None)
    if count == 0:
        raise ValueError("Byar's method needs at least one event; use the exact limits for 0")
    z = two_sided_z(level)
    o = count
    lower = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    return max(0.0, lower), upper


def byars_interval(
    count: int,
    level: float = 95,
    multiplier: float = 1,
    denominator: float | None = None,
) -> Interval:
    """Interval for a count, or a rate ``count / denominator * multiplier`` (e.g. per 10,000).

    Byar's method from 10 events upwards, the exact Poisson limits below 10.
    """
    if denominator is not None and denominator <= 0:
        raise ValueError(f"denominator must be positive, not {denominator!r}")
    if count < BYARS_MINIMUM_COUNT:
        lower, upper = exact_poisson_limits(count, level)
        method = "exact Poisson (chi-squared)"
    else:
        lower, upper = byars_limits(count, level)
        method = "Byar's"
    scale = multiplier / (denominator if denominator is not None else 1)
    return Interval(count * scale, lower * scale, upper * scale, level, method)


class Comparison(StrEnum):
    """Fingertips' words for a value against a benchmark."""

    BETTER = "Better"
    SIMILAR = "Similar"
    WORSE = "Worse"
    HIGHER = "Higher"
    LOWER = "Lower"
    NOT_COMPARED = "Not compared"


def compare_with_benchmark(
    interval: Interval, benchmark: float | None, polarity: str | Enum | None = None
) -> Comparison:
    """Better/Similar/Worse when the benchmark lies outside the interval, as Fingertips does.

    Where the measure has no better direction (``within_range`` or none) the words are
    Higher/Similar/Lower, so nobody reads a judgement that the data cannot support.
    """
    if benchmark is None or math.isnan(benchmark):
        return Comparison.NOT_COMPARED
    if interval.contains(benchmark):
        return Comparison.SIMILAR
    higher = interval.lower > benchmark
    better_when_higher = better_direction(polarity)
    if better_when_higher is None:
        return Comparison.HIGHER if higher else Comparison.LOWER
    return Comparison.BETTER if higher == better_when_higher else Comparison.WORSE


def better_direction(polarity: str | Enum | None) -> bool | None:
    """True when higher is better, False when lower is better, None when neither.

    Accepts the plan's ``Polarity`` enum or its value, and DfE LAIT's "High"/"Low".
    """
    if polarity is None:
        return None
    text = str(polarity.value if isinstance(polarity, Enum) else polarity).strip().lower()
    if text in {"higher_is_better", "high", "increase", "higher"}:
        return True
    if text in {"lower_is_better", "low", "decrease", "lower"}:
        return False
    if text in {"within_range", "neutral", "none", "-", "", "na"}:
        return None
    raise ValueError(
        f"unknown polarity {polarity!r}: expected higher_is_better, lower_is_better or within_range"
    )


def _check_counts(numerator: int, denominator: int | None) -> None:
    if numerator < 0 or numerator != int(numerator):
        raise ValueError(f"count {numerator!r} must be a whole number of at least 0")
    if denominator is not None and (denominator <= 0 or denominator != int(denominator)):
        raise ValueError(f"denominator {denominator!r} must be a whole number above 0")
