"""Revisions to published figures: what counts as one, worked by hand."""

from __future__ import annotations

from datetime import date

from journey.engine.observations import (
    RatedFigure,
    observations_from_rows,
    rated_figures,
    values_for_evaluation,
)
from journey.engine.plan import parse_plan
from journey.engine.reports.inputs import months_printed
from journey.engine.revisions import PublishedReport, find_revisions, first_published

PLAN_TEXT = """
title: Test
authority: {name: Test Council, la_code: "998", population_0_17: {2024: 50000}}
priorities:
  - id: A
    title: A
    measures:
      - id: cp_visits
        title: CP visits in timescale
        unit: percent
        polarity: higher_is_better
        targets: {"2024-04": 85}
        tolerance: {floor: 80}
        source: manual
      - id: referrals
        title: Referrals
        unit: count
        polarity: lower_is_better
        source: manual
"""
PLAN = parse_plan(PLAN_TEXT)


def test_a_figure_that_reads_differently_at_the_measures_decimals_is_a_revision():
    published = {"cp_visits": {"2024-09": 84.0}}
    found = find_revisions(PLAN, published, {"cp_visits": {"2024-09": 84.6}}, ["2024-09"],
                           published_on={"2024-09": date(2024, 10, 15)})
    assert len(found) == 1
    r = found[0]
    assert (r.published_text, r.revised_text, r.change_text) == ("84.0%", "84.6%", "+0.6")
    assert (r.published_rag, r.revised_rag, r.rating_changed) == ("amber", "amber", False)
    assert r.words == "September 2024: published 84.0%, revised 84.6% (+0.6)"
    assert r.published_on == date(2024, 10, 15)


def test_a_change_hidden_by_rounding_is_not_a_revision():
    assert find_revisions(PLAN, {"cp_visits": {"2024-09": 84.04}}, {"cp_visits": {"2024-09": 84.01}}, ["2024-09"]) == []


def test_a_revision_that_changes_the_rating_says_so():
    r = find_revisions(PLAN, {"cp_visits": {"2024-09": 79.5}}, {"cp_visits": {"2024-09": 85.2}}, ["2024-09"])[0]
    assert r.words == "September 2024: published 79.5% (Red), revised 85.2% (+5.7, Green)"


def test_a_figure_that_appears_or_disappears_is_a_revision_and_an_unpublished_month_is_not():
    published = {"cp_visits": {"2024-09": None}, "referrals": {"2024-09": 412.0}}
    current = {"cp_visits": {"2024-09": 90.0, "2024-10": 70.0}, "referrals": {}}
    found = find_revisions(PLAN, published, current, ["2024-09", "2024-10"])
    assert [(r.measure_id, r.month, r.change_text) for r in found] == [
        ("cp_visits", "2024-09", "new figure"),
        ("referrals", "2024-09", "figure withdrawn"),
    ]
    assert found[1].published_text == "412" and found[1].revised_text == "–"


def test_a_revision_names_the_snapshot_that_made_the_published_figure_and_the_one_that_makes_it_now():
    found = find_revisions(
        PLAN, {"cp_visits": {"2024-09": 84.0}, "referrals": {"2024-09": 31}},
        {"cp_visits": {"2024-09": 84.6}, "referrals": {}}, ["2024-09"],
        published_sources={"cp_visits": {"2024-09": "extract 3f2a9c1b"}, "referrals": {"2024-09": "entered by hand"}},
        current_sources={"cp_visits": {"2024-09": "extract 9d8e7f6a"}},
    )
    assert [(r.measure_id, r.sources_text) for r in found] == [
        ("cp_visits", "extract 3f2a9c1b → extract 9d8e7f6a"),
        ("referrals", "entered by hand → no figure"),
    ]


