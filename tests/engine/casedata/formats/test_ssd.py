"""The Standard Safeguarding Dataset read as CSV files: mapping, JSON outcomes, hostile input."""

from __future__ import annotations

from datetime import date

import pytest
from polars.testing import assert_frame_equal

from journey.engine.casedata import synth
from journey.engine.casedata.formats.ssd import read_ssd_files, ssd_csv_files
from journey.engine.casedata.load import read_files

PERSON = (
    "pers_person_id,pers_forename,pers_surname,pers_sex,pers_ethnicity,pers_dob,pers_expected_dob\n"
    "P1,Ann,Example,F,WBRI,2012-05-01 00:00:00.000,\n"
    "p2,Bob,Example,M,BAFR,2015-01-09,\n"
    "P3,,,U,,,2024-06-01\n"
)


def files(**tables: str) -> dict[str, bytes]:
    out = {"extract.json": b'{"as_at": "2024-03-31"}', "ssd_person.csv": PERSON.encode()}
    out.update({f"{name}.csv": text.encode() for name, text in tables.items()})
    return out


def read(**tables: str):
    return read_files(files(**tables))


def by_code(report, code):
    return [p for p in report.problems if p.code == code]


@pytest.fixture(scope="module")
def council():
    return synth.synth_case_data(synth.DEFAULT_PROFILE, 3000, "2022-04", "2023-07", 11)


def test_the_synthetic_council_comes_back_from_its_ssd_tables_with_the_same_facts(council):
    extract, report = read_files(ssd_csv_files(council))
    assert report.format == "ssd" and report.ok, report.render_text()
    same = {
        "children": ["child_id", "sex", "date_of_birth", "unborn", "ethnicity"],
        "referrals": None, "assessments": None, "icpcs": None, "cp_reviews": None,
        "cin_plans": None, "cla_reviews": None, "care_leavers": None, "missing_episodes": None,
        "allocations": None, "contacts": ["contact_id", "child_id", "contact_date", "source", "outcome"],
        "cla_episodes": [c for c in extract.tables["cla_episodes"].collect_schema().names() if c not in ("carer_id", "team", "_flagged")],
        "visits": ["child_id", "visit_date", "visit_type", "seen", "seen_alone"],
    }
    for name, columns in same.items():
        a = council.tables[name].collect().drop("_flagged")
        b = extract.tables[name].collect().drop("_flagged")
        cols = columns or a.columns
        assert a.height == b.height > 0, name
        assert_frame_equal(a.select(cols).sort(cols, nulls_last=True), b.select(cols).sort(cols, nulls_last=True), check_row_order=True)


def test_a_child_is_read_with_only_the_fields_needed_and_an_unborn_child_from_the_expected_date():
    extract, report = read()
    children = extract.tables["children"].collect()
    assert children.columns == ["child_id", "sex", "date_of_birth", "unborn", "ethnicity", "upn", "disability", "uasc", "date_of_death", "_flagged"]
    assert children["child_id"].to_list() == ["P1", "P2", "P3"]
    assert children["date_of_birth"].to_list() == [date(2012, 5, 1), date(2015, 1, 9), date(2024, 6, 1)]
    assert children["unborn"].to_list() == [False, False, True]
    assert "Ann" not in str(children.rows())
    names = by_code(report, "personal_columns")
    assert names and "pers_forename, pers_surname" in names[0].message and names[0].file == "ssd_person.csv"


def test_it_refuses_an_extract_without_the_person_table():
    result = read_ssd_files({"ssd_cin_episodes.csv": b"cine_referral_id,cine_person_id,cine_referral_date\nR1,P1,2024-01-01\n"})
    assert [p.code for p in result.errors] == ["missing_table"]


