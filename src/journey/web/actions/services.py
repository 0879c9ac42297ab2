"""Actions: kept in step with the plan, updated by their owners, rated by the engine rule.

* **Synchronisation.** The active plan defines the actions; :func:`ensure_synced` runs
  before actions are read and, when the plan's actions differ from those last
  synchronised (a fingerprint of them), calls :func:`sync`: new actions are added with
  the plan's status and percentage; actions still in the plan get the plan's number,
  text, owner, dates, priority and measures; the progress recorded here (status,
  percentage, note, evidence) is kept — unless the plan file itself changes an action's
  status or percentage, which is then applied and noted in the history; actions no
  longer in the plan are kept, marked "no longer in the plan", and hidden from the list
  unless asked for.
* **Updates.** The action's owner (matched as in :mod:`journey.web.accounts.ownership`),
  the data team and the director update status, percentage complete, a progress note
  and evidence (text and an optional link). Marking an action completed sets it to 100%.
  A blocked action needs a note saying what blocks it. Each update carries the version
  it was based on; a stale update is refused (:class:`ActionConflict`).
* **RAG** is :func:`journey.engine.actions.assess_action` on today's date (Europe/London).
* Everything is recorded in the history (``ActionUpdate``) and the audit log.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from journey.engine.actions import (
    ActionChange,
    ActionRag,
    ActionState,
    assess_action,
    format_date,
    state_on,
)
from journey.web.accounts.audit import record
from journey.web.accounts.ownership import acts_on_all, is_owner
from journey.web.accounts.roles import Capability
from journey.web.actions.models import (
    ActionEvidence,
    ActionUpdate,
    PlanSync,
    Status,
    TrackedAction,
    UpdateKind,
)
from journey.web.narrative.planlink import current_plan

RAG_ORDER = {ActionRag.RED: 1, ActionRag.AMBER: 2, ActionRag.GREEN: 3}


class ActionError(Exception):
    """An update that cannot be made."""


class ActionConflict(ActionError):
    """Someone updated the action after the form was opened."""


# ------------------------------------------------------------------ synchronisation


def _plan_actions(plan: Any) -> list[dict[str, Any]]:
    rows = []
    position = 0
    for priority in plan.priorities:
        for action in priority.actions:
            position += 1
            status = str(getattr(action.status, "value", action.status))
            rows.append(
                {
                    "number": str(action.number),
                    "text": action.text,
                    "owner": action.owner or "",
                    "priority_id": str(priority.id),
                    "priority_title": priority.title or "",
                    "position": position,
                    "start": action.start.isoformat() if action.start else None,
                    "due": action.due.isoformat(),
                    "measures": [str(m) for m in action.measures],
                    "status": status if status in Status.values else Status.NOT_STARTED,
                    "percent": int(getattr(action, "percent_complete", 0) or 0),
                    "evidence": [str(e) for e in getattr(action, "evidence", []) or []],
                }
            )
    return rows


def fingerprint(rows: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


PLAN_FIELDS = ("text", "owner", "priority_id", "priority_title", "position", "start", "due", "measures")


@dataclass(frozen=True)
class SyncResult:
    added: int
    changed: int
    removed: int
    restored: int


def _history(action, kind, *, user=None, at, note="", changes=None, before=None, after=None):
    return ActionUpdate.objects.create(
        action=action,
        kind=kind,
        at=at,
        by=user if getattr(user, "is_authenticated", False) else None,
        by_name=user.name if getattr(user, "is_authenticated", False) else "Plan synchronisation",
        status_before=before[0] if before else "",
        percent_before=before[1] if before else None,
        status_after=after[0] if after else "",
        percent_after=after[1] if after else None,
        note=note,
        changes=changes or {},
    )


def _value(row: dict[str, Any], name: str) -> Any:
    value = row[name]
    if name in {"start", "due"} and value is not None:
        return date.fromisoformat(value)
    return value


def sync(plan: Any, user: Any = None) -> SyncResult:
    """Bring the tracked actions into line with ``plan`` (see the module docstring)."""
    rows = _plan_actions(plan)
    now = timezone.now()
    added = changed = removed = restored = 0
    with transaction.atomic():
        existing = {a.number: a for a in TrackedAction.objects.select_for_update()}
        for row in rows:
            action = existing.pop(row["number"], None)
            if action is None:
                action = TrackedAction.objects.create(
                    number=row["number"],
                    **{name: _value(row, name) for name in PLAN_FIELDS},
                    plan_status=row["status"],
                    plan_percent=row["percent"],
                    status=row["status"],
                    percent_complete=100 if row["status"] == Status.COMPLETED else row["percent"],
                    updated_at=now,
                    updated_by_name="Plan synchronisation",
                )
                _history(action, UpdateKind.IMPORTED, user=user, at=now,
                         after=(action.status, action.percent_complete))
                added += 1
            else:
                changes: dict[str, list[Any]] = {}
                for name in PLAN_FIELDS:
                    new = _value(row, name)
                    old = getattr(action, name)
                    if old != new:
                        if name != "position":
                            changes[name] = [_jsonable(old), _jsonable(new)]
                        setattr(action, name, new)
                before = (action.status, action.percent_complete)
                if row["status"] != action.plan_status or row["percent"] != action.plan_percent:
                    changes["plan status"] = [
                        f"{action.plan_status} {action.plan_percent}%",
                        f"{row['status']} {row['percent']}%",
                    ]
                    action.plan_status = row["status"]
                    action.plan_percent = row["percent"]
                    action.status = row["status"]
                    action.percent_complete = (
                        100 if row["status"] == Status.COMPLETED else row["percent"]
                    )
                    action.version += 1
                was_removed = not action.in_plan
                action.in_plan = True
                action.removed_at = None
                action.save()
                if was_removed:
                    _history(action, UpdateKind.RESTORED, user=user, at=now)
                    restored += 1
                if changes:
                    _history(action, UpdateKind.PLAN_CHANGED, user=user, at=now, changes=changes,
                             before=before, after=(action.status, action.percent_complete))
                    changed += 1
            known = set(action.evidence.filter(from_plan=True).values_list("text", flat=True))
            for text in row["evidence"]:
                if text not in known:
                    ActionEvidence.objects.create(
                        action=action, text=text, from_plan=True,
                        added_by_name="The plan file", added_at=now,
                    )
        for action in existing.values():
            if action.in_plan:
                action.in_plan = False
                action.removed_at = now
                action.save(update_fields=["in_plan", "removed_at"])
                _history(action, UpdateKind.REMOVED, user=user, at=now)
                removed += 1
        PlanSync.objects.create(
            fingerprint=fingerprint(rows), at=now,
            added=added, changed=changed, removed=removed, restored=restored,
        )
        record(user, "actions.synced", "actions", added=added, changed=changed,
               removed=removed, restored=restored)
    return SyncResult(added, changed, removed, restored)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def ensure_synced(user: Any = None) -> None:
    """Synchronise with the active plan when its actions changed since the last time.

    ``user`` is the person the change is attributed to (the one who saved the plan), if
    known; otherwise the history says "Plan synchronisation".
    """
    plan = current_plan()
    if plan is None:
        return
    wanted = fingerprint(_plan_actions(plan))
    last = PlanSync.objects.values_list("fingerprint", flat=True).first()
    if last == wanted:
        return
    try:
        sync(plan, user)
    except IntegrityError:
        # Another request synchronised the same plan at the same moment.
        return


def last_sync() -> PlanSync | None:
    return PlanSync.objects.first()


# ------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class EvidenceItem:
    text: str
    link: str
    added_by: str
    added_at: datetime
    from_plan: bool

    def __str__(self) -> str:
        return f"{self.text} ({self.link})" if self.link else self.text


@dataclass(frozen=True)
class ActionView:
    """One action as the pages, the measure page and the board pack show it."""

    number: str
    text: str
    owner: str
    priority_id: str
    priority_title: str
    start: date | None
    due: date
    status: str
    status_label: str
    percent_complete: int
    expected_percent: int | None
    rag: str
    rag_label: str
    rag_reason: str
    overdue: bool
    days_overdue: int
    measures: list[str]
    evidence: list[EvidenceItem]
    progress_note: str
    in_plan: bool
    version: int
    updated_at: datetime | None
    updated_by: str

    @property
    def sort_key(self) -> tuple[Any, ...]:
        band = 0 if self.overdue else RAG_ORDER[ActionRag(self.rag)]
        return (not self.in_plan, band, self.due, number_key(self.number))


def number_key(number: str) -> tuple[Any, ...]:
    """``4.9`` before ``4.10``: numbers compared part by part."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in re.split(r"[.\-\s]+", number)
    )


