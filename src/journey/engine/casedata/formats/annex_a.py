"""Ofsted's Annex A (the child-level lists councils give inspectors), read into and written
from the canonical tables.

Reading
-------
One workbook, a sheet per list. Sheets are matched to lists by the number in their name
("List 3 - Referrals", "list3", "L3 referrals", "List 03"); other sheets (a cover, notes)
are ignored with a warning. On each list sheet the **header row** is the first row (within
the first 20) with a "Child Unique ID" column (List 11: "Individual adopter identifier"),
so title rows above the headers are fine. Headers are matched tolerantly: case, spaces,
non-breaking spaces and punctuation are ignored and each column has regular-expression
aliases, so "Date of referral", "Referral date", "DATE OF REFERRAL (dd/mm/yyyy)" all
match. A list without a column it needs is an error naming the sheet and the headers
found; a missing optional column is a warning.

Values: published option prefixes ("a) WBRI", "b) Female", "c) U3: Foster placement") are
removed; codes are taken from the start of the value ("N1 - Abuse or neglect" → N1) or,
failing that, from the code list's wording ("Neglect" → NEG, "White British" → WBRI);
yes/no cells accept Yes/Y/No/N with or without the prefix ("Unknown" is blank); dates may
be Excel dates or DD/MM/YYYY text. Rows with fewer than two filled cells (notes under the
list) are skipped.

Mapping (Annex A is a **snapshot**: it lists what was open or happened in the period
before the inspection, with only the *latest* review, visit and placement):

* List 1 → contacts (Date of Contact, Contact Source).
* List 2 → early_help (assessment start and completion dates, organisation).
* List 3 → referrals (date, source, NFA, allocated team and worker).
* List 4 → assessments (start, child seen, authorisation, "requiring social care
  support?" Yes → outcome ``cin_plan``, No → ``nfa``; team, worker), linked to the child's
  latest referral on or before the start.
* List 5 → section47 (the strategy discussion date is both the strategy discussion and
  the start date; "ICPC deemed unnecessary" → ``icpc_required`` negated) and icpcs (date of
  ICPC, "resulted in a CP plan").
* List 6 → the CIN episode's primary need, closure date and reason fill (or create) the
  referral dated the CIN start date; rows whose case status is "Child in need plan" (all
  rows when there is no Case Status column) give a cin_plans row **starting on the CIN
  start date** (Annex A has no plan start date) and a CIN visit on "Date child was last
  seen".
* List 7 → cp_plans, a CP visit on the date of the last statutory visit (seen, seen alone
  as recorded) and a cp_reviews row for the latest review conference.
* List 8 → cla_episodes for the **current placement only** (start of the most recent
  placement; RNE S when it began the period of care, P when the legal status started
  earlier, T when both began that day) plus, when the child came into care before the
  current placement, an opening row dated the day they came into care (RNE S, category of
  need, the legal status if it began then, placement unknown, ended X1 when the current
  placement began); the latest statutory review → cla_reviews; the last social work visit
  → a CLA visit; UASC → ``children.uasc``. Earlier placements, the number of placements
  in the last 12 months, missing episodes and health dates are not kept, so placement
  stability must come from SSDA903.
* List 9 → care_leavers (in touch, latest contact date — the extract date when blank —,
  accommodation type and suitability, activity); UASC → ``children.uasc``.
* Lists 10 (adoption) and 11 (adopters) are read and reported as not used.
* Every list's Gender, Ethnicity, Date of Birth and disability fill ``children`` (first
  list wins where they disagree).

Generated identifiers follow the shared scheme (``<child>-R<YYYYMMDD>`` and so on; visits
``<child>-V<CIN|CP|CLA><YYYYMMDD>``). The extract date is the one given, else the latest
date in the workbook (with a warning).

Writing
-------
:func:`write_annex_a` writes the published layout (sheet names, headers, option values
with their published prefixes) for the year to ``as_at``; text cells are escaped so a
spreadsheet never runs them as formulas.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from journey.engine.casedata import codes
from journey.engine.casedata.formats._common import (
    ERROR,
    WARNING,
    FormatResult,
    Problem,
    TableSource,
    clean_child_id,
    clean_other_id,
    clean_text,
    collect_tables,
    conform,
    dedupe_ids,
    event_id,
    parse_dates,
)
from journey.engine.casedata.load import ExtractFormat, register_format
from journey.engine.casedata.safety import Limits, Sheet, UnsafeInput, read_xlsx, xlsx_sheet_names
from journey.engine.casedata.validation import FILE, ROW, SHEET, Source
from journey.engine.spreadsheet import escape_text, unescape_expr

FORMAT = "annex_a"

# --- the lists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """A column of a list: its key, the published header and the aliases that match it."""

    key: str
    header: str
    patterns: tuple[str, ...]
    kind: str = "text"  # text | date | bool | int | code name (see _CODE_KINDS)
    required: bool = False
    #: Used by the mapping (a missing used column is a warning; others are not mentioned).
    used: bool = True
    #: In the published layout: a missing optional column is a warning only when expected.
    expected: bool = True


def _f(
    key: str,
    header: str,
    *patterns: str,
    kind: str = "text",
    required: bool = False,
    used: bool = True,
    expected: bool = True,
) -> Field:
    return Field(
        key, header, patterns or (re.escape(_norm(header)),), kind, required, used, expected
    )


def _norm(text: str) -> str:
    """Lower case words separated by single spaces; punctuation and odd spaces dropped."""
    text = text.replace("\u00a0", " ").replace("\ufeff", "").lower()
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


CHILD_ID = _f(
    "child_id",
    "Child Unique ID",
    r"\bchild\b.*\bid\b",
    r"\bunique id\b",
    r"^child id",
    required=True,
)
GENDER = _f("gender", "Gender", r"^gender", r"^sex\b", kind="gender")
ETHNICITY = _f("ethnicity", "Ethnicity", r"ethnic", kind="ethnicity")
DOB = _f("dob", "Date of Birth", r"date of birth", r"\bdob\b", kind="date")
AGE = _f("age", "Age of Child (Years)", r"^age\b", kind="text", used=False)
DISABILITY = _f("disability", "Does the Child have a Disability", r"disab", kind="bool")
TEAM = _f("team", "Allocated Team", r"allocated team", r"^team$")
WORKER = _f("worker", "Allocated Worker", r"allocated (social )?worker", r"^worker$")
COMMON = (CHILD_ID, GENDER, ETHNICITY, DOB, AGE)
#: The allocated worker where the canonical table the list fills has no worker column.
WORKER_UNUSED = replace(WORKER, used=False)
TEAM_UNUSED = replace(TEAM, used=False)


@dataclass(frozen=True)
class ListSpec:
    number: int
    title: str
    fields: tuple[Field, ...]
    used: bool = True

    @property
    def sheet_name(self) -> str:
        return f"List {self.number} - {self.title}"


LISTS: dict[int, ListSpec] = {
    spec.number: spec
    for spec in (
        ListSpec(
            1,
            "Contacts",
            (
                *COMMON,
                _f(
                    "date",
                    "Date of Contact",
                    r"date of contact",
                    r"contact date",
                    kind="date",
                    required=True,
                ),
                _f("source", "Contact Source", r"contact source", r"source", kind="source"),
            ),
        ),
        ListSpec(
            2,
            "Early Help",
            (
                *COMMON,
                _f("start", "Assessment start date", r"start", kind="date", required=True),
                _f("completed", "Assessment completion date", r"complet", kind="date"),
                _f("organisation", "Organisation completing assessment", r"organisation"),
                _f("team", "Allocated Team", r"allocated team", r"^team$", expected=False),
            ),
        ),
        ListSpec(
            3,
            "Referrals",
            (
                *COMMON,
                _f(
                    "date",
                    "Date of referral",
                    r"date of referral",
                    r"referral date",
                    kind="date",
                    required=True,
                ),
                _f("source", "Referral Source", r"referral source", r"source", kind="source"),
                _f("nfa", "Referral NFA?", r"\bnfa\b", r"no further action", kind="bool"),
                _f(
                    "count",
                    "Number of Referrals in Last 12 Months",
                    r"number of referrals",
                    used=False,
                ),
                TEAM,
                WORKER,
            ),
        ),
        ListSpec(
            4,
            "Assessments",
            (
                *COMMON,
                DISABILITY,
                _f(
                    "start",
                    "Continuous Assessment Start Date",
                    r"start",
                    kind="date",
                    required=True,
                ),
                _f("seen", "Child Seen During Continuous Assessment", r"seen", kind="bool"),
                _f(
                    "authorised",
                    "Continuous Assessment Date of Authorisation",
                    r"authoris",
                    kind="date",
                ),
                _f(
                    "outcome",
                    "Was the child assessed as requiring LA children's social care support?",
                    r"social care support",
                    r"assessed as requiring",
                    r"outcome",
                    kind="bool",
                ),
                TEAM,
                WORKER,
            ),
        ),
        ListSpec(
            5,
            "Section 47",
            (
                *COMMON,
                DISABILITY,
                _f(
                    "strategy",
                    "Strategy discussion initiating Section 47 Enquiry Start Date",
                    r"strategy discussion",
                    r"section 47 enquiry start",
                    r"s47 start",
                    kind="date",
                    required=True,
                ),
                _f(
                    "unnecessary",
                    "Was an Initial Child Protection Conference deemed unnecessary?",
                    r"unnecessary",
                    r"not required",
                    kind="bool",
                ),
                _f(
                    "icpc",
                    "Date of Initial Child Protection Conference",
                    r"date of (the )?(initial child protection conference|icpc)",
                    r"icpc date",
                    kind="date",
                ),
                _f(
                    "plan_made",
                    "Did the Initial Child Protection Conference Result in a Child Protection Plan",
                    r"result(ed)? in a (child protection )?plan",
                    r"result(ed)? in .*\bcpp?\b",
                    kind="bool",
                ),
                _f(
                    "s47_count",
                    "Number of Section 47 Enquiries in the last 12 months",
                    r"number of (section 47|s47)",
                    used=False,
                ),
                _f(
                    "icpc_count",
                    "Number of ICPCs in the last 12 months",
                    r"number of (icpcs|initial)",
                    used=False,
                ),
                TEAM,
                WORKER,
            ),
        ),
        ListSpec(
            6,
            "Children in Need",
            (
                *COMMON,
                DISABILITY,
                _f(
                    "start",
                    "CIN Start Date",
                    r"cin start",
                    r"start date",
                    kind="date",
                    required=True,
                ),
                _f("need", "Primary Need Code", r"primary need", r"need code", kind="need"),
                _f("last_seen", "Date Child Was Last Seen", r"last seen", kind="date"),
                _f(
                    "closure_date",
                    "CIN Closure Date",
                    r"closure date",
                    r"date (cin )?closed",
                    kind="date",
                ),
                _f(
                    "closure_reason",
                    "Reason for Closure",
                    r"reason for closure",
                    r"closure reason",
                    kind="closure",
                ),
                _f("status", "Case Status", r"case status", r"^status", kind="status"),
                TEAM,
                WORKER,
            ),
        ),
        ListSpec(
            7,
            "Child Protection",
            (
                *COMMON,
                DISABILITY,
                _f(
                    "start",
                    "Child Protection Plan Start Date",
                    r"(plan|cpp) start",
                    kind="date",
                    required=True,
                ),
                _f("initial", "Initial Category of Abuse", r"initial category", kind="cp_category"),
                _f("latest", "Latest Category of Abuse", r"latest category", kind="cp_category"),
                _f(
                    "last_visit",
                    "Date of the Last Statutory Visit",
                    r"last statutory visit",
                    r"last visit",
                    kind="date",
                ),
                _f("seen_alone", "Was the Child Seen Alone?", r"seen alone", kind="bool"),
                _f(
                    "review",
                    "Date of latest review conference",
                    r"review conference",
                    r"latest review",
                    kind="date",
                ),
                _f("end", "Child Protection Plan End Date", r"(plan|cpp) end", kind="date"),
                _f(
                    "epo",
                    "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six Months (Y/N)",
                    r"emergency protection order",
                    used=False,
                ),
                _f(
                    "previous", "Number of Previous Child Protection Plans", r"previous", kind="int"
                ),
                TEAM,
                WORKER_UNUSED,
            ),
        ),
        ListSpec(
            8,
            "Children in Care",
            (
                *COMMON,
                _f(
                    "uasc",
                    "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
                    r"unaccompanied",
                    r"\buasc\b",
                    kind="bool",
                ),
                DISABILITY,
                _f(
                    "ceased",
                    "Date Ceased to be Looked After",
                    r"ceased to be looked after",
                    r"date ceased",
                    kind="date",
                ),
                _f(
                    "reason_ceased",
                    "Reason Ceased to be Looked After",
                    r"reason ceased",
                    kind="reason_ceased",
                ),
                _f(
                    "lac_start",
                    "Date Started to be Looked After",
                    r"start.*looked after",
                    r"became looked after",
                    kind="date",
                    required=True,
                ),
                _f("need", "Child's Category of Need", r"category of need", kind="need"),
                _f(
                    "second_period",
                    "Is this a second or subsequent period of being a Looked After Child within the last 12 months (Y/N)",
                    r"second or subsequent",
                    used=False,
                ),
                _f(
                    "legal_start",
                    "Start date of current legal status",
                    r"legal status start",
                    r"start date of (current )?legal status",
                    kind="date",
                ),
                _f("legal", "Child's Legal Status", r"legal status", kind="legal_status"),
                _f(
                    "review",
                    "Date of Latest Statutory Review",
                    r"statutory review",
                    r"latest review",
                    kind="date",
                ),
                _f(
                    "last_visit",
                    "Date of Last Social Work Visit",
                    r"social work(er)? visit",
                    r"last visit",
                    kind="date",
                ),
                _f(
                    "permanence",
                    "What is the permanence plan for this child?",
                    r"permanence",
                    used=False,
                ),
                _f("iro", "Date of Last IRO Visit / Contact to the Child", r"\biro\b", used=False),
                _f("health", "Date of Last Health Assessment", r"health assessment", used=False),
                _f("dental", "Date of Last Dental Check", r"dental", used=False),
                _f(
                    "placements",
                    "Number of Placements in the Last 12 months",
                    r"number of placements",
                    used=False,
                ),
                _f(
                    "placement_start",
                    "Start Date of Most Recent Placement",
                    r"most recent placement",
                    r"placement start",
                    kind="date",
                ),
                _f(
                    "placement_type",
                    "Placement Type",
                    r"placement type",
                    r"type of placement",
                    kind="placement_type",
                ),
                _f("provider", "Placement Provider", r"provider", kind="provider"),
                _f("postcode", "Placement postcode", r"postcode", used=False),
                _f("urn", "URN of Placement", r"\burn\b"),
                _f("location", "Placement Location", r"placement location", used=False),
                _f("la", "LA of Placement", r"\bla of placement", used=False),
                _f(
                    "missing",
                    "Number of Episodes the Child has been 'Missing' from their Placement in the last 12 months",
                    r"missing from",
                    used=False,
                ),
                _f(
                    "absent",
                    "Number of Episodes the Child has been 'Absent' from their Placement in the last 12 months",
                    r"absent from",
                    used=False,
                ),
                _f(
                    "offered",
                    "Was the child offered a Return Interview after their last missing episode (Y/N)?",
                    r"offered a return",
                    used=False,
                ),
                _f(
                    "accepted",
                    "Did the child accept a Return Interview after their last missing episode (Y/N)?",
                    r"accept a return",
                    used=False,
                ),
                TEAM,
                WORKER_UNUSED,
            ),
        ),
        ListSpec(
            9,
            "Care Leavers",
            (
                *COMMON,
                _f(
                    "uasc",
                    "Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)",
                    r"unaccompanied",
                    r"\buasc\b",
                    kind="bool",
                ),
                DISABILITY,
                TEAM_UNUSED,
                WORKER_UNUSED,
                _f("pa", "Allocated Personal Advisor", r"personal advis", used=False),
                _f("eligibility", "Eligibility Category", r"eligibility", used=False),
                _f("pathway", "Latest Pathway Plan Review Date", r"pathway", used=False),
                _f("in_touch", "LA in Touch", r"in touch", kind="in_touch"),
                _f(
                    "contact",
                    "Latest Date of Contact",
                    r"date of (latest |last )?contact",
                    r"contact date",
                    kind="date",
                ),
                _f(
                    "accommodation",
                    "Type of Accommodation",
                    r"type of accommodation",
                    r"accommodation type",
                    kind="accommodation",
                ),
                _f("suitable", "Suitability of Accommodation", r"suitab", kind="suitable"),
                _f("activity", "Activity Status", r"activity", kind="activity"),
            ),
        ),
        ListSpec(
            10,
            "Adoption",
            (CHILD_ID,),
            used=False,
        ),
        ListSpec(
            11,
            "Adopters",
            (_f("adopter_id", "Individual adopter identifier", r"adopter id", required=True),),
            used=False,
        ),
    )
}

LIST_10_HEADERS = (
    "Child Unique ID", "Family identifier", "Gender", "Ethnicity", "Date of Birth",
    "Age of Child (Years)", "Does the Child have a Disability", "Date the Child Entered Care",
    "Date of Decision that Child Should be Placed for Adoption", "Date of Placement Order",
    "Date of Matching Child and Prospective Adopters", "Date Placed for Adoption",
    "Date of Adoption Order", "Date of Decision that Child Should No Longer be Placed for Adoption",
    "Reason Why Child No Longer Placed for Adoption",
    "Date the child was placed for fostering in FFA or concurrent planning placement",
)  # fmt: skip
LIST_11_HEADERS = (
    "Individual adopter identifier", "Family identifier", "Gender", "Ethnicity", "Disability",
    "Is the (prospective) adopter fostering for adoption?", "Date enquiry received",
    "Date Stage 1 started", "Date Stage 1 ended", "Date Stage 2 started", "Date Stage 2 ended",
    "Date application submitted", "Date application approved",
    "Date adopter matched with child(ren)", "Date child/children placed with adopter(s)",
    "No. of children placed", "Date of Adoption Order", "Date of leaving adoption process",
    "Reason for leaving adoption process",
)  # fmt: skip

_SHEET_NUMBER = (
    re.compile(r"\blist\s*0?(\d{1,2})\b"),
    re.compile(r"^l\s*0?(\d{1,2})\b"),
)


def list_number(sheet_name: str) -> int | None:
    """The Annex A list a sheet holds, from its name ("List 3 - Referrals" → 3)."""
    text = sheet_name.replace("\u00a0", " ").lower().strip()
    for pattern in _SHEET_NUMBER:
        match = pattern.search(text)
        if match and 1 <= int(match.group(1)) <= 11:
            return int(match.group(1))
    return None


# --- values -------------------------------------------------------------------------------

_PREFIX = re.compile(r"^\s*[a-z]{1,2}[0-9]?\)\s*", re.IGNORECASE)
_TOKEN = re.compile(r"^([A-Za-z0-9]+)")


def strip_prefix(value: str) -> str:
    """Remove the published option letter: ``"a) WBRI"`` → ``"WBRI"``."""
    return _PREFIX.sub("", value.replace("\u00a0", " ")).strip()


def _coder(
    code_list: Mapping[str, str], aliases: tuple[tuple[str, str], ...] = ()
) -> Callable[[str], str | None]:
    by_description = {_norm(text): code for code, text in code_list.items()}
    upper = {code.upper(): code for code in code_list}

    def to_code(value: str) -> str | None:
        text = strip_prefix(value)
        if not text:
            return None
        token = _TOKEN.match(text)
        if token and token.group(1).upper() in upper:
            return upper[token.group(1).upper()]
        normal = _norm(text)
        if normal in by_description:
            return by_description[normal]
        for pattern, code in aliases:
            if re.search(pattern, normal):
                return code
        return text.upper()

    return to_code


_CODE_KINDS: dict[str, Callable[[str], str | None]] = {
    "gender": _coder(
        codes.SEX,
        (
            (r"^male\b|^m$|^1$|^boy", "M"),
            (r"^female|^f$|^2$|^girl", "F"),
            (r"not|unknown|indetermin|neither", "U"),
        ),
    ),
    "ethnicity": _coder(codes.ETHNICITY),
    "source": _coder(codes.REFERRAL_SOURCE),
    "need": _coder(codes.PRIMARY_NEED),
    "closure": _coder(codes.CIN_CLOSURE_REASON),
    "cp_category": _coder(
        codes.CP_CATEGORY,
        (
            (r"^neglect", "NEG"),
            (r"^physical", "PHY"),
            (r"^sexual", "SAB"),
            (r"^emotional", "EMO"),
            (r"^multiple", "MUL"),
        ),
    ),
    "legal_status": _coder(codes.LEGAL_STATUS),
    "reason_ceased": _coder(codes.REASON_CEASED),
    "placement_type": _coder(codes.PLACEMENT_TYPE),
    "provider": _coder(codes.PLACEMENT_PROVIDER),
    "in_touch": _coder(codes.CARE_LEAVER_IN_TOUCH, ((r"^y", "YES"), (r"^n$", "NO"))),
    "accommodation": _coder(codes.CARE_LEAVER_ACCOMMODATION),
    "activity": _coder(codes.CARE_LEAVER_ACTIVITY),
    "status": _coder(
        {
            "cla": "Looked after child",
            "cp": "Child Protection plan",
            "cin": "Child in need plan",
            "assessment": "Open assessment",
            "closed": "Closed episode",
        },
        (
            (r"looked", "cla"),
            (r"protection", "cp"),
            (r"need", "cin"),
            (r"assess", "assessment"),
            (r"closed", "closed"),
        ),
    ),
}


def _yes_no(value: str) -> str:
    """``T`` yes, ``F`` no, ``N`` unknown (blank), ``?`` unreadable."""
    normal = _norm(strip_prefix(value))
    if re.match(r"^(y|yes|true|1)\b", normal):
        return "T"
    if re.match(r"^(n|no|false|0)\b", normal):
        return "F"
    if re.match(r"^(unknown|u|not known|n a)$", normal):
        return "N"
    return "?"


def _suitable(value: str) -> str:
    normal = _norm(strip_prefix(value))
    if re.search(r"unsuit|not suit|^no\b|^n$", normal):
        return "F"
    if re.search(r"suit|^yes\b|^y$", normal):
        return "T"
    return "?"


def _map_values(series: pl.Series, function: Callable[[str], Any], dtype: pl.DataType) -> pl.Series:
    """Apply a Python function to each *distinct* value (there are few) and map back."""
    distinct = series.drop_nulls().unique().to_list()
    mapping = {value: function(value) for value in distinct}
    return series.replace_strict(mapping, default=None, return_dtype=dtype)


# --- reading ------------------------------------------------------------------------------


def _find_header(sheet: Sheet, spec: ListSpec) -> tuple[int, list[str | None]] | None:
    key_field = spec.fields[0]
    for index, (_, cells) in enumerate(sheet.rows[:20]):
        for cell in cells:
            if cell and any(re.search(p, _norm(cell)) for p in key_field.patterns):
                return index, cells
    return None


def _match_columns(spec: ListSpec, headers: list[str | None]) -> dict[str, int]:
    """Field key → column index: each field takes the first unclaimed header it matches."""
    normalised = [_norm(h) if h else "" for h in headers]
    claimed: set[int] = set()
    found: dict[str, int] = {}
    for field in spec.fields:
        for i, header in enumerate(normalised):
            if i in claimed or not header:
                continue
            if any(re.search(p, header) for p in field.patterns):
                found[field.key] = i
                claimed.add(i)
                break
    return found


def _repeated_columns(
    spec: ListSpec,
    headers: list[str | None],
    columns: dict[str, int],
    file: str,
    sheet: str,
    row: int,
) -> list[Problem]:
    """A header left over after matching that matches a field already taken: the list has
    that column twice (as written, or differing only in case, spaces or punctuation)."""
    taken = {i: key for key, i in columns.items()}
    fields = {f.key: f for f in spec.fields}
    problems = []
    for i, cell in enumerate(headers):
        header = (cell or "").strip()
        norm = _norm(header) if header else ""
        if not norm or i in taken:
            continue
        for key, first in columns.items():
            if any(re.search(p, norm) for p in fields[key].patterns):
                problems.append(
                    Problem(
                        ERROR,
                        "duplicate_column",
                        f"{spec.sheet_name}: column {header!r} (column {i + 1}) repeats "
                        f"column {(headers[first] or '').strip()!r} (column {first + 1}), both "
                        f"'{fields[key].header}'; remove or rename one so that each appears once",
                        file=file,
                        sheet=sheet,
                        row=row,
                        column=header,
                    )
                )
                break
    return problems


@dataclass
class _ListData:
    spec: ListSpec
    sheet: str
    frame: pl.DataFrame  # typed columns by field key, plus _file, _sheet, _row
    labels: dict[str, str]


def _read_list(
    sheet: Sheet, spec: ListSpec, file: str, problems: list[Problem]
) -> _ListData | None:
    header = _find_header(sheet, spec)
    first = spec.fields[0]
    if header is None:
        seen = next((cells for _, cells in sheet.rows[:1]), [])
        problems.append(
            Problem(
                ERROR,
                "missing_column",
                f"{spec.sheet_name}: no header row with a '{first.header}' column in the first 20 "
                "rows (first row found: " + ", ".join(c for c in seen if c) + ")",
                file=file,
                sheet=sheet.name,
                column=first.header,
            )
        )
        return None
    index, headers = header
    header_row = sheet.rows[index][0]
    columns = _match_columns(spec, headers)
    duplicates = _repeated_columns(spec, headers, columns, file, sheet.name, header_row)
    if duplicates:
        problems.extend(duplicates)
        return None
    found_text = ", ".join(h.strip() for h in headers if h)
    absent = [
        f for f in spec.fields if f.key not in columns and f.used and (f.expected or f.required)
    ]
    required = [f for f in absent if f.required]
    # When a list cannot be read, only the columns that stop it are worth reporting.
    for field in required or absent:
        problems.append(
            Problem(
                ERROR if field.required else WARNING,
                "missing_column" if field.required else "missing_optional_column",
                f"{spec.sheet_name}: no column matches '{field.header}'"
                + (
                    f" (headers found: {found_text})"
                    if field.required
                    else "; it is treated as blank"
                ),
                file=file,
                sheet=sheet.name,
                row=header_row,
                column=field.header,
            )
        )
    missing = bool(required)
    if missing:
        return None
    data_rows = [
        (n, cells) for n, cells in sheet.rows[index + 1 :] if sum(1 for c in cells if c) >= 2
    ]
    raw: dict[str, list[Any]] = {ROW: [n for n, _ in data_rows]}
    for field in spec.fields:
        i = columns.get(field.key)
        raw[field.key] = [
            (cells[i] if i is not None and i < len(cells) else None) for _, cells in data_rows
        ]
    frame = pl.DataFrame(raw, schema={ROW: pl.Int64, **{f.key: pl.String for f in spec.fields}})
    frame = frame.with_columns(
        *[unescape_expr(clean_text(pl.col(f.key))).alias(f.key) for f in spec.fields],
        pl.lit(file).alias(FILE),
        pl.lit(sheet.name).alias(SHEET),
    )
    labels = {
        f.key: (headers[columns[f.key]] or f.header).strip()
        for f in spec.fields
        if f.key in columns
    }
    frame = _type_values(frame, spec, labels, file, sheet.name, problems)
    return _ListData(spec, sheet.name, frame, labels)


def _type_values(
    frame: pl.DataFrame,
    spec: ListSpec,
    labels: dict[str, str],
    file: str,
    sheet: str,
    problems: list[Problem],
) -> pl.DataFrame:
    for field in spec.fields:
        label = labels.get(field.key, field.header)
        if field.kind == "date":
            frame, found = parse_dates(frame, [field.key], file=file, sheet=sheet)
            problems += [
                Problem(
                    p.severity,
                    p.code,
                    p.message,
                    file=p.file,
                    sheet=p.sheet,
                    row=p.row,
                    column=label,
                    value=p.value,
                )
                for p in found
            ]
        elif field.kind in ("bool", "suitable"):
            function = _yes_no if field.kind == "bool" else _suitable
            distinct = frame[field.key].drop_nulls().unique().to_list()
            verdict = {v: function(v) for v in distinct}
            code = frame[field.key].replace_strict(verdict, default=None, return_dtype=pl.String)
            bad = frame.filter(code == "?")
            problems += [
                Problem(
                    ERROR,
                    "unreadable_value",
                    f"{value!r} is not yes or no",
                    file=file,
                    sheet=sheet,
                    row=row,
                    column=label,
                    value=value,
                )
                for row, value in bad.select(ROW, field.key).iter_rows()
            ]
            frame = frame.with_columns(
                pl.when(code == "T")
                .then(pl.lit(True))
                .when(code == "F")
                .then(pl.lit(False))
                .otherwise(pl.lit(None, dtype=pl.Boolean))
                .alias(field.key)
            )
        elif field.kind == "int":
            text = pl.col(field.key).str.replace(r"^(\d+)\.0+$", "${1}")
            bad = frame.filter(
                pl.col(field.key).is_not_null() & text.cast(pl.Int64, strict=False).is_null()
            )
            problems += [
                Problem(
                    ERROR,
                    "unreadable_value",
                    f"{value!r} is not a whole number",
                    file=file,
                    sheet=sheet,
                    row=row,
                    column=label,
                    value=value,
                )
                for row, value in bad.select(ROW, field.key).iter_rows()
            ]
            frame = frame.with_columns(text.cast(pl.Int64, strict=False).alias(field.key))
        elif field.kind in _CODE_KINDS:
            frame = frame.with_columns(
                _map_values(frame[field.key], _CODE_KINDS[field.kind], pl.String()).alias(field.key)
            )
    return frame


def _location() -> list[pl.Expr]:
    return [pl.col(FILE), pl.col(SHEET), pl.col(ROW)]


_STRING = pl.String()


def _col(frame: pl.DataFrame, key: str, dtype: pl.DataType = _STRING) -> pl.Expr:
    return pl.col(key) if key in frame.columns else pl.lit(None, dtype=dtype)


def read_annex_a(
    path: str | Path, *, as_at: date | None = None, limits: Limits | None = None
) -> FormatResult:
    """Read an Annex A workbook from disk into canonical tables."""
    path = Path(path)
    return read_annex_a_bytes(path.read_bytes(), path.name, as_at=as_at, limits=limits)


def read_annex_a_bytes(
    data: bytes, file: str, *, as_at: date | None = None, limits: Limits | None = None
) -> FormatResult:
    """Read an Annex A workbook into canonical tables; see the module's documentation."""
    result = FormatResult(FORMAT)
    try:
        sheets, problems = read_xlsx(data, file, limits)
    except UnsafeInput as refused:
        result.problems.append(refused.problem)
        return result
    result.problems += problems
    lists: dict[int, _ListData] = {}
    for sheet in sheets:
        number = list_number(sheet.name)
        if number is None:
            result.warn(
                "sheet_ignored",
                "the sheet's name has no list number (e.g. 'List 3'), so it was ignored",
                file=file,
                sheet=sheet.name,
            )
            continue
        if number in lists:
            result.problems.append(
                Problem(
                    WARNING,
                    "duplicate_list",
                    f"a second sheet for List {number} was ignored (the first was {lists[number].sheet!r})",
                    file=file,
                    sheet=sheet.name,
                )
            )
            continue
        spec = LISTS[number]
        read = _read_list(sheet, spec, file, result.problems)
        if read is None:
            continue
        lists[number] = read
        if not spec.used:
            result.not_used(
                f"{spec.sheet_name} ({read.frame.height} rows): read, not used: the canonical tables "
                "have no adoption table",
                file=file,
                sheet=sheet.name,
            )
    for number, spec in LISTS.items():
        if (
            number not in lists
            and spec.used
            and not any(
                p.sheet is not None and list_number(p.sheet) == number for p in result.problems
            )
        ):
            result.problems.append(
                Problem(
                    WARNING,
                    "list_missing",
                    f"no sheet for {spec.sheet_name} was found (sheets: "
                    + ", ".join(s.name for s in sheets)
                    + "); its tables are empty",
                    file=file,
                )
            )
    if as_at is None:
        latest = [
            d.frame[f.key].max()
            for d in lists.values()
            for f in d.spec.fields
            if f.kind == "date" and f.key != "dob" and f.key in d.frame.columns
        ]
        dated = [v for v in latest if isinstance(v, date)]
        if dated:
            as_at = max(dated)
            result.warn(
                "as_at_assumed",
                f"the extract date was taken as the latest date in the workbook, {as_at.isoformat()}; "
                "give the date the lists were produced if it differs",
                file=file,
            )
    result.as_at = as_at
    result.tables = _map(lists, as_at, result.problems, file)
    result.sources = _sources(lists)
    return result