def test_wrong_types_and_missing_columns_are_errors_naming_file_row_column_and_key():
    _, report = read(
        ssd_cin_episodes="cine_referral_id,cine_person_id,cine_referral_date,cine_referral_nfa\n"
        "R1,P1,2024-01-05,N\nR2,P2,yesterday,maybe\n",
        ssd_cp_plans="cppl_cp_plan_id,cppl_person_id\nCP1,P1\n",
    )
    errors = {(p.file, p.row, p.column): p.message for p in report.errors}
    assert errors[("ssd_cin_episodes.csv", 3, "cine_referral_date")] == (
        "'yesterday' is not a date (expected YYYY-MM-DD or DD/MM/YYYY) (cine_referral_id 'R2')"
    )
    assert "'maybe' is not yes or no" in errors[("ssd_cin_episodes.csv", 3, "cine_referral_nfa")]
    assert errors[("ssd_cp_plans.csv", 1, "cppl_cp_plan_start_date")].startswith("required column cppl_cp_plan_start_date is missing")
    assert not report.ok


def test_outcome_json_flags_are_parsed_and_text_that_is_not_json_is_reported():
    extract, report = read(
        ssd_contacts="cont_contact_id,cont_person_id,cont_contact_date,cont_contact_source_code,cont_contact_outcome_json\n"
        'K1,P1,2024-01-02,2A,"{""NEW_REFERRAL_FLAG"": ""Y"", ""NFA_FLAG"": """", ""COMMENTS"": ""worried""}"\n'
        'K2,P2,2024-01-03,5a,"{""OUTCOME_ADVICE_FLAG"": ""Y"", ""OUTCOME_NFA_FLAG"": ""Y""}"\n'
        "K3,P2,2024-01-04,5A,{not json\n",
    )
    contacts = extract.tables["contacts"].collect()
    assert contacts["outcome"].to_list() == ["referral", "advice", None]
    assert contacts["source"].to_list() == ["2A", "5A", "5A"]
    [bad] = by_code(report, "not_json")
    assert (bad.file, bad.row, bad.column) == ("ssd_contacts.csv", 4, "cont_contact_outcome_json")
    assert "(cont_contact_id 'K3')" in bad.message


def test_an_episode_takes_its_placement_and_the_legal_status_in_force_when_it_started():
    extract, report = read(
        ssd_cla_episodes="clae_cla_episode_id,clae_person_id,clae_cla_episode_start_date,clae_cla_episode_start_reason,"
        "clae_cla_primary_need_code,clae_cla_episode_ceased,clae_cla_episode_ceased_reason,clae_cla_id,clae_cla_placement_id\n"
        "E1,P1,2023-01-10,S,N1,2023-06-01,X1,POC1,PL1\n"
        "E2,P1,2023-06-01,P,N1,,,POC1,PL2\n"
        "E3,P2,2023-02-01,S,N2,,,POC2,PL9\n",
        ssd_cla_placement="clap_cla_placement_id,clap_cla_placement_type,clap_cla_placement_provider,clap_cla_placement_urn,clap_cla_placement_postcode\n"
        "PL1,U4,PR1,SC123,AB1 2CD\nPL2,k2,PR4,,ZZ9 9ZZ\nPL2,R1,PR4,,\n",
        ssd_legal_status="lega_legal_status_id,lega_person_id,lega_legal_status,lega_legal_status_start_date,lega_legal_status_end_date\n"
        "L1,P1,V2,2023-01-10,2023-04-01\nL2,P1,C2,2023-04-01,\nL3,P2,C1,2022-01-01,2022-06-01\n",
    )
    eps = extract.tables["cla_episodes"].collect().sort("child_id", "episode_start")
    assert eps.select("placement_type", "placement_provider", "legal_status", "episode_end").rows() == [
        ("U4", "PR1", "V2", date(2023, 6, 1)),
        ("K2", "PR4", "C2", None),
        (None, None, None, None),  # P2's legal status ended before the episode; PL9 is unknown
    ]
    [dup] = by_code(report, "duplicate_key")
    assert (dup.file, dup.row) == ("ssd_cla_placement.csv", 4)
    [orphan] = [p for p in by_code(report, "unknown_reference") if p.column == "clae_cla_placement_id"]
    assert (orphan.file, orphan.row, orphan.value) == ("ssd_cla_episodes.csv", 4, "PL9")
    assert "clap_cla_placement_postcode" in by_code(report, "personal_columns")[0].message


