"""The edges where a figure labelled as DfE's must be counted exactly as DfE counts it,
each on a tiny hand-made extract with the answer worked out in the comments: plans lasting
2 years (more than 729 days), re-referrals exactly 12 months later, the care leavers'
birthday window and DfE's exclusions, placed for adoption with the current foster carer,
and conferences that no enquiry of theirs can time."""

from __future__ import annotations

from journey.engine.measures import drilldown

from .helpers import extract, figure


def test_a_plan_open_more_than_729_days_at_31_march_has_lasted_two_years_as_dfe_counts():
    plans = [
        # 31 March 2023 to 31 March 2025 is 731 days (2024 is a leap year): 2 years or more.
        {"cp_plan_id": "p731", "child_id": "a", "start_date": "2023-03-31"},
        # 1 April 2023: 730 days, more than 729: 2 years or more (a calendar "2 years" says no).
        {"cp_plan_id": "p730", "child_id": "b", "start_date": "2023-04-01"},
        # 2 April 2023: 729 days: not.
        {"cp_plan_id": "p729", "child_id": "c", "start_date": "2023-04-02"},
        # Starts on 31 March: on a plan at 31 March, for 0 days.
        {"cp_plan_id": "p0", "child_id": "d", "start_date": "2025-03-31"},
        # Ends on 31 March: not on a plan at 31 March.
        {"cp_plan_id": "pend", "child_id": "e", "start_date": "2022-01-01", "end_date": "2025-03-31"},
    ]
    ex = extract(cp_plans=plans)
    row = figure(ex, "cp_plans_2y_open_pct", "2025-03")
    assert (row["numerator"], row["denominator"]) == (2, 4)
    assert figure(ex, "cp_plans_count", "2025-03")["value"] == 4
    reasons = dict(zip(*drilldown(ex, "cp_plans_2y_open_pct", "2025-03").select("cp_plan_id", "reason"), strict=True))
    assert reasons["p730"] == "On a plan since 2023-04-01: 730 days at 2025-03-31 (2 years or more: over 729 days)"
    assert reasons["p729"] == "On a plan since 2023-04-02: 729 days at 2025-03-31 (under 2 years: 729 days or fewer)"


def test_re_referrals_exactly_twelve_months_later_and_two_referrals_in_the_year():
    referrals = [
        # A: referred again exactly 12 months later (15 June to 15 June): a re-referral.
        {"referral_id": "A1", "child_id": "A", "referral_date": "2023-06-15"},
        {"referral_id": "A2", "child_id": "A", "referral_date": "2024-06-15"},
        # B: 12 months and a day: not a re-referral.
        {"referral_id": "B1", "child_id": "B", "referral_date": "2023-06-14"},
        {"referral_id": "B2", "child_id": "B", "referral_date": "2024-06-15"},
        # C: two referrals in the year: both counted; the second is a re-referral.
        {"referral_id": "C1", "child_id": "C", "referral_date": "2024-05-01", "closure_date": "2024-06-01"},
        {"referral_id": "C2", "child_id": "C", "referral_date": "2024-09-01"},
        # D: the previous referral led to no further action: it still counts (DfE: any referral).
        {"referral_id": "D1", "child_id": "D", "referral_date": "2024-02-10", "nfa": True, "closure_date": "2024-02-10"},
        {"referral_id": "D2", "child_id": "D", "referral_date": "2024-07-01"},
    ]
    ex = extract(referrals=referrals)
    # 2024-25: A2, B2, C1, C2, D2 are referrals (each counted); A2, C2, D2 re-referrals.
    assert figure(ex, "referrals_count", "2025-03", "fytd")["value"] == 5
    row = figure(ex, "rereferrals_12m_pct", "2025-03", "fytd")
    assert (row["numerator"], row["denominator"]) == (3, 5)
    reasons = dict(zip(*drilldown(ex, "rereferrals_12m_pct", "2024-06").select("referral_id", "reason"), strict=True))
    assert reasons["B2"] == "Not a re-referral: referred 2024-06-15, previous referral 2023-06-14 (more than 12 months before)"


