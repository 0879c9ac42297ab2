"""Periods and calendars: months, financial years, in-year to date, rolling 12 months,
the "latest" snapshot, and working days.

Conventions used everywhere in the product:

* A **month** is written ``YYYY-MM`` (``"2023-09"``). Functions that take a month also
  accept a :class:`datetime.date` and use the month it falls in.
* A **financial year** runs 1 April to 31 March. It is named by the calendar year in
  which it starts (``2023`` is 1 April 2023 – 31 March 2024) and labelled ``"2023-24"``.
* **In year to date** for a month is 1 April of its financial year to the month's last day.
* **Rolling 12 months** for a month is the twelve months ending with it, first day of the
  earliest to last day of the month (``2023-06`` → 2022-07-01 to 2023-06-30).
* **Latest**: an extract taken part-way through a month gives a "Latest" figure beside
  the last complete month; :func:`last_complete_month` and :func:`latest_snapshot` say
  which month that is.
* **Working days** are Monday to Friday less England and Wales bank holidays (the
  ``holidays`` package, ``holidays.UK(subdiv="ENG")``, which includes one-off days such
  as the 19 September 2022 state funeral and the 8 May 2023 coronation, and substitute
  days such as 27 December 2022).

  ``working_days_between(start, end)`` counts the working days *d* with
  ``start < d <= end``: the day an event starts is not counted, the day it ends is.
  A referral on Monday 5 June 2023 authorised on Monday 12 June 2023 took **5** working
  days; authorised the same day, **0**. An assessment "within 45 working days" is one
  with ``working_days_between(start, authorised) <= 45``. When ``end`` is before
  ``start`` the count is negative (``-working_days_between(end, start)``).

  ``add_working_days(day, n)`` is the ``n``-th working day after ``day`` (``day`` itself
  not counted; negative ``n`` counts back; ``0`` gives ``day``). For ``n >= 1`` it is the
  earliest date ``e`` with ``working_days_between(day, e) == n``, so a deadline of "15
  working days after the strategy discussion" is ``add_working_days(strategy, 15)``, and
  the conference is in time when held on or before it.

  The Polars forms :func:`working_days_expr` and :func:`add_working_days_expr` give the
  same answers as the scalar forms on every row (a test checks them against each other).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays as _holidays
import polars as pl

__all__ = [
    "HOLIDAY_YEARS",
    "FinancialYear",
    "LatestSnapshot",
    "MonthLike",
    "add_months",
    "add_working_days",
    "add_working_days_expr",
    "bank_holidays",
    "bank_holidays_between",
    "financial_year",
    "financial_year_label",
    "financial_year_start_year",
    "is_month",
    "is_working_day",
    "last_complete_month",
    "latest_snapshot",
    "month_end",
    "month_key",
    "month_label",
    "month_range",
    "month_start",
    "months_between",
    "months_into_financial_year",
    "parse_month",
    "previous_month",
    "rolling_12_months",
    "working_days_between",
    "working_days_expr",
    "year_to_date",
]

MonthLike = str | date
"""A month as ``"YYYY-MM"`` or any date within it."""

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Bank holidays are generated for this range of years; the Polars forms pass the whole
# list, so it covers every date the product plausibly meets (statutory data from 2000,
# plans to 2050). Scalar look-ups outside it still work (generated on demand).
HOLIDAY_YEARS = range(1990, 2061)


# --------------------------------------------------------------------------- months


def is_month(text: object) -> bool:
    """True when ``text`` is a string ``YYYY-MM`` with a month 01–12."""
    if not isinstance(text, str):
        return False
    m = _MONTH_RE.match(text)
    return m is not None and 1 <= int(m.group(2)) <= 12


def parse_month(month: MonthLike) -> date:
    """The first day of ``month`` (``"2023-09"`` or a date).

    Raises ``ValueError`` with a readable message for anything else
    (``'Sep-23' is not a month in the form YYYY-MM (e.g. 2023-09)``).
    """
    if isinstance(month, date):
        return month.replace(day=1)
    if isinstance(month, str):
        m = _MONTH_RE.match(month.strip())
        if m and 1 <= int(m.group(2)) <= 12:
            return date(int(m.group(1)), int(m.group(2)), 1)
    raise ValueError(f"{month!r} is not a month in the form YYYY-MM (e.g. 2023-09)")


def month_key(month: MonthLike) -> str:
    """``"YYYY-MM"`` for a month or date."""
    d = parse_month(month)
    return f"{d.year:04d}-{d.month:02d}"


def month_start(month: MonthLike) -> date:
    """The first day of the month."""
    return parse_month(month)


def month_end(month: MonthLike) -> date:
    """The last day of the month."""
    d = parse_month(month)
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def add_months(month: MonthLike, n: int) -> str:
    """The month ``n`` months after ``month`` (negative ``n`` goes back), as ``YYYY-MM``."""
    d = parse_month(month)
    index = d.year * 12 + (d.month - 1) + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_month(month: MonthLike) -> str:
    """The month before, as ``YYYY-MM``."""
    return add_months(month, -1)


def months_between(first: MonthLike, last: MonthLike) -> int:
    """How many months ``last`` is after ``first`` (``2023-04`` → ``2023-06`` is 2)."""
    a, b = parse_month(first), parse_month(last)
    return (b.year - a.year) * 12 + (b.month - a.month)


def month_range(first: MonthLike, last: MonthLike) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive (empty when ``last`` is earlier)."""
    return [add_months(first, i) for i in range(months_between(first, last) + 1)]


