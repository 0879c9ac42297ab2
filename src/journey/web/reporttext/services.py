"""Writing and approving the sections of the scrutiny and quarterly reports people write.

Anyone who writes narrative writes these; a director approves. The report prints the
approved text only, with who wrote and who approved it; a later edit starts a new draft
and the approved text stays in the report until the newer one is approved. A save based
on an old version is refused (:class:`TextConflict`) and kept in the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from journey.engine.plan import Plan
from journey.engine.reports.written import ApprovedText, WrittenSection, written_sections
from journey.web.accounts.audit import record
from journey.web.accounts.roles import Capability
from journey.web.reporttext.models import ReportText, ReportTextRevision, TextEvent

KINDS = {"scrutiny": "Scrutiny update", "quarterly": "Quarterly report to the Minister"}


class TextConflict(Exception):
    """Someone saved the section after the writer opened it; the save was refused."""


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

    @property
    def state(self) -> str:
        if self.record is None or not self.record.version:
            return "Not started"
        if self.record.approved_is_current:
            return "Approved"
        return "Draft (an earlier text is approved)" if self.record.approved_revision else "Draft"


def overview(kind: str, period: str, plan: Plan) -> list[Entry]:
    found = {t.section: t for t in ReportText.objects.filter(kind=kind, period=period).select_related("approved_revision")}
    return [Entry(s, found.get(s.key)) for s in sections(kind, plan)]


def save(user: Any, kind: str, period: str, section: str, text: str, *, base_version: int) -> ReportText:
    """Save a draft; refused (and kept as a conflict revision) when ``base_version`` is old."""
    now = timezone.now()
    with transaction.atomic():
        item, _ = ReportText.objects.select_for_update().get_or_create(kind=kind, period=period, section=section)
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
