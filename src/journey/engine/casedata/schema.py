"""The canonical child-level schema: one table per kind of record.

Every loader (canonical CSV/XLSX, SSDA903, CIN census, Annex A) maps into these tables
and every measure reads only these. Each column says its type, whether it is required,
its code list, and what it means, so docs/data-format.md, validation and the synthetic
council all come from one place.

Identifiers are strings (councils' IDs arrive as "123.0", " ab12 " and so on; loaders
normalise them). Dates are ``pl.Date``; flags are ``pl.Boolean``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from journey.engine.casedata import codes


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    description: str
    required: bool = False
    codes: dict[str, str] | None = None
    #: A date on which something happened to the child: must not be before birth or in the future.
    event_date: bool = False
    #: ``table.column`` this column refers to (checked as a reference).
    references: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    #: Columns that identify a row; duplicates are reported.
    key: tuple[str, ...]
    #: (start column, end column) pairs: the end must not be before the start.
    date_order: tuple[tuple[str, str], ...] = ()
    #: Source formats this table is usually filled from, for the documentation.
    sources: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def polars_schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.dtype for c in self.columns})

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema)


STR = pl.String()
DATE = pl.Date()
BOOL = pl.Boolean()
INT = pl.Int64()
FLOAT = pl.Float64()


def _child(description: str = "The child's identifier in the case management system.") -> Column:
    return Column("child_id", STR, description, required=True, references="children.child_id")


def _worker(required: bool = False) -> Column:
    return Column(
        "worker_id",
        STR,
        "The worker's identifier (pseudonymous staff number).",
        required=required,
        references="workers.worker_id",
    )


_TEAM = Column("team", STR, "The team responsible, as named locally (e.g. 'Assessment East').")

TABLES: tuple[Table, ...] = (
    Table(
        "children",
        "Children",
        "One row per child known to children's social care in the extract.",
        (
            Column("child_id", STR, "The child's identifier in the case management system.", required=True),
            Column("sex", STR, "Sex as recorded.", codes=codes.SEX),
            Column("date_of_birth", DATE, "Date of birth (or expected date for an unborn child)."),
            Column("unborn", BOOL, "True when the child is not yet born and date_of_birth is the expected date."),
            Column("ethnicity", STR, "Ethnicity (DfE codes).", codes=codes.ETHNICITY),
            Column("upn", STR, "Unique pupil number, where known."),
            Column("disability", BOOL, "True when the child has a recorded disability."),
            Column("uasc", BOOL, "True when the child is or was an unaccompanied asylum-seeking child."),
            Column("date_of_death", DATE, "Date of death, where the child has died.", event_date=True),
        ),
        key=("child_id",),
        sources="SSDA903 Header, CIN census child, Annex A list columns",
    ),
    Table(
        "contacts",
        "Contacts",
        "Each contact about a child received by the front door (MASH), and what it led to.",
        (
            Column("contact_id", STR, "Identifier of the contact.", required=True),
            _child(),
            Column("contact_date", DATE, "Date the contact was received.", required=True, event_date=True),
            Column("source", STR, "Who made the contact (CIN census referral source codes).", codes=codes.REFERRAL_SOURCE),
            Column("decision_date", DATE, "Date the front door decided what to do with the contact.", event_date=True),
            Column("outcome", STR, "What the contact led to.", codes=codes.CONTACT_OUTCOME),
        ),
        key=("contact_id",),
        date_order=(("contact_date", "decision_date"),),
        sources="Annex A list 1",
    ),
    Table(
        "early_help",
        "Early help episodes",
        "Each early help episode (assessment and support below the statutory threshold).",
        (
            Column("episode_id", STR, "Identifier of the early help episode.", required=True),
            _child(),
            Column("start_date", DATE, "Date the early help assessment started.", required=True, event_date=True),
            Column("assessment_completed_date", DATE, "Date the early help assessment was completed.", event_date=True),
            Column("end_date", DATE, "Date the episode closed.", event_date=True),
            Column("organisation", STR, "Organisation leading the early help."),
            _TEAM,
            Column("end_reason", STR, "Why the episode closed, as recorded locally (e.g. 'Outcomes achieved', 'Stepped up to social care')."),
        ),
        key=("episode_id",),
        date_order=(("start_date", "end_date"), ("start_date", "assessment_completed_date")),
        sources="Annex A list 2, SSD ssd_early_help_episodes",
    ),
    Table(
        "referrals",
        "Referrals",
        "Each referral to children's social care (the start of a CIN episode).",
        (
            Column("referral_id", STR, "Identifier of the referral.", required=True),
            _child(),
            Column("referral_date", DATE, "Date of the referral (CINreferralDate).", required=True, event_date=True),
            Column("source", STR, "Referral source.", codes=codes.REFERRAL_SOURCE),
            Column("nfa", BOOL, "True when the referral led to no further action (ReferralNFA)."),
            Column("primary_need", STR, "Primary need code.", codes=codes.PRIMARY_NEED),
            Column("closure_date", DATE, "Date the CIN episode closed (CINclosureDate).", event_date=True),
            Column("closure_reason", STR, "Reason for closure.", codes=codes.CIN_CLOSURE_REASON),
            _TEAM,
            _worker(),
        ),
        key=("referral_id",),
        date_order=(("referral_date", "closure_date"),),
        sources="CIN census CINdetails, Annex A list 3",
    ),
    Table(
        "assessments",
        "Assessments",
        "Each child and family (single) assessment.",
        (
            Column("assessment_id", STR, "Identifier of the assessment.", required=True),
            _child(),
            Column("referral_id", STR, "The referral the assessment follows.", references="referrals.referral_id"),
            Column("start_date", DATE, "Date the assessment started (AssessmentActualStartDate).", required=True, event_date=True),
            Column("authorised_date", DATE, "Date the assessment was completed and authorised (AssessmentAuthorisationDate).", event_date=True),
            Column("child_seen", BOOL, "True when the child was seen during the assessment."),
            Column("outcome", STR, "What the assessment concluded (e.g. 'cin_plan', 'nfa', 'early_help', 's47')."),
            _TEAM,
            _worker(),
        ),
        key=("assessment_id",),
        date_order=(("start_date", "authorised_date"),),
        sources="CIN census Assessments, Annex A list 4",
    ),
    Table(
        "section47",
        "Strategy discussions and section 47 enquiries",
        "Each section 47 enquiry with the strategy discussion that started it.",
        (
            Column("s47_id", STR, "Identifier of the enquiry.", required=True),
            _child(),
            Column("referral_id", STR, "The referral (CIN episode) the enquiry belongs to.", references="referrals.referral_id"),
            Column("strategy_discussion_date", DATE, "Date of the strategy discussion that initiated the enquiry.", event_date=True),
            Column("start_date", DATE, "Date the section 47 enquiry started (S47ActualStartDate).", required=True, event_date=True),
            Column("end_date", DATE, "Date the enquiry concluded.", event_date=True),
            Column("icpc_required", BOOL, "False when an initial conference was deemed unnecessary (ICPCnotRequired)."),
            _TEAM,
            _worker(),
        ),
        key=("s47_id",),
        date_order=(("strategy_discussion_date", "start_date"), ("start_date", "end_date")),
        sources="CIN census Section47, Annex A list 5",
    ),
    Table(
        "icpcs",
        "Initial child protection conferences",
        "Each initial child protection conference.",
        (
            Column("icpc_id", STR, "Identifier of the conference.", required=True),
            _child(),
            Column("s47_id", STR, "The section 47 enquiry that led to the conference.", references="section47.s47_id"),
            Column("conference_date", DATE, "Date of the initial conference (DateOfInitialCPC).", required=True, event_date=True),
            Column("plan_made", BOOL, "True when the conference resulted in a child protection plan."),
        ),
        key=("icpc_id",),
        sources="CIN census Section47/ChildProtectionPlans, Annex A list 5",
    ),
    Table(
        "cp_plans",
        "Child protection plans",
        "Each child protection plan.",
        (
            Column("cp_plan_id", STR, "Identifier of the plan.", required=True),
            _child(),
            Column("start_date", DATE, "Date the plan started (CPPstartDate).", required=True, event_date=True),
            Column("end_date", DATE, "Date the plan ended (CPPendDate).", event_date=True),
            Column("initial_category", STR, "Initial category of abuse.", codes=codes.CP_CATEGORY),
            Column("latest_category", STR, "Latest category of abuse.", codes=codes.CP_CATEGORY),
            Column("previous_plans", INT, "Number of previous child protection plans the child had (NumberOfPreviousCPP), where the system records it."),
            _TEAM,
        ),
        key=("cp_plan_id",),
        date_order=(("start_date", "end_date"),),
        sources="CIN census ChildProtectionPlans, Annex A list 7",
    ),
    Table(
        "cp_reviews",
        "Child protection review conferences",
        "Each review conference of a child protection plan.",
        (
            _child(),
            Column("cp_plan_id", STR, "The plan reviewed.", required=True, references="cp_plans.cp_plan_id"),
            Column("review_date", DATE, "Date of the review conference (CPPreviewDate).", required=True, event_date=True),
        ),
        key=("cp_plan_id", "review_date"),
        sources="CIN census Reviews, Annex A list 7",
    ),
    Table(
        "cin_plans",
        "Child in need plans",
        "Each child in need plan.",
        (
            Column("cin_plan_id", STR, "Identifier of the plan.", required=True),
            _child(),
            Column("start_date", DATE, "Date the plan started (CINPlanStartDate).", required=True, event_date=True),
            Column("end_date", DATE, "Date the plan ended (CINPlanEndDate).", event_date=True),
            _TEAM,
        ),
        key=("cin_plan_id",),
        date_order=(("start_date", "end_date"),),
        sources="CIN census CINPlanDates, Annex A list 6",
    ),
    Table(
        "visits",
        "Statutory visits",
        "Each statutory visit to a child in need, on a child protection plan, or looked after.",
        (
            Column("visit_id", STR, "Identifier of the visit.", required=True),
            _child(),
            Column("visit_date", DATE, "Date of the visit.", required=True, event_date=True),
            Column("visit_type", STR, "Which statutory duty the visit met.", required=True, codes=codes.VISIT_TYPE),
            Column("seen", BOOL, "True when the child was seen (a visit where the child was not seen does not count as a statutory visit)."),
            Column("seen_alone", BOOL, "True when the child was seen alone."),
            _worker(),
        ),
        key=("visit_id",),
        sources="Annex A lists 6–8 (date last seen), case management system visit records",
    ),
    Table(
        "cla_episodes",
        "Looked-after episodes",
        "Each SSDA903 episode: a period with the same placement and legal status.",
        (
            _child(),
            Column("episode_start", DATE, "Date the episode started (DECOM).", required=True, event_date=True),
            Column("reason_new_episode", STR, "Reason for new episode (RNE).", codes=codes.REASON_NEW_EPISODE),
            Column("legal_status", STR, "Legal status (LS); V3/V4 are short breaks.", codes=codes.LEGAL_STATUS),
            Column("category_of_need", STR, "Category of need (CIN).", codes=codes.CATEGORY_OF_NEED),
            Column("placement_type", STR, "Placement type (PLACE).", codes=codes.PLACEMENT_TYPE),
            Column("placement_provider", STR, "Placement provider (PLACE_PROVIDER).", codes=codes.PLACEMENT_PROVIDER),
            Column("episode_end", DATE, "Date the episode ended (DEC).", event_date=True),
            Column("reason_ceased", STR, "Reason the episode ceased (REC); X1 = a new episode starts the same day.", codes=codes.REASON_CEASED),
            Column("reason_place_change", STR, "Reason for the placement change (REASON_PLACE_CHANGE)."),
            Column("placement_urn", STR, "Ofsted unique reference number of the placement (URN)."),
            Column("carer_id", STR, "Identifier of the carer or home, where recorded (for 'same carer' stability)."),
            _TEAM,
        ),
        key=("child_id", "episode_start"),
        date_order=(("episode_start", "episode_end"),),
        sources="SSDA903 Episodes, Annex A list 8",
    ),
    Table(
        "cla_reviews",
        "Looked-after reviews",
        "Each statutory review of a looked-after child's care plan.",
        (
            _child(),
            Column("review_date", DATE, "Date of the review (REVIEW).", required=True, event_date=True),
            Column("participation", STR, "How the child took part (REVIEW_CODE).", codes=codes.REVIEW_PARTICIPATION),
        ),
        key=("child_id", "review_date"),
        sources="SSDA903 Reviews, Annex A list 8",
    ),
    Table(
        "care_leavers",
        "Care leavers",
        "Each recorded contact with a care leaver (SSDA903 OC3 is one per year, around the birthday).",
        (
            _child(),
            Column("contact_date", DATE, "Date of the contact the information comes from.", required=True, event_date=True),
            Column("in_touch", STR, "Whether the council is in touch (IN_TOUCH).", codes=codes.CARE_LEAVER_IN_TOUCH),
            Column("activity", STR, "Main activity (ACTIV).", codes=codes.CARE_LEAVER_ACTIVITY),
            Column("accommodation", STR, "Accommodation type (ACCOM letter).", codes=codes.CARE_LEAVER_ACCOMMODATION),
            Column("accommodation_suitable", BOOL, "True when the accommodation is suitable (ACCOM digit 1)."),
        ),
        key=("child_id", "contact_date"),
        sources="SSDA903 OC3, Annex A list 9",
    ),
    Table(
        "missing_episodes",
        "Missing and away from placement episodes",
        "Each episode of a child missing (whereabouts not known) or away from placement without authorisation, and the return interview offered afterwards.",
        (
            Column("missing_id", STR, "Identifier of the episode.", required=True),
            _child(),
            Column("start_date", DATE, "Date the child went missing or away (MIS_START).", required=True, event_date=True),
            Column("end_date", DATE, "Date the child was found or returned (MIS_END); blank while still missing.", event_date=True),
            Column("episode_type", STR, "Missing (M) or away from placement without authorisation (A).", codes=codes.MISSING_TYPE),
            Column("return_interview_offered", BOOL, "True when a return home interview was offered after the episode."),
            Column("return_interview_accepted", BOOL, "True when the child accepted the return home interview offered."),
        ),
        key=("missing_id",),
        date_order=(("start_date", "end_date"),),
        sources="SSD ssd_missing (SSDA903 Missing)",
    ),
    Table(
        "voice_of_child",
        "Voice of the child",
        "Each time a child answered the council's questions about their worker and plan (for example through an app such as Mind of My Own).",
        (
            Column("record_id", STR, "Identifier of the answers.", required=True),
            _child(),
            Column("recorded_date", DATE, "Date the child gave the answers (blank: not recorded, taken as the extract date).", event_date=True),
            Column("explained_worries", BOOL, "True when the child says their worker explained the worries about them."),
            Column("story_help_understand", BOOL, "True when the child says their story helped them understand."),
            Column("agree_worker", BOOL, "True when the child says they agree with their worker."),
            Column("plan_safe", BOOL, "True when the child says their plan helps keep them safe."),
            Column("tablet_help_explain", BOOL, "True when the child says using a tablet helped them explain."),
        ),
        key=("record_id",),
        sources="SSD ssd_voice_of_child",
    ),
    Table(
        "workers",
        "Workers",
        "Each member of the social work workforce (one row per worker per post).",
        (
            Column("worker_id", STR, "Identifier of the worker.", required=True),
            _TEAM,
            Column("service", STR, "The service the team belongs to.", codes=codes.ALLOCATION_SERVICE),
            Column("role", STR, "Role.", required=True, codes=codes.WORKER_ROLE),
            Column("employment", STR, "Permanent, agency or fixed-term (blank: not recorded; left out of the agency and permanent percentages).", codes=codes.EMPLOYMENT),
            Column("fte", FLOAT, "Full-time equivalent (1.0 = full time; blank: not recorded, left out of caseloads per FTE)."),
            Column("start_date", DATE, "Date the worker started in the post (blank: in post before the extract's first date)."),
            Column("end_date", DATE, "Date the worker left the post."),
        ),
        key=("worker_id", "start_date"),
        date_order=(("start_date", "end_date"),),
        sources="HR and case management system; SSD ssd_professionals",
    ),
    Table(
        "allocations",
        "Case allocations",
        "Each period a child's case was allocated to a worker (no open allocation = unallocated).",
        (
            _child(),
            _worker(),
            _TEAM,
            Column("start_date", DATE, "Date the allocation started.", required=True, event_date=True),
            Column("end_date", DATE, "Date the allocation ended.", event_date=True),
        ),
        key=("child_id", "worker_id", "start_date"),
        date_order=(("start_date", "end_date"),),
        sources="Case management system; Annex A 'Allocated Worker'; SSD ssd_involvements",
    ),
    Table(
        "supervisions",
        "Supervisions",
        "Each recorded case supervision of a worker.",
        (
            Column("worker_id", STR, "The worker supervised.", required=True, references="workers.worker_id"),
            Column("supervision_date", DATE, "Date of the supervision.", required=True),
            _TEAM,
        ),
        key=("worker_id", "supervision_date"),
        sources="Case management system or supervision log",
    ),
    Table(
        "audits",
        "Case-file audits",
        "Each completed case-file audit and its grade.",
        (
            Column("audit_id", STR, "Identifier of the audit.", required=True),
            _child(),
            Column("audit_date", DATE, "Date the audit was completed.", required=True),
            _TEAM,
            _worker(),
            Column("grade", STR, "Overall grade.", required=True, codes=codes.AUDIT_GRADE),
        ),
        key=("audit_id",),
        sources="Quality assurance audit tool",
    ),
    Table(
        "population",
        "Population",
        "Children aged 0-17 living in the area, by year (ONS mid-year estimate): the denominator of every rate per 10,000.",
        (
            Column("year", INT, "The year of the mid-year estimate (applies to the financial year starting that April).", required=True),
            Column("population_0_17", INT, "Children aged 0 to 17.", required=True),
        ),
        key=("year",),
        sources="ONS mid-year estimates",
    ),
)

SCHEMA: dict[str, Table] = {table.name: table for table in TABLES}


def table(name: str) -> Table:
    try:
        return SCHEMA[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; the canonical tables are {', '.join(SCHEMA)}") from None


#: Every table in a loaded extract carries this Boolean column beside its schema's columns:
#: True on rows that validation flagged with a warning. Measures count the flagged rows they
#: used, so every figure says how much imperfect data stands behind it.
FLAG_COLUMN = "_flagged"

CaseData = dict[str, pl.LazyFrame]
"""A whole extract in canonical form: table name → lazy frame with that table's schema
plus ``FLAG_COLUMN``. Every table is present (empty when the extract had none)."""


def empty_case_data() -> CaseData:
    return {
        name: t.empty().with_columns(pl.lit(False).alias(FLAG_COLUMN)).lazy()
        for name, t in SCHEMA.items()
    }


@dataclass
class Extract:
    """Canonical tables plus what is known about where they came from."""

    tables: CaseData
    #: The date the extract was taken ("data as at"): the last day figures can describe.
    as_at: date | None = None
    #: SHA-256 of the stored source file(s), for tracing every figure back.
    snapshot: str | None = None
    #: The council the extract says it is from (its LA code), when it says.
    la_code: str | None = None
    #: The tables the extract gave (``None`` when not known: every table counts as given).
    #: A table it did not give is empty in ``tables``, but a measure that needs it is not
    #: computed rather than counted as zero.
    present: frozenset[str] | None = None

    def has_table(self, name: str) -> bool:
        return self.present is None or name in self.present
