"""A tiny hand-made council in canonical tables, shared by the round-trip tests.

Everything happens in the 2023-24 collection year (1 April 2023 to 31 March 2024), except
C1's first looked-after episode, which starts in 2022 so that SSDA903 needs two years.
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from journey.engine.casedata.schema import SCHEMA

AS_AT = date(2024, 3, 31)


def frame(table: str, rows: list[dict]) -> pl.DataFrame:
    schema = SCHEMA[table].polars_schema
    return pl.DataFrame(
        [{name: row.get(name) for name in schema} for row in rows], schema=schema, orient="row"
    )


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture
def council() -> dict[str, pl.DataFrame]:
    return make_council()


def make_council() -> dict[str, pl.DataFrame]:
    return {
        "children": frame(
            "children",
            [
                {
                    "child_id": "C1",
                    "sex": "M",
                    "date_of_birth": d("2010-05-04"),
                    "ethnicity": "WBRI",
                    "upn": "A100000000001",
                    "uasc": False,
                    "disability": False,
                },
                {
                    "child_id": "C2",
                    "sex": "F",
                    "date_of_birth": d("2015-11-20"),
                    "ethnicity": "BAFR",
                    "disability": True,
                },
                {
                    "child_id": "C3",
                    "sex": "F",
                    "date_of_birth": d("2005-02-28"),
                    "ethnicity": "AIND",
                    "uasc": True,
                    "disability": False,
                },
            ],
        ),
        "contacts": frame(
            "contacts",
            [
                {
                    "contact_id": "C2-C20230601",
                    "child_id": "C2",
                    "contact_date": d("2023-06-01"),
                    "source": "2A",
                }
            ],
        ),
        "early_help": frame(
            "early_help",
            [
                {
                    "episode_id": "C2-E20230420",
                    "child_id": "C2",
                    "start_date": d("2023-04-20"),
                    "assessment_completed_date": d("2023-05-02"),
                    "organisation": "Family Hub North",
                }
            ],
        ),
        "referrals": frame(
            "referrals",
            [
                {
                    "referral_id": "C2-R20230602",
                    "child_id": "C2",
                    "referral_date": d("2023-06-02"),
                    "source": "2A",
                    "nfa": False,
                    "primary_need": "N1",
                    "team": "Assessment East",
                    "worker_id": "W7",
                },
            ],
        ),
        "assessments": frame(
            "assessments",
            [
                {
                    "assessment_id": "C2-A20230603",
                    "child_id": "C2",
                    "referral_id": "C2-R20230602",
                    "start_date": d("2023-06-03"),
                    "authorised_date": d("2023-07-20"),
                    "team": "Assessment East",
                    "worker_id": "W7",
                }
            ],
        ),
        "section47": frame(
            "section47",
            [
                {
                    "s47_id": "C2-S20230605",
                    "child_id": "C2",
                    "referral_id": "C2-R20230602",
                    "strategy_discussion_date": d("2023-06-05"),
                    "start_date": d("2023-06-05"),
                    "icpc_required": True,
                    "team": "Assessment East",
                    "worker_id": "W7",
                }
            ],
        ),
        "icpcs": frame(
            "icpcs",
            [
                {
                    "icpc_id": "C2-I20230623",
                    "child_id": "C2",
                    "s47_id": "C2-S20230605",
                    "conference_date": d("2023-06-23"),
                    "plan_made": True,
                }
            ],
        ),
        "cp_plans": frame(
            "cp_plans",
            [
                {
                    "cp_plan_id": "C2-P20230623",
                    "child_id": "C2",
                    "start_date": d("2023-06-23"),
                    "end_date": d("2024-01-15"),
                    "initial_category": "NEG",
                    "latest_category": "EMO",
                    "previous_plans": 0,
                    "team": "Safeguarding 1",
                }
            ],
        ),
        "cp_reviews": frame(
            "cp_reviews",
            [
                {"child_id": "C2", "cp_plan_id": "C2-P20230623", "review_date": d("2023-09-14")},
                {"child_id": "C2", "cp_plan_id": "C2-P20230623", "review_date": d("2024-01-15")},
            ],
        ),
        "cin_plans": frame(
            "cin_plans",
            [
                {
                    "cin_plan_id": "C2-N20240115",
                    "child_id": "C2",
                    "start_date": d("2024-01-15"),
                    "team": "Safeguarding 1",
                }
            ],
        ),
        "visits": frame(
            "visits",
            [
                {
                    "visit_id": "C2-VCP20231201",
                    "child_id": "C2",
                    "visit_date": d("2023-12-01"),
                    "visit_type": "CP",
                    "seen": True,
                    "seen_alone": True,
                },
                {
                    "visit_id": "C2-VCIN20240301",
                    "child_id": "C2",
                    "visit_date": d("2024-03-01"),
                    "visit_type": "CIN",
                    "seen": True,
                },
                {
                    "visit_id": "C1-VCLA20240220",
                    "child_id": "C1",
                    "visit_date": d("2024-02-20"),
                    "visit_type": "CLA",
                    "seen": True,
                },
            ],
        ),
        "cla_episodes": frame(
            "cla_episodes",
            [
                {
                    "child_id": "C1",
                    "episode_start": d("2022-06-01"),
                    "reason_new_episode": "S",
                    "legal_status": "C2",
                    "category_of_need": "N1",
                    "placement_type": "U6",
                    "placement_provider": "PR1",
                    "episode_end": d("2023-05-10"),
                    "reason_ceased": "X1",
                },
                {
                    "child_id": "C1",
                    "episode_start": d("2023-05-10"),
                    "reason_new_episode": "P",
                    "legal_status": "C2",
                    "category_of_need": "N1",
                    "placement_type": "U4",
                    "placement_provider": "PR4",
                    "reason_place_change": "CARPL",
                    "placement_urn": "SC111111",
                },
            ],
        ),
        "cla_reviews": frame(
            "cla_reviews",
            [
                {"child_id": "C1", "review_date": d("2023-07-01"), "participation": "PN1"},
                {"child_id": "C1", "review_date": d("2024-01-05"), "participation": "PN2"},
            ],
        ),
        "care_leavers": frame(
            "care_leavers",
            [
                {
                    "child_id": "C3",
                    "contact_date": d("2024-02-28"),
                    "in_touch": "YES",
                    "activity": "F2",
                    "accommodation": "D",
                    "accommodation_suitable": True,
                }
            ],
        ),
        "workers": frame("workers", []),
        "allocations": frame(
            "allocations",
            [{"child_id": "C1", "worker_id": "W1", "start_date": d("2022-06-01")}],
        ),
        "supervisions": frame("supervisions", []),
        "audits": frame("audits", []),
        "population": frame("population", []),
    }


def canonical(df: pl.DataFrame, table: str, columns: list[str] | None = None) -> pl.DataFrame:
    """The table's canonical columns (or the given ones), sorted, for comparing."""
    columns = columns or SCHEMA[table].column_names
    return df.select(columns).sort(columns, nulls_last=True)
