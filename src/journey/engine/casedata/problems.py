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


@dataclass(frozen=True)
class Rule:
    severity: Severity
    meaning: str
    example: str


#: Every rule a reader or the validation can report, for the documentation (a test checks
#: that each problem raised has an entry here).
RULES: dict[str, Rule] = {
    "icpc_not_timed": Rule(
        WARNING,
        "A CIN census initial conference in a CIN episode with no section 47 enquiry: there is no "
        "strategy discussion to time it from, so it is listed, not counted, in icpc_15wd_pct.",
        "cin.xml row 88, column DateOfInitialCPC: the initial conference on 2023-05-20 (child C3) is in a "
        "CIN episode with no section 47 enquiry ...",
    ),
    # The file cannot be used: errors.
    "unreadable_file": Rule(
        ERROR,
        "The file cannot be read as its format (for example a CSV row with more values than the header).",
        "referrals.csv row 7: row 7 has more values than the header's 10 columns",
    ),
    "wrong_encoding": Rule(
        ERROR,
        "The text is not UTF-8 or Windows-1252 (for example UTF-16 from 'Unicode text').",
        "children.csv: the file is encoded as UTF-16; save it as 'CSV UTF-8' (or Windows-1252) instead",
    ),
    "not_text": Rule(
        ERROR,
        "A file named .csv holds binary data (a workbook, PDF, or garbage).",
        "referrals.csv: the file is an old-style Excel .xls workbook (save it as .xlsx or CSV UTF-8), not a CSV text file",
    ),
    "unheaded_column": Rule(
        ERROR,
        "A column holds values but has no header (a merged header cell), so they would be dropped.",
        "extract.xlsx sheet 'children' row 1: column B has values but no header (the first is 'M', on row 2): give it its header (merged header cells keep only the first one's) or delete the column",
    ),
    "header_not_first": Rule(
        ERROR,
        "A CSV file's header is below a title or notes line instead of on row 1.",
        "referrals.csv row 2: the header is on row 2 (referral_id, child_id, referral_date), not row 1: delete the line above it (a title or notes) so that the file starts with the header, and export again",
    ),
    "not_a_workbook": Rule(
        ERROR,
        "A file named .xlsx is not a readable workbook.",
        "extract.xlsx: the file is not an .xlsx workbook (it is not a zip archive)",
    ),
    "zip_bomb": Rule(
        ERROR,
        "The workbook expands to far more than its size, or has too many parts: refused before opening.",
        "extract.xlsx: the part xl/worksheets/sheet1.xml expands 1,000 times, over the limit of 200 (a compression bomb)",
    ),
    "unsafe_xml": Rule(
        ERROR,
        "The XML declares a DTD or entities (entity expansion, external references): refused.",
        "cin.xml: the XML declares a DTD or entities, which are refused for safety ...",
    ),
    "unreadable_xml": Rule(
        ERROR,
        "The XML is not well-formed.",
        "cin.xml: the file is not well-formed XML: mismatched tag: line 3, column 4",
    ),
    "too_large": Rule(
        ERROR,
        "The file is over the configured size, row or column limit.",
        "referrals.csv: the file is 300,000,000 bytes, over the limit of 209,715,200",
    ),
    "too_many_rows": Rule(
        ERROR,
        "A sheet has more rows than the configured limit.",
        "extract.xlsx sheet 'visits': the sheet has more than 2,000,000 rows",
    ),
    "too_many_columns": Rule(
        ERROR,
        "A sheet has more columns than the configured limit.",
        "extract.xlsx sheet 'visits': the sheet has more than 500 columns",
    ),
    "too_many_files": Rule(
        ERROR,
        "The folder holds more files than the configured limit.",
        "extract: the folder holds 140 files, over the limit of 100",
    ),
    "unknown_format": Rule(
        ERROR,
        "The files are not in any format the product reads.",
        "notes.txt is not an extract format this product reads (...)",
    ),
    "ambiguous_format": Rule(
        ERROR,
        "The files fit two formats equally well: choose one.",
        "episodes.csv could be ... or ...; choose the format",
    ),
    "missing_column": Rule(
        ERROR,
        "A required column is not in the file.",
        "referrals.csv row 1, column referral_date: required column referral_date is missing",
    ),
    "duplicate_column": Rule(
        ERROR,
        "Two headers name the same column.",
        "referrals.csv row 1, column Referral Date: column Referral Date repeats column referral_date (both are referral_date)",
    ),
    "duplicate_table": Rule(
        ERROR,
        "The same table is given twice (two files or sheets).",
        "extract.xlsx sheet 'Referrals': the referrals table is given twice",
    ),
    "unreadable_value": Rule(
        ERROR,
        "A value cannot be read as its type: a date, yes/no, number or identifier.",
        "referrals.csv row 14, column referral_date: '31/02/2023' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
    ),
    "required_blank": Rule(
        ERROR,
        "A required value is blank.",
        "referrals.csv row 9, column child_id: child_id is blank but every row needs one",
    ),
    "no_rows": Rule(
        ERROR,
        "The extract gives no case records in any table (the files are not what they were read as, or are empty).",
        "ssda903.xml read as SSDA903 (looked-after children) gave no case records (no tables): there is nothing to load ...",
    ),
    # Business rules: warnings; the rows are flagged and the data loads.
    "unknown_code": Rule(
        WARNING,
        "A value is not in the column's code list.",
        "cla_episodes.csv row 8, column placement_type: 'U9' is not a placement type code (A3, A4, ..., Z1)",
    ),
    "end_before_start": Rule(
        WARNING,
        "An end date is before its start date.",
        "cp_plans.csv row 4, column end_date: end_date 2023-01-01 is before start_date 2023-02-01",
    ),
    "before_birth": Rule(
        WARNING,
        "An event is before the child's date of birth (not checked for unborn children).",
        "referrals.csv row 5, column referral_date: referral_date 2014-01-01 is before the child's date of birth 2017-01-01",
    ),
    "after_extract_date": Rule(
        WARNING,
        "An event is after the date the extract was taken (in the future).",
        "visits.csv row 3, column visit_date: visit_date 2024-05-01 is after the extract date 2024-03-31",
    ),
    "unknown_reference": Rule(
        WARNING,
        "A record refers to a child (or referral, plan, worker ...) not in the extract.",
        "referrals.csv row 3, column child_id: 'C9' is not a child_id in the children table",
    ),
    "reference_not_checked": Rule(
        WARNING,
        "References could not be checked because the table they refer to is absent.",
        "column worker_id: worker_id values were not checked: the extract has no workers table",
    ),
    "totals_row": Rule(
        ERROR,
        "A totals or summary line below the records (its 'Total' would be read as a child).",
        "referrals.csv row 150, column referral_id: this looks like a totals row ('Total' in referral_id), not a record: delete the totals and any other summary lines below the data and export again",
    ),
    "duplicate_key": Rule(
        WARNING,
        "Two rows have the same key (e.g. the same referral_id).",
        "referrals.csv row 4, column referral_id: repeats the key (referral_id 'R2') of row 3",
    ),
    "overlapping_episodes": Rule(
        WARNING,
        "A looked-after episode starts before the same child's previous episode ended.",
        "cla_episodes.csv row 3, column episode_start: episode starting 2021-02-01 overlaps the child's previous episode (2021-01-01 to 2021-03-01)",
    ),
    "end_without_reason": Rule(
        WARNING,
        "An end date is given without its reason (episode_end without reason_ceased, closure_date without closure_reason).",
        "cla_episodes.csv row 2, column reason_ceased: episode_end 2023-02-01 is given but reason_ceased is blank",
    ),
    "reason_without_end": Rule(
        WARNING,
        "A reason for ending is given without the end date.",
        "referrals.csv row 2, column closure_date: closure_reason 'RC8' is given but closure_date is blank",
    ),
    "x1_without_next_episode": Rule(
        WARNING,
        "A looked-after episode ends X1 (a new episode starts the same day) but the child's next episode does not start that day.",
        "cla_episodes.csv row 4, column reason_ceased: the episode ended 2023-05-01 with X1 (a new episode starts the same day) but the child has no later episode",
    ),
    "unborn_looked_after": Rule(
        WARNING,
        "An unborn child has a looked-after episode.",
        "cla_episodes.csv row 6, column child_id: child 'C7' is recorded as unborn but has a looked-after episode",
    ),
    "unborn_overdue": Rule(
        WARNING,
        "A child still recorded as unborn has an expected date of birth before the extract date.",
        "children.csv row 5, column unborn: the child is recorded as unborn but the expected date of birth 2023-01-01 is before the extract date 2024-03-31",
    ),
    "unknown_column": Rule(
        WARNING,
        "A column is not in the table; it is ignored.",
        "children.csv row 1, column colour: column colour is not in the children table and is ignored",
    ),
    "unknown_file": Rule(
        WARNING,
        "A file is not a table of the format; it is ignored.",
        "notes.txt: the file is not a canonical table and is ignored",
    ),
    "unknown_sheet": Rule(
        WARNING,
        "A sheet is not a table of the format; it is ignored.",
        "extract.xlsx: sheet 'Pivot' is not a canonical table and is ignored",
    ),
    "unknown_field": Rule(
        WARNING,
        "extract.json holds a field other than as_at and la_code; it is ignored.",
        "extract.json: field 'council' is not known and is ignored",
    ),
    "empty_extract": Rule(
        ERROR,
        "Every file given is empty: there is no extract to read.",
        "children.csv: the file is empty, so there is nothing to read: export the data again",
    ),
    "empty_file": Rule(
        WARNING,
        "A table's file is empty (not even a header): read as an empty table.",
        "visits.csv: the file is empty and is read as an empty table",
    ),
    "extract_date_assumed": Rule(
        WARNING,
        "The extract does not say when it was taken: today's date is used for it.",
        "the extract does not say when it was taken, so it is taken as at today, 2024-04-02 (give the date in extract.json, an _extract sheet or --as-at)",
    ),
    # Raised by the statutory-format readers (journey.engine.casedata.formats).
    "missing_optional_column": Rule(
        WARNING,
        "A statutory table lacks an optional column; it is treated as blank.",
        "the Episodes table has no URN column; it is treated as blank",
    ),
    "unrecognised_table": Rule(
        ERROR,
        "An SSDA903 CSV's columns match none of DfE's tables.",
        "export.csv: the columns do not match any SSDA903 table (found: ...)",
    ),
    "unknown_collection_year": Rule(
        ERROR,
        "An SSDA903 OC3 file has no collection year, so its rows cannot be dated.",
        "oc3.csv: the collection year of this OC3 file is not known, so its 12 row(s) cannot be dated ...",
    ),
    "year_unknown": Rule(
        WARNING,
        "Some SSDA903 files have no collection year in their names.",
        "some Episodes files have no collection year in their names; ...",
    ),
    "file_ignored": Rule(
        WARNING,
        "A file that is not a table of the format is ignored.",
        "notes.txt: not a .csv file, so not an SSDA903 table; ignored",
    ),
    "as_at_assumed": Rule(
        WARNING,
        "The extract date is inferred from the file (latest date, or the collection year).",
        "the header has no ReferenceDate; the extract date is taken as 31 March 2024 from its Year",
    ),
    "as_at_check": Rule(
        WARNING,
        "The inferred extract date is well after the latest date in the files: a part-year extract?",
        "the extract date is taken as the end of the 2024 collection year, 2024-03-31, but the latest date in that year's files is 2023-10-31: ...",
    ),
    "not_cin_census": Rule(
        ERROR,
        "The XML is not a CIN census Message.",
        "cin.xml: the XML's root element is <Return>; a CIN census file is a <Message> with a <Header> and <Children>",
    ),
    "sheet_ignored": Rule(
        WARNING,
        "An Annex A sheet with no list number in its name is ignored.",
        "annex_a.xlsx sheet 'Cover': the sheet's name has no list number (e.g. 'List 3'), so it was ignored",
    ),
    "duplicate_list": Rule(
        WARNING,
        "A second sheet for the same Annex A list is ignored.",
        "annex_a.xlsx sheet 'List 3 (2)': a second sheet for List 3 was ignored (the first was 'List 3')",
    ),
    "list_missing": Rule(
        WARNING,
        "An Annex A list has no sheet; its tables are empty.",
        "annex_a.xlsx: no sheet for List 9 - Care leavers was found (sheets: ...); its tables are empty",
    ),
    "no_contact_date": Rule(
        WARNING,
        "An Annex A care leaver has no contact date and the extract date is unknown; the row is not used.",
        "annex_a.xlsx sheet 'List 9' row 12: the care leaver has no latest date of contact ...",
    ),
    "not_used": Rule(
        WARNING,
        "Data was read but has no canonical table (e.g. SSDA903 OC2, Annex A lists 10 and 11).",
        "OC2.csv: health outcomes have no canonical table; the file was checked but not used",
    ),
    "formula_cell": Rule(
        WARNING,
        "A workbook cell holds a formula: it is never evaluated; its saved value is used.",
        "extract.xlsx sheet 'children' row 3, column B: cell B3 holds the formula =A3; formulas are never evaluated: its saved value 'M' is used",
    ),
}


def _dfe_rules() -> dict[str, Rule]:
    """DfE's validation rules the library checks (:mod:`journey.engine.casedata.dfe_rules`),
    documented with the others under ``dfe_<DfE's code>``."""
    from journey.engine.casedata.dfe_rules import DFE_RULES

    return {
        rule.problem_code: Rule(
            WARNING,
            f"DfE {rule.collection} rule {rule.code}: {rule.message} It changes "
            f"{', '.join(rule.figures)}: {rule.why}.",
            f"DfE {rule.collection} rule {rule.code}: {rule.message}",
        )
        for rule in DFE_RULES
    }


RULES.update(_dfe_rules())
