"""RAG rating of an improvement-plan action: progress against the time elapsed.

The rule, in the order it is applied (the first that matches decides):

1. **Completed** is Green, whatever the dates.
2. **Overdue** — today is after the due date and the action is not completed — is Red.
3. **Blocked** is Red: the action cannot move until someone removes the obstacle, which
   is what the board needs to see.
4. **No start date**: expected progress cannot be worked out, so the action is judged
   on its due date alone and is Green until it becomes overdue (rule 2).
5. Otherwise the **expected progress** is the share of the time between the start and
   due dates that has elapsed, ``expected = elapsed days / total days × 100``, rounded
   to a whole percentage and kept between 0 and 100 (before the start date nothing is
   expected). The action's percentage complete (0–100) is compared with it:

   - Green if percent complete ≥ expected;
   - Amber if it is behind by no more than ``AMBER_TOLERANCE_POINTS`` (20) points;
   - Red if it is further behind.

The due date is the last day on which the action is on time: it is overdue from the
next day. Every assessment carries its reason in words, for the action page and the
board pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

AMBER_TOLERANCE_POINTS = 20

COMPLETED_STATUSES = frozenset({"completed", "complete", "done"})
BLOCKED_STATUSES = frozenset({"blocked"})


class ActionRag(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def label(self) -> str:
        return self.value.capitalize()


@dataclass(frozen=True)
class ActionAssessment:
    rag: ActionRag
    reason: str
    expected_percent: int | None
    overdue: bool
    days_overdue: int


def format_date(day: date) -> str:
    """``1 Apr 2024``: short enough for a table, unambiguous in any locale."""
    return f"{day.day} {day:%b %Y}"


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


def expected_percent(start: date, due: date, today: date) -> int:
    """Share of the time from ``start`` to ``due`` that has elapsed by ``today`` (0–100)."""
    if today <= start:
        return 0
    if today >= due:
        return 100
    total = (due - start).days
    elapsed = (today - start).days
    return max(0, min(100, round(100 * elapsed / total)))


def _status_key(status: object) -> str:
    value = getattr(status, "value", status)
    return str(value).strip().lower().replace(" ", "_").replace("-", "_")


def assess_action(
    *,
    due: date,
    today: date,
    status: object,
    percent_complete: int | None = 0,
    start: date | None = None,
) -> ActionAssessment:
    """Rate one action on ``today``; see the module docstring for the rule."""
    key = _status_key(status)
    percent = max(0, min(100, int(percent_complete or 0)))

    if key in COMPLETED_STATUSES:
        return ActionAssessment(ActionRag.GREEN, "Completed.", 100, False, 0)

    if today > due:
        late = (today - due).days
        return ActionAssessment(
            ActionRag.RED,
            f"Overdue: it was due on {format_date(due)} ({_days(late)} ago) "
            f"and is {percent}% complete.",
            100 if start is not None else None,
            True,
            late,
        )

    if key in BLOCKED_STATUSES:
        return ActionAssessment(
            ActionRag.RED,
            f"Blocked: it cannot progress until the obstacle is removed "
            f"({percent}% complete, due {format_date(due)}).",
            expected_percent(start, due, today) if start is not None else None,
            False,
            0,
        )

    if start is None:
        left = (due - today).days
        return ActionAssessment(
            ActionRag.GREEN,
            f"No start date, so it is judged on its due date only: due "
            f"{format_date(due)}, in {_days(left)}.",
            None,
            False,
            0,
        )

    if today < start:
        return ActionAssessment(
            ActionRag.GREEN,
            f"Not due to start until {format_date(start)}.",
            0,
            False,
            0,
        )

    expected = expected_percent(start, due, today)
    total = max((due - start).days, 0)
    elapsed = min(max((today - start).days, 0), total)
    timing = (
        f"{_days(elapsed)} of {_days(total)} between {format_date(start)} and "
        f"{format_date(due)} have passed"
    )
    behind = expected - percent
    if behind <= 0:
        rag = ActionRag.GREEN
        verdict = "on track"
    elif behind <= AMBER_TOLERANCE_POINTS:
        rag = ActionRag.AMBER
        verdict = f"behind by {behind} points (no more than {AMBER_TOLERANCE_POINTS})"
    else:
        rag = ActionRag.RED
        verdict = f"behind by {behind} points (more than {AMBER_TOLERANCE_POINTS})"
    return ActionAssessment(
        rag,
        f"{percent}% complete against {expected}% expected ({timing}): {verdict}.",
        expected,
        False,
        0,
    )
