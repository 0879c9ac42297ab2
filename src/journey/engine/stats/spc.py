"""Statistical process control (XmR charts) as NHS England's *Making Data Count* does it.

Limits are the mean plus or minus 2.66 times the mean moving range of the baseline points;
the special-cause rules, the variation icon and the assurance icon follow the NHSE
"plot the dots" guidance and its reference implementation, NHS-R's NHSRplotthedots
(moving ranges of 3.267 times the mean or more are screened out before the limits are set).
Every icon has a plain-text label so the meaning never rests on colour alone.

:func:`measure_spc` is the one SPC reading of a plan measure, used by the dashboard, the
measure page and every report: the chart is always of each month's own figure
(:func:`spc_series`), so a cumulative year-to-date measure is charted by its monthly
figures everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum, StrEnum

from journey.engine.periods import add_months
from journey.engine.plan import Measure
from journey.engine.stats.intervals import better_direction

LIMIT_FACTOR = 2.66
"""3 / d2 where d2 = 1.128 for moving ranges of two points: three-sigma process limits."""
MOVING_RANGE_SCREEN = 3.267
"""D4 for n = 2: a moving range this many times the mean is itself special cause."""


class SpcError(ValueError):
    """The series cannot support a chart; the message says which point or setting and why."""


class Improvement(StrEnum):
    """Which way is better for the measure on the chart."""

    INCREASE = "increase"
    DECREASE = "decrease"
    NEUTRAL = "neutral"

    @classmethod
    def from_polarity(cls, polarity: str | Enum | None) -> Improvement:
        """The plan's polarity as an improvement direction (within range has none)."""
        direction = better_direction(polarity)
        if direction is None:
            return cls.NEUTRAL
        return cls.INCREASE if direction else cls.DECREASE


class SpecialCause(StrEnum):
    """Why a point is special cause, in the words of Making Data Count."""

    OUTSIDE_LIMITS = "point outside the process limits"
    SHIFT = "run of points on one side of the mean"
    TREND = "run of points all rising or all falling"
    TWO_OF_THREE = "two of three points close to a process limit"


class Variation(StrEnum):
    COMMON_CAUSE = "common cause"
    IMPROVEMENT = "special cause - improvement"
    CONCERN = "special cause - concern"
    NEITHER = "special cause - neither improvement nor concern"


class VariationIcon(StrEnum):
    """The variation icon of the latest point, named by its plain-text label."""

    COMMON_CAUSE = "Common cause variation: no significant change"
    IMPROVING_HIGH = "Special cause variation: improving (higher)"
    IMPROVING_LOW = "Special cause variation: improving (lower)"
    CONCERNING_HIGH = "Special cause variation: concerning (higher)"
    CONCERNING_LOW = "Special cause variation: concerning (lower)"
    NEITHER_HIGH = "Special cause variation: higher (neither improving nor concerning)"
    NEITHER_LOW = "Special cause variation: lower (neither improving nor concerning)"


class AssuranceIcon(StrEnum):
    """Whether the process, as it runs now, will meet the target."""

    CONSISTENTLY_PASSING = (
        "Consistently passing the target: it lies outside the process limits on the worse "
        "side, so the process as it runs will meet it"
    )
    CONSISTENTLY_FAILING = (
        "Consistently failing the target: it lies outside the process limits on the better "
        "side, so the process as it runs will miss it"
    )
    HIT_AND_MISS = "Hit and miss: the target lies within the process limits"


@dataclass(frozen=True)
class SpcRules:
    """The special-cause rules, configurable as the NHSE tool allows."""

    shift_points: int = 7
    trend_points: int = 6
    two_of_three: bool = True
    screen_moving_ranges: bool = True
    recommended_points: int = 12
    minimum_points: int = 2

    def __post_init__(self) -> None:
        if self.shift_points < 2 or self.trend_points < 3:
            raise SpcError("a shift needs at least 2 points and a trend at least 3")
        if self.minimum_points < 2:
            raise SpcError("limits need at least 2 points, i.e. one moving range")


