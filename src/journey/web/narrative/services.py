"""Writing, signing off and reading the three-part narrative.

Life of a narrative for one measure and month::

    draft ──submit──▶ submitted ──approve──▶ approved ──publish_month──▶ published
      ▲                   │
      └──── return ◀──────┘ (a director, with a comment)

* The measure's owner (a service lead), the data team or a director write it; saving
  keeps it a **draft**; "save and submit" sends it for sign-off (all three answers are
  then required). Saving a submitted narrative withdraws it to draft.
* A director **approves** a submitted narrative or **returns** it with a comment.
* **Approval publishes it to the dashboard**: from that moment the approved text is the
  one everyone sees (board members included) on the measure page, and the one the board
  pack uses. **Published** records that the month's report went out with that text:
  the reports app calls :func:`publish_month` when it publishes the month's report.
* A change after approval (or publication) starts a new draft; the approved text stays
  the one shown until a newer text is approved.
* Every change carries the ``version`` it was based on. If the narrative has moved on
  since (someone else saved, or a director acted), the change is refused with
  :class:`NarrativeConflict` and the refused text is kept as a ``conflict`` revision,
  so nothing typed is lost.
* Everything is in the history (``NarrativeRevision``) and the audit log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from journey.engine.periods import month_key, month_label
from journey.web.accounts.audit import record
from journey.web.accounts.ownership import acts_on_all, is_owner
from journey.web.accounts.roles import Capability
from journey.web.narrative.diff import Segment, has_changes, word_diff
from journey.web.narrative.models import (
    Narrative,
    NarrativeRevision,
    NarrativeState,
    RevisionEvent,
)
from journey.web.narrative.planlink import current_plan, find_measure, priority_of

QUESTIONS: list[tuple[str, str]] = [
    ("working_well", "What's working well?"),
    ("worried_about", "What are we worried about?"),
    ("doing_about", "What are we doing about it?"),
]
FIELDS = [name for name, _ in QUESTIONS]


class NarrativeError(Exception):
    """A change that cannot be made in the narrative's present state."""


class NarrativeConflict(Exception):
    """Someone changed the narrative after the writer opened it; their save was refused."""

    def __init__(self, narrative: Narrative, refused: NarrativeRevision) -> None:
        self.narrative = narrative
        self.refused = refused
        who = narrative.updated_by_name or "someone else"
        when = timezone.localtime(narrative.updated_at) if narrative.updated_at else None
        at = f" at {when:%H:%M} on {when.day} {when:%b %Y}" if when else ""
        super().__init__(
            f"{who} changed this narrative{at} while you were editing it, so your "
            "changes were not saved. Your text is kept below and in the history: compare "
            "it with the current text, then save again."
        )


@dataclass(frozen=True)
class Answer:
    name: str
    question: str
    text: str


@dataclass(frozen=True)
class FigureCheck:
    """The figure a text was written or approved against, and the figure now."""

    then: str
    now: str
    since: str = "approval"

    @property
    def words(self) -> str:
        """``Figure revised since approval: 84.0% → 84.6%``."""
        return f"Figure revised since {self.since}: {self.then} → {self.now}"


Values = dict[str, dict[str, float | None]]


def values_now() -> Values:
    """measure id → month → the figure the plan rates now (cached per data version)."""
    from journey.web.plans.services import values_for_evaluation

    plan = current_plan()
    return values_for_evaluation(plan) if plan is not None else {}


def current_figure(measure_id: str, month: str, values: Values | None = None) -> dict[str, Any]:
    """The measure's rated figure for ``month`` now: ``{"period", "value", "text"}`` (the
    value the plan rates — year to date for cumulative measures), or {} without a plan.
    ``values`` (from :func:`values_now`) saves looking them up again in a loop."""
    from journey.engine.evaluation import format_value

    plan = current_plan()
    measure = find_measure(plan, measure_id)
    if measure is None:
        return {}
    value = (values if values is not None else values_now()).get(measure_id, {}).get(month)
    return {"period": month, "value": value, "text": format_value(value, measure.unit, measure.display_decimals)}


