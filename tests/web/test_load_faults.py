"""Loads under fault: killed anywhere, two at once, the database gone mid-load.

Each scenario runs ``journey data load`` in a separate process against its own copy of a
council (a data directory, and a SQLite file or a PostgreSQL database), stops it at a named
point (:mod:`journey.engine.faults`) and kills it with SIGKILL, or runs two at once. The
snapshot store and the figures must then be as before the load or as after it, never
half; and the same load run again must finish exactly as an undisturbed one.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from journey.engine.faults import POINTS

ROOT = Path(__file__).parents[2]
PLAN = Path(__file__).parent / "data" / "plan.yaml"
WAIT = 180  # seconds a subprocess may take on a busy machine

CHILDREN = b"child_id,sex,date_of_birth\nC1,F,2015-03-02\nC2,M,2012-07-19\nC3,F,2019-01-05\n"
EXTRACTS = {
    "june": (
        "2023-07-03",
        b"R1,C1,2023-04-03\nR2,C2,2023-05-10\nR3,C3,2023-06-12\nR4,C1,2023-06-20\nR5,C2,2023-06-28\n",
    ),
    "july": (
        "2023-08-02",
        b"R1,C1,2023-04-03\nR2,C2,2023-05-10\nR3,C3,2023-06-12\nR4,C1,2023-06-20\n"
        b"R6,C1,2023-07-03\nR7,C2,2023-07-04\nR8,C3,2023-07-10\n",
    ),
    "august": (
        "2023-09-01",
        b"R1,C1,2023-04-03\nR2,C2,2023-05-10\nR3,C3,2023-06-12\nR6,C1,2023-07-03\n"
        b"R9,C3,2023-08-14\nR10,C1,2023-08-30\n",
    ),
}
POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _admin():
    """A connection to the PostgreSQL server's maintenance database (autocommit)."""
    import psycopg

    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432, user=db.get("USER"),
        password=db.get("PASSWORD") or None, dbname="postgres", autocommit=True,
    )


class Council:
    """A data directory and database for subprocesses, which can be copied."""

    def __init__(self, root: Path, database: str | None) -> None:
        self.root = root
        self.database = database

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JOURNEY_", "DATABASE_URL"))}
        env.update(JOURNEY_ENV="development", JOURNEY_DATA_DIR=str(self.root / "data"),
                   DJANGO_SETTINGS_MODULE="journey.web.settings", PYTHONPATH=str(ROOT), **extra)
        if self.database:
            db = settings.DATABASES["default"]
            password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
            env["DATABASE_URL"] = (
                f"postgres://{db.get('USER')}{password}@{db.get('HOST') or '127.0.0.1'}:"
                f"{db.get('PORT') or 5432}/{self.database}"
            )
        return env

    def journey(self, *args: str, **env: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "journey", *args], cwd=ROOT, env=self.env(**env),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=self.env(), capture_output=True, text=True,
            timeout=WAIT,
        )

    def load(self, name: str) -> tuple[int, str]:
        process = self.journey("data", "load", str(self.extract(name)), "--yes", "--by", "test")
        output, _ = process.communicate(timeout=WAIT)
        return process.returncode, output

    def state(self) -> dict:
        done = self.run("-m", "tests.web.load_faults_helper", "state")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def extract(self, name: str) -> Path:
        folder = self.root / "extracts" / name
        if not folder.exists():
            as_at, rows = EXTRACTS[name]
            folder.mkdir(parents=True)
            (folder / "children.csv").write_bytes(CHILDREN)
            (folder / "referrals.csv").write_bytes(b"referral_id,child_id,referral_date\n" + rows)
            (folder / "extract.json").write_text(f'{{"as_at": "{as_at}", "la_code": "E09000999"}}')
        return folder

    def copy(self, root: Path) -> Council:
        shutil.copytree(self.root, root, symlinks=True)
        database = None
        if self.database:
            database = f"journey_faults_{uuid.uuid4().hex[:12]}"
            with _admin() as admin:
                admin.execute(f'CREATE DATABASE "{database}" TEMPLATE "{self.database}"')
        return Council(root, database)

    def drop(self) -> None:
        if self.database:
            with _admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def _paused(process: subprocess.Popen, flag: Path) -> None:
    """Wait until the process stops at its pause point (fail if it ends first)."""
    deadline = time.monotonic() + WAIT
    while not flag.exists():
        if process.poll() is not None:
            pytest.fail(f"the load ended before its pause point:\n{process.stdout.read()}")
        assert time.monotonic() < deadline, "the load never reached its pause point"
        time.sleep(0.05)


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=WAIT)


def _let_go(process: subprocess.Popen, flag: Path) -> tuple[int, str]:
    """Let a paused process run to its end, past its pause point however often it comes."""
    deadline = time.monotonic() + WAIT
    while process.poll() is None:
        flag.unlink(missing_ok=True)
        assert time.monotonic() < deadline, "the load did not finish"
        time.sleep(0.05)
    return process.returncode, process.stdout.read()