@dataclass(frozen=True)
class SpcPoint:
    period: str
    value: float
    segment: int
    in_baseline: bool
    mean: float
    lower_limit: float
    upper_limit: float
    lower_two_sigma: float
    upper_two_sigma: float
    special_causes: tuple[SpecialCause, ...]
    variation: Variation
    side: str | None
    """"high" or "low" for special-cause points, else None."""


@dataclass(frozen=True)
class Segment:
    """A stretch of the chart between recalculation points, with its own limits."""

    number: int
    first_period: str
    last_period: str
    baseline_points: int
    mean: float
    mean_moving_range: float
    lower_limit: float
    upper_limit: float


@dataclass(frozen=True)
class XmrChart:
    points: tuple[SpcPoint, ...]
    segments: tuple[Segment, ...]
    improvement: Improvement
    variation_icon: VariationIcon
    assurance_icon: AssuranceIcon | None
    target: float | None
    rules: SpcRules
    warnings: tuple[str, ...] = field(default=())


def xmr(
    values: Sequence[float],
    periods: Sequence[str] | None = None,
    improvement: Improvement | str = Improvement.INCREASE,
    target: float | None = None,
    baseline: int | None = None,
    recalculate_at: Sequence[str] = (),
    rules: SpcRules | None = None,
) -> XmrChart:
    """An XmR chart of ``values`` (oldest first).

    ``baseline`` fixes each segment's limits on its first N points; ``recalculate_at`` names
    the periods where the process is known to have changed and new limits begin.
    """
    rules = rules or SpcRules()
    improvement = Improvement(improvement)
    labels = (
        [str(p) for p in periods]
        if periods is not None
        else [str(i + 1) for i in range(len(values))]
    )
    if len(labels) != len(values):
        raise SpcError(f"{len(values)} values but {len(labels)} periods")
    numbers = _checked_values(values, labels)
    if baseline is not None and baseline < rules.minimum_points:
        raise SpcError(
            f"a baseline of {baseline} points is too short: at least {rules.minimum_points}"
        )
    starts = _segment_starts(labels, recalculate_at)

    points: list[SpcPoint] = []
    segments: list[Segment] = []
    warnings: list[str] = []
    for number, (start, end) in enumerate(zip(starts, [*starts[1:], len(labels)], strict=True), 1):
        segment, segment_points, segment_warnings = _chart_segment(
            number, numbers[start:end], labels[start:end], baseline, improvement, rules
        )
        segments.append(segment)
        points.extend(segment_points)
        warnings.extend(segment_warnings)
    return XmrChart(
        points=tuple(points),
        segments=tuple(segments),
        improvement=improvement,
        variation_icon=_variation_icon(points[-1], improvement),
        assurance_icon=_assurance_icon(segments[-1], target, improvement),
        target=target,
        rules=rules,
        warnings=tuple(warnings),
    )


def _checked_values(values: Sequence[float], labels: list[str]) -> list[float]:
    numbers = []
    for label, value in zip(labels, values, strict=True):
        if value is None or not isinstance(value, int | float) or not math.isfinite(value):
            raise SpcError(
                f"period {label}: value {value!r} is not a number; SPC needs every point"
            )
        numbers.append(float(value))
    return numbers


def _segment_starts(labels: list[str], recalculate_at: Sequence[str]) -> list[int]:
    starts = {0}
    for period in recalculate_at:
        if str(period) not in labels:
            raise SpcError(f"recalculation point {period!r} is not one of the periods on the chart")
        starts.add(labels.index(str(period)))
    return sorted(starts)


