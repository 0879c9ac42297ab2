"""Councils' exports go wrong in predictable ways: each fault is refused with a message that
names the file, the row (and column), the value and what to do, and the store is left
untouched. Each case is a tiny hand-made file; the expected message is worked out by hand."""

from __future__ import annotations

import io
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from journey.engine.casedata.problems import ExtractRejected
from journey.engine.casedata.store import Store

AS_AT = date(2024, 3, 31)

HEADER_903 = b"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\nC1,1,02/01/2015,WBRI,,,\n"
EPISODES_903 = b"CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
EPISODE_903 = b"C1,01/05/2023,S,C2,N1,U1,PR1,,,,,,\n"
TOTALS_FIX = "delete the totals and any other summary lines below the data and export again"


def _merged_header_workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "children"
    sheet.append(["child_id", "sex", "date_of_birth"])
    sheet.append(["C1", "F", "2015-01-02"])
    sheet.merge_cells("A1:B1")  # Excel keeps only A1's text: sex loses its header
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zipped_folder() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("export/children.csv", "child_id,date_of_birth\nC1,2015-01-02\n")
    return out.getvalue()


CIN_XML = (
    b'<?xml version="1.0"?>\n<Message>\n<Header><CollectionDetails><Collection>CIN</Collection>'
    b"<Year>2024</Year><ReferenceDate>2024-03-31</ReferenceDate></CollectionDetails></Header>\n"
    b"<Children><Child><ChildIdentifiers><LAchildID>C\xa31</LAchildID></ChildIdentifiers>"
    b"</Child></Children>\n</Message>\n"
)

