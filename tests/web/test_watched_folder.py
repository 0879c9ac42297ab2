"""The watched folder: new extracts are checked and proposed to the data team, once each,
never accepted; a copy still in progress is left for the next look."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest

from journey.web.background import schedules
from journey.web.background.models import WatchedExtract
from journey.web.casedata.models import LoadJob
from journey.web.operations import watch

CHILDREN = b"child_id,sex,date_of_birth\nC1,F,2015-03-02\nC2,M,2012-07-19\n"
REFERRALS = b"referral_id,child_id,referral_date\nR1,C1,2023-04-03\nR2,C2,2023-05-10\n"


@pytest.fixture
def folder(settings, tmp_path, db):
    settings.JOURNEY_RUN_JOBS_INLINE = True
    settings.DATA_DIR = tmp_path / "data"
    settings.JOURNEY_WATCH_DIR = str(tmp_path / "drop")
    settings.JOURNEY_WATCH_SETTLE_SECONDS = 60
    (tmp_path / "drop").mkdir()
    return tmp_path / "drop"


def _settled(*paths):
    old = time.time() - 3600
    for path in paths:
        os.utime(path, (old, old))


def _extract(folder, name, referrals=REFERRALS):
    extract = folder / name
    extract.mkdir()
    (extract / "children.csv").write_bytes(CHILDREN)
    (extract / "referrals.csv").write_bytes(referrals)
    (extract / "extract.json").write_bytes(b'{"as_at": "2023-07-03"}')
    _settled(*extract.iterdir(), extract)
    return extract


def test_a_new_extract_is_checked_and_left_for_the_data_team_to_accept(folder):
    _extract(folder, "2023-07")
    bad = _extract(folder, "2023-07-broken", REFERRALS + b"R3,C1,31/02/2023\n")
    result = watch.scan_watched_folder.enqueue().return_value
    assert result == {"proposed": ["2023-07", "2023-07-broken"]}
    good, broken = LoadJob.objects.order_by("pk")
    assert good.status == LoadJob.Status.CHECKED  # a proposal: waits for someone to accept it
    assert broken.status == LoadJob.Status.REJECTED and broken.errors
    assert not (folder.parent / "data" / "store").exists()  # nothing loaded
    assert {w.name: w.job_id for w in WatchedExtract.objects.all()} == {"2023-07": good.pk, "2023-07-broken": broken.pk}
    assert bad.exists()  # the council's folder is only read


def test_an_extract_is_proposed_once_even_under_another_name(folder):
    first = _extract(folder, "monday")
    watch.scan()
    copy = folder / "tuesday"
    first.rename(copy)
    _settled(copy)
    assert watch.scan() == []
    assert LoadJob.objects.count() == 1


def test_a_file_still_being_copied_is_left_for_the_next_look(folder, settings):
    single = folder / "children-only.csv"
    single.write_bytes(CHILDREN)  # modified just now
    assert watch.scan() == []
    _settled(single)
    (found,) = watch.scan()
    assert found.name == "children-only.csv"


def test_the_scan_is_scheduled_only_when_a_folder_is_set(folder, settings):
    (periodic,) = [p for p in schedules.SCHEDULES if p.name == "watched-folder"]
    settings.JOURNEY_WATCH_EVERY_SECONDS = 900
    assert periodic.every() == timedelta(seconds=900)
    settings.JOURNEY_WATCH_DIR = ""
    assert periodic.every() is None


def test_a_missing_folder_is_a_clear_error(folder, settings, tmp_path):
    settings.JOURNEY_WATCH_DIR = str(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="nowhere does not exist"):
        watch.scan()