def _sources(lists: Mapping[int, _ListData]) -> dict[str, Source]:
    targets = {
        1: ("contacts", {"contact_date": "date", "source": "source"}),
        2: ("early_help", {"start_date": "start", "assessment_completed_date": "completed"}),
        3: ("referrals", {"referral_date": "date", "source": "source", "nfa": "nfa"}),
        4: ("assessments", {"start_date": "start", "authorised_date": "authorised"}),
        5: ("section47", {"start_date": "strategy", "strategy_discussion_date": "strategy"}),
        7: (
            "cp_plans",
            {
                "start_date": "start",
                "end_date": "end",
                "initial_category": "initial",
                "latest_category": "latest",
            },
        ),
        8: (
            "cla_episodes",
            {
                "episode_start": "placement_start",
                "legal_status": "legal",
                "placement_type": "placement_type",
                "placement_provider": "provider",
                "episode_end": "ceased",
                "reason_ceased": "reason_ceased",
                "category_of_need": "need",
            },
        ),
        9: (
            "care_leavers",
            {
                "contact_date": "contact",
                "in_touch": "in_touch",
                "activity": "activity",
                "accommodation": "accommodation",
            },
        ),
    }
    sources: dict[str, Source] = {}
    for number, (table, columns) in targets.items():
        if number in lists:
            labels = lists[number].labels
            sources[table] = Source(
                columns={
                    canonical: labels[key] for canonical, key in columns.items() if key in labels
                }
            )
    return sources


