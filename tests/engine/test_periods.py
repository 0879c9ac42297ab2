"""Periods and working days, on dates worked out by hand from the published bank holidays."""

from datetime import date, timedelta

import polars as pl
import pytest

from journey.engine import periods as p

# (start, end, working days in (start, end]) — each worked out by hand.
WORKING_DAY_CASES = [
    # Referral Monday, authorised the next Monday: 5.
    (date(2023, 6, 5), date(2023, 6, 12), 5),
    (date(2023, 6, 5), date(2023, 6, 5), 0),
    (date(2023, 6, 12), date(2023, 6, 5), -5),
    # Coronation, Monday 8 May 2023: Fri 5 May -> Tue 9 May counts only the 9th.
    (date(2023, 5, 5), date(2023, 5, 9), 1),
    # Fri 28 Apr -> Fri 12 May: 10 weekdays less 1 May (early May) and 8 May (coronation).
    (date(2023, 4, 28), date(2023, 5, 12), 8),
    # Easter 2023: Good Friday 7 April, Easter Monday 10 April.
    (date(2023, 4, 6), date(2023, 4, 11), 1),
    (date(2023, 4, 6), date(2023, 4, 10), 0),
    # Christmas 2022 on a Sunday: Boxing Day Mon 26, Christmas substitute Tue 27 Dec.
    (date(2022, 12, 23), date(2022, 12, 28), 1),
    # Across the year end: 26-30 Dec and 2-4 Jan are 8 weekdays, less 26, 27 Dec and 2 Jan.
    (date(2022, 12, 23), date(2023, 1, 4), 5),
    # State funeral of Queen Elizabeth II, Monday 19 September 2022.
    (date(2022, 9, 16), date(2022, 9, 20), 1),
    # Weekends: Saturday -> Monday is one working day; Saturday -> Sunday none.
    (date(2023, 6, 3), date(2023, 6, 5), 1),
    (date(2023, 6, 3), date(2023, 6, 4), 0),
    # Starting on a holiday: Mon 8 May 2023 -> Fri 12 May is 4 (9-12 May).
    (date(2023, 5, 8), date(2023, 5, 12), 4),
    # Financial year 2023-24 (leap): 52 weeks from Sat 1 Apr 2023 plus Sat 30 and Sun 31
    # Mar 2024 = 260 weekdays, less 10 bank holidays (7, 10 Apr, 1, 8, 29 May, 28 Aug,
    # 25, 26 Dec, 1 Jan, Good Friday 29 Mar 2024).
    (date(2023, 3, 31), date(2024, 3, 31), 250),
]


@pytest.mark.parametrize(("start", "end", "expected"), WORKING_DAY_CASES)
def test_working_days_between_known_dates(start, end, expected):
    assert p.working_days_between(start, end) == expected


def test_working_day_expression_agrees_with_scalar_on_the_table():
    df = pl.DataFrame(
        {"start": [c[0] for c in WORKING_DAY_CASES], "end": [c[1] for c in WORKING_DAY_CASES]}
    )
    got = df.select(p.working_days_expr("start", "end").alias("n"))["n"].to_list()
    assert got == [c[2] for c in WORKING_DAY_CASES]


def test_working_day_expression_agrees_with_scalar_on_every_pair_of_a_winter():
    days = [date(2022, 12, 10) + timedelta(days=i) for i in range(40)]
    pairs = [(a, b) for a in days for b in days[::3]]
    df = pl.DataFrame({"a": [x for x, _ in pairs], "b": [y for _, y in pairs]})
    got = df.select(p.working_days_expr(pl.col("a"), pl.col("b")).alias("n"))["n"].to_list()
    assert got == [p.working_days_between(a, b) for a, b in pairs]


def test_working_day_expression_propagates_nulls():
    df = pl.DataFrame({"a": [date(2023, 1, 3), None], "b": [None, date(2023, 1, 3)]})
    assert df.select(p.working_days_expr("a", "b").alias("n"))["n"].to_list() == [None, None]


def test_add_working_days_known_dates():
    assert p.add_working_days(date(2023, 5, 5), 1) == date(2023, 5, 9)
    assert p.add_working_days(date(2023, 5, 9), -1) == date(2023, 5, 5)
    assert p.add_working_days(date(2023, 6, 3), 1) == date(2023, 6, 5)  # Saturday -> Monday
    assert p.add_working_days(date(2023, 6, 3), 0) == date(2023, 6, 3)
    # 45 working days after Monday 3 April 2023 (Easter, 1 May, 8 May, 29 May): 12 June.
    assert p.add_working_days(date(2023, 4, 3), 45) == date(2023, 6, 12)
    assert p.working_days_between(date(2023, 4, 3), date(2023, 6, 12)) == 45
    # 15 working days after Friday 16 Dec 2022: 19-23 (5), 28-30 (8), 3-6 Jan (12), 9-11 Jan.
    assert p.add_working_days(date(2022, 12, 16), 15) == date(2023, 1, 11)


