"""The Standard Safeguarding Dataset (SSD): Data to Insight's ``ssd_*`` tables.

Councils run the SSD script inside their own database (over Liquidlogic, Mosaic,
Eclipse, ...) and it builds standard tables: ``ssd_person``, ``ssd_cin_episodes``,
``ssd_cla_episodes``, ``ssd_cin_visits``, ``ssd_involvements`` and the rest. This module
reads those tables **as CSV files** (``ssd_person.csv``, ... exported from them) and maps
them into the canonical tables; :mod:`journey.engine.casedata.ssd_db` reads the same
tables straight from the database and hands them here as the same CSV files, so there is
one reader, and a snapshot loaded from a database is kept as files and recomputes
exactly.

Only the columns the measures need are read (:data:`SSD_TABLES`); names, addresses,
postcodes and free-text comments never are (a file that holds them is warned about).
Each SSD table is typed on its own first (dates, yes/no, identifiers, codes), with
problems naming the file, row, SSD column and the record's key, then mapped:

* the outcome fields (``*_outcome_json``) are parsed as JSON and only their flags kept;
* a looked-after episode takes its placement from ``ssd_cla_placement`` and its legal
  status from the ``ssd_legal_status`` period in force on the day it started;
* looked-after reviews find their child through the period of care (``clae_cla_id``);
* involvements of an allocated worker become ``allocations``; professionals become
  ``workers`` with a role read from the job title;
* CIN, CP and looked-after visits become one ``visits`` table (ids prefixed with the
  visit type, as the three SSD tables number their visits separately).

docs/ssd.md lists every field and what it becomes. :func:`ssd_csv_files` writes a
canonical extract as SSD tables (the synthetic council in SSD form).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePath

import polars as pl

from journey.engine.casedata import codes
from journey.engine.casedata.csv_layout import (
    header_below,
    header_not_first,
    overlong_problem,
    overlong_row,
)
from journey.engine.casedata.formats._common import (
    ERROR,
    WARNING,
    FormatResult,
    Problem,
    collect_tables,
    conform,
)
from journey.engine.casedata.load import ExtractFormat, Files, register_format
from journey.engine.casedata.safety import Limits, UnsafeInput, decode_text
from journey.engine.casedata.schema import Column, Extract, Table
from journey.engine.casedata.validation import (
    FALSE_WORDS,
    FILE,
    ROW,
    SHEET,
    TRUE_WORDS,
    Source,
    parse_table,
)

FORMAT = "ssd"

STR = pl.String()
DATE = pl.Date()
BOOL = pl.Boolean()
FLOAT = pl.Float64()


@dataclass(frozen=True)
class Field:
    """One SSD column the reader uses: its name inside the reader, and the SSD's name
    for it (older SSD releases' names after the current one)."""

    name: str
    ssd: tuple[str, ...]
    dtype: pl.DataType = STR
    required: bool = False
    codes: Mapping[str, str] | None = None

    @property
    def label(self) -> str:
        return self.ssd[0]


@dataclass(frozen=True)
class SsdTable:
    """An SSD table: the fields read from it and its key (a field name)."""

    name: str
    key: str
    fields: tuple[Field, ...]
    #: What the table becomes, for messages and docs/ssd.md.
    maps_to: str

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def table(self) -> Table:
        """The table as the shared typing (:func:`parse_table`) wants it."""
        return Table(
            self.name,
            self.name,
            self.maps_to,
            tuple(
                Column(f.name, f.dtype, f.label, required=f.required, codes=dict(f.codes) if f.codes else None)
                for f in self.fields
            ),
            key=(self.key,),
        )


def _f(name: str, *ssd: str, dtype: pl.DataType = STR, required: bool = False,
       code_list: Mapping[str, str] | None = None) -> Field:
    return Field(name, ssd, dtype, required, code_list)


def _child(*ssd: str) -> Field:
    return _f("child_id", *ssd, required=True)


#: Every SSD table the reader uses, with the only columns it reads. Internal names are the
#: canonical column where the field maps straight across; worker and team fields are read
#: as text (``worker``, ``team``) because SSD releases put staff numbers or team names there.
SSD_TABLES: tuple[SsdTable, ...] = (
    SsdTable("ssd_person", "child_id", (
        _child("pers_person_id"),
        _f("sex", "pers_sex", code_list=codes.SEX),
        _f("ethnicity", "pers_ethnicity", code_list=codes.ETHNICITY),
        _f("date_of_birth", "pers_dob", dtype=DATE),
        _f("expected_dob", "pers_expected_dob", dtype=DATE),
        _f("date_of_death", "pers_death_date", dtype=DATE),
    ), "children"),
    SsdTable("ssd_department", "team_ref", (
        _f("team_ref", "dept_team_id", required=True),
        _f("team_name", "dept_team_name"),
    ), "team names for every team field"),
    SsdTable("ssd_contacts", "contact_id", (
        _f("contact_id", "cont_contact_id", required=True),
        _child("cont_person_id"),
        _f("contact_date", "cont_contact_date", dtype=DATE, required=True),
        _f("source", "cont_contact_source_code", code_list=codes.REFERRAL_SOURCE),
        _f("outcome_json", "cont_contact_outcome_json"),
    ), "contacts"),
    SsdTable("ssd_early_help_episodes", "episode_id", (
        _f("episode_id", "earl_episode_id", required=True),
        _child("earl_person_id"),
        _f("start_date", "earl_episode_start_date", dtype=DATE, required=True),
        _f("end_date", "earl_episode_end_date", dtype=DATE),
        _f("end_reason", "earl_episode_end_reason"),
        _f("organisation", "earl_episode_organisation"),
    ), "early_help"),
    SsdTable("ssd_cin_episodes", "referral_id", (
        _f("referral_id", "cine_referral_id", required=True),
        _child("cine_person_id"),
        _f("referral_date", "cine_referral_date", dtype=DATE, required=True),
        _f("source", "cine_referral_source_code", code_list=codes.REFERRAL_SOURCE),
        _f("primary_need", "cine_cin_primary_need_code", "cine_cin_primary_need", code_list=codes.PRIMARY_NEED),
        _f("nfa", "cine_referral_nfa", dtype=BOOL),
        _f("outcome_json", "cine_referral_outcome_json"),
        _f("closure_date", "cine_close_date", dtype=DATE),
        _f("closure_reason", "cine_close_reason", code_list=codes.CIN_CLOSURE_REASON),
        _f("team", "cine_referral_team"),
        _f("worker", "cine_referral_worker_id"),
    ), "referrals"),
    SsdTable("ssd_cin_assessments", "assessment_id", (
        _f("assessment_id", "cina_assessment_id", required=True),
        _child("cina_person_id"),
        _f("referral_id", "cina_referral_id"),
        _f("start_date", "cina_assessment_start_date", dtype=DATE, required=True),
        _f("child_seen", "cina_assessment_child_seen", dtype=BOOL),
        _f("authorised_date", "cina_assessment_auth_date", dtype=DATE),
        _f("outcome_json", "cina_assessment_outcome_json"),
        _f("outcome_nfa", "cina_assessment_outcome_nfa", dtype=BOOL),
        _f("team", "cina_assessment_team"),
        _f("worker", "cina_assessment_worker_id"),
    ), "assessments"),
    SsdTable("ssd_s47_enquiry", "s47_id", (
        _f("s47_id", "s47e_s47_enquiry_id", required=True),
        _f("referral_id", "s47e_referral_id"),
        _child("s47e_person_id"),
        _f("start_date", "s47e_s47_start_date", dtype=DATE, required=True),
        _f("end_date", "s47e_s47_end_date", dtype=DATE),
        _f("outcome_json", "s47e_s47_outcome_json"),
        _f("worker", "s47e_s47_completed_by_worker_id"),
        _f("team", "s47e_s47_completed_by_team"),
    ), "section47"),
    SsdTable("ssd_initial_cp_conference", "icpc_id", (
        _f("icpc_id", "icpc_icpc_id", required=True),
        _f("s47_id", "icpc_s47_enquiry_id"),
        _child("icpc_person_id"),
        _f("conference_date", "icpc_icpc_date", dtype=DATE),
        _f("plan_made", "icpc_icpc_outcome_cp_flag", dtype=BOOL),
        _f("outcome_json", "icpc_icpc_outcome_json"),
    ), "icpcs"),
    SsdTable("ssd_cp_plans", "cp_plan_id", (
        _f("cp_plan_id", "cppl_cp_plan_id", required=True),
        _child("cppl_person_id"),
        _f("start_date", "cppl_cp_plan_start_date", dtype=DATE, required=True),
        _f("end_date", "cppl_cp_plan_end_date", dtype=DATE),
        _f("initial_category", "cppl_cp_plan_initial_category", code_list=codes.CP_CATEGORY),
        _f("latest_category", "cppl_cp_plan_latest_category", code_list=codes.CP_CATEGORY),
    ), "cp_plans"),
    SsdTable("ssd_cp_reviews", "review_id", (
        _f("review_id", "cppr_cp_review_id", required=True),
        _child("cppr_person_id"),
        _f("cp_plan_id", "cppr_cp_plan_id", required=True),
        _f("review_date", "cppr_cp_review_date", dtype=DATE),
    ), "cp_reviews"),
    SsdTable("ssd_cin_plans", "cin_plan_id", (
        _f("cin_plan_id", "cinp_cin_plan_id", required=True),
        _child("cinp_person_id"),
        _f("start_date", "cinp_cin_plan_start_date", dtype=DATE, required=True),
        _f("end_date", "cinp_cin_plan_end_date", dtype=DATE),
        _f("team", "cinp_cin_plan_team"),
    ), "cin_plans"),
    SsdTable("ssd_cin_visits", "visit_id", (
        _f("visit_id", "cinv_cin_visit_id", required=True),
        _child("cinv_person_id"),
        _f("visit_date", "cinv_cin_visit_date", dtype=DATE, required=True),
        _f("seen", "cinv_cin_visit_seen", dtype=BOOL),
        _f("seen_alone", "cinv_cin_visit_seen_alone", dtype=BOOL),
    ), "visits (CIN)"),
    SsdTable("ssd_cp_visits", "visit_id", (
        _f("visit_id", "cppv_cp_visit_id", required=True),
        _child("cppv_person_id"),
        _f("visit_date", "cppv_cp_visit_date", dtype=DATE, required=True),
        _f("seen", "cppv_cp_visit_seen", dtype=BOOL),
        _f("seen_alone", "cppv_cp_visit_seen_alone", dtype=BOOL),
    ), "visits (CP)"),
    SsdTable("ssd_cla_visits", "visit_id", (
        _f("visit_id", "clav_cla_visit_id", required=True),
        _child("clav_person_id"),
        _f("visit_date", "clav_cla_visit_date", dtype=DATE, required=True),
        _f("seen", "clav_cla_visit_seen", dtype=BOOL),
        _f("seen_alone", "clav_cla_visit_seen_alone", dtype=BOOL),
    ), "visits (CLA)"),
    SsdTable("ssd_cla_episodes", "episode_id", (
        _f("episode_id", "clae_cla_episode_id", required=True),
        _child("clae_person_id"),
        _f("episode_start", "clae_cla_episode_start_date", dtype=DATE, required=True),
        _f("reason_new_episode", "clae_cla_episode_start_reason", code_list=codes.REASON_NEW_EPISODE),
        _f("category_of_need", "clae_cla_primary_need_code", "clae_cla_primary_need", code_list=codes.CATEGORY_OF_NEED),
        _f("episode_end", "clae_cla_episode_ceased_date", "clae_cla_episode_ceased", dtype=DATE),
        _f("reason_ceased", "clae_cla_episode_ceased_reason", code_list=codes.REASON_CEASED),
        _f("cla_id", "clae_cla_id"),
        _f("placement_id", "clae_cla_placement_id"),
    ), "cla_episodes"),
    SsdTable("ssd_cla_placement", "placement_id", (
        _f("placement_id", "clap_cla_placement_id", required=True),
        _f("placement_type", "clap_cla_placement_type", code_list=codes.PLACEMENT_TYPE),
        _f("placement_provider", "clap_cla_placement_provider", code_list=codes.PLACEMENT_PROVIDER),
        _f("placement_urn", "clap_cla_placement_urn"),
        _f("reason_place_change", "clap_cla_placement_change_reason"),
    ), "cla_episodes (placement)"),
    SsdTable("ssd_legal_status", "legal_status_id", (
        _f("legal_status_id", "lega_legal_status_id", required=True),
        _child("lega_person_id"),
        _f("legal_status", "lega_legal_status", code_list=codes.LEGAL_STATUS),
        _f("start_date", "lega_legal_status_start_date", dtype=DATE, required=True),
        _f("end_date", "lega_legal_status_end_date", dtype=DATE),
    ), "cla_episodes (legal status)"),
    SsdTable("ssd_cla_reviews", "review_id", (
        _f("review_id", "clar_cla_review_id", required=True),
        _f("cla_id", "clar_cla_id", required=True),
        _f("review_date", "clar_cla_review_date", dtype=DATE),
        _f("cancelled", "clar_cla_review_cancelled", dtype=BOOL),
        _f("participation", "clar_cla_review_participation", code_list=codes.REVIEW_PARTICIPATION),
    ), "cla_reviews"),
    SsdTable("ssd_care_leavers", "record_id", (
        _f("record_id", "clea_table_id", required=True),
        _child("clea_person_id"),
        _f("contact_date", "clea_care_leaver_latest_contact", dtype=DATE),
        _f("in_touch", "clea_care_leaver_in_touch", code_list=codes.CARE_LEAVER_IN_TOUCH),
        _f("activity", "clea_care_leaver_activity", code_list=codes.CARE_LEAVER_ACTIVITY),
        _f("accommodation", "clea_care_leaver_accommodation"),
        _f("suitable", "clea_care_leaver_accom_suitable"),
    ), "care_leavers"),
    SsdTable("ssd_professionals", "worker", (
        _f("worker", "prof_professional_id", required=True),
        _f("job_title", "prof_professional_job_title"),
        _f("team", "prof_professional_department"),
        _f("fte", "prof_full_time_equivalency", dtype=FLOAT),
        _f("agency", "prof_agency_worker_flag", dtype=BOOL),
    ), "workers"),
    SsdTable("ssd_involvements", "involvement_id", (
        _f("involvement_id", "invo_involvements_id", required=True),
        _f("worker", "invo_professional_id"),
        _f("role", "invo_professional_role_id"),
        _f("team", "invo_professional_team"),
        _child("invo_person_id"),
        _f("start_date", "invo_involvement_start_date", dtype=DATE, required=True),
        _f("end_date", "invo_involvement_end_date", dtype=DATE),
    ), "allocations"),
    SsdTable("ssd_missing", "missing_id", (
        _f("missing_id", "miss_table_id", required=True),
        _child("miss_person_id", "miss_la_person_id"),
        _f("start_date", "miss_missing_episode_start_date", "miss_mis_epi_start", dtype=DATE, required=True),
        _f("episode_type", "miss_missing_episode_type", "miss_mis_epi_type", code_list=codes.MISSING_TYPE),
        _f("end_date", "miss_missing_episode_end_date", "miss_mis_epi_end", dtype=DATE),
        _f("return_interview_offered", "miss_missing_rhi_offered", "miss_mis_epi_rhi_offered", dtype=BOOL),
        _f("return_interview_accepted", "miss_missing_rhi_accepted", "miss_mis_epi_rhi_accepted", dtype=BOOL),
    ), "missing_episodes"),
    SsdTable("ssd_voice_of_child", "record_id", (
        _f("record_id", "voch_table_id", required=True),
        _child("voch_person_id"),
        _f("explained_worries", "voch_explained_worries", dtype=BOOL),
        _f("story_help_understand", "voch_story_help_understand", dtype=BOOL),
        _f("agree_worker", "voch_agree_worker", dtype=BOOL),
        _f("plan_safe", "voch_plan_safe", dtype=BOOL),
        _f("tablet_help_explain", "voch_tablet_help_explain", dtype=BOOL),
    ), "voice_of_child"),
)

SSD: dict[str, SsdTable] = {t.name: t for t in SSD_TABLES}

#: SSD columns that hold names, addresses or free text about people: never read. A file
#: carrying them is kept as given (the store keeps originals byte for byte), so the
#: analyst is asked to export without them.
PERSONAL_COLUMNS = frozenset(
    {
        "pers_forename",
        "pers_surname",
        "prof_professional_name",
        "clap_cla_placement_postcode",
        "clea_care_leaver_personal_advisor",
        "addr_address_json",
        "addr_address_postcode",
    }
)

#: An involvement whose role reads like one of these is the child's allocated worker.
ALLOCATED_ROLE = re.compile(r"allocat|social ?worker|case ?worker|key ?worker", re.IGNORECASE)

#: A professional's role from their job title: first match wins (lower case).
JOB_TITLE_ROLES: tuple[tuple[str, str], ...] = (
    (r"asye|newly qualified|nqsw", "ASYE"),
    (r"senior practitioner|advanced practitioner|senior social worker|consultant social worker|practice lead", "SSW"),
    (r"team manager|team leader|practice manager|deputy team manager", "TM"),
    (r"service manager|head of service|head of|director|principal social worker", "SM"),
    (r"family support|support worker|family worker|family practitioner", "FSW"),
    (r"social worker", "SW"),
)

#: The job title written for each role (synthetic council), read back by JOB_TITLE_ROLES.
ROLE_JOB_TITLES = {
    "SW": "Social Worker",
    "ASYE": "Newly Qualified Social Worker (ASYE)",
    "SSW": "Senior Practitioner",
    "TM": "Team Manager",
    "SM": "Service Manager",
    "FSW": "Family Support Worker",
    "OTHER": "Other Professional",
}

ALLOCATED_ROLE_WRITTEN = "Allocated Social Worker"

#: Visit tables and the canonical visit type each gives.
VISIT_TABLES = {"ssd_cin_visits": "CIN", "ssd_cp_visits": "CP", "ssd_cla_visits": "CLA"}

#: The outcome JSON field of the tables that have one (read as ``outcome_json``).
OUTCOME = "outcome_json"
#: Outcome JSON flags the reader uses (each read as KEY, or the older OUTCOME_KEY).
CONTACT_REFERRAL_FLAGS = ("NEW_REFERRAL_FLAG", "EXISTING_REFERRAL_FLAG", "CP_ENQUIRY_FLAG")


# --------------------------------------------------------------------------- recognising


def _table_name(file: str) -> str:
    return PurePath(file).name.lower().removesuffix(".csv")


def detect(files: Files) -> int:
    """Files named ``ssd_<table>.csv`` are an SSD extract."""
    names = [_table_name(n) for n in files if n.lower().endswith(".csv")]
    if any(n in SSD for n in names):
        return 95
    if any(n.startswith("ssd_") for n in names):
        return 60
    return 0


# --------------------------------------------------------------------------- reading


def _header(text: str) -> list[str]:
    # The first line ends at the first newline at the latest: only that much is split.
    end = text.find("\n")
    lines = (text if end < 0 else text[:end]).splitlines()
    first = lines[0] if lines else ""
    return [h.replace("\ufeff", "").strip().lower() for h in next(csv.reader([first]), [])]


def _read_ssd_csv(
    spec: SsdTable, data: bytes, file: str, limits: Limits, result: FormatResult
) -> pl.DataFrame | None:
    """One SSD table typed by its fields, or None when it cannot be read (errors recorded)."""
    text = decode_text(data, file, limits)
    if not text.strip():
        result.warn("empty_file", "the file is empty and is read as an empty table", file=file)
        return None
    header = _header(text)
    aliases = {alias for f in spec.fields for alias in f.ssd}
    if not aliases.intersection(header):
        below = header_below(
            text, lambda cells: len(aliases.intersection(c.lower() for c in cells)) >= 2
        )
        if below is not None:
            real = list(itertools.islice(csv.reader(io.StringIO(text)), below))[-1]
            result.problems.append(header_not_first(below, real, file=file, table=spec.name))
            return None
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in seen:
            problems.append(
                Problem(ERROR, "duplicate_column", f"column {name} is given twice", file=file,
                        row=1, column=name, table=spec.name)
            )
        seen.setdefault(name, i)
    personal = sorted(PERSONAL_COLUMNS.intersection(header))
    if personal:
        result.warn(
            "personal_columns",
            f"the file holds {', '.join(personal)}: names and addresses are never read, but the "
            "file is kept as given — export it without them",
            file=file,
        )
    positions: dict[str, int] = {}
    labels: dict[str, str] = {}
    for f in spec.fields:
        found = next((alias for alias in f.ssd if alias in seen), None)
        if found is None:
            if f.required:
                problems.append(
                    Problem(ERROR, "missing_column", f"required column {f.label} is missing "
                            f"(columns found: {', '.join(header) or 'none'})", file=file, row=1,
                            column=f.label, table=spec.name)
                )
            else:
                result.warn("missing_column", f"column {f.label} is missing and is read as blank",
                            file=file)
            continue
        positions[f.name] = seen[found]
        labels[f.name] = found
    if problems:
        result.problems += problems
        return None
    def read(ragged: bool) -> pl.DataFrame:
        return pl.read_csv(
            io.BytesIO(text.encode("utf-8")),
            has_header=False,
            skip_rows=1,
            columns=sorted(set(positions.values())) or [0],
            infer_schema=False,
            truncate_ragged_lines=ragged,
        )

    try:
        try:
            grid = read(ragged=False)
        except pl.exceptions.ComputeError:
            # Rows longer than the header: cut back only when every extra value is blank.
            overlong = overlong_row(text, len(header))
            if overlong is not None:
                result.problems.append(
                    overlong_problem(*overlong, len(header), file=file, table=spec.name)
                )
                return None
            grid = read(ragged=True)
    except pl.exceptions.PolarsError as err:
        result.problems.append(
            Problem(ERROR, "unreadable_file",
                    f"it cannot be read as CSV ({str(err).splitlines()[0]})", file=file,
                    table=spec.name)
        )
        return None
    if grid.height > limits.rows or len(header) > limits.columns:
        result.problems.append(
            Problem(ERROR, "too_large", f"the file has {grid.height:,} rows and {len(header)} columns, "
                    f"over the limits of {limits.rows:,} rows and {limits.columns} columns",
                    file=file, table=spec.name)
        )
        return None
    grid = grid.select([pl.col(f"column_{i}").alias(name) for name, i in positions.items()])
    raw = grid.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    cells = [c for c in raw.columns if c != ROW]
    if cells:
        raw = raw.filter(pl.any_horizontal([pl.col(c).str.contains(r"\S") for c in cells]))
    source = Source(file=file, columns={k: v for k, v in labels.items() if k != v}, header_row=1)
    typed, typing_problems = parse_table(spec.table, raw, source)
    result.problems += _with_keys(typing_problems, spec, raw, labels)
    return typed


def _with_keys(
    problems: list[Problem], spec: SsdTable, raw: pl.DataFrame, labels: Mapping[str, str]
) -> list[Problem]:
    """Name the record's key in each row's error: a database table has no row numbers of
    its own, and the key is what the analyst searches for."""
    rows = {p.row for p in problems if p.row is not None and p.severity == ERROR}
    if not rows or spec.key not in raw.columns:
        return problems
    keys = dict(
        raw.filter(pl.col(ROW).is_in(sorted(rows))).select(ROW, spec.key).iter_rows()
    )
    label = labels.get(spec.key, spec.field(spec.key).label)
    out = []
    for p in problems:
        key = keys.get(p.row) if p.row is not None and p.severity == ERROR else None
        if key is not None and p.column != label:
            p = Problem(p.severity, p.code, f"{p.message} ({label} {key!r})", p.file, p.sheet,
                        p.row, p.column, p.value, p.table)
        out.append(p)
    return out


def read_ssd_files(files: Files, limits: Limits | None = None) -> FormatResult:
    """Read SSD tables given as CSV files and map them into the canonical tables."""
    from journey.engine.casedata.canonical import EXTRACT_FILE, _read_extract_json
    from journey.engine.casedata.ssd_db import DATABASE_FILE, database_notes

    limits = limits or Limits()
    result = FormatResult(FORMAT)
    typed: dict[str, pl.DataFrame] = {}
    for name in sorted(files):
        base = PurePath(name).name
        if base.lower() == EXTRACT_FILE:
            result.as_at, result.la_code, problems = _read_extract_json(files[name], name)
            result.problems += problems
            continue
        if base.lower() == DATABASE_FILE:
            result.problems += database_notes(files[name], name)
            continue
        table = _table_name(name)
        if not base.lower().endswith(".csv") or table not in SSD:
            what = (
                "an SSD table the measures do not use" if table.startswith("ssd_")
                else "not an SSD table"
            )
            result.warn("unknown_file", f"the file is {what} and is not read", file=name)
            continue
        if table in typed:
            result.problems.append(
                Problem(ERROR, "duplicate_table", f"the {table} table is given twice", file=name)
            )
            continue
        try:
            frame = _read_ssd_csv(SSD[table], files[name], name, limits, result)
        except UnsafeInput as refused:
            result.problems.append(refused.problem)
            continue
        if frame is not None:
            typed[table] = frame
    if "ssd_person" not in typed and not any(
        p.severity == ERROR and ((p.file and _table_name(p.file) == "ssd_person") or p.table == "children")
        for p in result.problems
    ):
        result.problems.append(
            Problem(ERROR, "missing_table", "ssd_person.csv is missing: every SSD extract needs "
                    "the ssd_person table (the children)", table="children")
        )
    absent = [t.name for t in SSD_TABLES if t.name not in typed and t.name != "ssd_person"]
    if absent and "ssd_person" in typed:
        result.warn("missing_table", f"not given, read as empty: {', '.join(absent)}")
    if result.errors:
        return result
    _map(typed, result)
    return result


def _read(files: Files, limits: Limits) -> FormatResult:
    return read_ssd_files(files, limits)


# --------------------------------------------------------------------------- mapping


def _location(frame: pl.DataFrame) -> list[str]:
    return [c for c in (FILE, SHEET, ROW) if c in frame.columns]


def _get(typed: Mapping[str, pl.DataFrame], name: str) -> pl.DataFrame:
    frame = typed.get(name)
    if frame is not None:
        return frame
    spec = SSD[name]
    return pl.DataFrame(
        schema={**{f.name: f.dtype for f in spec.fields}, FILE: pl.String, SHEET: pl.String, ROW: pl.Int64}
    )


def _parse_flag(key: str) -> pl.Expr:
    """A yes/no flag inside an outcome JSON text (``KEY`` or the older ``OUTCOME_KEY``)."""
    raw = pl.coalesce(
        pl.col(OUTCOME).str.json_path_match(f"$.{key}"),
        pl.col(OUTCOME).str.json_path_match(f"$.OUTCOME_{key}"),
    )
    low = raw.str.strip_chars().str.to_lowercase()
    return (
        pl.when(low.is_in(TRUE_WORDS)).then(True).when(low.is_in(FALSE_WORDS)).then(False)
        .otherwise(None)
    )


def _with_outcomes(frame: pl.DataFrame, *keys: str) -> pl.DataFrame:
    """The outcome JSON's ``keys`` as yes/no columns (:func:`_flag`), and whether it is JSON
    at all (``_json``), worked out once per distinct text and joined back: a table's outcomes
    are a few combinations of flags, so a few texts are parsed rather than every row."""
    distinct = frame.select(OUTCOME).unique().drop_nulls()
    parsed = distinct.with_columns(
        pl.col(OUTCOME).str.json_path_match("$").is_not_null().alias("_json"),
        *[_parse_flag(k).alias(f"_flag_{k}") for k in keys],
    )
    return frame.join(parsed, on=OUTCOME, how="left", maintain_order="left")


def _flag(key: str) -> pl.Expr:
    """The flag ``key`` of the row's outcome (see :func:`_with_outcomes`)."""
    return pl.col(f"_flag_{key}")


def _any_flag(*keys: str) -> pl.Expr:
    return pl.any_horizontal([_flag(k).fill_null(False) for k in keys])


def _check_json(frame: pl.DataFrame, spec: SsdTable, result: FormatResult) -> None:
    """An outcome field that is not JSON is reported (its outcome is then blank)."""
    label = spec.field("outcome_json").label
    bad = frame.filter(pl.col(OUTCOME).is_not_null() & ~pl.col("_json"))
    key_label = spec.field(spec.key).label
    for file, row, value, key in bad.select(FILE, ROW, "outcome_json", spec.key).head(1000).iter_rows():
        result.problems.append(
            Problem(WARNING, "not_json", f"{str(value)[:60]!r} is not JSON: the outcome is not read "
                    f"({key_label} {key!r})", file=file, row=row, column=label, value=str(value)[:60],
                    table=spec.maps_to)
        )
    if bad.height > 1000:
        result.warn("not_json", f"... and {bad.height - 1000:,} more rows whose {label} is not JSON",
                    file=spec.file)


def _team_names(typed: Mapping[str, pl.DataFrame]) -> dict[str, str]:
    dept = _get(typed, "ssd_department").drop_nulls(["team_ref", "team_name"])
    return dict(dept.unique("team_ref", keep="first").select("team_ref", "team_name").iter_rows())


def _dropped(result: FormatResult, frame: pl.DataFrame, spec: SsdTable, why: str,
             code: str = "not_loaded") -> None:
    """Rows the reader cannot use: one warning per row (up to 1,000) saying why."""
    key_label = spec.field(spec.key).label
    for file, row, key in frame.select(FILE, ROW, spec.key).head(1000).iter_rows():
        result.problems.append(
            Problem(WARNING, code, f"{why}: not loaded ({key_label} {key!r})", file=file, row=row,
                    table=spec.maps_to)
        )
    if frame.height > 1000:
        result.warn(code, f"... and {frame.height - 1000:,} more rows not loaded: {why}", file=spec.file)


def _first_of_each(frame: pl.DataFrame, spec: SsdTable, result: FormatResult) -> pl.DataFrame:
    """Keep the first row of each key of a table that others look up (a repeated key would
    multiply the rows joined to it); the repeats are reported."""
    repeated = frame.filter(pl.col(spec.key).is_not_null() & pl.col(spec.key).is_duplicated())
    if repeated.height:
        later = repeated.filter(pl.int_range(pl.len()).over(spec.key) > 0)
        _dropped(result, later, spec, "repeats the key of an earlier row; the first is used",
                 code="duplicate_key")
    return frame.unique(spec.key, keep="first", maintain_order=True)


def _map(typed: Mapping[str, pl.DataFrame], result: FormatResult) -> None:
    teams = _team_names(typed)

    def team(column: str = "team") -> pl.Expr:
        return pl.col(column).replace(teams) if teams else pl.col(column)

    out: dict[str, pl.DataFrame] = {}

    person = _get(typed, "ssd_person")
    out["children"] = person.with_columns(
        pl.coalesce("date_of_birth", "expected_dob").alias("date_of_birth"),
        pl.when(pl.col("date_of_birth").is_null() & pl.col("expected_dob").is_not_null())
        .then(True).otherwise(False).alias("unborn"),
    )

    contacts = _with_outcomes(
        _get(typed, "ssd_contacts"), *CONTACT_REFERRAL_FLAGS, "EARLY_HELP_FLAG", "ADVICE_FLAG", "NFA_FLAG"
    )
    _check_json(contacts, SSD["ssd_contacts"], result)
    out["contacts"] = contacts.with_columns(
        pl.when(_any_flag(*CONTACT_REFERRAL_FLAGS)).then(pl.lit("referral"))
        .when(_flag("EARLY_HELP_FLAG").fill_null(False)).then(pl.lit("early_help"))
        .when(_flag("ADVICE_FLAG").fill_null(False)).then(pl.lit("advice"))
        .when(_flag("NFA_FLAG").fill_null(False)).then(pl.lit("nfa"))
        .otherwise(None).alias("outcome")
    )

    out["early_help"] = _get(typed, "ssd_early_help_episodes")

    referrals = _with_outcomes(_get(typed, "ssd_cin_episodes"), "NFA_FLAG")
    _check_json(referrals, SSD["ssd_cin_episodes"], result)
    out["referrals"] = referrals.with_columns(
        pl.coalesce("nfa", _flag("NFA_FLAG")).alias("nfa"),
        team(), pl.col("worker").alias("worker_id"),
    )

    assessments = _with_outcomes(
        _get(typed, "ssd_cin_assessments"), "STRATEGY_DISCUSSION_FLAG", "PROV_OF_SERVICES_FLAG",
        "PROV_OF_SB_CARE_FLAG", "EARLY_HELP_FLAG", "NFA_FLAG",
    )
    _check_json(assessments, SSD["ssd_cin_assessments"], result)
    out["assessments"] = assessments.with_columns(
        pl.when(_flag("STRATEGY_DISCUSSION_FLAG").fill_null(False)).then(pl.lit("s47"))
        .when(_any_flag("PROV_OF_SERVICES_FLAG", "PROV_OF_SB_CARE_FLAG")).then(pl.lit("cin_plan"))
        .when(_flag("EARLY_HELP_FLAG").fill_null(False)).then(pl.lit("early_help"))
        .when(pl.col("outcome_nfa").fill_null(False) | _flag("NFA_FLAG").fill_null(False)).then(pl.lit("nfa"))
        .otherwise(None).alias("outcome"),
        team(), pl.col("worker").alias("worker_id"),
    )

    s47 = _with_outcomes(_get(typed, "ssd_s47_enquiry"), "CP_CONFERENCE_FLAG")
    _check_json(s47, SSD["ssd_s47_enquiry"], result)
    out["section47"] = s47.with_columns(
        pl.col("start_date").alias("strategy_discussion_date"),
        _flag("CP_CONFERENCE_FLAG").alias("icpc_required"),
        team(), pl.col("worker").alias("worker_id"),
    )

    icpc = _with_outcomes(_get(typed, "ssd_initial_cp_conference"), "CP_FLAG")
    _check_json(icpc, SSD["ssd_initial_cp_conference"], result)
    _dropped(result, icpc.filter(pl.col("conference_date").is_null()), SSD["ssd_initial_cp_conference"],
             "icpc_icpc_date is blank (the conference has not been held)")
    out["icpcs"] = icpc.filter(pl.col("conference_date").is_not_null()).with_columns(
        pl.coalesce("plan_made", _flag("CP_FLAG")).alias("plan_made")
    )

    out["cp_plans"] = _get(typed, "ssd_cp_plans")
    cp_reviews = _get(typed, "ssd_cp_reviews")
    _dropped(result, cp_reviews.filter(pl.col("review_date").is_null()), SSD["ssd_cp_reviews"],
             "cppr_cp_review_date is blank (the review has not been held)")
    out["cp_reviews"] = cp_reviews.filter(pl.col("review_date").is_not_null())
    out["cin_plans"] = _get(typed, "ssd_cin_plans").with_columns(team())

    visits = []
    for name, visit_type in VISIT_TABLES.items():
        v = _get(typed, name)
        visits.append(
            conform(
                v.with_columns(
                    pl.concat_str([pl.lit(f"{visit_type}-"), pl.col("visit_id")]).alias("visit_id"),
                    pl.lit(visit_type).alias("visit_type"),
                ),
                "visits",
                location=True,
            )
        )
    out["visits"] = pl.concat(visits, how="vertical_relaxed")

    out["cla_episodes"] = _cla_episodes(typed, result)
    out["cla_reviews"] = _cla_reviews(typed, result)
    out["care_leavers"] = _care_leavers(typed, result)
    workers, allocations = _workforce(typed, result, team)
    out["workers"], out["allocations"] = workers, allocations
    out["missing_episodes"] = _get(typed, "ssd_missing")
    out["voice_of_child"] = _get(typed, "ssd_voice_of_child")

    for name, frame in out.items():
        result.tables[name] = conform(frame, name, location=True)
    present = {SSD[t].maps_to.split(" ")[0] for t in typed}
    for name in list(result.tables):
        if name not in present and result.tables[name].height == 0:
            del result.tables[name]


def _cla_episodes(typed: Mapping[str, pl.DataFrame], result: FormatResult) -> pl.DataFrame:
    episodes = _get(typed, "ssd_cla_episodes")
    spec = SSD["ssd_cla_placement"]
    placements = _first_of_each(_get(typed, "ssd_cla_placement"), spec, result)
    if "ssd_cla_placement" in typed:
        orphans = episodes.filter(
            pl.col("placement_id").is_not_null()
            & ~pl.col("placement_id").is_in(placements["placement_id"].implode())
        )
        key_label = SSD["ssd_cla_episodes"].field("episode_id").label
        for file, row, placement, key in orphans.select(FILE, ROW, "placement_id", "episode_id").head(1000).iter_rows():
            result.problems.append(
                Problem(WARNING, "unknown_reference", f"{placement!r} is not a clap_cla_placement_id in "
                        f"ssd_cla_placement: the placement is not known ({key_label} {key!r})",
                        file=file, row=row, column="clae_cla_placement_id", value=placement,
                        table="cla_episodes")
            )
    joined = episodes.join(
        placements.drop(FILE, SHEET, ROW), on="placement_id", how="left", maintain_order="left"
    )
    legal = (
        _get(typed, "ssd_legal_status")
        .select("child_id", pl.col("start_date").alias("_ls_start"), pl.col("end_date").alias("_ls_end"), "legal_status")
        .drop_nulls(["child_id", "_ls_start"])
        .sort("child_id", "_ls_start")
    )
    with_ls = (
        joined.with_row_index("_order")
        .sort("episode_start")
        .join_asof(legal.sort("_ls_start"), left_on="episode_start", right_on="_ls_start", by="child_id",
                   strategy="backward", check_sortedness=False)
        .sort("_order")
    )
    in_force = pl.col("_ls_end").is_null() | (pl.col("_ls_end") > pl.col("episode_start"))
    return with_ls.with_columns(pl.when(in_force).then(pl.col("legal_status")).alias("legal_status"))


def _periods_of_care(typed: Mapping[str, pl.DataFrame], result: FormatResult) -> pl.DataFrame:
    """Period of care (clae_cla_id) → child, for the tables that name only the period."""
    pairs = _get(typed, "ssd_cla_episodes").drop_nulls(["cla_id", "child_id"]).select("cla_id", "child_id").unique()
    shared = pairs.filter(pl.col("cla_id").is_duplicated())
    if shared.height:
        ids = sorted(set(shared["cla_id"].to_list()))
        result.warn("ambiguous_period_of_care",
                    f"clae_cla_id {', '.join(map(repr, ids[:10]))}{' ...' if len(ids) > 10 else ''} "
                    "belongs to more than one child: records naming it are given to the first",
                    file="ssd_cla_episodes.csv")
    return pairs.sort("cla_id", "child_id").unique("cla_id", keep="first")


def _cla_reviews(typed: Mapping[str, pl.DataFrame], result: FormatResult) -> pl.DataFrame:
    spec = SSD["ssd_cla_reviews"]
    reviews = _get(typed, "ssd_cla_reviews")
    cancelled = reviews.filter(pl.col("cancelled").fill_null(False))
    if cancelled.height:
        result.warn("not_used", f"{cancelled.height:,} cancelled reviews (clar_cla_review_cancelled Y) "
                    "are not reviews held and are not loaded", file=spec.file)
    held = reviews.filter(~pl.col("cancelled").fill_null(False))
    _dropped(result, held.filter(pl.col("review_date").is_null()), spec,
             "clar_cla_review_date is blank (the review has not been held)")
    held = held.filter(pl.col("review_date").is_not_null())
    joined = held.join(_periods_of_care(typed, result), on="cla_id", how="left", maintain_order="left")
    _dropped(result, joined.filter(pl.col("child_id").is_null()), spec,
             "clar_cla_id is not a clae_cla_id in ssd_cla_episodes, so the child is not known",
             code="unknown_reference")
    return joined.filter(pl.col("child_id").is_not_null())


def _care_leavers(typed: Mapping[str, pl.DataFrame], result: FormatResult) -> pl.DataFrame:
    spec = SSD["ssd_care_leavers"]
    leavers = _get(typed, "ssd_care_leavers")
    _dropped(result, leavers.filter(pl.col("contact_date").is_null()), spec,
             "clea_care_leaver_latest_contact is blank (no contact to date the information)")
    leavers = leavers.filter(pl.col("contact_date").is_not_null())
    acc = pl.col("accommodation").str.strip_chars().str.to_uppercase()
    suitable = pl.col("suitable").str.strip_chars().str.to_lowercase()
    yes = (*TRUE_WORDS, "suitable")
    no = (*FALSE_WORDS, "2", "unsuitable", "not suitable")
    mapped = leavers.with_columns(
        pl.when(acc.str.contains(r"^[A-Z][12]?$")).then(acc.str.slice(0, 1)).otherwise(acc).alias("accommodation"),
        pl.when(suitable.is_in(yes)).then(True)
        .when(suitable.is_in(no)).then(False)
        .when(acc.str.contains(r"^[A-Z]1$")).then(True)
        .when(acc.str.contains(r"^[A-Z]2$")).then(False)
        .otherwise(None).alias("accommodation_suitable"),
    )
    unreadable = mapped.filter(suitable.is_not_null() & ~suitable.is_in([*yes, *no]))
    for file, row, value in unreadable.select(FILE, ROW, "suitable").head(1000).iter_rows():
        result.problems.append(
            Problem(WARNING, "unknown_code", f"{value!r} is not a suitability (expected Y/N, 1/2, "
                    "Suitable/Unsuitable): read as not known", file=file, row=row,
                    column="clea_care_leaver_accom_suitable", value=value, table="care_leavers")
        )
    return mapped


def _role_from_title(title: pl.Expr) -> pl.Expr:
    low = title.str.to_lowercase()
    expr: pl.Expr = pl.lit("OTHER")
    for pattern, role in reversed(JOB_TITLE_ROLES):
        expr = pl.when(low.str.contains(pattern)).then(pl.lit(role)).otherwise(expr)
    return expr


def _workforce(
    typed: Mapping[str, pl.DataFrame], result: FormatResult, team_expr: Callable[[], pl.Expr]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    involvements = _get(typed, "ssd_involvements")
    role = pl.col("role").str.strip_chars()
    allocated = role.is_null() | role.str.to_lowercase().str.contains(ALLOCATED_ROLE.pattern)
    others = involvements.filter(~allocated)
    if others.height:
        counts = others.group_by("role").len().sort("len", descending=True)
        listed = ", ".join(f"{r} ({n:,})" for r, n in counts.head(8).iter_rows())
        result.warn("not_used", f"{others.height:,} involvements in other roles are not allocations "
                    f"and are not used: {listed}", file=SSD["ssd_involvements"].file)
    allocations = involvements.filter(allocated).with_columns(
        pl.col("worker").alias("worker_id"), team_expr()
    )
    professionals = _get(typed, "ssd_professionals")
    first_involved = (
        involvements.drop_nulls("worker").group_by("worker").agg(pl.col("start_date").min())
    )
    workers = professionals.join(first_involved, on="worker", how="left").with_columns(
        pl.col("worker").alias("worker_id"),
        team_expr(),
        _role_from_title(pl.col("job_title").fill_null("")).alias("role"),
        pl.when(pl.col("agency")).then(pl.lit("agency"))
        .when(pl.col("agency").not_()).then(pl.lit("permanent"))
        .otherwise(None).alias("employment"),
    )
    return workers, allocations


register_format(
    ExtractFormat(
        FORMAT,
        "Standard Safeguarding Dataset (SSD)",
        detect,
        _read,
        accepts="ssd_<table>.csv files (ssd_person.csv, ssd_cin_episodes.csv, ...) or --from-db URL",
    )
)


# --------------------------------------------------------------------------- writing


def _yn(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr).then(pl.lit("Y")).when(expr.not_()).then(pl.lit("N")).otherwise(None)


def _json(flags: Mapping[str, pl.Expr]) -> pl.Expr:
    """An outcome JSON text with every flag as "Y" or "" (as the SSD writes them)."""
    parts: list[pl.Expr] = [pl.lit("{")]
    for i, (key, expr) in enumerate(flags.items()):
        parts.append(pl.lit(f'{", " if i else ""}"{key}": "'))
        parts.append(pl.when(expr.fill_null(False)).then(pl.lit("Y")).otherwise(pl.lit("")))
        parts.append(pl.lit('"'))
    parts.append(pl.lit("}"))
    return pl.concat_str(parts)


def _periods_of_care_ids(episodes: pl.DataFrame) -> pl.DataFrame:
    """Each episode's period of care: a new one when the episode starts one (RNE S) or
    does not follow on from the last (child_id, episode_start → cla_id)."""
    ordered = episodes.sort("child_id", "episode_start")
    prev_end = pl.col("episode_end").shift(1).over("child_id")
    new = (
        prev_end.is_null()
        | (pl.col("reason_new_episode") == "S")
        | (prev_end != pl.col("episode_start"))
    )
    return ordered.with_columns(
        pl.when(new).then(
            pl.concat_str([pl.col("child_id"), pl.lit("-POC"), pl.col("episode_start").dt.strftime("%Y%m%d")])
        ).forward_fill().over("child_id").alias("cla_id")
    )


def ssd_tables(source: Extract | Mapping[str, pl.LazyFrame | pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """A canonical extract as the SSD tables (only the fields the reader uses)."""
    t = collect_tables(source)
    out: dict[str, pl.DataFrame] = {}
    c = t["children"]
    unborn = pl.col("unborn").fill_null(False)
    out["ssd_person"] = c.select(
        pl.col("child_id").alias("pers_person_id"),
        pl.col("sex").alias("pers_sex"),
        pl.col("ethnicity").alias("pers_ethnicity"),
        pl.when(~unborn).then(pl.col("date_of_birth")).alias("pers_dob"),
        pl.when(unborn).then(pl.col("date_of_birth")).alias("pers_expected_dob"),
        pl.col("date_of_death").alias("pers_death_date"),
    )
    teams = sorted(
        {v for name in ("referrals", "assessments", "section47", "cin_plans", "allocations", "workers")
         for v in t[name]["team"].drop_nulls().unique().to_list()}
    )
    out["ssd_department"] = pl.DataFrame({"dept_team_id": teams, "dept_team_name": teams}, schema={"dept_team_id": pl.String, "dept_team_name": pl.String})
    k = t["contacts"]
    o = pl.col("outcome")
    out["ssd_contacts"] = k.select(
        pl.col("contact_id").alias("cont_contact_id"),
        pl.col("child_id").alias("cont_person_id"),
        pl.col("contact_date").alias("cont_contact_date"),
        pl.col("source").alias("cont_contact_source_code"),
        pl.when(o.is_not_null()).then(_json({
            "NEW_REFERRAL_FLAG": o == "referral", "EXISTING_REFERRAL_FLAG": pl.lit(False),
            "CP_ENQUIRY_FLAG": pl.lit(False), "NFA_FLAG": o == "nfa", "ADVICE_FLAG": o == "advice",
            "EARLY_HELP_FLAG": o == "early_help",
        })).alias("cont_contact_outcome_json"),
    )
    out["ssd_early_help_episodes"] = t["early_help"].select(
        pl.col("episode_id").alias("earl_episode_id"),
        pl.col("child_id").alias("earl_person_id"),
        pl.col("start_date").alias("earl_episode_start_date"),
        pl.col("end_date").alias("earl_episode_end_date"),
        pl.col("end_reason").alias("earl_episode_end_reason"),
        pl.col("organisation").alias("earl_episode_organisation"),
    )
    out["ssd_cin_episodes"] = t["referrals"].select(
        pl.col("referral_id").alias("cine_referral_id"),
        pl.col("child_id").alias("cine_person_id"),
        pl.col("referral_date").alias("cine_referral_date"),
        pl.col("source").alias("cine_referral_source_code"),
        pl.col("primary_need").alias("cine_cin_primary_need_code"),
        _yn(pl.col("nfa")).alias("cine_referral_nfa"),
        pl.when(pl.col("nfa").is_not_null()).then(_json({"NFA_FLAG": pl.col("nfa")})).alias("cine_referral_outcome_json"),
        pl.col("closure_date").alias("cine_close_date"),
        pl.col("closure_reason").alias("cine_close_reason"),
        pl.col("team").alias("cine_referral_team"),
        pl.col("worker_id").alias("cine_referral_worker_id"),
    )
    ao = pl.col("outcome")
    out["ssd_cin_assessments"] = t["assessments"].select(
        pl.col("assessment_id").alias("cina_assessment_id"),
        pl.col("child_id").alias("cina_person_id"),
        pl.col("referral_id").alias("cina_referral_id"),
        pl.col("start_date").alias("cina_assessment_start_date"),
        _yn(pl.col("child_seen")).alias("cina_assessment_child_seen"),
        pl.col("authorised_date").alias("cina_assessment_auth_date"),
        pl.when(ao.is_not_null()).then(_json({
            "NFA_FLAG": ao == "nfa", "STRATEGY_DISCUSSION_FLAG": ao == "s47",
            "PROV_OF_SERVICES_FLAG": ao == "cin_plan", "EARLY_HELP_FLAG": ao == "early_help",
        })).alias("cina_assessment_outcome_json"),
        pl.when(ao.is_not_null()).then(_yn(ao == "nfa")).alias("cina_assessment_outcome_nfa"),
        pl.col("team").alias("cina_assessment_team"),
        pl.col("worker_id").alias("cina_assessment_worker_id"),
    )
    s = t["section47"]
    ir = pl.col("icpc_required")
    out["ssd_s47_enquiry"] = s.select(
        pl.col("s47_id").alias("s47e_s47_enquiry_id"),
        pl.col("referral_id").alias("s47e_referral_id"),
        pl.col("child_id").alias("s47e_person_id"),
        pl.col("start_date").alias("s47e_s47_start_date"),
        pl.col("end_date").alias("s47e_s47_end_date"),
        pl.when(ir.is_not_null()).then(
            pl.concat_str([pl.lit('{"CP_CONFERENCE_FLAG": "'), pl.when(ir).then(pl.lit("Y")).otherwise(pl.lit("N")), pl.lit('"}')])
        ).alias("s47e_s47_outcome_json"),
        pl.col("worker_id").alias("s47e_s47_completed_by_worker_id"),
        pl.col("team").alias("s47e_s47_completed_by_team"),
    )
    out["ssd_initial_cp_conference"] = t["icpcs"].select(
        pl.col("icpc_id").alias("icpc_icpc_id"),
        pl.col("s47_id").alias("icpc_s47_enquiry_id"),
        pl.col("child_id").alias("icpc_person_id"),
        pl.col("conference_date").alias("icpc_icpc_date"),
        _yn(pl.col("plan_made")).alias("icpc_icpc_outcome_cp_flag"),
        pl.when(pl.col("plan_made").is_not_null()).then(_json({"CP_FLAG": pl.col("plan_made")})).alias("icpc_icpc_outcome_json"),
    )
    out["ssd_cp_plans"] = t["cp_plans"].select(
        pl.col("cp_plan_id").alias("cppl_cp_plan_id"),
        pl.col("child_id").alias("cppl_person_id"),
        pl.col("start_date").alias("cppl_cp_plan_start_date"),
        pl.col("end_date").alias("cppl_cp_plan_end_date"),
        pl.col("initial_category").alias("cppl_cp_plan_initial_category"),
        pl.col("latest_category").alias("cppl_cp_plan_latest_category"),
    )
    out["ssd_cp_reviews"] = t["cp_reviews"].select(
        pl.concat_str([pl.col("cp_plan_id"), pl.lit("-R"), pl.col("review_date").dt.strftime("%Y%m%d")]).alias("cppr_cp_review_id"),
        pl.col("child_id").alias("cppr_person_id"),
        pl.col("cp_plan_id").alias("cppr_cp_plan_id"),
        pl.col("review_date").alias("cppr_cp_review_date"),
    )
    out["ssd_cin_plans"] = t["cin_plans"].select(
        pl.col("cin_plan_id").alias("cinp_cin_plan_id"),
        pl.col("child_id").alias("cinp_person_id"),
        pl.col("start_date").alias("cinp_cin_plan_start_date"),
        pl.col("end_date").alias("cinp_cin_plan_end_date"),
        pl.col("team").alias("cinp_cin_plan_team"),
    )
    prefixes = {"ssd_cin_visits": "cinv_cin", "ssd_cp_visits": "cppv_cp", "ssd_cla_visits": "clav_cla"}
    for name, visit_type in VISIT_TABLES.items():
        p = prefixes[name]
        person = p.split("_")[0] + "_person_id"
        out[name] = t["visits"].filter(pl.col("visit_type") == visit_type).select(
            pl.col("visit_id").alias(f"{p}_visit_id"),
            pl.col("child_id").alias(person),
            pl.col("visit_date").alias(f"{p}_visit_date"),
            _yn(pl.col("seen")).alias(f"{p}_visit_seen"),
            _yn(pl.col("seen_alone")).alias(f"{p}_visit_seen_alone"),
        )
    episodes = _periods_of_care_ids(t["cla_episodes"]).with_columns(
        pl.concat_str([pl.col("child_id"), pl.lit("-E"), pl.col("episode_start").dt.strftime("%Y%m%d")]).alias("_episode_id")
    )
    out["ssd_cla_episodes"] = episodes.select(
        pl.col("_episode_id").alias("clae_cla_episode_id"),
        pl.col("child_id").alias("clae_person_id"),
        pl.col("episode_start").alias("clae_cla_episode_start_date"),
        pl.col("reason_new_episode").alias("clae_cla_episode_start_reason"),
        pl.col("category_of_need").alias("clae_cla_primary_need_code"),
        pl.col("episode_end").alias("clae_cla_episode_ceased_date"),
        pl.col("reason_ceased").alias("clae_cla_episode_ceased_reason"),
        pl.col("cla_id").alias("clae_cla_id"),
        pl.col("_episode_id").alias("clae_cla_placement_id"),
    )
    out["ssd_cla_placement"] = episodes.select(
        pl.col("_episode_id").alias("clap_cla_placement_id"),
        pl.col("placement_type").alias("clap_cla_placement_type"),
        pl.col("placement_provider").alias("clap_cla_placement_provider"),
        pl.col("placement_urn").alias("clap_cla_placement_urn"),
        pl.col("reason_place_change").alias("clap_cla_placement_change_reason"),
    )
    out["ssd_legal_status"] = episodes.filter(pl.col("legal_status").is_not_null()).select(
        pl.concat_str([pl.col("_episode_id"), pl.lit("-L")]).alias("lega_legal_status_id"),
        pl.col("child_id").alias("lega_person_id"),
        pl.col("legal_status").alias("lega_legal_status"),
        pl.col("episode_start").alias("lega_legal_status_start_date"),
        pl.col("episode_end").alias("lega_legal_status_end_date"),
    )
    periods = episodes.group_by("cla_id").agg(pl.col("child_id").first(), pl.col("episode_start").min().alias("_from")).sort("_from")
    reviews = (
        t["cla_reviews"].with_row_index("_i").sort("review_date")
        .join_asof(periods, left_on="review_date", right_on="_from", by="child_id", strategy="backward", check_sortedness=False)
        .sort("_i")
    )
    out["ssd_cla_reviews"] = reviews.select(
        pl.concat_str([pl.col("child_id"), pl.lit("-CR"), pl.col("review_date").dt.strftime("%Y%m%d")]).alias("clar_cla_review_id"),
        pl.col("cla_id").alias("clar_cla_id"),
        pl.col("review_date").alias("clar_cla_review_date"),
        pl.lit("N").alias("clar_cla_review_cancelled"),
        pl.col("participation").alias("clar_cla_review_participation"),
    )
    out["ssd_care_leavers"] = t["care_leavers"].select(
        pl.concat_str([pl.col("child_id"), pl.lit("-L"), pl.col("contact_date").dt.strftime("%Y%m%d")]).alias("clea_table_id"),
        pl.col("child_id").alias("clea_person_id"),
        pl.col("contact_date").alias("clea_care_leaver_latest_contact"),
        pl.col("in_touch").alias("clea_care_leaver_in_touch"),
        pl.col("activity").alias("clea_care_leaver_activity"),
        pl.col("accommodation").alias("clea_care_leaver_accommodation"),
        _yn(pl.col("accommodation_suitable")).alias("clea_care_leaver_accom_suitable"),
    )
    workers = t["workers"].sort("worker_id", "start_date", nulls_last=False).unique("worker_id", keep="last", maintain_order=True)
    out["ssd_professionals"] = workers.select(
        pl.col("worker_id").alias("prof_professional_id"),
        pl.col("role").replace_strict(ROLE_JOB_TITLES, default="Other Professional", return_dtype=pl.String).alias("prof_professional_job_title"),
        pl.col("team").alias("prof_professional_department"),
        pl.col("fte").alias("prof_full_time_equivalency"),
        pl.when(pl.col("employment") == "agency").then(pl.lit("Y"))
        .when(pl.col("employment").is_not_null()).then(pl.lit("N")).alias("prof_agency_worker_flag"),
    )
    out["ssd_involvements"] = t["allocations"].with_row_index("_i").select(
        pl.concat_str([pl.lit("I"), pl.col("_i").cast(pl.String)]).alias("invo_involvements_id"),
        pl.col("worker_id").alias("invo_professional_id"),
        pl.lit(ALLOCATED_ROLE_WRITTEN).alias("invo_professional_role_id"),
        pl.col("team").alias("invo_professional_team"),
        pl.col("child_id").alias("invo_person_id"),
        pl.col("start_date").alias("invo_involvement_start_date"),
        pl.col("end_date").alias("invo_involvement_end_date"),
    )
    out["ssd_missing"] = t["missing_episodes"].select(
        pl.col("missing_id").alias("miss_table_id"),
        pl.col("child_id").alias("miss_person_id"),
        pl.col("start_date").alias("miss_missing_episode_start_date"),
        pl.col("episode_type").alias("miss_missing_episode_type"),
        pl.col("end_date").alias("miss_missing_episode_end_date"),
        _yn(pl.col("return_interview_offered")).alias("miss_missing_rhi_offered"),
        _yn(pl.col("return_interview_accepted")).alias("miss_missing_rhi_accepted"),
    )
    out["ssd_voice_of_child"] = t["voice_of_child"].select(
        pl.col("record_id").alias("voch_table_id"),
        pl.col("child_id").alias("voch_person_id"),
        *[_yn(pl.col(f)).alias(f"voch_{f}") for f in ("explained_worries", "story_help_understand", "agree_worker", "plan_safe", "tablet_help_explain")],
    )
    return out


def ssd_csv_files(source: Extract | Mapping[str, pl.LazyFrame | pl.DataFrame], as_at: date | None = None) -> dict[str, bytes]:
    """The SSD tables as CSV files (``ssd_person.csv``, ...), dates as ``YYYY-MM-DD``, and
    ``extract.json`` with the extract date when known."""
    files = {f"{name}.csv": frame.write_csv(date_format="%Y-%m-%d").encode("utf-8") for name, frame in ssd_tables(source).items()}
    when = as_at or (source.as_at if isinstance(source, Extract) else None)
    if when is not None:
        files["extract.json"] = f'{{"as_at": "{when.isoformat()}"}}\n'.encode()
    return files


def write_ssd(source: Extract | Mapping[str, pl.LazyFrame | pl.DataFrame], out_dir: Path, as_at: date | None = None) -> list[Path]:
    """Write the SSD CSV files into a folder."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in sorted(ssd_csv_files(source, as_at).items()):
        path = out_dir / name
        path.write_bytes(data)
        written.append(path)
    return written
