"""A small council for the tests of reproducible reports and published months.

Action 3.1 (the case in issue 11) runs from 1 April 2024 to 31 March 2025; the figures are
July to October 2024. Every change is made with the clock set to the day it happened.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine

from journey.web.accounts.roles import Role
from journey.web.plans import services as plans

DATA = Path(__file__).parent / "data"
LONDON = ZoneInfo("Europe/London")

ACTION_1_1 = """      - number: "1.1"
        text: Weekly visit tracker reviewed in performance meetings
        owner: sam
        due: 2023-12-31
        status: in_progress
        measures: [cp_visits]"""
assert ACTION_1_1 in (DATA / "plan.yaml").read_text(), "the web tests' plan changed: update ACTION_1_1"

PLAN = (DATA / "plan.yaml").read_text().replace(
    ACTION_1_1,
    """      - number: "1.1"
        text: Weekly visit tracker reviewed in performance meetings
        owner: sam
        due: 2023-12-31
        status: completed
        measures: [cp_visits]
      - number: "3.1"
        text: Edge-of-care service offering intensive family support within 48 hours
        owner: sam
        start: 2024-04-01
        due: 2025-03-31
        status: not_started
        measures: [cp_visits]""",
)

FIGURES = """measure_id,period,value,numerator,denominator
cp_visits,2024-07,86.0,86,100
cp_visits,2024-08,88.0,88,100
cp_visits,2024-09,84.0,84,100
re_referrals,2024-07,24.0,,
re_referrals,2024-08,21.0,,
re_referrals,2024-09,20.0,,
audits_completed,2024-07,24,,
audits_completed,2024-08,28,,
audits_completed,2024-09,31,,
referrals,2024-09,3,,
"""


def on(year: int, month: int, day: int, hour: int = 12) -> time_machine.travel:
    """The clock set to noon (London) on a day; ``tick=False`` so times are exact."""
    return time_machine.travel(datetime(year, month, day, hour, tzinfo=LONDON), tick=False)


def load(tmp_path: Path, text: str = FIGURES, name: str = "figures.csv") -> None:
    path = tmp_path / name
    path.write_text(text)
    plans.import_observations(path, user=None)


ANSWERS = {
    "working_well": "Visits stood at 84.0% in September.",
    "worried_about": "One team is behind.",
    "doing_about": "The head of service reviews the tracker weekly.",
}


def approve_all(make_user, month: str) -> None:
    from journey.web.narrative import services as narrative

    writer = make_user(Role.DATA_TEAM, f"writer-{month}")
    director = make_user(Role.DIRECTOR, f"signer-{month}")
    for measure in plans.active_plan().measures:
        result = narrative.save(writer, measure.id, month, ANSWERS, base_version=0, submit=True)
        narrative.approve(director, measure.id, month, base_version=result.narrative.version)