def _view(action: TrackedAction, today: date, evidence: list[ActionEvidence]) -> ActionView:
    assessment = assess_action(
        start=action.start, due=action.due, today=today,
        status=action.status, percent_complete=action.percent_complete,
    )
    return ActionView(
        number=action.number,
        text=action.text,
        owner=action.owner,
        priority_id=action.priority_id,
        priority_title=action.priority_title,
        start=action.start,
        due=action.due,
        status=action.status,
        status_label=Status(action.status).label,
        percent_complete=action.percent_complete,
        expected_percent=assessment.expected_percent,
        rag=assessment.rag.value,
        rag_label=assessment.rag.label,
        rag_reason=assessment.reason,
        overdue=assessment.overdue,
        days_overdue=assessment.days_overdue,
        measures=list(action.measures),
        evidence=[
            EvidenceItem(e.text, e.link, e.added_by_name, e.added_at, e.from_plan)
            for e in evidence
        ],
        progress_note=action.progress_note,
        in_plan=action.in_plan,
        version=action.version,
        updated_at=action.updated_at,
        updated_by=action.updated_by_name,
    )


def today() -> date:
    """Today in the service's time zone (Europe/London): the date actions are rated on."""
    return timezone.localdate()


def _views(queryset, on: date | None) -> list[ActionView]:
    on = on or today()
    actions = list(queryset.prefetch_related("evidence"))
    views = [_view(a, on, list(a.evidence.all())) for a in actions]
    return sorted(views, key=lambda v: v.sort_key)