def test_care_leavers_at_31_march_are_the_birthday_cohort_less_dfes_exclusions():
    # As the SSDA903 reader dates OC3: the birthday in the collection year (2024-25).
    children = [
        {"child_id": "L1", "date_of_birth": "2004-03-31"},  # 21st birthday 31 March 2025: in
        {"child_id": "L2", "date_of_birth": "2003-04-01"},  # 21st birthday 1 April 2024: in
        {"child_id": "L3", "date_of_birth": "2003-03-31"},  # 22nd birthday 31 March 2025: out
        {"child_id": "L4", "date_of_birth": "2006-04-01"},  # 18th birthday 1 April 2024: 17-18
        {"child_id": "L5", "date_of_birth": "2005-06-01"},  # 19, returned home 6 months+: left out
        {"child_id": "L6", "date_of_birth": "2005-07-01"},  # 19, gone abroad
        {"child_id": "L7", "date_of_birth": "2004-09-01"},  # 20, not in touch
    ]
    leavers = [
        {"child_id": "L1", "contact_date": "2025-03-31", "in_touch": "YES", "activity": "F2", "accommodation": "D", "accommodation_suitable": True},
        {"child_id": "L2", "contact_date": "2024-04-01", "in_touch": "YES", "activity": "G5", "accommodation": "S", "accommodation_suitable": False},
        {"child_id": "L3", "contact_date": "2025-03-31", "in_touch": "YES", "activity": "F1", "accommodation": "U", "accommodation_suitable": True},
        {"child_id": "L4", "contact_date": "2024-04-01", "in_touch": "YES", "activity": "F2", "accommodation": "Z", "accommodation_suitable": True},
        {"child_id": "L5", "contact_date": "2024-06-01", "in_touch": "RHOM"},
        {"child_id": "L6", "contact_date": "2024-07-01", "in_touch": "YES", "activity": "G5", "accommodation": "G"},
        {"child_id": "L7", "contact_date": "2024-09-01", "in_touch": "NO"},
    ]
    ex = extract(children=children, care_leavers=leavers)
    # 19-21: L1, L2, L6, L7. In touch: L1, L2, L6 (3 / 4). EET: L1 (1 / 4).
    in_touch = figure(ex, "care_leavers_in_touch_pct", "2025-03")
    assert (in_touch["numerator"], in_touch["denominator"]) == (3, 4)
    eet = figure(ex, "care_leavers_eet_pct", "2025-03")
    assert (eet["numerator"], eet["denominator"]) == (1, 4)
    # Suitability leaves out L6 (gone abroad): L1 suitable, L2 not, L7 not known: 1 / 3.
    housed = figure(ex, "care_leavers_suitable_accommodation_pct", "2025-03")
    assert (housed["numerator"], housed["denominator"]) == (1, 3)
    # 17-18: L4 alone.
    young = figure(ex, "care_leavers_17_18_eet_pct", "2025-03")
    assert (young["numerator"], young["denominator"]) == (1, 1)


def test_placed_for_adoption_with_the_current_foster_carer_is_not_a_new_placement():
    def ep(child, start, rne, place, end=None, carer=None):
        return {
            "child_id": child, "episode_start": start, "reason_new_episode": rne, "legal_status": "C2",
            "placement_type": place, "episode_end": end, "reason_ceased": "X1" if end else None, "carer_id": carer,
        }

    episodes = [
        # P: foster care, then placed for adoption with the same foster carer (A5), then a
        # move to another foster carer: 2 placements in the year, not 3.
        ep("P", "2024-04-01", "S", "U4", "2024-08-01", "C1"),
        ep("P", "2024-08-01", "P", "A5", "2024-12-01"),
        ep("P", "2024-12-01", "P", "U4", None, "C2"),
        # Q: the same moves, but placed for adoption with someone new (A6): 3 placements.
        ep("Q", "2024-04-01", "S", "U4", "2024-08-01", "C3"),
        ep("Q", "2024-08-01", "P", "A6", "2024-12-01"),
        ep("Q", "2024-12-01", "P", "U4", None, "C4"),
    ]
    ex = extract(cla_episodes=episodes)
    row = figure(ex, "cla_3plus_placements_pct", "2025-03")
    assert (row["numerator"], row["denominator"]) == (1, 2)
    reasons = dict(zip(*drilldown(ex, "cla_3plus_placements_pct", "2025-03").select("child_id", "reason"), strict=True))
    assert reasons["P"].startswith("2 placements in the 12 months 2024-04-01 to 2025-03-31")
    assert reasons["Q"].startswith("3 placements")