def test_reviews_find_their_child_through_the_period_of_care_and_orphans_are_not_loaded():
    extract, report = read(
        ssd_cla_episodes="clae_cla_episode_id,clae_person_id,clae_cla_episode_start_date,clae_cla_id\nE1,P1,2023-01-10,POC1\n",
        ssd_cla_reviews="clar_cla_review_id,clar_cla_id,clar_cla_review_date,clar_cla_review_cancelled,clar_cla_review_participation\n"
        "CR1,POC1,2023-02-01,N,pn1\nCR2,POC1,2023-03-01,Y,\nCR3,POC7,2023-03-02,N,\nCR4,POC1,,N,\n",
    )
    reviews = extract.tables["cla_reviews"].collect()
    assert reviews.select("child_id", "review_date", "participation").rows() == [("P1", date(2023, 2, 1), "PN1")]
    lost = {p.row: p.message for p in report.problems if p.file == "ssd_cla_reviews.csv" and p.row}
    assert "clar_cla_id is not a clae_cla_id" in lost[4] and "'CR3'" in lost[4]
    assert "not been held" in lost[5]
    assert any("1 cancelled reviews" in p.message for p in report.problems)


def test_allocated_involvements_become_allocations_and_job_titles_give_roles():
    extract, report = read(
        ssd_professionals="prof_professional_id,prof_professional_name,prof_professional_job_title,prof_professional_department,prof_full_time_equivalency,prof_agency_worker_flag\n"
        "W1,Jo,Senior Social Worker,T1,1,N\nW2,Al,Social Worker,T1,0.5,Y\nW3,Cy,Independent Reviewing Officer,,,\n",
        ssd_involvements="invo_involvements_id,invo_professional_id,invo_professional_role_id,invo_professional_team,invo_person_id,invo_involvement_start_date,invo_involvement_end_date\n"
        "I1,W1,Allocated Case Worker,T1,P1,2023-01-01,\nI2,W2,Allocated Social Worker,T1,P2,2023-02-01,2023-05-01\n"
        "I3,W3,IRO,,P1,2022-12-01,\n",
        ssd_department="dept_team_id,dept_team_name\nT1,Assessment East\n",
    )
    workers = extract.tables["workers"].collect().sort("worker_id")
    assert workers.select("worker_id", "role", "employment", "fte", "team", "start_date").rows() == [
        ("W1", "SSW", "permanent", 1.0, "Assessment East", date(2023, 1, 1)),
        ("W2", "SW", "agency", 0.5, "Assessment East", date(2023, 2, 1)),
        ("W3", "OTHER", None, None, None, date(2022, 12, 1)),
    ]
    allocations = extract.tables["allocations"].collect()
    assert allocations.select("child_id", "worker_id", "team").rows() == [("P1", "W1", "Assessment East"), ("P2", "W2", "Assessment East")]
    assert any("IRO (1)" in p.message for p in by_code(report, "not_used"))


def test_orphans_and_repeated_keys_load_flagged_with_located_warnings():
    extract, report = read(
        ssd_cin_episodes="cine_referral_id,cine_person_id,cine_referral_date\nR1,P1,2024-01-05\nR1,P9,2024-01-06\n",
    )
    assert report.ok
    referrals = extract.tables["referrals"].collect()
    assert referrals["_flagged"].to_list() == [False, True]
    where = {(p.code, p.file, p.row) for p in report.problems}
    assert ("duplicate_key", "ssd_cin_episodes.csv", 3) in where
    assert ("unknown_reference", "ssd_cin_episodes.csv", 3) in where


def test_missing_episodes_accept_the_older_ssd_column_names():
    extract, report = read(
        ssd_missing="miss_table_id,miss_la_person_id,miss_mis_epi_start,miss_mis_epi_type,miss_mis_epi_end,miss_mis_epi_rhi_offered,miss_mis_epi_rhi_accepted\n"
        "M1,P1,2024-01-02,M,2024-01-03,Yes,No\nM2,P2,2024-02-02,a,,,\n",
    )
    missing = extract.tables["missing_episodes"].collect()
    assert missing.select("child_id", "episode_type", "end_date", "return_interview_offered", "return_interview_accepted").rows() == [
        ("P1", "M", date(2024, 1, 3), True, False),
        ("P2", "A", None, None, None),
    ]
    assert report.ok
