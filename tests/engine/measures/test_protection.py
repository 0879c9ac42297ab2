"""Child protection and child in need measures on hand-made data."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from journey.engine.measures import compute, drilldown

from .helpers import d, extract, figure

PLANS = [
    # a: on a plan since May 2021: two years or more at 30 June 2023 (on or before 30 June 2021).
    {"cp_plan_id": "p1", "child_id": "a", "start_date": "2021-05-01", "latest_category": "NEG", "team": "North"},
    # b: starts on 30 June: on a plan at 30 June.
    {"cp_plan_id": "p2", "child_id": "b", "start_date": "2023-06-30", "initial_category": "EMO", "team": "North"},
    # c: ends on 30 June: not on a plan at 30 June, on one at 31 May.
    {"cp_plan_id": "p3", "child_id": "c", "start_date": "2023-01-10", "end_date": "2023-06-30", "latest_category": "PHY", "team": "South"},
    # d: a plan ended in April and a second plan from 5 June.
    {"cp_plan_id": "p4", "child_id": "d", "start_date": "2023-03-01", "end_date": "2023-04-15", "initial_category": "NEG"},
    {"cp_plan_id": "p5", "child_id": "d", "start_date": "2023-06-05", "initial_category": "NEG", "team": "South"},
    # e: first plan here, but the system records 2 previous plans (elsewhere): a second plan.
    {"cp_plan_id": "p6", "child_id": "e", "start_date": "2023-06-10", "previous_plans": 2, "initial_category": "SAB", "team": "South"},
    # f: 1 June 2021 to 31 May 2023 is 729 days (365 + 365 - 1): not "more than 729".
    {"cp_plan_id": "p7", "child_id": "f", "start_date": "2021-06-01", "end_date": "2023-05-31"},
    # g: 31 May 2021 to 31 May 2023 is 730 days: lasted 2 years or more.
    {"cp_plan_id": "p8", "child_id": "g", "start_date": "2021-05-31", "end_date": "2023-05-31"},
]


def test_children_on_plans_at_month_end_count_starts_and_exclude_ends_on_the_day():
    ex = extract(cp_plans=PLANS, population=[{"year": 2023, "population_0_17": 10000}])
    out = compute(ex, "2023-05", "2023-06", ["cp_plans_count"], breakdowns=[])
    # 31 May: a, c (d's first plan ended in April, f and g ended on 31 May). 30 June: a, b, d, e.
    assert_frame_equal(out.select("period", "value"), pl.DataFrame({"period": ["2023-05", "2023-06"], "value": [2.0, 4.0]}))
    assert figure(ex, "cp_plans_rate_per_10k", "2023-06")["value"] == pytest.approx(4.0)
    # Latest category, falling back to the initial one: June has NEG (a, d), EMO (b), SAB (e).
    assert figure(ex, "cp_plans_count", "2023-06", breakdown="cp_category", cell="NEG")["value"] == 2


def test_second_or_subsequent_plans_count_occasions_from_history_or_recorded_previous_plans():
    ex = extract(cp_plans=PLANS)
    row = figure(ex, "cp_second_plan_pct", "2023-06")
    # June starts: p2 (first), p5 (d had p4), p6 (2 previous recorded): 2 / 3.
    assert (row["numerator"], row["denominator"]) == (2, 3)
    assert figure(ex, "cp_starts_count", "2023-06")["value"] == 3
    # Year to date: p5, p6, p2 in June plus none in April or May: still 3 starts; p4 was March.
    assert figure(ex, "cp_starts_count", "2023-06", "fytd")["value"] == 3
    reasons = dict(zip(*drilldown(ex, "cp_second_plan_pct", "2023-06").select("cp_plan_id", "reason"), strict=True))
    assert reasons["p5"] == "Second or later plan: started 2023-06-05, previous plan started 2023-03-01"
    assert reasons["p6"] == "Second or later plan: started 2023-06-10, 2 previous plans recorded"


def test_plans_lasting_two_years_open_at_the_date_and_ceasing_after_more_than_729_days():
    ex = extract(cp_plans=PLANS)
    # 30 June: a of a, b, d, e: 1 / 4.
    assert figure(ex, "cp_plans_2y_open_pct", "2023-06")["value"] == 25.0
    # May ends: p7 (729 days, no) and p8 (730 days, yes): 1 / 2.
    row = figure(ex, "cp_plans_ceased_2y_pct", "2023-05")
    assert (row["numerator"], row["denominator"]) == (1, 2)
    assert figure(ex, "cp_ends_count", "2023-06")["value"] == 1  # p3


REVIEW_PLANS = [
    {"cp_plan_id": "h", "child_id": "h", "start_date": "2023-01-16"},
    {"cp_plan_id": "i", "child_id": "i", "start_date": "2023-01-10"},
    {"cp_plan_id": "j", "child_id": "j", "start_date": "2023-03-15"},
    {"cp_plan_id": "k", "child_id": "k", "start_date": "2022-06-01"},
]
REVIEWS = [
    # h: first review exactly 3 months after the start (due 16 April): on time; next due 16 October.
    {"child_id": "h", "cp_plan_id": "h", "review_date": "2023-04-16"},
    # i: first review due 10 April, held 11 April: late, for good.
    {"child_id": "i", "cp_plan_id": "i", "review_date": "2023-04-11"},
    {"child_id": "i", "cp_plan_id": "i", "review_date": "2023-06-01"},
    # k: 30 Aug 2022 (due 1 Sep), then 28 Feb 2023 exactly 6 months later (due 28 Feb): on time.
    {"child_id": "k", "cp_plan_id": "k", "review_date": "2022-08-30"},
    {"child_id": "k", "cp_plan_id": "k", "review_date": "2023-02-28"},
    # j: no review; first due 15 June.
]


def test_cp_reviews_all_on_time_for_children_on_a_plan_three_months_or_more():
    ex = extract(cp_plans=REVIEW_PLANS, cp_reviews=REVIEWS)
    june = figure(ex, "cp_reviews_in_timescale_pct", "2023-06")
    # 30 June: all four on a plan 3+ months; h and k on time, i late, j overdue since 15 June.
    assert (june["numerator"], june["denominator"]) == (2, 4)
    # 30 April: j not yet on a plan 3 months (started 15 March); i's review was late: 2 / 3.
    april = figure(ex, "cp_reviews_in_timescale_pct", "2023-04")
    assert (april["numerator"], april["denominator"]) == (2, 3)
    # 31 March: only k (h started 16 Jan: 3 months on 16 April; i started 10 Jan: 10 April).
    march = figure(ex, "cp_reviews_in_timescale_pct", "2023-03")
    assert (march["numerator"], march["denominator"]) == (1, 1)
    reasons = dict(zip(*drilldown(ex, "cp_reviews_in_timescale_pct", "2023-06").select("child_id", "reason"), strict=True))
    assert reasons["h"] == "Reviews on time: last review 2023-04-16, next due by 2023-10-16"
    assert reasons["i"] == "Review due by 2023-04-10, held late on 2023-04-11"
    assert reasons["j"] == "Review overdue: due by 2023-06-15, not held by 2023-06-30"


VISIT_PLANS = [
    {"cp_plan_id": "v1", "child_id": "a", "start_date": "2023-06-01"},
    {"cp_plan_id": "v2", "child_id": "b", "start_date": "2023-05-01"},
    {"cp_plan_id": "v3", "child_id": "c", "start_date": "2023-06-26"},
    {"cp_plan_id": "v4", "child_id": "d", "start_date": "2023-01-01"},
    {"cp_plan_id": "v5", "child_id": "e", "start_date": "2023-05-01", "end_date": "2023-06-01"},
]
VISITS = [
    # a: seen Fri 2 June; 10 working days later is Fri 16 June: overdue at 30 June.
    {"visit_id": "1", "child_id": "a", "visit_date": "2023-06-02", "visit_type": "CP", "seen": True},
    # b: seen 20 June -> due 4 July (June 21-23, 26-30, July 3-4); a visit on 28 June where
    # b was not seen doesn't count.
    {"visit_id": "2", "child_id": "b", "visit_date": "2023-06-20", "visit_type": "CP", "seen": True},
    {"visit_id": "3", "child_id": "b", "visit_date": "2023-06-28", "visit_type": "CP", "seen": False},
    # d: only a child in need visit: no CP visit since the plan began.
    {"visit_id": "4", "child_id": "d", "visit_date": "2023-06-29", "visit_type": "CIN", "seen": True},
    # e: seen Fri 19 May -> 10 working days: May 22-26 (5), 30-31 (2; 29 May bank holiday),
    # June 1-2 (2), June 5 (1) -> due 5 June: in time at 31 May.
    {"visit_id": "5", "child_id": "e", "visit_date": "2023-05-19", "visit_type": "CP"},
]


def test_cp_visits_in_timescale_count_working_days_from_the_last_time_the_child_was_seen():
    ex = extract(cp_plans=VISIT_PLANS, visits=VISITS)
    june = figure(ex, "cp_visits_in_timescale_pct", "2023-06")
    # 30 June: b (due 4 July) and c (plan 26 June, due 10 July) in time; a and d overdue.
    assert (june["numerator"], june["denominator"]) == (2, 4)
    rows = drilldown(ex, "cp_visits_in_timescale_pct", "2023-06")
    assert rows["child_id"].to_list() == ["a", "d", "b", "c"]  # overdue first, for the team manager
    reasons = dict(zip(rows["child_id"], rows["reason"], strict=True))
    assert reasons["a"] == "CP visit overdue: last seen 2023-06-02, due by 2023-06-16"
    assert reasons["d"] == "CP visit overdue: not seen since the plan started 2023-01-01, due by 2023-01-16"
    may = drilldown(ex, "cp_visits_in_timescale_pct", "2023-05")
    assert may.filter(pl.col("child_id") == "e")["due"][0] == d("2023-06-05")
    # With 20 working days allowed (a's visit now due 30 June), a is in time too: 3 / 4.
    assert figure(ex, "cp_visits_in_timescale_pct", "2023-06", parameters={"working_days": 20})["numerator"] == 3


def test_cin_plans_and_cin_visits_with_twenty_working_days():
    ex = extract(
        cin_plans=[
            {"cin_plan_id": "n1", "child_id": "a", "start_date": "2023-04-01", "team": "North"},
            {"cin_plan_id": "n2", "child_id": "b", "start_date": "2023-04-01", "team": "North"},
            {"cin_plan_id": "n3", "child_id": "c", "start_date": "2023-04-01", "end_date": "2023-06-30"},
        ],
        visits=[
            # a: seen 1 June -> 20 working days: June 2, 5-9, 12-16, 19-23, 26-29 -> due 29 June: overdue at 30 June.
            {"visit_id": "1", "child_id": "a", "visit_date": "2023-06-01", "visit_type": "CIN"},
            # b: seen 2 June -> due 30 June: in time on the day it is due.
            {"visit_id": "2", "child_id": "b", "visit_date": "2023-06-02", "visit_type": "CIN"},
        ],
    )
    assert figure(ex, "cin_plans_count", "2023-06")["value"] == 2  # c's plan ended 30 June
    row = figure(ex, "cin_visits_in_timescale_pct", "2023-06")
    assert (row["numerator"], row["denominator"]) == (1, 2)
