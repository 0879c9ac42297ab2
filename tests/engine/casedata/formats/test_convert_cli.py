from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from journey.cli import main
from journey.engine.casedata.formats.cin_census import read_cin_census

FIXTURES = Path(__file__).parents[2] / "fixtures" / "formats"


def test_ssda903_files_are_converted_to_an_annex_a_workbook(tmp_path):
    out = tmp_path / "annex"
    out.mkdir()
    result = CliRunner().invoke(
        main, ["convert", str(FIXTURES / "ssda903_messy"), "--to", "annex-a", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "as ssda903" in result.output
    rows = list(load_workbook(out / "annex_a.xlsx")["List 8 - Children in Care"].values)
    assert [row[0] for row in rows[1:]] == ["101", "AB12"]


def test_a_census_converted_to_a_census_keeps_its_children_and_plans(tmp_path):
    out = tmp_path / "again.xml"
    result = CliRunner().invoke(
        main,
        [
            "convert",
            str(FIXTURES / "cin_census" / "census_messy.xml"),
            "--to",
            "cin-census",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    again = read_cin_census(out)
    assert again.tables["children"]["child_id"].to_list() == ["123", "B7"]
    assert again.tables["cp_plans"]["cp_plan_id"].to_list() == ["123-P20230520"]


def test_a_source_with_errors_is_not_converted(tmp_path):
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(
        main,
        ["convert", str(FIXTURES / "cin_census" / "xxe.xml"), "--to", "annex-a", "--out", str(out)],
    )
    assert result.exit_code == 1
    assert "unsafe_xml" in result.output
    assert "Not converted: the source has errors." in result.output
    assert not out.exists()
