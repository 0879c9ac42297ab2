"""Where an installation keeps its data when JOURNEY_DATA_DIR is not set."""

from __future__ import annotations

from pathlib import Path

from journey.web.env import default_data_dir


def test_a_source_checkout_keeps_its_data_in_var_beside_the_project(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'improvement-journey'\n")
    assert default_data_dir(tmp_path, Path("/elsewhere")) == tmp_path / "var"


def test_an_installed_wheel_keeps_its_data_in_the_current_folder_not_in_the_virtualenv(tmp_path: Path):
    site_packages_parent = tmp_path / "venv" / "lib" / "python3.11"
    site_packages_parent.mkdir(parents=True)
    work = tmp_path / "council"
    assert default_data_dir(site_packages_parent, work) == work / "var"
