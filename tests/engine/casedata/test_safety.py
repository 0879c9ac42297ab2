"""Hostile input is refused before any parser touches it, with a message saying why."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from journey.engine.casedata.load import read_files
from journey.engine.casedata.safety import (
    Limits,
    UnsafeInput,
    cell_text,
    check_zip,
    decode_text,
    parse_xml,
    read_xlsx,
)

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<Message><Children>&lol2;</Children></Message>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]><Message>&secret;</Message>"""


def _workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "children"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, EXTERNAL])
def test_xml_with_entities_or_a_dtd_is_refused(xml):
    with pytest.raises(UnsafeInput) as refused:
        parse_xml(xml, "cin.xml")
    assert refused.value.problem.code == "unsafe_xml"
    assert str(refused.value).startswith(
        "cin.xml: the XML declares a DTD or entities, which are refused"
    )


def test_plain_xml_parses_and_broken_xml_is_an_error_naming_the_place():
    assert parse_xml(b"<Message><Child/></Message>", "cin.xml").tag == "Message"
    with pytest.raises(UnsafeInput) as refused:
        parse_xml(b"<Message><Child></Message>", "cin.xml")
    assert (
        str(refused.value)
        == "cin.xml: the file is not well-formed XML: mismatched tag: line 1, column 18"
    )


def test_a_highly_compressed_workbook_part_is_refused_as_a_bomb_before_opening():
    bomb = _zip({"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": b"\0" * 5_000_000})
    with pytest.raises(UnsafeInput) as refused:
        check_zip(bomb, "extract.xlsx")
    assert refused.value.problem.code == "zip_bomb"
    assert "xl/worksheets/sheet1.xml expands" in refused.value.problem.message
    assert "(a compression bomb)" in refused.value.problem.message


def test_too_many_parts_or_too_much_uncompressed_data_is_refused():
    many = _zip({f"xl/part{i}.xml": b"x" for i in range(5)} | {"xl/workbook.xml": b"<w/>"})
    with pytest.raises(UnsafeInput, match="holds 6 parts, over the limit of 5"):
        check_zip(many, "extract.xlsx", Limits(zip_entries=5))
    with pytest.raises(UnsafeInput, match="expands to 2,004 bytes, over the limit of 1,000"):
        check_zip(
            _zip({"xl/workbook.xml": b"<w/>", "a": b"y" * 2000}),
            "x.xlsx",
            Limits(zip_uncompressed_bytes=1000),
        )


def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused():
    _, report = read_files({"extract.xlsx": b"child_id\nC1\n"})
    assert [str(p) for p in report.errors] == [
        "extract.xlsx: the file is not an .xlsx workbook (it is not a zip archive)"
    ]


def test_rows_beyond_the_limit_are_refused_for_workbooks_and_csv():
    workbook = _workbook([["child_id"], ["C1"], ["C2"], ["C3"]])
    with pytest.raises(UnsafeInput, match="the sheet has more than 3 rows"):
        read_xlsx(workbook, "x.xlsx", Limits(rows=3))
    _, report = read_files({"children.csv": b"child_id\nC1\nC2\nC3\n"}, limits=Limits(rows=2))
    assert [p.code for p in report.errors] == ["too_large"]


def test_a_file_over_the_size_limit_is_refused_without_parsing():
    with pytest.raises(UnsafeInput, match="the file is 11 bytes, over the limit of 10"):
        decode_text(b"child_id\nC1", "children.csv", Limits(file_bytes=10))


def test_text_that_is_neither_utf8_nor_windows_1252_is_refused_naming_the_byte():
    with pytest.raises(UnsafeInput) as refused:
        decode_text(b"child_id\nC\x81\n", "children.csv")
    assert refused.value.problem.message == (
        "byte 0x81 at position 10 is neither UTF-8 nor Windows-1252 text; save the file as 'CSV UTF-8'"
    )


def test_control_characters_mean_binary_not_text():
    with pytest.raises(UnsafeInput, match="control character 0x07"):
        decode_text(b"child_id\nC1\x07\n", "children.csv")


def test_limits_come_from_the_environment():
    limits = Limits.from_env(
        {"JOURNEY_MAX_ROWS": "10", "JOURNEY_MAX_FILE_BYTES": "2048", "OTHER": "1"}
    )
    assert limits.rows == 10 and limits.file_bytes == 2048 and limits.columns == Limits().columns


def test_cells_read_as_the_text_a_csv_would_hold():
    from datetime import date, datetime

    assert cell_text(123.0) == "123"
    assert cell_text(0.5) == "0.5"
    assert cell_text(True) == "true"
    assert cell_text(datetime(2023, 1, 5)) == "2023-01-05"
    assert cell_text(datetime(2023, 1, 5, 10, 30)) == "2023-01-05 10:30:00"
    assert cell_text(date(2023, 1, 5)) == "2023-01-05"
    assert cell_text(None) is None


def test_a_workbook_part_declaring_entities_is_refused_naming_the_part():
    workbook = _workbook([["child_id"], ["C1"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(
                    b"<worksheet", b'<!DOCTYPE x [<!ENTITY lol "lol">]><worksheet', 1
                )
            target.writestr(entry, content)
    _, report = read_files({"bomb.xlsx": out.getvalue()})
    assert [str(p) for p in report.errors] == [
        "bomb.xlsx: the part xl/worksheets/sheet1.xml declares a DTD or entities, which are "
        "refused for safety (entity expansion and external references)"
    ]


def test_a_declaration_split_across_reading_chunks_is_still_found(monkeypatch):
    from journey.engine.casedata import safety

    monkeypatch.setattr(safety, "_CHUNK", 7)
    bomb = _zip({"xl/workbook.xml": b"<w/>", "xl/styles.xml": b"<!-- pad -->" + b"<!ENTITY x 'y'>"})
    with pytest.raises(UnsafeInput, match="the part xl/styles.xml declares a DTD or entities"):
        check_zip(bomb, "x.xlsx")
