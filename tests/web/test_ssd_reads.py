"""The monthly read of the council's SSD database: a checked proposal for the data team,
never accepted; the database's URL only ever in the environment."""

from __future__ import annotations

import io
import logging
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult
from sqlalchemy.engine import make_url

from journey.engine.casedata import synth
from journey.engine.casedata.ssd_db import SsdDatabaseError, database_url, write_ssd_database
from journey.web.accounts.models import AuditEvent
from journey.web.background import schedules
from journey.web.casedata.models import LoadJob
from journey.web.env import ConfigurationError, env_day_of_month, env_time
from journey.web.ssd import reads
from journey.web.ssd.models import SsdRead
from tests.ssd_database import ssd_database

PASSWORD = "Pw-s3cret-9417"  # noqa: S105 - test-only password (the local server trusts the test)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture(scope="module")
def council():
    return synth.synth_case_data(synth.DEFAULT_PROFILE, 1500, "2022-04", "2023-07", 11)


@pytest.fixture(scope="module")
def ssd(council):
    """A PostgreSQL database holding the council's SSD in schema ``ssd``; its URL with a password."""
    with ssd_database() as url:
        write_ssd_database(council, url, schema="ssd")
        yield make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


@pytest.fixture
def configured(ssd, settings, tmp_path, monkeypatch, db):
    settings.JOURNEY_RUN_JOBS_INLINE = True
    settings.DATA_DIR = tmp_path / "data"
    settings.JOURNEY_SSD_SCHEMA = "ssd"
    monkeypatch.setenv("JOURNEY_SSD_URL", ssd)
    return ssd


def _everything_kept(data_dir: Path) -> str:
    """The whole database and every file the service kept, as text."""
    dumped = io.StringIO()
    call_command("dumpdata", stdout=dumped)
    files = [p.read_bytes().decode("utf-8", "replace") for p in data_dir.rglob("*") if p.is_file()]
    return dumped.getvalue() + "".join(files)


def test_the_monthly_read_leaves_a_checked_proposal_that_nobody_has_accepted(configured, settings, data_team):
    result = reads.read_ssd_monthly.enqueue().return_value
    (job,) = LoadJob.objects.all()
    assert "proposal" in job.summary  # what accepting it would change, for the data team to judge
    page = data_team.get(reverse("casedata:loads")).content.decode()
    assert job.original_name == f"Monthly SSD read, {timezone.localdate():%-d %B %Y} (the SSD database in JOURNEY_SSD_URL, schema ssd)"
    assert f'href="{reverse("casedata:job", args=[job.pk])}">{job.original_name}</a>' in page
    assert data_team.get(reverse("casedata:job", args=[job.pk])).status_code == 200
    assert result == {"outcome": "proposed", "proposal": job.pk, "rows": SsdRead.objects.get().rows}
    assert job.status == LoadJob.Status.CHECKED and job.kind == "ssd"  # waits for the data team
    assert job.accepted_by is None and job.snapshot == ""
    assert not (Path(settings.DATA_DIR) / "store").exists()  # nothing loaded
    assert job.summary["tables"]["children"] == SsdRead.objects.get().rows["ssd_person"] > 0
    assert "ssd_person.csv" in job.summary["files"] and "database.json" in job.summary["files"]
    event = AuditEvent.objects.get(action="ssd_read_proposed")
    assert event.target == "the SSD database in JOURNEY_SSD_URL, schema ssd" and event.detail["job"] == job.pk


def test_the_database_url_is_never_stored_or_logged(configured, settings, caplog):
    caplog.set_level(logging.DEBUG)
    reads.read_ssd_monthly.enqueue()
    url = make_url(configured)
    kept = _everything_kept(Path(settings.DATA_DIR)) + caplog.text
    assert LoadJob.objects.count() == 1 and "the SSD database in JOURNEY_SSD_URL" in kept
    assert PASSWORD not in kept and str(url.database) not in kept and configured not in kept


def test_a_database_that_cannot_be_read_is_recorded_as_failed_without_its_url(configured, settings, monkeypatch, caplog):
    unreachable = f"postgresql://reader:{PASSWORD}@127.0.0.1:1/council_ssd"
    monkeypatch.setenv("JOURNEY_SSD_URL", unreachable)
    result = reads.read_ssd_monthly.enqueue()
    assert result.status == "FAILED" and result.errors[0].exception_class is SsdDatabaseError
    read = SsdRead.objects.get()
    assert read.outcome == SsdRead.Outcome.FAILED and read.finished_at is not None
    assert read.message.startswith("could not read the SSD from the SSD database in JOURNEY_SSD_URL, schema ssd: ")
    assert LoadJob.objects.count() == 0
    kept = _everything_kept(Path(settings.DATA_DIR)) + caplog.text + result.errors[0].traceback
    assert PASSWORD not in kept and "council_ssd" not in kept


