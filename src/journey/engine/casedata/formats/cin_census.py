"""The CIN census (DfE's children in need XML return), read into and written from the
canonical tables.

Reading
-------
The file is parsed with ``defusedxml``: a DTD, entity declaration or external reference
is refused with an error (so "billion laughs" entity expansion and external-entity
attacks cannot happen); a file that is not well-formed XML is an error naming the line.
Every element's line is kept, so a problem names the **line** of the XML file (given as
the problem's row). Element names are matched without their namespace.

One ``<Child>`` gives a row of children: LAchildID (cleaned as every loader does),
UPN, PersonBirthDate or, for an unborn child, ExpectedPersonBirthDate (``unborn`` True),
Sex (M/F/U) or the older GenderCurrent (1 → M, 2 → F, 0 and 9 → U), PersonDeathDate,
Ethnicity, and ``disability`` True when any Disability code other than NONE is given
(False when only NONE, blank when no Disabilities block).

The census identifies no event, so identifiers are generated from the child and the
date, the same way in every format: referral ``<child>-R<YYYYMMDD>``, assessment
``-A``, section 47 ``-S``, initial conference ``-I``, CP plan ``-P``, CIN plan ``-N``
(a second event of the same kind on the same day gets ``-2``).

* CINdetails → referrals (CINreferralDate, ReferralSource, PrimaryNeedCode,
  CINclosureDate, ReasonForClosure, ReferralNFA).
* Assessments → assessments (AssessmentActualStartDate, AssessmentAuthorisationDate,
  referral). AssessmentInternalReviewDate and AssessmentFactors are not kept.
* CINPlanDates → cin_plans. Section47 → section47: S47ActualStartDate is, by DfE's
  definition, the date of the strategy discussion that initiated the enquiry, so it fills
  both ``strategy_discussion_date`` and ``start_date``; ICPCnotRequired → ``icpc_required``
  (negated). InitialCPCtarget is not kept (it is derived).
* Section47/DateOfInitialCPC → icpcs (``plan_made`` True when a plan of the same episode
  starts that day); a CINdetails DateOfInitialCPC with no matching section 47 conference
  gives an icpcs row without an ``s47_id``.
* ChildProtectionPlans → cp_plans (dates, categories, NumberOfPreviousCPP); Reviews →
  cp_reviews.
* Header: ReferenceDate is the extract's date (``as_at``).

Writing
-------
:func:`write_cin_census` writes one census: every child with a referral open at some point
between ``period_start`` and ``reference_date``, with that referral's assessments,
section 47s (linked by ``referral_id``, else by date to the latest referral on or before
them), CIN plans and CP plans (by date). What the census cannot hold is not written: team,
worker, ``child_seen``, assessment outcome, section 47 end date, a strategy discussion
date different from the S47 start, contacts, early help and everything looked-after.
``disability`` True is written as the catch-all code DDA, False as NONE. The census is
as at ``reference_date``: rows starting later are left out and later ends blank; each
initial conference is written in its Section47 module only (DfE rule 2884).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as StdET
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml.ElementTree as SafeET
import polars as pl
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden

from journey.engine.casedata.dfe_rules import YEAR as RETURN_YEAR
from journey.engine.casedata.formats._common import (
    ERROR,
    WARNING,
    FormatResult,
    Problem,
    TableSource,
    clean_child_id,
    clean_code,
    clean_text,
    collect_tables,
    conform,
    dedupe_ids,
    event_id,
    parse_dates,
)
from journey.engine.casedata.load import ExtractFormat, register_format
from journey.engine.casedata.safety import Limits, UnsafeInput, check_size, xml_error
from journey.engine.casedata.validation import FILE, ROW, SHEET, Source
from journey.engine.periods import add_working_days

FORMAT = "cin_census"

ISO_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
_TRUE = {"true", "1", "y", "yes"}
_FALSE = {"false", "0", "n", "no"}

IDENTIFIER_FIELDS = (
    "LAchildID",
    "UPN",
    "PersonBirthDate",
    "ExpectedPersonBirthDate",
    "Sex",
    "GenderCurrent",
    "PersonDeathDate",
)
CIN_FIELDS = (
    "CINreferralDate",
    "ReferralSource",
    "PrimaryNeedCode",
    "CINclosureDate",
    "ReasonForClosure",
    "DateOfInitialCPC",
    "ReferralNFA",
)
ASSESSMENT_FIELDS = (
    "AssessmentActualStartDate",
    "AssessmentInternalReviewDate",
    "AssessmentAuthorisationDate",
)
PLAN_FIELDS = ("CINPlanStartDate", "CINPlanEndDate")
S47_FIELDS = ("S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC", "ICPCnotRequired")
CPP_FIELDS = (
    "CPPstartDate",
    "CPPendDate",
    "InitialCategoryOfAbuse",
    "LatestCategoryOfAbuse",
    "NumberOfPreviousCPP",
)
DATE_FIELDS = frozenset(
    {
        "PersonBirthDate",
        "ExpectedPersonBirthDate",
        "PersonDeathDate",
        "CINreferralDate",
        "CINclosureDate",
        "DateOfInitialCPC",
        "AssessmentActualStartDate",
        "AssessmentInternalReviewDate",
        "AssessmentAuthorisationDate",
        "CINPlanStartDate",
        "CINPlanEndDate",
        "S47ActualStartDate",
        "InitialCPCtarget",
        "CPPstartDate",
        "CPPendDate",
        "CPPreviewDate",
    }
)
BOOL_FIELDS = frozenset({"ReferralNFA", "ICPCnotRequired"})
INT_FIELDS = frozenset({"NumberOfPreviousCPP"})

#: GenderCurrent (before 2024-25) → canonical sex.
GENDER_CURRENT = {"1": "M", "2": "F", "0": "U", "9": "U"}


# --- parsing ------------------------------------------------------------------------------


class _LineTreeBuilder(TreeBuilder):
    """A tree builder that remembers the line each element starts on."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[int, int] = {}
        self.parser: Any = None

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        element = super().start(tag, attrs)
        if self.parser is not None:
            self.lines[id(element)] = self.parser.parser.CurrentLineNumber
        return element