def _check(
    then: dict[str, Any], measure_id: str, month: str, since: str, values: Values | None = None
) -> FigureCheck | None:
    if not then or "text" not in then:
        return None  # approved before figures were kept with the text
    now = current_figure(measure_id, month, values)
    if not now or now["text"] == then["text"]:
        return None
    return FigureCheck(then=str(then["text"]), now=str(now["text"]), since=since)


def figure_check(narrative: Narrative, values: Values | None = None) -> FigureCheck | None:
    """"Figure revised since approval: 84.0% → 84.6%" for an approved text, or None."""
    if narrative.approved_revision_id is None:
        return None
    return _check(narrative.approved_figures, narrative.measure_id, narrative.month, "approval", values)


def written_figure_check(narrative: Narrative) -> FigureCheck | None:
    """For the approver: the figure the text being signed off was written against, when it
    has been revised since (it was submitted with the figure at that moment)."""
    last = narrative.revisions.filter(event__in=[RevisionEvent.SAVED, RevisionEvent.SUBMITTED]).order_by("-at", "-id").first()
    if last is None:
        return None
    return _check(last.figures, narrative.measure_id, narrative.month, "this text was written")


@dataclass(frozen=True)
class ApprovedNarrative:
    """The signed-off narrative for one measure and month, as shown to everyone."""

    measure_id: str
    month: str
    working_well: str
    worried_about: str
    doing_about: str
    version: int
    approved_by: str
    approved_at: datetime
    published: bool
    newer_text_in_progress: bool
    figure_check: FigureCheck | None = None
    """Set when the measure's figure reads differently from the one the text was approved
    against (and the owner has not yet confirmed the text for the new figure)."""

    @property
    def answers(self) -> list[Answer]:
        return [Answer(n, q, getattr(self, n)) for n, q in QUESTIONS]

    @property
    def month_label(self) -> str:
        return month_label(self.month)


def normalise_month(month: Any) -> str:
    """``YYYY-MM`` from a string, a date or any object whose ``str`` is one."""
    if isinstance(month, (str, date)):
        return month_key(month)
    return month_key(str(month))


# ----------------------------------------------------------------------- permissions


def can_write(user: Any, owner: str) -> bool:
    """The measure's ``owner``, the data team and the director may write its narrative."""
    if not user.can(Capability.WRITE_NARRATIVE):
        return False
    return acts_on_all(user) or is_owner(user, owner or "")


def can_approve(user: Any) -> bool:
    return user.can(Capability.APPROVE_NARRATIVE)


# ----------------------------------------------------------------------------- reading


def get_narrative(measure_id: str, month: Any) -> Narrative | None:
    return Narrative.objects.filter(measure_id=measure_id, month=normalise_month(month)).first()


def _approved_from(narrative: Narrative, values: Values | None = None) -> ApprovedNarrative | None:
    revision = narrative.approved_revision
    if revision is None:
        return None
    published = NarrativeRevision.objects.filter(
        narrative=narrative, event=RevisionEvent.PUBLISHED, version__gte=revision.version
    ).exists()
    return ApprovedNarrative(
        measure_id=narrative.measure_id,
        month=narrative.month,
        working_well=revision.working_well,
        worried_about=revision.worried_about,
        doing_about=revision.doing_about,
        version=revision.version,
        approved_by=revision.by_name,
        approved_at=revision.at,
        published=published,
        newer_text_in_progress=narrative.state
        not in {NarrativeState.APPROVED, NarrativeState.PUBLISHED},
        figure_check=figure_check(narrative, values),
    )


def approved_narrative(measure_id: str, month: Any) -> ApprovedNarrative | None:
    """The approved narrative for a measure and month, or ``None`` if none is approved."""
    narrative = (
        Narrative.objects.select_related("approved_revision")
        .filter(measure_id=measure_id, month=normalise_month(month))
        .first()
    )
    return _approved_from(narrative) if narrative else None


