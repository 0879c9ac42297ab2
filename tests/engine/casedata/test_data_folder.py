"""Where an installation keeps its data (the web's settings and the CLI's store agree)."""

from __future__ import annotations

from pathlib import Path

from journey.engine.casedata.store import default_data_dir, default_store_dir


def test_the_data_folder_named_in_the_environment_is_used(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("JOURNEY_DATA_DIR", str(tmp_path / "data"))
    assert default_data_dir() == tmp_path / "data"
    assert default_store_dir() == tmp_path / "data" / "store"


def test_a_source_checkout_keeps_its_data_in_var_beside_the_project(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("JOURNEY_DATA_DIR", raising=False)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'improvement-journey'\n")
    assert default_data_dir(tmp_path, Path("/elsewhere")) == tmp_path / "var"


def test_an_installed_wheel_keeps_its_data_in_the_current_folder_not_in_the_virtualenv(
    tmp_path: Path, monkeypatch
):
    monkeypatch.delenv("JOURNEY_DATA_DIR", raising=False)
    inside_the_virtualenv = tmp_path / "venv" / "lib"
    inside_the_virtualenv.mkdir(parents=True)
    assert default_data_dir(inside_the_virtualenv, tmp_path / "council") == tmp_path / "council" / "var"
