"""How far back an extract's referrals go, and the re-referral figures that cannot see far
enough back.

A re-referral is a referral with an earlier one of the same child within 12 months
(``rereferrals_12m_pct``). A referral from the extract's first year cannot be matched with
one the extract does not hold, so its figure is *understated*, never wrong in a visible
way. The product says so instead: the proposal of a load carries a check (acknowledged by
name), each understated figure carries a note (kept with the snapshot's figures, shown on
the measure page; ``journey compute`` writes it in its ``note`` column), and ``journey data
check`` says where the referrals are complete from.

Where an extract's referrals begin is read from the data, not from a date it states: an
extract of a window also holds the older referrals still open in it (a CIN census holds
every referral open in the year, however old), but none that closed before the window.
The referrals are taken as complete from the later of two months: the first month whose
referrals, and the first month whose closures, reach half the median monthly count of the
last 12 months that have any (:func:`referrals_complete_from`). A CIN census for 2023-24
gives April 2023: its older referrals are the ones still open then, and none closed
before.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import polars as pl

from journey.engine.measures.base import ENGINE
from journey.engine.periods import add_months, financial_year, month_key, month_label, parse_month

if TYPE_CHECKING:
    from journey.engine.measures.compute import Request

#: The measure whose figures need the year of referrals before them.
REREFERRALS = "rereferrals_12m_pct"


def referrals_complete_from(referrals: pl.LazyFrame | pl.DataFrame) -> date | None:
    """The first day of the first month from which the extract holds every referral (by
    the rule in the module notes); ``None`` when it holds no referral dates."""
    lf = referrals.lazy() if isinstance(referrals, pl.DataFrame) else referrals
    names = lf.collect_schema().names()
    counts = pl.collect_all(
        [
            lf.select(pl.col(c).dt.truncate("1mo").alias("month")).drop_nulls().group_by("month").len().sort("month")
            for c in ("referral_date", "closure_date")
            if c in names
        ],
        engine=ENGINE,
    )
    found = [d for d in (_dense_from(c["month"].to_list(), c["len"].to_list()) for c in counts) if d is not None]
    return max(found) if found else None


def _dense_from(months: list[date], sizes: list[int]) -> date | None:
    """The first month with at least half the median count of the last 12 months that
    have any (months sorted)."""
    if not months:
        return None
    recent_from = parse_month(add_months(months[-1], -11))
    reference = statistics.median(n for m, n in zip(months, sizes, strict=True) if m >= recent_from)
    return next(m for m, n in zip(months, sizes, strict=True) if n >= reference / 2)


@dataclass(frozen=True)
class ReferralHistory:
    """An extract's referrals complete from ``complete_from``: a re-referral figure whose
    period holds a referral before ``understated_before`` cannot see the whole ``months``
    months before it."""

    complete_from: date
    months: int = 12

    @property
    def understated_before(self) -> date:
        return parse_month(add_months(self.complete_from, self.months))

    def window_start(self, period: str, period_type: str) -> date:
        """The first day of the referrals a figure counts (``latest`` is year to date)."""
        if period_type == "month":
            return parse_month(period)
        if period_type == "rolling12":
            return parse_month(add_months(period, -11))
        return financial_year(parse_month(period)).start

    def understated(self, period: str, period_type: str) -> bool:
        return self.window_start(period, period_type) < self.understated_before

    def last_understated(self, period_type: str, last_month: str) -> str | None:
        """The last month (up to ``last_month``) whose ``period_type`` figure is understated
        (``None`` when none is)."""
        before = add_months(self.understated_before, -1)
        if period_type == "month":
            last = before
        elif period_type == "rolling12":
            last = add_months(self.understated_before, 10)
        else:  # year to date: every month of a year that starts before
            last = month_key(financial_year(parse_month(before)).end)
        last = min(last, month_key(last_month))
        return last if last >= month_key(self.complete_from) else None

    def note(self) -> str:
        return (
            f"Understated: the extract's referrals are complete only from {_month_words(self.complete_from)}, "
            f"so a referral before {_day_words(self.understated_before)} cannot be matched with one up to "
            f"{self.months} months earlier."
        )


def _month_words(day: date) -> str:
    return f"{day:%B %Y}"


def _day_words(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def rereferral_months(requests: Iterable[Request]) -> dict[str, int]:
    """Output id → months looked back, for each request of the re-referral measure."""
    from journey.engine.measures.registry import get

    return {
        r.output_id: int(get(REREFERRALS).resolve(r.parameters)["months"])
        for r in requests
        if r.library_id == REREFERRALS
    }


def window_start_expr(period: pl.Expr, period_type: pl.Expr) -> pl.Expr:
    """The first day of the referrals a figure counts, from its ``period`` (``YYYY-MM``)
    and ``period_type`` (``latest`` is year to date, as the re-referral measure's)."""
    month = pl.concat_str(period, pl.lit("-01")).str.to_date("%Y-%m-%d")
    fy_start = pl.date(month.dt.year() - (month.dt.month() < 4).cast(pl.Int32), 4, 1)
    return (
        pl.when(period_type == "month")
        .then(month)
        .when(period_type == "rolling12")
        .then(month.dt.offset_by("-11mo"))
        .otherwise(fy_start)
    )


def note_understated(figures: pl.DataFrame, complete_from: date | None, months_by_id: dict[str, int]) -> pl.DataFrame:
    """``figures`` (the observations contract) with a ``note`` column: on each re-referral
    figure whose period reaches back before the extract's referrals are complete, why it
    is understated; empty elsewhere."""
    if complete_from is None or not months_by_id:
        return figures.with_columns(pl.lit("", dtype=pl.String).alias("note"))
    histories = {mid: ReferralHistory(complete_from, months) for mid, months in months_by_id.items()}
    cut = pl.col("measure_id").replace_strict(
        {mid: h.understated_before for mid, h in histories.items()}, default=None, return_dtype=pl.Date
    )
    note = pl.col("measure_id").replace_strict(
        {mid: h.note() for mid, h in histories.items()}, default=None, return_dtype=pl.String
    )
    starts = window_start_expr(pl.col("period"), pl.col("period_type").fill_null("month"))
    return figures.with_columns(
        pl.when(cut.is_not_null() & (starts < cut)).then(note).otherwise(pl.lit("")).alias("note")
    )


def understated_summary(history: ReferralHistory, last_month: str) -> str:
    """Which figures up to ``last_month`` are understated, in words."""
    parts = []
    for period_type, words in (("month", "monthly"), ("fytd", "year-to-date"), ("rolling12", "rolling 12-month")):
        last = history.last_understated(period_type, last_month)
        if last is not None:
            parts.append(f"{words} figures to {month_label(last)}")
    return ", ".join(parts)
