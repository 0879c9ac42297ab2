"""The ``journey benchmarks`` and ``journey stats`` commands, end to end on small inputs."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from journey.cli import main

DFE = Path(__file__).parent / "fixtures" / "dfe"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_benchmarks_import_then_show_for_a_council_by_new_code(tmp_path):
    out = tmp_path / "benchmarks"
    imported = run("benchmarks", "import", *map(str, sorted(DFE.glob("*.csv"))), "--out", str(out))
    assert imported.exit_code == 0, imported.output
    assert "statistical neighbour model 2025" in imported.output
    assert "Statistical neighbour models: 2021, 2025" in imported.output

    shown = run(
        "benchmarks",
        "show",
        "--la",
        "E06000012",
        "--measure",
        "cla_rate_per_10k",
        "--dir",
        str(out),
        "--format",
        "json",
    )
    assert shown.exit_code == 0, shown.output
    (figure,) = json.loads(shown.output)
    assert (figure["old_la_code"], figure["la_name"]) == ("812", "North East Lincolnshire")
    assert len(figure["neighbours"]) == 10

    table = run("benchmarks", "show", "--la", "812", "--dir", str(out))
    assert "North East Lincolnshire (812, E06000012)" in table.output
    assert "SN mean" in table.output and "quartile" in table.output


def test_benchmarks_show_without_an_import_says_what_to_do(tmp_path):
    result = run("benchmarks", "show", "--la", "812", "--dir", str(tmp_path))
    assert result.exit_code == 1
    assert "run `journey benchmarks import` first" in result.output


def test_stats_ci_prints_the_interval_and_the_comparison():
    result = run(
        "stats",
        "ci",
        "--numerator",
        "81",
        "--denominator",
        "263",
        "--method",
        "wilson",
        "--benchmark",
        "22",
        "--polarity",
        "lower_is_better",
    )
    assert result.exit_code == 0
    assert result.output == "30.8 (95% CI 25.53 to 36.62; Wilson score)\nAgainst 22: Worse\n"


def test_stats_ci_byars_rate_as_json():
    result = run(
        "stats",
        "ci",
        "--numerator",
        "5",
        "--denominator",
        "10000",
        "--method",
        "byars",
        "--multiplier",
        "10000",
        "--format",
        "json",
    )
    data = json.loads(result.output)
    assert data["method"] == "exact Poisson (chi-squared)"
    assert round(data["lower"], 3) == 1.623 and round(data["upper"], 3) == 11.668


def test_stats_spc_reads_a_csv_and_reports_icons_and_flags(tmp_path):
    series = tmp_path / "series.csv"
    values = [12, 10] * 6 + [13] * 7
    series.write_text(
        "period,value\n" + "".join(f"{i + 1},{v}\n" for i, v in enumerate(values)), encoding="utf-8"
    )
    result = run(
        "stats",
        "spc",
        "--input",
        str(series),
        "--improvement",
        "decrease",
        "--target",
        "20",
        "--baseline",
        "12",
        "--format",
        "json",
    )
    chart = json.loads(result.output)
    assert chart["variation_icon"] == "Special cause variation: concerning (higher)"
    assert chart["assurance_icon"].startswith("Consistently passing")
    assert chart["points"][-1]["special_causes"] == ["run of points on one side of the mean"]


def test_stats_spc_names_the_row_and_column_of_a_bad_value(tmp_path):
    series = tmp_path / "series.csv"
    series.write_text("period,value\n2024-01,3\n2024-02,three\n", encoding="utf-8")
    result = run("stats", "spc", "--input", str(series), "--improvement", "increase")
    assert result.exit_code == 1
    assert "series.csv row 3 column value: 'three' is not a number" in result.output


def test_stats_trajectory_gives_the_reason_for_each_milestone(tmp_path):
    series = tmp_path / "series.csv"
    series.write_text(
        "month,value\n2023-04,100\n2023-05,102\n2023-06,101\n2023-07,105\n2023-08,104\n2023-09,108\n",
        encoding="utf-8",
    )
    result = run(
        "stats",
        "trajectory",
        "--input",
        str(series),
        "--milestone",
        "2024-03=105",
        "--polarity",
        "higher_is_better",
    )
    assert result.exit_code == 0, result.output
    assert "target 105: likely to be met" in result.output
