from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest
from openpyxl import Workbook, load_workbook

from journey.engine.casedata.formats.annex_a import (
    list_number,
    read_annex_a,
    strip_prefix,
    write_annex_a,
)
from journey.engine.casedata.schema import Extract

from .conftest import AS_AT, canonical

D = date


def messy_workbook(path):
    """A council's Annex A as they really arrive: title rows, odd headers, prefixed values."""
    book = Workbook()
    book.active.title = "Cover"
    book["Cover"].append(["Annex A for inspection"])

    l1 = book.create_sheet("list1 contacts")
    l1.append(["Annex A - List 1: Contacts in the last 6 months"])
    l1.append([])
    l1.append(["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)",
               "Date of\u00a0Contact ", "Contact Source (see notes)"])  # fmt: skip
    l1.append(
        [123.0, "b) Female", "a) WBRI", datetime(2015, 1, 2), 9, "02/03/2024", "q) 6: Police"]
    )
    l1.append(["Notes: data as at 31/03/2024"])

    l3 = book.create_sheet("List 3 - Referrals")
    l3.append(["CHILD UNIQUE ID", "gender", "ethnicity", "DOB", "Age", "Referral date",
               "Referral Source", "Referral NFA?", "Number of Referrals in Last 12 Months",
               "Allocated Team", "Allocated Worker"])  # fmt: skip
    l3.append([" ab12 ", "Male", "White British", "12/05/2012", 11, "05/03/2024", "Police", "No", 1,
               "Team A", "1234.0"])  # fmt: skip

    l7 = book.create_sheet("List 7 - CP")
    l7.append(["Child Unique ID", "Gender", "Initial Category of Abuse"])
    l7.append(["X1", "Male", "Neglect"])

    l8 = book.create_sheet("L8 Children in care")
    l8.append(["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)",
               "UASC (Y/N)", "Does the Child have a Disability", "Date Started to be Looked After",
               "Child's Category of Need", "Start date of current legal status", "Child's Legal Status",
               "Date of Latest Statutory Review", "Date of Last Social Work Visit",
               "Start Date of Most Recent Placement", "Placement Type", "Placement Provider",
               "URN of Placement", "Allocated Team", "Date Ceased to be Looked After",
               "Reason Ceased to be Looked After"])  # fmt: skip
    l8.append(["C9", "a) Male", "j) AIND", datetime(2012, 7, 1), 11, "b) No", "Perhaps",
               datetime(2023, 1, 10), "N1 - Abuse or neglect", datetime(2023, 1, 10), "Full care order",
               datetime(2024, 1, 5), datetime(2024, 3, 1), datetime(2023, 9, 1),
               "d) U4: Foster placement - long term", "b) PR1: Own provision", "SC000001", "CiC 1"])  # fmt: skip

    l9 = book.create_sheet("List 9 - Care leavers")
    l9.append(["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)",
               "UASC", "Does the Child have a Disability", "LA in Touch", "Latest Date of Contact",
               "Type of Accommodation", "Suitability of Accommodation", "Activity Status"])  # fmt: skip
    l9.append(["L5", "Female", "BAFR", datetime(2004, 2, 1), 20, "Y", "c) Unknown", "a) Yes", None,
               "D: Semi-independent, transitional accommodation", "b) Unsuitable",
               "G5: Not in education, employment or training - other"])  # fmt: skip
    book.save(path)
    return path


@pytest.fixture
def messy(tmp_path):
    return read_annex_a(messy_workbook(tmp_path / "annex_a.xlsx"), as_at=D(2024, 3, 31))


def test_contacts_are_read_below_a_title_row_with_prefixes_removed(messy):
    assert messy.tables["contacts"].select(
        "contact_id", "child_id", "contact_date", "source", "_sheet", "_row"
    ).rows() == [("123-C20240302", "123", D(2024, 3, 2), "6", "list1 contacts", 4)]


