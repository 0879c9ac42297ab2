"""Parsing text into typed columns (errors) and the business rules (warnings, flagged rows)."""

from datetime import date

import polars as pl
from polars.testing import assert_frame_equal

from journey.engine.casedata.problems import ERROR, WARNING
from journey.engine.casedata.schema import FLAG_COLUMN, SCHEMA
from journey.engine.casedata.validation import (
    ROW,
    Source,
    code_list_text,
    normalise_header,
    parse_table,
    validate,
)

AS_AT = date(2024, 3, 31)


def _raw(rows: dict[str, list]) -> pl.DataFrame:
    n = len(next(iter(rows.values())))
    return pl.DataFrame(
        {
            **{k: pl.Series(k, v, dtype=pl.String) for k, v in rows.items()},
            ROW: list(range(2, n + 2)),
        }
    )


def _parse(table: str, rows: dict[str, list], file: str | None = None):
    frame, problems = parse_table(
        table, _raw(rows), Source(f"{table}.csv" if file is None else file)
    )
    return frame, problems


def _texts(problems) -> list[str]:
    """The problems in words, leaving out DfE's own rules (tested in dfe_rules/)."""
    return [str(p) for p in problems if not p.code.startswith("dfe_")]


def test_headers_match_ignoring_case_spaces_and_underscores():
    assert normalise_header(" Referral  Date ") == "referral_date"
    assert normalise_header("REFERRAL_DATE") == "referral_date"
    assert normalise_header("\ufeffchild-id") == "child_id"
    assert normalise_header("Date\u00a0of birth") == "date_of_birth"


def test_iso_and_uk_dates_are_read_and_impossible_or_ambiguous_dates_are_errors():
    frame, problems = _parse("population", {"year": ["2023"] * 1, "population_0_17": ["1"]})
    assert problems == []
    frame, problems = _parse(
        "cp_reviews",
        {
            "child_id": ["C1", "C1", "C1", "C1", "C1", "C1"],
            "cp_plan_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
            "review_date": [
                "2023-01-05",
                "5/1/2023",
                "05/01/2023",
                "31/02/2023",
                "01/02/23",
                "2023-03-04 00:00:00",
            ],
        },
    )
    assert frame["review_date"].to_list() == [
        date(2023, 1, 5),
        date(2023, 1, 5),
        date(2023, 1, 5),
        None,
        None,
        date(2023, 3, 4),
    ]
    assert _texts(problems) == [
        "cp_reviews.csv row 5, column review_date: '31/02/2023' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
        "cp_reviews.csv row 6, column review_date: '01/02/23' is not a date (expected YYYY-MM-DD or DD/MM/YYYY): "
        "the year has two digits; export the dates with four-digit years (DD/MM/YYYY)",
    ]
    assert {p.severity for p in problems} == {ERROR}


def test_identifiers_lose_spaces_and_a_spreadsheets_decimal_point_child_ids_are_upper_cased_and_scientific_notation_is_an_error():
    frame, problems = _parse("children", {"child_id": [" 123.0 ", "ab12", "1.23457E+11", "12.5"]})
    assert frame["child_id"].to_list() == ["123", "AB12", "1.23457E+11", "12.5"]
    assert [p.code for p in problems] == ["unreadable_value"]
    assert problems[0].row == 4
    assert problems[0].value == "1.23457E+11"
    assert "scientific notation" in problems[0].message


def test_yes_no_values_accept_the_documented_spellings_only():
    frame, problems = _parse(
        "children",
        {
            "child_id": ["A", "B", "C", "D", "E", "F", "G"],
            "unborn": ["Y", "no", "TRUE", "0", "", None, "maybe"],
        },
    )
    assert frame["unborn"].to_list() == [True, False, True, False, None, None, None]
    assert _texts(problems) == [
        "children.csv row 8, column unborn: 'maybe' is not yes or no (expected Y/N, yes/no, true/false or 1/0)"
    ]


def test_codes_are_matched_without_regard_to_case_and_stored_as_the_list_writes_them():
    frame, problems = _parse(
        "cla_episodes",
        {
            "child_id": ["C1", "C1"],
            "episode_start": ["2023-01-01", "2023-02-01"],
            "placement_type": ["u1", "zz"],
        },
    )
    assert frame["placement_type"].to_list() == ["U1", "zz"]
    assert problems == []


def test_a_missing_required_column_is_an_error_at_the_header_row_and_nothing_is_typed():
    frame, problems = parse_table(
        "referrals",
        _raw({"referral_id": ["R1"], "child_id": ["C1"]}),
        Source("referrals.csv", header_row=1),
    )
    assert _texts(problems) == [
        "referrals.csv row 1, column referral_date: required column referral_date is missing"
    ]
    assert frame.height == 0


