"""The shipped deployment (deploy/): the systemd units are valid, and their commands, run
as systemd would run them with the example settings, give two web servers behind a
proxy's HTTPS header and a worker, which stop cleanly when told to."""

from __future__ import annotations

import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.ops.instance import ROOT, Instance

DEPLOY = ROOT / "deploy"
JOURNEY = "/opt/journey/venv/bin/journey"


def unit(name: str) -> dict[str, list[str]]:
    """A unit file's keys (a key may be given more than once)."""
    found: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def example_settings() -> dict[str, str]:
    settings = {}
    for line in (DEPLOY / "journey.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings[key] = value
    return settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_units_are_valid_for_systemd(tmp_path):
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is part of systemd, on every machine the units are for"
    journey = Path(sys.executable).with_name("journey")
    env_file = tmp_path / "journey.env"
    env_file.write_text((DEPLOY / "journey.env.example").read_text())
    folder = tmp_path / "units"
    folder.mkdir()
    for path in (DEPLOY / "systemd").iterdir():
        text = path.read_text().replace(JOURNEY, str(journey)).replace("/etc/journey/journey.env", str(env_file))
        text = text.replace("User=journey\n", "").replace("Group=journey\n", "")
        (folder / path.name).write_text(text)
    names = [str(folder / n) for n in ("journey-migrate.service", "journey-web@.service",
                                        "journey-worker@.service", "journey-backup.service",
                                        "journey-backup.timer", "journey.target")]
    checked = subprocess.run([analyze, "verify", *names], capture_output=True, text=True)  # noqa: S603
    problems = [line for line in checked.stderr.splitlines() if str(folder) in line or "error" in line.lower()]
    assert checked.returncode == 0 and not problems, checked.stderr


def test_the_units_commands_give_two_web_servers_and_a_worker_that_stop_cleanly(instance: Instance, tmp_path):
    settings = example_settings()
    assert settings["JOURNEY_ENV"] == "production"
    settings.update({
        "JOURNEY_SECRET_KEY": secrets.token_urlsafe(64),
        "JOURNEY_ALLOWED_HOSTS": "journey.example.gov.uk",
        "JOURNEY_DATA_DIR": instance.env["JOURNEY_DATA_DIR"],
    })
    settings["DATABASE_URL"] = instance.env.get("DATABASE_URL", f"sqlite:///{instance.data_dir / 'journey.sqlite3'}")
    env = {**instance.env, **settings}
    journey = str(Path(sys.executable).with_name("journey"))

    def command(name: str, port: int | None = None) -> list[str]:
        (exec_start,) = unit(name)["ExecStart"]
        line = exec_start.replace(JOURNEY, journey).replace("%i", str(port or 1))
        return shlex.split(line)

    migrated = subprocess.run(command("journey-migrate.service"), env=env, capture_output=True, text=True, timeout=300)  # noqa: S603
    assert migrated.returncode == 0, migrated.stderr
    ports = [_free_port(), _free_port()]
    webs = [instance.start(*command("journey-web@.service", port), env=settings, log=f"web{port}.log") for port in ports]
    worker = instance.start(*command("journey-worker@.service"), env=settings, log="worker.log")

    def get(port: int, https: bool) -> tuple[int, str]:
        headers = {"Host": "journey.example.gov.uk"}
        if https:
            headers["X-Forwarded-Proto"] = "https"  # as deploy/nginx/journey.conf sets it
        request = urllib.request.Request(f"http://127.0.0.1:{port}/accounts/login/", headers=headers)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        try:
            with urllib.request.build_opener(NoRedirect).open(request, timeout=5) as response:
                return response.status, response.headers.get("Strict-Transport-Security", "")
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", "")

    for port in ports:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, hsts = get(port, https=True)
                break
            except OSError:
                assert time.monotonic() < deadline, instance.log(f"web{port}.log")
                time.sleep(0.3)
        assert status == 200 and "max-age=31536000" in hsts, (status, hsts)
        status, location = get(port, https=False)
        assert status == 301 and location.startswith("https://journey.example.gov.uk/")
    assert instance.wait_for(
        "from journey.web.background.models import WorkerProcess\nresult = WorkerProcess.objects.count() == 1",
        timeout=60,
    ), instance.log("worker.log")
    for process in [*webs, worker]:
        process.send_signal(signal.SIGTERM)  # what `systemctl stop` sends (KillSignal=SIGTERM)
    for process in [*webs, worker]:
        process.wait(timeout=int(unit("journey-worker@.service")["TimeoutStopSec"][0]))
    assert worker.returncode == 0, instance.log("worker.log")
    assert instance.python(
        "from journey.web.background.models import WorkerProcess\nresult = WorkerProcess.objects.count()"
    ) == 0


@pytest.mark.parametrize("name", ["journey-web@.service", "journey-worker@.service", "journey-migrate.service"])
def test_each_service_runs_as_its_own_account_with_a_read_only_system(name):
    keys = unit(name)
    assert keys["User"] == ["journey"] and keys["ProtectSystem"] == ["strict"]
    assert keys["ReadWritePaths"] == ["/var/lib/journey"] and keys["NoNewPrivileges"] == ["yes"]
    assert keys["EnvironmentFile"] == ["/etc/journey/journey.env"]
