"""A column given twice, as written or once normalised, is an error naming it, in every reader.

Before, SSDA903 kept the first of two identical columns silently and crashed on two that
only matched after normalising; Annex A and the CIN census took the first silently.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook

from journey.engine.casedata.formats.annex_a import read_annex_a_bytes
from journey.engine.casedata.formats.cin_census import read_cin_census_bytes
from journey.engine.casedata.formats.ssda903 import read_ssda903_files
from journey.engine.casedata.load import read_files

FIXTURES = Path(__file__).parents[2] / "fixtures" / "formats"
EPISODES = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN"
ROW = "7,15/03/2024,S,C2,N1,U4,PR1,,,,,,"


def _only_duplicates(problems):
    errors = [p for p in problems if p.severity == "error"]
    assert errors and {p.code for p in errors} == {"duplicate_column"}, errors
    return errors


@pytest.mark.parametrize(
    ("header", "column"),
    [(EPISODES + ",DEC", "DEC"), (EPISODES + ", dec ", "dec"), (EPISODES + ",Place Provider", "Place Provider")],
    ids=["exact", "case-and-spaces", "space-for-underscore"],
)
def test_ssda903_a_repeated_column_is_an_error_naming_file_row_and_column(header, column):
    data = f"{header}\n{ROW},x\n".encode()
    result = read_ssda903_files({"episodes_2024.csv": data})
    [error] = _only_duplicates(result.problems)
    assert (error.file, error.row, error.column) == ("episodes_2024.csv", 1, column)
    assert "cla_episodes" not in result.tables or result.tables["cla_episodes"].is_empty()


def test_canonical_a_repeated_column_is_an_error_naming_it():
    data = b"child_id,sex,date_of_birth,Date Of Birth\nC1,F,2015-03-02,2015-03-02\n"
    _extract, report = read_files({"children.csv": data})
    [error] = _only_duplicates(report.problems)
    assert (error.file, error.row, error.column) == ("children.csv", 1, "Date Of Birth")


@pytest.mark.parametrize("repeat", ["Referral date", "REFERRAL  DATE"], ids=["exact", "normalised"])
def test_annex_a_a_repeated_column_is_an_error_naming_sheet_row_and_column(repeat):
    book = Workbook()
    sheet = book.active
    sheet.title = "List 3 - Referrals"
    sheet.append(["CHILD UNIQUE ID", "gender", "Referral date", "Referral Source", repeat])
    sheet.append(["AB12", "Male", "05/03/2024", "Police", "06/03/2024"])
    out = BytesIO()
    book.save(out)
    result = read_annex_a_bytes(out.getvalue(), "annex_a.xlsx")
    [error] = _only_duplicates(result.problems)
    assert (error.sheet, error.row, error.column) == ("List 3 - Referrals", 1, repeat)
    assert "referrals" not in result.tables or result.tables["referrals"].is_empty()


@pytest.mark.parametrize("tag", ["PersonBirthDate", "personbirthdate"])
def test_cin_census_an_item_given_twice_in_one_record_is_an_error_naming_the_line(tag):
    xml = (FIXTURES / "cin_census" / "census_messy.xml").read_bytes()
    assert b"</PersonBirthDate>" in xml
    doubled = xml.replace(
        b"</PersonBirthDate>", b"</PersonBirthDate><" + tag.encode() + b">2001-01-01</" + tag.encode() + b">", 1
    )
    result = read_cin_census_bytes(doubled, "census.xml")
    [error] = _only_duplicates(result.problems)
    assert error.file == "census.xml" and error.row is not None
    assert error.column == "PersonBirthDate"
    assert not result.tables or all(t.is_empty() for t in result.tables.values())