CASES = {
    "a title line above a canonical header names the row the header is on": (
        {"children.csv": b"Children report 31/03/2024\nchild_id,sex,date_of_birth\nC1,M,2015-01-02\n"},
        "children.csv row 2: the header is on row 2 (child_id, sex, date_of_birth), not row 1: "
        "delete the line above it (a title or notes) so that the file starts with the header, "
        "and export again",
    ),
    "a title line above an SSDA903 header names the row the header is on": (
        {
            "ssda903_2024_Header.csv": HEADER_903,
            "ssda903_2024_Episodes.csv": b"Episodes run 01/04/2024,,\n" + EPISODES_903 + EPISODE_903,
        },
        "ssda903_2024_Episodes.csv row 2: the header is on row 2 (CHILD, DECOM, RNE, LS, CIN, "
        "PLACE, PLACE_PROVIDER, DEC, REC, REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN), not "
        "row 1: delete the line above it (a title or notes) so that the file starts with the "
        "header, and export again",
    ),
    "a title line above an SSD header names the row the header is on": (
        {
            "ssd_person.csv": b"Person table\n"
            b"pers_person_id,pers_sex,pers_ethnicity,pers_dob\nC1,F,WBRI,2015-01-02\n"
        },
        "ssd_person.csv row 2: the header is on row 2 (pers_person_id, pers_sex, pers_ethnicity, "
        "pers_dob), not row 1: delete the line above it (a title or notes) so that the file "
        "starts with the header, and export again",
    ),
    "an SSDA903 row longer than its header is refused instead of being cut short": (
        {
            "ssda903_2024_Header.csv": HEADER_903,
            "ssda903_2024_Episodes.csv": EPISODES_903 + b"C1,01/05/2023,S,C2,N1,U1,PR1,,,,,,123456,SC1\n",
        },
        "ssda903_2024_Episodes.csv row 2: row 2 has more values than the header's 13 columns "
        "(the first extra value is 'SC1'): a value holding a comma must be in double quotes, or "
        "a column is missing its header",
    ),
    "an SSD row longer than its header names the row and the extra value": (
        {
            "ssd_person.csv": b"pers_person_id,pers_sex,pers_ethnicity,pers_dob\n"
            b"C1,F,WBRI,2015-01-02\nC2,M,WBRI,2016-01-02,Smith\n"
        },
        "ssd_person.csv row 3: row 3 has more values than the header's 4 columns (the first "
        "extra value is 'Smith'): a value holding a comma must be in double quotes, or a column "
        "is missing its header",
    ),
    "a totals row under canonical records is named as one": (
        {"children.csv": b"child_id,sex,date_of_birth\nC1,M,2015-01-02\nTotal,,\n"},
        f"children.csv row 3, column child_id: this looks like a totals row ('TOTAL' in child_id), "
        f"not a record: {TOTALS_FIX}",
    ),
    "a totals row under SSDA903 episodes is named as one": (
        {
            "ssda903_2024_Header.csv": HEADER_903,
            "ssda903_2024_Episodes.csv": EPISODES_903 + EPISODE_903 + b"\nGrand Total,1,,,,,,,,,,,\n",
        },
        f"ssda903_2024_Episodes.csv row 4, column CHILD: this looks like a totals row "
        f"('GRAND TOTAL' in CHILD), not a record: {TOTALS_FIX}",
    ),
    "an Excel serial number in a date column says to format the column as a date": (
        {"children.csv": b"child_id,sex,date_of_birth\nC1,M,42006\n"},
        "children.csv row 2, column date_of_birth: '42006' is not a date (expected YYYY-MM-DD or "
        "DD/MM/YYYY): it looks like an Excel date serial number (the column was exported as "
        "numbers); format the column as a date (DD/MM/YYYY) and export again",
    ),
    "a US-style date says the dates are month first": (
        {"children.csv": b"child_id,sex,date_of_birth\nC1,M,12/31/2015\n"},
        "children.csv row 2, column date_of_birth: '12/31/2015' is not a date (expected "
        "YYYY-MM-DD or DD/MM/YYYY): it reads only as month/day/year (US order); export the dates "
        "day first (DD/MM/YYYY), since other dates in the column with a day of 12 or less would "
        "be read the wrong way round",
    ),
    "a two-digit year in an SSDA903 date asks for four digits": (
        {
            "ssda903_2024_Header.csv": HEADER_903,
            "ssda903_2024_Episodes.csv": EPISODES_903 + b"C1,1/5/23,S,C2,N1,U1,PR1,,,,,,\n",
        },
        "ssda903_2024_Episodes.csv row 2, column DECOM: '1/5/23' is not a date (expected "
        "DD/MM/YYYY): the year has two digits; export the dates with four-digit years (DD/MM/YYYY)",
    ),
    "values under a blank header in a CSV are refused instead of dropped": (
        {"children.csv": b"child_id,,date_of_birth\nC1,F,2015-01-02\n"},
        "children.csv row 1: column 2 has values but no header (the first is 'F', on row 2): "
        "give it its header (merged header cells keep only the first one's) or delete the column",
    ),
    "a merged header cell in a workbook names the column that lost its header": (
        {"extract.xlsx": _merged_header_workbook()},
        "extract.xlsx sheet 'children' row 1: column B has values but no header (the first is "
        "'F', on row 2): give it its header (merged header cells keep only the first one's) or "
        "delete the column",
    ),
    "a password-protected workbook says to remove the password": (
        {
            "extract.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\x00" * 64
            + "EncryptionInfo".encode("utf-16-le")
            + b"\x00" * 64
        },
        "extract.xlsx: the workbook is protected with a password, so it cannot be read: open it "
        "in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password, "
        "clear it) and save it again",
    ),
    "an empty workbook says it is empty": (
        {"extract.xlsx": b""},
        "extract.xlsx: the file is empty (0 bytes): export the workbook again",
    ),
    "an empty file of no known name says it is empty": (
        {"export.csv": b"  \n"},
        "export.csv: the file is empty, so there is nothing to read: export the data again",
    ),
    "a CIN census saved as Windows-1252 without saying so names the byte, the line and the fix": (
        {"cin.xml": CIN_XML},
        "cin.xml row 4: the file is not well-formed XML: byte 0xa3 on line 4 is not UTF-8 (a '£' "
        "or an accented letter saved as Windows-1252?): save the file as UTF-8, or declare its "
        'encoding on the first line (<?xml version="1.0" encoding="windows-1252"?>)',
    ),
    "a CIN census cut short mid-element says it looks cut short": (
        {"cin.xml": CIN_XML.replace(b"\xa3", b"")[:150]},
        "cin.xml row 3: the file is not well-formed XML: it ends on line 3 before its elements "
        "are closed, so it looks cut short (an interrupted export, download or copy): export or "
        "copy it again",
    ),
    "a zip of a folder says to unzip it": (
        {"export.zip": _zipped_folder()},
        "export.zip: a .zip archive is not opened: unzip it and give the folder (or upload the "
        "files in it)",
    ),
}


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


