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


def test_benchmarks_show_lists_a_measure_without_a_published_figure_and_shows_the_rest(tmp_path):
    # DfE's placement stability file without North East Lincolnshire's rows: the two
    # stability measures have no published figure for 812 in 2025; the rest are shown.
    files = tmp_path / "dfe"
    files.mkdir()
    for source in DFE.glob("*.csv"):
        text = source.read_text(encoding="utf-8-sig")
        if source.name == "la_cla_placement_stability.csv":
            text = "\n".join(line for line in text.splitlines() if ",812," not in line) + "\n"
        (files / source.name).write_text(text, encoding="utf-8")
    out = tmp_path / "benchmarks"
    assert run("benchmarks", "import", *map(str, sorted(files.glob("*.csv"))), "--out", str(out)).exit_code == 0

    shown = run("benchmarks", "show", "--la", "812", "--year", "2025", "--dir", str(out))
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert any(line.startswith("cla_rate_per_10k ") and "2025" in line for line in lines)
    stability = next(line for line in lines if line.startswith("cla_3plus_placements_pct "))
    assert "no published figure" in stability
    assert "Note (cla_long_term_stability_pct): DfE published no figure for North East Lincolnshire (812) in 2025" in lines

    as_json = json.loads(run("benchmarks", "show", "--la", "812", "--dir", str(out), "--format", "json").output)
    unpublished = {row["measure_id"] for row in as_json if row.get("no_published_figure")}
    assert unpublished == {"cla_3plus_placements_pct", "cla_long_term_stability_pct"}


def test_stats_spc_screens_outlying_moving_ranges_unless_told_not_to(tmp_path):
    # Moving ranges 2, 2, 2, 2, 2, 2, 30 (mean 6); mean of the values 116 / 8 = 14.5.
    # Screened (30 >= 3.267 x 6): mean moving range 2, upper limit 14.5 + 2.66 x 2 = 19.82.
    # Not screened (NHS England's Excel tool): 14.5 + 2.66 x 6 = 30.46.
    series = tmp_path / "series.csv"
    values = [10, 12, 10, 12, 10, 12, 10, 40]
    series.write_text("period,value\n" + "".join(f"2024-{i + 1:02d},{v}\n" for i, v in enumerate(values)), encoding="utf-8")

    def upper(*flags: str) -> float:
        result = run("stats", "spc", "--input", str(series), "--improvement", "increase", *flags, "--format", "json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["points"][0]["upper_limit"]

    assert upper() == upper("--screen-outliers") == 19.82
    assert upper("--no-screen-outliers") == 30.46


def test_benchmarks_measures_names_the_library_measure_compared_with_each_published_figure():
    listed = run("benchmarks", "measures")
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[0]: line.split()[1] for line in listed.output.splitlines()[2:] if line.strip()}
    assert rows["cp_rate_per_10k"] == "cp_plans_rate_per_10k"
    assert rows["cla_rate_per_10k"] == "cla_rate_per_10k"
    assert rows["cin_rate_per_10k"] == "cin_rate_per_10k"
    assert rows["cla_3plus_social_workers_pct"] == "none"  # no library measure counts it
