"""``journey data``: check, load, list, export, remove and schema-doc from the command line."""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner

from journey.cli import main
from journey.engine.casedata import canonical
from journey.engine.casedata.docs import schema_markdown

from .conftest import make_extract


def _folder(tmp_path, files=None):
    folder = tmp_path / "extract"
    folder.mkdir()
    for name, data in (files or canonical.to_csv_files(make_extract())).items():
        (folder / name).write_bytes(data)
    return folder


def test_check_lists_what_it_found_and_exits_0_when_there_are_only_warnings(tmp_path):
    folder = _folder(tmp_path, {"children.csv": b"child_id,sex\nC1,X\n"})
    result = CliRunner().invoke(main, ["data", "check", str(folder)])
    assert result.exit_code == 0
    assert "Format: canonical" in result.output
    assert "  children         1 rows" in result.output
    assert (
        "WARNING [unknown_code] children.csv row 2, column sex: 'X' is not a sex code (M, F, U)"
        in result.output
    )
    assert "Result: usable" in result.output


def test_check_says_from_when_the_referrals_are_complete_and_which_re_referrals_it_cannot_see(tmp_path):
    # One referral in June 2021 still open, then two a month from April 2023 to June 2023:
    # median 2, half of it 1, so June 2021 would count... but nothing closed before May 2023
    # (closures: one in May, one in June), so the referrals are complete from May 2023.
    rows = ["R0,C0,2021-06-10,"] + [
        f"R{m}{i},C{m}{i},2023-0{m}-0{i + 1},{'2023-0' + str(m + 1) + '-15' if i == 0 and m < 6 else ''}"
        for m in (4, 5, 6) for i in range(2)
    ]
    children = "child_id\nC0\n" + "".join(f"C{m}{i}\n" for m in (4, 5, 6) for i in range(2))
    folder = _folder(tmp_path, {
        "children.csv": children.encode(),
        "referrals.csv": ("referral_id,child_id,referral_date,closure_date\n" + "\n".join(rows) + "\n").encode(),
    })
    result = CliRunner().invoke(main, ["data", "check", str(folder), "--as-at", "2023-06-30"])
    assert result.exit_code == 0, result.output
    assert (
        "Referrals: complete from May 2023 (referrals table, referral_date). Re-referrals within 12 "
        "months cannot be seen for referrals before 1 May 2024: figures for periods before then are "
        "understated." in result.output
    )


def test_check_exits_1_on_errors_and_reports_json_on_request(tmp_path):
    folder = _folder(tmp_path, {"children.csv": b"child_id,date_of_birth\nC1,2020-13-01\n"})
    result = CliRunner().invoke(
        main, ["data", "check", str(folder), "--format", "json", "--as-at", "2024-03-31"]
    )
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["ok"] is False
    assert report["tables"] == {"children": 1}
    assert report["counts"]["severity"] == {"error": 1, "warning": 0}
    assert [p["text"] for p in report["problems"]] == [
        "children.csv row 2, column date_of_birth: '2020-13-01' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)"
    ]


def _stored(folder, store, **options):
    """Keep an extract in a store folder as ``journey data load`` does (without a database)."""
    from journey.engine.casedata.load import files_from_path
    from journey.engine.casedata.store import Store

    info, _ = Store(store).load(files_from_path(folder), by=options.pop("by", "ana"), **options)
    return info


def test_list_export_and_remove_work_on_a_store_folder(tmp_path):
    folder = _folder(tmp_path)
    store = tmp_path / "store"
    snapshot_id = _stored(folder, store).id[:12]
    runner = CliRunner()
    listed = runner.invoke(main, ["data", "list", "--store", str(store)])
    assert snapshot_id in listed.output and "ana" in listed.output

    out = tmp_path / "out"
    exported = runner.invoke(
        main, ["data", "export", snapshot_id, "--out", str(out), "--store", str(store)]
    )
    assert exported.exit_code == 0, exported.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {
        p.name: p.read_bytes() for p in folder.iterdir()
    }

    removed = runner.invoke(
        main,
        ["data", "remove", snapshot_id, "--reason", "test", "--by", "admin", "--store", str(store)],
    )
    assert removed.exit_code == 0, removed.output
    assert (
        "The store holds no snapshots."
        in runner.invoke(main, ["data", "list", "--store", str(store)]).output
    )


def test_export_as_xlsx_writes_one_workbook(tmp_path):
    from journey.engine.casedata.store import Store

    store = tmp_path / "store"
    runner = CliRunner()
    info = _stored(_folder(tmp_path), store)
    target = tmp_path / "extract.xlsx"
    result = runner.invoke(
        main,
        [
            "data",
            "export",
            info.id,
            "--out",
            str(target),
            "--format",
            "xlsx",
            "--store",
            str(store),
        ],
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == canonical.to_xlsx_bytes(Store(store).load_snapshot(info.id))


def test_schema_doc_prints_the_generated_reference():
    result = CliRunner().invoke(main, ["data", "schema-doc"])
    assert result.exit_code == 0
    assert result.output == schema_markdown()


def test_verify_recomputes_a_snapshot_from_its_originals(tmp_path):

    store = tmp_path / "store"
    runner = CliRunner()
    info = _stored(_folder(tmp_path), store)
    result = runner.invoke(main, ["data", "verify", info.id[:12], "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "every table recomputes identically" in result.output
    missing = runner.invoke(main, ["data", "verify", "../x", "--store", str(store)])
    assert missing.exit_code == 1
    assert "is not a snapshot id" in missing.output


def test_check_honours_the_size_limits_set_in_the_environment(tmp_path, monkeypatch):
    folder = _folder(tmp_path, {"children.csv": b"child_id\nC1\nC2\nC3\n"})
    monkeypatch.setenv("JOURNEY_MAX_ROWS", "2")
    result = CliRunner().invoke(main, ["data", "check", str(folder), "--as-at", "2024-03-31"])
    assert result.exit_code == 1
    assert "over the limits of 2 rows" in result.output


def test_schema_doc_can_update_the_generated_section_of_a_document_in_place(tmp_path):
    from journey.engine.casedata.docs import BEGIN, END

    document = tmp_path / "guide.md"
    document.write_text(f"# Guide\n\n{BEGIN}\nstale\n{END}\n\nAfter.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["data", "schema-doc", "--update", str(document)])
    assert result.exit_code == 0, result.output
    assert document.read_text(encoding="utf-8") == f"# Guide\n\n{schema_markdown()}\nAfter.\n"


def test_report_shows_what_a_snapshot_was_accepted_with(tmp_path):

    store = tmp_path / "store"
    folder = _folder(tmp_path, {"children.csv": b"child_id,sex\nC1,X\n"})
    runner = CliRunner()
    info = _stored(folder, store, as_at=date(2024, 3, 31))
    result = runner.invoke(main, ["data", "report", info.id[:8], "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert (
        "WARNING [unknown_code] children.csv row 2, column sex: 'X' is not a sex code (M, F, U)"
        in result.output
    )
