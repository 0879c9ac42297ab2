"""Care leavers and workforce measures on hand-made data."""

from __future__ import annotations

import polars as pl
import pytest

from journey.engine.measures import drilldown

from .helpers import extract, figure

CL_CHILDREN = [
    {"child_id": "CL1", "date_of_birth": "2004-06-30"},  # 19 on 30 June 2023, 18 on 31 May
    {"child_id": "CL2", "date_of_birth": "2003-01-01"},
    {"child_id": "CL3", "date_of_birth": "2002-12-01"},
    {"child_id": "CL4", "date_of_birth": "2003-02-01"},
    {"child_id": "CL5", "date_of_birth": "2001-06-01"},  # 22 on 1 June 2023
]
CL_RECORDS = [
    {"child_id": "CL1", "contact_date": "2023-01-15", "in_touch": "YES", "activity": "F2", "accommodation": "D", "accommodation_suitable": True},
    # CL2's information is from March 2022: more than 12 months old by June 2023: not known.
    {"child_id": "CL2", "contact_date": "2022-03-01", "in_touch": "YES", "activity": "F4", "accommodation": "U", "accommodation_suitable": True},
    {"child_id": "CL3", "contact_date": "2023-06-01", "in_touch": "NO", "activity": "G5", "accommodation": "S", "accommodation_suitable": False},
    {"child_id": "CL4", "contact_date": "2023-05-01", "in_touch": "DIED"},
    {"child_id": "CL5", "contact_date": "2023-05-01", "in_touch": "YES", "activity": "F1", "accommodation_suitable": True},
]


def test_care_leavers_aged_19_to_21_by_their_latest_recent_information():
    ex = extract(children=CL_CHILDREN, care_leavers=CL_RECORDS)
    # 30 June: CL1 (just 19), CL2, CL3; CL4 died, CL5 is 22. Only CL1 is in touch, in EET and
    # suitably housed on recent information: 1 / 3 each.
    for measure in ("care_leavers_in_touch_pct", "care_leavers_eet_pct", "care_leavers_suitable_accommodation_pct"):
        row = figure(ex, measure, "2023-06")
        assert (row["numerator"], row["denominator"]) == (1, 3), measure
    # 31 May: CL1 is 18 (17-18 band); CL3 has no record yet; CL5 is still 21 (22 on 1 June):
    # 19-21 is CL2 (old information) and CL5 (in touch): 1 / 2.
    may = figure(ex, "care_leavers_in_touch_pct", "2023-05")
    assert (may["numerator"], may["denominator"]) == (1, 2)
    assert figure(ex, "care_leavers_17_18_in_touch_pct", "2023-05")["value"] == 100.0
    # CL1 at 18: suitably housed (D1) and in education (F2); at 30 June, aged 19, out of the band.
    assert figure(ex, "care_leavers_17_18_suitable_accommodation_pct", "2023-05")["value"] == 100.0
    assert figure(ex, "care_leavers_17_18_eet_pct", "2023-05")["value"] == 100.0
    assert figure(ex, "care_leavers_17_18_eet_pct", "2023-06")["denominator"] == 0
    # With 24 months' information allowed, CL2 counts as in touch: 2 / 3 in June.
    assert figure(ex, "care_leavers_in_touch_pct", "2023-06", parameters={"recency_months": 24})["numerator"] == 2
    reasons = dict(zip(*drilldown(ex, "care_leavers_in_touch_pct", "2023-06").select("child_id", "reason"), strict=True))
    assert reasons["CL2"] == "Aged 20; latest information 2022-03-01 (more than 12 months old, so not known): in touch: YES"


WORKERS = [
    {"worker_id": "W1", "team": "A", "service": "cin_cp", "role": "SW", "employment": "permanent", "fte": 1.0, "start_date": "2022-01-01"},
    {"worker_id": "W2", "team": "A", "service": "cin_cp", "role": "SW", "employment": "agency", "fte": 0.5, "start_date": "2023-01-01"},
    {"worker_id": "W3", "team": "B", "service": "children_in_care", "role": "ASYE", "employment": "permanent", "fte": 1.0, "start_date": "2023-06-01"},
    {"worker_id": "W4", "team": "A", "service": "cin_cp", "role": "TM", "employment": "permanent", "fte": 1.0, "start_date": "2020-01-01"},
    # W5 left on 30 June: not in post at the end of June.
    {"worker_id": "W5", "team": "B", "service": "children_in_care", "role": "SW", "employment": "agency", "fte": 1.0, "start_date": "2022-01-01", "end_date": "2023-06-30"},
]
ALLOCATIONS = [
    {"child_id": "c1", "worker_id": "W1", "start_date": "2023-01-01"},
    {"child_id": "c2", "worker_id": "W1", "start_date": "2023-01-01"},
    {"child_id": "c3", "worker_id": "W1", "start_date": "2023-01-01", "end_date": "2023-06-30"},
    {"child_id": "c4", "worker_id": "W2", "start_date": "2023-02-01"},
    {"child_id": "c5", "worker_id": "W2", "start_date": "2023-02-01"},
    {"child_id": "c6", "worker_id": "W3", "start_date": "2023-06-05"},
    {"child_id": "c8", "worker_id": "W5", "start_date": "2023-02-01", "end_date": "2023-06-30"},
]