def narrative_for_month(month: Any) -> dict[str, ApprovedNarrative | None]:
    """Every measure of the active plan → its approved narrative for ``month`` (or None).

    Approved narratives for measures no longer in the plan are included too.
    """
    key = normalise_month(month)
    plan = current_plan()
    result: dict[str, ApprovedNarrative | None] = {}
    if plan is not None:
        result = {str(m.id): None for m in plan.measures}
    narratives = Narrative.objects.select_related("approved_revision").filter(
        month=key, approved_revision__isnull=False
    )
    values = values_now()
    for narrative in narratives:
        result[narrative.measure_id] = _approved_from(narrative, values)
    return result


def answers_of(source: Any) -> list[Answer]:
    return [Answer(n, q, getattr(source, n, "") or "") for n, q in QUESTIONS]


# ----------------------------------------------------------------------------- writing


def _texts(data: dict[str, Any]) -> dict[str, str]:
    return {name: (data.get(name) or "").replace("\r\n", "\n").strip() for name in FIELDS}


def _revision(
    narrative: Narrative,
    user: Any,
    event: str,
    texts: dict[str, str],
    *,
    version: int,
    state: str,
    comment: str = "",
    at: datetime | None = None,
    figures: dict[str, Any] | None = None,
) -> NarrativeRevision:
    return NarrativeRevision.objects.create(
        narrative=narrative,
        version=version,
        event=event,
        state=state,
        comment=comment,
        by=user,
        by_name=user.name,
        at=at or timezone.now(),
        figures=current_figure(narrative.measure_id, narrative.month) if figures is None else figures,
        **texts,
    )


def _target(narrative: Narrative) -> str:
    return f"narrative {narrative.measure_id} {narrative.month}"


@dataclass
class SaveResult:
    narrative: Narrative
    changed: bool
    submitted: bool
    messages: list[str] = field(default_factory=list)


def save(
    user: Any,
    measure_id: str,
    month: Any,
    data: dict[str, Any],
    *,
    base_version: int,
    submit: bool = False,
) -> SaveResult:
    """Save the writer's text (and submit it for sign-off when ``submit``).

    Raises ``PermissionDenied`` unless the user may write this measure's narrative,
    ``NarrativeError`` when submitting with an answer missing, and
    ``NarrativeConflict`` when the narrative is no longer at ``base_version``.
    """
    key = normalise_month(month)
    plan = current_plan()
    measure = find_measure(plan, measure_id)
    if measure is None:
        raise NarrativeError(f"Measure {measure_id} is not in the active plan.")
    if not can_write(user, measure.owner or ""):
        raise PermissionDenied("Only the measure's owner, the data team or a director can write this narrative.")
    texts = _texts(data)
    if submit:
        missing = [q for name, q in QUESTIONS if not texts[name]]
        if missing:
            raise NarrativeError("Answer every question before submitting: " + "; ".join(missing))

    now = timezone.now()
    conflict: NarrativeConflict | None = None
    with transaction.atomic():
        narrative = Narrative.objects.filter(measure_id=measure_id, month=key).first()
        current = narrative or Narrative(measure_id=measure_id, month=key)
        unchanged = all(getattr(current, n) == texts[n] for n in FIELDS)
        already = current.state == NarrativeState.SUBMITTED
        if unchanged and (already or not submit):
            # Nothing to save (an empty new narrative, or the same text sent twice).
            return SaveResult(current, changed=False, submitted=already)
        if narrative is None:
            narrative, _ = Narrative.objects.get_or_create(measure_id=measure_id, month=key)
        new_state = NarrativeState.SUBMITTED if submit else NarrativeState.DRAFT
        updated = Narrative.objects.filter(pk=narrative.pk, version=base_version).update(
            version=F("version") + 1,
            state=new_state,
            updated_by=user,
            updated_by_name=user.name,
            updated_at=now,
            submitted_at=now if submit else None,
            **texts,
        )
        if not updated:
            narrative.refresh_from_db()
            refused = _revision(
                narrative, user, RevisionEvent.CONFLICT, texts,
                version=base_version, state=narrative.state, at=now,
                comment=f"Based on version {base_version}; the narrative was at version "
                f"{narrative.version}.",
            )
            record(
                user, "narrative.conflict", _target(narrative),
                base_version=base_version, current_version=narrative.version,
                revision=refused.pk,
            )
            conflict = NarrativeConflict(narrative, refused)
        else:
            narrative.refresh_from_db()
            event = RevisionEvent.SUBMITTED if submit else RevisionEvent.SAVED
            _revision(
                narrative, user, event, texts,
                version=narrative.version, state=narrative.state, at=now,
            )
            record(
                user, f"narrative.{event}", _target(narrative),
                version=narrative.version, measure_id=measure_id, month=key,
            )
    if conflict is not None:
        raise conflict
    messages = []
    if narrative.approved_revision_id and narrative.state != NarrativeState.APPROVED:
        messages.append(
            "The approved text stays the one shown on the dashboard until this new "
            "version is approved."
        )
    return SaveResult(narrative, changed=True, submitted=submit, messages=messages)