def _chart_segment(
    number: int,
    values: list[float],
    labels: list[str],
    baseline: int | None,
    improvement: Improvement,
    rules: SpcRules,
) -> tuple[Segment, list[SpcPoint], list[str]]:
    fixed = values[: baseline or len(values)]
    if len(fixed) < rules.minimum_points:
        raise SpcError(
            f"the segment starting {labels[0]} has {len(fixed)} point(s); process limits need at "
            f"least {rules.minimum_points}"
        )
    warnings: list[str] = []
    if len(fixed) < rules.recommended_points:
        warnings.append(
            f"the limits for the segment starting {labels[0]} rest on {len(fixed)} points; "
            f"Making Data Count recommends at least {rules.recommended_points}, so treat them as provisional"
        )
    mean = math.fsum(fixed) / len(fixed)
    moving_ranges = [abs(b - a) for a, b in zip(fixed, fixed[1:], strict=False)]
    mean_moving_range = math.fsum(moving_ranges) / len(moving_ranges)
    if rules.screen_moving_ranges and mean_moving_range > 0:
        # Never empty: the smallest range is at most the mean, below 3.267 times it.
        kept = [r for r in moving_ranges if r < MOVING_RANGE_SCREEN * mean_moving_range]
        mean_moving_range = math.fsum(kept) / len(kept)
    if mean_moving_range == 0:
        # A series that never changes (an inspection grade, a fixed establishment): the
        # limits collapse onto the mean. The chart is still valid: every baseline point is on
        # the mean, so nothing is special cause, and any later change is outside the limits.
        why = (
            "do not vary (every moving range is 0)"
            if not any(moving_ranges)
            else "barely vary (once outlying moving ranges are screened out the rest are 0)"
        )
        warnings.append(
            f"the values in the segment starting {labels[0]} {why}, so the process limits are "
            f"the mean itself ({mean:g}) and any change from it will show as special cause"
        )
    sigma_span = LIMIT_FACTOR * mean_moving_range
    lower, upper = mean - sigma_span, mean + sigma_span
    lower_two, upper_two = mean - 2 * sigma_span / 3, mean + 2 * sigma_span / 3

    relative = [_sign(v - mean) for v in values]
    outside = [v > upper or v < lower for v in values]
    close = [
        not o and (v > upper_two or v < lower_two) for v, o in zip(values, outside, strict=True)
    ]
    causes: list[list[SpecialCause]] = [[] for _ in values]
    trend_side: list[str | None] = [None] * len(values)
    for i, is_outside in enumerate(outside):
        if is_outside:
            causes[i].append(SpecialCause.OUTSIDE_LIMITS)
    for i in _runs(
        relative, rules.shift_points, lambda window: window[0] != 0 and len(set(window)) == 1
    ):
        causes[i].append(SpecialCause.SHIFT)
    steps = [_sign(b - a) for a, b in zip(values, values[1:], strict=False)]
    for i in _runs(
        steps, rules.trend_points - 1, lambda window: window[0] != 0 and len(set(window)) == 1
    ):
        for j in (i, i + 1):
            if SpecialCause.TREND not in causes[j]:
                causes[j].append(SpecialCause.TREND)
                trend_side[j] = "high" if steps[i] > 0 else "low"
    if rules.two_of_three:
        for start in range(len(values) - 2):
            window = range(start, start + 3)
            same_side = relative[start] != 0 and len({relative[k] for k in window}) == 1
            if same_side and sum(close[k] for k in window) >= 2:
                for k in window:
                    if close[k] and SpecialCause.TWO_OF_THREE not in causes[k]:
                        causes[k].append(SpecialCause.TWO_OF_THREE)

    points = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        side = _side(causes[i], relative[i], trend_side[i])
        points.append(
            SpcPoint(
                period=label,
                value=value,
                segment=number,
                in_baseline=i < len(fixed),
                mean=mean,
                lower_limit=lower,
                upper_limit=upper,
                lower_two_sigma=lower_two,
                upper_two_sigma=upper_two,
                special_causes=tuple(causes[i]),
                variation=_variation(side, improvement),
                side=side,
            )
        )
    segment = Segment(
        number, labels[0], labels[-1], len(fixed), mean, mean_moving_range, lower, upper
    )
    return segment, points, warnings


def _runs(signs: list[int], length: int, qualifies: Callable[[list[int]], bool]) -> set[int]:
    """Indices of every item inside some window of ``length`` items that ``qualifies``."""
    members: set[int] = set()
    for start in range(len(signs) - length + 1):
        if qualifies(signs[start : start + length]):
            members.update(range(start, start + length))
    return members


def _side(causes: list[SpecialCause], relative: int, trend_side: str | None) -> str | None:
    """High or low: by the mean, except that a point flagged only by a trend goes with the trend."""
    if not causes:
        return None
    if causes == [SpecialCause.TREND]:
        return trend_side
    return "high" if relative > 0 else "low"


