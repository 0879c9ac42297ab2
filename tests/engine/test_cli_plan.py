"""``journey plan check`` and ``journey evaluate``: output, exit codes and messages."""

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from journey.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "examples" / "plan.yaml")
FIXTURES = Path(__file__).parent / "fixtures" / "plan"
OBS = str(FIXTURES / "observations.csv")


def run(*args):
    return CliRunner().invoke(main, list(args))


def test_plan_check_prints_a_summary():
    result = run("plan", "check", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "plan.yaml is valid." in result.stdout
    assert "Authority: Northfield Council (LA code 999)" in result.stdout
    assert "4 priorities, 33 measures (28 computed, 5 manual), 12 actions" in result.stdout
    assert "A – Planning and safety (CIN and CP): 10 measures, 4 actions" in result.stdout


def test_plan_check_lists_every_problem_and_exits_1():
    result = run("plan", "check", str(FIXTURES / "broken.yaml"))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 15
    assert lines[2] == (
        "broken.yaml:15 priorities[0].measures[0].polarity: 'bigger' is not one of "
        "higher_is_better, lower_is_better, within_range"
    )
    assert lines[-1] == "14 problems in broken.yaml; the plan was not loaded."
    assert result.stdout == ""


def test_plan_check_missing_file():
    result = run("plan", "check", "no-such-plan.yaml")
    assert result.exit_code == 1
    assert "no-such-plan.yaml: no such file: no-such-plan.yaml" in result.stderr


def test_evaluate_json():
    result = run("evaluate", "--plan", EXAMPLE, "--observations", OBS, "--period", "2023-06", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 33
    by_id = {r["measure_id"]: r for r in rows}
    for key in ("measure_id", "period", "value", "target", "rag", "direction", "reason", "priority", "title",
                "tolerance", "direction_reason"):
        assert key in rows[0]
    a = by_id["assessments_45wd_pct"]
    assert (a["value"], a["target"], a["rag"], a["direction"]) == (81.2, 80.0, "green", "improving")
    assert a["reason"] == "Green: 81.2% is above the target of 80.0%"
    u = by_id["unallocated_cases_count"]  # target 10, ceiling 15: 16 is red, and worse than 12
    assert (u["rag"], u["direction"]) == ("red", "worsening")
    assert u["reason"] == "Red: 16 is above the target of 10 and outside the upper tolerance of 15"
    assert u["direction_reason"] == "Worsening: 12 last month → 16, smaller is better"
    assert by_id["icpc_15wd_pct"]["rag"] == "not_rated"
    assert by_id["contacts_to_referral_pct"]["direction"] == "not_comparable"
    assert "warning: figures for 'not_in_the_plan' were not used" in result.stderr


def test_evaluate_csv_and_table():
    result = run("evaluate", "--plan", EXAMPLE, "--observations", OBS, "--period", "2023-06", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 33 and rows[0]["measure_id"] == "referrals_rate_per_10k"
    result = run("evaluate", "--plan", EXAMPLE, "--observations", OBS, "--period", "2023-06")
    assert result.exit_code == 0
    assert "Northfield Council — Jun-2023" in result.stdout
    assert "D – People and workforce" in result.stdout
    assert "Green 2 · Amber 1 · Red 1 · Not rated 29" in result.stdout


def test_evaluate_usage_and_input_errors():
    bad_period = run("evaluate", "--plan", EXAMPLE, "--observations", OBS, "--period", "June 2023")
    assert bad_period.exit_code == 2
    assert "'June 2023' is not a month in the form YYYY-MM" in bad_period.output
    bad_obs = run("evaluate", "--plan", EXAMPLE, "--observations", str(FIXTURES / "observations_bad.csv"), "--period", "2023-06")
    assert bad_obs.exit_code == 1
    assert "observations_bad.csv row 5, column value: '85%' is not a number" in bad_obs.stderr
    assert bad_obs.stderr.strip().endswith("9 problems in observations_bad.csv; nothing was evaluated.")
    bad_plan = run("evaluate", "--plan", str(FIXTURES / "broken.yaml"), "--observations", OBS, "--period", "2023-06")
    assert bad_plan.exit_code == 1
    assert "14 problems in broken.yaml" in bad_plan.stderr
    missing = run("evaluate", "--plan", EXAMPLE, "--period", "2023-06")
    assert missing.exit_code == 2


def test_plan_check_against_the_measure_library(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        (ROOT / "examples" / "plan.yaml").read_text().replace(
            "source: {computed: rereferrals_12m_pct}", "source: {computed: rereferals_12m_pct}"
        )
    )
    assert run("plan", "check", "--no-library", str(plan)).exit_code == 0
    result = run("plan", "check", str(plan))
    assert result.exit_code == 1
    assert (
        "source.computed: 'rereferals_12m_pct' is not in the measure library (did you mean 'rereferrals_12m_pct'?)"
        in result.stderr
    )
