"""The synthetic council through the canonical writer and reader: identical bytes, and
every planted problem found by validation on exactly the planted child's rows."""

from __future__ import annotations

from datetime import date

from journey.engine.casedata import canonical
from journey.engine.casedata.load import read_files
from journey.engine.casedata.schema import FLAG_COLUMN, Extract
from journey.engine.casedata.synth import synth_case_data, synth_extract_with_problems

SMALL = {"population": 1500, "first_month": "2023-01", "last_month": "2023-03", "seed": 3}


def test_synth_then_write_read_write_is_byte_identical_in_csv_and_xlsx_and_clean():
    files = canonical.to_csv_files(synth_case_data(**SMALL))
    extract, report = read_files(files)
    assert report.problems == []
    assert canonical.to_csv_files(extract) == files
    workbook = canonical.to_xlsx_bytes(extract)
    from_workbook, report = read_files({"extract.xlsx": workbook})
    assert report.problems == []
    assert canonical.to_xlsx_bytes(from_workbook) == workbook
    assert canonical.to_csv_files(from_workbook) == files


def test_each_planted_problem_is_found_on_the_planted_childs_rows():
    tables, planted = synth_extract_with_problems(**SMALL, plant=6)
    extract = Extract(
        {name: frame.lazy() for name, frame in tables.items()}, as_at=date(2023, 3, 31)
    )
    read, report = read_files(canonical.to_csv_files(extract))
    assert report.ok
    # DfE's rules (tested in dfe_rules/) also flag rows of the planted children only.
    assert {k: v for k, v in report.counts_by_rule().items() if not k.startswith("dfe_")} == {
        "end_before_start": 2,
        "overlapping_episodes": 1,
        "unknown_code": 2,
        "unknown_reference": 1,
    }
    flagged = {
        name: sorted(set(frame.filter(FLAG_COLUMN).collect()["child_id"].to_list()))
        for name, frame in read.tables.items()
        if name not in ("population", "workers", "supervisions")
    }
    expected: dict[str, list[str]] = {}
    for problem in planted:
        expected.setdefault(problem.table, []).append(problem.child_id)
    assert {name: ids for name, ids in flagged.items() if ids} == {
        name: sorted(set(ids)) for name, ids in expected.items()
    }