def test_add_working_days_expression_agrees_with_scalar():
    starts = [date(2022, 12, 15) + timedelta(days=i) for i in range(0, 150, 2)]
    ns = [-12, -1, 0, 1, 5, 15, 45]
    rows = [(s, n) for s in starts for n in ns]
    df = pl.DataFrame({"s": [r[0] for r in rows], "n": [r[1] for r in rows]})
    got = df.select(p.add_working_days_expr("s", "n").alias("e"))["e"].to_list()
    assert got == [p.add_working_days(s, n) for s, n in rows]
    for n in ns:  # the constant form too
        got = df.select(p.add_working_days_expr("s", n).alias("e"))["e"].to_list()
        assert got == [p.add_working_days(s, n) for s, _ in rows]


def test_add_working_days_is_the_inverse_of_the_count():
    for i in range(60):
        start = date(2023, 3, 20) + timedelta(days=i)
        for n in (1, 10, 15, 45):
            end = p.add_working_days(start, n)
            assert p.working_days_between(start, end) == n
            assert p.working_days_between(start, end - timedelta(days=1)) == n - 1


def test_bank_holidays_include_one_off_and_substitute_days():
    hols = set(p.bank_holidays([2022, 2023]))
    for d in [date(2022, 9, 19), date(2023, 5, 8), date(2022, 12, 27), date(2023, 4, 7), date(2023, 4, 10)]:
        assert d in hols
        assert not p.is_working_day(d)
    assert p.is_working_day(date(2023, 5, 9))
    assert not p.is_working_day(date(2023, 5, 6))  # Saturday
    assert p.bank_holidays_between(date(2023, 4, 1), date(2023, 5, 31)) == [
        date(2023, 4, 7), date(2023, 4, 10), date(2023, 5, 1), date(2023, 5, 8), date(2023, 5, 29)
    ]


def test_months():
    assert p.parse_month("2023-09") == date(2023, 9, 1)
    assert p.month_key(date(2023, 9, 17)) == "2023-09"
    assert p.month_end("2024-02") == date(2024, 2, 29)
    assert p.month_end("2023-12") == date(2023, 12, 31)
    assert p.add_months("2023-12", 1) == "2024-01"
    assert p.add_months("2023-01", -1) == "2022-12"
    assert p.previous_month("2023-04") == "2023-03"
    assert p.months_between("2023-04", "2024-03") == 11
    assert p.month_range("2023-11", "2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert p.month_range("2024-02", "2023-11") == []
    assert p.month_label("2023-09") == "Sep-2023"
    assert p.is_month("2023-09") and not p.is_month("2023-13") and not p.is_month("Sep-23")


@pytest.mark.parametrize("bad", ["Sep-23", "2023-13", "2023-9", "", "2023-09-01"])
def test_parse_month_rejects_with_a_readable_message(bad):
    with pytest.raises(ValueError, match="is not a month in the form YYYY-MM"):
        p.parse_month(bad)


def test_financial_years():
    fy = p.financial_year(date(2024, 3, 31))
    assert (fy.start_year, fy.label, fy.start, fy.end) == (2023, "2023-24", date(2023, 4, 1), date(2024, 3, 31))
    assert p.financial_year("2023-04").label == "2023-24"
    assert p.financial_year("2023-03").label == "2022-23"
    assert p.financial_year_label("1999-12") == "1999-00"
    assert fy.months[0] == "2023-04" and fy.months[-1] == "2024-03" and len(fy.months) == 12
    assert date(2023, 4, 1) in fy and date(2024, 4, 1) not in fy
    assert p.months_into_financial_year("2023-04") == 1
    assert p.months_into_financial_year("2023-06") == 3
    assert p.months_into_financial_year("2023-09") == 6
    assert p.months_into_financial_year("2024-03") == 12


def test_in_year_and_rolling_windows():
    assert p.year_to_date("2024-02") == (date(2023, 4, 1), date(2024, 2, 29))
    assert p.year_to_date("2023-04") == (date(2023, 4, 1), date(2023, 4, 30))
    assert p.rolling_12_months("2023-06") == (date(2022, 7, 1), date(2023, 6, 30))
    assert p.rolling_12_months("2024-03") == (date(2023, 4, 1), date(2024, 3, 31))


def test_latest_snapshot():
    assert p.last_complete_month(date(2023, 7, 31)) == "2023-07"
    assert p.last_complete_month(date(2023, 7, 12)) == "2023-06"
    assert p.last_complete_month(date(2024, 1, 1)) == "2023-12"
    snap = p.latest_snapshot(date(2023, 7, 12))
    assert (snap.month, snap.is_mid_month, snap.label) == ("2023-06", True, "Latest (12 Jul 2023)")
    assert p.latest_snapshot(date(2023, 6, 30)).is_mid_month is False
