"""Vectorised helpers for the synthetic council: day numbers, working days, segments.

Dates are handled as ``int64`` day numbers (days since 1970-01-01, the Polars ``Date``
physical value) so that everything stays in NumPy until the frames are built.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache

import numpy as np
import polars as pl

from journey.engine import periods

_EPOCH = date(1970, 1, 1)

#: "No date": far enough from any real day to be recognised, small enough to stay exact.
NO_DAY = np.int64(-(2**40))

I64 = np.int64

#: A missing value for ``np.where``/``np.select`` on object arrays.
NULL = np.array(None, dtype=object)


def day(d: date) -> int:
    return (d - _EPOCH).days


def to_date(n: int) -> date:
    return date.fromordinal(_EPOCH.toordinal() + int(n))


@lru_cache(maxsize=1)
def _calendar() -> np.busdaycalendar:
    hols = [d for d in periods.bank_holidays() if d.weekday() < 5]
    return np.busdaycalendar(weekmask="1111100", holidays=np.array(hols, dtype="datetime64[D]"))


def add_working_days(days: np.ndarray, n: np.ndarray | int) -> np.ndarray:
    """The ``n``-th working day after each day (the day itself not counted), as
    :func:`journey.engine.periods.add_working_days` defines it, for arrays (``n >= 0``)."""
    d = np.asarray(days, dtype=I64).astype("datetime64[D]")
    n_arr = np.broadcast_to(np.asarray(n, dtype=I64), d.shape)
    out = np.busday_offset(d, n_arr, roll="backward", busdaycal=_calendar())
    out = np.where(n_arr == 0, d, out)
    return out.astype(I64)


def add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    d = np.asarray(days, dtype=I64).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(I64)
    target = m + np.asarray(months, dtype=I64)
    last = ((target + 1).astype("datetime64[D]") - 1 - target.astype("datetime64[D]")).astype(I64)
    return (target.astype("datetime64[D]").astype(I64) + np.minimum(dom, last)).astype(I64)


def add_years(days: np.ndarray, years: int) -> np.ndarray:
    return add_months(days, 12 * years)


def month_starts(first: date, last: date) -> np.ndarray:
    """Day numbers of the first day of each month from ``first``'s month to ``last``'s."""
    a = np.datetime64(first, "M")
    b = np.datetime64(last, "M")
    return np.arange(a, b + 1).astype("datetime64[D]").astype(I64)


def segments(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For segment sizes ``counts``: the segment of each element and its position in it."""
    counts = np.asarray(counts, dtype=I64)
    owner = np.repeat(np.arange(len(counts), dtype=I64), counts)
    starts = np.cumsum(counts) - counts
    position = np.arange(len(owner), dtype=I64) - np.repeat(starts, counts)
    return owner, position


def choose(
    rng: np.random.Generator, codes: Sequence[str], weights: Sequence[float], size: int
) -> np.ndarray:
    """Codes drawn with the given weights, as an array of Python strings."""
    p = np.asarray(weights, dtype=float)
    idx = rng.choice(len(codes), size=size, p=p / p.sum())
    return np.asarray(codes, dtype=object)[idx]


def choose_rows(
    rng: np.random.Generator, codes: Sequence[str], table: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """For each element, a code drawn with the weights in ``table[rows[i]]`` (rows = bands)."""
    p = np.asarray(table, dtype=float)
    p = p / p.sum(axis=1, keepdims=True)
    cum = np.cumsum(p, axis=1)[np.asarray(rows, dtype=I64)]
    u = rng.random(len(rows))[:, None]
    idx = np.minimum((u > cum).sum(axis=1), p.shape[1] - 1)
    return np.asarray(codes, dtype=object)[idx]


def lognormal_days(rng: np.random.Generator, median: float, sigma: float, size: int) -> np.ndarray:
    return np.maximum(1, np.round(rng.lognormal(np.log(median), sigma, size))).astype(I64)


def uniform_int(
    rng: np.random.Generator, low: np.ndarray | int, high: np.ndarray | int, size: int
) -> np.ndarray:
    """Integers from ``low`` to ``high`` inclusive (arrays broadcast)."""
    low_a = np.asarray(low, dtype=I64)
    high_a = np.asarray(high, dtype=I64)
    return (low_a + np.floor(rng.random(size) * (high_a - low_a + 1))).astype(I64)


def ids(prefix: str, numbers: np.ndarray, width: int = 9) -> pl.Series:
    s = pl.Series("n", np.asarray(numbers, dtype=I64))
    return pl.select(
        pl.concat_str([pl.lit(prefix), s.cast(pl.String).str.zfill(width)])
    ).to_series()


def labels(prefix: str, numbers: np.ndarray, width: int = 1) -> np.ndarray:
    """``prefix`` + zero-padded number for each number, as an object array of strings."""
    return ids(prefix, numbers, width).to_numpy().astype(object)