def _variation(side: str | None, improvement: Improvement) -> Variation:
    if side is None:
        return Variation.COMMON_CAUSE
    if improvement is Improvement.NEUTRAL:
        return Variation.NEITHER
    improving = (side == "high") == (improvement is Improvement.INCREASE)
    return Variation.IMPROVEMENT if improving else Variation.CONCERN


def _variation_icon(latest: SpcPoint, improvement: Improvement) -> VariationIcon:
    high = latest.side == "high"
    match latest.variation:
        case Variation.COMMON_CAUSE:
            return VariationIcon.COMMON_CAUSE
        case Variation.IMPROVEMENT:
            return VariationIcon.IMPROVING_HIGH if high else VariationIcon.IMPROVING_LOW
        case Variation.CONCERN:
            return VariationIcon.CONCERNING_HIGH if high else VariationIcon.CONCERNING_LOW
    return VariationIcon.NEITHER_HIGH if high else VariationIcon.NEITHER_LOW


def _assurance_icon(
    latest: Segment, target: float | None, improvement: Improvement
) -> AssuranceIcon | None:
    """Target against the current limits; none without a target or a better direction."""
    if target is None or improvement is Improvement.NEUTRAL:
        return None
    increasing = improvement is Improvement.INCREASE
    if target > latest.upper_limit:
        return (
            AssuranceIcon.CONSISTENTLY_FAILING if increasing else AssuranceIcon.CONSISTENTLY_PASSING
        )
    if target < latest.lower_limit:
        return (
            AssuranceIcon.CONSISTENTLY_PASSING if increasing else AssuranceIcon.CONSISTENTLY_FAILING
        )
    return AssuranceIcon.HIT_AND_MISS


def _sign(number: float) -> int:
    return (number > 0) - (number < 0)


# ------------------------------------------------------- a plan measure's SPC (one rule)

SPC_MONTHS = 24
"""The dashboard, the measure page and every report chart up to this many months."""
SPC_MINIMUM = 12
"""Fewer consecutive months than this and no SPC reading is given (Making Data Count)."""

VARIATION_SHORT = {
    VariationIcon.COMMON_CAUSE: "Common cause",
    VariationIcon.IMPROVING_HIGH: "Special cause – improving (higher)",
    VariationIcon.IMPROVING_LOW: "Special cause – improving (lower)",
    VariationIcon.CONCERNING_HIGH: "Special cause – concerning (higher)",
    VariationIcon.CONCERNING_LOW: "Special cause – concerning (lower)",
    VariationIcon.NEITHER_HIGH: "Special cause – higher",
    VariationIcon.NEITHER_LOW: "Special cause – lower",
}
ASSURANCE_SHORT = {
    AssuranceIcon.CONSISTENTLY_PASSING: "Consistently passing",
    AssuranceIcon.CONSISTENTLY_FAILING: "Consistently failing",
    AssuranceIcon.HIT_AND_MISS: "Hit and miss",
}
SIGNAL_WORDS = {"improvement": "Improvement", "concern": "Concern", "neither": "Neither improvement nor concern"}


def spc_series(
    measure: Measure,
    monthly: Mapping[str, float | None],
    year_to_date: Mapping[str, float | None] | None = None,
) -> dict[str, float | None]:
    """month → the figure a measure's XmR chart is drawn from: each month's own figure.

    The one rule for cumulative in-year measures: SPC reads the month's own figure (children
    who started care *in* June), never the year-to-date total, which climbs every month
    from April and so would always look like a rising trend. Where only year-to-date
    totals are given, a month's figure is its total less the month before's in the same
    financial year (April's total is April's own figure).
    """
    series = {m: v for m, v in monthly.items() if v is not None}
    if measure.cumulative_in_year and year_to_date:
        for month, total in year_to_date.items():
            if month in series or total is None:
                continue
            if month[5:7] == "04":
                series[month] = total
                continue
            before = year_to_date.get(add_months(month, -1))
            if before is not None:
                series[month] = total - before
    return dict(sorted(series.items()))