@pytest.mark.parametrize(("files", "message"), list(CASES.values()), ids=list(CASES))
def test_a_messy_export_is_refused_with_a_located_message_and_nothing_stored(
    tmp_path, files, message
):
    store = Store(tmp_path / "store")
    with pytest.raises(ExtractRejected) as rejected:
        store.load(files, by="analyst", as_at=AS_AT)
    assert message in [str(p) for p in rejected.value.report.errors]
    assert _tree(tmp_path) == []


def test_a_file_that_could_not_be_read_is_not_also_told_its_date_was_assumed():
    from journey.engine.casedata.load import read_files

    _, report = read_files({"cin.xml": CIN_XML})
    assert [p.code for p in report.problems] == ["unreadable_xml"]


def test_trailing_commas_on_every_record_of_an_ssda903_file_are_read_as_blank():
    from journey.engine.casedata.load import read_files

    extract, report = read_files(
        {
            "ssda903_2024_Header.csv": HEADER_903,
            "ssda903_2024_Episodes.csv": EPISODES_903 + b"C1,01/05/2023,S,C2,N1,U1,PR1,,,,,,,,\n",
        },
        as_at=AS_AT,
    )
    assert report.errors == []
    episodes = extract.tables["cla_episodes"].collect()
    assert episodes.select("child_id", "placement_type").rows() == [("C1", "U1")]


def test_trailing_commas_on_canonical_records_are_read_as_blank_not_refused():
    from journey.engine.casedata.load import read_files

    extract, report = read_files(
        {"children.csv": b"child_id,sex,date_of_birth\nC1,F,2015-01-02,,\n"}, as_at=AS_AT
    )
    assert report.errors == []
    assert extract.tables["children"].collect().select("child_id", "sex").rows() == [("C1", "F")]


def test_a_title_row_above_a_workbook_sheets_header_is_passed_over_and_rows_keep_their_numbers():
    from journey.engine.casedata.load import read_files

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "children"
    sheet.append(["Children looked after at 31 March 2024"])
    sheet.append(["child_id", "sex", "date_of_birth"])
    sheet.append(["C1", "F", "2015-01-02"])
    sheet.append(["C2", "M", "31/02/2015"])
    out = io.BytesIO()
    book.save(out)
    extract, report = read_files({"extract.xlsx": out.getvalue()}, as_at=AS_AT)
    assert [str(p) for p in report.errors] == [
        "extract.xlsx sheet 'children' row 4, column date_of_birth: '31/02/2015' is not a date "
        "(expected YYYY-MM-DD or DD/MM/YYYY)"
    ]
    assert extract.tables["children"].collect()["child_id"].to_list() == ["C1", "C2"]


def test_a_whole_number_with_thousands_separators_is_read_but_a_decimal_comma_is_not():
    from journey.engine.casedata.load import read_files

    extract, report = read_files(
        {
            "children.csv": b"child_id,date_of_birth\nC1,2015-01-02\n",
            "population.csv": b'year,population_0_17\n2023,"33,000"\n2024,"1,234,567"\n2025,"3,5"\n',
        },
        as_at=AS_AT,
    )
    assert [str(p) for p in report.errors] == [
        "population.csv row 4, column population_0_17: '3,5' is not a whole number"
    ]
    assert extract.tables["population"].collect()["population_0_17"].to_list() == [33000, 1234567, None]


def test_a_child_given_twice_with_two_dates_of_birth_is_warned_saying_which_date_is_used():
    from journey.engine.casedata.load import read_files

    _, report = read_files(
        {"children.csv": b"child_id,date_of_birth\nC1,2015-01-02\nC2,2016-05-06\nc1,2014-01-02\nC2,2016-05-06\n"},
        as_at=AS_AT,
    )
    assert [str(p) for p in report.problems] == [
        "children.csv row 4, column child_id: repeats the key (child_id 'C1') of row 2 with a "
        "different date_of_birth (2014-01-02, not 2015-01-02): the one on row 2 is used; correct "
        "the record that is wrong and give the child once",
        "children.csv row 5, column child_id: repeats the key (child_id 'C2') of row 3",
    ]
