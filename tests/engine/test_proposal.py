"""A load as a proposal: checks against the plan and the data in use, and the figure diff."""

from __future__ import annotations

from datetime import date

import polars as pl
from polars.testing import assert_frame_equal

from journey.engine.casedata.load import read_files
from journey.engine.casedata.schema import Extract
from journey.engine.measures import Request, compute_requests, not_computable
from journey.engine.plan import parse_plan
from journey.engine.proposal import (
    ExtractFacts,
    check_extract,
    coverage,
    diff_figures,
    extract_facts,
    figures_frame,
    overlay,
)

PLAN = """
title: Test plan
authority:
  name: Test Council
  la_code: "999"
  population_0_17:
    2023: 10000
priorities:
  - id: A
    title: Front door
    measures:
      - id: referrals
        title: Referrals in month
        unit: count
        polarity: within_range
        bands:
          green: {lower: 2, upper: 4}
          amber: {lower: 1, upper: 6}
        source:
          computed: referrals_count
      - id: cla
        title: Children looked after
        unit: count
        polarity: lower_is_better
        targets:
          "2023-04": 10
        tolerance:
          points: 2
        source:
          computed: cla_count
"""


def _plan():
    return parse_plan(PLAN, "plan.yaml", library_ids=None)


def _figures(rows):
    """(measure, period, breakdown_value, value, snapshot) → figures (breakdown 'team' when a
    breakdown value is given)."""
    return figures_frame(
        pl.DataFrame(
            [
                {
                    "measure_id": m,
                    "period": p,
                    "period_type": "month",
                    "breakdown": "team" if cell else "",
                    "breakdown_value": cell,
                    "value": v,
                    "snapshot": s,
                }
                for m, p, cell, v, s in rows
            ]
        )
    )


def _facts(**given):
    values = {
        "la_code": "999",
        "as_at": date(2024, 3, 31),
        "first_event": date(2022, 4, 1),
        "last_event": date(2024, 3, 30),
        "children": 1000,
        "population": {2023: 10_000},
        "present": ("children", "referrals", "cla_episodes"),
        "rows": {},
        "format": "canonical",
    }
    values.update(given)
    return ExtractFacts(**values)


def _by_code(checks):
    return {c.code: c for c in checks}


def test_a_new_snapshot_replaces_only_the_measures_and_months_it_computed():
    old = _figures(
        [
            ("referrals", "2024-01", "", 3.0, "A"),
            ("referrals", "2024-02", "", 4.0, "A"),
            ("referrals", "2024-02", "North", 4.0, "A"),
            ("cla", "2024-02", "", 9.0, "A"),
        ]
    )
    new = _figures([("referrals", "2024-02", "", 5.0, "B"), ("referrals", "2024-03", "", 1.0, "B")])
    after = overlay(old, new)
    expected = _figures(
        [
            ("cla", "2024-02", "", 9.0, "A"),
            ("referrals", "2024-01", "", 3.0, "A"),
            ("referrals", "2024-02", "", 5.0, "B"),
            ("referrals", "2024-03", "", 1.0, "B"),
        ]
    )
    # The North cell of February is gone: B's February replaces the whole month of the measure.
    assert_frame_equal(after, expected.sort(["measure_id", "period", "period_type", "breakdown", "breakdown_value"]))
    assert coverage(new) == {"referrals": ["2024-02", "2024-03"]}


def test_the_diff_counts_figures_by_month_and_lists_the_largest_move_first_with_its_rag():
    old = _figures(
        [
            ("referrals", "2024-01", "", 3.0, "A"),
            ("referrals", "2024-02", "", 4.0, "A"),
            ("referrals", "2024-02", "North", 4.0, "A"),
            ("cla", "2024-02", "", 9.0, "A"),
        ]
    )
    new = _figures(
        [
            ("referrals", "2024-01", "", 3.0, "B"),
            ("referrals", "2024-02", "", 8.0, "B"),
            ("referrals", "2024-03", "", 2.0, "B"),
            ("cla", "2024-02", "", 10.0, "B"),
        ]
    )
    diff = diff_figures(old, new, _plan())
    assert (diff.changed, diff.added, diff.removed, diff.unchanged) == (2, 1, 1, 1)
    assert [(m.month, m.figures, m.headline) for m in diff.months] == [
        ("2024-02", 3, 2),
        ("2024-03", 1, 1),
    ]
    moves = [(m.measure_id, m.month, m.old_text, m.new_text, m.old_rag, m.new_rag) for m in diff.moves]
    # 4 → 8 is a move of 0.5, a new figure counts as 1, 9 → 10 is 0.1.
    assert moves == [
        ("referrals", "2024-03", "no figure", "2", "Not rated", "Green"),
        ("referrals", "2024-02", "4", "8", "Green", "Red"),
        ("cla", "2024-02", "9", "10", "Green", "Green"),
    ]