def test_caseloads_are_cases_over_fte_of_case_holding_workers():
    ex = extract(workers=WORKERS, allocations=ALLOCATIONS)
    row = figure(ex, "caseload_sw_avg", "2023-06")
    # W1 2 cases (c3 ended 30 June), W2 2, W3 1: 5 cases / (1.0 + 0.5 + 1.0) FTE = 2.0.
    assert (row["numerator"], row["denominator"], row["value"]) == (5, 2.5, 2.0)
    assert figure(ex, "caseload_asye_avg", "2023-06")["value"] == 1.0
    # 31 May: W1 3 cases (c3 still open), W2 2, W5 1 (in post until 30 June); W3 not yet in
    # post: 6 cases / (1.0 + 0.5 + 1.0) FTE = 2.4.
    may = figure(ex, "caseload_sw_avg", "2023-05")
    assert (may["numerator"], may["denominator"]) == (6, 2.5)
    assert figure(ex, "caseload_sw_avg", "2023-06", breakdown="team", cell="A")["value"] == pytest.approx(4 / 1.5)
    workers = drilldown(ex, "caseload_sw_avg", "2023-06")
    assert workers.filter(pl.col("worker_id") == "W2")["reason"][0] == "Worker W2 (SW, 0.5 FTE, team A): 2 cases"


def test_agency_and_permanent_shares_of_qualified_fte():
    ex = extract(workers=WORKERS)
    # In post 30 June: W1 1.0 permanent, W2 0.5 agency, W3 1.0 permanent, W4 1.0 permanent = 3.5 FTE.
    assert figure(ex, "agency_workforce_pct", "2023-06")["value"] == pytest.approx(0.5 / 3.5 * 100)
    assert figure(ex, "permanent_workforce_pct", "2023-06")["value"] == pytest.approx(3.0 / 3.5 * 100)
    # 31 May: W1, W2, W4, W5 = 3.5 FTE, agency W2 + W5 = 1.5.
    assert figure(ex, "agency_workforce_pct", "2023-05")["value"] == pytest.approx(1.5 / 3.5 * 100)


def test_supervisions_within_thirty_days_and_new_starters_not_yet_due():
    ex = extract(
        workers=WORKERS,
        supervisions=[
            {"worker_id": "W1", "supervision_date": "2023-05-31"},  # due 30 June: in time on the day
            {"worker_id": "W2", "supervision_date": "2023-05-30"},  # due 29 June: overdue
        ],
    )
    row = figure(ex, "supervisions_in_timescale_pct", "2023-06")
    # Case holders in post: W1 (in time), W2 (overdue), W3 (started 1 June, due 1 July): 2 / 3.
    assert (row["numerator"], row["denominator"]) == (2, 3)
    assert figure(ex, "supervisions_in_timescale_pct", "2023-06", breakdown="team", cell="B")["value"] == 100.0


AUDITS = [
    {"audit_id": "1", "child_id": "a", "audit_date": "2023-06-01", "grade": "good", "team": "A"},
    {"audit_id": "2", "child_id": "b", "audit_date": "2023-06-02", "grade": "outstanding", "team": "A"},
    {"audit_id": "3", "child_id": "c", "audit_date": "2023-06-03", "grade": "requires_improvement", "team": "B"},
    {"audit_id": "4", "child_id": "d", "audit_date": "2023-06-30", "grade": "inadequate", "team": "B"},
    {"audit_id": "5", "child_id": "e", "audit_date": "2023-05-15", "grade": "good", "team": "B"},
]


def test_audits_completed_against_target_and_graded_good_or_better():
    ex = extract(audits=AUDITS)
    june = figure(ex, "audits_completed_count", "2023-06", parameters={"monthly_target": 5})
    assert (june["value"], june["denominator"]) == (4, 5)
    ytd = figure(ex, "audits_completed_count", "2023-06", "fytd", parameters={"monthly_target": 5})
    assert (ytd["value"], ytd["denominator"]) == (5, 15)  # 3 months x 5
    assert figure(ex, "audits_completed_count", "2023-06")["denominator"] is None
    assert figure(ex, "audits_good_or_better_pct", "2023-06")["value"] == 50.0  # 2 of 4
    assert figure(ex, "audits_good_or_better_pct", "2023-06", "fytd")["value"] == 60.0  # 3 of 5


def test_unallocated_open_cases():
    ex = extract(
        workers=WORKERS,
        allocations=ALLOCATIONS,
        referrals=[
            {"referral_id": f"r{c}", "child_id": c, "referral_date": "2023-01-01"} for c in ("c1", "c2", "c3", "c7")
        ],
    )
    # Open at 30 June: c1, c2 (allocated to W1), c3 (allocation ended 30 June), c7 (never allocated).
    assert figure(ex, "unallocated_cases_count", "2023-06")["value"] == 2
    assert figure(ex, "unallocated_cases_pct", "2023-06")["value"] == 50.0
    rows = drilldown(ex, "unallocated_cases_count", "2023-06")
    assert rows.filter(pl.col("child_id") == "c7")["reason"][0] == (
        "Unallocated: open since 2023-01-01 (open CIN episode (referral)), no worker allocated at 2023-06-30"
    )
