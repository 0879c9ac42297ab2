"""The measures the Standard Safeguarding Dataset makes possible, on hand-made data with
hand-worked answers: missing episodes and return interviews, the voice of the child,
early help closed, caseloads per worker from involvements, and visits read from the SSD's
visit tables."""

from __future__ import annotations

import pytest

from journey.engine.casedata.load import read_files
from journey.engine.measures import drilldown

from .helpers import extract, figure

CHILDREN = [{"child_id": c, "date_of_birth": "2008-01-01"} for c in ("c1", "c2", "c3", "c4")]

MISSING = [
    {"missing_id": "M1", "child_id": "c1", "start_date": "2023-06-03", "end_date": "2023-06-04", "episode_type": "M", "return_interview_offered": True, "return_interview_accepted": True},
    {"missing_id": "M2", "child_id": "c1", "start_date": "2023-06-20", "end_date": "2023-07-02", "episode_type": "M", "return_interview_offered": True, "return_interview_accepted": False},
    {"missing_id": "M3", "child_id": "c2", "start_date": "2023-06-10", "end_date": "2023-06-10", "episode_type": "A", "return_interview_offered": False},
    {"missing_id": "M4", "child_id": "c3", "start_date": "2023-05-30", "end_date": "2023-06-01", "episode_type": "M"},
    {"missing_id": "M5", "child_id": "c2", "start_date": "2023-06-28", "episode_type": "M"},
]


def test_missing_episodes_and_children_are_counted_by_the_day_they_went_missing():
    ex = extract("2023-07-31", children=CHILDREN, missing_episodes=MISSING)
    # June: M1, M2, M3 and M5 started (M4 started in May); children c1 and c2.
    assert figure(ex, "missing_episodes_count", "2023-06")["value"] == 4
    assert figure(ex, "missing_children_count", "2023-06")["value"] == 2
    assert figure(ex, "missing_episodes_count", "2023-05")["value"] == 1


def test_return_interviews_are_judged_for_the_episodes_that_ended_in_the_period():
    ex = extract("2023-07-31", children=CHILDREN, missing_episodes=MISSING)
    # Ended in June: M1 (offered), M3 (not offered), M4 (nothing recorded: not offered): 1 of 3.
    june = figure(ex, "return_interviews_offered_pct", "2023-06")
    assert (june["numerator"], june["denominator"]) == (1, 3)
    # Of those offered in June, M1 was accepted: 1 of 1. July: M2 offered, not accepted.
    assert figure(ex, "return_interviews_accepted_pct", "2023-06")["value"] == 100.0
    july = figure(ex, "return_interviews_accepted_pct", "2023-07")
    assert (july["numerator"], july["denominator"]) == (0, 1)
    reasons = drilldown(ex, "return_interviews_offered_pct", "2023-06")["reason"].to_list()
    assert "Returned 2023-06-01 (missing since 2023-05-30): return interview offered not recorded, accepted not recorded" in reasons


VOICE = [
    {"record_id": "V1", "child_id": "c1", "recorded_date": "2023-01-10", "plan_safe": False},
    {"record_id": "V2", "child_id": "c1", "recorded_date": "2023-05-01", "plan_safe": True, "explained_worries": False},
    {"record_id": "V3", "child_id": "c2", "recorded_date": "2022-05-01", "plan_safe": True},
    {"record_id": "V4", "child_id": "c3", "plan_safe": False},
    {"record_id": "V5", "child_id": "c4", "recorded_date": "2023-06-15", "agree_worker": True},
]


def test_the_voice_of_the_child_counts_each_childs_latest_recent_answer():
    ex = extract("2023-06-30", children=CHILDREN, voice_of_child=VOICE)
    # 30 June: c1's latest answer (1 May) is yes; c2 answered more than 12 months ago; c3's
    # undated answer counts as given on the extract date (no); c4 did not answer this question.
    june = figure(ex, "voice_plan_safe_pct", "2023-06")
    assert (june["numerator"], june["denominator"]) == (1, 2)
    # 31 May: only c1 (yes); c3's undated answer is not yet given.
    assert figure(ex, "voice_plan_safe_pct", "2023-05")["value"] == 100.0
    assert figure(ex, "voice_agree_worker_pct", "2023-06")["value"] == 100.0
    worries = figure(ex, "voice_explained_worries_pct", "2023-06")
    assert (worries["numerator"], worries["denominator"]) == (0, 1)


def test_early_help_closed_counts_episodes_by_their_end_and_says_why():
    eh = [
        {"episode_id": "EH1", "child_id": "c1", "start_date": "2023-01-05", "end_date": "2023-06-10", "end_reason": "Outcomes achieved"},
        {"episode_id": "EH2", "child_id": "c2", "start_date": "2023-02-05", "end_date": "2023-07-01"},
        {"episode_id": "EH3", "child_id": "c3", "start_date": "2023-03-05"},
    ]
    ex = extract("2023-07-31", children=CHILDREN, early_help=eh)
    assert figure(ex, "early_help_closed_count", "2023-06")["value"] == 1
    assert figure(ex, "early_help_closed_count", "2023-07")["value"] == 1
    assert figure(ex, "early_help_open_count", "2023-06")["value"] == 2
    [reason] = drilldown(ex, "early_help_closed_count", "2023-06")["reason"].to_list()
    assert reason == "Early help started 2023-01-05, closed 2023-06-10: Outcomes achieved"


