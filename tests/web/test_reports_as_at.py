"""Reports are reproducible: a past month is judged as at its end, whenever it is built."""

from __future__ import annotations

import re

from journey.engine.reports import renderers
from journey.engine.reports.assemble import assemble
from journey.web.accounts.roles import Role
from journey.web.actions import services as actions
from journey.web.plans import services as plans
from journey.web.reports.services import build_inputs
from tests.web.frozen_council import PLAN, load, on


def september_pack_html() -> str:
    inputs = build_inputs("2024-09")
    inputs.charts = False
    return renderers.render(assemble("monthly", inputs), "html").decode()


def without_prepared_on(html: str) -> str:
    return re.sub(r"Prepared on</dt><dd>[^<]*<", "Prepared on</dt><dd><", html)


def track_action_3_1(make_user, tmp_path) -> None:
    with on(2024, 4, 1):
        plans.save_plan_version(PLAN, filename="plan.yaml", user=None)
        actions.ensure_synced()
    lead = make_user(Role.DATA_TEAM, "analyst")
    with on(2024, 9, 15):
        actions.update(lead, "3.1", base_version=0, status="in_progress", percent_complete=40, note="Recruiting the team")
    with on(2024, 10, 10):
        load(tmp_path)
    with on(2025, 5, 2):
        actions.update(lead, "3.1", base_version=1, status="completed", percent_complete=100)


def test_a_september_2024_pack_built_in_december_2026_does_not_call_action_3_1_overdue(db, make_user, tmp_path):
    track_action_3_1(make_user, tmp_path)
    with on(2026, 12, 1):
        inputs = build_inputs("2024-09")
    assert inputs.today.isoformat() == "2024-09-30"
    action = next(a for a in inputs.actions if a.number == "3.1")
    assert (action.overdue, action.days_overdue, action.percent_complete) == (False, 0, 40)
    assert action.status == "In progress" and action.rag == "amber"
    assert "40% complete against 50% expected" in action.rag_reason
    done = next(a for a in inputs.actions if a.number == "1.1")
    assert done.status == "Completed" and not done.overdue


def test_the_same_pack_built_a_year_apart_is_the_same_apart_from_prepared_on(db, make_user, tmp_path):
    track_action_3_1(make_user, tmp_path)
    with on(2025, 12, 1):
        first = september_pack_html()
    with on(2026, 12, 1):
        second = september_pack_html()
    assert "Prepared on</dt><dd>1 December 2025<" in first
    assert "Prepared on</dt><dd>1 December 2026<" in second
    assert first != second and without_prepared_on(first) == without_prepared_on(second)
    assert "Overdue:" not in second and "days ago" not in second
