"""Where an extract's referrals begin, and the re-referral figures that cannot see the 12
months before them; worked by hand in the comments."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from journey.engine.measures import Request
from journey.engine.measures.history import (
    ReferralHistory,
    note_understated,
    referrals_complete_from,
    rereferral_months,
    understated_summary,
)

from .helpers import extract, figure


def _referrals(monthly: dict[str, int], closures: dict[str, int] | None = None) -> pl.DataFrame:
    """``n`` referrals dated the 10th of each month given; then ``closures`` closure dates
    (the 20th of each month given) on the first referrals in order, the rest open."""
    dates = [date.fromisoformat(f"{m}-10") for m, n in monthly.items() for _ in range(n)]
    closed = [date.fromisoformat(f"{m}-20") for m, n in (closures or {}).items() for _ in range(n)]
    return pl.DataFrame(
        {
            "referral_date": dates,
            "closure_date": closed + [None] * (len(dates) - len(closed)),
        },
        schema={"referral_date": pl.Date, "closure_date": pl.Date},
    )


YEAR = [f"2023-{m:02d}" for m in range(4, 13)] + [f"2024-{m:02d}" for m in range(1, 4)]


def test_referrals_are_complete_from_the_first_month_with_half_the_recent_median():
    # Two old referrals still open (June 2021, November 2022: one each), then 4 a month
    # from April 2023 to March 2024. Median of the last 12 months: 4; half of it: 2. June
    # 2021 and November 2022 have 1, so the first month with 2 or more is April 2023.
    referrals = _referrals({"2021-06": 1, "2022-11": 1, **{m: 4 for m in YEAR}})
    assert referrals_complete_from(referrals) == date(2023, 4, 1)


def test_a_census_like_extract_is_complete_from_its_first_closures_not_its_older_open_referrals():
    # The older referrals still open at the start of the year are many (3 a month from
    # December 2022), so by referral dates alone the extract would look complete from
    # December 2022 (3 >= 4 / 2). But nothing closed before April 2023: closures are 6 in
    # April, 6 in May, then 1 a month; their median over the last 12 months is 1, and the
    # first month with 0.5 or more is April 2023. The later of the two: April 2023.
    older = {"2022-12": 3, "2023-01": 3, "2023-02": 3, "2023-03": 3}
    closures = {"2023-04": 6, "2023-05": 6, **{m: 1 for m in YEAR[2:]}}
    referrals = _referrals({**older, **{m: 4 for m in YEAR}}, closures)
    assert referrals_complete_from(referrals) == date(2023, 4, 1)
    assert referrals_complete_from(referrals.drop("closure_date")) == date(2022, 12, 1)


def test_no_referral_dates_give_no_start():
    assert referrals_complete_from(_referrals({})) is None


@pytest.mark.parametrize(
    ("period", "period_type", "understated"),
    [
        ("2024-03", "month", True),  # March 2024's referrals need February 2023 onwards
        ("2024-04", "month", False),  # April 2024's need April 2023 onwards: held
        ("2024-03", "fytd", True),  # April 2023 to March 2024
        ("2024-06", "fytd", False),  # April to June 2024
        ("2025-02", "rolling12", True),  # March 2024 to February 2025: March 2024 is short
        ("2025-03", "rolling12", False),  # April 2024 to March 2025
        ("2024-10", "latest", False),  # latest is year to date: from 1 April 2024, held
    ],
)
def test_a_figure_is_understated_when_its_referrals_start_within_a_year_of_the_history(
    period, period_type, understated
):
    history = ReferralHistory(date(2023, 4, 1))
    assert history.understated_before == date(2024, 4, 1)
    assert history.understated(period, period_type) is understated


def test_the_last_understated_figure_of_each_kind_and_the_summary_in_words():
    history = ReferralHistory(date(2023, 4, 1))
    assert history.last_understated("month", "2025-06") == "2024-03"
    assert history.last_understated("fytd", "2025-06") == "2024-03"
    assert history.last_understated("rolling12", "2025-06") == "2025-02"
    assert history.last_understated("rolling12", "2024-09") == "2024-09"  # no later than computed
    assert understated_summary(history, "2024-09") == (
        "monthly figures to Mar-2024, year-to-date figures to Mar-2024, rolling 12-month figures to Sep-2024"
    )
    # Complete from June 2023: 1 June 2024 is the cut, so May 2024's monthly figure is the
    # last understated, and the year to date April 2024 onwards (it starts before June).
    june = ReferralHistory(date(2023, 6, 1))
    assert june.last_understated("month", "2025-06") == "2024-05"
    assert june.last_understated("fytd", "2025-06") == "2025-03"


def test_only_the_understated_re_referral_figures_get_a_note():
    figures = pl.DataFrame(
        {
            "measure_id": ["rr", "rr", "rr", "rr6", "referrals"],
            "period": ["2024-03", "2024-04", "2025-02", "2023-11", "2024-03"],
            "period_type": ["month", "month", "rolling12", "month", "month"],
        }
    )
    noted = note_understated(figures, date(2023, 4, 1), {"rr": 12, "rr6": 6})
    notes = noted["note"].to_list()
    assert notes[0].startswith("Understated: the extract's referrals are complete only from April 2023")
    assert "before 1 April 2024 cannot be matched with one up to 12 months earlier" in notes[0]
    assert notes[1] == ""  # April 2024 sees back to April 2023
    assert notes[2] == notes[0]  # March 2024 to February 2025
    # Six months back: the cut is 1 October 2023, so November 2023 is complete.
    assert notes[3] == ""
    assert notes[4] == ""  # not a re-referral measure
    assert note_understated(figures, None, {"rr": 12})["note"].to_list() == [""] * 5


def test_the_re_referral_requests_and_their_months_are_found_by_library_measure():
    requests = [
        Request("rereferrals", "rereferrals_12m_pct"),
        Request("rereferrals_6", "rereferrals_12m_pct", {"months": 6}),
        Request("referrals", "referrals_count"),
    ]
    assert rereferral_months(requests) == {"rereferrals": 12, "rereferrals_6": 6}


def test_a_re_referral_the_extract_cannot_see_leaves_the_figure_low_which_is_why_it_is_noted():
    # Child a was referred on 1 February 2023 (not in the extract, which starts in April
    # 2023) and again on 1 June 2023: a re-referral DfE counts, which the extract cannot.
    # Child b was referred on 1 May 2023 and again on 1 June 2023: seen. June: 1 of 2.
    ex = extract(
        as_at="2023-06-30",
        referrals=[
            {"referral_id": "r1", "child_id": "a", "referral_date": "2023-06-01"},
            {"referral_id": "r2", "child_id": "b", "referral_date": "2023-05-01", "closure_date": "2023-05-20"},
            {"referral_id": "r3", "child_id": "b", "referral_date": "2023-06-01"},
        ],
    )
    june = figure(ex, "rereferrals_12m_pct", "2023-06")
    assert (june["numerator"], june["denominator"]) == (1, 2)  # DfE would count 2 of 2
    complete_from = referrals_complete_from(ex.tables["referrals"])
    assert complete_from == date(2023, 5, 1)
    noted = note_understated(pl.DataFrame([june]), complete_from, {"rereferrals_12m_pct": 12})
    assert noted["note"][0].startswith("Understated")
