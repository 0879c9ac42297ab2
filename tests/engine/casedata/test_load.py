"""Reading any extract: the format is recognised, read, and checked by the same rules."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from journey.engine.casedata import load
from journey.engine.casedata.load import (
    CanonicalTables,
    ExtractFormat,
    detect_format,
    formats,
    read_files,
    read_path,
)
from journey.engine.casedata.safety import Limits
from journey.engine.casedata.validation import Source, parse_table


def test_the_canonical_format_is_registered_and_recognised_from_file_names():
    assert "canonical" in formats()
    chosen, problems = detect_format({"referrals.csv": b"referral_id\n"})
    assert chosen is not None and chosen.name == "canonical" and problems == []


def test_files_no_format_claims_are_an_error_naming_them():
    chosen, problems = detect_format({"holiday.jpg": b"\xff\xd8"})
    assert chosen is None
    assert problems[0].code == "unknown_format"
    assert str(problems[0]).startswith("holiday.jpg is not an extract format this product reads (")


def _fake(name: str, score: int) -> ExtractFormat:
    def read(files, limits):
        raw = pl.DataFrame({"child_id": ["K1"], "_row": [2]})
        typed, problems = parse_table("children", raw, Source("kids.txt"))
        return CanonicalTables(
            tables={"children": typed}, problems=problems, as_at=date(2024, 1, 31)
        )

    return ExtractFormat(
        name, f"Test format {name}", lambda files: score if "kids.txt" in files else 0, read
    )


@pytest.fixture
def registered(monkeypatch):
    registry = dict(load._FORMATS)
    monkeypatch.setattr(load, "_FORMATS", registry)
    return registry


def test_a_registered_format_is_read_and_checked_by_the_common_rules(registered):
    load.register_format(_fake("kids", 90))
    extract, report = read_files({"kids.txt": b"K1"})
    assert report.format == "kids"
    assert report.tables == {"children": 1}
    assert extract.as_at == date(2024, 1, 31)
    assert extract.tables["children"].collect()["child_id"].to_list() == ["K1"]


def test_two_formats_claiming_the_files_equally_is_an_error_asking_to_choose(registered):
    load.register_format(_fake("kids", 90))
    load.register_format(_fake("kinder", 90))
    _, report = read_files({"kids.txt": b"K1"})
    assert [p.code for p in report.errors] == ["ambiguous_format"]
    assert "choose the format" in report.errors[0].message
    chosen, _ = read_files({"kids.txt": b"K1"}, format="kinder")
    assert chosen.tables["children"].collect().height == 1


def test_the_date_given_at_loading_overrides_the_extracts_own():
    files = {"extract.json": b'{"as_at": "2024-03-31"}', "children.csv": b"child_id\nC1\n"}
    extract, _ = read_files(files, as_at=date(2024, 2, 29))
    assert extract.as_at == date(2024, 2, 29)


def test_an_unknown_format_name_is_a_programming_error():
    with pytest.raises(KeyError, match="unknown format 'nope'"):
        read_files({}, format="nope")


def test_a_single_file_or_a_folder_can_be_read_from_disk(tmp_path):
    (tmp_path / "children.csv").write_bytes(b"child_id\nC1\n")
    (tmp_path / ".hidden").write_bytes(b"x")
    by_file, _ = read_path(tmp_path / "children.csv")
    by_folder, report = read_path(tmp_path)
    assert report.files == ["children.csv"]
    assert by_file.tables["children"].collect().equals(by_folder.tables["children"].collect())


def test_a_folder_with_too_many_files_or_a_file_too_large_is_refused_before_reading(tmp_path):
    for i in range(3):
        (tmp_path / f"f{i}.csv").write_bytes(b"child_id\nC1\n")
    _, report = read_path(tmp_path, limits=Limits(files=2))
    assert [str(p) for p in report.errors] == [
        f"{tmp_path}: the folder holds 3 files, over the limit of 2"
    ]
    _, report = read_path(tmp_path / "f0.csv", limits=Limits(file_bytes=5))
    assert [str(p) for p in report.errors] == ["f0.csv: the file is 12 bytes, over the limit of 5"]


def test_reading_reports_progress_from_start_to_finish():
    steps = []
    read_files({"children.csv": b"child_id\nC1\n"}, progress=lambda f, m: steps.append((f, m)))
    assert steps == [
        (0.0, "Recognising the format"),
        (0.1, "Reading the Canonical extract"),
        (0.6, "Checking the business rules"),
        (1.0, "Checked"),
    ]


def test_an_extract_that_does_not_say_its_date_is_taken_as_at_today_with_a_warning():
    extract, report = read_files({"children.csv": b"child_id\nC1\n"})
    today = date.today().isoformat()
    assert extract.as_at == date.today()
    assert [str(p) for p in report.problems] == [
        f"the extract does not say when it was taken, so it is taken as at today, {today} "
        "(give the date in extract.json, an _extract sheet or --as-at)"
    ]


def test_a_spreadsheet_saved_in_another_format_says_how_to_save_it():
    _, report = read_files({"Children In Care.xls": b"\xd0\xcf\x11\xe0"})
    assert [str(p) for p in report.errors] == [
        "Children In Care.xls: old-style .xls workbooks are not read: save it as .xlsx (or CSV UTF-8)"
    ]