def test_referrals_take_codes_from_wording_and_keep_team_and_worker(messy):
    assert messy.tables["referrals"].select(
        "referral_id", "child_id", "referral_date", "source", "nfa", "team", "worker_id"
    ).rows() == [("AB12-R20240305", "AB12", D(2024, 3, 5), "6", False, "Team A", "1234")]


def test_children_combine_every_list_with_codes_from_prefixes_and_descriptions(messy):
    children = messy.tables["children"].sort("child_id")
    assert children.select(
        "child_id", "sex", "ethnicity", "date_of_birth", "disability", "uasc"
    ).rows() == [
        ("123", "F", "WBRI", D(2015, 1, 2), None, None),
        ("AB12", "M", "WBRI", D(2012, 5, 12), None, None),
        ("C9", "M", "AIND", D(2012, 7, 1), None, False),
        ("L5", "F", "BAFR", D(2004, 2, 1), None, True),
    ]


def test_a_child_in_care_gets_an_opening_row_and_the_current_placement(messy):
    episodes = messy.tables["cla_episodes"]
    assert episodes.select(
        "child_id", "episode_start", "reason_new_episode", "legal_status", "category_of_need",
        "placement_type", "placement_provider", "episode_end", "reason_ceased", "placement_urn", "team",
    ).rows() == [
        ("C9", D(2023, 1, 10), "S", "C2", "N1", None, None, D(2023, 9, 1), "X1", None, "CiC 1"),
        ("C9", D(2023, 9, 1), "P", "C2", "N1", "U4", "PR1", None, None, "SC000001", "CiC 1"),
    ]  # fmt: skip
    assert messy.tables["cla_reviews"].select("child_id", "review_date").rows() == [
        ("C9", D(2024, 1, 5))
    ]
    assert messy.tables["visits"].select("visit_id", "visit_type", "visit_date", "seen").rows() == [
        ("C9-VCLA20240301", "CLA", D(2024, 3, 1), True)
    ]


def test_a_care_leaver_without_a_contact_date_is_dated_on_the_extract_date(messy):
    assert messy.tables["care_leavers"].select(
        "child_id",
        "contact_date",
        "in_touch",
        "accommodation",
        "accommodation_suitable",
        "activity",
    ).rows() == [("L5", D(2024, 3, 31), "YES", "D", False, "G5")]


def test_problems_name_the_sheet_the_headers_found_and_the_bad_value(messy):
    assert [(p.severity, p.code, str(p)) for p in messy.problems if p.code != "sheet_ignored"] == [
        (
            "error",
            "missing_column",
            "annex_a.xlsx sheet 'List 7 - CP' row 1, column Child Protection Plan Start Date: "
            "List 7 - Child Protection: no column matches 'Child Protection Plan Start Date' "
            "(headers found: Child Unique ID, Gender, Initial Category of Abuse)",
        ),
        (
            "error",
            "unreadable_value",
            "annex_a.xlsx sheet 'L8 Children in care' row 2, column Does the Child have a "
            "Disability: 'Perhaps' is not yes or no",
        ),
        (
            "warning",
            "list_missing",
            "annex_a.xlsx: no sheet for List 2 - Early Help was found (sheets: Cover, list1 "
            "contacts, List 3 - Referrals, List 7 - CP, L8 Children in care, List 9 - Care "
            "leavers); its tables are empty",
        ),
        (
            "warning",
            "list_missing",
            "annex_a.xlsx: no sheet for List 4 - Assessments was found (sheets: Cover, list1 "
            "contacts, List 3 - Referrals, List 7 - CP, L8 Children in care, List 9 - Care "
            "leavers); its tables are empty",
        ),
        (
            "warning",
            "list_missing",
            "annex_a.xlsx: no sheet for List 5 - Section 47 was found (sheets: Cover, list1 "
            "contacts, List 3 - Referrals, List 7 - CP, L8 Children in care, List 9 - Care "
            "leavers); its tables are empty",
        ),
        (
            "warning",
            "list_missing",
            "annex_a.xlsx: no sheet for List 6 - Children in Need was found (sheets: Cover, list1 "
            "contacts, List 3 - Referrals, List 7 - CP, L8 Children in care, List 9 - Care "
            "leavers); its tables are empty",
        ),
    ]
    assert [str(p) for p in messy.problems if p.code == "sheet_ignored"] == [
        "annex_a.xlsx sheet 'Cover': the sheet's name has no list number (e.g. 'List 3'), so it "
        "was ignored"
    ]