def test_a_blank_required_value_is_an_error_and_an_unreadable_one_is_not_also_called_blank():
    _, problems = _parse(
        "referrals",
        {
            "referral_id": ["R1", "R2"],
            "child_id": ["", "C2"],
            "referral_date": ["2023-01-01", "bad"],
        },
    )
    assert _texts(problems) == [
        "referrals.csv row 2, column child_id: child_id is blank but every row needs one",
        "referrals.csv row 3, column referral_date: 'bad' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
    ]


def test_problems_name_the_column_as_headed_in_the_file():
    raw = _raw({"referral_id": ["R1"], "child_id": ["C1"], "referral_date": ["never"]})
    _, problems = parse_table(
        "referrals", raw, Source("list3.xlsx", "List 3", {"referral_date": "Date of referral"})
    )
    assert _texts(problems) == [
        "list3.xlsx sheet 'List 3' row 2, column Date of referral: 'never' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)"
    ]


def test_a_formula_escape_apostrophe_is_removed_on_reading():
    frame, _ = _parse("children", {"child_id": ["C1"], "upn": ["'=A1"]})
    assert frame["upn"].to_list() == ["=A1"]


def test_long_code_lists_are_shortened_in_messages():
    assert code_list_text({"A": "", "B": ""}) == "A, B"
    assert code_list_text({c: "" for c in "ABCDEFGHIJ"}) == "A, B, ..., J"


# --- business rules -----------------------------------------------------------------------


def _typed(table: str, rows: dict[str, list]) -> pl.DataFrame:
    frame, problems = _parse(table, rows)
    assert [p for p in problems if p.severity == ERROR] == []
    return frame


CHILDREN = {
    "child_id": ["C1", "C2", "U1"],
    "date_of_birth": ["2015-06-01", "2020-01-01", "2024-06-01"],
    "unborn": ["N", "N", "Y"],
}


def test_business_rules_give_warnings_and_flag_exactly_the_rows_concerned():
    referrals = _typed(
        "referrals",
        {
            "referral_id": ["R1", "R2", "R3", "R4", "R4", "R6", "R7"],
            "child_id": ["C1", "C2", "C9", "C1", "C1", "C1", "C2"],
            "referral_date": [
                "2023-01-01",
                "2019-12-31",
                "2023-01-01",
                "2023-02-01",
                "2023-03-01",
                "2024-04-01",
                "2024-03-31",
            ],
            "closure_date": ["2022-12-31", None, None, None, None, None, None],
            "closure_reason": ["RC8", None, None, None, None, None, None],
            "source": ["1A", "1A", "1A", "XX", None, None, "1a"],
        },
    )
    # (DfE's own rules, also flagging these rows, are tested in tests/engine/casedata/dfe_rules.)
    tables, problems = validate(
        {"children": _typed("children", CHILDREN), "referrals": referrals},
        as_at=AS_AT,
        dfe_rules=False,
    )
    assert all(p.severity == WARNING for p in problems)
    assert [(p.code, p.row, p.column) for p in problems] == [
        ("end_before_start", 2, "closure_date"),
        ("before_birth", 3, "referral_date"),
        ("unknown_reference", 4, "child_id"),
        ("unknown_code", 5, "source"),
        ("duplicate_key", 6, "referral_id"),
        ("after_extract_date", 7, "referral_date"),
    ]
    assert _texts(problems) == [
        "referrals.csv row 2, column closure_date: closure_date 2022-12-31 is before referral_date 2023-01-01",
        "referrals.csv row 3, column referral_date: referral_date 2019-12-31 is before the child's date of birth 2020-01-01",
        "referrals.csv row 4, column child_id: 'C9' is not a child_id in the children table",
        "referrals.csv row 5, column source: 'XX' is not a source code (1A, 1B, ..., 10)",
        "referrals.csv row 6, column referral_id: repeats the key (referral_id 'R4') of row 5",
        "referrals.csv row 7, column referral_date: referral_date 2024-04-01 is after the extract date 2024-03-31",
    ]
    assert tables["referrals"].select("referral_id", FLAG_COLUMN).collect().to_dicts() == [
        {"referral_id": "R1", FLAG_COLUMN: True},
        {"referral_id": "R2", FLAG_COLUMN: True},
        {"referral_id": "R3", FLAG_COLUMN: True},
        {"referral_id": "R4", FLAG_COLUMN: True},
        {"referral_id": "R4", FLAG_COLUMN: True},
        {"referral_id": "R6", FLAG_COLUMN: True},
        {"referral_id": "R7", FLAG_COLUMN: False},
    ]


