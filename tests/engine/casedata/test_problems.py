"""Problems say where they are in the analyst's terms; the report counts and renders them."""

from __future__ import annotations

import json

from journey.engine.casedata.problems import (
    ERROR,
    WARNING,
    ExtractRejected,
    Problem,
    ValidationReport,
)


def _report() -> ValidationReport:
    return ValidationReport(
        problems=[
            Problem(
                WARNING,
                "unknown_code",
                "'U9' is not a placement type code (A3, A4, ..., Z1)",
                file="cla_episodes.csv",
                row=8,
                column="placement_type",
                value="U9",
                table="cla_episodes",
            ),
            Problem(
                ERROR,
                "unreadable_value",
                "'31/02/2023' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
                file="referrals.csv",
                row=14,
                column="referral_date",
                value="31/02/2023",
                table="referrals",
            ),
            Problem(
                WARNING,
                "unknown_code",
                "'X' is not a sex code (M, F, U)",
                file="annex_a.xlsx",
                sheet="List 1",
                row=4,
                column="Gender",
                table="contacts",
            ),
            Problem(
                WARNING,
                "unknown_file",
                "the file is not a canonical table and is ignored",
                file="notes.txt",
            ),
        ],
        tables={"referrals": 20, "cla_episodes": 9},
        format="canonical",
        files=["cla_episodes.csv", "referrals.csv", "notes.txt"],
    )


def test_a_problem_names_file_sheet_row_and_column_as_the_analyst_sees_them():
    report = _report()
    assert [str(p) for p in report.problems] == [
        "cla_episodes.csv row 8, column placement_type: 'U9' is not a placement type code (A3, A4, ..., Z1)",
        "referrals.csv row 14, column referral_date: '31/02/2023' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
        "annex_a.xlsx sheet 'List 1' row 4, column Gender: 'X' is not a sex code (M, F, U)",
        "notes.txt: the file is not a canonical table and is ignored",
    ]
    assert str(Problem(WARNING, "x", "no place at all")) == "no place at all"


def test_the_report_is_ok_with_warnings_but_not_with_errors():
    report = _report()
    assert not report.ok
    assert ValidationReport(problems=report.warnings).ok
    assert ValidationReport().ok


def test_the_report_counts_by_severity_table_and_rule():
    report = _report()
    assert report.counts_by_severity() == {"error": 1, "warning": 3}
    assert report.counts_by_table() == {
        "(extract)": {"error": 0, "warning": 1},
        "cla_episodes": {"error": 0, "warning": 1},
        "contacts": {"error": 0, "warning": 1},
        "referrals": {"error": 1, "warning": 0},
    }
    assert report.counts_by_rule() == {"unknown_code": 2, "unknown_file": 1, "unreadable_value": 1}


def test_the_sorted_report_puts_errors_first_then_file_sheet_and_row():
    assert [p.code for p in _report().sorted()] == [
        "unreadable_value",
        "unknown_code",
        "unknown_code",
        "unknown_file",
    ]
    assert [p.file for p in _report().sorted()] == [
        "referrals.csv",
        "annex_a.xlsx",
        "cla_episodes.csv",
        "notes.txt",
    ]


def test_the_json_report_round_trips_its_problems():
    report = _report()
    data = json.loads(report.to_json())
    assert data["ok"] is False
    assert data["counts"]["severity"] == {"error": 1, "warning": 3}
    assert data["problems"][0]["text"] == str(report.sorted()[0])
    assert [Problem.from_dict(p) for p in data["problems"]] == report.sorted()


def test_the_text_report_lists_tables_counts_and_problems_and_says_the_result():
    text = _report().render_text(limit=2)
    assert text.splitlines() == [
        "Format: canonical",
        "Files: cla_episodes.csv, referrals.csv, notes.txt",
        "Tables found:",
        "  referrals           20 rows",
        "  cla_episodes         9 rows",
        "Problems: 1 errors, 3 warnings",
        "  unknown_code                      2",
        "  unknown_file                      1",
        "  unreadable_value                  1",
        "ERROR   [unreadable_value] referrals.csv row 14, column referral_date: '31/02/2023' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
        "WARNING [unknown_code] annex_a.xlsx sheet 'List 1' row 4, column Gender: 'X' is not a sex code (M, F, U)",
        "... and 2 more (use the JSON report)",
        "Result: REJECTED: errors block the load",
    ]


def test_a_rejection_carries_the_report_and_names_the_first_error():
    rejected = ExtractRejected(_report())
    assert str(rejected) == (
        "the extract has 1 error(s) and was not loaded: referrals.csv row 14, column referral_date: "
        "'31/02/2023' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)"
    )