@pytest.mark.parametrize(
    ("name", "number"),
    [("List 1 - Contacts", 1), ("list1 contacts", 1), ("L8 Children in care", 8), ("LIST 03", 3),
     ("List 11 - Adopters", 11), ("Cover", None), ("List 12", None)],
)  # fmt: skip
def test_sheets_are_matched_to_lists_by_the_number_in_their_name(name, number):
    assert list_number(name) == number


@pytest.mark.parametrize(
    ("value", "stripped"),
    [("a) WBRI", "WBRI"), ("p1) 5D: LA services", "5D: LA services"), ("N1 - Abuse", "N1 - Abuse"),
     ("b)\u00a0Female", "Female")],
)  # fmt: skip
def test_published_option_letters_are_stripped(value, stripped):
    assert strip_prefix(value) == stripped


CARRIED = {
    "children": ["child_id", "sex", "date_of_birth", "ethnicity", "disability", "uasc"],
    "contacts": ["contact_id", "child_id", "contact_date", "source"],
    "early_help": ["episode_id", "child_id", "start_date", "assessment_completed_date", "organisation"],
    "referrals": ["referral_id", "child_id", "referral_date", "source", "nfa", "primary_need", "closure_date", "team", "worker_id"],
    "assessments": ["assessment_id", "child_id", "referral_id", "start_date", "authorised_date", "child_seen", "outcome", "team", "worker_id"],
    "section47": ["s47_id", "child_id", "referral_id", "strategy_discussion_date", "start_date", "icpc_required", "team", "worker_id"],
    "icpcs": ["icpc_id", "child_id", "s47_id", "conference_date", "plan_made"],
    "cp_plans": ["cp_plan_id", "child_id", "start_date", "end_date", "initial_category", "latest_category", "previous_plans", "team"],
    "visits": ["visit_id", "child_id", "visit_date", "visit_type", "seen", "seen_alone"],
    "care_leavers": ["child_id", "contact_date", "in_touch", "activity", "accommodation", "accommodation_suitable"],
}  # fmt: skip


def test_canonical_tables_survive_a_round_trip_through_annex_a(council, tmp_path):
    out = write_annex_a(
        Extract({k: v.lazy() for k, v in council.items()}, as_at=AS_AT), tmp_path / "a.xlsx"
    )
    result = read_annex_a(out, as_at=AS_AT)
    assert [p.code for p in result.problems] == ["not_used", "not_used"]
    for table, columns in CARRIED.items():
        assert canonical(result.tables[table], table, columns).equals(
            canonical(council[table], table, columns)
        ), table


def test_a_round_trip_keeps_only_the_latest_review_and_the_current_placement(council, tmp_path):
    out = write_annex_a(council, tmp_path / "a.xlsx", AS_AT)
    tables = read_annex_a(out, as_at=AS_AT).tables
    assert tables["cp_reviews"].select("cp_plan_id", "review_date").rows() == [
        ("C2-P20230623", D(2024, 1, 15))
    ]
    assert tables["cla_reviews"].select("child_id", "review_date").rows() == [("C1", D(2024, 1, 5))]
    # The first placement's type and provider are not in Annex A.
    assert tables["cla_episodes"].select(
        "episode_start", "reason_new_episode", "placement_type", "episode_end", "reason_ceased"
    ).rows() == [
        (D(2022, 6, 1), "S", None, D(2023, 5, 10), "X1"),
        (D(2023, 5, 10), "P", "U4", None, None),
    ]
    # A CIN plan is dated from the start of the CIN episode: Annex A has no plan start date.
    assert tables["cin_plans"].select("cin_plan_id", "start_date").rows() == [
        ("C2-N20230602", D(2023, 6, 2))
    ]