def _decide(
    user: Any,
    measure_id: str,
    month: Any,
    *,
    base_version: int,
    approve: bool,
    comment: str,
) -> Narrative:
    if not can_approve(user):
        raise PermissionDenied("Only a director can sign off narrative.")
    key = normalise_month(month)
    now = timezone.now()
    with transaction.atomic():
        narrative = (
            Narrative.objects.select_for_update()
            .filter(measure_id=measure_id, month=key)
            .first()
        )
        if narrative is None:
            raise NarrativeError("There is no narrative for this measure and month yet.")
        if narrative.version != base_version:
            raise NarrativeError(
                f"{narrative.updated_by_name or 'Someone'} changed this narrative after you "
                "opened it. Read the current text before signing it off."
            )
        if narrative.state != NarrativeState.SUBMITTED:
            raise NarrativeError(
                f"Only a submitted narrative can be signed off; this one is "
                f"{narrative.get_state_display().lower()}."
            )
        narrative.version += 1
        narrative.state = NarrativeState.APPROVED if approve else NarrativeState.RETURNED
        narrative.updated_by = user
        narrative.updated_by_name = user.name
        narrative.updated_at = now
        revision = _revision(
            narrative, user,
            RevisionEvent.APPROVED if approve else RevisionEvent.RETURNED,
            {n: getattr(narrative, n) for n in FIELDS},
            version=narrative.version, state=narrative.state, comment=comment, at=now,
        )
        if approve:
            narrative.approved_revision = revision
            narrative.approved_figures = revision.figures
        narrative.save()
        record(
            user, "narrative.approved" if approve else "narrative.returned",
            _target(narrative), version=narrative.version, comment=comment,
        )
    return narrative


def approve(user: Any, measure_id: str, month: Any, *, base_version: int, comment: str = "") -> Narrative:
    """A director signs off the submitted narrative; it becomes the one everyone sees."""
    return _decide(
        user, measure_id, month, base_version=base_version, approve=True, comment=comment.strip()
    )


def return_for_changes(
    user: Any, measure_id: str, month: Any, *, base_version: int, comment: str
) -> Narrative:
    """A director sends a submitted narrative back to its writer with a comment."""
    comment = (comment or "").strip()
    if not comment:
        raise NarrativeError("Say what needs to change before returning the narrative.")
    return _decide(
        user, measure_id, month, base_version=base_version, approve=False, comment=comment
    )


