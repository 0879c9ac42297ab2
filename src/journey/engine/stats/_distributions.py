"""Quantiles of the normal, Poisson-gamma and Student t distributions, without scipy.

The engine has no scientific-library dependency, so the few quantiles the statistics need
are computed here from their textbook definitions and checked against scipy in the tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist


def normal_quantile(probability: float) -> float:
    """The standard normal deviate below which ``probability`` of the distribution lies."""
    return NormalDist().inv_cdf(probability)


def two_sided_z(level_percent: float) -> float:
    """z for a two-sided interval at ``level_percent`` (95 gives 1.95996...)."""
    check_level(level_percent)
    return normal_quantile(1 - (1 - level_percent / 100) / 2)


def check_level(level_percent: float) -> None:
    """Refuse confidence levels given as fractions or outside (0, 100)."""
    if not 50 <= level_percent < 100:
        raise ValueError(
            f"confidence level {level_percent!r} must be a percentage between 50 and 100, "
            "e.g. 95 or 99.8"
        )


def poisson_upper_tail(count: int, mean: float) -> float:
    """P(X >= count) for X ~ Poisson(mean), i.e. the regularised lower gamma P(count, mean)."""
    if count <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    # P(X <= count-1) summed in log space so large counts neither overflow nor underflow.
    log_terms = [k * math.log(mean) - mean - math.lgamma(k + 1) for k in range(count)]
    top = max(log_terms)
    lower_cdf = math.exp(top) * math.fsum(math.exp(t - top) for t in log_terms)
    return min(1.0, max(0.0, 1.0 - lower_cdf))


def gamma_quantile(probability: float, shape: int) -> float:
    """Quantile of the Gamma(shape, 1) distribution for a whole-number shape.

    Equal to half the chi-squared quantile on ``2 * shape`` degrees of freedom, which is how
    the exact Poisson confidence limits are usually written.
    """
    if shape < 1:
        raise ValueError(f"gamma shape must be a whole number of at least 1, not {shape!r}")
    if not 0 < probability < 1:
        raise ValueError(f"probability must lie strictly between 0 and 1, not {probability!r}")
    upper = shape + 20 * math.sqrt(shape) + 40
    return _bisect(lambda x: poisson_upper_tail(shape, x) - probability, 0.0, upper)


def student_t_quantile(probability: float, degrees_of_freedom: int) -> float:
    """Quantile of Student's t distribution, found by bisection on its distribution function."""
    if degrees_of_freedom < 1:
        raise ValueError("Student's t needs at least one degree of freedom")
    if not 0 < probability < 1:
        raise ValueError(f"probability must lie strictly between 0 and 1, not {probability!r}")
    if probability == 0.5:
        return 0.0
    if probability < 0.5:
        return -student_t_quantile(1 - probability, degrees_of_freedom)
    upper = 1.0
    while _student_t_cdf(upper, degrees_of_freedom) < probability:
        upper *= 2
    return _bisect(lambda t: _student_t_cdf(t, degrees_of_freedom) - probability, 0.0, upper)


def _student_t_cdf(t: float, df: int) -> float:
    x = df / (df + t * t)
    tail = 0.5 * _regularised_incomplete_beta(df / 2, 0.5, x)
    return 1 - tail if t >= 0 else tail


def _regularised_incomplete_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b) by Lentz's continued fraction (Numerical Recipes, section 6.4)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    return 1 - math.exp(log_front) * _beta_continued_fraction(b, a, 1 - x) / b


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    c = 1.0
    d = 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return result


def _bisect(function: Callable[[float], float], low: float, high: float) -> float:
    """Root of an increasing function between ``low`` and ``high`` to machine precision."""
    for _ in range(200):
        middle = (low + high) / 2
        if function(middle) < 0:
            low = middle
        else:
            high = middle
        if high - low <= 1e-13 * max(1.0, abs(high)):
            break
    return (low + high) / 2