def test_every_table_comes_back_lazy_with_its_schema_and_the_flag_even_when_absent():
    tables, problems = validate({}, as_at=AS_AT)
    assert problems == []
    assert len(tables) == len(SCHEMA)
    visits = tables["visits"]
    assert isinstance(visits, pl.LazyFrame)
    assert visits.collect_schema().names()[-1] == FLAG_COLUMN
    assert visits.collect().height == 0


def test_a_cp_plan_for_a_child_with_no_referral_is_not_a_problem():
    plans = _typed(
        "cp_plans", {"cp_plan_id": ["P1"], "child_id": ["C1"], "start_date": ["2023-05-01"]}
    )
    tables, problems = validate(
        {"children": _typed("children", CHILDREN), "cp_plans": plans}, as_at=AS_AT
    )
    assert problems == []
    assert_frame_equal(
        tables["cp_plans"].select(FLAG_COLUMN).collect(), pl.DataFrame({FLAG_COLUMN: [False]})
    )


def test_overlapping_looked_after_episodes_for_the_same_child_are_reported_on_the_later_episode():
    episodes = _typed(
        "cla_episodes",
        {
            "child_id": ["C1", "C1", "C1", "C2", "C2"],
            "episode_start": ["2023-01-01", "2023-03-01", "2023-02-01", "2023-01-01", "2023-02-01"],
            "episode_end": ["2023-02-01", None, "2023-03-05", "2023-02-01", None],
            "reason_ceased": ["X1", None, "E13", "X1", None],
        },
    )
    tables, problems = validate(
        {"children": _typed("children", CHILDREN), "cla_episodes": episodes}, as_at=AS_AT
    )
    # C1: 01-01..02-01, then 02-01..03-05 (touching the first is fine), then 03-01 starts before 03-05.
    # C2: an episode ending the day the next starts (X1) does not overlap.
    assert _texts(problems) == [
        "cla_episodes.csv row 3, column episode_start: episode starting 2023-03-01 overlaps the child's previous episode (2023-02-01 to 2023-03-05)"
    ]
    assert tables["cla_episodes"].collect()[FLAG_COLUMN].to_list() == [
        False,
        True,
        False,
        False,
        False,
    ]


def test_an_open_episode_followed_by_another_is_an_overlap():
    episodes = _typed(
        "cla_episodes", {"child_id": ["C1", "C1"], "episode_start": ["2023-01-01", "2023-06-01"]}
    )
    _, problems = validate(
        {"children": _typed("children", CHILDREN), "cla_episodes": episodes},
        as_at=AS_AT,
        dfe_rules=False,
    )
    assert [p.message for p in problems] == [
        "episode starting 2023-06-01 overlaps the child's previous episode (started 2023-01-01, still open)"
    ]


def test_an_unborn_child_may_have_pre_birth_work_but_not_be_looked_after_or_overdue():
    children = _typed(
        "children",
        {
            "child_id": ["U1", "U2"],
            "date_of_birth": ["2024-06-01", "2024-01-01"],
            "unborn": ["Y", "yes"],
        },
    )
    referrals = _typed(
        "referrals", {"referral_id": ["R1"], "child_id": ["U1"], "referral_date": ["2024-02-01"]}
    )
    episodes = _typed("cla_episodes", {"child_id": ["U1"], "episode_start": ["2024-03-01"]})
    tables, problems = validate(
        {"children": children, "referrals": referrals, "cla_episodes": episodes}, as_at=AS_AT
    )
    assert _texts(problems) == [
        "children.csv row 3, column unborn: the child is recorded as unborn but the expected date of birth 2024-01-01 is before the extract date 2024-03-31",
        "cla_episodes.csv row 2, column child_id: child 'U1' is recorded as unborn but has a looked-after episode",
    ]
    assert tables["referrals"].collect()[FLAG_COLUMN].to_list() == [False]
    assert tables["children"].collect()[FLAG_COLUMN].to_list() == [False, True]


def test_references_to_an_absent_table_are_reported_once_and_flag_nothing():
    visits = _typed(
        "visits",
        {
            "visit_id": ["V1", "V2"],
            "child_id": ["C1", "C1"],
            "visit_date": ["2024-01-01"] * 2,
            "visit_type": ["CP"] * 2,
            "worker_id": ["W1", "W2"],
        },
    )
    tables, problems = validate(
        {"children": _typed("children", CHILDREN), "visits": visits}, as_at=AS_AT
    )
    assert _texts(problems) == [
        "column worker_id: worker_id values were not checked: the extract has no workers table"
    ]
    assert tables["visits"].collect()[FLAG_COLUMN].to_list() == [False, False]


