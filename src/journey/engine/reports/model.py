"""A report as plain data: what the board reads, independent of the file format.

A :class:`Report` is a cover (authority, period, data as at, DRAFT marking), a list of
:class:`Section` s made of a few kinds of block (paragraphs, facts, tables, charts,
narrative, lists), and the same figures as typed :class:`Dataset` s for spreadsheets.
The assemblers (:mod:`journey.engine.reports.assemble`) build reports; the renderers
(:mod:`journey.engine.reports.renderers`) turn one into PDF, Word, HTML, Excel or CSV
without knowing which report it is. Reports hold aggregates only, never a child's record.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Union

from journey.engine.charts import MeasureChart

__all__ = [
    "NOT_APPROVED",
    "Block",
    "BulletList",
    "Cell",
    "ChartBlock",
    "Dataset",
    "Facts",
    "NarrativeBlock",
    "Paragraph",
    "Report",
    "ReportKind",
    "Section",
    "Table",
]

NOT_APPROVED = "Narrative not yet approved"
"""What a report shows in place of narrative that a director has not signed off."""


class ReportKind(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SCRUTINY = "scrutiny"
    SUMMARY = "summary"

    @property
    def label(self) -> str:
        return {
            "monthly": "Monthly Improvement Plan Report",
            "quarterly": "Quarterly progress report to the Minister",
            "scrutiny": "Scrutiny update",
            "summary": "One-page summary",
        }[self.value]


@dataclass(frozen=True)
class Cell:
    """One table cell: the text shown, and what it means for styling and spreadsheets.

    ``rag`` (green, amber, red, not_rated) colours the cell; the text always says the
    rating too, so colour never carries the meaning alone. ``number`` is the figure
    behind the text, ``numeric`` right-aligns it.
    """

    text: str
    rag: str | None = None
    number: float | None = None
    numeric: bool = False
    strong: bool = False

    def __str__(self) -> str:
        return self.text


def cell(value: object, **kwargs: object) -> Cell:
    return value if isinstance(value, Cell) else Cell(str(value), **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str = "body"
    """``body``, ``lead`` (a summary sentence), ``note`` (small print) or ``warning``."""


@dataclass(frozen=True)
class Facts:
    """Label → value pairs (target, tolerance, polarity ...), shown as a definition list."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    """A table with one header row. ``row_headers``: the first cell of each row is a header."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    row_headers: bool = True
    compact: bool = False

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table {self.caption!r}: a row has {len(row)} cells for {len(self.columns)} columns"
                )

    def numeric_columns(self) -> set[int]:
        """Columns whose every body cell is a figure (right-aligned, headers too)."""
        if not self.rows:
            return set()
        return {
            i for i in range(len(self.columns))
            if all(row[i].numeric or row[i].text == "–" for row in self.rows)
            and any(row[i].numeric for row in self.rows)
        }

    def text_rows(self) -> list[list[str]]:
        return [[c.text for c in row] for row in self.rows]


@dataclass(frozen=True)
class ChartBlock:
    """A measure chart with its text alternative; the data table sits beside it."""

    chart: MeasureChart
    description: str
    table: Table


@dataclass(frozen=True)
class NarrativeBlock:
    """The three answers, or ``None`` when no approved narrative exists (shown as such)."""

    answers: tuple[tuple[str, str], ...] | None
    approved_by: str = ""
    month_label: str = ""

    @property
    def approved(self) -> bool:
        return self.answers is not None


@dataclass(frozen=True)
class BulletList:
    items: tuple[str, ...]


Block = Union[Paragraph, Facts, Table, ChartBlock, NarrativeBlock, BulletList]  # noqa: UP007


@dataclass
class Section:
    """A heading and its content. ``level`` 1 starts a new page in print."""

    id: str
    title: str
    level: int = 1
    blocks: list[Block] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)
    new_page: bool = False

    def walk(self) -> Iterator[Section]:
        yield self
        for sub in self.subsections:
            yield from sub.walk()


@dataclass(frozen=True)
class Dataset:
    """A typed table for spreadsheets and CSV: ``rows`` hold numbers as numbers."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    number_formats: tuple[tuple[str, str], ...] = ()
    """(column, Excel number format) pairs, e.g. ("Value", "0.0")."""


@dataclass
class Report:
    """One report, ready for any renderer."""

    kind: ReportKind
    title: str
    authority: str
    period: str
    period_label: str
    data_as_at: date | None
    generated_at: datetime
    draft: bool
    draft_reasons: list[str]
    sections: list[Section]
    datasets: list[Dataset]
    subtitle: str = ""
    plan_title: str = ""
    summary_dataset: str = "summary"
    cover_facts: list[tuple[str, str]] = field(default_factory=list)
    one_page: bool = False
    """No cover or contents page: a heading block, then the content (the one-page summary)."""
    dated: date | None = None
    """The day the report is judged on (its month's last day once the month is over; kept
    with a published month). Files carry it as their creation and modification date, so a
    report built again later is the same file apart from "Prepared on"."""

    @property
    def marking(self) -> str:
        """``DRAFT`` or ``""``: shown on the cover and in every page header."""
        return "DRAFT" if self.draft else ""

    @property
    def running_title(self) -> str:
        return f"{self.authority} – {self.kind.label} – {self.period_label}"

    def contents(self) -> list[Section]:
        """The sections listed on the contents page (levels 1 and 2)."""
        return [s for top in self.sections for s in top.walk() if s.level <= 2]

    def dataset(self, name: str) -> Dataset:
        for d in self.datasets:
            if d.name == name:
                return d
        raise KeyError(name)

    def all_blocks(self) -> Iterator[Block]:
        for top in self.sections:
            for section in top.walk():
                yield from section.blocks

    def file_stem(self) -> str:
        return f"{self.kind.value}-report-{self.period}" + ("-DRAFT" if self.draft else "")


def datasets_named(datasets: Sequence[Dataset], prefix: str) -> list[Dataset]:
    return [d for d in datasets if d.name.startswith(prefix)]
