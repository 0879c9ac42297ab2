"""Issue 11's case: a synthetic extract of 2,000 children as at 31 March 2024, loaded into the
council whose plan says about 33,200, is stopped with a clear message before anything
changes, in the browser as on the command line (``test_cli_data_load`` holds the command
line's population case); from another council (its LA code) it is refused outright."""

from __future__ import annotations

import html
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from journey.cli import main
from journey.web.casedata.models import DataSnapshot, LoadJob
from journey.web.plans import services as plan_services
from journey.web.plans.models import Observation

EXAMPLE_PLAN = Path(__file__).parents[2] / "examples" / "plan.yaml"


@pytest.fixture(scope="module")
def two_thousand_children(tmp_path_factory) -> Path:
    from journey.engine.casedata import canonical
    from journey.engine.casedata.synth import synth_case_data

    small = synth_case_data(population=2000, first_month="2022-04", last_month="2024-02", seed=3, as_at=date(2024, 3, 31))
    folder = tmp_path_factory.mktemp("small")
    canonical.write_csv_folder(small, folder)
    return folder


@pytest.fixture
def council(db, settings, tmp_path):
    """The example plan's council (LA code 999, 33,200 children in 2023); uploads checked as queued."""
    settings.DATA_DIR = tmp_path / "data"
    plan_services.save_plan_version(EXAMPLE_PLAN.read_text(), filename="plan.yaml", user=None)
    return settings.DATA_DIR


def _from_council(folder: Path, tmp_path: Path, la_code: str) -> Path:
    copy = tmp_path / f"from-{la_code}"
    shutil.copytree(folder, copy)
    about = json.loads((copy / "extract.json").read_text())
    (copy / "extract.json").write_text(json.dumps({**about, "la_code": la_code}))
    return copy


def _upload(client, folder: Path) -> LoadJob:
    files = [SimpleUploadedFile(path.name, path.read_bytes()) for path in sorted(folder.iterdir())]
    client.post(reverse("casedata:upload"), {"extract": files})
    return LoadJob.objects.order_by("-pk").get()


def _nothing_changed(data_dir: Path) -> None:
    assert not DataSnapshot.objects.exists() and not Observation.objects.exists()
    assert not (data_dir / "store" / "snapshots").exists()


def test_in_the_browser_the_population_must_be_acknowledged_by_name_before_anything_changes(
    two_thousand_children, council, data_team
):
    assert json.loads((two_thousand_children / "extract.json").read_text())["la_code"] == "999"  # the plan's council
    job = _upload(data_team, two_thousand_children)
    # The population, and that its referrals start in April 2022 (re-referrals understated at first).
    assert job.status == "checked" and job.message.startswith("Not ready: 2 warning(s) below must be acknowledged")
    page = html.unescape(data_team.get(reverse("casedata:job", args=[job.pk])).content.decode())
    assert "The extract's 0-17 population for 2023 is 2,0" in page
    assert "the plan's for 2023 is 33,200 (-94%): more than 20% apart" in page
    assert "Accept and load" in page  # offered, but refused until the warning is acknowledged
    # Acknowledging everything else does not do: the population must be acknowledged by name.
    refused = data_team.post(reverse("casedata:accept", args=[job.pk]), {"acknowledge": ["referral_history"]})
    assert refused.status_code == 400 and "Tick to acknowledge: child population" in html.unescape(refused.content.decode())
    job.refresh_from_db()
    assert job.status == "checked"
    _nothing_changed(council)


def test_from_another_council_it_is_refused_in_the_browser_and_on_the_command_line(
    two_thousand_children, council, data_team, tmp_path
):
    elsewhere = _from_council(two_thousand_children, tmp_path, "123")
    job = _upload(data_team, elsewhere)
    assert job.status == "rejected" and job.message == "Rejected: 1 error(s) must be fixed; nothing was loaded"
    page = data_team.get(reverse("casedata:job", args=[job.pk])).content.decode()
    assert "LA code 123" in page and "(LA code 999)" in page and "Accept and load" not in page
    data_team.post(reverse("casedata:accept", args=[job.pk]), {"acknowledge": ["population"]})
    _nothing_changed(council)

    # Acknowledging the population does not get it past the LA code on the command line either.
    result = CliRunner().invoke(main, ["data", "load", str(elsewhere), "--yes", "--acknowledge", "population"])
    assert result.exit_code == 1
    assert "LA code 123" in result.output and "(LA code 999)" in result.output
    assert "cannot be loaded (see above); nothing was changed" in result.output
    _nothing_changed(council)
