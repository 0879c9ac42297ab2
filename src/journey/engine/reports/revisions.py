"""Revisions in reports: published figures that now read differently, shown beside them.

Two lists come in with the inputs (:class:`journey.engine.reports.inputs.ReportInputs`):

* ``revisions`` — figures of earlier published months that the report's own figures
  revise (the next report says which published figures were revised and by how much);
* ``revised_since_publication`` — for a published month built again later, its own
  figures that the current data revises. The published figures stay as they were.

Nothing is added when nothing was revised, so a report without revisions is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from journey.engine.evaluation import Rag
from journey.engine.plan import Plan
from journey.engine.reports.inputs import NarrativeText, ReportInputs
from journey.engine.reports.model import Cell, Paragraph, Section, Table
from journey.engine.revisions import Revision

__all__ = ["measure_revision_note", "narrative_figure_note", "narrative_figure_reason", "revisions_section"]


def _day(day: object) -> str:
    return f"{day.day} {day:%B %Y}" if day is not None else ""  # type: ignore[attr-defined]


def _rating(revision: Revision) -> Cell:
    before, after = Rag(revision.published_rag).label, Rag(revision.revised_rag).label
    text = after if before == after else f"{before} → {after}"
    return Cell(text, rag=revision.revised_rag)


def _table(caption: str, revisions: Sequence[Revision]) -> Table:
    rows = tuple(
        (
            Cell(r.title),
            Cell(r.month_label + (f" (published {_day(r.published_on)})" if r.published_on else "")),
            Cell(r.published_text, number=r.published, numeric=True),
            Cell(r.revised_text, number=r.revised, numeric=True),
            Cell(r.change_text),
            _rating(r),
            Cell(r.sources_text),
        )
        for r in revisions
    )
    return Table(caption, ("Measure", "Month", "Published", "Revised", "Change", "Rating", "Made by (old → new)"), rows)


def revisions_section(inputs: ReportInputs) -> Section | None:
    """"Revisions to published figures", or None when no published figure was revised."""
    if not inputs.revisions and not inputs.revised_since_publication:
        return None
    section = Section("revisions", "Revisions to published figures", level=1, new_page=True)
    section.blocks.append(
        Paragraph(
            "A figure published in a month's report stays as it was published. When later data "
            "gives a different figure, it is shown here as a revision beside the published one, "
            "with the rating the revised figure would have.",
            "lead",
        )
    )
    if inputs.revisions:
        section.blocks.append(_table("Published figures revised in this report's data", inputs.revisions))
    if inputs.revised_since_publication:
        since = Section(
            "revisions-since-publication",
            f"Revised since this report was published{' on ' + _day(inputs.published_on) if inputs.published_on else ''}",
            level=2,
        )
        since.blocks.append(
            Paragraph(
                "The figures in this report are the ones published. The current data gives these "
                "figures instead; they are not used in the ratings above.",
                "note",
            )
        )
        since.blocks.append(_table("Figures of this report revised since publication", inputs.revised_since_publication))
        section.subsections.append(since)
    return section


def measure_revision_note(inputs: ReportInputs, measure_id: str) -> Paragraph | None:
    """"Revised: September 2024: published 84.0%, revised 84.6% (+0.6)" for one measure."""
    found = [r for r in (*inputs.revisions, *inputs.revised_since_publication) if r.measure_id == measure_id]
    if not found:
        return None
    return Paragraph("Revised since publication – " + "; ".join(r.words for r in found) + ".", "warning")


def narrative_figure_note(inputs: ReportInputs, measure_id: str) -> Paragraph | None:
    """"Figure revised since approval: 84.0% → 84.6%" above a narrative approved against a
    figure that has changed since, until its owner confirms or revises it."""
    text = inputs.narrative.get(measure_id)
    if text is None or not text.figure_revised:
        return None
    return Paragraph(
        f"Figure revised since approval: {text.approved_against} → {text.figure_now}. The narrative below "
        f"was approved against {text.approved_against}; its owner has been asked to confirm or revise it.",
        "warning",
    )


def narrative_figure_reason(plan: Plan, narrative: Mapping[str, NarrativeText | None]) -> str:
    """Why a report is DRAFT because of narrative approved against figures revised since, or ""."""
    titles = [m.title for m in plan.measures if (t := narrative.get(m.id)) is not None and t.figure_revised]
    if not titles:
        return ""
    names = ", ".join(titles[:6]) + (" and others" if len(titles) > 6 else "")
    return (
        f"Narrative for {len(titles)} measure{'s' if len(titles) != 1 else ''} was approved against a figure "
        f"revised since, and its owner has not yet confirmed or revised it: {names}."
    )