def _map(
    lists: Mapping[int, _ListData], as_at: date | None, problems: list[Problem], file: str
) -> dict[str, pl.DataFrame]:
    frames: dict[str, list[pl.DataFrame]] = {}

    def add(table: str, frame: pl.DataFrame) -> None:
        frames.setdefault(table, []).append(frame)

    def get(number: int) -> pl.DataFrame | None:
        if number not in lists:
            return None
        frame = lists[number].frame
        return (
            frame.with_columns(clean_child_id(pl.col("child_id")).alias("child_id"))
            if "child_id" in frame.columns
            else frame
        )

    people = []
    for number in range(1, 10):
        f = get(number)
        if f is None:
            continue
        people.append(
            f.select(
                "child_id",
                _col(f, "gender").alias("sex"),
                _col(f, "dob", pl.Date()).alias("date_of_birth"),
                _col(f, "ethnicity").alias("ethnicity"),
                _col(f, "disability", pl.Boolean()).alias("disability"),
                _col(f, "uasc", pl.Boolean()).alias("uasc"),
                *_location(),
            )
        )
    if people:
        everyone = pl.concat(people, how="vertical").filter(pl.col("child_id").is_not_null())
        add(
            "children",
            everyone.group_by("child_id", maintain_order=True).agg(pl.all().drop_nulls().first()),
        )

    team = lambda f: _col(f, "team").alias("team")  # noqa: E731
    worker = lambda f: clean_other_id(_col(f, "worker")).alias("worker_id")  # noqa: E731

    if (f := get(1)) is not None:
        add(
            "contacts",
            dedupe_ids(
                f.select(
                    event_id(pl.col("child_id"), "C", pl.col("date")).alias("contact_id"),
                    "child_id",
                    pl.col("date").alias("contact_date"),
                    _col(f, "source").alias("source"),
                    *_location(),
                ),
                "contact_id",
            ),
        )
    if (f := get(2)) is not None:
        add(
            "early_help",
            dedupe_ids(
                f.select(
                    event_id(pl.col("child_id"), "E", pl.col("start")).alias("episode_id"),
                    "child_id",
                    pl.col("start").alias("start_date"),
                    _col(f, "completed", pl.Date()).alias("assessment_completed_date"),
                    _col(f, "organisation").alias("organisation"),
                    team(f),
                    *_location(),
                ),
                "episode_id",
            ),
        )
    referral_parts = []
    if (f := get(3)) is not None:
        referral_parts.append(
            dedupe_ids(
                f.select(
                    event_id(pl.col("child_id"), "R", pl.col("date")).alias("referral_id"),
                    "child_id",
                    pl.col("date").alias("referral_date"),
                    _col(f, "source").alias("source"),
                    _col(f, "nfa", pl.Boolean()).alias("nfa"),
                    team(f),
                    worker(f),
                    *_location(),
                ),
                "referral_id",
            )
        )
    l6 = get(6)
    if l6 is not None:
        referral_parts.append(
            l6.select(
                event_id(pl.col("child_id"), "R", pl.col("start")).alias("referral_id"),
                "child_id",
                pl.col("start").alias("referral_date"),
                _col(l6, "need").alias("primary_need"),
                _col(l6, "closure_date", pl.Date()).alias("closure_date"),
                _col(l6, "closure_reason").alias("closure_reason"),
                team(l6),
                worker(l6),
                *_location(),
            )
        )
    referrals = None
    if referral_parts:
        combined = pl.concat(
            [conform(p, "referrals", location=True) for p in referral_parts], how="vertical"
        )
        referrals = combined.group_by("referral_id", maintain_order=True).agg(
            pl.all().drop_nulls().first()
        )
        add("referrals", referrals)

    def link(frame: pl.DataFrame, on: str) -> pl.DataFrame:
        if referrals is None or frame.height == 0:
            return frame.with_columns(pl.lit(None, dtype=pl.String).alias("referral_id"))
        refs = (
            referrals.select("child_id", "referral_id", pl.col("referral_date").alias(on))
            .filter(pl.col(on).is_not_null())
            .sort(on)
        )
        indexed = frame.with_row_index("_i")
        matched = (
            indexed.filter(pl.col(on).is_not_null())
            .sort(on)
            .join_asof(refs, on=on, by="child_id", strategy="backward", check_sortedness=False)
            .select("_i", "referral_id")
        )
        return indexed.join(matched, on="_i", how="left").sort("_i").drop("_i")

    if (f := get(4)) is not None:
        assessments = f.select(
            event_id(pl.col("child_id"), "A", pl.col("start")).alias("assessment_id"),
            "child_id",
            pl.col("start").alias("start_date"),
            _col(f, "authorised", pl.Date()).alias("authorised_date"),
            _col(f, "seen", pl.Boolean()).alias("child_seen"),
            pl.when(_col(f, "outcome", pl.Boolean()))
            .then(pl.lit("cin_plan"))
            .when(_col(f, "outcome", pl.Boolean()).not_())
            .then(pl.lit("nfa"))
            .alias("outcome"),
            team(f),
            worker(f),
            *_location(),
        )
        add("assessments", dedupe_ids(link(assessments, "start_date"), "assessment_id"))
    if (f := get(5)) is not None:
        s47 = dedupe_ids(
            link(
                f.select(
                    event_id(pl.col("child_id"), "S", pl.col("strategy")).alias("s47_id"),
                    "child_id",
                    pl.col("strategy").alias("strategy_discussion_date"),
                    pl.col("strategy").alias("start_date"),
                    _col(f, "unnecessary", pl.Boolean()).not_().alias("icpc_required"),
                    team(f),
                    worker(f),
                    *_location(),
                    _col(f, "icpc", pl.Date()).alias("_icpc"),
                    _col(f, "plan_made", pl.Boolean()).alias("_plan_made"),
                ),
                "start_date",
            ),
            "s47_id",
        )
        add("section47", s47)
        add(
            "icpcs",
            dedupe_ids(
                s47.filter(pl.col("_icpc").is_not_null()).select(
                    event_id(pl.col("child_id"), "I", pl.col("_icpc")).alias("icpc_id"),
                    "child_id",
                    "s47_id",
                    pl.col("_icpc").alias("conference_date"),
                    pl.col("_plan_made").alias("plan_made"),
                    *_location(),
                ),
                "icpc_id",
            ),
        )
    if l6 is not None:
        on_plan = (
            (pl.col("status") == "cin")
            if "status" in l6.columns and l6["status"].null_count() < l6.height
            else pl.lit(True)
        )
        plans = l6.filter(on_plan & pl.col("start").is_not_null())
        add(
            "cin_plans",
            dedupe_ids(
                plans.select(
                    event_id(pl.col("child_id"), "N", pl.col("start")).alias("cin_plan_id"),
                    "child_id",
                    pl.col("start").alias("start_date"),
                    _col(l6, "closure_date", pl.Date()).alias("end_date"),
                    team(l6),
                    *_location(),
                ),
                "cin_plan_id",
            ),
        )
        if "last_seen" in l6.columns:
            add("visits", _visits(plans, "last_seen", "CIN", None))
    if (f := get(7)) is not None:
        plans = dedupe_ids(
            f.select(
                event_id(pl.col("child_id"), "P", pl.col("start")).alias("cp_plan_id"),
                "child_id",
                pl.col("start").alias("start_date"),
                _col(f, "end", pl.Date()).alias("end_date"),
                _col(f, "initial").alias("initial_category"),
                _col(f, "latest").alias("latest_category"),
                _col(f, "previous", pl.Int64()).alias("previous_plans"),
                team(f),
                *_location(),
                _col(f, "review", pl.Date()).alias("_review"),
                _col(f, "last_visit", pl.Date()).alias("last_visit"),
                _col(f, "seen_alone", pl.Boolean()).alias("seen_alone"),
            ),
            "cp_plan_id",
        )
        add("cp_plans", plans)
        add(
            "cp_reviews",
            plans.filter(pl.col("_review").is_not_null()).select(
                "child_id", "cp_plan_id", pl.col("_review").alias("review_date"), *_location()
            ),
        )
        add("visits", _visits(plans, "last_visit", "CP", "seen_alone"))
    if (f := get(8)) is not None:
        add("cla_episodes", _episodes(f))
        if "review" in f.columns:
            add(
                "cla_reviews",
                f.filter(pl.col("review").is_not_null()).select(
                    "child_id", pl.col("review").alias("review_date"), *_location()
                ),
            )
        if "last_visit" in f.columns:
            add("visits", _visits(f, "last_visit", "CLA", None))
    if (f := get(9)) is not None:
        contact = _col(f, "contact", pl.Date())
        undated = f.filter(contact.is_null())
        if as_at is None and undated.height:
            problems += [
                Problem(
                    WARNING,
                    "no_contact_date",
                    "the care leaver has no latest date of contact and the extract date is not known; the row was not used",
                    file=file,
                    sheet=lists[9].sheet,
                    row=row,
                )
                for row in undated[ROW]
            ]
        add(
            "care_leavers",
            f.filter(contact.is_not_null() | pl.lit(as_at is not None)).select(
                "child_id",
                pl.coalesce(contact, pl.lit(as_at, dtype=pl.Date)).alias("contact_date"),
                _col(f, "in_touch").alias("in_touch"),
                _col(f, "activity").alias("activity"),
                _col(f, "accommodation").alias("accommodation"),
                _col(f, "suitable", pl.Boolean()).alias("accommodation_suitable"),
                *_location(),
            ),
        )
    return {
        table: conform(
            pl.concat([conform(p, table, location=True) for p in parts], how="vertical"),
            table,
            location=True,
        )
        for table, parts in frames.items()
    }