def test_tables_unchanged_since_the_last_proposal_are_not_proposed_again(configured, ssd):
    first = reads.read_and_propose()
    again = reads.read_and_propose()
    assert again.outcome == SsdRead.Outcome.UNCHANGED and LoadJob.objects.count() == 1
    assert f"(proposal {first.job_id}), so nothing new was proposed: check that the SSD is being refreshed" in again.message
    engine = sa.create_engine(database_url(ssd))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE ssd.ssd_person SET pers_sex = 'F' WHERE pers_person_id = (SELECT min(pers_person_id) FROM ssd.ssd_person)"))
    engine.dispose()
    changed = reads.read_and_propose()
    assert changed.outcome == SsdRead.Outcome.PROPOSED and LoadJob.objects.count() == 2
    assert changed.tables_sha256 != first.tables_sha256


def test_an_ssd_with_errors_is_proposed_rejected_with_its_located_errors(configured, settings, council):
    engine = sa.create_engine(database_url(configured))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS broken CASCADE"))
    engine.dispose()
    write_ssd_database(council, configured, schema="broken")
    engine = sa.create_engine(database_url(configured))
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE broken.ssd_cp_plans DROP COLUMN cppl_cp_plan_start_date"))
    engine.dispose()
    settings.JOURNEY_SSD_SCHEMA = "broken"
    read = reads.read_and_propose()
    job = LoadJob.objects.get(pk=read.job_id)
    assert read.outcome == SsdRead.Outcome.PROPOSED and job.status == LoadJob.Status.REJECTED
    assert any(p["file"] == "ssd_cp_plans.csv" and p["column"] == "cppl_cp_plan_start_date" for p in job.errors)


def test_the_read_is_scheduled_once_a_month_only_when_the_url_is_in_the_environment(settings, monkeypatch, db):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # queued, not run
    (monthly,) = [s for s in schedules.SCHEDULES if s.name == "ssd-read"]
    monkeypatch.delenv("JOURNEY_SSD_URL", raising=False)
    assert not monthly.enabled()
    monkeypatch.setenv("JOURNEY_SSD_URL", "postgresql://reader@ssd-host/ssd")
    settings.JOURNEY_SSD_DAY, settings.JOURNEY_SSD_AT = 5, time(6, 0)
    assert monthly.enabled()

    def local(*parts: int) -> datetime:
        return datetime(*parts, tzinfo=LONDON)

    assert monthly.next_after(local(2026, 3, 4, 12, 0)) == local(2026, 3, 5, 6, 0)
    # Six in the morning by the clocks in London, in winter and in summer time.
    assert monthly.next_after(local(2026, 3, 5, 6, 0)) == local(2026, 4, 5, 6, 0)
    assert local(2026, 4, 5, 6, 0).utcoffset().total_seconds() == 3600
    assert monthly.next_after(local(2026, 12, 20, 9, 0)) == local(2027, 1, 5, 6, 0)

    monkeypatch.setattr(schedules, "SCHEDULES", [schedules.Monthly("ssd-read", "tests.web.test_ssd_reads.never_run", monthly.when)])
    first_seen = local(2026, 3, 4, 12, 0)
    assert schedules.enqueue_due(first_seen) == []  # due on the 5th at six
    assert schedules.enqueue_due(local(2026, 3, 5, 6, 1)) == ["ssd-read"]
    assert schedules.enqueue_due(local(2026, 3, 20, 6, 1)) == []  # once a month
    assert DBTaskResult.objects.count() == 1
    monkeypatch.delenv("JOURNEY_SSD_URL")
    assert schedules.enqueue_due(local(2026, 4, 6, 0, 0)) == []  # off without the URL


def test_the_day_and_time_are_checked_when_the_service_starts(monkeypatch):
    monkeypatch.setenv("JOURNEY_SSD_DAY", "29")
    with pytest.raises(ConfigurationError, match="JOURNEY_SSD_DAY=29 is not a day of the month from 1 to 28"):
        env_day_of_month("JOURNEY_SSD_DAY", 5)
    monkeypatch.setenv("JOURNEY_SSD_DAY", "12")
    assert env_day_of_month("JOURNEY_SSD_DAY", 5) == 12
    monkeypatch.setenv("JOURNEY_SSD_AT", "6am")
    with pytest.raises(ConfigurationError, match="JOURNEY_SSD_AT='6am' is not a time of day written HH:MM"):
        env_time("JOURNEY_SSD_AT", "06:00")
    monkeypatch.setenv("JOURNEY_SSD_AT", "18:45")
    assert env_time("JOURNEY_SSD_AT", "06:00") == time(18, 45)
    monkeypatch.delenv("JOURNEY_SSD_AT")
    assert env_time("JOURNEY_SSD_AT", "06:00") == time(6, 0)


@task()
def never_run() -> None:
    """Queued by the schedule test, which no worker runs."""
    raise AssertionError("never run")


def test_a_read_records_when_it_finished(configured):
    before = timezone.now()
    read = reads.read_and_propose()
    assert read.finished_at is not None and before <= read.started_at <= read.finished_at
