"""Fixture extracts with planted problems give exactly the expected messages, and the
analyst's guide (docs/data-format.md) matches the schema it documents."""

from __future__ import annotations

from pathlib import Path

from journey.engine.casedata.docs import BEGIN, END, schema_markdown
from journey.engine.casedata.load import read_path
from journey.engine.casedata.problems import RULES
from journey.engine.casedata.schema import FLAG_COLUMN

ROOT = Path(__file__).parents[3]
FIXTURES = ROOT / "tests" / "engine" / "fixtures" / "casedata"


def test_the_warnings_fixture_loads_with_exactly_the_planted_warnings():
    extract, report = read_path(FIXTURES / "warnings")
    assert report.ok
    assert [f"{p.severity.upper()} {p}" for p in report.sorted()] == [
        "WARNING README.txt: the file is not a canonical table and is ignored",
        "WARNING children.csv row 3, column Ethnicity: 'XXXX' is not an ethnicity code (WBRI, WIRI, ..., NOBT)",
        "WARNING children.csv row 5, column Unborn: the child is recorded as unborn but the expected date of birth 2024-01-10 is before the extract date 2024-03-31",
        "WARNING children.csv row 6, column Child ID: repeats the key (Child ID 'C001') of row 2",
        "WARNING cla_episodes.csv row 3, column episode_end: DfE SSDA903 rule 142: A new episode has started, but the previous episode has not ended.",
        "WARNING cla_episodes.csv row 3, column placement_type: 'U9' is not a placement type code (A3, A4, ..., Z1)",
        "WARNING cla_episodes.csv row 4, column episode_start: episode starting 2023-01-01 overlaps the child's previous episode (started 2022-06-01, still open)",
        "WARNING cla_episodes.csv row 4, column reason_new_episode: DfE SSDA903 rule 433: The reason for new episode suggests that this is a continuation episode, but the episode does not start on the same day as the last episode finished.",
        "WARNING cla_episodes.csv row 5, column child_id: child 'C005' is recorded as unborn but has a looked-after episode",
        "WARNING cp_plans.csv row 3, column end_date: DfE CIN census rule 8925: Child Protection Plan End Date earlier than Start Date",
        "WARNING cp_plans.csv row 3, column end_date: end_date 2023-07-01 is before start_date 2023-08-01",
        "WARNING cp_plans.csv row 4, column initial_category: 'ABC' is not an initial category code (NEG, PHY, SAB, EMO, MUL)",
        "WARNING referrals.csv row 3, column closure_date: DfE CIN census rule 8630: CIN Closure Date is before CIN Referral Date for the same CIN episode",
        "WARNING referrals.csv row 3, column closure_date: closure_date 2023-01-15 is before referral_date 2023-02-01",
        "WARNING referrals.csv row 3, column referral_date: DfE CIN census rule 8820: The dates on the CIN episodes for this child overlap",
        "WARNING referrals.csv row 4, column child_id: 'C099' is not a child_id in the children table",
        "WARNING referrals.csv row 5, column referral_date: referral_date 2024-04-15 is after the extract date 2024-03-31",
        "WARNING referrals.csv row 6, column referral_date: referral_date 2018-08-01 is before the child's date of birth 2018-09-03",
        "WARNING referrals.csv row 6, column referral_date: DfE CIN census rule 8820: The dates on the CIN episodes for this child overlap",
        "WARNING visits.csv row 1, column Notes: column Notes is not in the visits table and is ignored",
        "WARNING visits.csv row 5, column visit_type: 'home' is not a visit type code (CIN, CP, CLA)",
    ]
    flagged = {
        name: frame.filter(FLAG_COLUMN).collect().height for name, frame in extract.tables.items()
    }
    assert {name: n for name, n in flagged.items() if n} == {
        "children": 3,
        "cla_episodes": 3,
        "cp_plans": 2,
        "referrals": 4,
        "visits": 1,
    }


def test_the_errors_fixture_is_refused_with_exactly_the_planted_errors():
    _, report = read_path(FIXTURES / "errors")
    assert not report.ok
    assert [f"{p.severity.upper()} {p}" for p in report.sorted()] == [
        "ERROR children.csv row 3, column child_id: '1.20E+05' is an identifier in scientific notation (a spreadsheet has shortened it and the digits are lost): format the column as text and export again",
        "ERROR children.csv row 4, column date_of_birth: '31/02/2015' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
        "ERROR children.csv row 5, column child_id: child_id is blank but every row needs one",
        "ERROR cla_reviews.csv: the file is encoded as UTF-16; save it as 'CSV UTF-8' (or Windows-1252) instead",
        "ERROR referrals.csv row 1, column referral_date: required column referral_date is missing",
        "ERROR visits.csv row 3: row 3 has more values than the header's 4 columns (the first "
        "extra value is 'extra'): a value holding a comma must be in double quotes, or a column "
        "is missing its header",
        "ERROR workers.csv row 2, column fte: 'full' is not a number",
        "ERROR workers.csv row 3, column role: role is blank but every row needs one",
    ]


def test_every_problem_raised_is_a_documented_rule_with_the_right_severity():
    for folder in ("warnings", "errors"):
        _, report = read_path(FIXTURES / folder)
        for problem in report.problems:
            assert RULES[problem.code].severity == problem.severity, problem


def test_the_data_format_guide_embeds_the_current_generated_reference():
    document = (ROOT / "docs" / "data-format.md").read_text(encoding="utf-8")
    embedded = document[document.index(BEGIN) : document.index(END) + len(END) + 1]
    assert embedded == schema_markdown(), (
        "run: journey data schema-doc --update docs/data-format.md"
    )


def test_the_generated_reference_covers_every_table_column_and_rule():
    from journey.engine.casedata.schema import TABLES

    text = schema_markdown()
    for table in TABLES:
        assert f"#### `{table.name}` — {table.title}" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text
    for code in RULES:
        assert f"| `{code}` |" in text
    assert (
        "| `U9` |" not in text
        and "| `U4` | Foster placement with other foster carer – long term fostering |" in text
    )


def test_the_minimal_extract_in_the_guide_checks_clean():
    from journey.engine.casedata.load import read_files

    document = (ROOT / "docs" / "data-format.md").read_text(encoding="utf-8")
    block = document.split("**A minimal extract**")[1].split("```text\n")[1].split("```")[0]
    files: dict[str, list[str]] = {}
    name = ""
    for line in block.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            name, first = line.split(maxsplit=1)
            files[name] = [first]
        else:
            files[name].append(line.strip())
    extract, report = read_files(
        {n: ("\n".join(lines) + "\n").encode() for n, lines in files.items()}
    )
    assert report.problems == []
    assert report.tables == {"children": 2, "referrals": 2}
