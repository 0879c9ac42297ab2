"""Children looked after: counts, starts and ceased, stability, reviews and visits."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from journey.engine.measures import compute, drilldown

from .helpers import extract, figure, figures

CHILDREN = [
    {"child_id": "A", "date_of_birth": "2015-03-01"},
    {"child_id": "C", "date_of_birth": "2012-03-01"},
    {"child_id": "D", "date_of_birth": "2010-03-01"},
    # E turns 18 on 15 June 2023, the day care ends.
    {"child_id": "E", "date_of_birth": "2005-06-15"},
    {"child_id": "F", "date_of_birth": "2020-03-01"},
]
EPISODES = [
    # A: back to back (X1 then a new carer the same day): one period of care from January,
    # spanning the financial year end; the new placement started 10 May.
    {"child_id": "A", "episode_start": "2023-01-10", "reason_new_episode": "S", "legal_status": "C2", "placement_type": "U6", "placement_provider": "PR1", "episode_end": "2023-05-10", "reason_ceased": "X1"},
    {"child_id": "A", "episode_start": "2023-05-10", "reason_new_episode": "P", "legal_status": "C2", "placement_type": "U4", "placement_provider": "PR4"},
    # B: short breaks only: never counted.
    {"child_id": "B", "episode_start": "2023-05-01", "reason_new_episode": "S", "legal_status": "V3", "placement_type": "U6"},
    # C: ceases on 30 June.
    {"child_id": "C", "episode_start": "2023-03-01", "reason_new_episode": "S", "legal_status": "V2", "placement_type": "U6", "placement_provider": "PR1", "episode_end": "2023-06-30", "reason_ceased": "E13"},
    # D: two overlapping episodes (bad data): one child.
    {"child_id": "D", "episode_start": "2023-04-01", "reason_new_episode": "S", "legal_status": "C1", "placement_type": "U6", "placement_provider": "PR1"},
    {"child_id": "D", "episode_start": "2023-04-15", "reason_new_episode": "L", "legal_status": "C2", "placement_type": "U6", "placement_provider": "PR1", "_flagged": True},
    # E: care ends on the 18th birthday.
    {"child_id": "E", "episode_start": "2022-01-01", "reason_new_episode": "S", "legal_status": "C2", "placement_type": "U6", "placement_provider": "PR1", "episode_end": "2023-06-15", "reason_ceased": "E17"},
    # F: starts twice in the year.
    {"child_id": "F", "episode_start": "2023-04-05", "reason_new_episode": "S", "legal_status": "V2", "placement_type": "U6", "placement_provider": "PR1", "episode_end": "2023-04-20", "reason_ceased": "E13"},
    {"child_id": "F", "episode_start": "2023-05-02", "reason_new_episode": "S", "legal_status": "C1", "placement_type": "K2", "placement_provider": "PR4"},
]


def test_children_looked_after_at_month_end_once_each_without_short_breaks():
    ex = extract(cla_episodes=EPISODES, children=CHILDREN, population=[{"year": 2023, "population_0_17": 10000}])
    out = compute(ex, "2023-05", "2023-06", ["cla_count"], breakdowns=[])
    # 31 May: A, C, D, E, F. 30 June: A, D, F (C ceased 30 June, E on 15 June).
    assert_frame_equal(out.select("period", "value"), pl.DataFrame({"period": ["2023-05", "2023-06"], "value": [5.0, 3.0]}))
    assert figure(ex, "cla_count", "2023-06")["flagged"] == 1  # D's flagged episode
    assert figure(ex, "cla_rate_per_10k", "2023-06")["value"] == pytest.approx(3.0)
    for cell, n in (("U4", 1), ("U6", 1), ("K2", 1)):
        assert figure(ex, "cla_count", "2023-06", breakdown="placement_type", cell=cell)["value"] == n
    assert figure(ex, "cla_count", "2023-06", breakdown="placement_provider", cell="PR4")["value"] == 2  # A, F
    # Time in placement at 30 June: A since 10 May, F since 2 May (0-3 months); D since 1 April (the
    # legal-status change on 15 April is the same placement): 2 months 29 days, also 0-3 months.
    assert figure(ex, "cla_count", "2023-06", breakdown="time_in_placement", cell="0-3 months")["value"] == 3
    assert figure(ex, "cla_count", "2023-03", breakdown="age_band", cell="10 to 15")["value"] == 1  # C, aged 11


def test_placements_group_by_type_crossed_with_provider_into_in_house_ifa_kinship_residential_and_other():
    from journey.engine.measures.looked_after import placement_group_expr

    frame = pl.DataFrame(
        {
            "placement_type": ["U6", "U5", "U4", "U1", "U3", "K2", "S1", "U6", "U4", "A4", None, "P1"],
            "placement_provider": ["PR1", "PR5", "PR4", "PR1", None, "PR4", "PR1", "PR2", None, "PR1", None, "PR0"],
        }
    )
    groups = frame.select(placement_group_expr().alias("g"))["g"].to_list()
    assert groups == [
        "In-house foster care",  # U6 with the council's own carers
        "Independent fostering agency (IFA)",  # U5, voluntary or third sector
        "Independent fostering agency (IFA)",  # U4, private
        "Kinship foster care (connected persons)",  # U1, whoever provides it
        "Kinship foster care (connected persons)",  # U3, provider not recorded
        "Residential care",  # K2 children's home
        "Residential care",  # S1 residential school
        "Other placements",  # U6 with another council's carers
        "Other placements",  # U4 with no provider recorded: neither in-house nor agency
        "Other placements",  # placed for adoption
        "Other placements",  # no placement type recorded
        "Other placements",  # placed with parents
    ]


def test_children_looked_after_at_month_end_are_counted_by_placement_group():
    ex = extract(cla_episodes=EPISODES, children=CHILDREN, population=[{"year": 2023, "population_0_17": 10000}])
    # 30 June: A with an agency foster carer (U4, PR4), D with the council's (U6, PR1), F in a
    # private children's home (K2, PR4). 31 May adds C and E, both U6 with the council: 3 in-house.
    for month, cell, n in (
        ("2023-06", "Independent fostering agency (IFA)", 1),
        ("2023-06", "In-house foster care", 1),
        ("2023-06", "Residential care", 1),
        ("2023-05", "In-house foster care", 3),
    ):
        assert figure(ex, "cla_count", month, breakdown="placement_group", cell=cell)["value"] == n
    out = figures(ex, "cla_count", "2023-06", "2023-06")
    cells = out.filter((pl.col("breakdown") == "placement_group") & (pl.col("period_type") == "month"))
    assert sorted(cells["breakdown_value"].to_list()) == ["In-house foster care", "Independent fostering agency (IFA)", "Residential care"]


def test_starts_and_ceased_count_children_once_in_the_year_across_financial_years():
    ex = extract(cla_episodes=EPISODES, children=CHILDREN, population=[{"year": 2023, "population_0_17": 10000}])
    # April: D and F start. May: F again. Year to June: D, F -- F once, so 2 (not 3).
    assert figure(ex, "cla_starts_in_year", "2023-04")["value"] == 2
    assert figure(ex, "cla_starts_in_year", "2023-05")["value"] == 1
    assert figure(ex, "cla_starts_in_year", "2023-06", "fytd")["value"] == 2
    # 2022-23 (to March 2023): A (January) and C (March); E started in 2021-22.
    assert figure(ex, "cla_starts_in_year", "2023-03", "fytd")["value"] == 2
    # Ceased to June: F (20 April), E (15 June, turning 18), C (30 June). A's X1 is not a cessation.
    assert figure(ex, "cla_ceased_in_year", "2023-06", "fytd")["value"] == 3
    assert figure(ex, "cla_ceased_in_year", "2023-06")["value"] == 2
    # Projected: 2 starts in 3 months -> 8 a year -> 8 / 10,000 x 10,000 = 8.0.
    assert figure(ex, "cla_starts_rate_per_10k", "2023-06")["value"] == pytest.approx(8.0)
    # April alone: D and F -> 2 x 12 = 24 a year -> 24.0.
    assert figure(ex, "cla_starts_rate_per_10k", "2023-04")["value"] == pytest.approx(24.0)
    # 3 ceased in 3 months -> 12 a year -> 12.0.
    assert figure(ex, "cla_ceased_rate_per_10k", "2023-06")["value"] == pytest.approx(12.0)


def test_drilldown_of_children_looked_after_by_placement_type():
    ex = extract(cla_episodes=EPISODES, children=CHILDREN)
    rows = drilldown(ex, "cla_count", "2023-06", breakdown="placement_type", cell="U4")
    assert rows["child_id"].to_list() == ["A"]
    assert rows["reason"][0] == (
        "Looked after at 2023-06-30: in care since 2023-01-10, placement U4 (PR4) since 2023-05-10, legal status C2"
    )


STABILITY = [
    # G: placements from May 2022, August 2022, a temporary one in December (T0, not counted),
    # and December 2022: three in the 12 months 1 July 2022 - 30 June 2023.
    {"child_id": "G", "episode_start": "2022-05-01", "reason_new_episode": "S", "legal_status": "C2", "placement_type": "U6", "episode_end": "2022-08-01", "reason_ceased": "X1"},
    {"child_id": "G", "episode_start": "2022-08-01", "reason_new_episode": "P", "legal_status": "C2", "placement_type": "U6", "episode_end": "2022-12-01", "reason_ceased": "X1"},
    {"child_id": "G", "episode_start": "2022-12-01", "reason_new_episode": "P", "legal_status": "C2", "placement_type": "T0", "episode_end": "2022-12-10", "reason_ceased": "X1"},
    {"child_id": "G", "episode_start": "2022-12-10", "reason_new_episode": "P", "legal_status": "C2", "placement_type": "U6"},
    # H: a placement that ended on 30 June 2022 (before the 12 months), then one carer
    # throughout (U = same carer): one placement in the 12 months.
    {"child_id": "H", "episode_start": "2022-06-01", "reason_new_episode": "S", "legal_status": "C2", "placement_type": "U6", "episode_end": "2022-06-30", "reason_ceased": "X1"},
    {"child_id": "H", "episode_start": "2022-06-30", "reason_new_episode": "P", "legal_status": "C2", "placement_type": "U6", "episode_end": "2023-03-01", "reason_ceased": "X1"},
    {"child_id": "H", "episode_start": "2023-03-01", "reason_new_episode": "U", "legal_status": "C2", "placement_type": "U4"},
]


def test_three_or_more_placements_in_the_twelve_months_to_the_date():
    ex = extract(cla_episodes=STABILITY)
    row = figure(ex, "cla_3plus_placements_pct", "2023-06")
    assert (row["numerator"], row["denominator"]) == (1, 2)  # G yes, H no
    reasons = dict(zip(*drilldown(ex, "cla_3plus_placements_pct", "2023-06").select("child_id", "reason"), strict=True))
    assert reasons["G"] == "3 placements in the 12 months 2022-07-01 to 2023-06-30 (current placement since 2022-12-10)"
    assert reasons["H"] == "1 placements in the 12 months 2022-07-01 to 2023-06-30 (current placement since 2022-06-30)"


LONG_TERM_CHILDREN = [
    {"child_id": "J", "date_of_birth": "2010-01-01"},
    {"child_id": "K", "date_of_birth": "2008-01-01"},
    {"child_id": "K2", "date_of_birth": "2008-01-01"},
    # L turns 16 on 30 June 2023: no longer under 16.
    {"child_id": "L", "date_of_birth": "2007-06-30"},
    {"child_id": "M", "date_of_birth": "2012-01-01"},
]
LONG_TERM = [
    # J: in care since 2020, same placement since 30 June 2021: exactly 2 years at 30 June 2023.
    {"child_id": "J", "episode_start": "2020-01-01", "reason_new_episode": "S", "legal_status": "C2", "placement_type": "U6", "episode_end": "2021-06-30", "reason_ceased": "X1"},
    {"child_id": "J", "episode_start": "2021-06-30", "reason_new_episode": "P", "legal_status": "C2", "placement_type": "U4"},
    # K: in care since 30 Dec 2020 (exactly 2.5 years), placement since January 2022: not stable.
    {"child_id": "K", "episode_start": "2020-12-30", "reason_new_episode": "S", "legal_status": "C2", "placement_type": "U6", "episode_end": "2022-01-01", "reason_ceased": "X1"},
    {"child_id": "K", "episode_start": "2022-01-01", "reason_new_episode": "P", "legal_status": "C2", "placement_type": "U6"},
    # K2: in care since 31 Dec 2020: a day short of 2.5 years: not in the denominator.
    {"child_id": "K2", "episode_start": "2020-12-31", "reason_new_episode": "S", "legal_status": "C2", "placement_type": "U6"},
    # L: stable, but 16.
    {"child_id": "L", "episode_start": "2015-01-01", "reason_new_episode": "S", "legal_status": "C2", "placement_type": "U4"},
    # M: placed for adoption in March 2022; with the placement before (from 2019) over 2 years.
    {"child_id": "M", "episode_start": "2019-01-01", "reason_new_episode": "S", "legal_status": "C2", "placement_type": "U6", "episode_end": "2022-03-01", "reason_ceased": "X1"},
    {"child_id": "M", "episode_start": "2022-03-01", "reason_new_episode": "T", "legal_status": "E1", "placement_type": "A4"},
]


def test_long_term_stability_for_under_16s_in_care_two_and_a_half_years():
    ex = extract(cla_episodes=LONG_TERM, children=LONG_TERM_CHILDREN)
    row = figure(ex, "cla_long_term_stability_pct", "2023-06")
    # Denominator J, K, M (K2 short of 2.5 years, L aged 16); numerator J and M: 2 / 3.
    assert (row["numerator"], row["denominator"]) == (2, 3)
    assert sorted(drilldown(ex, "cla_long_term_stability_pct", "2023-06").filter(pl.col("in_numerator"))["child_id"]) == ["J", "M"]


REVIEW_EPISODES = [
    {"child_id": "N", "episode_start": "2023-04-03", "reason_new_episode": "S", "legal_status": "C1", "placement_type": "U6"},
    {"child_id": "O", "episode_start": "2023-04-03", "reason_new_episode": "S", "legal_status": "C1", "placement_type": "U6"},
    {"child_id": "P", "episode_start": "2022-01-10", "reason_new_episode": "S", "legal_status": "C2", "placement_type": "U6"},
    {"child_id": "P2", "episode_start": "2022-01-10", "reason_new_episode": "S", "legal_status": "C2", "placement_type": "U6"},
]
CLA_REVIEWS = [
    # Care from Mon 3 April 2023: 20 working days = April 4-6 (3), 11-14 (4), 17-21 (5),
    # 24-28 (5), May 2-4 (3; 1 May bank holiday) -> due Thu 4 May.
    {"child_id": "N", "review_date": "2023-05-04"},  # on the due date: on time
    {"child_id": "O", "review_date": "2023-05-05"},  # a day late
    # P: first due 7 Feb 2022; held 1 Feb; second due 1 May 2022, held 1 May; third due
    # 1 Nov 2022, held 1 Nov; fourth due 1 May 2023, held 2 May: late.
    {"child_id": "P", "review_date": "2022-02-01"},
    {"child_id": "P", "review_date": "2022-05-01"},
    {"child_id": "P", "review_date": "2022-11-01"},
    {"child_id": "P", "review_date": "2023-05-02"},
    # P2: first review late (10 Feb 2022, due 7 Feb), every one since on time (9 May 2022 due
    # 10 May; 9 Nov 2022; 9 May 2023; next due 9 November 2023): back in timescale.
    {"child_id": "P2", "review_date": "2022-02-10"},
    {"child_id": "P2", "review_date": "2022-05-09"},
    {"child_id": "P2", "review_date": "2022-11-09"},
    {"child_id": "P2", "review_date": "2023-05-09"},
]


def test_cla_reviews_twenty_working_days_then_three_months_then_six_monthly():
    ex = extract(cla_episodes=REVIEW_EPISODES, cla_reviews=CLA_REVIEWS)
    june = figure(ex, "cla_reviews_in_timescale_pct", "2023-06")
    assert (june["numerator"], june["denominator"]) == (2, 4)  # N and P2; O and P's latest reviews were late
    # 30 April: N and O not yet due (4 May), P's and P2's next reviews not yet due: all in timescale.
    assert figure(ex, "cla_reviews_in_timescale_pct", "2023-04")["value"] == 100.0
    reasons = dict(zip(*drilldown(ex, "cla_reviews_in_timescale_pct", "2023-06").select("child_id", "reason"), strict=True))
    assert reasons["N"] == "Reviews on time: last review 2023-05-04, next due by 2023-08-04"
    assert reasons["O"] == "Last review held late on 2023-05-05 (due by 2023-05-04)"
    assert reasons["P"] == "Last review held late on 2023-05-02 (due by 2023-05-01)"
    assert reasons["P2"] == "Reviews on time: last review 2023-05-09, next due by 2023-11-09"
    # Overdue: at 31 August N's second review (due 4 August) has not been held.
    august = drilldown(ex, "cla_reviews_in_timescale_pct", "2023-08")
    assert august.filter(pl.col("child_id") == "N")["reason"][0] == "Review overdue: due by 2023-08-04, not held by 2023-08-31"


VISIT_EPISODES = [
    {"child_id": "Q", "episode_start": "2023-06-20", "reason_new_episode": "S", "legal_status": "C1", "placement_type": "U6"},
    {"child_id": "R", "episode_start": "2023-01-01", "reason_new_episode": "S", "legal_status": "C1", "placement_type": "U6"},
    {"child_id": "S", "episode_start": "2021-01-01", "reason_new_episode": "S", "legal_status": "C2", "placement_type": "U4"},
    {"child_id": "T", "episode_start": "2021-01-01", "reason_new_episode": "S", "legal_status": "C2", "placement_type": "U6"},
]
CLA_VISITS = [
    {"visit_id": "1", "child_id": "R", "visit_date": "2023-05-25", "visit_type": "CLA"},
    {"visit_id": "2", "child_id": "S", "visit_date": "2023-04-15", "visit_type": "CLA"},
    {"visit_id": "3", "child_id": "T", "visit_date": "2023-04-15", "visit_type": "CLA"},
]


def test_cla_visits_in_timescale_follow_regulation_28():
    ex = extract(cla_episodes=VISIT_EPISODES, visits=CLA_VISITS)
    row = figure(ex, "cla_visits_in_timescale_pct", "2023-06")
    # Q: placed 20 June, no visit: due 27 June: overdue. R: first year, 25 May + 42 days = 6 July.
    # S: long-term (U4) after the first year: 15 April + 3 months = 15 July. T: not long-term:
    # 15 April + 42 days = 27 May: overdue. 2 / 4.
    assert (row["numerator"], row["denominator"]) == (2, 4)
    dues = dict(zip(*drilldown(ex, "cla_visits_in_timescale_pct", "2023-06").select("child_id", "due"), strict=True))
    assert {k: str(v) for k, v in dues.items()} == {"Q": "2023-06-27", "R": "2023-07-06", "S": "2023-07-15", "T": "2023-05-27"}
