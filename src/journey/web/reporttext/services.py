"""Writing and approving the sections of the scrutiny and quarterly reports people write.

Anyone who writes narrative writes these; a director approves. The report prints the
approved text only, with who wrote and who approved it; a later edit starts a new draft
and the approved text stays in the report until the newer one is approved. A save based
on an old version is refused (:class:`TextConflict`) and kept in the history.

Once the month's report is published, the approved sections are kept with it
(:func:`frozen_texts`) and can no longer be changed (:class:`SectionPublished`); a section
not yet approved can still be written and approved once, and then stays as approved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from journey.engine.periods import month_label
from journey.engine.plan import Plan
from journey.engine.reports.written import ApprovedText, WrittenSection, written_sections
from journey.web.accounts.audit import record
from journey.web.accounts.roles import Capability
from journey.web.reporttext.models import ReportText, ReportTextRevision, TextEvent

KINDS = {"scrutiny": "Scrutiny update", "quarterly": "Quarterly report to the Minister"}


class TextConflict(Exception):
    """Someone saved the section after the writer opened it; the save was refused."""


class SectionPublished(Exception):
    """The section is approved in a published month: it stays as it is."""


def published_on(period: str) -> date | None:
    """The day the report for ``period`` was published, if it was."""
    from journey.web.reports.services import publication

    found = publication(period)
    return timezone.localtime(found.published_at).date() if found is not None else None


def is_final(item: ReportText | None, period: str) -> date | None:
    """The day the month was published, when ``item`` is approved in a published month (a
    section approved by then, or approved afterwards, stays as it is, as published
    narrative does); else None."""
    if item is None or item.approved_revision_id is None:
        return None
    return published_on(period)


def _refuse_if_final(item: ReportText, period: str) -> None:
    day = is_final(item, period)
    if day is not None:
        raise SectionPublished(
            f"The report for {month_label(period)} was published on {day:%-d %B %Y}, so this approved "
            "section stays as it is in that month's reports. Nothing was saved."
        )


def frozen_texts(period: str) -> dict[str, dict[str, dict[str, str]]]:
    """Kind → section → the approved text as JSON, for keeping with a published month."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for kind in KINDS:
        for section, approved in approved_texts(kind, period).items():
            out.setdefault(kind, {})[section] = {
                "text": approved.text, "written_by": approved.written_by, "approved_by": approved.approved_by,
                "approved_on": approved.approved_on.isoformat() if approved.approved_on else "",
            }
    return out


def texts_as_published(kind: str, period: str, frozen: Mapping[str, Any]) -> dict[str, ApprovedText]:
    """The approved texts of a published month: those kept when it was published, and any
    section first approved since (which then stays as approved, :func:`is_final`)."""
    out = approved_texts(kind, period)
    for section, kept in (frozen.get(kind) or {}).items():
        out[section] = ApprovedText(
            text=kept["text"], written_by=kept["written_by"], approved_by=kept["approved_by"],
            approved_on=date.fromisoformat(kept["approved_on"]) if kept.get("approved_on") else None,
        )
    return out


def _name(user: Any) -> str:
    return str(user.name) if user is not None else ""


def can_approve(user: Any) -> bool:
    return bool(user.can(Capability.APPROVE_NARRATIVE))


def sections(kind: str, plan: Plan) -> tuple[WrittenSection, ...]:
    return written_sections(kind, plan)


@dataclass(frozen=True)
class Entry:
    section: WrittenSection
    record: ReportText | None
    published_on: date | None = None
    """The day the month was published, if it was."""

    @property
    def approved(self) -> bool:
        return self.record is not None and self.record.approved_revision_id is not None and (
            self.record.approved_is_current or self.published_on is not None
        )

    @property
    def state(self) -> str:
        if self.record is None or not self.record.version:
            return "Not started"
        if self.published_on is not None and self.record.approved_revision_id is not None:
            return f"Approved: final (published {self.published_on:%-d %B %Y})"
        if self.record.approved_is_current:
            return "Approved"
        return "Draft (an earlier text is approved)" if self.record.approved_revision else "Draft"


