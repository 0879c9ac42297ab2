"""``journey data load`` shows the proposal and asks; ``journey data activate`` rolls back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from journey.cli import main
from journey.web.accounts.models import AuditEvent
from journey.web.casedata.models import DataSnapshot
from journey.web.plans import services as plan_services
from journey.web.plans.models import Observation

DATA = Path(__file__).parent / "data"
EXAMPLE_PLAN = Path(__file__).parents[2] / "examples" / "plan.yaml"

CHILDREN = b"child_id,sex,date_of_birth\nC1,F,2015-03-02\nC2,M,2012-07-19\nC3,F,2019-01-05\n"
REFERRALS = (
    b"referral_id,child_id,referral_date\n"
    b"R1,C1,2023-04-03\nR2,C2,2023-05-10\nR3,C3,2023-06-12\nR4,C1,2023-06-20\nR5,C2,2023-06-28\n"
)


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def plan_loaded(db):
    plan_services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)


def _folder(tmp_path, name="extract", referrals=REFERRALS, as_at="2023-07-03", **more):
    folder = tmp_path / name
    folder.mkdir()
    files = {
        "children.csv": CHILDREN,
        "referrals.csv": referrals,
        "extract.json": f'{{"as_at": "{as_at}", "la_code": "E09000999"}}'.encode(),
        **more,
    }
    for file, data in files.items():
        (folder / file).write_bytes(data)
    return folder


def _load(*args, input=None):
    return CliRunner().invoke(main, ["data", "load", *map(str, args)], input=input)


def test_load_prints_the_proposal_and_loads_with_yes(tmp_path, data_dir, plan_loaded):
    result = _load(_folder(tmp_path), "--yes", "--by", "ana")
    assert result.exit_code == 0, result.output
    assert "Figures: " in result.output and "would change" in result.output
    assert "Referrals in month, 2023-06: no figure -> 3 (RAG Not rated -> Green)" in result.output
    assert "as snapshot" in result.output and "now the data in use" in result.output
    snapshot = DataSnapshot.objects.get()
    assert snapshot.active and snapshot.accepted_by_name == "ana"
    assert AuditEvent.objects.get(action="accepted_snapshot").username == "ana"


def test_load_asks_and_changes_nothing_when_told_no(tmp_path, data_dir, plan_loaded):
    result = _load(_folder(tmp_path), input="n\n")
    assert result.exit_code == 1
    assert "Accept this load and put its figures in use?" in result.output
    assert "nothing was changed" in result.output
    assert not DataSnapshot.objects.exists() and not Observation.objects.exists()
    assert not (data_dir / "store" / "snapshots").exists()
    accepted = _load(_folder(tmp_path, "again"), input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert DataSnapshot.objects.get().active


def test_a_two_thousand_child_extract_is_stopped_before_the_33000_child_council_changes(
    tmp_path, data_dir, db
):
    """The issue's case: a synthetic extract of 2,000 children as at 31 March 2024 loaded
    into the council whose plan says about 33,000."""
    from journey.engine.casedata import canonical
    from journey.engine.casedata.synth import synth_case_data

    plan_services.save_plan_version(EXAMPLE_PLAN.read_text(), filename="plan.yaml", user=None)
    small = synth_case_data(
        population=2000, first_month="2022-04", last_month="2024-02", seed=3, as_at=date(2024, 3, 31)
    )
    folder = tmp_path / "small"
    canonical.write_csv_folder(small, folder)

    result = _load(folder, "--yes")
    assert result.exit_code == 1
    assert "ACKNOWLEDGE Child population (population): The extract's 0-17 population for 2023 is 2,0" in result.output
    assert "the plan's for 2023 is 33,200 (-94%): more than 20% apart" in result.output
    assert "must be acknowledged (--acknowledge population); nothing was changed" in result.output
    assert not DataSnapshot.objects.exists() and not Observation.objects.exists()
    assert not (data_dir / "store" / "snapshots").exists()

    typed_wrong = _load(folder, input="yes\n")
    assert typed_wrong.exit_code == 1
    assert "Type 'population' to acknowledge" in typed_wrong.output
    assert not DataSnapshot.objects.exists()


def test_an_ssda903_xml_read_as_ssda903_gives_no_rows_and_is_refused(tmp_path, data_dir, plan_loaded):
    folder = tmp_path / "xml"
    folder.mkdir()
    (folder / "ssda903_2024.xml").write_bytes(b"<?xml version='1.0' encoding='utf-8'?>\n<EXPSSDA903 />")
    result = _load(folder, "--extract-format", "ssda903", "--as-at", "2024-03-31", "--yes")
    assert result.exit_code == 1
    assert "ERROR [no_rows]" in result.output and "gave no case records" in result.output
    assert "cannot be loaded" in result.output
    check = CliRunner().invoke(
        main, ["data", "check", str(folder), "--extract-format", "ssda903", "--as-at", "2024-03-31"]
    )
    assert check.exit_code == 1 and "Result: usable" not in check.output


def test_a_load_with_errors_says_nothing_was_changed(tmp_path, data_dir, plan_loaded):
    result = _load(_folder(tmp_path, **{"children.csv": b"sex\nM\n"}), "--yes")
    assert result.exit_code == 1
    assert "required column child_id is missing" in result.output
    assert "nothing was changed" in result.output
    assert not (data_dir / "store").exists() or not (data_dir / "store" / "snapshots").exists()


def test_activate_rolls_back_to_an_earlier_snapshot_with_a_reason(tmp_path, data_dir, plan_loaded):
    assert _load(_folder(tmp_path), "--yes").exit_code == 0
    first = DataSnapshot.objects.get()
    before = sorted(Observation.objects.values_list("measure_id", "period", "period_type", "value", "snapshot"))
    later = REFERRALS.replace(b"R5,C2,2023-06-28\n", b"R6,C2,2023-07-28\n")
    second = _load(_folder(tmp_path, "later", later, "2023-08-02"), "--yes")
    assert second.exit_code == 0, second.output
    assert f"To undo: journey data activate {first.short_id}" in second.output

    no_reason = CliRunner().invoke(main, ["data", "activate", first.short_id])
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    result = CliRunner().invoke(
        main, ["data", "activate", first.short_id, "--reason", "July extract was wrong", "--by", "ana"]
    )
    assert result.exit_code == 0, result.output
    assert f"Snapshot {first.short_id} (as at 2023-07-03) is now the data in use" in result.output
    after = sorted(Observation.objects.values_list("measure_id", "period", "period_type", "value", "snapshot"))
    assert after == before
    event = AuditEvent.objects.get(action="activated_snapshot")
    assert (event.username, event.detail["reason"]) == ("ana", "July extract was wrong")

    listed = CliRunner().invoke(main, ["data", "list"])
    assert listed.exit_code == 0
    line = next(row for row in listed.output.splitlines() if first.short_id in row)
    assert "yes" in line

    unknown = CliRunner().invoke(main, ["data", "activate", "abcdef", "--reason", "x"])
    assert unknown.exit_code == 1 and "is not an accepted snapshot" in unknown.output
    again = CliRunner().invoke(main, ["data", "activate", first.short_id, "--reason", "x"])
    assert again.exit_code == 1 and "already the data in use" in again.output


def test_ssda903_files_named_without_a_year_load_with_the_collection_year(tmp_path, data_dir, db):
    folder = tmp_path / "ssda903"
    folder.mkdir()
    (folder / "header.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n4,1,10/10/2005,WBRI,,,\n")
    (folder / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "4,01/05/2017,S,C2,N1,U6,PR1,,,,,,\n"
    )
    result = _load(folder, "--collection-year", "2018", "--yes")
    assert result.exit_code == 0, result.output
    snapshot = DataSnapshot.objects.get()
    assert snapshot.files == ["2018/episodes.csv", "2018/header.csv"]
    assert snapshot.as_at == date(2018, 3, 31)


# ---------------------------------------------------------------- check slots


class SlotHeldElsewhere:
    """One check slot held by another thread (as a web worker's check would hold it) until
    :meth:`release`."""

    def __init__(self) -> None:
        import threading

        self.held: list[int | None] = []
        self._done = threading.Event()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._hold, args=(ready,))
        self._thread.start()
        ready.wait(30)

    def _hold(self, ready) -> None:
        from django.db import connection

        from journey.web.casedata.slots import check_slot

        try:
            with check_slot() as slot:
                self.held.append(slot)
                ready.set()
                self._done.wait(30)
        finally:
            ready.set()
            connection.close()

    def release(self) -> None:
        self._done.set()
        self._thread.join(30)


def test_a_load_beyond_the_most_checks_at_once_stops_with_no_wait_and_changes_nothing(
    tmp_path, data_dir, plan_loaded, settings
):
    settings.JOURNEY_MAX_CONCURRENT_CHECKS = 1
    elsewhere = SlotHeldElsewhere()
    try:
        assert elsewhere.held == [0]
        result = _load(_folder(tmp_path), "--yes", "--no-wait")
    finally:
        elsewhere.release()
    assert result.exit_code == 1
    assert "Not checked: 1 extract is being checked already, the most at once (JOURNEY_MAX_CONCURRENT_CHECKS)." in result.output
    assert "Nothing was changed" in result.output and "Figures: " not in result.output
    assert not DataSnapshot.objects.exists() and not Observation.objects.exists()


def test_a_load_beyond_the_most_checks_at_once_waits_its_turn_then_loads(tmp_path, data_dir, plan_loaded, settings, monkeypatch):
    from journey.cli import data as cli_data

    settings.JOURNEY_MAX_CONCURRENT_CHECKS = 1
    elsewhere = SlotHeldElsewhere()
    pauses: list[float] = []

    def other_check_finishes(seconds: float) -> None:  # instead of sleeping
        pauses.append(seconds)
        elsewhere.release()

    monkeypatch.setattr(cli_data, "_pause", other_check_finishes)
    try:
        result = _load(_folder(tmp_path), "--yes")
    finally:
        elsewhere.release()
    assert result.exit_code == 0, result.output
    assert result.output.count("Waiting: 1 extract is being checked already, the most at once.") == 1
    assert pauses == [cli_data.SLOT_POLL_SECONDS]
    assert DataSnapshot.objects.get().active


def _slot_from_another_worker() -> int | None:
    """The check slot a web worker (another thread, its own database connection) would get now."""
    import threading

    from django.db import connection

    from journey.web.casedata.slots import check_slot

    found: list[int | None] = []

    def probe() -> None:
        try:
            with check_slot() as slot:
                found.append(slot)
        finally:
            connection.close()

    worker = threading.Thread(target=probe)
    worker.start()
    worker.join(30)
    return found[0]


def test_a_load_from_the_command_line_takes_a_check_slot_while_it_checks(tmp_path, data_dir, plan_loaded, settings, monkeypatch):
    from journey.web.casedata import services

    settings.JOURNEY_MAX_CONCURRENT_CHECKS = 1
    while_checking: list[int | None] = []
    propose = services.propose

    def watched(*args, **kwargs):
        while_checking.append(_slot_from_another_worker())
        return propose(*args, **kwargs)

    monkeypatch.setattr(services, "propose", watched)
    assert _slot_from_another_worker() == 0
    result = _load(_folder(tmp_path), "--yes")
    assert result.exit_code == 0, result.output
    assert while_checking == [None]  # the one slot was the command line's: a web check would wait
    assert _slot_from_another_worker() == 0  # and it gave it back
