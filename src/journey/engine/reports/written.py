"""The parts of the scrutiny and quarterly reports that people write.

A council committee report and an independent chair's report to the Minister hold
judgement that no figure can supply: the executive summary, the recommendations and the
reasons for them, risks, implications, the chair's assessment of each priority. Those
sections are written, versioned and approved in the web app (the *report text* pages,
like narrative) and reach a report only once approved; the figures' sections are
generated. Text the product generates is never shown under a person's name, and a
written section is never filled in by the machine: until it is approved the report says
so and is marked DRAFT.

This module says which sections exist for each report (:func:`written_sections`); the
report assemblers place them; the web app offers exactly these to write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from journey.engine.plan import Plan

__all__ = ["ApprovedText", "WrittenSection", "missing_sections", "written_sections"]


@dataclass(frozen=True)
class WrittenSection:
    """One section people write: ``key`` is stable (stored with the text)."""

    key: str
    title: str
    hint: str
    short: bool = False
    """A one-line entry (a name, a date, "Open"), shown on the cover rather than as a section."""


@dataclass(frozen=True)
class ApprovedText:
    """The approved text of one written section for one report and period."""

    text: str
    written_by: str = ""
    approved_by: str = ""
    approved_on: date | None = None

    def paragraphs(self) -> list[str]:
        """Paragraphs split on blank lines, whitespace tidied."""
        parts = [" ".join(p.split()) for p in self.text.replace("\r\n", "\n").split("\n\n")]
        return [p for p in parts if p]


SCRUTINY: tuple[WrittenSection, ...] = (
    WrittenSection("meeting", "Meeting and date", "The committee and the date of the meeting, e.g. Children and Young People Scrutiny Panel, 14 November 2024", short=True),
    WrittenSection("report_of", "Report of", "Who presents the report, e.g. Director of Children's Services", short=True),
    WrittenSection("portfolio_holder", "Portfolio holder", "The cabinet member, e.g. Cabinet Member for Children and Education", short=True),
    WrittenSection("open_exempt", "Open or exempt", "Open, or exempt with the paragraph of Schedule 12A to the Local Government Act 1972", short=True),
    WrittenSection("wards", "Wards affected", "Usually: All wards", short=True),
    WrittenSection("contact_officer", "Contact officer", "Name, job title, telephone and email", short=True),
    WrittenSection("executive_summary", "Executive summary", "What the committee needs to know in a few paragraphs: where the service is, what has improved, what has not, and why"),
    WrittenSection("recommendations", "Recommendations", "What the committee is asked to do, e.g. note the progress and the areas of concern"),
    WrittenSection("reasons", "Reasons for the recommendations", "Why the committee should agree them"),
    WrittenSection("background", "Background", "The inspection judgement, the intervention (DfE improvement notice, commissioner or adviser), the improvement plan and the board"),
    WrittenSection("other_options", "Other options considered", "The other courses of action considered and why they were not chosen"),
    WrittenSection("risks", "Risks", "The main risks to improvement and how they are managed"),
    WrittenSection("financial_implications", "Financial implications", "Costs, savings and budget pressures; usually cleared by the finance officer"),
    WrittenSection("legal_implications", "Legal implications", "Statutory duties and legal risks; usually cleared by the monitoring officer"),
    WrittenSection("consultation", "Consultation", "Who was consulted: children and families, partners, staff, the Improvement Board"),
    WrittenSection("background_papers", "Background papers", "Documents relied on, e.g. the Ofsted report and monitoring visit letters, the improvement plan"),
)

QUARTERLY_BEFORE: tuple[WrittenSection, ...] = (
    WrittenSection("chair", "Independent chair", "The chair's name as it should be signed, e.g. Jane Smith, Independent Chair of the Improvement Board", short=True),
    WrittenSection("chair_summary", "Summary from the independent chair", "The chair's own judgement of progress this quarter"),
)
QUARTERLY_AFTER: tuple[WrittenSection, ...] = (
    WrittenSection("capacity", "Capacity to improve", "The chair's view of the council's capacity to make and sustain the improvements"),
    WrittenSection("leadership_workforce", "Leadership and workforce stability", "Changes of leaders, recruitment and retention, agency staff, caseloads"),
    WrittenSection("ofsted_findings", "Ofsted monitoring findings", "What the latest monitoring visit found and how the council responded"),
    WrittenSection("risks_finance", "Risks and finance", "The main risks to improvement and the financial position"),
    WrittenSection("asks_of_dfe", "Asks of the DfE", "What the board asks of the Department"),
    WrittenSection("next_quarter", "Next quarter", "The priorities and milestones for the next quarter"),
)


def progress_key(priority_id: str) -> str:
    return f"progress_{priority_id}"


def written_sections(kind: str, plan: Plan) -> tuple[WrittenSection, ...]:
    """The sections people write for a report of ``kind`` (none for monthly and summary)."""
    if kind == "scrutiny":
        return SCRUTINY
    if kind == "quarterly":
        progress = tuple(
            WrittenSection(
                progress_key(p.id), f"Progress: {p.title}",
                "The chair's judgement of progress on this priority this quarter (the figures follow it)",
            )
            for p in plan.priorities
        )
        return QUARTERLY_BEFORE + progress + QUARTERLY_AFTER
    return ()


def missing_sections(kind: str, plan: Plan, texts: Mapping[str, ApprovedText]) -> list[WrittenSection]:
    """The written sections with no approved text yet."""
    return [s for s in written_sections(kind, plan) if texts.get(s.key) is None]