@dataclass(frozen=True)
class MeasureSpc:
    """A plan measure's SPC reading: the XmR chart of up to 24 months ending with one
    month, with its variation and assurance in words, as the dashboard, the measure
    page and every report show it."""

    chart: XmrChart
    variation: str
    variation_short: str
    assurance: str
    assurance_short: str
    signal: str
    """For a special-cause latest month: "improvement", "concern" or "neither"; else ""."""
    rules: tuple[str, ...] = ()
    """Each Making Data Count rule the latest month meets, in words."""
    warnings: tuple[str, ...] = ()

    @property
    def months(self) -> int:
        return len(self.chart.points)

    @property
    def signal_words(self) -> str:
        return SIGNAL_WORDS.get(self.signal, "")

    def special_causes(self, months: Iterable[str]) -> list[SpcPoint]:
        """The special-cause points among ``months``."""
        wanted = set(months)
        return [p for p in self.chart.points if p.period in wanted and p.special_causes]


def measure_spc(
    measure: Measure,
    series: Mapping[str, float | None],
    month: str,
    target: float | None,
    *,
    rules: SpcRules | None = None,
) -> MeasureSpc | None:
    """The XmR chart of up to :data:`SPC_MONTHS` consecutive months of ``series`` (from
    :func:`spc_series`) ending with ``month``; ``None`` under :data:`SPC_MINIMUM`.

    A cumulative in-year measure's target is for the year to date, so it is not set
    against the chart of monthly figures (no assurance reading).
    """
    if measure.cumulative_in_year:
        target = None
    months: list[str] = []
    values: list[float] = []
    m = month
    while len(months) < SPC_MONTHS and series.get(m) is not None:
        months.insert(0, m)
        values.insert(0, float(series[m]))  # type: ignore[arg-type]
        m = add_months(m, -1)
    if len(values) < SPC_MINIMUM:
        return None
    try:
        chart = xmr(
            values, months, improvement=Improvement.from_polarity(measure.polarity.value),
            target=target, rules=rules,
        )
    except SpcError:
        return None
    if chart.assurance_icon is not None:
        assurance, assurance_short = chart.assurance_icon.value, ASSURANCE_SHORT[chart.assurance_icon]
    elif measure.cumulative_in_year:
        assurance = "Not assessed: the target is for the year to date, the chart of each month's figure"
        assurance_short = "Not assessed"
    elif target is None:
        assurance, assurance_short = "No target to assure against", "No target"
    else:
        assurance, assurance_short = "No better direction to assure against (within a range)", "Not assessed"
    latest = chart.points[-1]
    signal = {
        Variation.IMPROVEMENT: "improvement", Variation.CONCERN: "concern", Variation.NEITHER: "neither",
    }.get(latest.variation, "")
    return MeasureSpc(
        chart=chart,
        variation=chart.variation_icon.value,
        variation_short=VARIATION_SHORT[chart.variation_icon],
        assurance=assurance,
        assurance_short=assurance_short,
        signal=signal,
        rules=_rules_in_words(measure, chart, values),
        warnings=chart.warnings,
    )


def _rules_in_words(measure: Measure, chart: XmrChart, values: list[float]) -> tuple[str, ...]:
    from journey.engine.evaluation import format_value

    latest = chart.points[-1]
    decimals = max(measure.display_decimals, 1)  # a limit of 27.4 audits is not 27
    fmt = lambda v: format_value(v, measure.unit, decimals)  # noqa: E731
    above = latest.value > latest.mean
    words = []
    for cause in latest.special_causes:
        if cause is SpecialCause.OUTSIDE_LIMITS:
            words.append(
                f"a point above the upper process limit ({fmt(latest.upper_limit)})"
                if latest.value > latest.upper_limit
                else f"a point below the lower process limit ({fmt(latest.lower_limit)})"
            )
        elif cause is SpecialCause.SHIFT:
            words.append(
                f"a run of {chart.rules.shift_points} or more months {'above' if above else 'below'} "
                f"the mean ({fmt(latest.mean)})"
            )
        elif cause is SpecialCause.TREND:
            rising = values[-1] > values[-2]
            words.append(
                f"{chart.rules.trend_points} or more months in a row all {'rising' if rising else 'falling'}"
            )
        elif cause is SpecialCause.TWO_OF_THREE:
            words.append(
                f"two of the last three months close to the {'upper' if above else 'lower'} process limit"
            )
    return tuple(words)
