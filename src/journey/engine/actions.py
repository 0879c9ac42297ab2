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


# ------------------------------------------------------------------- as at a past day


@dataclass(frozen=True)
class ActionState:
    """An action as it stood: its definition in the plan and the progress recorded on it."""

    number: str
    text: str
    due: date
    status: str
    percent_complete: int = 0
    start: date | None = None
    owner: str = ""
    priority_id: str = ""
    priority_title: str = ""
    measures: tuple[str, ...] = ()
    progress_note: str = ""
    in_plan: bool = True
    completed_on: date | None = None
    first_recorded: date | None = None
    """Set when nothing was recorded by the day asked for, so the state is the first one
    recorded afterwards (the tracker started later): the day that first record was made."""


@dataclass(frozen=True)
class ActionChange:
    """One entry of an action's history, oldest first: what it was before and after.

    ``kind`` is ``imported`` (first recorded), ``updated`` (progress), ``plan_changed``
    (the plan file changed the definition or the progress; ``changes`` holds field →
    (old, new) for the definition), ``removed``, ``restored`` or ``evidence``.
    ``status_before``/``percent_before`` are empty/None when the change did not touch them.
    """

    day: date
    kind: str
    status_before: str = ""
    status_after: str = ""
    percent_before: int | None = None
    percent_after: int | None = None
    note: str = ""
    changes: dict[str, tuple[object, object]] | None = None


_DEFINITION_FIELDS = ("text", "owner", "priority_id", "priority_title", "start", "due", "measures")


def _as_field(name: str, value: object) -> object:
    if name in {"start", "due"} and isinstance(value, str):
        return date.fromisoformat(value)
    if name == "measures":
        return tuple(str(v) for v in value) if isinstance(value, (list, tuple)) else ()
    if name in {"text", "owner", "priority_id", "priority_title"}:
        return "" if value is None else str(value)
    return value


def state_on(
    current: ActionState,
    history: list[ActionChange],
    day: date,
    *,
    tracked_since: date | None = None,
) -> ActionState | None:
    """The action as it stood at the end of ``day``, worked back from ``current``.

    Every change made after ``day`` is undone, newest first: progress goes back to its
    ``before`` values, definition changes made in the plan go back to their old values, a
    removal after ``day`` means it was still in the plan, a restoration that it was not.
    An action first recorded after ``day`` did not exist then if actions were already
    tracked on ``day`` (``tracked_since``), and the answer is None; if tracking started
    later, the first recorded state is the best there is and ``first_recorded`` says so.
    """
    fields: dict[str, object] = {
        "text": current.text, "owner": current.owner, "priority_id": current.priority_id,
        "priority_title": current.priority_title, "start": current.start, "due": current.due,
        "measures": current.measures,
    }
    status, percent, in_plan = current.status, current.percent_complete, current.in_plan
    first_recorded: date | None = None
    for change in reversed(history):
        if change.day <= day:
            break
        if change.kind == "imported":
            if tracked_since is not None and tracked_since <= day:
                return None
            first_recorded = change.day
            break
        if change.status_before:
            status = change.status_before
        if change.percent_before is not None:
            percent = change.percent_before
        if change.kind == "removed":
            in_plan = True
        elif change.kind == "restored":
            in_plan = False
        for name, (old, _new) in (change.changes or {}).items():
            if name in _DEFINITION_FIELDS:
                fields[name] = _as_field(name, old)
    known = [c for c in history if c.day <= day] if first_recorded is None else []
    notes = [c.note for c in known if c.kind == "updated"]
    completed_on = None
    if _status_key(status) in COMPLETED_STATUSES:
        done = [c.day for c in known if _status_key(c.status_after) in COMPLETED_STATUSES]
        completed_on = done[-1] if done else None
    return ActionState(
        number=current.number,
        text=str(fields["text"]),
        due=fields["due"],  # type: ignore[arg-type]
        start=fields["start"],  # type: ignore[arg-type]
        owner=str(fields["owner"]),
        priority_id=str(fields["priority_id"]),
        priority_title=str(fields["priority_title"]),
        measures=tuple(fields["measures"]),  # type: ignore[arg-type]
        status=status,
        percent_complete=100 if _status_key(status) in COMPLETED_STATUSES else int(percent or 0),
        progress_note=notes[-1] if notes else "",
        in_plan=in_plan,
        completed_on=completed_on,
        first_recorded=first_recorded,
    )
