"""Security of the engine's input handling and exports (the security review's own tests).

Every test uses tiny hand-made data. A test marked ``xfail(strict=True)`` records a defect
found in review that is not fixed yet: it fails while the defect exists (so the suite stays
green) and turns into an unexpected pass, failing the run, when it is fixed, so the marker
is removed with the fix. See docs/security.md.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from click.testing import CliRunner

from journey.engine.casedata.load import files_from_path, read_files
from journey.engine.casedata.safety import Limits, UnsafeInput
from journey.engine.casedata.store import SnapshotNotFound, Store

TRIGGERS = ["=1+2", "+44 20", "-3", "@SUM(A1)", "\tTAB", "\rCR"]

CHILDREN = b"child_id,sex,date_of_birth\nC1,F,2015-03-02\nC2,M,2012-07-19\n"


def _workbook(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "children"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rewrite_part(workbook: bytes, part: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED
    ) as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == part:
                content = change(content)
            target.writestr(entry.filename, content)
    return out.getvalue()


def _after_padding(root: bytes, doctype: bytes):
    """Put ``doctype`` before the root element, after a comment longer than 4 KB."""

    def change(content: bytes) -> bytes:
        at = content.index(b"<" + root)
        return content[:at] + b"<!--" + b"x" * 5000 + b"-->" + doctype + content[at:]

    return change


# --------------------------------------------------------------------- XML and workbooks


def test_an_entity_declared_after_a_long_comment_in_a_worksheet_is_never_expanded():
    workbook = _rewrite_part(
        _workbook([["child_id", "sex", "date_of_birth"], ["C1", "F", "2015-03-02"]]),
        "xl/worksheets/sheet1.xml",
        _after_padding(
            b"worksheet",
            b'<!DOCTYPE worksheet [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>',
        ),
    )
    extract, report = read_files({"extract.xlsx": workbook})
    assert not report.ok
    assert extract.tables["children"].collect().height == 0


def test_an_external_entity_hidden_deep_in_a_workbook_part_never_reads_the_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-PASSWD")
    workbook = _rewrite_part(
        _workbook([["child_id", "sex", "date_of_birth"], ["C1", "F", "2015-03-02"]]),
        "xl/workbook.xml",
        _after_padding(
            b"workbook",
            f'<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file://{secret}">]>'.encode(),
        ),
    )
    workbook = _rewrite_part(
        workbook, "xl/workbook.xml", lambda c: c.replace(b'name="children"', b'name="&xxe;"')
    )
    try:
        extract, report = read_files({"extract.xlsx": workbook})
    except Exception as error:  # a crash is recorded below; here only what was read matters
        everything = str(error)
    else:
        everything = " ".join(str(p) for p in report.problems) + "".join(
            str(frame.collect().to_dicts()) for frame in extract.tables.values()
        )
    assert "TOPSECRET" not in everything


def test_a_workbook_part_openpyxl_cannot_parse_is_a_problem_in_the_report_not_a_crash(tmp_path):
    workbook = _rewrite_part(
        _workbook([["child_id", "sex", "date_of_birth"], ["C1", "F", "2015-03-02"]]),
        "xl/workbook.xml",
        _after_padding(b"workbook", b'<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///nowhere">]>'),
    )
    workbook = _rewrite_part(
        workbook, "xl/workbook.xml", lambda c: c.replace(b'name="children"', b'name="&xxe;"')
    )
    _extract, report = read_files({"extract.xlsx": workbook})
    assert not report.ok


def test_a_workbook_part_declaring_a_dtd_anywhere_is_refused():
    workbook = _rewrite_part(
        _workbook([["child_id", "sex", "date_of_birth"], ["C1", "F", "2015-03-02"]]),
        "xl/workbook.xml",
        _after_padding(b"workbook", b'<!DOCTYPE workbook [<!ENTITY lol "lol">]>'),
    )
    _extract, report = read_files({"extract.xlsx": workbook})
    assert [p.code for p in report.errors] == ["unsafe_xml"]


def test_a_workbook_part_in_utf16_declaring_a_dtd_is_refused():
    def utf16_with_dtd(content: bytes) -> bytes:
        text = content.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
        at = text.index("<workbook")
        text = text[:at] + '<!DOCTYPE workbook [<!ENTITY lol "lol">]>' + text[at:]
        return text.encode("utf-16")

    workbook = _rewrite_part(
        _workbook([["child_id", "sex", "date_of_birth"], ["C1", "F", "2015-03-02"]]),
        "xl/workbook.xml",
        utf16_with_dtd,
    )
    _extract, report = read_files({"extract.xlsx": workbook})
    assert [p.code for p in report.errors] == ["unsafe_xml"]


def test_a_workbook_whose_parts_expand_hugely_is_refused_before_openpyxl_opens_it():
    workbook = _rewrite_part(
        _workbook([["child_id"], ["C1"]]),
        "xl/worksheets/sheet1.xml",
        lambda c: c + b" " * (20 * 1024 * 1024),
    )
    _extract, report = read_files({"extract.xlsx": workbook})
    assert [p.code for p in report.errors] == ["zip_bomb"]


def _understating(workbook: bytes, part: str, padding: int, declared: int) -> bytes:
    """The workbook with ``padding`` spaces added to ``part``, whose local and central
    headers then claim it is only ``declared`` bytes uncompressed (a lying zip bomb)."""
    import struct

    padded = _rewrite_part(
        workbook, part, lambda c: c.replace(b"<sheetData>", b"<sheetData>" + b" " * padding, 1)
    )
    data = bytearray(padded)
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:
        length = struct.unpack("<H", data[at + 28:at + 30])[0]
        if bytes(data[at + 46:at + 46 + length]) == part.encode():
            struct.pack_into("<I", data, at + 24, declared)
            local = struct.unpack("<I", data[at + 42:at + 46])[0]
            struct.pack_into("<I", data, local + 22, declared)
        at += 4
    return bytes(data)


def test_a_zip_that_understates_a_part_size_is_never_expanded_beyond_what_it_declares():
    import tracemalloc

    workbook = _understating(
        _workbook([["child_id"], ["C1"]]), "xl/worksheets/sheet1.xml", 100 * 1024 * 1024, 5000
    )
    tracemalloc.start()
    try:
        read_files({"extract.xlsx": workbook})
    except Exception:  # noqa: S110 - only the memory matters here (the crash is recorded below)
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 50 * 1024 * 1024


def test_a_workbook_with_a_corrupt_part_is_a_problem_in_the_report_not_a_crash():
    workbook = _understating(
        _workbook([["child_id"], ["C1"]]), "xl/worksheets/sheet1.xml", 1024 * 1024, 5000
    )
    _extract, report = read_files({"extract.xlsx": workbook})
    assert not report.ok


def test_a_cin_census_with_entities_is_refused_and_the_named_file_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-PASSWD")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        "<Message><Header><CollectionDetails><Collection>CIN</Collection></CollectionDetails>"
        "</Header><Children><Child><ChildIdentifiers><LAchildID>&xxe;</LAchildID>"
        "</ChildIdentifiers></Child></Children></Message>"
    ).encode()
    _extract, report = read_files({"cin.xml": xml})
    assert [p.code for p in report.errors] == ["unsafe_xml"]
    assert "TOPSECRET" not in " ".join(str(p) for p in report.problems)


# ------------------------------------------------------------------ text, folders, JSON


def test_a_folder_with_more_files_than_the_limit_is_refused_before_any_is_read(tmp_path):
    for i in range(4):
        (tmp_path / f"f{i}.csv").write_text("x\n")
    with pytest.raises(UnsafeInput) as refused:
        files_from_path(tmp_path, Limits(files=3))
    assert refused.value.problem.code == "too_many_files"


def test_a_csv_over_the_size_limit_is_refused_without_being_parsed():
    _extract, report = read_files({"children.csv": CHILDREN}, limits=Limits(file_bytes=10))
    assert [p.code for p in report.errors] == ["too_large"]


def test_a_deeply_nested_extract_json_is_a_problem_in_the_report_not_a_crash():
    nested = b"[" * 100_000 + b"]" * 100_000
    _extract, report = read_files({"children.csv": CHILDREN, "extract.json": nested})
    assert not report.ok


# ---------------------------------------------------------------------- snapshot store


def _plant_manifest(folder: Path) -> None:
    folder.mkdir(parents=True)
    manifest = {
        "id": "planted", "files": [], "format": "canonical", "as_at": None,
        "loaded_by": "mallory", "loaded_at": "2024-01-01T00:00:00+00:00",
        "rows": {}, "flagged": {}, "warnings": 0,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_a_snapshot_id_that_climbs_out_of_the_store_is_not_found(tmp_path):
    store = Store(tmp_path / "store")
    (tmp_path / "store" / "snapshots").mkdir(parents=True)
    _plant_manifest(tmp_path / "outside")
    climbing = "./" * 25 + "../../outside/"
    assert len(climbing) == 64
    with pytest.raises(SnapshotNotFound):
        store.get(climbing)


def test_a_short_snapshot_id_with_path_characters_is_not_found(tmp_path):
    store = Store(tmp_path / "store")
    _plant_manifest(tmp_path / "outside")
    with pytest.raises(SnapshotNotFound):
        store.get("../../outside")


# ------------------------------------------------------------------ formula injection


def _extract_with_names(values: list[str]):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["child_id", "sex", "date_of_birth"])
    for i, _value in enumerate(values):
        writer.writerow([f"C{i}", "F", "2015-03-02"])
    extract, report = read_files(
        {"children.csv": buffer.getvalue().encode(), "extract.json": b'{"as_at": "2024-03-31"}'}
    )
    assert report.ok, [str(p) for p in report.errors]
    children = extract.tables["children"].collect()
    children = children.with_columns(pl.Series("child_id", values))
    extract.tables["children"] = children.lazy()
    return extract


def test_the_canonical_csv_export_escapes_every_formula_trigger():
    from journey.engine.casedata.canonical import to_csv_files

    files = to_csv_files(_extract_with_names(TRIGGERS))
    text = files["children.csv"].decode("utf-8-sig")
    ids = [row[0] for row in csv.reader(io.StringIO(text, newline=""))][1:]
    assert sorted(ids) == sorted("'" + v for v in TRIGGERS)


def test_the_canonical_workbook_export_has_no_formula_cells_and_escapes_triggers():
    from journey.engine.casedata.canonical import to_xlsx_bytes

    book = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes(_extract_with_names(TRIGGERS))))
    sheet = book["children"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type != "f" for cell in cells)
    assert sorted(c.value for c in cells) == sorted("'" + v for v in TRIGGERS)


def test_the_command_line_drilldown_csv_escapes_cells_a_spreadsheet_would_run(tmp_path):
    from journey.cli import main

    folder = tmp_path / "extract"
    folder.mkdir()
    (folder / "children.csv").write_bytes(
        b"child_id,sex,date_of_birth\nC1,F,2015-03-02\n=HYPERLINK(1),M,2012-07-19\n"
    )
    (folder / "referrals.csv").write_bytes(
        b"referral_id,child_id,referral_date\nR1,C1,2023-06-03\nR2,=HYPERLINK(1),2023-06-10\n"
    )
    (folder / "extract.json").write_bytes(b'{"as_at": "2023-07-03"}')
    result = CliRunner().invoke(
        main,
        ["drilldown", "--data", str(folder), "--measure", "referrals_count",
         "--month", "2023-06", "--format", "csv"],
    )
    assert result.exit_code == 0, result.output
    cells = [cell for row in csv.reader(io.StringIO(result.output)) for cell in row]
    assert "'=HYPERLINK(1)" in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


# ------------------------------------------------------------------------ the plan file


def test_a_plan_file_that_expands_through_aliases_is_refused_quickly():
    import time

    from journey.engine.plan import PlanError, parse_plan

    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    lines.append("title: *a9")
    started = time.monotonic()
    with pytest.raises(PlanError):
        parse_plan("\n".join(lines) + "\n")
    assert time.monotonic() - started < 5


def test_a_plan_file_cannot_make_python_objects(tmp_path):
    from journey.engine.plan import PlanError, parse_plan

    marker = tmp_path / "ran"
    text = (
        f"title: !!python/object/apply:os.system ['touch {marker}']\n"
        "authority: !!python/object/new:builtins.dict {}\n"
    )
    with pytest.raises(PlanError):
        parse_plan(text)
    assert not marker.exists()


def test_the_observations_csv_escapes_breakdown_values_a_spreadsheet_would_run(tmp_path):
    from journey.cli import main

    folder = tmp_path / "extract"
    folder.mkdir()
    (folder / "children.csv").write_bytes(CHILDREN)
    (folder / "referrals.csv").write_bytes(
        b"referral_id,child_id,referral_date,team\nR1,C1,2023-06-03,=HYPERLINK(1)\n"
        b"R2,C2,2023-06-10,North\n"
    )
    (folder / "extract.json").write_bytes(b'{"as_at": "2023-07-03"}')
    out = tmp_path / "observations.csv"
    result = CliRunner().invoke(
        main,
        ["compute", "--data", str(folder), "--from", "2023-06", "--to", "2023-06",
         "--measures", "referrals_count", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    cells = [c for row in csv.reader(io.StringIO(out.read_text())) for c in row]
    assert "North" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "@"))]