ALLOCATIONS = [
    {"child_id": "c1", "worker_id": "W1", "team": "A", "start_date": "2023-01-01"},
    {"child_id": "c2", "worker_id": "W1", "team": "A", "start_date": "2023-01-01"},
    {"child_id": "c3", "worker_id": "W1", "team": "A", "start_date": "2023-01-01", "end_date": "2023-06-30"},
    {"child_id": "c4", "worker_id": "W2", "team": "A", "start_date": "2023-02-01"},
    {"child_id": "c5", "worker_id": "W2", "team": "A", "start_date": "2023-02-01"},
    {"child_id": "c6", "worker_id": "W3", "team": "B", "start_date": "2023-06-05"},
    {"child_id": "c8", "worker_id": "W5", "team": "B", "start_date": "2023-02-01", "end_date": "2023-06-30"},
]
WORKERS = [
    {"worker_id": "W1", "team": "A", "role": "SW"},
    {"worker_id": "W2", "team": "A", "role": "SW"},
    {"worker_id": "W3", "team": "B", "role": "OTHER"},
]


def test_caseloads_per_worker_come_from_the_allocations_alone():
    ex = extract(allocations=ALLOCATIONS, workers=WORKERS)
    # 30 June: W1 holds c1, c2 (c3 ended that day), W2 c4, c5, W3 c6; W5's ended: 5 children / 3 workers.
    june = figure(ex, "caseload_per_worker_avg", "2023-06")
    assert (june["numerator"], june["denominator"]) == (5, 3)
    assert figure(ex, "caseload_per_worker_avg", "2023-06", breakdown="team", cell="A")["value"] == 2.0
    # 31 May: W1 3, W2 2, W5 1 (W3 not yet): 6 / 3; more than 2 children: W1 only.
    assert figure(ex, "caseload_per_worker_avg", "2023-05")["value"] == 2.0
    may = figure(ex, "workers_over_caseload_pct", "2023-05", parameters={"max_cases": 2})
    assert (may["numerator"], may["denominator"]) == (1, 3)
    assert figure(ex, "workers_over_caseload_pct", "2023-06", parameters={"max_cases": 1})["value"] == pytest.approx(200 / 3)


def _csv(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_visits_in_timescale_are_read_from_the_ssd_visit_tables():
    files = {
        "extract.json": b'{"as_at": "2023-06-30"}',
        "ssd_person.csv": _csv("pers_person_id,pers_dob", "P1,2015-01-01", "P2,2016-01-01", "P3,2014-01-01"),
        "ssd_cp_plans.csv": _csv(
            "cppl_cp_plan_id,cppl_person_id,cppl_cp_plan_start_date,cppl_cp_plan_end_date",
            "CP1,P1,2023-06-01,", "CP2,P2,2023-06-20,",
        ),
        # P1 seen on 8 June; on 22 June the child was not seen (it does not count).
        "ssd_cp_visits.csv": _csv(
            "cppv_cp_visit_id,cppv_person_id,cppv_cp_visit_date,cppv_cp_visit_seen,cppv_cp_visit_seen_alone",
            "1,P1,2023-06-08 10:30:00,Y,N", "2,P1,2023-06-22 09:00:00,N,N",
        ),
        "ssd_cla_episodes.csv": _csv(
            "clae_cla_episode_id,clae_person_id,clae_cla_episode_start_date,clae_cla_episode_start_reason,clae_cla_id,clae_cla_placement_id",
            "E1,P3,2023-05-01,S,POC1,PL1",
        ),
        "ssd_cla_placement.csv": _csv("clap_cla_placement_id,clap_cla_placement_type", "PL1,U3"),
        "ssd_legal_status.csv": _csv("lega_legal_status_id,lega_person_id,lega_legal_status,lega_legal_status_start_date", "L1,P3,C2,2023-05-01"),
        # The same visit number in the CLA table is a different visit (the ids are prefixed).
        "ssd_cla_visits.csv": _csv("clav_cla_visit_id,clav_person_id,clav_cla_visit_date,clav_cla_visit_seen", "1,P3,2023-06-01,Y"),
    }
    ex, report = read_files(files)
    assert report.ok and not [p for p in report.problems if p.code == "duplicate_key"], report.render_text()
    # 30 June: P1's last visit seen was 8 June, due within 10 working days (22 June): overdue.
    # P2's plan started 20 June, first visit due 4 July: in timescale. 1 of 2.
    cp = figure(ex, "cp_visits_in_timescale_pct", "2023-06")
    assert (cp["numerator"], cp["denominator"]) == (1, 2)
    # P3 looked after since 1 May, visited 1 June: next due within 6 weeks (13 July): in timescale.
    cla = figure(ex, "cla_visits_in_timescale_pct", "2023-06")
    assert (cla["numerator"], cla["denominator"]) == (1, 1)
    assert sorted(ex.tables["visits"].collect()["visit_id"].to_list()) == ["CLA-1", "CP-1", "CP-2"]
