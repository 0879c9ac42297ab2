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


# ---------------------------------------------------------------- as at a past day

from journey.engine.actions import ActionChange, ActionState, state_on  # noqa: E402

NOW = ActionState(
    number="3.1", text="Edge-of-care service", due=date(2025, 6, 30), start=date(2024, 4, 1),
    status="completed", percent_complete=100, progress_note="Service launched",
)
HISTORY = [
    ActionChange(date(2024, 4, 1), "imported", status_after="not_started", percent_after=0),
    ActionChange(date(2024, 9, 15), "updated", "not_started", "in_progress", 0, 40, note="Recruiting"),
    ActionChange(date(2025, 1, 10), "plan_changed", "in_progress", "in_progress", 40, 40,
                 changes={"due": ("2025-03-31", "2025-06-30")}),
    ActionChange(date(2025, 5, 2), "updated", "in_progress", "completed", 40, 100, note="Service launched"),
]


def test_an_action_is_worked_back_to_how_it_stood_at_the_end_of_a_past_day():
    september = state_on(NOW, HISTORY, date(2024, 9, 30))
    assert (september.status, september.percent_complete, september.due) == ("in_progress", 40, date(2025, 3, 31))
    assert september.progress_note == "Recruiting" and september.completed_on is None
    assessment = assess_action(due=september.due, start=september.start, today=date(2024, 9, 30),
                               status=september.status, percent_complete=september.percent_complete)
    assert not assessment.overdue and assessment.days_overdue == 0


def test_a_change_made_on_the_day_itself_counts_and_one_made_the_next_day_does_not():
    assert state_on(NOW, HISTORY, date(2024, 9, 15)).percent_complete == 40
    assert state_on(NOW, HISTORY, date(2024, 9, 14)).percent_complete == 0
    done = state_on(NOW, HISTORY, date(2025, 5, 2))
    assert done.status == "completed" and done.completed_on == date(2025, 5, 2)


def test_an_action_added_after_the_day_did_not_exist_then_if_actions_were_already_tracked():
    added_later = [ActionChange(date(2025, 2, 1), "imported", status_after="not_started", percent_after=0)]
    state = ActionState(number="5.1", text="New", due=date(2025, 12, 31), status="not_started")
    assert state_on(state, added_later, date(2024, 9, 30), tracked_since=date(2024, 4, 1)) is None


def test_when_tracking_started_later_the_first_record_is_used_and_says_so():
    started_late = [ActionChange(date(2024, 10, 14), "imported", status_after="in_progress", percent_after=30)]
    state = ActionState(number="1.2", text="Audit", due=date(2025, 3, 31), status="in_progress", percent_complete=30)
    old = state_on(state, started_late, date(2024, 9, 30), tracked_since=date(2024, 10, 14))
    assert old.percent_complete == 30 and old.first_recorded == date(2024, 10, 14)


def test_an_action_removed_from_the_plan_after_the_day_was_still_in_it_then():
    history = [ActionChange(date(2024, 4, 1), "imported", status_after="not_started", percent_after=0),
               ActionChange(date(2024, 11, 1), "removed")]
    state = ActionState(number="2.2", text="Old", due=date(2025, 1, 31), status="not_started", in_plan=False)
    assert state_on(state, history, date(2024, 9, 30)).in_plan
    assert not state_on(state, history, date(2024, 11, 1)).in_plan
