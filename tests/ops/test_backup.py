"""``journey backup`` → ``journey restore`` into an empty instance gives the same pages,
figures, records and files; a damaged or mismatched backup restores nothing."""

from __future__ import annotations

import io
import json
import re
import tarfile

import pytest

from tests.ops.instance import ROOT, Instance

DATA = ROOT / "tests" / "web" / "data"

PAGES = """
import hashlib, re
from django.test import Client
from journey.web.accounts.models import User
from journey.web.plans.models import Observation
from journey.web.casedata.services import store

def normalised(body):
    return re.sub(rb'csrfmiddlewaretoken" value="[^"]+"', b"", body)

pages = {}
for username in ("reader", "analyst"):
    client = Client()
    client.force_login(User.objects.get(username=username))
    for url in ("/", "/?month=2023-05", "/measures/cp_visits/?month=2023-06",
                "/measures/cp_visits/chart.svg?month=2023-06", "/reports/", "/actions/"):
        response = client.get(url)
        pages[f"{username} {url}"] = [response.status_code, hashlib.sha256(normalised(response.content)).hexdigest()]
figures = sorted(Observation.objects.values_list("measure_id", "period", "period_type", "breakdown", "breakdown_value", "value", "numerator", "denominator", "snapshot", "source"))
snapshots = [(s.id, s.rows, store().verify(s.id)) for s in store().snapshots()]
builds = [(b.kind, b.status, hashlib.sha256(bytes(b.content or b"")).hexdigest()) for b in __import__("journey.web.reports.models", fromlist=["ReportBuild"]).ReportBuild.objects.order_by("pk")]
users = sorted(User.objects.values_list("username", "role", "password"))
result = {"pages": pages, "figures": figures, "snapshots": snapshots, "builds": builds, "users": users}
"""


def _fill(instance: Instance) -> None:
    instance.journey("migrate")
    for username, role in (("reader", "board_member"), ("analyst", "data_team")):
        instance.journey("users", "create", "--username", username, "--role", role,
                         "--password-env", "PW", env={"PW": "a-long-test-passphrase-41"})
    instance.journey("observations", "import", str(DATA / "observations.csv"), "--plan", str(DATA / "plan.yaml"))
    extract = instance.root / "extract"
    instance.journey("synth", "--population", "1000", "--from", "2023-01", "--to", "2023-06", "--out", str(extract))
    instance.journey("data", "load", str(extract), "--yes", "--acknowledge", "population")
    instance.python("""
from journey.web.reports.services import request_build
from journey.web.accounts.models import User
request_build(User.objects.get(username="analyst"), "monthly", "2023-06", "csv")
from journey.web.background.worker import run_ready_tasks
result = run_ready_tasks()
""")


@pytest.fixture(scope="module")
def made(module_instance):
    """An instance with users, a plan, figures, a loaded extract and a built report; its
    pages and figures; and its backup."""
    _fill(module_instance)
    before = module_instance.python(PAGES)
    backup = module_instance.root / "journey.tar"
    output = module_instance.journey("backup", str(backup))
    assert "Backed up" in output.stdout
    return module_instance, before, backup


def test_a_backup_restored_into_an_empty_instance_gives_identical_pages_and_figures(made, second_instance):
    instance, before, backup = made
    assert before["snapshots"] and before["figures"] and before["builds"][0][1] == "done"
    with tarfile.open(backup) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "database.json.gz" in names
    assert any(name.startswith("data/store/snapshots/") for name in names)
    assert not any(name.startswith(("data/cache", "data/secret_key", "data/journey.sqlite3")) for name in names)

    restored = second_instance.journey("restore", str(backup))
    assert "Restored" in restored.stdout, restored.stderr
    after = second_instance.python(PAGES)
    assert after == before


def test_a_damaged_backup_is_refused_naming_the_file_and_restores_nothing(made, second_instance, tmp_path):
    _instance, _before, backup = made
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(backup) as source, tarfile.open(damaged, "w") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.endswith(".parquet"):
                data = data[:-1] + bytes([data[-1] ^ 1])
                changed = member.name
            out.addfile(member, io.BytesIO(data))
    refused = second_instance.journey("restore", str(damaged), check=False)
    assert refused.returncode == 1
    assert f"{changed}: its checksum does not match the manifest" in refused.stderr
    assert "nothing was restored" in refused.stderr
    assert not (second_instance.data_dir / "store").exists()
    check = second_instance.journey("restore", "--check-only", str(backup))
    assert "every checksum matches" in check.stdout


def test_a_backup_is_not_restored_over_an_instance_that_holds_data(made):
    instance, _before, backup = made
    refused = instance.journey("restore", str(backup), check=False)
    assert refused.returncode == 1
    assert "already holds data" in refused.stderr and "Nothing was restored" in refused.stderr


@pytest.mark.parametrize("name", ["../escape", "/etc/passwd", "data/../../escape"])
def test_a_backup_naming_files_outside_the_data_directory_is_refused(instance, tmp_path, name):
    forged = tmp_path / "forged.tar"
    manifest = {"format": "journey-backup/1", "files": [{"path": name, "sha256": "0", "size": 1}],
                "database": {"migrations": {}, "records": {}}, "created_at": "", "journey_version": ""}
    with tarfile.open(forged, "w") as tar:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    refused = instance.journey("restore", str(forged), check=False)
    assert refused.returncode == 1 and "outside the backup" in refused.stderr
    assert re.search(r"error: .*forged\.tar", refused.stderr)