def confirm_figures(user: Any, measure_id: str, month: Any, *, base_version: int) -> Narrative:
    """The owner confirms the approved text still holds for the measure's revised figure.

    The text stays as approved; the figure it stands on becomes the current one and the
    notice goes. (To change the text instead, write a new draft and submit it.) Checked
    against ``base_version`` like any other change; recorded in the history and audit log.
    """
    key = normalise_month(month)
    plan = current_plan()
    measure = find_measure(plan, measure_id)
    if measure is None:
        raise NarrativeError(f"Measure {measure_id} is not in the active plan.")
    if not can_write(user, measure.owner or ""):
        raise PermissionDenied("Only the measure's owner, the data team or a director can confirm this narrative.")
    now = timezone.now()
    with transaction.atomic():
        narrative = Narrative.objects.select_for_update().filter(measure_id=measure_id, month=key).first()
        if narrative is None or narrative.approved_revision is None:
            raise NarrativeError("There is no approved narrative for this measure and month.")
        if narrative.version != base_version:
            raise NarrativeError(
                f"{narrative.updated_by_name or 'Someone'} changed this narrative after you opened it. "
                "Read it again before confirming."
            )
        check = figure_check(narrative)
        if check is None:
            raise NarrativeError("The figure has not changed since the narrative was approved: nothing to confirm.")
        figures = current_figure(measure_id, key)
        approved = narrative.approved_revision
        narrative.version += 1
        narrative.approved_figures = figures
        narrative.updated_by = user
        narrative.updated_by_name = user.name
        narrative.updated_at = now
        narrative.save(update_fields=["version", "approved_figures", "updated_by", "updated_by_name", "updated_at"])
        _revision(
            narrative, user, RevisionEvent.CONFIRMED, {n: getattr(approved, n) for n in FIELDS},
            version=narrative.version, state=narrative.state, at=now, figures=figures,
            comment=f"The approved text (version {approved.version}) still holds for the revised figure: "
            f"{check.then} → {check.now}.",
        )
        record(user, "narrative.figures_confirmed", _target(narrative), version=narrative.version,
               figure_then=check.then, figure_now=check.now)
    return narrative


def publish_month(month: Any, user: Any) -> int:
    """Mark the approved narrative of ``month`` as published in the month's report.

    Called by the reports app when it publishes the report. Returns how many narratives
    were published; an approved text already published is not published again.
    """
    key = normalise_month(month)
    count = 0
    now = timezone.now()
    with transaction.atomic():
        narratives = (
            Narrative.objects.select_for_update()
            .select_related("approved_revision")
            .filter(month=key, approved_revision__isnull=False)
        )
        for narrative in narratives:
            approved = narrative.approved_revision
            assert approved is not None
            if NarrativeRevision.objects.filter(
                narrative=narrative, event=RevisionEvent.PUBLISHED, version__gte=approved.version
            ).exists():
                continue
            if narrative.state == NarrativeState.APPROVED:
                narrative.state = NarrativeState.PUBLISHED
                narrative.version += 1
                narrative.save(update_fields=["state", "version"])
            _revision(
                narrative, user, RevisionEvent.PUBLISHED,
                {n: getattr(approved, n) for n in FIELDS},
                version=max(narrative.version, approved.version),
                state=narrative.state, at=now,
                comment=f"Published with the report for {month_label(key)} "
                f"(approved version {approved.version}).",
            )
            count += 1
        record(user, "narrative.published", f"narrative {key}", month=key, count=count)
    return count


# ------------------------------------------------------------------------ pages' data


@dataclass(frozen=True)
class MeasureNarrative:
    """One row of a month's narrative overview, or the header of the edit page."""

    measure_id: str
    title: str
    owner: str
    priority: str
    month: str
    narrative: Narrative | None
    approved: ApprovedNarrative | None
    mine: bool

    @property
    def state_label(self) -> str:
        return self.narrative.get_state_display() if self.narrative else "Not started"

    @property
    def state(self) -> str:
        return self.narrative.state if self.narrative else "not_started"

    people: tuple[str, ...] = ()
    """The names of the people the owner text stands for (by account or team)."""


def _priority_label(priority: Any) -> str:
    if priority is None:
        return ""
    title = getattr(priority, "title", "")
    if not title:
        return str(priority.id)
    # A title that already starts with its id ("A – Planning and safety") is not repeated.
    return title if re.match(rf"{re.escape(str(priority.id))}\b", title) else f"{priority.id} – {title}"


def measure_narrative(user: Any, measure_id: str, month: Any) -> MeasureNarrative | None:
    """What the edit and review pages show for a measure, or ``None`` if not in the plan."""
    key = normalise_month(month)
    plan = current_plan()
    measure = find_measure(plan, measure_id)
    if measure is None:
        return None
    narrative = (
        Narrative.objects.select_related("approved_revision")
        .filter(measure_id=measure_id, month=key)
        .first()
    )
    return MeasureNarrative(
        measure_id=measure_id,
        title=measure.title,
        owner=measure.owner or "",
        priority=_priority_label(priority_of(plan, measure_id)),
        month=key,
        narrative=narrative,
        approved=_approved_from(narrative) if narrative else None,
        mine=is_owner(user, measure.owner or ""),
        people=_people({measure.owner or ""}).get(measure.owner or "", ()),
    )