def all_actions(*, on: date | None = None, include_removed: bool = False) -> list[ActionView]:
    """Every action of the active plan, overdue first, then red, amber and green."""
    ensure_synced()
    queryset = TrackedAction.objects.all()
    if not include_removed:
        queryset = queryset.filter(in_plan=True)
    return _views(queryset, on)


def actions_for_measure(measure_id: str, *, on: date | None = None) -> list[ActionView]:
    """The plan's actions meant to move ``measure_id``, overdue and red first.

    Only the linked actions are read in full (with their evidence) and rated: a measure page
    asks for this on every view.
    """
    ensure_synced()
    linked = [
        pk
        for pk, measures in TrackedAction.objects.filter(in_plan=True).values_list("pk", "measures")
        if measure_id in (measures or [])
    ]
    if not linked:
        return []
    return _views(TrackedAction.objects.filter(pk__in=linked), on)


def get_action(number: str, *, on: date | None = None) -> ActionView | None:
    ensure_synced()
    return next(iter(_views(TrackedAction.objects.filter(number=number), on)), None)


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def _change(u: ActionUpdate) -> ActionChange:
    return ActionChange(
        day=_local_day(u.at),
        kind=u.kind,
        status_before=u.status_before,
        status_after=u.status_after,
        percent_before=u.percent_before,
        percent_after=u.percent_after,
        note=u.note,
        changes={name: (pair[0], pair[1]) for name, pair in (u.changes or {}).items()
                 if isinstance(pair, list) and len(pair) == 2},
    )


def _current_state(action: TrackedAction) -> ActionState:
    return ActionState(
        number=action.number, text=action.text, due=action.due, start=action.start,
        status=action.status, percent_complete=action.percent_complete, owner=action.owner,
        priority_id=action.priority_id, priority_title=action.priority_title,
        measures=tuple(action.measures or ()), progress_note=action.progress_note,
        in_plan=action.in_plan,
    )


@dataclass(frozen=True)
class ActionAsAt:
    """One action as it stood at the end of a past day, rated on that day."""

    state: ActionState
    rag: str
    rag_reason: str
    overdue: bool
    days_overdue: int
    expected_percent: int | None
    evidence: list[EvidenceItem]

    @property
    def status_label(self) -> str:
        return _status_label(self.state.status)

    @property
    def sort_key(self) -> tuple[Any, ...]:
        band = 0 if self.overdue else RAG_ORDER[ActionRag(self.rag)]
        return (band, self.state.due, number_key(self.state.number))


def actions_as_at(day: date) -> list[ActionAsAt]:
    """Every action in the plan at the end of ``day`` (Europe/London), as it stood then —
    definition, status, percentage complete, note and evidence worked back from the
    history — and rated on ``day``: what a report for a past month shows, however late it
    is built. Overdue first, then red, amber and green."""
    ensure_synced()
    first_sync = PlanSync.objects.order_by("at", "id").values_list("at", flat=True).first()
    tracked_since = _local_day(first_sync) if first_sync else None
    updates: dict[int, list[ActionChange]] = {}
    for u in ActionUpdate.objects.order_by("at", "id"):
        updates.setdefault(u.action_id, []).append(_change(u))
    out = []
    for action in TrackedAction.objects.prefetch_related("evidence"):
        state = state_on(_current_state(action), updates.get(action.pk, []), day, tracked_since=tracked_since)
        if state is None or not state.in_plan:
            continue
        assessment = assess_action(
            start=state.start, due=state.due, today=day,
            status=state.status, percent_complete=state.percent_complete,
        )
        reason = assessment.reason
        if state.first_recorded is not None:
            reason += f" Progress as first recorded, on {format_date(state.first_recorded)}."
        evidence = [
            EvidenceItem(e.text, e.link, e.added_by_name, e.added_at, e.from_plan)
            for e in action.evidence.all()
            if _local_day(e.added_at) <= day or (state.first_recorded is not None and e.from_plan)
        ]
        out.append(ActionAsAt(
            state=state, rag=assessment.rag.value, rag_reason=reason, overdue=assessment.overdue,
            days_overdue=assessment.days_overdue, expected_percent=assessment.expected_percent,
            evidence=evidence,
        ))
    return sorted(out, key=lambda a: a.sort_key)


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    by: str
    what: str
    status_before: str
    status_after: str
    percent_before: int | None
    percent_after: int | None
    note: str
    link: str
    changes: list[tuple[str, Any, Any]]


