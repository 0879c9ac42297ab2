"""Evaluation: each measure's value for a month against the target and tolerance in force,
a RAG rating and a direction of travel, each with its reason in words.

The rules (``docs/plan-format.md`` has them with worked examples):

**Target in force.** For month *m*, the target of the first milestone on or after *m*;
once every milestone has passed, the last milestone's target.

**Cumulative in-year measures** (``cumulative_in_year: true``, e.g. children starting to
be looked after since 1 April) are profiled pro rata from 1 April. A milestone target *T*
at milestone month *M* is read as a pace of *T* ÷ k(M) a month, where k is the month's
position in its financial year (April 1 … March 12); the target for *m* is
*T* × k(m) ÷ k(M). With 60 by September (k = 6), June (k = 3) gets 30 and March 120.
The same formula applies when *M* is in a different financial year from *m* (e.g. the
only milestone is March 2025 and the month is June 2023: 3/12 of the March target) and
after the last milestone. Absolute tolerance amounts (``points``, ``lower``/``upper``,
``floor``, ``ceiling``) are scaled by the same fraction; ``percent`` applies to the
profiled target.

**RAG.** The value is first rounded to the measure's display decimals, so the colour
agrees with the figure the board reads.

* higher_is_better: Green at or above the target; Amber at or above the tolerance floor;
  else Red.
* lower_is_better: Green at or below the target; Amber at or below the tolerance
  ceiling; else Red.
* Explicit ``bands`` (required for within_range, optional otherwise): Green inside the
  green band, Amber inside the amber band, else Red (ends included).
* No tolerance on the measure → the plan's ``default_tolerance`` (a percent of target).
  The tolerance range is: ``percent`` p → target ± p% of target; ``points`` x → target ± x;
  ``lower``/``upper`` as written; ``floor`` / ``ceiling`` one-sided.
* No value → Not rated ("no value for Jun-2023"); no target and no bands → Not rated.

**Direction of travel** compares with the previous period (the previous month; three
months back for quarterly measures, twelve for annual), by polarity, not by sign: for
higher_is_better a rise is Improving; for lower_is_better a fall is Improving; for
within_range, moving closer to the middle of the green band is Improving. Equal (after
rounding) is No change; a missing value either side is Not comparable. For cumulative
in-year measures the comparison is of the average a month so far in the financial year
(value ÷ months elapsed), since the running total itself always grows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

import polars as pl

from journey.engine.periods import (
    MonthLike,
    add_months,
    month_key,
    month_label,
    months_into_financial_year,
)
from journey.engine.plan import Band, CumulativeDirection, Measure, Plan, Polarity, Tolerance, Unit

__all__ = [
    "Direction",
    "MeasureResult",
    "PlanEvaluation",
    "Rag",
    "TargetInForce",
    "direction_of_travel",
    "evaluate_measure",
    "evaluate_plan",
    "format_number",
    "format_value",
    "milestone_for",
    "rate",
    "round_half_up",
    "target_for",
    "tolerance_limit",
    "tolerance_text",
    "tolerance_words",
]


class Rag(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NOT_RATED = "not_rated"

    @property
    def label(self) -> str:
        return "Not rated" if self is Rag.NOT_RATED else self.value.capitalize()


class Direction(StrEnum):
    IMPROVING = "improving"
    WORSENING = "worsening"
    NO_CHANGE = "no_change"
    NOT_COMPARABLE = "not_comparable"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


# ----------------------------------------------------------------------- numbers


def round_half_up(value: float, decimals: int) -> float:
    """Round as people do (2.25 → 2.3 at 1 dp), not to even."""
    if not math.isfinite(value):
        return value
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(value)).quantize(q, rounding=ROUND_HALF_UP))


def _decimals_for(value: float, decimals: int) -> int:
    """``decimals``, or one more when that would hide part of the value (a profiled 466.67)."""
    if round_half_up(value, decimals) != round(value, 9) and decimals < 6:
        return decimals + 1
    return decimals


def format_number(value: float, decimals: int) -> str:
    """``1,234.5``: thousands separators, fixed decimals, never ``-0``."""
    text = f"{round_half_up(value, decimals):,.{decimals}f}"
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]
    return text


def format_value(value: float | None, unit: Unit | str, decimals: int | None = None, *, exact: bool = False) -> str:
    """A figure as the board reads it: ``85.0%``, ``612.3``, ``£1,200``, ``12.5 days``.

    ``decimals`` defaults to the unit's (counts and currency 0, others 1). With
    ``exact=True`` one more decimal is shown where needed so a non-round target such as a
    profiled 466.67 is not shown as 467.
    """
    if value is None:
        return "–"
    unit = Unit(unit)
    d = unit.default_decimals if decimals is None else decimals
    if exact:
        d = _decimals_for(value, d)
    if unit is Unit.PERCENT:
        return f"{format_number(value, d)}%"
    if unit is Unit.CURRENCY:
        text = format_number(abs(value), d)
        return f"-£{text}" if value < 0 and text.strip("0.,") else f"£{text}"
    if unit is Unit.DAYS:
        return f"{format_number(value, d)} days"
    return format_number(value, d)


# ------------------------------------------------------------------------ targets


@dataclass(frozen=True)
class TargetInForce:
    """The target and tolerance that apply to one measure in one month."""

    month: str
    target: float
    milestone: str
    milestone_target: float
    fraction: float = 1.0
    profiled: bool = False
    past_last_milestone: bool = False
    lower: float | None = None
    upper: float | None = None
    tolerance_kind: str = ""
    note: str = ""


def milestone_for(measure: Measure, month: MonthLike) -> tuple[str, float, bool] | None:
    """(milestone month, its target, whether every milestone has passed), or None."""
    m = month_key(month)
    milestones = measure.milestones
    if not milestones:
        return None
    for when, target in milestones:
        if when >= m:
            return when, target, False
    when, target = milestones[-1]
    return when, target, True


def _clean(x: float) -> float:
    return round(x, 9)


def _tolerance_range(tol: Tolerance, target: float, fraction: float) -> tuple[float | None, float | None]:
    kind = tol.kind
    if kind == "percent":
        assert tol.percent is not None
        spread = abs(target) * tol.percent / 100
        return _clean(target - spread), _clean(target + spread)
    if kind == "points":
        assert tol.points is not None
        spread = tol.points * fraction
        return _clean(target - spread), _clean(target + spread)
    if kind == "floor":
        assert tol.floor is not None
        return _clean(tol.floor * fraction), None
    if kind == "ceiling":
        assert tol.ceiling is not None
        return None, _clean(tol.ceiling * fraction)
    assert tol.lower is not None and tol.upper is not None
    return _clean(tol.lower * fraction), _clean(tol.upper * fraction)


def target_for(measure: Measure, month: MonthLike, default_tolerance: Tolerance | None = None) -> TargetInForce | None:
    """The target in force for ``month`` (profiled when cumulative), with its tolerance range.

    ``None`` when the measure has no milestones. ``default_tolerance`` (normally the plan's)
    is used when the measure has none; bands-rated measures carry no tolerance range.
    """
    m = month_key(month)
    found = milestone_for(measure, m)
    if found is None:
        return None
    when, milestone_target, past = found
    fraction = 1.0
    notes = []
    if measure.cumulative_in_year:
        k_m, k_when = months_into_financial_year(m), months_into_financial_year(when)
        fraction = k_m / k_when
        if k_m != k_when:
            notes.append(
                f"{format_value(milestone_target, measure.unit, measure.display_decimals, exact=True)} by "
                f"{month_label(when)}, profiled pro rata from 1 April: {k_m} of {k_when} months"
            )
    if past:
        notes.append(f"the last milestone, {month_label(when)}, has passed")
    target = _clean(milestone_target * fraction)
    lower = upper = None
    kind = ""
    tol = measure.tolerance or default_tolerance
    if measure.bands is None and tol is not None:
        lower, upper = _tolerance_range(tol, target, fraction)
        kind = tol.kind
    if measure.unit is Unit.COUNT and fraction != 1.0:
        # A profiled count is still a count of children or events: 92 a year by March is
        # 46 by September, and 9.2 by May is 9 (half up), never a fraction of a child.
        target = round_half_up(target, 0)
        lower = None if lower is None else round_half_up(lower, 0)
        upper = None if upper is None else round_half_up(upper, 0)
    return TargetInForce(
        month=m,
        target=target,
        milestone=when,
        milestone_target=milestone_target,
        fraction=fraction,
        profiled=measure.cumulative_in_year and fraction != 1.0,
        past_last_milestone=past,
        lower=lower,
        upper=upper,
        tolerance_kind=kind,
        note="; ".join(notes),
    )


# --------------------------------------------------------------------------- RAG


def _fmt(measure: Measure, value: float, exact: bool = True) -> str:
    return format_value(value, measure.unit, measure.display_decimals, exact=exact)


def _range_text(measure: Measure, lower: float | None, upper: float | None) -> str:
    if lower is not None and upper is not None:
        return f"{_fmt(measure, lower)}–{_fmt(measure, upper)}"
    if lower is not None:
        return f"({_fmt(measure, lower)} or above)"
    if upper is not None:
        return f"({_fmt(measure, upper)} or below)"
    return "(none)"


def _band_text(measure: Measure, band: Band) -> str:
    return _range_text(measure, band.lower, band.upper).strip("()")


def tolerance_limit(measure: Measure, tif: TargetInForce | None) -> float | None:
    """The one edge of the tolerance the rating reads: the floor when bigger is better, the
    ceiling when smaller is better (the other side of a two-sided range is never Amber)."""
    if tif is None or measure.bands is not None:
        return None
    return tif.lower if measure.polarity is Polarity.HIGHER_IS_BETTER else tif.upper


def tolerance_words(measure: Measure) -> str:
    """``Lower tolerance`` (bigger is better) or ``Upper tolerance`` (smaller is better)."""
    return "Lower tolerance" if measure.polarity is Polarity.HIGHER_IS_BETTER else "Upper tolerance"


def tolerance_text(measure: Measure, tif: TargetInForce | None) -> str:
    """The tolerance as a board reads it, one-sided as the rating reads it: ``Upper
    tolerance 28.0%``, ``Lower tolerance 75.0%``; or the bands of a banded measure."""
    if measure.bands is not None:
        return f"green {_band_text(measure, measure.bands.green)}, amber {_band_text(measure, measure.bands.amber)}"
    limit = tolerance_limit(measure, tif)
    if limit is None:
        return ""
    return f"{tolerance_words(measure)} {_fmt(measure, limit)}"


def rate(measure: Measure, value: float | None, month: MonthLike, default_tolerance: Tolerance | None = None) -> tuple[Rag, str, TargetInForce | None]:
    """(RAG, reason, target in force) for one value of one measure in one month."""
    m = month_key(month)
    tif = target_for(measure, m, default_tolerance)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Rag.NOT_RATED, f"Not rated: no value for {month_label(m)}", tif
    v = round_half_up(value, measure.display_decimals)
    shown = _fmt(measure, v, exact=False)
    note = f" ({tif.note})" if tif is not None and tif.note else ""

    if measure.bands is not None:
        green, amber = measure.bands.green, measure.bands.amber
        target_part = f"; target {_fmt(measure, tif.target)}" if tif is not None else ""
        if green.contains(v):
            return Rag.GREEN, f"Green: {shown} is within the green range {_band_text(measure, green)}{target_part}{note}", tif
        if amber.contains(v):
            return (
                Rag.AMBER,
                f"Amber: {shown} is outside the green range {_band_text(measure, green)} but within "
                f"the amber range {_band_text(measure, amber)}{target_part}{note}",
                tif,
            )
        return Rag.RED, f"Red: {shown} is outside the amber range {_band_text(measure, amber)}{target_part}{note}", tif

    if tif is None:
        return Rag.NOT_RATED, "Not rated: no target is set for this measure", tif
    target = tif.target
    tt = _fmt(measure, target)
    limit = tolerance_limit(measure, tif)
    tol = f"{tolerance_words(measure).lower()} of {_fmt(measure, limit)}" if limit is not None else "tolerance (none)"
    higher = measure.polarity is Polarity.HIGHER_IS_BETTER
    if v == target:
        return Rag.GREEN, f"Green: {shown} is at the target of {tt}{note}", tif
    better = v > target if higher else v < target
    side = "above" if v > target else "below"
    if better:
        return Rag.GREEN, f"Green: {shown} is {side} the target of {tt}{note}", tif
    within = limit is not None and (v >= limit if higher else v <= limit)
    if within:
        return Rag.AMBER, f"Amber: {shown} is {side} the target of {tt} but within the {tol}{note}", tif
    return Rag.RED, f"Red: {shown} is {side} the target of {tt} and outside the {tol}{note}", tif


# ------------------------------------------------------------- direction of travel

_PREVIOUS_WORDS = {1: "last month", 3: "last quarter", 12: "last year"}


def _previous_period(measure: Measure, month: str) -> str:
    return add_months(month, -measure.frequency.months)


def direction_of_travel(
    measure: Measure,
    value: float | None,
    previous: float | None,
    month: MonthLike,
    cumulative: CumulativeDirection | str = CumulativeDirection.MONTHLY_PACE,
    *,
    before: MonthLike | None = None,
    published_before: float | None = None,
) -> tuple[Direction, str]:
    """(direction, reason) comparing ``value`` for ``month`` with ``previous`` for the period before.

    ``before`` is the month ``previous`` belongs to (by default the period before, by the
    measure's frequency): the quarterly and scrutiny reports compare over longer spans by
    the same rule. ``cumulative`` is the plan's ``cumulative_direction``.

    ``published_before`` is the period before's figure as published, when it was: the
    comparison is always with ``previous`` (the figure now in use), and when the published
    one reads differently the reason says so: "(compared with 84.6%, revised from 84.0% as
    published)". A published month's own direction is not worked out again: it is kept as
    published.
    """
    direction, reason = _direction(measure, value, previous, month, cumulative, before)
    return direction, reason + _revised_note(measure, previous, published_before, cumulative)


def _revised_note(
    measure: Measure, previous: float | None, published: float | None, cumulative: CumulativeDirection | str
) -> str:
    """" (compared with 84.6%, revised from 84.0% as published)", or "" when the figure
    compared with reads as it was published (or either is missing)."""
    if previous is None or published is None or any(isinstance(v, float) and math.isnan(v) for v in (previous, published)):
        return ""
    d = measure.display_decimals
    now, then = format_value(previous, measure.unit, d), format_value(published, measure.unit, d)
    if now == then:
        return ""
    pace = measure.cumulative_in_year and CumulativeDirection(cumulative) is CumulativeDirection.MONTHLY_PACE
    return f" (compared with {now}{' in the year to date' if pace else ''}, revised from {then} as published)"


def _direction(
    measure: Measure,
    value: float | None,
    previous: float | None,
    month: MonthLike,
    cumulative: CumulativeDirection | str,
    before: MonthLike | None,
) -> tuple[Direction, str]:
    m = month_key(month)
    explicit = before is not None
    before = month_key(before) if before is not None else _previous_period(measure, m)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Direction.NOT_COMPARABLE, f"Not comparable: no value for {month_label(m)}"
    if previous is None or (isinstance(previous, float) and math.isnan(previous)):
        return Direction.NOT_COMPARABLE, f"Not comparable: no value for {month_label(before)} to compare with"
    d = measure.display_decimals
    v, p = round_half_up(value, d), round_half_up(previous, d)
    when = f"in {month_label(before)}" if explicit else _PREVIOUS_WORDS[measure.frequency.months]
    suffix = ""
    if measure.cumulative_in_year and CumulativeDirection(cumulative) is CumulativeDirection.MONTHLY_PACE:
        # Compare the pace so far this financial year, not the ever-growing running total.
        k_now, k_before = months_into_financial_year(m), months_into_financial_year(before)
        v, p = value / k_now, previous / k_before
        v, p = round_half_up(v, d + 1), round_half_up(p, d + 1)
        suffix = " a month so far in the financial year"
        shown_p = format_value(p, measure.unit, d + 1)
        shown_v = format_value(v, measure.unit, d + 1)
    else:
        shown_p = format_value(p, measure.unit, d)
        shown_v = format_value(v, measure.unit, d)
        if measure.cumulative_in_year:
            suffix = " in the year to date"

    if measure.polarity is Polarity.WITHIN_RANGE and measure.bands is not None:
        green = measure.bands.green
        if green.lower is None or green.upper is None:
            return Direction.NOT_COMPARABLE, "Not comparable: the green band has an open end, so it has no middle"
        middle = (green.lower + green.upper) / 2
        gap_v, gap_p = round(abs(v - middle), 9), round(abs(p - middle), 9)
        mid = format_value(middle, measure.unit, d, exact=True)
        why = f"closer to the middle of the green range {_band_text(measure, green)} ({mid}) is better"
        if gap_v == gap_p:
            if v == p:
                return Direction.NO_CHANGE, f"No change: {shown_p}{suffix} {when} and now"
            return Direction.NO_CHANGE, f"No change: {shown_p} {when} → {shown_v}, the same distance from the middle ({mid})"
        if gap_v < gap_p:
            return Direction.IMPROVING, f"Improving: {shown_p} {when} → {shown_v}, {why}"
        return Direction.WORSENING, f"Worsening: {shown_p} {when} → {shown_v}, {why}"

    if v == p:
        return Direction.NO_CHANGE, f"No change: {shown_p}{suffix} {when} and now"
    bigger_better = measure.polarity is not Polarity.LOWER_IS_BETTER
    why = "bigger is better" if bigger_better else "smaller is better"
    improving = v > p if bigger_better else v < p
    if improving:
        return Direction.IMPROVING, f"Improving: {shown_p}{suffix} {when} → {shown_v}, {why}"
    return Direction.WORSENING, f"Worsening: {shown_p}{suffix} {when} → {shown_v}, {why}"


# ---------------------------------------------------------------------- results


@dataclass(frozen=True)
class MeasureResult:
    """Everything the dashboard and reports show for one measure in one month."""

    measure_id: str
    title: str
    priority: str
    priority_title: str
    period: str
    unit: str
    polarity: str
    value: float | None
    value_text: str
    target: float | None
    target_text: str
    milestone: str | None
    tolerance: str
    tolerance_lower: float | None
    tolerance_upper: float | None
    rag: Rag
    reason: str
    previous_period: str
    previous_value: float | None
    direction: Direction
    direction_reason: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (enums as their string values)."""
        out = asdict(self)
        out["rag"] = self.rag.value
        out["direction"] = self.direction.value
        return out


def evaluate_measure(
    measure: Measure,
    month: MonthLike,
    value: float | None,
    previous: float | None,
    *,
    default_tolerance: Tolerance | None = None,
    priority: str = "",
    priority_title: str = "",
    cumulative_direction: CumulativeDirection | str = CumulativeDirection.MONTHLY_PACE,
    published_before: float | None = None,
) -> MeasureResult:
    """Rate one measure for one month and compare with the period before (``previous``,
    the figure in use; ``published_before``, that figure as published, if it was:
    :func:`direction_of_travel`)."""
    m = month_key(month)
    rag, reason, tif = rate(measure, value, m, default_tolerance)
    direction, direction_reason = direction_of_travel(
        measure, value, previous, m, cumulative_direction, published_before=published_before
    )
    d = measure.display_decimals
    return MeasureResult(
        measure_id=measure.id,
        title=measure.title,
        priority=priority,
        priority_title=priority_title,
        period=m,
        unit=measure.unit.value,
        polarity=measure.polarity.value,
        value=value,
        value_text=format_value(value, measure.unit, d),
        target=tif.target if tif else None,
        target_text=format_value(tif.target, measure.unit, d, exact=True) if tif else "–",
        milestone=tif.milestone if tif else None,
        tolerance=tolerance_text(measure, tif),
        tolerance_lower=tif.lower if tif else None,
        tolerance_upper=tif.upper if tif else None,
        rag=rag,
        reason=reason,
        previous_period=_previous_period(measure, m),
        previous_value=previous,
        direction=direction,
        direction_reason=direction_reason,
    )


@dataclass
class PlanEvaluation:
    """The whole plan evaluated for one month."""

    period: str
    results: list[MeasureResult]
    warnings: list[str] = field(default_factory=list)

    def by_priority(self) -> dict[str, list[MeasureResult]]:
        out: dict[str, list[MeasureResult]] = {}
        for r in self.results:
            out.setdefault(r.priority, []).append(r)
        return out

    def counts(self) -> dict[str, int]:
        """How many measures are green, amber, red, not rated."""
        out = {r.value: 0 for r in Rag}
        for res in self.results:
            out[res.rag.value] += 1
        return out


def evaluate_plan(
    plan: Plan,
    observations: pl.DataFrame | Mapping[str, Mapping[str, float | None]],
    month: MonthLike,
    *,
    published: Mapping[str, Mapping[str, float | None]] | None = None,
) -> PlanEvaluation:
    """Evaluate every measure of the plan for ``month``.

    ``published`` (measure id → month → figure as published) gives the published figures
    of earlier months: a direction of travel compared with one revised since says so.

    ``observations`` is a validated observations frame (see
    :mod:`journey.engine.observations`; cumulative in-year measures are rated on their
    ``fytd`` figure where one is given) or a plain mapping ``{measure_id: {"YYYY-MM":
    value}}``. Figures for measures the plan does not have are reported in ``warnings``
    and not used.
    """
    from journey.engine.observations import unknown_measure_ids, values_for_evaluation

    m = month_key(month)
    if isinstance(observations, pl.DataFrame):
        values = values_for_evaluation(observations, plan)
        unknown = unknown_measure_ids(observations, plan)
    else:
        values = {k: dict(v) for k, v in observations.items()}
        unknown = sorted(set(values) - {ms.id for ms in plan.measures})
    results = []
    for priority, measure in plan.iter_measures():
        series = values.get(measure.id, {})
        results.append(
            evaluate_measure(
                measure,
                m,
                series.get(m),
                series.get(_previous_period(measure, m)),
                default_tolerance=plan.default_tolerance,
                priority=priority.id,
                priority_title=priority.title,
                cumulative_direction=plan.cumulative_direction,
                published_before=(published or {}).get(measure.id, {}).get(_previous_period(measure, m)),
            )
        )
    warnings = [f"figures for '{u}' were not used: it is not a measure in this plan" for u in unknown]
    return PlanEvaluation(period=m, results=results, warnings=warnings)