def _visits(
    frame: pl.DataFrame, column: str, visit_type: str, seen_alone: str | None
) -> pl.DataFrame:
    visits = frame.filter(pl.col(column).is_not_null())
    return dedupe_ids(
        visits.select(
            event_id(pl.col("child_id"), f"V{visit_type}", pl.col(column)).alias("visit_id"),
            "child_id",
            pl.col(column).alias("visit_date"),
            pl.lit(visit_type).alias("visit_type"),
            pl.lit(True).alias("seen"),
            (pl.col(seen_alone) if seen_alone else pl.lit(None, dtype=pl.Boolean)).alias(
                "seen_alone"
            ),
            *_location(),
        ),
        "visit_id",
    )


def _episodes(f: pl.DataFrame) -> pl.DataFrame:
    lac_start = pl.col("lac_start")
    placement_start = pl.coalesce(_col(f, "placement_start", pl.Date()), lac_start)
    legal_start = _col(f, "legal_start", pl.Date())
    common: list[pl.Expr | str] = [
        "child_id",
        _col(f, "need").alias("category_of_need"),
        _col(f, "team").alias("team"),
        *_location(),
    ]
    current = f.filter(lac_start.is_not_null()).select(
        placement_start.alias("episode_start"),
        pl.when(placement_start == lac_start)
        .then(pl.lit("S"))
        .when(legal_start < placement_start)
        .then(pl.lit("P"))
        .when(legal_start == placement_start)
        .then(pl.lit("T"))
        .alias("reason_new_episode"),
        _col(f, "legal").alias("legal_status"),
        _col(f, "placement_type").alias("placement_type"),
        _col(f, "provider").alias("placement_provider"),
        _col(f, "ceased", pl.Date()).alias("episode_end"),
        _col(f, "reason_ceased").alias("reason_ceased"),
        clean_other_id(_col(f, "urn")).alias("placement_urn"),
        *common,
    )
    opening = f.filter(lac_start.is_not_null() & (lac_start < placement_start)).select(
        lac_start.alias("episode_start"),
        pl.lit("S").alias("reason_new_episode"),
        pl.when(legal_start <= lac_start).then(_col(f, "legal")).alias("legal_status"),
        placement_start.alias("episode_end"),
        pl.lit("X1").alias("reason_ceased"),
        *common,
    )
    return pl.concat(
        [
            conform(opening, "cla_episodes", location=True),
            conform(current, "cla_episodes", location=True),
        ],
        how="vertical",
    ).sort("child_id", "episode_start", maintain_order=True)