def test_the_rated_figure_is_the_whole_authority_month_or_the_year_to_date_for_a_cumulative_measure():
    plan = parse_plan(PLAN_TEXT.replace(  # referrals counted in the year to date
        "        polarity: lower_is_better\n", "        polarity: lower_is_better\n        cumulative_in_year: true\n"))
    frame = observations_from_rows([
        {"measure_id": "cp_visits", "period": "2024-09", "value": "84.0", "numerator": "84", "denominator": "100",
         "source": "computed", "snapshot": "3f2a9c1b" * 8},
        {"measure_id": "cp_visits", "period": "2024-09", "value": "70.0", "breakdown": "team", "breakdown_value": "North"},
        {"measure_id": "cp_visits", "period": "2024-09", "period_type": "fytd", "value": "82.0"},
        {"measure_id": "referrals", "period": "2024-09", "value": "12", "source": "manual"},
        {"measure_id": "referrals", "period": "2024-09", "period_type": "fytd", "value": "75", "source": "imported"},
        {"measure_id": "referrals", "period": "2024-08", "value": "10", "source": "imported"},
    ])
    rated = rated_figures(frame, plan)
    assert rated["cp_visits"] == {"2024-09": RatedFigure(84.0, 84.0, 100.0, "extract 3f2a9c1b")}
    assert rated["referrals"] == {"2024-08": RatedFigure(10.0, None, None, "imported"),
                                  "2024-09": RatedFigure(75.0, None, None, "imported")}
    assert {m: {p: f.value for p, f in by.items()} for m, by in rated.items()} == values_for_evaluation(frame, plan)


# ------------------------------------------------- which published figure is the published one


def _report(period: str, day: date, figures: dict[str, dict[str, float]]) -> PublishedReport:
    return PublishedReport(
        period, day, {m: {month: RatedFigure(v) for month, v in by_month.items()} for m, by_month in figures.items()}
    )


def test_a_month_never_published_itself_keeps_the_figure_the_first_report_printing_it_gave():
    # September's report (out 15 October) printed August as 84.0%; October's (out 14 November)
    # printed it again as 84.6% after a reload. August was never published itself.
    september = _report("2024-09", date(2024, 10, 15), {"cp_visits": {"2024-08": 84.0, "2024-09": 87.0}})
    october = _report("2024-10", date(2024, 11, 14), {"cp_visits": {"2024-08": 84.6, "2024-09": 86.0, "2024-10": 88.0}})
    found = first_published([october, september])["cp_visits"]
    assert {month: (r.period, r.figures["cp_visits"][month].value) for month, r in found.items()} == {
        "2024-08": ("2024-09", 84.0),
        "2024-09": ("2024-09", 87.0),  # September's own report, not October's reprint
        "2024-10": ("2024-10", 88.0),
    }


def test_a_months_own_report_is_its_published_figure_even_when_published_after_a_later_month():
    # October went out first (printing September as 86.0%); September's own report followed.
    october = _report("2024-10", date(2024, 11, 14), {"cp_visits": {"2024-09": 86.0, "2024-10": 88.0}})
    september = _report("2024-09", date(2024, 11, 20), {"cp_visits": {"2024-09": 87.0}})
    found = first_published([october, september])["cp_visits"]
    assert (found["2024-09"].period, found["2024-09"].figures["cp_visits"]["2024-09"].value) == ("2024-09", 87.0)
    # A measure the month's own report did not print keeps the earlier report's figure.
    october_more = _report("2024-10", date(2024, 11, 14), {"referrals": {"2024-09": 40}})
    found = first_published([october_more, september])
    assert found["referrals"]["2024-09"].period == "2024-10"


def test_a_report_prints_its_months_table_of_months_shown_between_6_and_24():
    assert months_printed("2024-09", 12)[0] == "2023-10"
    assert months_printed("2024-09", 12)[-1] == "2024-09"
    assert months_printed("2024-09", 3) == ["2024-04", "2024-05", "2024-06", "2024-07", "2024-08", "2024-09"]
    assert len(months_printed("2024-09", 36)) == 24
