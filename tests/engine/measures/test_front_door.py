"""Front-door measures on tiny hand-made extracts; the arithmetic is in the comments."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from journey.engine.measures import compute, drilldown

from .helpers import d, extract, figure

CONTACTS = [
    # Fri 2 June -> Mon 5 June: 1 working day (the weekend doesn't count): in time.
    {"contact_id": "c1", "child_id": "a", "contact_date": "2023-06-02", "decision_date": "2023-06-05", "outcome": "referral", "source": "6"},
    # Fri 5 May -> Tue 9 May: 1 working day (Mon 8 May 2023 was the coronation bank holiday): in time.
    {"contact_id": "c2", "child_id": "b", "contact_date": "2023-05-05", "decision_date": "2023-05-09", "outcome": "early_help", "source": "2A"},
    # Tue 20 June -> Thu 22 June: 2 working days: late.
    {"contact_id": "c3", "child_id": "c", "contact_date": "2023-06-20", "decision_date": "2023-06-22", "outcome": "referral", "source": "6", "_flagged": True},
    # No decision recorded: not in time.
    {"contact_id": "c4", "child_id": "d", "contact_date": "2023-06-21", "outcome": "nfa", "source": "2A"},
]


def test_contacts_are_counted_by_the_month_they_were_received():
    ex = extract(contacts=CONTACTS)
    assert figure(ex, "contacts_count", "2023-06")["value"] == 3  # c1, c3, c4
    assert figure(ex, "contacts_count", "2023-05")["value"] == 1  # c2
    assert figure(ex, "contacts_count", "2023-06", "fytd")["value"] == 4  # April to June
    assert figure(ex, "contacts_count", "2023-06", breakdown="source", cell="6")["value"] == 2


def test_share_of_contacts_leading_to_referral_and_to_early_help():
    ex = extract(contacts=CONTACTS)
    june = figure(ex, "contacts_to_referral_pct", "2023-06")
    # c1 and c3 led to referrals out of 3 contacts in June: 2 / 3.
    assert (june["numerator"], june["denominator"]) == (2, 3)
    assert june["value"] == pytest.approx(200 / 3)
    assert june["flagged"] == 1  # c3 was flagged by validation
    assert figure(ex, "contacts_to_early_help_pct", "2023-05")["value"] == 100.0
    assert figure(ex, "contacts_to_early_help_pct", "2023-06")["value"] == 0.0


def test_mash_decisions_within_one_working_day_skip_weekends_and_bank_holidays():
    ex = extract(contacts=CONTACTS)
    # June: c1 in time; c3 (2 working days) and c4 (undecided) not: 1 / 3.
    assert figure(ex, "mash_decisions_24h_pct", "2023-06")["value"] == pytest.approx(100 / 3)
    # May: c2 decided the day after the coronation holiday: 1 / 1.
    assert figure(ex, "mash_decisions_24h_pct", "2023-05")["value"] == 100.0
    # Year to date: c1 and c2 out of 4.
    assert figure(ex, "mash_decisions_24h_pct", "2023-06", "fytd")["value"] == 50.0
    # With two working days allowed, c3 is in time too: 2 / 3 in June.
    assert figure(ex, "mash_decisions_24h_pct", "2023-06", parameters={"working_days": 2})["value"] == pytest.approx(200 / 3)


REFERRALS = [
    # a: previous referral exactly 12 months before (15 June 2022): a re-referral.
    {"referral_id": "a1", "child_id": "a", "referral_date": "2022-06-15", "team": "North"},
    {"referral_id": "a2", "child_id": "a", "referral_date": "2023-06-15", "team": "North"},
    # b: previous referral 12 months and a day before: not a re-referral.
    {"referral_id": "b1", "child_id": "b", "referral_date": "2022-06-14", "team": "South"},
    {"referral_id": "b2", "child_id": "b", "referral_date": "2023-06-15", "team": "South"},
    # c: first referral.
    {"referral_id": "c1", "child_id": "c", "referral_date": "2023-06-01", "team": "South"},
    # d: referred in April and again in June: the June one is a re-referral.
    {"referral_id": "d1", "child_id": "d", "referral_date": "2023-04-10", "team": "North"},
    {"referral_id": "d2", "child_id": "d", "referral_date": "2023-06-20", "team": "North", "nfa": True},
]
POPULATION = [{"year": 2023, "population_0_17": 20000}]


def test_a_referral_exactly_12_months_after_the_last_is_a_re_referral():
    ex = extract(referrals=REFERRALS)
    june = figure(ex, "rereferrals_12m_pct", "2023-06")
    # June referrals: a2 (yes), b2 (no), c1 (no), d2 (yes): 2 / 4.
    assert (june["numerator"], june["denominator"], june["value"]) == (2, 4, 50.0)
    # Year to date adds d1 (no previous referral): 2 / 5 = 40%.
    assert figure(ex, "rereferrals_12m_pct", "2023-06", "fytd")["value"] == 40.0
    # Rolling 12 months (July 2022 to June 2023) holds the same five referrals.
    assert figure(ex, "rereferrals_12m_pct", "2023-06", "rolling12")["value"] == 40.0
    # By team in June: North a2, d2 both re-referrals; South b2, c1 neither.
    assert figure(ex, "rereferrals_12m_pct", "2023-06", breakdown="team", cell="North")["value"] == 100.0
    assert figure(ex, "rereferrals_12m_pct", "2023-06", breakdown="team", cell="South")["value"] == 0.0


def test_re_referral_drilldown_gives_each_referral_with_its_reason():
    ex = extract(referrals=REFERRALS)
    rows = drilldown(ex, "rereferrals_12m_pct", "2023-06")
    assert rows["child_id"].to_list() == ["a", "d", "b", "c"]  # numerator first
    assert rows.filter(pl.col("child_id") == "a")["reason"][0] == (
        "Re-referral: referred 2023-06-15, previous referral 2022-06-15 (within 12 months)"
    )
    assert rows.filter(pl.col("child_id") == "b")["reason"][0] == (
        "Not a re-referral: referred 2023-06-15, previous referral 2022-06-14 (more than 12 months before)"
    )
    north = drilldown(ex, "rereferrals_12m_pct", "2023-06", breakdown="team", cell="North")
    assert sorted(north["referral_id"].to_list()) == ["a2", "d2"]


def test_referral_rate_projected_for_the_year_and_in_the_month():
    ex = extract(referrals=REFERRALS, population=POPULATION)
    # June's figure is projected from the year to date: 5 referrals in 3 months -> 5 / 3 x 12
    # = 20 a year -> 20 / 20,000 x 10,000 = 10.0.
    june = figure(ex, "referrals_rate_per_10k", "2023-06")
    assert june["value"] == pytest.approx(10.0)
    assert june["denominator"] == pytest.approx(5000.0)  # 20,000 x 3 / 12
    # April: d1 alone, 1 x 12 = 12 a year -> 6.0.
    assert figure(ex, "referrals_rate_per_10k", "2023-04")["value"] == pytest.approx(6.0)
    # Rolling 12 months to June 2023 (July 2022 on): 5 referrals -> 2.5.
    assert figure(ex, "referrals_rate_per_10k", "2023-06", "rolling12")["value"] == pytest.approx(2.5)
    # The month alone: 4 referrals / 20,000 x 10,000 = 2.0 (not annualised).
    assert figure(ex, "referrals_in_month_rate_per_10k", "2023-06")["value"] == pytest.approx(2.0)
    assert figure(ex, "referrals_count", "2023-06", "fytd")["value"] == 5


def test_referral_rate_uses_the_plan_population_when_the_extract_has_none():
    ex = extract(referrals=REFERRALS)
    row = figure(ex, "referrals_in_month_rate_per_10k", "2023-06", population={2022: 40000})
    # 2022 is the latest year on or before 2023: 4 / 40,000 x 10,000 = 1.0.
    assert row["value"] == pytest.approx(1.0)


def test_latest_projects_the_year_to_the_extract_date_by_days():
    ex = extract(as_at="2023-07-12", referrals=REFERRALS, population=POPULATION)
    row = figure(ex, "referrals_rate_per_10k", "2023-06", "latest")
    # 1 April to 12 July 2023 is 30 + 31 + 30 + 12 = 103 days of the 366-day year 2023-24:
    # 5 / (20,000 x 103 / 366) x 10,000 = 5 x 366 / 206 = 8.8835...
    assert row["period"] == "2023-07"
    assert row["as_at"] == d("2023-07-12")
    assert row["value"] == pytest.approx(5 * 366 / 206)


def test_open_early_help_counts_children_once_and_not_on_the_day_an_episode_closes():
    ex = extract(
        early_help=[
            {"episode_id": "e1", "child_id": "a", "start_date": "2023-05-10", "end_date": "2023-06-30"},
            {"episode_id": "e2", "child_id": "b", "start_date": "2023-06-30"},
            {"episode_id": "e3", "child_id": "b", "start_date": "2023-06-01"},
        ]
    )
    out = compute(ex, "2023-05", "2023-06", ["early_help_open_count"], breakdowns=[])
    expected = pl.DataFrame({"period": ["2023-05", "2023-06"], "value": [1.0, 1.0]})
    # May 31: a only. June 30: a's episode closed that day; b has two open episodes, counted once.
    assert_frame_equal(out.select("period", "value"), expected)


def test_open_cases_join_referrals_plans_and_care_but_not_nfa_or_short_breaks():
    ex = extract(
        referrals=[
            {"referral_id": "r1", "child_id": "a", "referral_date": "2023-01-01"},
            {"referral_id": "r2", "child_id": "b", "referral_date": "2023-06-01", "nfa": True},
        ],
        cp_plans=[{"cp_plan_id": "p1", "child_id": "a", "start_date": "2023-02-01"}],
        cla_episodes=[
            {"child_id": "c", "episode_start": "2023-03-01", "legal_status": "C2"},
            {"child_id": "e", "episode_start": "2023-03-01", "legal_status": "V3"},
        ],
        cin_plans=[{"cin_plan_id": "n1", "child_id": "f", "start_date": "2023-06-01", "end_date": "2023-06-20"}],
    )
    # June 30: a (referral and plan, once), c (looked after). b was NFA, e is a short break,
    # f's CIN plan ended on 20 June.
    assert figure(ex, "open_cases_count", "2023-06")["value"] == 2
    rows = drilldown(ex, "open_cases_count", "2023-06")
    assert rows.filter(pl.col("child_id") == "a")["reason"][0] == "Open case since 2023-01-01: CP plan, open CIN episode (referral)"