def detect(files: Mapping[str, bytes]) -> int:
    """95 for one workbook with three or more "List n" sheets, 70 for one or two, else 0."""
    workbooks = [n for n in files if n.lower().endswith((".xlsx", ".xlsm"))]
    if len(workbooks) != 1 or len(files) != 1:
        return 0
    try:
        names = xlsx_sheet_names(files[workbooks[0]], workbooks[0])
    except UnsafeInput:
        return 0
    found = {list_number(n) for n in names} - {None}
    return 95 if len(found) >= 3 else 70 if found else 0


def _read_files(files: Mapping[str, bytes], limits: Limits) -> FormatResult:
    [(name, data)] = files.items()
    return read_annex_a_bytes(data, name, limits=limits)


register_format(
    ExtractFormat(
        name=FORMAT,
        title="Ofsted Annex A workbook",
        detect=detect,
        read=_read_files,
        accepts="one .xlsx workbook with a sheet per Annex A list ('List 1 - Contacts' ... 'List 11 - Adopters')",
    )
)


# --- writing ------------------------------------------------------------------------------

_YES_NO = {True: "a) Yes", False: "b) No"}
_GENDER = {"M": "a) Male", "F": "b) Female", "U": "c) Not stated/recorded"}
_ETHNICITY = {code: f"{chr(ord('a') + i)}) {code}" for i, code in enumerate(codes.ETHNICITY)}
_STATUS = {
    "cla": "a) Looked after child",
    "cp": "b) Child Protection plan",
    "cin": "c) Child in need plan",
    "assessment": "d) Open assessment",
    "closed": "e) Closed episode",
}


