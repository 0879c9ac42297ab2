"""Assessment, section 47 and initial conference measures on hand-made data."""

from __future__ import annotations

import polars as pl
import pytest

from journey.engine.measures import drilldown

from .helpers import extract, figure

# Working days counted by hand (England and Wales, 2023): Good Friday 7 April, Easter
# Monday 10 April, 1 May, the coronation 8 May and 29 May are bank holidays.
ASSESSMENTS = [
    # 3 April -> 16 June: April 4-6 (3), 11-14 (4), 17-21 (5), 24-28 (5) = 17; May 2-5 (4),
    # 9-12 (4), 15-19 (5), 22-26 (5), 30-31 (2) = 20; June 1-2 (2), 5-9 (5), 12-16 (5) = 12.
    # 17 + 20 + 12 = 49 working days: late.
    {"assessment_id": "a1", "child_id": "a", "start_date": "2023-04-03", "authorised_date": "2023-06-16", "team": "East", "worker_id": "w1"},
    # 1 June -> 16 June: 2 + 5 + 5 = 11: in time.
    {"assessment_id": "a2", "child_id": "b", "start_date": "2023-06-01", "authorised_date": "2023-06-16", "team": "East", "worker_id": "w2"},
    # Fri 21 April -> Wed 28 June: April 24-28 (5), May 20 as above, June 1-2, 5-9, 12-16,
    # 19-23 (17), 26-28 (3) = 45 exactly: in time.
    {"assessment_id": "a3", "child_id": "c", "start_date": "2023-04-21", "authorised_date": "2023-06-28", "team": "West", "worker_id": "w1"},
    # Same start, authorised a day later: 46 working days: late.
    {"assessment_id": "a4", "child_id": "d", "start_date": "2023-04-21", "authorised_date": "2023-06-29", "team": "West", "worker_id": "w2"},
    # Not authorised: not counted.
    {"assessment_id": "a5", "child_id": "e", "start_date": "2023-05-01"},
]


def test_assessments_within_45_working_days_count_across_bank_holidays():
    ex = extract(assessments=ASSESSMENTS)
    row = figure(ex, "assessments_45wd_pct", "2023-06")
    # a2 and a3 in time out of a1-a4 authorised in June: 2 / 4.
    assert (row["numerator"], row["denominator"], row["value"]) == (2, 4, 50.0)
    assert figure(ex, "assessments_45wd_pct", "2023-06", breakdown="worker", cell="w1")["value"] == 50.0
    assert figure(ex, "assessments_45wd_pct", "2023-06", breakdown="team", cell="East")["value"] == 50.0
    assert figure(ex, "assessments_45wd_pct", "2023-05")["denominator"] == 0


def test_assessment_drilldown_says_how_many_working_days_each_took():
    rows = drilldown(extract(assessments=ASSESSMENTS), "assessments_45wd_pct", "2023-06")
    reasons = dict(zip(rows["assessment_id"], rows["reason"], strict=True))
    assert reasons["a1"] == "Assessment authorised in 49 working days, over 45 (started 2023-04-03, authorised 2023-06-16)"
    assert reasons["a3"] == "Assessment authorised in 45 working days (started 2023-04-21, authorised 2023-06-28)"
    assert reasons["a4"].startswith("Assessment authorised in 46 working days, over 45")


SECTION47 = [
    {"s47_id": "s1", "child_id": "a", "strategy_discussion_date": "2023-05-05", "start_date": "2023-05-05", "team": "East"},
    {"s47_id": "s2", "child_id": "b", "strategy_discussion_date": "2023-05-24", "start_date": "2023-05-25", "team": "East"},
    {"s47_id": "s3", "child_id": "c", "start_date": "2023-05-22", "team": "West"},
    {"s47_id": "s4", "child_id": "d", "strategy_discussion_date": "2023-06-01", "start_date": "2023-06-01", "team": "West"},
]
ICPCS = [
    # Fri 5 May -> Fri 26 May: May 9-12 (4; the 8th was the coronation), 15-19 (5), 22-26 (5) = 14.
    {"icpc_id": "i1", "child_id": "a", "s47_id": "s1", "conference_date": "2023-05-26"},
    # Wed 24 May -> Thu 15 June: May 25-26 (2), 30-31 (2; 29th bank holiday), June 1-2 (2),
    # 5-9 (5), 12-15 (4) = 15 exactly: in time.
    {"icpc_id": "i2", "child_id": "b", "s47_id": "s2", "conference_date": "2023-06-15"},
    # No s47_id: matched to c's enquiry s3 by date; no strategy date, so from its start
    # Mon 22 May -> Wed 14 June: May 23-26 (4), 30-31 (2), June 1-2 (2), 5-9 (5), 12-14 (3) = 16: late.
    {"icpc_id": "i3", "child_id": "c", "conference_date": "2023-06-14"},
    # No enquiry for this child at all: left out.
    {"icpc_id": "i4", "child_id": "z", "conference_date": "2023-06-14"},
]


def test_initial_conferences_within_15_working_days_of_the_strategy_discussion():
    ex = extract(section47=SECTION47, icpcs=ICPCS)
    assert figure(ex, "icpc_15wd_pct", "2023-05")["value"] == 100.0  # i1
    june = figure(ex, "icpc_15wd_pct", "2023-06")
    assert (june["numerator"], june["denominator"]) == (1, 2)  # i2 in time, i3 late, i4 left out
    rows = drilldown(ex, "icpc_15wd_pct", "2023-06")
    assert rows.filter(pl.col("icpc_id") == "i3")["reason"][0] == (
        "Initial conference 16 working days after the strategy discussion, over 15 (strategy 2023-05-22, conference 2023-06-14)"
    )


def test_section_47_enquiries_count_and_rate():
    ex = extract(section47=SECTION47, population=[{"year": 2023, "population_0_17": 10000}])
    assert figure(ex, "s47_count", "2023-05")["value"] == 3  # s1, s2, s3 started in May
    assert figure(ex, "s47_count", "2023-06", "fytd")["value"] == 4
    # Projected: 4 in 3 months -> 16 a year -> 16 / 10,000 x 10,000 = 16.0; in May, 3 in
    # 2 months -> 18 a year -> 18.0.
    assert figure(ex, "s47_rate_per_10k", "2023-06")["value"] == pytest.approx(16.0)
    assert figure(ex, "s47_rate_per_10k", "2023-05")["value"] == pytest.approx(18.0)
