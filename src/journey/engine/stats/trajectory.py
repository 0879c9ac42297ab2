"""Where a measure is heading: the current trend projected to each coming milestone.

An ordinary least-squares line through the last N months (default 12), with the usual
prediction interval for a single new value, ŷ ± t(n-2) · s · √(1 + 1/n + (x₀ - x̄)² / Sxx),
so the board sees both the projection and how sure it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

from journey.engine.periods import month_key, months_between
from journey.engine.stats._distributions import check_level, student_t_quantile
from journey.engine.stats.intervals import better_direction

Target = float | tuple[float, float]
"""A single target, or a (low, high) range for measures where good is within a range."""


class Outlook(StrEnum):
    LIKELY = "likely to be met"
    UNCERTAIN = "could go either way"
    UNLIKELY = "unlikely to be met"


@dataclass(frozen=True)
class MilestoneProjection:
    month: str
    target: Target
    projected: float
    lower: float
    upper: float
    outlook: Outlook
    reason: str


@dataclass(frozen=True)
class Trajectory:
    first_month: str
    last_month: str
    months_used: int
    slope_per_month: float
    level: float
    projections: tuple[MilestoneProjection, ...]


def trajectory(
    series: Sequence[tuple[Any, float | None]],
    milestones: Sequence[Any],
    polarity: str | Enum,
    window: int = 12,
    level: float = 95,
) -> Trajectory:
    """Project the trend of ``series`` (month, value) to every milestone after its last month.

    ``milestones`` are (month, target) pairs or objects with ``month`` and ``target``
    (the plan's ``Milestone``). Months without a value are left out of the fit.
    """
    check_level(level)
    if window < 3:
        raise ValueError(f"a trend window of {window} months is too short: at least 3")
    observed = sorted((month_key(m), float(v)) for m, v in series if v is not None)
    months = [m for m, _ in observed]
    if len(set(months)) != len(months):
        duplicated = sorted({m for m in months if months.count(m) > 1})
        raise ValueError(f"the series has more than one value for {', '.join(duplicated)}")
    last_month = months[-1] if months else None
    used = [(m, v) for m, v in observed if last_month and months_between(m, last_month) < window]
    if len(used) < 3:
        raise ValueError(
            f"a trend needs at least 3 months with values in the last {window}; found {len(used)}"
        )
    first_month = used[0][0]
    xs = [float(months_between(first_month, m)) for m, _ in used]
    ys = [v for _, v in used]
    n = len(used)
    x_mean, y_mean = math.fsum(xs) / n, math.fsum(ys) / n
    sxx = math.fsum((x - x_mean) ** 2 for x in xs)
    slope = math.fsum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = y_mean - slope * x_mean
    sse = math.fsum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    spread = math.sqrt(sse / (n - 2))
    t = student_t_quantile(1 - (1 - level / 100) / 2, n - 2)

    projections = []
    for month, target in (_milestone(m) for m in milestones):
        if months_between(used[-1][0], month) <= 0:
            continue
        x0 = float(months_between(first_month, month))
        projected = intercept + slope * x0
        half_width = t * spread * math.sqrt(1 + 1 / n + (x0 - x_mean) ** 2 / sxx)
        lower, upper = projected - half_width, projected + half_width
        outlook, why = _judge(lower, upper, target, polarity)
        reason = (
            f"At the trend of the last {n} months ({slope:+.3g} a month) the value projected for "
            f"{month} is {projected:.4g} ({level:g}% prediction interval {lower:.4g} to "
            f"{upper:.4g}); target {_target_text(target)}: {outlook.value}, because {why}."
        )
        projections.append(
            MilestoneProjection(month, target, projected, lower, upper, outlook, reason)
        )
    return Trajectory(first_month, used[-1][0], n, slope, level, tuple(projections))


def _milestone(milestone: Any) -> tuple[str, Target]:
    if isinstance(milestone, tuple):
        month, target = milestone
    else:
        month, target = milestone.month, milestone.target
    if isinstance(target, tuple):
        return month_key(str(month)), (float(target[0]), float(target[1]))
    return month_key(str(month)), float(target)


def _judge(lower: float, upper: float, target: Target, polarity: str | Enum) -> tuple[Outlook, str]:
    if isinstance(target, tuple):
        low, high = target
        if low <= lower and upper <= high:
            return Outlook.LIKELY, "the whole interval lies within the target range"
        if upper < low or lower > high:
            return Outlook.UNLIKELY, "the whole interval lies outside the target range"
        return Outlook.UNCERTAIN, "the interval crosses the edge of the target range"
    higher_is_better = better_direction(polarity)
    if higher_is_better is None:
        raise ValueError(
            "a measure that is good within a range needs its target as a (low, high) range"
        )
    good_end, bad_end = (lower, upper) if higher_is_better else (upper, lower)
    better = "above" if higher_is_better else "below"
    if (good_end >= target) if higher_is_better else (good_end <= target):
        return Outlook.LIKELY, f"even the worse end of the interval is at or {better} the target"
    if (bad_end < target) if higher_is_better else (bad_end > target):
        return Outlook.UNLIKELY, f"even the better end of the interval is not {better} the target"
    return Outlook.UNCERTAIN, "the target lies inside the interval"


def _target_text(target: Target) -> str:
    if isinstance(target, tuple):
        return f"{target[0]:.4g} to {target[1]:.4g}"
    return f"{target:.4g}"