def _coded(code_list: Mapping[str, str], separator: str = ": ") -> Callable[[Any], Any]:
    return lambda code: f"{code}{separator}{code_list[code]}" if code in code_list else code


_WRITE_AS: dict[str, Callable[[Any], Any]] = {
    "gender": lambda v: _GENDER.get(v, v),
    "ethnicity": lambda v: _ETHNICITY.get(v, v),
    "bool": lambda v: _YES_NO.get(v, v) if v is not None else None,
    "source": _coded(codes.REFERRAL_SOURCE),
    "need": _coded(codes.PRIMARY_NEED, " - "),
    "closure": _coded(codes.CIN_CLOSURE_REASON, " - "),
    "cp_category": _coded(codes.CP_CATEGORY),
    "legal_status": _coded(codes.LEGAL_STATUS),
    "reason_ceased": _coded(codes.REASON_CEASED),
    "placement_type": _coded(codes.PLACEMENT_TYPE),
    "provider": _coded(codes.PLACEMENT_PROVIDER),
    "in_touch": lambda v: v,
    "accommodation": _coded(codes.CARE_LEAVER_ACCOMMODATION),
    "suitable": lambda v: (
        {True: "a) Suitable", False: "b) Unsuitable"}.get(v) if v is not None else None
    ),
    "activity": _coded(codes.CARE_LEAVER_ACTIVITY),
    "status": lambda v: _STATUS.get(v, v),
}