def month_label(month: MonthLike) -> str:
    """The short label boards use: ``"Sep-2023"``."""
    d = parse_month(month)
    return f"{_MONTH_NAMES[d.month - 1]}-{d.year}"



# ------------------------------------------------------------------ financial years


@dataclass(frozen=True, order=True)
class FinancialYear:
    """A financial year, 1 April ``start_year`` to 31 March ``start_year + 1``."""

    start_year: int

    @property
    def start(self) -> date:
        return date(self.start_year, 4, 1)

    @property
    def end(self) -> date:
        return date(self.start_year + 1, 3, 31)

    @property
    def label(self) -> str:
        """``"2023-24"``."""
        return f"{self.start_year}-{(self.start_year + 1) % 100:02d}"

    @property
    def months(self) -> list[str]:
        """The twelve months, April to March."""
        return month_range(self.start, date(self.start_year + 1, 3, 1))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def __str__(self) -> str:
        return self.label


def financial_year_start_year(day: MonthLike) -> int:
    """The calendar year in which the financial year containing ``day`` starts."""
    d = parse_month(day) if isinstance(day, str) else day
    return d.year if d.month >= 4 else d.year - 1


def financial_year(day: MonthLike) -> FinancialYear:
    """The financial year containing a date or month."""
    return FinancialYear(financial_year_start_year(day))


def financial_year_label(day: MonthLike) -> str:
    """``"2023-24"`` for any date or month from April 2023 to March 2024."""
    return financial_year(day).label


def months_into_financial_year(month: MonthLike) -> int:
    """1 for April, 2 for May, ... 12 for March."""
    return (parse_month(month).month - 4) % 12 + 1


def year_to_date(month: MonthLike) -> tuple[date, date]:
    """In year to date: (1 April of the month's financial year, last day of the month)."""
    return financial_year(month).start, month_end(month)


def rolling_12_months(month: MonthLike) -> tuple[date, date]:
    """The twelve months ending with ``month``: (first day, last day), both inclusive.

    ``rolling_12_months("2023-06")`` is ``(date(2022, 7, 1), date(2023, 6, 30))``.
    """
    return month_start(add_months(month, -11)), month_end(month)


# --------------------------------------------------------------------------- latest


@dataclass(frozen=True)
class LatestSnapshot:
    """What a data extract taken on ``as_at`` can report.

    ``month`` is the last complete month (the board's reporting month); ``is_mid_month``
    is true when the extract also covers part of the following month, which is then shown
    as a "Latest" value dated ``as_at``.
    """

    as_at: date
    month: str
    is_mid_month: bool

    @property
    def label(self) -> str:
        """``"Latest (12 Jul 2023)"``."""
        return f"Latest ({self.as_at.day} {_MONTH_NAMES[self.as_at.month - 1]} {self.as_at.year})"


def last_complete_month(as_at: date) -> str:
    """The last month wholly covered by data complete up to and including ``as_at``.

    Data as at 31 July 2023 completes July (``"2023-07"``); as at 12 July it completes
    June (``"2023-06"``).
    """
    if as_at == month_end(as_at):
        return month_key(as_at)
    return previous_month(as_at)


def latest_snapshot(as_at: date) -> LatestSnapshot:
    """The reporting month and whether there is a mid-month "Latest" for ``as_at``."""
    month = last_complete_month(as_at)
    return LatestSnapshot(as_at=as_at, month=month, is_mid_month=as_at > month_end(month))


# ----------------------------------------------------------------- working days


@lru_cache(maxsize=256)
def _holidays_for_year(year: int) -> frozenset[date]:
    return frozenset(_holidays.UK(subdiv="ENG", years=year).keys())


def bank_holidays(years: Iterable[int] | None = None) -> tuple[date, ...]:
    """England and Wales bank holidays for ``years`` (default :data:`HOLIDAY_YEARS`), sorted.

    Includes days that fall on a weekend (e.g. Christmas Day 2022, a Sunday) and their
    substitute weekdays (27 December 2022).
    """
    if years is None:
        return _all_holidays()
    return tuple(sorted(d for y in set(years) for d in _holidays_for_year(y)))