def parse_census_xml(
    data: bytes, file: str, limits: Limits | None = None
) -> tuple[Element, dict[int, int]]:
    """Parse safely; return the root and each element's line. Refusals raise UnsafeInput."""
    check_size(data, file, limits or Limits())
    builder = _LineTreeBuilder()
    parser = SafeET.DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    builder.parser = parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as err:
        line = parser.parser.CurrentLineNumber
        what = (
            "a DTD (<!DOCTYPE ...>)"
            if isinstance(err, DTDForbidden)
            else "an entity"
            if isinstance(err, EntitiesForbidden)
            else "an external reference"
        )
        raise UnsafeInput(
            Problem(
                ERROR,
                "unsafe_xml",
                f"the XML declares {what} on line {line}; CIN census files never need one, and "
                "they are refused because they allow entity expansion ('billion laughs') and "
                "reading other files (external entities)",
                file=file,
                row=line,
            )
        ) from None
    except ParseError as err:
        line = err.position[0] if err.position else None
        raise UnsafeInput(
            Problem(
                ERROR,
                "unreadable_xml",
                xml_error(data, err),
                file=file,
                row=line,
            )
        ) from None
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rsplit("}", 1)[1]
    return root, builder.lines


def _text(element: Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    value = element.text.strip()
    return value or None


def _fields(
    block: Element, names: Iterable[str], lines: Mapping[int, int], row: dict[str, Any]
) -> dict[str, Any]:
    block_line = lines.get(id(block))
    for name in names:
        element = block.find(name)
        row[name] = _text(element)
        row[f"_line_{name}"] = (
            lines.get(id(element), block_line) if element is not None else block_line
        )
    row[ROW] = block_line
    return row


_BLOCKS = (
    ("ChildIdentifiers", IDENTIFIER_FIELDS),
    ("CINdetails", CIN_FIELDS),
    ("Assessments", ASSESSMENT_FIELDS),
    ("CINPlanDates", PLAN_FIELDS),
    ("Section47", S47_FIELDS),
    ("ChildProtectionPlans", CPP_FIELDS),
)


def _repeated_elements(root: Element, lines: Mapping[int, int], file: str) -> list[Problem]:
    """A data item given twice in one block (as written, or differing only in case): the
    reader would take the first and drop the other, so it is an error naming the line."""
    problems = []
    for tag, fields in _BLOCKS:
        wanted = {name.lower(): name for name in fields}
        for block in root.iter(tag):
            seen: dict[str, Element] = {}
            for element in block:
                key = element.tag.lower() if isinstance(element.tag, str) else ""
                if key not in wanted:
                    continue
                if key in seen:
                    first = seen[key]
                    problems.append(
                        Problem(
                            ERROR,
                            "duplicate_column",
                            f"<{element.tag}> appears twice in one <{tag}> (first at line "
                            f"{lines.get(id(first))}); a record holds one {wanted[key]}",
                            file=file,
                            row=lines.get(id(element)),
                            column=wanted[key],
                        )
                    )
                else:
                    seen[key] = element
    return problems


def _collect(root: Element, lines: Mapping[int, int]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {
        name: [] for name in ("child", "cin", "assessment", "plan", "s47", "cpp", "review")
    }
    children = root.find("Children")
    for n_child, child in enumerate(children.findall("Child") if children is not None else []):
        identifiers = child.find("ChildIdentifiers")
        record = _fields(
            identifiers if identifiers is not None else child, IDENTIFIER_FIELDS, lines, {}
        )
        record["_child"] = n_child
        characteristics = child.find("ChildCharacteristics")
        record["Ethnicity"] = (
            _text(characteristics.find("Ethnicity")) if characteristics is not None else None
        )
        disabilities = characteristics.find("Disabilities") if characteristics is not None else None
        record["Disabilities"] = (
            [_text(d) for d in disabilities.findall("Disability")]
            if disabilities is not None
            else None
        )
        rows["child"].append(record)
        for n_cin, details in enumerate(child.findall("CINdetails")):
            key = {"_child": n_child, "_cin": n_cin}
            rows["cin"].append(_fields(details, CIN_FIELDS, lines, dict(key)))
            for block in details.findall("Assessments"):
                rows["assessment"].append(_fields(block, ASSESSMENT_FIELDS, lines, dict(key)))
            for block in details.findall("CINPlanDates"):
                rows["plan"].append(_fields(block, PLAN_FIELDS, lines, dict(key)))
            for block in details.findall("Section47"):
                rows["s47"].append(_fields(block, S47_FIELDS, lines, dict(key)))
            for n_cpp, block in enumerate(details.findall("ChildProtectionPlans")):
                plan_key = {**key, "_cpp": n_cpp}
                rows["cpp"].append(_fields(block, CPP_FIELDS, lines, dict(plan_key)))
                for review in block.findall("Reviews"):
                    rows["review"].append(
                        _fields(review, ("CPPreviewDate",), lines, dict(plan_key))
                    )
    return rows


_FIELDS_BY_KIND = {
    "child": IDENTIFIER_FIELDS,
    "cin": CIN_FIELDS,
    "assessment": ASSESSMENT_FIELDS,
    "plan": PLAN_FIELDS,
    "s47": S47_FIELDS,
    "cpp": CPP_FIELDS,
    "review": ("CPPreviewDate",),
}
_KEYS = {
    "child": ("_child",),
    "cin": ("_child", "_cin"),
    "assessment": ("_child", "_cin"),
    "plan": ("_child", "_cin"),
    "s47": ("_child", "_cin"),
    "cpp": ("_child", "_cin", "_cpp"),
    "review": ("_child", "_cin", "_cpp"),
}


def _frame(kind: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    fields = _FIELDS_BY_KIND[kind]
    schema: dict[str, pl.DataType] = {k: pl.Int64() for k in _KEYS[kind]}
    schema.update({f: pl.String() for f in fields})
    schema.update({f"_line_{f}": pl.Int64() for f in fields})
    schema[ROW] = pl.Int64()
    if kind == "child":
        schema["Ethnicity"] = pl.String()
        schema["Disabilities"] = pl.List(pl.String())
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _typed(
    df: pl.DataFrame, fields: Iterable[str], file: str, problems: list[Problem]
) -> pl.DataFrame:
    """Dates and yes/no fields typed; every unreadable value an error naming its line."""
    for name in fields:
        if name in DATE_FIELDS:
            df, found = parse_dates(
                df,
                [name],
                file=file,
                row_column=f"_line_{name}",
                formats=ISO_FORMATS,
                expected="a date (expected YYYY-MM-DD)",
            )
            problems += found
        elif name in BOOL_FIELDS:
            text = clean_text(pl.col(name)).str.to_lowercase()
            bad = df.filter(text.is_not_null() & ~text.is_in(sorted(_TRUE | _FALSE)))
            problems += [
                Problem(
                    ERROR,
                    "unreadable_value",
                    f"{value!r} is not true or false",
                    file=file,
                    row=line,
                    column=name,
                    value=value,
                )
                for value, line in bad.select(name, f"_line_{name}").iter_rows()
            ]
            df = df.with_columns(
                pl.when(text.is_in(sorted(_TRUE)))
                .then(pl.lit(True))
                .when(text.is_in(sorted(_FALSE)))
                .then(pl.lit(False))
                .otherwise(pl.lit(None, dtype=pl.Boolean))
                .alias(name)
            )
        elif name in INT_FIELDS:
            text = clean_text(pl.col(name)).str.replace(r"^(\d+)\.0+$", "${1}")
            bad = df.filter(text.is_not_null() & text.cast(pl.Int64, strict=False).is_null())
            problems += [
                Problem(
                    ERROR,
                    "unreadable_value",
                    f"{value!r} is not a whole number",
                    file=file,
                    row=line,
                    column=name,
                    value=value,
                )
                for value, line in bad.select(name, f"_line_{name}").iter_rows()
            ]
    return df


def read_cin_census(path: str | Path, *, limits: Limits | None = None) -> FormatResult:
    """Read a CIN census XML file from disk into canonical tables."""
    path = Path(path)
    return read_cin_census_bytes(path.read_bytes(), path.name, limits=limits)


def read_cin_census_bytes(data: bytes, file: str, *, limits: Limits | None = None) -> FormatResult:
    """Read a CIN census XML document into canonical tables (refusals become errors)."""
    result = FormatResult(FORMAT)
    try:
        root, lines = parse_census_xml(data, file, limits)
    except UnsafeInput as refused:
        result.problems.append(refused.problem)
        return result
    problems = result.problems
    if root.tag != "Message" or root.find("Children") is None:
        problems.append(
            Problem(
                ERROR,
                "not_cin_census",
                f"the XML's root element is <{root.tag}>"
                + ("" if root.tag != "Message" else " without <Children>")
                + "; a CIN census file is a <Message> with a <Header> and <Children>",
                file=file,
                row=lines.get(id(root)),
            )
        )
        return result
    header = root.find("Header")
    values = {
        element.tag: _text(element) for element in (header.iter() if header is not None else [])
    }
    reference = values.get("ReferenceDate")
    if reference:
        try:
            result.as_at = date.fromisoformat(reference)
        except ValueError:
            problems.append(
                Problem(
                    ERROR,
                    "unreadable_value",
                    f"{reference!r} is not a date (expected YYYY-MM-DD)",
                    file=file,
                    row=lines.get(id(header.find(".//ReferenceDate")))
                    if header is not None
                    else None,
                    column="ReferenceDate",
                    value=reference,
                )
            )
    elif (year := values.get("Year") or "").isdigit():
        result.as_at = date(int(year), 3, 31)
        result.warn(
            "as_at_assumed",
            f"the header has no ReferenceDate; the extract date is taken as 31 March {year} "
            "from its Year",
            file=file,
        )
    _check_reference_date(result, values, header, lines, file)
    if (lea := (values.get("LEA") or "").strip()).isdigit():
        result.la_code = lea.zfill(3)
    described = ", ".join(
        f"{k} {values[k]}" for k in ("Collection", "Year", "ReferenceDate", "LEA") if values.get(k)
    )
    if described:
        result.notes.append(f"{file}: {described}.")

    problems.extend(_repeated_elements(root, lines, file))
    if any(p.code == "duplicate_column" for p in problems):
        return result
    raw = {kind: _frame(kind, rows) for kind, rows in _collect(root, lines).items()}
    typed = {
        kind: _typed(frame, _FIELDS_BY_KIND[kind], file, problems).with_columns(
            pl.lit(file).alias(FILE), pl.lit(None, dtype=pl.String).alias(SHEET)
        )
        for kind, frame in raw.items()
    }
    problems.extend(_conference_problems(typed, file))
    census_year = int(year) if (year := values.get("Year") or "").isdigit() else None
    if census_year is None and result.as_at is not None:
        census_year = result.as_at.year + (1 if result.as_at.month >= 4 else 0)
    # The census year goes with each row, for DfE's rules tied to it.
    result.tables = {
        name: frame.with_columns(pl.lit(census_year, dtype=pl.Int64).alias(RETURN_YEAR))
        for name, frame in _map(typed).items()
    }
    result.sources = {table: Source(columns=labels) for table, labels in COLUMN_LABELS.items()}
    factors = root.find(".//AssessmentFactors")
    if factors is not None:
        result.notes.append(
            f"{file}: AssessmentFactors are read but not kept (no canonical column)."
        )
    return result


def _check_reference_date(
    result: FormatResult,
    values: Mapping[str, str | None],
    header: Element | None,
    lines: Mapping[int, int],
    file: str,
) -> None:
    """DfE rule 100: the ReferenceDate is 31 March of the census Year. When it is not, the
    census's figures are taken as at that 31 March (the end of the census year), so the
    "latest" figures describe the census year, not the months after it."""
    year = values.get("Year") or ""
    if result.as_at is None:  # no date, or an unreadable one (an error already)
        return
    if not year.isdigit():
        if (result.as_at.month, result.as_at.day) != (3, 31):
            detail = f"ReferenceDate {result.as_at.isoformat()} is not a 31 March"
            result.problems.append(_rule_100(detail, header, lines, file))
        return
    expected = date(int(year), 3, 31)
    if result.as_at == expected:
        return
    given = values.get("ReferenceDate")
    found = f"ReferenceDate {given}" if given else "no ReferenceDate"
    result.problems.append(
        _rule_100(
            f"{found}, but the {year} census's is {expected.isoformat()}: its figures are taken as at "
            f"{expected.isoformat()}, the end of the census year",
            header,
            lines,
            file,
        )
    )
    result.as_at = expected


def _rule_100(detail: str, header: Element | None, lines: Mapping[int, int], file: str) -> Problem:
    element = header.find(".//ReferenceDate") if header is not None else None
    return Problem(
        WARNING,
        "dfe_100",
        f"DfE CIN census rule 100: Reference Date is incorrect ({detail})",
        file=file,
        row=lines.get(id(element if element is not None else header)) if header is not None else None,
        column="ReferenceDate",
    )


def _conference_problems(typed: Mapping[str, pl.DataFrame], file: str) -> list[Problem]:
    """Initial conferences recorded on a CIN episode (CINdetails): recorded on its section
    47 too (DfE rule 2884; counted once, as the section 47's), or in an episode with no
    section 47 enquiry, so with nothing to time it from (listed, not counted, in the 15
    working days measure)."""
    keys = ["_child", "_cin"]
    children = typed["child"].select("_child", "LAchildID")
    enquiries = typed["s47"].group_by(keys).agg(
        pl.len().alias("_enquiries"), pl.col("DateOfInitialCPC").is_not_null().any().alias("_on_s47")
    )
    recorded = (
        typed["cin"]
        .filter(pl.col("DateOfInitialCPC").is_not_null())
        .join(enquiries, on=keys, how="left")
        .join(children, on="_child", how="left")
    )
    out: list[Problem] = []
    for child, day, line in recorded.filter(pl.col("_on_s47").fill_null(False)).select(
        "LAchildID", "DateOfInitialCPC", "_line_DateOfInitialCPC"
    ).iter_rows():
        out.append(
            Problem(
                WARNING,
                "dfe_2884",
                "DfE CIN census rule 2884: An initial child protection conference is recorded at both "
                "the S47 and CIN Details level and it should only be recorded in one "
                f"(child {child}: the CIN Details conference {day} is not counted as another conference)",
                file=file,
                row=line,
                column="DateOfInitialCPC",
                value=str(day),
            )
        )
    for child, day, line in recorded.filter(pl.col("_enquiries").is_null()).select(
        "LAchildID", "DateOfInitialCPC", "_line_DateOfInitialCPC"
    ).iter_rows():
        out.append(
            Problem(
                WARNING,
                "icpc_not_timed",
                f"the initial conference on {day} (child {child}) is in a CIN episode with no section 47 "
                "enquiry, so there is no strategy discussion to time it from: it is listed, not counted, "
                "in the 15 working days measure unless the child has an earlier enquiry with no conference of "
                "its own",
                file=file,
                row=line,
                column="DateOfInitialCPC",
                value=str(day),
            )
        )
    return out


#: How the canonical columns are named in the census, for naming them in warnings.
COLUMN_LABELS: dict[str, dict[str, str]] = {
    "children": {
        "child_id": "LAchildID",
        "upn": "UPN",
        "date_of_birth": "PersonBirthDate",
        "sex": "Sex",
        "ethnicity": "Ethnicity",
        "disability": "Disability",
        "date_of_death": "PersonDeathDate",
    },
    "referrals": {
        "child_id": "LAchildID",
        "referral_date": "CINreferralDate",
        "source": "ReferralSource",
        "nfa": "ReferralNFA",
        "primary_need": "PrimaryNeedCode",
        "closure_date": "CINclosureDate",
        "closure_reason": "ReasonForClosure",
    },
    "assessments": {
        "start_date": "AssessmentActualStartDate",
        "authorised_date": "AssessmentAuthorisationDate",
    },
    "section47": {"start_date": "S47ActualStartDate", "icpc_required": "ICPCnotRequired"},
    "icpcs": {"conference_date": "DateOfInitialCPC"},
    "cin_plans": {"start_date": "CINPlanStartDate", "end_date": "CINPlanEndDate"},
    "cp_plans": {
        "start_date": "CPPstartDate",
        "end_date": "CPPendDate",
        "initial_category": "InitialCategoryOfAbuse",
        "latest_category": "LatestCategoryOfAbuse",
        "previous_plans": "NumberOfPreviousCPP",
    },
    "cp_reviews": {"review_date": "CPPreviewDate"},
}


def _location() -> list[pl.Expr]:
    return [pl.col(FILE), pl.col(SHEET), pl.col(ROW)]


def _map(t: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    child = t["child"].with_columns(clean_child_id(pl.col("LAchildID")).alias("child_id"))
    ids = child.select("_child", "child_id")
    sex_text = clean_code(pl.coalesce(pl.col("Sex"), pl.col("GenderCurrent")))
    disabilities = pl.col("Disabilities").list.eval(clean_code(pl.element())).list.drop_nulls()
    children = child.select(
        "child_id",
        sex_text.replace(GENDER_CURRENT).alias("sex"),
        pl.coalesce(pl.col("PersonBirthDate"), pl.col("ExpectedPersonBirthDate")).alias(
            "date_of_birth"
        ),
        pl.when(pl.col("PersonBirthDate").is_not_null())
        .then(pl.lit(False))
        .when(pl.col("ExpectedPersonBirthDate").is_not_null())
        .then(pl.lit(True))
        .alias("unborn"),
        clean_code(pl.col("Ethnicity")).alias("ethnicity"),
        clean_code(pl.col("UPN")).alias("upn"),
        pl.when(pl.col("Disabilities").is_null() | (disabilities.list.len() == 0))
        .then(pl.lit(None, dtype=pl.Boolean))
        .otherwise(disabilities.list.eval(pl.element() != "NONE").list.any())
        .alias("disability"),
        pl.col("PersonDeathDate").alias("date_of_death"),
        *_location(),
    )

    cin = t["cin"].join(ids, on="_child", how="left")
    fallback = pl.concat_str([pl.col("child_id"), pl.lit("-Rline"), pl.col(ROW).cast(pl.String)])
    cin = dedupe_ids(
        cin.with_columns(
            pl.coalesce(
                event_id(pl.col("child_id"), "R", pl.col("CINreferralDate")), fallback
            ).alias("referral_id")
        ),
        "referral_id",
    )
    episode = cin.select("_child", "_cin", "child_id", "referral_id")
    referrals = cin.select(
        "referral_id",
        "child_id",
        pl.col("CINreferralDate").alias("referral_date"),
        clean_code(pl.col("ReferralSource")).alias("source"),
        pl.col("ReferralNFA").alias("nfa"),
        clean_code(pl.col("PrimaryNeedCode")).alias("primary_need"),
        pl.col("CINclosureDate").alias("closure_date"),
        clean_code(pl.col("ReasonForClosure")).alias("closure_reason"),
        *_location(),
    )

    def events(kind: str, letter: str, start: str, id_name: str) -> pl.DataFrame:
        frame = t[kind].join(episode, on=["_child", "_cin"], how="left")
        frame = frame.with_columns(
            event_id(pl.col("child_id"), letter, pl.col(start)).alias(id_name)
        )
        return dedupe_ids(frame, id_name)

    assessments = events("assessment", "A", "AssessmentActualStartDate", "assessment_id").select(
        "assessment_id",
        "child_id",
        "referral_id",
        pl.col("AssessmentActualStartDate").alias("start_date"),
        pl.col("AssessmentAuthorisationDate").alias("authorised_date"),
        *_location(),
    )
    cin_plans = events("plan", "N", "CINPlanStartDate", "cin_plan_id").select(
        "cin_plan_id",
        "child_id",
        pl.col("CINPlanStartDate").alias("start_date"),
        pl.col("CINPlanEndDate").alias("end_date"),
        *_location(),
    )
    s47 = events("s47", "S", "S47ActualStartDate", "s47_id")
    section47 = s47.select(
        "s47_id",
        "child_id",
        "referral_id",
        pl.col("S47ActualStartDate").alias("strategy_discussion_date"),
        pl.col("S47ActualStartDate").alias("start_date"),
        pl.col("ICPCnotRequired").not_().alias("icpc_required"),
        *_location(),
    )
    cpp = events("cpp", "P", "CPPstartDate", "cp_plan_id")
    cp_plans = cpp.select(
        "cp_plan_id",
        "child_id",
        pl.col("CPPstartDate").alias("start_date"),
        pl.col("CPPendDate").alias("end_date"),
        clean_code(pl.col("InitialCategoryOfAbuse")).alias("initial_category"),
        clean_code(pl.col("LatestCategoryOfAbuse")).alias("latest_category"),
        clean_text(pl.col("NumberOfPreviousCPP"))
        .cast(pl.Int64, strict=False)
        .alias("previous_plans"),
        *_location(),
    )
    cp_reviews = (
        t["review"]
        .join(
            cpp.select("_child", "_cin", "_cpp", "child_id", "cp_plan_id"),
            on=["_child", "_cin", "_cpp"],
            how="left",
        )
        .select(
            "child_id", "cp_plan_id", pl.col("CPPreviewDate").alias("review_date"), *_location()
        )
    )

    plan_starts = (
        cpp.select("_child", "_cin", pl.col("CPPstartDate").alias("conference_date"))
        .with_columns(pl.lit(True).alias("plan_made"))
        .unique()
    )
    s47_conferences = s47.filter(pl.col("DateOfInitialCPC").is_not_null()).select(
        "_child",
        "_cin",
        "child_id",
        "s47_id",
        pl.col("DateOfInitialCPC").alias("conference_date"),
        *_location(),
    )
    # A conference recorded on the CIN episode (CINdetails) is the episode's section 47's:
    # not a separate conference when a section 47 module records one (DfE rule 2884), else
    # linked to the episode's latest enquiry started on or before it (its first otherwise).
    keys = ["_child", "_cin"]
    enquiries = s47.filter(pl.col("S47ActualStartDate").is_not_null()).select(
        *keys, "s47_id", pl.col("S47ActualStartDate").alias("_s47_start")
    )
    recorded_on_s47 = s47.filter(pl.col("DateOfInitialCPC").is_not_null()).select(keys).unique()
    first_enquiry = enquiries.sort("_s47_start").unique(keys, keep="first").select(
        *keys, pl.col("s47_id").alias("_first_s47")
    )
    episode_conferences = (
        cin.filter(pl.col("DateOfInitialCPC").is_not_null())
        .join(recorded_on_s47, on=keys, how="anti")
        .select(*keys, "child_id", pl.col("DateOfInitialCPC").alias("conference_date"), *_location())
        .sort("conference_date")
        .join_asof(
            enquiries.sort("_s47_start"),
            left_on="conference_date",
            right_on="_s47_start",
            by=keys,
            strategy="backward",
            check_sortedness=False,
        )
        .join(first_enquiry, on=keys, how="left")
        .with_columns(pl.coalesce("s47_id", "_first_s47").alias("s47_id"))
        .select(*keys, "child_id", "s47_id", "conference_date", *_location())
        .join(s47_conferences, on=["child_id", "conference_date"], how="anti")
    )
    icpcs = (
        pl.concat([s47_conferences, episode_conferences], how="vertical")
        .join(plan_starts, on=["_child", "_cin", "conference_date"], how="left")
        .with_columns(
            event_id(pl.col("child_id"), "I", pl.col("conference_date")).alias("icpc_id"),
            pl.col("plan_made").fill_null(False),
        )
        .unique(["child_id", "s47_id", "conference_date"], keep="first", maintain_order=True)
    )
    icpcs = dedupe_ids(icpcs, "icpc_id").select(
        "icpc_id", "child_id", "s47_id", "conference_date", "plan_made", *_location()
    )

    frames = {
        "children": children,
        "referrals": referrals,
        "assessments": assessments,
        "section47": section47,
        "icpcs": icpcs,
        "cin_plans": cin_plans,
        "cp_plans": cp_plans,
        "cp_reviews": cp_reviews,
    }
    return {name: conform(frame, name, location=True) for name, frame in frames.items()}


def detect(files: Mapping[str, bytes]) -> int:
    """95 for a single XML file whose start looks like a CIN census, else 0."""
    if len(files) != 1:
        return 0
    [(name, data)] = files.items()
    head = data[:4096]
    if b"<Message" in head and (b"CIN" in head or b"<Children" in head):
        return 95
    if name.lower().endswith(".xml") and b"<Children" in data[:65536]:
        return 60
    return 0


def _read_files(files: Mapping[str, bytes], limits: Limits) -> FormatResult:
    [(name, data)] = files.items()
    return read_cin_census_bytes(data, name, limits=limits)


register_format(
    ExtractFormat(
        name=FORMAT,
        title="CIN census XML",
        detect=detect,
        read=_read_files,
        accepts="one CIN census XML file (DfE's Message/Header/Children layout)",
    )
)


# --- writing ------------------------------------------------------------------------------


def _add(parent: Element, tag: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, date):
        value = value.isoformat()
    StdET.SubElement(parent, tag).text = str(value)


def _attach(events: pl.DataFrame, referrals: pl.DataFrame, on: str) -> pl.DataFrame:
    """Each event's referral: its own referral_id if given, else the child's latest referral
    on or before the event's date ``on``."""
    refs = referrals.select("child_id", "referral_id", pl.col("referral_date").alias(on)).sort(on)
    matched = (
        events.with_row_index("_event")
        .filter(pl.col(on).is_not_null())
        .sort(on)
        .join_asof(
            refs.rename({"referral_id": "_asof"}),
            on=on,
            by="child_id",
            strategy="backward",
            check_sortedness=False,
        )
        .select("_event", "_asof")
    )
    frame = events.with_row_index("_event").join(matched, on="_event", how="left")
    given = (
        pl.col("referral_id") if "referral_id" in events.columns else pl.lit(None, dtype=pl.String)
    )
    valid = given.is_in(referrals["referral_id"].implode())
    return frame.with_columns(
        pl.when(valid).then(given).otherwise(pl.col("_asof")).alias("_referral")
    ).drop("_event", "_asof")


#: Per table: the date a row must not start after, and the dates blanked when later, for a
#: census as at its reference date (what happened later is not yet known then).
_CENSUS_DATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "referrals": ("referral_date", ("closure_date", "closure_reason")),
    "assessments": ("start_date", ("authorised_date",)),
    "section47": ("start_date", ("end_date",)),
    "icpcs": ("conference_date", ()),
    "cin_plans": ("start_date", ("end_date",)),
    "cp_plans": ("start_date", ("end_date",)),
    "cp_reviews": ("review_date", ()),
}


def _as_at(tables: dict[str, pl.DataFrame], day: date) -> dict[str, pl.DataFrame]:
    """The tables as they stood on ``day``: rows starting later left out, later ends (and
    what goes with them) blank. A census for an earlier year of a longer extract then
    holds nothing dated after its reference date."""
    out = dict(tables)
    for name, (start, ends) in _CENSUS_DATES.items():
        frame = out[name].filter(pl.col(start).is_null() | (pl.col(start) <= day))
        if ends:
            later = pl.col(ends[0]).is_not_null() & (pl.col(ends[0]) > day)
            frame = frame.with_columns(
                pl.when(later).then(None).otherwise(pl.col(c)).alias(c) for c in ends
            )
        out[name] = frame
    if "children" in out:
        out["children"] = out["children"].with_columns(
            pl.when(pl.col("date_of_death") > day).then(None).otherwise(pl.col("date_of_death")).alias("date_of_death"),
            (pl.col("unborn").fill_null(False) | (pl.col("date_of_birth") > day)).alias("unborn"),
        )
    return out


def write_cin_census(
    source: TableSource,
    out_path: str | Path,
    *,
    reference_date: date | None = None,
    period_start: date | None = None,
    lea: str = "999",
    collection_year: int | None = None,
) -> list[str]:
    """Write a CIN census XML file from canonical tables; return notes on what was left out.

    ``reference_date`` defaults to the extract's date (the last 31 March otherwise is not
    guessed: a date is needed); ``period_start`` to the 1 April before it. Sex is written
    as ``Sex`` (M/F/U) from the 2025 collection and as ``GenderCurrent`` (1/2/0) before.
    """
    tables = collect_tables(source)
    if reference_date is None:
        reference_date = getattr(source, "as_at", None)
    if reference_date is None:
        raise ValueError("a reference date is needed (the extract has no as_at date)")
    tables = _as_at(tables, reference_date)
    if period_start is None:
        period_start = date(reference_date.year - (1 if reference_date.month < 4 else 0), 4, 1)
    if collection_year is None:
        collection_year = reference_date.year + (1 if reference_date.month >= 4 else 0)
    notes: list[str] = []

    referrals = (
        tables["referrals"]
        .filter(
            (pl.col("referral_date") <= reference_date)
            & (pl.col("closure_date").is_null() | (pl.col("closure_date") >= period_start))
        )
        .sort("child_id", "referral_date")
    )
    in_census = referrals.select("child_id").unique()
    children = tables["children"].join(in_census, on="child_id", how="semi").sort("child_id")

    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for name, on in (
        ("assessments", "start_date"),
        ("section47", "start_date"),
        ("cin_plans", "start_date"),
        ("cp_plans", "start_date"),
    ):
        frame = tables[name].join(in_census, on="child_id", how="semi")
        attached = _attach(frame, referrals, on)
        lost = attached.filter(pl.col("_referral").is_null()).height
        if lost:
            notes.append(
                f"{lost} {name} row(s) not written: no referral in the census on or before them"
            )
        for row in (
            attached.filter(pl.col("_referral").is_not_null()).sort(on).iter_rows(named=True)
        ):
            grouped.setdefault(row["_referral"], {}).setdefault(name, []).append(row)

    icpc_by_s47: dict[str, list[dict[str, Any]]] = {}
    for row in tables["icpcs"].sort("conference_date").iter_rows(named=True):
        if row["s47_id"] is not None:
            icpc_by_s47.setdefault(row["s47_id"], []).append(row)
    reviews_by_plan: dict[str, list[date]] = {}
    for row in tables["cp_reviews"].sort("review_date").iter_rows(named=True):
        reviews_by_plan.setdefault(row["cp_plan_id"], []).append(row["review_date"])
    referrals_by_child: dict[str, list[dict[str, Any]]] = {}
    for row in referrals.iter_rows(named=True):
        referrals_by_child.setdefault(row["child_id"], []).append(row)

    message = StdET.Element("Message")
    header = StdET.SubElement(message, "Header")
    details = StdET.SubElement(header, "CollectionDetails")
    _add(details, "Collection", "CIN")
    _add(details, "Year", collection_year)
    _add(details, "ReferenceDate", reference_date)
    src = StdET.SubElement(header, "Source")
    _add(src, "SourceLevel", "L")
    _add(src, "LEA", lea)
    _add(src, "SoftwareCode", "Improvement Journey")
    _add(src, "Release", "1")
    _add(src, "SerialNo", "1")
    _add(src, "DateTime", f"{reference_date.isoformat()}T00:00:00")
    children_el = StdET.SubElement(message, "Children")
    gender_tag = "Sex" if collection_year >= 2025 else "GenderCurrent"
    for child in children.iter_rows(named=True):
        child_el = StdET.SubElement(children_el, "Child")
        ident = StdET.SubElement(child_el, "ChildIdentifiers")
        _add(ident, "LAchildID", child["child_id"])
        _add(ident, "UPN", child["upn"])
        if child["unborn"]:
            _add(ident, "ExpectedPersonBirthDate", child["date_of_birth"])
        else:
            _add(ident, "PersonBirthDate", child["date_of_birth"])
        sex = child["sex"]
        if sex is not None and gender_tag == "GenderCurrent":
            sex = {"M": "1", "F": "2", "U": "0"}.get(sex, sex)
        _add(ident, gender_tag, sex)
        _add(ident, "PersonDeathDate", child["date_of_death"])
        chars = StdET.SubElement(child_el, "ChildCharacteristics")
        _add(chars, "Ethnicity", child["ethnicity"])
        if child["disability"] is not None:
            _add(
                StdET.SubElement(chars, "Disabilities"),
                "Disability",
                "DDA" if child["disability"] else "NONE",
            )
        for referral in referrals_by_child.get(child["child_id"], []):
            events = grouped.get(referral["referral_id"], {})
            _write_details(child_el, referral, events, icpc_by_s47, reviews_by_plan)
    StdET.indent(message)
    buffer = io.BytesIO()
    StdET.ElementTree(message).write(buffer, encoding="utf-8", xml_declaration=True)
    Path(out_path).write_bytes(buffer.getvalue())
    return notes


def _write_details(
    child_el: Element,
    referral: dict[str, Any],
    events: dict[str, list[dict[str, Any]]],
    icpc_by_s47: dict[str, list[dict[str, Any]]],
    reviews_by_plan: dict[str, list[date]],
) -> None:
    el = StdET.SubElement(child_el, "CINdetails")
    _add(el, "CINreferralDate", referral["referral_date"])
    _add(el, "ReferralSource", referral["source"])
    _add(el, "PrimaryNeedCode", referral["primary_need"])
    _add(el, "CINclosureDate", referral["closure_date"])
    _add(el, "ReasonForClosure", referral["closure_reason"])
    # Every conference written here belongs to a section 47 and is written in its module:
    # DfE rule 2884 has it recorded once, not again on the CIN episode.
    _add(el, "ReferralNFA", referral["nfa"])
    for a in events.get("assessments", []):
        block = StdET.SubElement(el, "Assessments")
        _add(block, "AssessmentActualStartDate", a["start_date"])
        _add(block, "AssessmentAuthorisationDate", a["authorised_date"])
    for p in events.get("cin_plans", []):
        block = StdET.SubElement(el, "CINPlanDates")
        _add(block, "CINPlanStartDate", p["start_date"])
        _add(block, "CINPlanEndDate", p["end_date"])
    for s in events.get("section47", []):
        block = StdET.SubElement(el, "Section47")
        _add(block, "S47ActualStartDate", s["start_date"])
        if s["start_date"] is not None:
            _add(block, "InitialCPCtarget", add_working_days(s["start_date"], 15))
        mine = icpc_by_s47.get(s["s47_id"], [])
        if mine:
            _add(block, "DateOfInitialCPC", mine[0]["conference_date"])
        if s["icpc_required"] is not None:
            _add(block, "ICPCnotRequired", not s["icpc_required"])
    for p in events.get("cp_plans", []):
        block = StdET.SubElement(el, "ChildProtectionPlans")
        _add(block, "CPPstartDate", p["start_date"])
        _add(block, "CPPendDate", p["end_date"])
        _add(block, "InitialCategoryOfAbuse", p["initial_category"])
        _add(block, "LatestCategoryOfAbuse", p["latest_category"])
        _add(block, "NumberOfPreviousCPP", p["previous_plans"])
        for review in reviews_by_plan.get(p["cp_plan_id"], []):
            _add(StdET.SubElement(block, "Reviews"), "CPPreviewDate", review)
