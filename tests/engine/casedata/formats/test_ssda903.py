from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from journey.engine.casedata.formats.ssda903 import (
    collection_year_from_name,
    identify_table,
    read_ssda903,
    read_ssda903_files,
    write_ssda903,
)
from journey.engine.casedata.schema import Extract

from .conftest import AS_AT, canonical

MESSY = Path(__file__).parents[2] / "fixtures" / "formats" / "ssda903_messy"
D = date


def test_a_messy_multi_year_set_is_mapped_to_canonical_children():
    result = read_ssda903(MESSY)
    children = result.tables["children"]
    assert children.select(
        "child_id", "sex", "date_of_birth", "ethnicity", "upn", "uasc"
    ).rows() == [
        ("101", "M", D(2008, 6, 15), "WBRI", "A123456789012", False),
        ("AB12", "F", D(2006, 1, 10), "BAFR", None, True),
        ("C3", "F", D(2000, 2, 29), "WBRI", None, False),
    ]
    assert children.select("_file", "_row").row(1) == ("header_1920.csv", 3)


def test_episodes_seen_in_two_years_are_deduplicated_with_the_later_year_winning():
    episodes = read_ssda903(MESSY).tables["cla_episodes"]
    assert episodes.select(
        "child_id",
        "episode_start",
        "reason_new_episode",
        "legal_status",
        "placement_type",
        "placement_provider",
        "episode_end",
        "reason_ceased",
        "reason_place_change",
        "placement_urn",
        "_file",
    ).rows() == [
        (
            "101",
            D(2019, 5, 1),
            "S",
            "C2",
            "U4",
            "PR1",
            D(2020, 9, 3),
            "X1",
            None,
            "SC123456",
            "episodes_2021.csv",
        ),
        (
            "101",
            D(2020, 9, 3),
            "P",
            "C2",
            "K2",
            "PR4",
            None,
            None,
            "CARPL",
            "SC654321",
            "episodes_2021.csv",
        ),
        (
            "AB12",
            D(2020, 1, 10),
            "S",
            "V2",
            "P2",
            None,
            None,
            None,
            None,
            None,
            "Episodes 2019-20.csv",
        ),
    ]


def test_oc3_is_dated_on_the_birthday_in_the_collection_year_and_accom_is_split():
    leavers = read_ssda903(MESSY).tables["care_leavers"]
    # Born 29 February 2000; the 2020-21 collection year has no 29 February 2021.
    assert leavers.select(
        "child_id",
        "contact_date",
        "in_touch",
        "activity",
        "accommodation",
        "accommodation_suitable",
    ).rows() == [("C3", D(2021, 2, 28), "YES", "F2", "D", True)]


def test_a_file_named_without_its_table_is_recognised_from_its_columns():
    reviews = read_ssda903(MESSY).tables["cla_reviews"]
    assert reviews.select("child_id", "review_date", "participation", "_file").rows() == [
        ("101", D(2019, 8, 1), "PN1", "export (3).csv"),
        ("101", D(2020, 2, 1), "PN1", "export (3).csv"),
    ]


def test_tables_without_a_canonical_home_are_read_and_reported_as_not_used():
    result = read_ssda903(MESSY)
    assert [str(p) for p in result.problems if p.code == "not_used"] == [
        "missing_2021.csv: Missing (1 rows): read and checked, not used: no canonical table "
        "holds missing and away-from-placement episodes.",
        "oc2_2021.csv: OC2 (0 rows): read and checked, not used: no canonical table holds "
        "health, offending and substance-misuse outcomes.",
    ]
    assert all(p.severity == "warning" for p in result.problems if p.code == "not_used")


def test_an_empty_file_is_skipped_with_a_warning_and_nothing_else_is_wrong():
    result = read_ssda903(MESSY)
    assert [(p.severity, p.code, str(p)) for p in result.problems if p.code != "not_used"] == [
        ("warning", "empty_file", "empty.csv: the file is empty (no header row); it was skipped")
    ]
    assert result.as_at == D(2021, 3, 31)


@pytest.mark.parametrize(
    ("name", "year"),
    [
        ("header_1920", 2020),
        ("Episodes 2019-20", 2020),
        ("episodes_2019_20", 2020),
        ("903_202324_reviews", 2024),
        ("ssda903_2024_Episodes", 2024),
        ("2021", 2021),
        ("export (3)", None),
        ("ssda903", None),
    ],
)
def test_the_collection_year_is_read_from_a_file_name(name, year):
    assert collection_year_from_name(name) == year


def test_header_and_uasc_are_told_apart_by_their_columns():
    assert identify_table(["CHILD", "SEX", "DOB", "DUC"]) == "UASC"
    assert identify_table(["CHILD", "SEX", "DOB", "ETHNIC", "UPN"]) == "Header"
    assert (
        identify_table(["CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"]) == "SWEpisodes"
    )
    assert identify_table(["FOO", "BAR"]) is None


