"""Action RAG, worked by hand.

The running example starts on 1 April 2024 and is due on 30 September 2024: 182 days
(30 + 31 + 30 + 31 + 31 + 29 to the 30th). On 1 July 2024, 91 days (30 + 31 + 30) have
passed: exactly half, so 50% progress is expected.
"""

from datetime import date
from enum import Enum

import pytest

from journey.engine.actions import (
    ActionRag,
    assess_action,
    expected_percent,
    format_date,
)

START = date(2024, 4, 1)
DUE = date(2024, 9, 30)
MIDWAY = date(2024, 7, 1)


def rate(percent, today=MIDWAY, status="in_progress", start=START, due=DUE):
    return assess_action(
        start=start, due=due, today=today, status=status, percent_complete=percent
    )


def test_half_the_time_gone_means_half_the_work_is_expected():
    assert expected_percent(START, DUE, MIDWAY) == 50


def test_nothing_is_expected_before_the_start_and_everything_by_the_due_date():
    assert expected_percent(START, DUE, date(2024, 3, 1)) == 0
    assert expected_percent(START, DUE, START) == 0
    assert expected_percent(START, DUE, DUE) == 100
    assert expected_percent(START, DUE, date(2025, 1, 1)) == 100


def test_expected_progress_is_rounded_to_a_whole_percentage():
    # 1 May 2024: 30 of 182 days, 16.48% -> 16.
    assert expected_percent(START, DUE, date(2024, 5, 1)) == 16


def test_progress_at_or_above_expected_is_green():
    assert rate(50).rag is ActionRag.GREEN
    assert rate(80).rag is ActionRag.GREEN
    assert "50% complete against 50% expected" in rate(50).reason
    assert "91 days of 182 days" in rate(50).reason


def test_twenty_points_behind_is_still_amber():
    result = rate(30)
    assert result.rag is ActionRag.AMBER
    assert result.expected_percent == 50
    assert "behind by 20 points" in result.reason


def test_twenty_one_points_behind_is_red():
    result = rate(29)
    assert result.rag is ActionRag.RED
    assert "behind by 21 points (more than 20)" in result.reason


def test_on_the_due_date_itself_the_action_is_not_yet_overdue():
    result = rate(90, today=DUE)
    assert not result.overdue
    assert result.rag is ActionRag.AMBER  # 100 expected, 90 done


def test_the_day_after_the_due_date_an_unfinished_action_is_overdue_and_red():
    result = rate(90, today=date(2024, 10, 1))
    assert result.rag is ActionRag.RED
    assert result.overdue
    assert result.days_overdue == 1
    assert result.reason == (
        "Overdue: it was due on 30 Sep 2024 (1 day ago) and is 90% complete."
    )


def test_a_completed_action_is_green_even_after_its_due_date():
    result = rate(100, today=date(2025, 2, 1), status="completed")
    assert result.rag is ActionRag.GREEN
    assert not result.overdue
    assert result.reason == "Completed."


def test_a_blocked_action_is_red_even_when_progress_is_ahead():
    result = rate(70, status="blocked")
    assert result.rag is ActionRag.RED
    assert result.reason.startswith("Blocked")


def test_an_action_not_yet_started_is_green_until_its_start_date():
    result = rate(0, today=date(2024, 3, 15), status="not_started")
    assert result.rag is ActionRag.GREEN
    assert result.reason == "Not due to start until 1 Apr 2024."


def test_an_action_that_should_have_started_but_has_not_slips_to_amber_then_red():
    # 1 May: 16% expected; 0 done is 16 behind -> amber. 1 June: 61/182 = 34% -> red.
    assert rate(0, today=date(2024, 5, 1), status="not_started").rag is ActionRag.AMBER
    assert rate(0, today=date(2024, 6, 1), status="not_started").rag is ActionRag.RED


def test_without_a_start_date_only_the_due_date_counts():
    result = rate(0, start=None, today=date(2024, 9, 20))
    assert result.rag is ActionRag.GREEN
    assert result.expected_percent is None
    assert "due 30 Sep 2024, in 10 days" in result.reason
    assert rate(0, start=None, today=date(2024, 10, 2)).rag is ActionRag.RED


def test_status_may_be_given_as_an_enum_or_in_words():
    class Status(Enum):
        DONE = "Completed"

    assert rate(10, status=Status.DONE).rag is ActionRag.GREEN
    assert rate(10, status="Completed").rag is ActionRag.GREEN


@pytest.mark.parametrize("percent,expected", [(-5, 0), (150, 100), (None, 0)])
def test_percent_complete_outside_zero_to_a_hundred_is_clamped(percent, expected):
    result = rate(percent, status="in_progress")
    assert f"{expected}% complete" in result.reason


def test_dates_are_written_day_month_year():
    assert format_date(date(2024, 4, 1)) == "1 Apr 2024"