@lru_cache(maxsize=1)
def _all_holidays() -> tuple[date, ...]:
    return tuple(sorted(d for y in HOLIDAY_YEARS for d in _holidays_for_year(y)))


@lru_cache(maxsize=1)
def _weekday_holidays() -> list[date]:
    """The list handed to Polars: bank holidays on weekdays only."""
    return [d for d in _all_holidays() if d.weekday() < 5]


def bank_holidays_between(start: date, end: date) -> list[date]:
    """Bank holidays from ``start`` to ``end`` inclusive."""
    years = range(start.year, end.year + 1)
    return [d for d in bank_holidays(years) if start <= d <= end]


def is_working_day(day: date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in _holidays_for_year(day.year)


def working_days_between(start: date, end: date) -> int:
    """Working days ``d`` with ``start < d <= end`` (negative when ``end < start``).

    Monday 5 June 2023 → Monday 12 June 2023 is 5; Friday 5 May 2023 → Tuesday 9 May 2023
    is 1 (the weekend and the coronation holiday on Monday 8 May don't count).
    """
    if end < start:
        return -working_days_between(end, start)
    # Whole weeks are 5 weekdays; only bank holidays in range need a look-up.
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    d = start + timedelta(days=weeks * 7)
    for _ in range(rest):
        d += timedelta(days=1)
        if d.weekday() < 5:
            count += 1
    return count - _weekday_holidays_in(start, end)


def _weekday_holidays_in(start: date, end: date) -> int:
    """Bank holidays on weekdays ``h`` with ``start < h <= end``."""
    if HOLIDAY_YEARS.start <= start.year and end.year < HOLIDAY_YEARS.stop:
        hols = _weekday_holidays()
        return bisect_right(hols, end) - bisect_right(hols, start)
    years = range(start.year, end.year + 1)
    return sum(1 for h in bank_holidays(years) if start < h <= end and h.weekday() < 5)


def add_working_days(day: date, n: int) -> date:
    """The ``n``-th working day after ``day`` (``n < 0``: before it), ``day`` not counted.

    ``add_working_days(date(2023, 5, 5), 1)`` is Tuesday 9 May 2023 (weekend, coronation);
    ``add_working_days(date(2023, 5, 9), -1)`` is Friday 5 May 2023. From a Saturday, one
    working day on is the Monday. ``n == 0`` gives ``day`` unchanged.
    """
    step = timedelta(days=1 if n > 0 else -1)
    remaining = abs(n)
    d = day
    while remaining:
        d += step
        if is_working_day(d):
            remaining -= 1
    return d


def _as_expr(value: pl.Expr | str | date) -> pl.Expr:
    if isinstance(value, pl.Expr):
        return value
    if isinstance(value, str):
        return pl.col(value)
    return pl.lit(value, dtype=pl.Date)


def working_days_expr(start: pl.Expr | str | date, end: pl.Expr | str | date) -> pl.Expr:
    """Polars form of :func:`working_days_between` for columns (names, exprs or dates).

    ``pl.business_day_count`` counts ``[start, end)``; shifting both ends by one day
    gives ``(start, end]``, the product's convention. Nulls give null.
    """
    one_day = pl.duration(days=1)
    s = _as_expr(start).cast(pl.Date) + one_day
    e = _as_expr(end).cast(pl.Date) + one_day
    hols = _weekday_holidays()
    # business_day_count is not symmetric when end < start and an end is a non-working
    # day, so count the ordered pair and apply the sign.
    return (
        pl.when(e >= s)
        .then(pl.business_day_count(s, e, holidays=hols))
        .otherwise(-pl.business_day_count(e, s, holidays=hols))
    )


def add_working_days_expr(start: pl.Expr | str | date, n: int | pl.Expr | str) -> pl.Expr:
    """Polars form of :func:`add_working_days`: the ``n``-th working day after ``start``.

    Uses ``Expr.dt.add_business_days`` with the bank-holiday list. A start on a weekend or
    holiday is rolled back to the previous working day before counting forward (and
    forward to the next one before counting back), which gives the scalar form's answer.
    ``n == 0`` gives the start date unchanged. ``n`` may be an int, a column name or an
    expression.
    """
    s = _as_expr(start).cast(pl.Date)
    hols = _weekday_holidays()
    if isinstance(n, int):
        if n == 0:
            return s
        return s.dt.add_business_days(n, holidays=hols, roll="backward" if n > 0 else "forward")
    n_expr = pl.col(n) if isinstance(n, str) else n
    return (
        pl.when(n_expr > 0)
        .then(s.dt.add_business_days(n_expr, holidays=hols, roll="backward"))
        .when(n_expr < 0)
        .then(s.dt.add_business_days(n_expr, holidays=hols, roll="forward"))
        .when(n_expr == 0)
        .then(s)
    )
