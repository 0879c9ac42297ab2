"""Reminders by e-mail through GOV.UK Notify (a fake Notify server started by the tests)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from journey.engine.periods import month_label
from journey.web.background import reminders, schedules
from journey.web.background.models import Reminder
from tests.web import fake_notify
from tests.web.workflow_plan import activate_plan


@pytest.fixture
def notify(settings):
    fake, server = fake_notify.start()
    settings.JOURNEY_NOTIFY_API_KEY = fake_notify.API_KEY
    settings.JOURNEY_NOTIFY_BASE_URL = fake.url
    settings.JOURNEY_NOTIFY_ACTION_DUE_TEMPLATE = "11111111-1111-1111-1111-111111111111"
    settings.JOURNEY_NOTIFY_NARRATIVE_TEMPLATE = "22222222-2222-2222-2222-222222222222"
    settings.JOURNEY_BASE_URL = "https://journey.example.gov.uk"
    yield fake
    server.shutdown()


@pytest.fixture
def council(db, make_user, tmp_path, monkeypatch):
    from journey.web.actions.services import ensure_synced
    from journey.web.narrative.models import Narrative
    from journey.web.plans import services

    activate_plan()
    ensure_synced()
    figures = tmp_path / "figures.csv"
    figures.write_text("measure_id,period,value\ncp_visits_in_time,2024-05,88\nsupervisions_in_time,2024-05,80\n")
    services.import_observations(figures, user=None)
    Narrative.objects.create(measure_id="supervisions_in_time", month="2024-05", state="submitted")
    sam = make_user("service_lead", "sam", display_name="Sam Lead", email="sam@council.example")
    dana = make_user("director", "dana", display_name="Dana Director", email="dana@council.example")
    make_user("service_lead", "noemail", display_name="Sam Lead")  # no address: nothing sent
    monkeypatch.setattr(reminders.timezone, "localdate", lambda: date(2024, 6, 25))
    return sam, dana


def test_owners_get_one_email_each_listing_their_actions_due_and_narrative_asked_for(notify, council):
    result = reminders.send_reminders.enqueue().return_value
    assert result == {"sent": 3, "skipped": 0}
    by_address = {}
    for email in notify.sent:
        by_address.setdefault(email["email_address"], []).append(email)
    dana = {e["template_id"]: e["personalisation"] for e in by_address["dana@council.example"]}
    action = dana["11111111-1111-1111-1111-111111111111"]
    assert action["detail"] == "* 1.10 Audit re-referrals with the front door (due 30 June 2024)"
    assert action["due"] == "30 June 2024" and action["name"] == "Dana Director"
    assert action["link"] == "https://journey.example.gov.uk/actions/"
    assert dana["22222222-2222-2222-2222-222222222222"]["detail"] == "* Re-referrals within 12 months: narrative for " + month_label("2024-05")
    (sam,) = by_address["sam@council.example"]  # no action of Sam's is due within 7 days
    # supervisions' narrative is submitted already; cp visits' is not
    assert sam["personalisation"]["detail"] == "* Child protection visits in timescale: narrative for " + month_label("2024-05")
    assert not notify.refused
    assert Reminder.objects.count() == 3 and all(r.notify_id for r in Reminder.objects.all())


def test_a_reminder_is_sent_once_a_day_and_one_that_failed_is_tried_again(notify, council, monkeypatch):
    notify.fail_next = 1
    first = reminders.send_reminders.enqueue().return_value
    assert first == {"sent": 2, "skipped": 1}
    again = reminders.send_reminders.enqueue().return_value
    assert again == {"sent": 1, "skipped": 2}  # only the one that failed
    monkeypatch.setattr(reminders.timezone, "localdate", lambda: date(2024, 6, 26))
    assert reminders.send_reminders.enqueue().return_value["sent"] == 3  # a new day


def test_an_overdue_action_says_since_when(notify, council, monkeypatch):
    monkeypatch.setattr(reminders.timezone, "localdate", lambda: date(2024, 7, 3))
    reminders.send_reminders.enqueue()
    details = [e["personalisation"]["detail"] for e in notify.sent if e["template_id"].startswith("1")]
    assert details == ["* 1.10 Audit re-referrals with the front door (overdue since 30 June 2024)"]


def test_no_key_no_reminders_and_no_schedule(settings, council):
    settings.JOURNEY_NOTIFY_API_KEY = ""
    assert reminders.send_reminders.enqueue().return_value == {"sent": 0, "skipped": 0}
    (periodic,) = [p for p in schedules.SCHEDULES if p.name == "reminders"]
    assert periodic.every() is None
    settings.JOURNEY_NOTIFY_API_KEY = fake_notify.API_KEY
    assert periodic.every() == timedelta(days=1)