def test_an_unreadable_date_is_an_error_naming_the_file_row_column_and_value(tmp_path):
    path = tmp_path / "episodes_2024.csv"
    path.write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "7,15/03/2024,S,C2,N1,U4,PR1,31/02/2024,E13,,,,\n"
    )
    result = read_ssda903(path)
    assert [(p.severity, p.code, str(p)) for p in result.problems] == [
        (
            "error",
            "unreadable_value",
            "episodes_2024.csv row 2, column DEC: '31/02/2024' is not a date (expected DD/MM/YYYY)",
        )
    ]
    assert result.tables["cla_episodes"]["episode_end"].to_list() == [None]


def test_a_file_matching_no_table_is_an_error_listing_the_columns_found(tmp_path):
    path = tmp_path / "mystery.csv"
    path.write_text("Name,Team\nA,B\n")
    [problem] = read_ssda903(path).problems
    assert problem.severity == "error"
    assert problem.code == "unrecognised_table"
    assert str(problem).startswith(
        "mystery.csv row 1: the columns do not match any SSDA903 table (found: NAME, TEAM)"
    )


def test_a_table_missing_an_optional_column_is_read_with_a_warning(tmp_path):
    path = tmp_path / "reviews_2024.csv"
    path.write_text("CHILD,REVIEW,REVIEW_CODE\n5,02/03/2024,PN0\n")
    result = read_ssda903(path)
    assert [str(p) for p in result.problems] == [
        "reviews_2024.csv row 1, column DOB: the Reviews table has no DOB column; it is treated as blank"
    ]
    assert result.tables["cla_reviews"].select("child_id", "review_date").rows() == [
        ("5", D(2024, 3, 2))
    ]


def test_oc3_without_a_collection_year_is_an_error(tmp_path):
    path = tmp_path / "care_leavers.csv"
    path.write_text("CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\n9,01/06/2003,YES,F2,D1\n")
    result = read_ssda903(path)
    assert [(p.severity, p.code) for p in result.problems] == [("error", "unknown_collection_year")]
    assert result.tables["care_leavers"].height == 0
    assert read_ssda903(path, collection_year=2024).tables["care_leavers"][
        "contact_date"
    ].to_list() == [D(2023, 6, 1)]


def test_writing_two_years_blanks_an_end_not_yet_reached_in_the_earlier_return(council, tmp_path):
    written = write_ssda903(council, tmp_path, as_at=AS_AT)
    assert sorted(p.name for p in written) == [
        "ssda903_2023_Episodes.csv",
        "ssda903_2023_Header.csv",
        "ssda903_2023_SWEpisodes.csv",
        "ssda903_2024_Episodes.csv",
        "ssda903_2024_Header.csv",
        "ssda903_2024_OC3.csv",
        "ssda903_2024_Reviews.csv",
        "ssda903_2024_SWEpisodes.csv",
        "ssda903_2024_UASC.csv",
    ]
    assert (tmp_path / "ssda903_2023_Episodes.csv").read_text().splitlines() == [
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN",
        "C1,01/06/2022,S,C2,N1,U6,PR1,,,,,,",
    ]
    assert (tmp_path / "ssda903_2023_Header.csv").read_text().splitlines()[1] == (
        "C1,1,04/05/2010,WBRI,A100000000001,,"
    )


def test_canonical_tables_survive_a_round_trip_through_ssda903(council, tmp_path):
    write_ssda903(Extract({k: v.lazy() for k, v in council.items()}, as_at=AS_AT), tmp_path)
    result = read_ssda903(tmp_path)
    assert result.errors == []
    for table in ("cla_episodes", "cla_reviews", "care_leavers", "allocations"):
        assert canonical(result.tables[table], table).equals(canonical(council[table], table)), (
            table
        )
    carried = ["child_id", "sex", "date_of_birth", "ethnicity", "upn", "uasc"]
    expected = council["children"].filter(pl.col("child_id").is_in(["C1", "C3"]))
    assert canonical(result.tables["children"], "children", carried).equals(
        canonical(expected, "children", carried)
    )


def test_text_that_a_spreadsheet_would_run_is_escaped_when_written(council, tmp_path):
    council["cla_episodes"] = council["cla_episodes"].with_columns(
        pl.lit("=HYPERLINK(1)").alias("placement_urn")
    )
    write_ssda903(council, tmp_path, collection_years=[2024])
    text = (tmp_path / "ssda903_2024_Episodes.csv").read_text()
    assert "'=HYPERLINK(1)" in text