def _database(state: dict) -> tuple:
    """What the database holds: the figures in use and the snapshots."""
    return (state["figures"], state["active"], tuple(state["accepted"]))


def _core(state: dict) -> tuple:
    """What must be as before or as after: the figures, the snapshots, the store."""
    return (*_database(state), tuple(state["store"]["whole"]))


@pytest.fixture(scope="module")
def council(tmp_path_factory):
    """The council with one extract (June) accepted, and the states before and after a
    load of July, from an undisturbed run."""
    root = tmp_path_factory.mktemp("faults")
    database = None
    if POSTGRESQL:
        database = f"journey_faults_{uuid.uuid4().hex[:12]}"
        with _admin() as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
    base = Council(root / "base", database)
    (base.root / "data").mkdir(parents=True)
    made = base.run("-m", "tests.web.load_faults_helper", "setup", str(PLAN))
    assert made.returncode == 0, made.stderr
    code, output = base.load("june")
    assert code == 0, output
    undisturbed = base.copy(root / "undisturbed")
    code, output = undisturbed.load("july")
    assert code == 0, output
    base.before, base.after = base.state(), undisturbed.state()
    undisturbed.drop()
    assert _core(base.before) != _core(base.after)
    yield base
    base.drop()


@pytest.mark.parametrize("point", POINTS)
def test_a_load_killed_at_any_point_leaves_everything_as_before_or_as_after(council, tmp_path, point):
    copy = council.copy(tmp_path / "council")
    try:
        flag = tmp_path / "paused"
        process = copy.journey(
            "data", "load", str(copy.extract("july")), "--yes", "--by", "test",
            JOURNEY_PAUSE_AT=point, JOURNEY_PAUSE_FILE=str(flag),
        )
        _paused(process, flag)
        _kill(process)
        state = copy.state()
        # The database is never half-changed, and no half-written snapshot is visible.
        assert _database(state) in {_database(council.before), _database(council.after)}
        assert state["left"]["partial"] == []
        # After the next load's recovery, the store agrees with the database.
        assert _core(state) in {_core(council.before), _core(council.after)}
        assert state["store"]["pending"] == [] and state["store"]["temporary"] == []
        committed = _core(state) == _core(council.after)
        assert committed == (POINTS.index(point) >= POINTS.index("committed"))
        # Nothing is wedged: the load run again ends exactly as an undisturbed one.
        code, output = copy.load("july")
        if committed:
            assert code == 1 and "accepted before as snapshot" in output
        else:
            assert code == 0, output
        assert _core(copy.state()) == _core(council.after)
    finally:
        copy.drop()


def test_two_loads_at_once_in_two_processes_end_as_if_one_followed_the_other(council, tmp_path):
    copy = council.copy(tmp_path / "council")
    sequential = council.copy(tmp_path / "sequential")
    try:
        # July stops holding the lock; August makes its proposal against June meanwhile.
        july_flag, august_flag = tmp_path / "july", tmp_path / "august"
        july = copy.journey(
            "data", "load", str(copy.extract("july")), "--yes", "--by", "test",
            JOURNEY_PAUSE_AT="lock-held", JOURNEY_PAUSE_FILE=str(july_flag),
        )
        _paused(july, july_flag)
        august = copy.journey(
            "data", "load", str(copy.extract("august")), "--yes", "--by", "test",
            JOURNEY_PAUSE_AT="proposal-computed", JOURNEY_PAUSE_FILE=str(august_flag),
        )
        _paused(august, august_flag)
        august_flag.unlink()  # August now waits for the lock July holds
        time.sleep(2)
        assert august.poll() is None
        july_code, july_output = _let_go(july, july_flag)
        august_code, august_output = _let_go(august, august_flag)
        assert july_code == 0, july_output
        assert august_code == 0, august_output
        assert "changed since this load was checked" in august_output

        for name in ("july", "august"):
            code, output = sequential.load(name)
            assert code == 0, output
        together, one_by_one = copy.state(), sequential.state()
        assert _core(together) == _core(one_by_one)
        assert together["store"]["pending"] == [] and together["left"]["partial"] == []
    finally:
        copy.drop()
        sequential.drop()


@pytest.mark.skipif(not POSTGRESQL, reason="SQLite has no server to restart: the kill tests cover it")
def test_the_database_going_away_during_a_load_leaves_everything_as_before(council, tmp_path):
    copy = council.copy(tmp_path / "council")
    try:
        flag = tmp_path / "paused"
        process = copy.journey(
            "data", "load", str(copy.extract("july")), "--yes", "--by", "test",
            JOURNEY_PAUSE_AT="figures-inserted", JOURNEY_PAUSE_FILE=str(flag),
        )
        _paused(process, flag)
        with _admin() as admin:  # what a restart does to the load's session
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                [copy.database],
            )
        code, output = _let_go(process, flag)
        assert code == 1 and "the database failed during the load" in output
        state = copy.state()
        assert _core(state) == _core(council.before)
        code, output = copy.load("july")
        assert code == 0, output
        assert _core(copy.state()) == _core(council.after)
    finally:
        copy.drop()