def test_a_conference_no_enquiry_of_its_own_can_time_is_listed_not_timed_from_an_old_one():
    section47 = [
        # T: an enquiry in January 2024 with its own conference.
        {"s47_id": "s1", "child_id": "T", "start_date": "2024-01-10"},
        # U: an enquiry in October 2024 whose conference names no enquiry.
        {"s47_id": "s2", "child_id": "U", "start_date": "2024-10-01"},
        # V: an enquiry that needed no conference.
        {"s47_id": "s3", "child_id": "V", "start_date": "2024-09-02", "icpc_required": False},
    ]
    icpcs = [
        {"icpc_id": "i1", "child_id": "T", "s47_id": "s1", "conference_date": "2024-01-25"},
        # T moves back in with a plan from another council: a conference with no enquiry
        # here. Not timed from s1 (which had its own conference).
        {"icpc_id": "i2", "child_id": "T", "conference_date": "2024-11-05"},
        # U: timed from s2, 1 October to 15 October: 10 working days, in time.
        {"icpc_id": "i3", "child_id": "U", "conference_date": "2024-10-15"},
        # V: not timed from s3 (no conference needed).
        {"icpc_id": "i4", "child_id": "V", "conference_date": "2024-11-04"},
    ]
    ex = extract(section47=section47, icpcs=icpcs)
    october = figure(ex, "icpc_15wd_pct", "2024-10")
    assert (october["numerator"], october["denominator"]) == (1, 1)
    november = figure(ex, "icpc_15wd_pct", "2024-11")
    assert november["denominator"] == 0
    listed = drilldown(ex, "icpc_15wd_pct", "2024-11")
    assert sorted(listed["icpc_id"].to_list()) == ["i2", "i4"]
    assert not listed["in_denominator"].any()


def test_children_in_need_at_31_march_are_the_open_cin_episodes_as_dfe_counts_them():
    referrals = [
        # Open at 31 March: counted (and again in the rate).
        {"referral_id": "r1", "child_id": "a", "referral_date": "2024-11-01"},
        # Referred on 31 March: open at 31 March.
        {"referral_id": "r2", "child_id": "b", "referral_date": "2025-03-31"},
        # Closed on 31 March: not open at 31 March.
        {"referral_id": "r3", "child_id": "c", "referral_date": "2024-06-01", "closure_date": "2025-03-31"},
        # No further action: not an episode of need, even with no closure date recorded.
        {"referral_id": "r4", "child_id": "d", "referral_date": "2025-03-10", "nfa": True},
        # An unborn child (no date of birth yet) and a young person of 18: both in need.
        {"referral_id": "r5", "child_id": "e", "referral_date": "2025-01-05"},
        {"referral_id": "r6", "child_id": "f", "referral_date": "2023-01-05", "closure_date": "2025-04-30"},
    ]
    children = [{"child_id": "f", "date_of_birth": "2006-05-01"}]
    ex = extract(referrals=referrals, children=children, population=[{"year": 2024, "population_0_17": 20000}])
    assert figure(ex, "cin_count", "2025-03")["value"] == 4  # r1, r2, r5, r6
    assert figure(ex, "cin_rate_per_10k", "2025-03")["value"] == 2.0  # 4 / 20,000 x 10,000
    reasons = dict(zip(*drilldown(ex, "cin_count", "2025-03").select("referral_id", "reason"), strict=True))
    assert reasons["r6"] == "In need at 2025-03-31: referred 2023-01-05, closed 2025-04-30"