def _people(owners: set[str]) -> dict[str, tuple[str, ...]]:
    """Owner text → the names of the people it stands for (two queries for them all)."""
    from journey.web.accounts.ownership import resolve_owners

    named = {o for o in owners if o}
    if not named:
        return {}
    return {text: tuple(p.name for p in owner.people) for text, owner in resolve_owners(named).items()}


def month_overview(user: Any, month: Any, *, mine_only: bool = False) -> list[MeasureNarrative]:
    """Every measure of the plan with its narrative state for ``month``."""
    key = normalise_month(month)
    plan = current_plan()
    if plan is None:
        return []
    narratives = {
        n.measure_id: n
        for n in Narrative.objects.select_related("approved_revision").filter(month=key)
    }
    rows = []
    values = values_now()
    people = _people({m.owner or "" for m in plan.measures})
    for priority in plan.priorities:
        for measure in priority.measures:
            mid = str(measure.id)
            mine = is_owner(user, measure.owner or "")
            if mine_only and not mine:
                continue
            narrative = narratives.get(mid)
            rows.append(
                MeasureNarrative(
                    measure_id=mid,
                    title=measure.title,
                    owner=measure.owner or "",
                    priority=_priority_label(priority),
                    month=key,
                    narrative=narrative,
                    approved=_approved_from(narrative, values) if narrative else None,
                    mine=mine,
                    people=people.get(measure.owner or "", ()),
                )
            )
    return rows


@dataclass(frozen=True)
class QueueEntry:
    narrative: Narrative
    title: str
    month_label: str
    priority: str


def sign_off_queue() -> list[QueueEntry]:
    """Narratives waiting for a director, oldest submission first."""
    plan = current_plan()
    entries = []
    for narrative in Narrative.objects.filter(state=NarrativeState.SUBMITTED).order_by(
        "submitted_at", "id"
    ):
        measure = find_measure(plan, narrative.measure_id)
        entries.append(
            QueueEntry(
                narrative=narrative,
                title=measure.title if measure else f"{narrative.measure_id} (no longer in the plan)",
                month_label=month_label(narrative.month),
                priority=_priority_label(priority_of(plan, narrative.measure_id)),
            )
        )
    return entries


@dataclass(frozen=True)
class AnswerDiff:
    question: str
    segments: list[Segment]
    changed: bool


@dataclass(frozen=True)
class HistoryEntry:
    revision: NarrativeRevision
    answers: list[Answer]
    diffs: list[AnswerDiff]
    compared_with: int | None


def _diffs(old: Any | None, new: Any) -> list[AnswerDiff]:
    result = []
    for name, question in QUESTIONS:
        before = getattr(old, name, "") if old is not None else ""
        segments = word_diff(before, getattr(new, name))
        result.append(AnswerDiff(question, segments, has_changes(segments)))
    return result


def history(narrative: Narrative) -> list[HistoryEntry]:
    """Every revision, newest first, each with its differences from the text before it.

    A refused (conflict) save is compared with the text that was current when it was
    refused; other revisions with the previous accepted revision.
    """
    entries = []
    previous: NarrativeRevision | None = None
    for revision in narrative.revisions.select_related("by").order_by("at", "id"):
        entries.append(
            HistoryEntry(
                revision=revision,
                answers=answers_of(revision),
                diffs=_diffs(previous, revision),
                compared_with=previous.version if previous else None,
            )
        )
        if revision.event != RevisionEvent.CONFLICT:
            previous = revision
    entries.reverse()
    return entries


def review_diffs(entry: MeasureNarrative) -> list[AnswerDiff] | None:
    """For a director: how the submitted text differs from the approved one (if any)."""
    if entry.narrative is None or entry.approved is None:
        return None
    return _diffs(entry.approved, entry.narrative)