def _latest(frame: pl.DataFrame, by: str, on: str, value: str, alias: str) -> pl.DataFrame:
    return (
        frame.filter(pl.col(on).is_not_null())
        .sort(on)
        .group_by(by, maintain_order=True)
        .agg(pl.col(value).last().alias(alias))
    )


def _list_rows(
    tables: Mapping[str, pl.DataFrame], as_at: date, start: date
) -> dict[int, pl.DataFrame]:
    """Each list's rows, columns keyed by field key (values still canonical)."""
    children = tables["children"].select(
        "child_id",
        pl.col("sex").alias("gender"),
        "ethnicity",
        pl.col("date_of_birth").alias("dob"),
        pl.when(pl.col("date_of_birth").is_not_null() & ~pl.col("unborn").fill_null(False))
        .then(
            (pl.lit(as_at).dt.year() - pl.col("date_of_birth").dt.year())
            - (
                (pl.lit(as_at).dt.month() * 100 + pl.lit(as_at).dt.day())
                < (pl.col("date_of_birth").dt.month() * 100 + pl.col("date_of_birth").dt.day())
            ).cast(pl.Int32)
        )
        .alias("age"),
        "disability",
        "uasc",
    )
    alloc = (
        tables["allocations"]
        .filter(
            (pl.col("start_date") <= as_at)
            & (pl.col("end_date").is_null() | (pl.col("end_date") > as_at))
        )
        .sort("start_date")
        .group_by("child_id", maintain_order=True)
        .agg(pl.col("team").last().alias("_a_team"), pl.col("worker_id").last().alias("_a_worker"))
    )

    def people(
        frame: pl.DataFrame, team: str | None = "team", worker: str | None = "worker_id"
    ) -> pl.DataFrame:
        out = frame.join(children, on="child_id", how="left").join(alloc, on="child_id", how="left")
        return out.with_columns(
            pl.coalesce(
                _col(out, team) if team else pl.lit(None, dtype=pl.String), pl.col("_a_team")
            ).alias("team"),
            pl.coalesce(
                _col(out, worker) if worker else pl.lit(None, dtype=pl.String), pl.col("_a_worker")
            ).alias("worker"),
        )

    def in_window(column: str) -> pl.Expr:
        return pl.col(column).is_between(start, as_at)

    def open_in_window(begin: str, end: str) -> pl.Expr:
        return (pl.col(begin) <= as_at) & (pl.col(end).is_null() | (pl.col(end) >= start))

    visits = tables["visits"].filter(
        pl.col("seen").fill_null(True) & (pl.col("visit_date") <= as_at)
    )
    rows: dict[int, pl.DataFrame] = {}
    rows[1] = (
        people(tables["contacts"].filter(in_window("contact_date")))
        .rename({"contact_date": "date"})
        .sort("date", "child_id")
    )
    rows[2] = (
        people(tables["early_help"].filter(open_in_window("start_date", "end_date")))
        .rename({"start_date": "start", "assessment_completed_date": "completed"})
        .sort("start", "child_id")
    )
    rows[3] = (
        people(tables["referrals"].filter(in_window("referral_date")))
        .rename({"referral_date": "date"})
        .sort("date", "child_id")
    )
    rows[4] = (
        people(tables["assessments"].filter(open_in_window("start_date", "authorised_date")))
        .with_columns(
            pl.col("child_seen").alias("seen"),
            pl.col("authorised_date").alias("authorised"),
            pl.when(pl.col("outcome").is_null())
            .then(None)
            .otherwise(pl.col("outcome") != "nfa")
            .alias("outcome"),
        )
        .rename({"start_date": "start"})
        .sort("start", "child_id")
    )
    icpc = (
        tables["icpcs"].sort("conference_date").unique("s47_id", keep="first", maintain_order=True)
    )
    rows[5] = (
        people(tables["section47"].filter(open_in_window("start_date", "end_date")))
        .join(
            icpc.select("s47_id", pl.col("conference_date").alias("icpc"), "plan_made"),
            on="s47_id",
            how="left",
        )
        .with_columns(
            pl.coalesce("strategy_discussion_date", "start_date").alias("strategy"),
            pl.col("icpc_required").not_().alias("unnecessary"),
        )
        .sort("strategy", "child_id")
    )

    def open_at(frame: pl.DataFrame, begin: str, end: str) -> pl.DataFrame:
        return (
            frame.filter((pl.col(begin) <= as_at) & (pl.col(end).is_null() | (pl.col(end) > as_at)))
            .select("child_id")
            .unique()
        )

    status = (
        pl.when(
            pl.col("child_id").is_in(
                open_at(tables["cla_episodes"], "episode_start", "episode_end")[
                    "child_id"
                ].implode()
            )
        )
        .then(pl.lit("cla"))
        .when(
            pl.col("child_id").is_in(
                open_at(tables["cp_plans"], "start_date", "end_date")["child_id"].implode()
            )
        )
        .then(pl.lit("cp"))
        .when(
            pl.col("child_id").is_in(
                open_at(tables["cin_plans"], "start_date", "end_date")["child_id"].implode()
            )
        )
        .then(pl.lit("cin"))
        .when(
            pl.col("child_id").is_in(
                open_at(tables["assessments"], "start_date", "authorised_date")[
                    "child_id"
                ].implode()
            )
        )
        .then(pl.lit("assessment"))
        .when(pl.col("closure_date").is_not_null() & (pl.col("closure_date") <= as_at))
        .then(pl.lit("closed"))
        .otherwise(pl.lit("cin"))
    )
    last_seen = _latest(visits, "child_id", "visit_date", "visit_date", "last_seen")
    rows[6] = (
        people(tables["referrals"].filter(open_in_window("referral_date", "closure_date")))
        .join(last_seen, on="child_id", how="left")
        .with_columns(
            pl.col("referral_date").alias("start"),
            pl.col("primary_need").alias("need"),
            pl.when(pl.col("closure_date") <= as_at)
            .then(pl.col("closure_reason"))
            .alias("closure_reason"),
            pl.when(pl.col("closure_date") <= as_at)
            .then(pl.col("closure_date"))
            .alias("closure_date"),
            status.alias("status"),
        )
        .sort("start", "child_id")
    )
    cp_visits = (
        visits.filter(pl.col("visit_type") == "CP")
        .sort("visit_date")
        .group_by("child_id", maintain_order=True)
        .agg(
            pl.col("visit_date").last().alias("last_visit"),
            pl.col("seen_alone").last().alias("seen_alone"),
        )
    )
    reviews = _latest(
        tables["cp_reviews"].filter(pl.col("review_date") <= as_at),
        "cp_plan_id",
        "review_date",
        "review_date",
        "review",
    )
    rows[7] = (
        people(tables["cp_plans"].filter(open_in_window("start_date", "end_date")), worker=None)
        .join(cp_visits, on="child_id", how="left")
        .join(reviews, on="cp_plan_id", how="left")
        .with_columns(
            pl.col("start_date").alias("start"),
            pl.col("end_date").alias("end"),
            pl.col("initial_category").alias("initial"),
            pl.col("latest_category").alias("latest"),
            pl.col("previous_plans").alias("previous"),
        )
        .sort("start", "child_id")
    )
    rows[8] = _l8_rows(tables, people, visits, as_at, start)
    leavers = (
        tables["care_leavers"]
        .filter(pl.col("contact_date") <= as_at)
        .sort("contact_date")
        .unique("child_id", keep="last", maintain_order=True)
    )
    rows[9] = (
        people(leavers, team=None)
        .with_columns(
            pl.col("contact_date").alias("contact"),
            pl.col("accommodation_suitable").alias("suitable"),
        )
        .sort("child_id")
    )
    return rows