def test_the_writer_uses_the_published_sheet_names_headers_and_option_values(council, tmp_path):
    out = write_annex_a(council, tmp_path / "a.xlsx", AS_AT)
    book = load_workbook(out)
    assert book.sheetnames == [
        "List 1 - Contacts", "List 2 - Early Help", "List 3 - Referrals", "List 4 - Assessments",
        "List 5 - Section 47", "List 6 - Children in Need", "List 7 - Child Protection",
        "List 8 - Children in Care", "List 9 - Care Leavers", "List 10 - Adoption", "List 11 - Adopters",
    ]  # fmt: skip
    rows = list(book["List 1 - Contacts"].values)
    assert rows[0] == ("Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)",
                       "Date of Contact", "Contact Source")  # fmt: skip
    assert rows[1] == (
        "C2",
        "b) Female",
        "o) BAFR",
        datetime(2015, 11, 20),
        8,
        datetime(2023, 6, 1),
        "2A: Schools",
    )


def test_text_that_a_spreadsheet_would_run_is_written_as_text(council, tmp_path):
    council["referrals"] = council["referrals"].with_columns(
        pl.lit('=HYPERLINK("x")').alias("team")
    )
    out = write_annex_a(council, tmp_path / "a.xlsx", AS_AT)
    cell = load_workbook(out)["List 3 - Referrals"]["J2"]
    assert (cell.value, cell.data_type) == ('\'=HYPERLINK("x")', "s")
    result = read_annex_a(out, as_at=AS_AT)
    assert result.tables["referrals"]["team"].to_list() == ['=HYPERLINK("x")']


def test_the_loader_detects_an_annex_a_workbook(council, tmp_path):
    from journey.engine.casedata.load import read_path

    out = write_annex_a(council, tmp_path / "annex.xlsx", AS_AT)
    extract, report = read_path(out, as_at=AS_AT)
    assert (report.format, report.ok) == ("annex_a", True)
    assert extract.tables["cp_plans"].collect().height == 1


def test_a_list_without_a_child_id_header_and_a_repeated_list_are_reported(tmp_path):
    book = Workbook()
    book.active.title = "List 1 - Contacts"
    book.active.append(
        [
            "Child Unique ID",
            "Gender",
            "Ethnicity",
            "Date of Birth",
            "Date of Contact",
            "Contact Source",
        ]
    )
    book.active.append(["A", "Male", "WBRI", "01/01/2010", "01/02/2024", "Police"])
    book.create_sheet("List 1 (copy)").append(["Child Unique ID", "Date of Contact"])
    referrals = book.create_sheet("List 3 - Referrals")
    referrals.append(["Reference", "Date of referral"])
    referrals.append(["A", "01/02/2024"])
    book.save(tmp_path / "a.xlsx")
    result = read_annex_a(tmp_path / "a.xlsx", as_at=AS_AT)
    found = [
        (p.severity, p.code, p.sheet, p.message)
        for p in result.problems
        if p.code != "list_missing"
    ]
    assert found == [
        (
            "warning",
            "duplicate_list",
            "List 1 (copy)",
            "a second sheet for List 1 was ignored (the first was 'List 1 - Contacts')",
        ),
        (
            "error",
            "missing_column",
            "List 3 - Referrals",
            "List 3 - Referrals: no header row with a 'Child Unique ID' column in the first 20 rows "
            "(first row found: Reference, Date of referral)",
        ),
    ]
    assert result.tables["contacts"].select("child_id", "source").rows() == [("A", "6")]


@pytest.mark.parametrize(
    "header",
    ["Date of referral", "DATE OF REFERRAL (dd/mm/yyyy)", "Referral\u00a0date", "date_of_referral",
     "Referral Date:", "  Date of  Referral  "],
)  # fmt: skip
def test_council_variations_of_a_header_match_the_same_column(header):
    from journey.engine.casedata.formats.annex_a import LISTS, _match_columns

    headers = ["Child Unique ID", "Gender", header, "Referral Source"]
    assert _match_columns(LISTS[3], headers) == {"child_id": 0, "gender": 1, "date": 2, "source": 3}
