"""The canonical format: reading CSV folders and workbooks, and writing them back identically."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import polars as pl
from polars.testing import assert_frame_equal

from journey.engine.casedata import canonical
from journey.engine.casedata.load import read_files
from journey.engine.casedata.schema import FLAG_COLUMN, SCHEMA, Extract

from .conftest import make_extract, with_formula

AS_AT = date(2024, 3, 31)
CHILDREN = b"child_id,Date Of Birth,SEX\nC1,2015-03-01,m\nC2,01/02/2016,F\n"


def _texts(report) -> list[str]:
    return [str(p) for p in report.sorted()]


def test_a_folder_of_csv_files_reads_into_every_table_with_headers_matched_loosely():
    extract, report = read_files(
        {"Children.CSV": CHILDREN, "extract.json": b'{"as_at": "31/03/2024"}'}
    )
    assert report.ok and report.problems == []
    assert report.format == "canonical"
    assert report.tables == {"children": 2}
    assert extract.as_at == date(2024, 3, 31)
    assert_frame_equal(
        extract.tables["children"]
        .select("child_id", "sex", "date_of_birth", FLAG_COLUMN)
        .collect(),
        pl.DataFrame(
            {
                "child_id": ["C1", "C2"],
                "sex": ["M", "F"],
                "date_of_birth": [date(2015, 3, 1), date(2016, 2, 1)],
                FLAG_COLUMN: [False, False],
            }
        ),
    )
    assert extract.tables["visits"].collect().height == 0


def test_unknown_files_and_columns_are_ignored_with_warnings():
    _, report = read_files(
        {
            "children.csv": b"child_id,colour\nC1,red\n",
            "notes.txt": b"hello",
            "extract.json": b'{"as_at": "2024-03-31", "council": "X"}',
        }
    )
    assert report.ok
    assert _texts(report) == [
        "children.csv row 1, column colour: column colour is not in the children table and is ignored",
        "extract.json: field 'council' is not known and is ignored",
        "notes.txt: the file is not a canonical table and is ignored",
    ]


def test_utf8_with_a_byte_order_mark_and_windows_1252_are_both_read():
    bom, _ = read_files(
        {
            "referrals.csv": b"\xef\xbb\xbfreferral_id,child_id,referral_date,team\nR1,C1,2023-01-01,Caf\xc3\xa9\n"
        }
    )
    ansi, _ = read_files(
        {"referrals.csv": b"referral_id,child_id,referral_date,team\nR1,C1,2023-01-01,Caf\xe9\n"}
    )
    assert bom.tables["referrals"].collect()["team"].to_list() == ["Café"]
    assert ansi.tables["referrals"].collect()["team"].to_list() == ["Café"]


def test_utf16_and_binary_files_named_csv_are_refused_naming_the_problem():
    utf16 = "child_id\nC1\n".encode("utf-16")
    _, report = read_files(
        {"children.csv": utf16, "referrals.csv": b"PK\x03\x04garbage", "visits.csv": b"a\x00b"},
        as_at=AS_AT,
    )
    assert not report.ok
    assert _texts(report) == [
        "children.csv: the file is encoded as UTF-16; save it as 'CSV UTF-8' (or Windows-1252) instead",
        "referrals.csv: the file is a zip archive or Excel .xlsx workbook, not a CSV text file",
        "visits.csv: the file contains NUL bytes: it is binary (or UTF-16), not CSV text",
    ]


def test_a_row_with_more_values_than_the_header_is_an_error_naming_the_row():
    _, report = read_files({"children.csv": b"child_id,sex\nC1,M\nC2,F,extra\n"}, as_at=AS_AT)
    assert _texts(report) == [
        "children.csv row 3: row 3 has more values than the header's 2 columns (the first "
        "extra value is 'extra'): a value holding a comma must be in double quotes, or a "
        "column is missing its header"
    ]


def test_an_empty_file_is_an_empty_table_with_a_warning_and_blank_lines_are_skipped_but_counted():
    extract, report = read_files(
        {"children.csv": b"child_id,sex\nC1,M\n\n,\nC2,X\n", "visits.csv": b""}, as_at=AS_AT
    )
    assert _texts(report) == [
        "children.csv row 5, column sex: 'X' is not a sex code (M, F, U)",
        "visits.csv: the file is empty and is read as an empty table",
    ]
    assert extract.tables["children"].collect()["child_id"].to_list() == ["C1", "C2"]


def test_the_same_table_twice_is_an_error():
    _, report = read_files({"a/children.csv": CHILDREN, "b/children.csv": CHILDREN}, as_at=AS_AT)
    assert _texts(report) == ["b/children.csv: the children table is given twice"]


def test_writing_then_reading_then_writing_csv_gives_identical_bytes(extract):
    first = canonical.to_csv_files(extract)
    again, report = read_files(first)
    assert report.ok, report.render_text()
    assert canonical.to_csv_files(again) == first


def test_csv_output_is_sorted_iso_dated_and_escapes_formula_like_text(extract):
    files = canonical.to_csv_files(extract)
    assert sorted(files) == sorted([f"{t}.csv" for t in extract.tables] + ["extract.json"])
    assert files["extract.json"] == b'{"as_at": "2024-03-31"}\n'
    assert files["children.csv"].decode("utf-8-sig") == (
        "child_id,sex,date_of_birth,unborn,ethnicity,upn,disability,uasc,date_of_death\n"
        "C1,M,2015-03-01,false,,A123,true,,\n"
        'C2,F,2016-02-01,false,WBRI,"\'=HYPERLINK(""x"")",,false,\n'
        "C3,,2024-06-01,true,,,,,\n"
    )
    assert files["referrals.csv"].decode("utf-8-sig").splitlines()[1:] == [
        'R1,C1,2023-05-01,1A,false,N1,,,"Équipe Nord, east",W1',
        "R2,C2,2023-04-03,6,true,,2023-04-20,RC8,'-Assessment,",
    ]
    assert (
        files["workers.csv"].decode("utf-8-sig").splitlines()[1]
        == "W1,'@team,assessment,SW,agency,0.5,2020-01-06,"
    )
    assert (
        files["visits.csv"]
        == b"\xef\xbb\xbfvisit_id,child_id,visit_date,visit_type,seen,seen_alone,worker_id\n"
    )


def test_escaped_text_reads_back_as_the_original_value(extract):
    again, _ = read_files(canonical.to_csv_files(extract))
    assert again.tables["children"].collect()["upn"].to_list() == ["A123", '=HYPERLINK("x")', None]
    assert again.tables["workers"].collect()["team"].to_list() == ["@team"]


def test_writing_then_reading_then_writing_xlsx_gives_identical_bytes_and_the_same_tables(extract):
    first = canonical.to_xlsx_bytes(extract)
    again, report = read_files({"extract.xlsx": first})
    assert report.ok, report.render_text()
    assert again.as_at == date(2024, 3, 31)
    assert canonical.to_xlsx_bytes(again) == first
    assert canonical.to_csv_files(again) == canonical.to_csv_files(extract)


def test_the_workbook_holds_real_dates_and_escaped_text_cells(extract):
    book = openpyxl.load_workbook(io.BytesIO(canonical.to_xlsx_bytes(extract)))
    assert book.sheetnames[:2] == ["children", "contacts"]
    assert book.sheetnames[-1] == "_extract"
    sheet = book["children"]
    assert sheet["C2"].value.date() == date(2015, 3, 1)
    assert sheet["F3"].value == '\'=HYPERLINK("x")'
    assert sheet["F3"].data_type == "s"


def test_a_workbook_sheet_may_start_below_row_one_and_problems_give_sheet_rows():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Referrals"
    sheet["A3"], sheet["B3"], sheet["C3"] = "Referral ID", "Child ID", "Referral date"
    sheet.append(["R1", 123.0, "2023-01-05"])
    sheet.append(["R2", "C2", "30/02/2023"])
    buffer = io.BytesIO()
    book.save(buffer)
    extract, report = read_files({"council.xlsx": buffer.getvalue()})
    assert [str(p) for p in report.errors] == [
        "council.xlsx sheet 'Referrals' row 5, column Referral date: '30/02/2023' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)"
    ]
    assert extract.tables["referrals"].collect()["child_id"].to_list() == ["123", "C2"]


def test_a_formula_cell_is_a_warning_and_its_saved_value_is_used():
    extract = make_extract()
    workbook = with_formula(
        canonical.to_xlsx_bytes(extract),
        f"xl/worksheets/sheet{list(SCHEMA).index('population') + 1}.xml",
        "B2",
        "39999+1",
    )
    again, report = read_files({"extract.xlsx": workbook})
    assert [str(p) for p in report.problems] == [
        "extract.xlsx sheet 'population' row 2, column B: cell B2 holds the formula =39999+1; formulas are never evaluated: its saved value '40000' is used"
    ]
    assert again.tables["population"].collect()["population_0_17"].to_list() == [40000]


def test_a_formula_with_no_saved_value_reads_as_blank():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "children"
    sheet.append(["child_id", "sex"])
    sheet.append(["C1", '=LOWER("M")'])
    buffer = io.BytesIO()
    book.save(buffer)
    extract, report = read_files({"x.xlsx": buffer.getvalue()}, as_at=AS_AT)
    assert [p.message for p in report.problems] == [
        'cell B2 holds the formula =LOWER("M"); formulas are never evaluated: it has no saved value, so the cell is read as blank'
    ]
    assert extract.tables["children"].collect()["sex"].to_list() == [None]


def test_a_workbook_ignores_other_sheets_and_reads_the_extract_date_sheet():
    book = openpyxl.Workbook()
    book.active.title = "Pivot"
    book.create_sheet("Children").append(["child_id"])
    book["Children"].append(["C1"])
    book.create_sheet("_extract").append(["As at", "2024-13-01"])
    buffer = io.BytesIO()
    book.save(buffer)
    extract, report = read_files({"council.xlsx": buffer.getvalue()}, as_at=AS_AT)
    assert [f"{p.severity} {p}" for p in report.sorted()] == [
        "error council.xlsx sheet '_extract', column as_at: '2024-13-01' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
        "warning council.xlsx: sheet 'Pivot' is not a canonical table and is ignored",
    ]
    assert extract.tables["children"].collect()["child_id"].to_list() == ["C1"]


def test_two_headers_naming_the_same_column_are_an_error():
    _, report = read_files({"children.csv": b"child_id,Child ID\nC1,C1\n"}, as_at=AS_AT)
    assert _texts(report) == [
        "children.csv row 1, column Child ID: column Child ID repeats column child_id (both are child_id)"
    ]


def test_text_starting_with_an_apostrophe_or_a_formula_character_round_trips():
    from journey.engine.casedata.schema import empty_case_data

    tables = empty_case_data()
    values = ["'quoted", "'=A1", "=A1", "-1", "plain", "''"]
    tables["workers"] = pl.LazyFrame(
        {
            "worker_id": [f"W{i}" for i in range(len(values))],
            "team": values,
            "role": ["SW"] * len(values),
            "employment": ["agency"] * len(values),
            "fte": [1.0] * len(values),
            "start_date": [date(2020, 1, 1)] * len(values),
            FLAG_COLUMN: [False] * len(values),
        }
    ).with_columns(
        pl.lit(None, dtype=pl.String).alias("service"),
        pl.lit(None, dtype=pl.Date).alias("end_date"),
    )
    extract = Extract(tables, as_at=AS_AT)
    files = canonical.to_csv_files(extract)
    again, _ = read_files(files)
    assert again.tables["workers"].collect()["team"].to_list() == values
    assert canonical.to_csv_files(again) == files


def test_semicolon_or_tab_separated_files_are_refused_saying_how_to_save_them():
    _, report = read_files(
        {"children.csv": b"child_id;sex\nC1;M\n", "referrals.csv": b"referral_id\tchild_id\n"},
        as_at=AS_AT,
    )
    assert _texts(report) == [
        "children.csv row 1: the values are separated by semicolons, not commas: save the file as 'CSV UTF-8 (comma delimited)'",
        "referrals.csv row 1: the values are separated by tabs, not commas: save the file as 'CSV UTF-8 (comma delimited)'",
    ]


def test_windows_line_endings_are_read_like_any_other():
    extract, report = read_files({"children.csv": b"child_id,sex\r\nC1,M\r\nC2,F\r\n"}, as_at=AS_AT)
    assert report.problems == []
    assert extract.tables["children"].collect()["sex"].to_list() == ["M", "F"]


def test_near_miss_file_and_column_names_suggest_the_canonical_name():
    _, report = read_files(
        {
            "Referral.csv": b"referral_id\n",
            "children.csv": b"child_id,Date of Brith\nC1,2020-01-01\n",
        },
        as_at=AS_AT,
    )
    assert _texts(report) == [
        "Referral.csv: the file is not a canonical table and is ignored (did you mean referrals.csv?)",
        "children.csv row 1, column Date of Brith: column Date of Brith is not in the children table and is ignored (did you mean date_of_birth?)",
    ]