def _shown(value: Any) -> Any:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else value


def _status_label(value: str) -> str:
    return Status(value).label if value in Status.values else value


def history(number: str) -> list[HistoryRow]:
    """Every change to the action, newest first."""
    rows = []
    for u in ActionUpdate.objects.filter(action__number=number).order_by("-at", "-id"):
        changes = [] if u.kind == UpdateKind.EVIDENCE else [
            (name.replace("_", " "), _shown(pair[0]), _shown(pair[1]))
            for name, pair in sorted(u.changes.items())
        ]
        rows.append(
            HistoryRow(
                at=u.at,
                by=u.by_name,
                what=u.get_kind_display(),
                status_before=_status_label(u.status_before),
                status_after=_status_label(u.status_after),
                percent_before=u.percent_before,
                percent_after=u.percent_after,
                note=u.note,
                link=u.changes.get("link", "") if u.kind == UpdateKind.EVIDENCE else "",
                changes=changes,
            )
        )
    return rows


@dataclass(frozen=True)
class Filters:
    priority: str = ""
    owner: str = ""
    status: str = ""
    rag: str = ""
    include_removed: bool = False


def filter_actions(actions: list[ActionView], filters: Filters) -> list[ActionView]:
    def keep(a: ActionView) -> bool:
        if filters.priority and a.priority_id != filters.priority:
            return False
        if filters.owner and a.owner != filters.owner:
            return False
        if filters.status and a.status != filters.status:
            return False
        if filters.rag == "overdue":
            return a.overdue
        return not (filters.rag and a.rag != filters.rag)

    return [a for a in actions if keep(a)]


# ------------------------------------------------------------------------ updating


def can_update(user: Any, owner: str) -> bool:
    """The action's owner, the data team and the director may update it."""
    if not user.can(Capability.UPDATE_ACTIONS):
        return False
    return acts_on_all(user) or is_owner(user, owner)


@dataclass(frozen=True)
class UpdateResult:
    changed: bool
    action: TrackedAction


def update(
    user: Any,
    number: str,
    *,
    base_version: int,
    status: str,
    percent_complete: int,
    note: str = "",
    evidence_text: str = "",
    evidence_link: str = "",
) -> UpdateResult:
    """Record an owner's update (see the module docstring for the rules)."""
    if status not in Status.values:
        raise ActionError(f"{status!r} is not a status.")
    if not 0 <= percent_complete <= 100:
        raise ActionError("Percentage complete must be between 0 and 100.")
    note = (note or "").replace("\r\n", "\n").strip()
    evidence_text = (evidence_text or "").strip()
    evidence_link = (evidence_link or "").strip()
    if evidence_link and not evidence_text:
        raise ActionError("Describe the evidence the link points to.")
    if status == Status.BLOCKED and not note:
        raise ActionError("Say what is blocking the action.")
    if status == Status.COMPLETED:
        percent_complete = 100
    now = timezone.now()
    with transaction.atomic():
        action = TrackedAction.objects.select_for_update().filter(number=number).first()
        if action is None:
            raise ActionError(f"There is no action {number}.")
        if not can_update(user, action.owner):
            raise PermissionDenied("Only the action's owner, the data team or a director can update it.")
        if not action.in_plan:
            raise ActionError(f"Action {number} is no longer in the plan, so it cannot be updated.")
        if action.version != base_version:
            raise ActionConflict(
                f"{action.updated_by_name or 'Someone'} updated action {number} after you "
                "opened it. Check the current status below, then make your update again."
            )
        before = (action.status, action.percent_complete)
        after = (status, percent_complete)
        note_changed = note != action.progress_note
        if before == after and not note_changed and not evidence_text:
            return UpdateResult(False, action)
        if before != after or note_changed:
            action.status, action.percent_complete = after
            action.progress_note = note
            _history(action, UpdateKind.UPDATED, user=user, at=now, note=note,
                     before=before, after=after)
        if evidence_text:
            ActionEvidence.objects.create(
                action=action, text=evidence_text, link=evidence_link,
                added_by=user, added_by_name=user.name, added_at=now,
            )
            _history(action, UpdateKind.EVIDENCE, user=user, at=now,
                     note=evidence_text, changes={"link": evidence_link} if evidence_link else {})
        action.version += 1
        action.updated_at = now
        action.updated_by_name = user.name
        action.save()
        record(
            user, "action.updated", f"action {number}",
            status=[before[0], after[0]], percent=[before[1], after[1]],
            note=note if note_changed else None, evidence=evidence_text or None,
            link=evidence_link or None, version=action.version,
        )
    return UpdateResult(True, action)