def test_the_loader_recognises_ssda903_files_and_applies_the_shared_rules(tmp_path):
    from journey.engine.casedata.load import read_path

    (tmp_path / "header_2024.csv").write_text(
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1,1,01/01/2012,WBRI,,,\n"
    )
    (tmp_path / "episodes_2024.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "1,01/05/2023,S,C2,N1,Q9,PR1,,,,,,\n"
    )
    extract, report = read_path(tmp_path)
    assert report.format == "ssda903"
    assert report.ok
    [warning] = [p for p in report.problems if p.code == "unknown_code"]
    assert warning.file == "episodes_2024.csv"
    assert warning.row == 2
    assert warning.column == "PLACE"
    assert extract.tables["cla_episodes"].collect()["_flagged"].to_list() == [True]


def test_a_folder_named_for_the_year_dates_the_files_inside_it(tmp_path):
    (tmp_path / "2324").mkdir()
    (tmp_path / "2324" / "oc3.csv").write_text(
        "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\n4,10/10/2004,NO,G6,r\n"
    )
    leavers = read_ssda903(tmp_path).tables["care_leavers"]
    assert leavers.select(
        "contact_date", "in_touch", "accommodation", "accommodation_suitable"
    ).rows() == [(D(2023, 10, 10), "NO", "R", None)]


def test_a_utf16_file_is_refused_by_name_and_the_others_are_still_read(tmp_path):
    (tmp_path / "header_2024.csv").write_text(
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1,2,01/01/2012,WBRI,,,\n"
    )
    (tmp_path / "episodes_2024.csv").write_bytes("CHILD,DECOM\n1,01/05/2023\n".encode("utf-16"))
    result = read_ssda903(tmp_path)
    assert [(p.code, p.file) for p in result.errors] == [("wrong_encoding", "episodes_2024.csv")]
    assert result.tables["children"]["child_id"].to_list() == ["1"]


def test_from_2025_the_writer_uses_sex_codes_m_f_u(council, tmp_path):
    write_ssda903(council, tmp_path, collection_years=[2025])
    assert (
        (tmp_path / "ssda903_2025_Header.csv")
        .read_text()
        .splitlines()[1]
        .startswith("C1,M,04/05/2010")
    )


def test_files_that_are_not_csv_are_ignored_with_a_warning_and_undated_files_are_flagged(tmp_path):
    (tmp_path / "README.md").write_text("# 903 extract\n")
    (tmp_path / "reviews.csv").write_text(
        "CHILD,DOB,REVIEW,REVIEW_CODE\n1,01/01/2012,01/03/2024,PN1\n"
    )
    (tmp_path / "reviews_2024.csv").write_text(
        "CHILD,DOB,REVIEW,REVIEW_CODE\n1,01/01/2012,01/03/2024,PN3\n"
    )
    result = read_ssda903_files({p.name: p.read_bytes() for p in tmp_path.iterdir()})
    assert [(p.code, str(p)) for p in result.problems] == [
        ("file_ignored", "README.md: not a .csv or .xml file, so not an SSDA903 table; ignored"),
        (
            "year_unknown",
            "some Reviews files have no collection year in their names; where the same record "
            "appears in a dated and an undated file, the dated file wins",
        ),
    ]
    assert result.tables["cla_reviews"].select("participation", "_file").rows() == [
        ("PN3", "reviews_2024.csv")
    ]


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("1/5/2019", D(2019, 5, 1)), ("01/05/2019 00:00", D(2019, 5, 1)), ("2019-05-01", D(2019, 5, 1)),
     ("01/05/19", None), ("2019/05/01", None), ("31/02/2019", None)],
)  # fmt: skip
def test_dates_need_a_four_digit_year_and_a_real_day(tmp_path, text, parsed):
    path = tmp_path / "reviews_2019.csv"
    path.write_text(f"CHILD,DOB,REVIEW,REVIEW_CODE\n1,01/01/2012,{text},PN1\n")
    result = read_ssda903(path)
    assert result.tables["cla_reviews"]["review_date"].to_list() == [parsed]
    assert [p.code for p in result.problems] == ([] if parsed else ["unreadable_value"])


def test_a_part_year_extract_is_flagged_so_its_date_can_be_given(tmp_path):
    (tmp_path / "episodes_2025.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "1,01/05/2024,S,C2,N1,U4,PR1,,,,,,\n"
    )
    result = read_ssda903(tmp_path)
    assert result.as_at == D(2025, 3, 31)
    assert [str(p) for p in result.problems] == [
        "the extract date is taken as the end of the 2025 collection year, 2025-03-31, but the "
        "latest date in that year's files is 2024-05-01: if this is a part-year extract, give its date"
    ]


def test_a_result_gives_a_whole_extract_with_every_table_and_no_location_columns():
    extract = read_ssda903(MESSY).extract(snapshot="abc")
    assert (extract.as_at, extract.snapshot) == (D(2021, 3, 31), "abc")
    episodes = extract.tables["cla_episodes"].collect()
    assert episodes.columns[-1] == "_flagged" and "_file" not in episodes.columns
    assert episodes.height == 3
    assert extract.tables["contacts"].collect().height == 0