def test_a_figure_that_can_no_longer_be_computed_shows_as_not_computed_in_the_diff():
    old = _figures([("cla", "2024-02", "", 9.0, "A")])
    # The new snapshot covers February for cla but produced no headline figure.
    new = _figures([("cla", "2024-02", "North", 9.0, "B")])
    diff = diff_figures(old, new, _plan())
    assert [(m.old_text, m.new_text) for m in diff.moves] == [("9", "not computed")]


def test_an_extract_from_another_council_is_an_error():
    checks = _by_code(check_extract(_facts(la_code="123"), _plan(), None))
    assert checks["la_code"].severity == "error"
    assert "LA code 123" in checks["la_code"].message and "(LA code 999)" in checks["la_code"].message


def test_codes_of_two_kinds_are_not_compared_but_said_to_be_so():
    checks = _by_code(check_extract(_facts(la_code="E09000999"), _plan(), None))
    assert checks["la_code"].severity == "information"
    assert "cannot be compared" in checks["la_code"].message


def test_an_extract_that_does_not_name_its_council_is_told_so_but_not_stopped():
    checks = _by_code(check_extract(_facts(la_code=None), _plan(), None))
    assert checks["la_code"].severity == "information"
    assert "does not say which council" in checks["la_code"].message


def test_a_population_more_than_a_fifth_from_the_plans_must_be_acknowledged():
    plan = _plan()
    close = _by_code(check_extract(_facts(population={2023: 11_900}), plan, None))
    assert close["population"].severity == "information"
    far = _by_code(check_extract(_facts(population={2023: 2_000}), plan, None))
    assert far["population"].severity == "acknowledge"
    assert "2,000" in far["population"].message and "10,000" in far["population"].message
    assert "-80%" in far["population"].message


def test_fewer_children_than_the_data_in_use_and_an_older_extract_must_be_acknowledged():
    current = _facts(children=40_000, as_at=date(2024, 9, 30))
    checks = _by_code(check_extract(_facts(children=2_400), _plan(), current))
    assert checks["children"].severity == "acknowledge"
    assert "2,400" in checks["children"].message and "40,000" in checks["children"].message
    assert checks["older"].severity == "acknowledge"
    assert "30 September 2024" in checks["older"].message


def test_measures_whose_tables_are_absent_must_be_acknowledged_and_none_computable_is_an_error():
    plan = _plan()
    some = _by_code(check_extract(_facts(), plan, None, {"cla": ("cla_episodes",)}, computed=1))
    assert some["tables"].severity == "acknowledge"
    assert "1 of the plan's 2 computed measures" in some["tables"].message
    assert "Children looked after (needs cla_episodes)" in some["tables"].message
    none = _by_code(
        check_extract(_facts(), plan, None, {"cla": ("cla_episodes",), "referrals": ("referrals",)}, 0)
    )
    assert none["tables"].severity == "error"


def test_the_facts_of_an_extract_are_its_council_dates_children_population_and_tables():
    files = {
        "extract.json": b'{"as_at": "2024-03-31", "la_code": "999"}',
        "children.csv": b"child_id,date_of_birth\nC1,2010-01-01\nC2,2012-05-05\n",
        "referrals.csv": b"referral_id,child_id,referral_date\nR1,C1,2023-04-03\nR2,C2,2024-02-01\n",
        "population.csv": b"year,population_0_17\n2023,10200\n",
    }
    extract, report = read_files(files)
    assert report.ok, report.render_text()
    facts = extract_facts(extract, "canonical")
    assert facts.la_code == "999" and facts.as_at == date(2024, 3, 31)
    assert (facts.first_event, facts.last_event) == (date(2023, 4, 3), date(2024, 2, 1))
    assert facts.children == 2 and facts.population == {2023: 10200}
    assert facts.present == ("children", "population", "referrals")
    # One referral in April 2023, one in February 2024: half their median is reached in April.
    assert facts.referrals_from == date(2023, 4, 1)
    assert ExtractFacts.from_dict(facts.to_dict()) == facts