def _l8_rows(
    tables: Mapping[str, pl.DataFrame],
    people: Callable[..., pl.DataFrame],
    visits: pl.DataFrame,
    as_at: date,
    start: date,
) -> pl.DataFrame:
    episodes = (
        tables["cla_episodes"]
        .filter(pl.col("episode_start") <= as_at)
        .sort("child_id", "episode_start")
    )
    new_period = (pl.col("reason_new_episode") == "S") | (
        pl.col("child_id") != pl.col("child_id").shift(1)
    )
    legal_change = new_period | (
        pl.col("legal_status") != pl.col("legal_status").shift(1)
    ).fill_null(True)
    episodes = episodes.with_columns(
        new_period.cum_sum().alias("_period"), legal_change.cum_sum().alias("_legal")
    ).with_columns(
        pl.col("episode_start").min().over("_period").alias("lac_start"),
        pl.col("episode_start").min().over("_legal").alias("legal_start"),
        pl.col("reason_new_episode")
        .is_in(["S", "P", "T", "B", "U"])
        .and_(pl.col("episode_start") > pl.lit(as_at) - pl.duration(days=365))
        .cast(pl.Int64)
        .sum()
        .over("child_id")
        .alias("placements"),
    )
    current = episodes.unique("child_id", keep="last", maintain_order=True).filter(
        pl.col("episode_end").is_null() | (pl.col("episode_end") >= start)
    )
    cla_visits = _latest(
        visits.filter(pl.col("visit_type") == "CLA"),
        "child_id",
        "visit_date",
        "visit_date",
        "last_visit",
    )
    reviews = _latest(
        tables["cla_reviews"].filter(pl.col("review_date") <= as_at),
        "child_id",
        "review_date",
        "review_date",
        "review",
    )
    return (
        people(current, worker=None)
        .join(cla_visits, on="child_id", how="left")
        .join(reviews, on="child_id", how="left")
        .with_columns(
            pl.col("category_of_need").alias("need"),
            pl.col("legal_status").alias("legal"),
            pl.col("episode_start").alias("placement_start"),
            pl.col("placement_type").alias("placement_type"),
            pl.col("placement_provider").alias("provider"),
            pl.col("placement_urn").alias("urn"),
            pl.when(pl.col("episode_end") <= as_at).then(pl.col("episode_end")).alias("ceased"),
            pl.when(pl.col("episode_end") <= as_at)
            .then(pl.col("reason_ceased"))
            .alias("reason_ceased"),
        )
        .sort("child_id")
    )


def write_annex_a(
    source: TableSource,
    out_path: str | Path,
    as_at: date | None = None,
    *,
    period_start: date | None = None,
) -> Path:
    """Write an Annex A workbook in the published layout for the year up to ``as_at``.

    ``period_start`` defaults to the day after the same date a year earlier. Contacts,
    referrals and section 47s are those dated in the period; early help, assessments, CIN
    episodes, CP plans and looked-after children those open at some point in it; care
    leavers their latest contact. Allocated team and worker come from the record itself,
    else the child's open allocation at ``as_at``. Lists 10 and 11 are written with their
    headers only (no canonical table holds adoption).
    """
    from openpyxl import Workbook

    tables = collect_tables(source)
    as_at = as_at or getattr(source, "as_at", None)
    if as_at is None:
        raise ValueError("an extract date (as_at) is needed to write Annex A")
    if period_start is None:
        period_start = (
            as_at.replace(year=as_at.year - 1) + timedelta(days=1)
            if not (as_at.month == 2 and as_at.day == 29)
            else date(as_at.year - 1, 3, 1)
        )
    rows = _list_rows(tables, as_at, period_start)
    book = Workbook()
    book.remove(book.active)
    for number, spec in LISTS.items():
        sheet = book.create_sheet(spec.sheet_name[:31])
        if number == 10:
            sheet.append(list(LIST_10_HEADERS))
            continue
        if number == 11:
            sheet.append(list(LIST_11_HEADERS))
            continue
        sheet.append([f.header for f in spec.fields])
        frame = rows[number]
        for record in frame.iter_rows(named=True):
            values = []
            for field in spec.fields:
                value = record.get(field.key)
                if field.kind in _WRITE_AS and value is not None:
                    value = _WRITE_AS[field.kind](value)
                values.append(value)
            sheet.append(values)
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, date):
                    cell.number_format = "dd/mm/yyyy"
                elif isinstance(cell.value, str):
                    cell.value = escape_text(cell.value)
                    cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    out = Path(out_path)
    out.write_bytes(buffer.getvalue())
    return out
