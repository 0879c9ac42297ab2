"""The web commands: importing figures with a plan, and creating users."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from journey.cli import main
from journey.web.accounts.models import User
from journey.web.plans.models import Observation, PlanVersion

DATA = Path(__file__).parent / "data"


@pytest.fixture
def runner(transactional_db):
    return CliRunner()


def test_observations_import_loads_the_plan_and_the_figures(runner):
    result = runner.invoke(
        main,
        ["observations", "import", str(DATA / "observations.csv"), "--plan", str(DATA / "plan.yaml")],
    )
    assert result.exit_code == 0, result.output
    assert "3 priorities, 4 measures" in result.output
    assert "Imported 9 rows from observations.csv: 9 new, 0 changed, 0 unchanged." in result.output
    assert PlanVersion.objects.filter(active=True).count() == 1
    assert Observation.objects.count() == 9


def test_observations_import_reports_problems_and_exits_non_zero(runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("measure,period,value\n")
    result = runner.invoke(main, ["observations", "import", str(bad)])
    assert result.exit_code == 1
    assert "Nothing imported" in result.output
    assert "measure_id" in result.output


def test_users_create_takes_the_password_from_the_environment(runner):
    result = runner.invoke(
        main,
        ["users", "create", "--username", "analyst", "--role", "data_team", "--password-env", "NEW_PW"],
        env={"NEW_PW": "an-unusual-test-passphrase"},
    )
    assert result.exit_code == 0, result.output
    user = User.objects.get(username="analyst")
    assert user.role == "data_team" and user.check_password("an-unusual-test-passphrase")


def test_users_create_refuses_an_empty_password_variable(runner):
    result = runner.invoke(
        main, ["users", "create", "--username", "x1", "--role", "director", "--password-env", "NOPE"],
        env={"NOPE": ""},
    )
    assert result.exit_code != 0
    assert not User.objects.filter(username="x1").exists()


def test_users_demo_creates_one_user_per_role_with_printed_random_passwords(runner):
    result = runner.invoke(main, ["users", "demo"])
    assert result.exit_code == 0, result.output
    from journey.web.accounts.roles import Role

    for role in Role:
        username = f"demo-{role.value.replace('_', '-')}"
        line = next(line for line in result.output.splitlines() if username in line)
        password = line.split()[1]
        assert User.objects.get(username=username).check_password(password)


def test_users_demo_makes_the_plans_owners_teams_held_by_the_demo_accounts(runner):
    from journey.web.accounts.models import Team
    from journey.web.accounts.ownership import is_owner

    runner.invoke(main, ["observations", "import", str(DATA / "observations.csv"), "--plan", str(DATA / "plan.yaml")])
    result = runner.invoke(main, ["users", "demo"])
    assert result.exit_code == 0, result.output
    # "sam" and "front-door" are no accounts here; "Director Person" goes to the director.
    assert set(Team.objects.values_list("name", flat=True)) == {"sam", "front-door", "Director Person", "Quality Lead"}
    director = User.objects.get(username="demo-director")
    assert is_owner(director, "Director Person")
    assert "Demo teams (owners named in the plan): 4." in result.output