def test_an_extract_with_no_rows_in_any_table_is_an_error():
    _, report = read_files({"children.csv": b"child_id\n", "referrals.csv": b"referral_id,child_id,referral_date\n"})
    assert not report.ok
    assert [p.code for p in report.errors] == ["no_rows"]
    assert "gave no case records" in report.errors[0].message


def test_an_xml_file_read_as_ssda903_is_an_error_not_usable():
    xml = b"<?xml version='1.0' encoding='utf-8'?>\n<EXPSSDA903 />"  # a return with no children
    _, report = read_files({"ssda903_2024.xml": xml}, format="ssda903", as_at=date(2024, 3, 31))
    assert not report.ok
    assert "no_rows" in {p.code for p in report.errors}
    assert "REJECTED" in report.render_text()


def test_an_la_code_that_is_not_three_digits_is_an_error_naming_the_file():
    _, report = read_files(
        {"extract.json": b'{"as_at": "2024-03-31", "la_code": "Northfield"}', "children.csv": b"child_id\nC1\n"}
    )
    assert [str(p) for p in report.errors] == [
        "extract.json, column la_code: 'NORTHFIELD' is not an LA code (DfE's three-digit code "
        "such as 999, or the ONS code such as E09000999)"
    ]


def test_a_measure_whose_tables_the_extract_did_not_give_gets_no_figure_rather_than_zero():
    extract, _ = read_files(
        {"referrals.csv": b"referral_id,child_id,referral_date\nR1,C1,2024-01-10\n"},
        as_at=date(2024, 3, 31),
    )
    requests = [Request("referrals", "referrals_count"), Request("cla", "cla_count")]
    assert not_computable(requests, extract) == {"cla": ("cla_episodes",)}
    figures = compute_requests(extract, "2024-01", "2024-03", requests, breakdowns=[])
    assert set(figures["measure_id"]) == {"referrals"}
    # Without knowing which tables were given (an older snapshot), every table counts.
    unknown = Extract(extract.tables, as_at=extract.as_at)
    assert not_computable(requests, unknown) == {}


REREFERRAL_PLAN = PLAN + """
      - id: rereferrals
        title: Re-referrals within 12 months
        unit: percent
        polarity: lower_is_better
        targets:
          "2024-03": 20
        source:
          computed: rereferrals_12m_pct
"""


def test_re_referral_figures_reaching_back_before_the_extracts_referrals_must_be_acknowledged():
    plan = parse_plan(REREFERRAL_PLAN, "plan.yaml", library_ids=None)
    # Referrals complete from April 2023, so a referral before 1 April 2024 cannot see
    # the 12 months before it. Figures from October 2023 to September 2024: monthly and
    # year-to-date figures to March 2024 are understated, and every rolling 12-month figure
    # to September 2024 (September's covers October 2023 onwards).
    facts = _facts(as_at=date(2024, 10, 14), referrals_from=date(2023, 4, 1))
    checks = _by_code(check_extract(facts, plan, None, first_month="2023-10"))
    check = checks["referral_history"]
    assert check.severity == "acknowledge"
    assert check.message.startswith(
        "The extract's referrals (referrals table, referral_date) are complete only from April 2023"
    )
    assert (
        "Re-referrals within 12 months: a referral before 1 April 2024 cannot be matched with one up to "
        "12 months earlier, so these figures are understated: monthly figures to Mar-2024, year-to-date "
        "figures to Mar-2024, rolling 12-month figures to Sep-2024." in check.message
    )
    # With history from April 2021, October 2023's rolling figure starts in November 2022:
    # it sees back to November 2021. Nothing is understated, nothing to acknowledge.
    enough = _facts(as_at=date(2024, 10, 14), referrals_from=date(2021, 4, 1))
    assert not [c for c in check_extract(enough, plan, None, first_month="2023-10") if c.code.startswith("referral")]
    # A plan without the measure, or a measure that cannot be computed, is not warned about.
    assert not [c for c in check_extract(facts, _plan(), None, first_month="2023-10") if c.code.startswith("referral")]
    skipped = check_extract(facts, plan, None, {"rereferrals": ("referrals",)}, 2, first_month="2023-10")
    assert not [c for c in skipped if c.code.startswith("referral")]
