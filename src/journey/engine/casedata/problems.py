"""Problems found in an extract, and the report an analyst reads before accepting a load.

Two severities, on purpose:

* **error** — the file cannot be used as its format (unreadable, wrong encoding, a
  required column missing, a date, number or child ID that cannot be parsed). Any error
  blocks the load: nothing is stored.
* **warning** — a business rule of the kind DfE's return validators report (a code not in
  the list, an end before its start, an event before birth or after the extract date, a
  record for an unknown child, a repeated key, overlapping looked-after episodes). The data
  loads; the rows concerned carry ``_flagged = True`` so every figure can say how much
  imperfect data stands behind it.

Row numbers are as the analyst sees them in the file: the header is row 1, the first
record row 2 (for a workbook, the sheet's own row number).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an extract, located as precisely as the format allows."""

    severity: Severity
    #: Rule identifier, stable across releases (e.g. ``"not_a_date"``, ``"unknown_code"``).
    code: str
    #: What is wrong, in words, without the location (``"'U9' is not a placement type code (...)"``).
    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    #: The column as headed in the file (the canonical name when the file uses it).
    column: str | None = None
    value: str | None = None
    #: The canonical table the problem belongs to, when there is one.
    table: str | None = None

    @property
    def location(self) -> str:
        """``referrals.csv row 14, column referral_date`` — as much as is known."""
        place = " ".join(
            part
            for part in (
                self.file or "",
                f"sheet {self.sheet!r}" if self.sheet else "",
                f"row {self.row}" if self.row is not None else "",
            )
            if part
        )
        if self.column:
            place = f"{place}, column {self.column}" if place else f"column {self.column}"
        return place

    def __str__(self) -> str:
        place = self.location
        return f"{place}: {self.message}" if place else self.message

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text": str(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        return cls(
            severity=ERROR if data["severity"] == ERROR else WARNING,
            code=str(data["code"]),
            message=str(data["message"]),
            file=data.get("file"),
            sheet=data.get("sheet"),
            row=data.get("row"),
            column=data.get("column"),
            value=data.get("value"),
            table=data.get("table"),
        )


def _sort_key(p: Problem) -> tuple[int, str, str, int, str, str]:
    return (
        0 if p.severity == ERROR else 1,
        p.file or "",
        p.sheet or "",
        p.row if p.row is not None else -1,
        p.column or "",
        p.code,
    )


@dataclass
class ValidationReport:
    """Everything found in an extract: what it holds and what is wrong with it."""

    problems: list[Problem] = field(default_factory=list)
    #: Rows read per canonical table (only tables the extract held).
    tables: dict[str, int] = field(default_factory=dict)
    #: The format the extract was read as (``"canonical"``, ``"ssda903"``, ...).
    format: str | None = None
    #: Files (and sheets) read, as named by the analyst.
    files: list[str] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        """True when nothing blocks the load (warnings are allowed)."""
        return not self.errors

    def sorted(self) -> list[Problem]:
        """Errors first, then by file, sheet, row and column."""
        return sorted(self.problems, key=_sort_key)

    def counts_by_severity(self) -> dict[str, int]:
        counts = Counter(p.severity for p in self.problems)
        return {ERROR: counts[ERROR], WARNING: counts[WARNING]}

    def counts_by_table(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for p in self.problems:
            entry = out.setdefault(p.table or "(extract)", {ERROR: 0, WARNING: 0})
            entry[p.severity] += 1
        return dict(sorted(out.items()))

    def counts_by_rule(self) -> dict[str, int]:
        return dict(sorted(Counter(p.code for p in self.problems).items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "format": self.format,
            "files": list(self.files),
            "tables": dict(self.tables),
            "counts": {
                "severity": self.counts_by_severity(),
                "table": self.counts_by_table(),
                "rule": self.counts_by_rule(),
            },
            "problems": [p.to_dict() for p in self.sorted()],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def render_text(self, limit: int | None = 200) -> str:
        """A plain-text report: what was found, the counts, then each problem."""
        lines = [f"Format: {self.format or 'not recognised'}"]
        if self.files:
            lines.append("Files: " + ", ".join(self.files))
        lines.append("Tables found:")
        if self.tables:
            width = max(len(name) for name in self.tables)
            lines += [f"  {name:<{width}}  {rows:>8} rows" for name, rows in self.tables.items()]
        else:
            lines.append("  (none)")
        counts = self.counts_by_severity()
        lines.append(f"Problems: {counts[ERROR]} errors, {counts[WARNING]} warnings")
        for rule, n in self.counts_by_rule().items():
            lines.append(f"  {rule:<28} {n:>6}")
        shown = self.sorted() if limit is None else self.sorted()[:limit]
        lines += [f"{p.severity.upper():<7} [{p.code}] {p}" for p in shown]
        if len(shown) < len(self.problems):
            lines.append(f"... and {len(self.problems) - len(shown)} more (use the JSON report)")
        lines.append("Result: " + ("usable" if self.ok else "REJECTED: errors block the load"))
        return "\n".join(lines)


class ExtractRejected(Exception):
    """Raised when an extract has errors and so cannot be loaded; carries the full report."""

    def __init__(self, report: ValidationReport) -> None:
        self.report = report
        errors = report.errors
        first = f": {errors[0]}" if errors else ""
        super().__init__(f"the extract has {len(errors)} error(s) and was not loaded{first}")
