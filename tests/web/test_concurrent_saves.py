"""Simultaneous saves of narrative and actions: one wins, the others are told (409), none fail.

On SQLite a writing transaction takes the write lock when it begins (``transaction_mode``
IMMEDIATE), so the saves queue and the version check refuses every late one; before, some
answered 500 ("database is locked"). The same test runs on PostgreSQL (``make test-postgres``).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from journey.web.accounts.roles import Role
from journey.web.actions.models import TrackedAction
from journey.web.narrative.models import Narrative
from tests.web.workflow_plan import activate_plan

WRITERS = 12
MEASURE = "cp_visits_in_time"
MONTH = "2024-06"


@pytest.fixture
def plan(transactional_db):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(
        ("file:memorydb", ":memory:")
    ):
        pytest.skip("needs a database file that several connections share")
    return activate_plan()


def _at_once(make_user, post) -> list[int]:
    """``post(client, n)`` from WRITERS signed-in clients at the same moment; the statuses."""
    clients = []
    for n in range(WRITERS):
        client = Client()
        client.force_login(make_user(Role.DATA_TEAM, f"writer{n}"))
        clients.append(client)
    barrier = threading.Barrier(WRITERS)
    statuses: list[int] = []

    def run(n: int) -> None:
        from django.db import connection as own_connection

        try:
            barrier.wait()
            statuses.append(post(clients[n], n).status_code)
        except Exception as exc:  # a crash in the view is a failed request
            statuses.append(type(exc).__name__)  # type: ignore[arg-type]
        finally:
            own_connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_simultaneous_narrative_saves_give_one_save_and_409s_and_no_errors(plan, make_user):
    url = reverse("narrative:edit", kwargs={"measure_id": MEASURE, "month": MONTH})

    def post(client, n):
        return client.post(url, {
            "working_well": f"Writer {n}: visits rose.", "worried_about": "Two teams.",
            "doing_about": "Weekly meetings.", "version": 0, "intent": "save",
        })

    statuses = _at_once(make_user, post)
    assert sorted(statuses) == [302] + [409] * (WRITERS - 1), statuses
    narrative = Narrative.objects.get(measure_id=MEASURE, month=MONTH)
    assert narrative.version == 1


def test_simultaneous_action_updates_give_one_update_and_409s_and_no_errors(plan, make_user):
    from journey.web.actions import services

    services.ensure_synced()
    action = TrackedAction.objects.filter(in_plan=True).order_by("number").first()
    url = reverse("actions:update", kwargs={"number": action.number})
    started_at = action.version

    def post(client, n):
        return client.post(url, {
            "status": "in_progress", "percent_complete": n, "note": f"Writer {n}",
            "version": action.version,
        })

    statuses = _at_once(make_user, post)
    assert sorted(statuses) == [302] + [409] * (WRITERS - 1), statuses
    action.refresh_from_db()
    assert action.version == started_at + 1