def test_a_composite_key_repeat_names_every_key_column():
    reviews = _typed(
        "cla_reviews", {"child_id": ["C1", "C1"], "review_date": ["2023-05-01", "2023-05-01"]}
    )
    _, problems = validate(
        {"children": _typed("children", CHILDREN), "cla_reviews": reviews}, as_at=AS_AT
    )
    assert [p.message for p in problems] == [
        "repeats the key (child_id 'C1', review_date 2023-05-01) of row 2"
    ]


def test_beyond_the_listing_limit_one_line_says_how_many_more_and_every_row_is_still_flagged(
    monkeypatch,
):
    from journey.engine.casedata import validation

    monkeypatch.setattr(validation, "PROBLEMS_LISTED", 2)
    children = _typed("children", {"child_id": ["A", "B", "C", "D", "E"], "sex": ["X"] * 5})
    tables, problems = validate({"children": children}, as_at=AS_AT)
    assert _texts(problems) == [
        "children.csv, column sex: ... and 3 more rows with this problem (the first 2 are listed)",
        "children.csv row 2, column sex: 'X' is not a sex code (M, F, U)",
        "children.csv row 3, column sex: 'X' is not a sex code (M, F, U)",
    ]
    assert tables["children"].collect()[FLAG_COLUMN].to_list() == [True] * 5
    _, errors = _parse("children", {"child_id": ["A", "B", "C"], "date_of_birth": ["x", "y", "z"]})
    assert _texts(errors) == [
        "children.csv, column date_of_birth: ... and 1 more rows with this problem (the first 2 are listed)",
        "children.csv row 2, column date_of_birth: 'x' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
        "children.csv row 3, column date_of_birth: 'y' is not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
    ]


def test_other_identifiers_keep_their_case():
    frame, _ = _parse(
        "referrals",
        {
            "referral_id": ["ref-1"],
            "child_id": ["c1"],
            "referral_date": ["2023-01-01"],
            "worker_id": ["w7"],
        },
    )
    assert frame.select("referral_id", "child_id", "worker_id").row(0) == ("ref-1", "C1", "w7")


def test_an_end_date_and_its_reason_come_together():
    episodes = _typed(
        "cla_episodes",
        {
            "child_id": ["C1", "C1", "C2"],
            "episode_start": ["2023-01-01", "2023-03-01", "2023-01-01"],
            "episode_end": ["2023-02-01", None, None],
            "reason_ceased": [None, None, "E13"],
        },
    )
    referrals = _typed(
        "referrals",
        {
            "referral_id": ["R1"],
            "child_id": ["C1"],
            "referral_date": ["2023-01-01"],
            "closure_reason": ["RC8"],
        },
    )
    tables, problems = validate(
        {
            "children": _typed("children", CHILDREN),
            "cla_episodes": episodes,
            "referrals": referrals,
        },
        as_at=AS_AT,
    )
    assert _texts(problems) == [
        "referrals.csv row 2, column closure_date: closure_reason 'RC8' is given but closure_date is blank",
        "cla_episodes.csv row 2, column reason_ceased: episode_end 2023-02-01 is given but reason_ceased is blank",
        "cla_episodes.csv row 4, column episode_end: reason_ceased 'E13' is given but episode_end is blank",
    ]
    assert tables["cla_episodes"].collect()[FLAG_COLUMN].to_list() == [True, False, True]


def test_an_x1_end_needs_the_next_episode_to_start_that_day():
    episodes = _typed(
        "cla_episodes",
        {
            "child_id": ["C1", "C1", "C1", "C2", "C2"],
            "episode_start": ["2023-01-01", "2023-02-01", "2023-04-01", "2023-01-01", "2023-02-01"],
            "episode_end": ["2023-02-01", "2023-03-01", "2023-05-01", "2023-02-01", None],
            "reason_ceased": ["X1", "X1", "X1", "X1", None],
        },
    )
    _, problems = validate(
        {"children": _typed("children", CHILDREN), "cla_episodes": episodes}, as_at=AS_AT
    )
    # C1: the first X1 is followed the same day; the second leaves a gap (next starts 04-01);
    # the third has no later episode. C2's X1 is followed the same day.
    assert _texts(problems) == [
        "cla_episodes.csv row 3, column reason_ceased: the episode ended 2023-03-01 with X1 (a new episode starts the same day) but the child's next episode starts 2023-04-01",
        "cla_episodes.csv row 4, column reason_ceased: the episode ended 2023-05-01 with X1 (a new episode starts the same day) but the child has no later episode",
    ]