def overview(kind: str, period: str, plan: Plan) -> list[Entry]:
    found = {t.section: t for t in ReportText.objects.filter(kind=kind, period=period).select_related("approved_revision")}
    day = published_on(period)
    return [Entry(s, found.get(s.key), day) for s in sections(kind, plan)]


def save(user: Any, kind: str, period: str, section: str, text: str, *, base_version: int) -> ReportText:
    """Save a draft; refused (and kept as a conflict revision) when ``base_version`` is old."""
    now = timezone.now()
    with transaction.atomic():
        item, _ = ReportText.objects.select_for_update().get_or_create(kind=kind, period=period, section=section)
        _refuse_if_final(item, period)
        conflict = item.version != base_version
        if conflict:
            # Kept (the transaction commits), then refused below: nothing typed is lost.
            ReportTextRevision.objects.create(
                report_text=item, version=base_version, event=TextEvent.CONFLICT, text=text,
                by=user, by_name=_name(user), written_by_name=_name(user), at=now,
            )
    if conflict:
        raise TextConflict(
            f"{item.updated_by_name or 'Someone else'} saved this section while you were editing it, "
            "so your text was not saved. It is kept in the history: compare and save again."
        )
    with transaction.atomic():
        item = ReportText.objects.select_for_update().get(pk=item.pk)
        if item.version != base_version:
            raise TextConflict("Someone else saved this section a moment ago; save again.")
        item.text = text.strip()
        item.version += 1
        item.updated_by_name = _name(user)
        item.updated_at = now
        item.save()
        ReportTextRevision.objects.create(
            report_text=item, version=item.version, event=TextEvent.SAVED, text=item.text,
            by=user, by_name=_name(user), written_by_name=_name(user), at=now,
        )
    record(user, "report_text.saved", f"{kind} {period} {section}", version=item.version)
    return item


def approve(user: Any, kind: str, period: str, section: str, *, base_version: int) -> ReportText:
    """A director approves the text as it stands at ``base_version``."""
    if not can_approve(user):
        raise PermissionDenied("Only a director approves report text.")
    now = timezone.now()
    with transaction.atomic():
        item = ReportText.objects.select_for_update().get(kind=kind, period=period, section=section)
        _refuse_if_final(item, period)
        if item.version != base_version:
            raise TextConflict("The text changed after you opened it; read it again before approving.")
        if not item.text:
            raise ValueError("There is no text to approve.")
        saved = item.revisions.filter(event=TextEvent.SAVED, version=item.version).order_by("-at").first()
        revision = ReportTextRevision.objects.create(
            report_text=item, version=item.version, event=TextEvent.APPROVED, text=item.text,
            written_by_name=saved.written_by_name if saved else item.updated_by_name,
            by=user, by_name=_name(user), at=now,
        )
        item.approved_revision = revision
        item.save(update_fields=["approved_revision"])
    record(user, "report_text.approved", f"{kind} {period} {section}", version=item.version)
    return item


def approved_texts(kind: str, period: str) -> dict[str, ApprovedText]:
    """Section key → the approved text, for the report builder."""
    out: dict[str, ApprovedText] = {}
    rows = ReportText.objects.filter(kind=kind, period=period, approved_revision__isnull=False).select_related("approved_revision")
    for item in rows:
        rev = item.approved_revision
        assert rev is not None
        out[item.section] = ApprovedText(
            text=rev.text, written_by=rev.written_by_name, approved_by=rev.by_name,
            approved_on=timezone.localtime(rev.at).date(),
        )
    return out


def history(kind: str, period: str, section: str) -> list[ReportTextRevision]:
    return list(
        ReportTextRevision.objects.filter(report_text__kind=kind, report_text__period=period, report_text__section=section)
        .order_by("-at", "-id")
    )
