"""A small synthetic plan for the narrative and actions tests, and a way to make it active.

Measure and action owners are accounts, by username: ``sam`` (a service lead in the
tests) and ``dana`` (a director).
"""

from __future__ import annotations

import hashlib

PLAN_YAML = """\
title: Synthetic improvement plan
authority:
  name: Synthetic Borough Council
  la_code: "999"
  population_0_17:
    2024: 50000
priorities:
  - id: A
    title: Planning and safety (CIN and CP)
    measures:
      - id: cp_visits_in_time
        title: Child protection visits in timescale
        unit: percent
        polarity: higher_is_better
        targets:
          2024-09: 90
        source: manual
        owner: sam
      - id: re_referrals
        title: Re-referrals within 12 months
        unit: percent
        polarity: lower_is_better
        targets:
          2024-09: 20
        source: manual
        owner: dana
    actions:
      - number: 1.1
        text: Weekly performance meetings review every overdue CP visit
        owner: sam
        start: 2024-04-01
        due: 2024-09-30
        status: in_progress
        percent_complete: 40
        measures: [cp_visits_in_time]
      - number: 1.10
        text: Audit re-referrals with the front door
        owner: dana
        due: 2024-06-30
        measures: [re_referrals]
  - id: D
    title: People and workforce
    measures:
      - id: supervisions_in_time
        title: Supervisions in timescale
        unit: percent
        polarity: higher_is_better
        targets:
          2024-09: 85
        source: manual
        owner: sam
    actions:
      - number: 4.10
        text: Recruit permanent team managers
        owner: sam; HR business partner
        start: 2024-01-01
        due: 2025-03-31
        status: not_started
        measures: [supervisions_in_time]
"""


def activate_plan(text: str = PLAN_YAML, filename: str = "plan.yaml"):
    """Store ``text`` as the active plan version (deactivating any other)."""
    from journey.web.plans.models import PlanVersion

    PlanVersion.objects.filter(active=True).update(active=False)
    return PlanVersion.objects.create(
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        filename=filename,
        origin=PlanVersion.Origin.COMMAND,
        active=True,
    )
