"""Board members and scrutiny councillors read aggregates: no figure per worker, small numbers
as the plan's rule says, final reports only. Staff see everything their role needs. Every
role is checked (the permission matrix for worker-level data and report builds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from journey.web.accounts.roles import Capability, Role, capabilities_of
from journey.web.plans import services

DATA = Path(__file__).parent / "data"


@pytest.fixture
def figures(db, tmp_path):
    services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    services.import_observations(DATA / "observations.csv", user=None)
    extra = tmp_path / "breakdowns.csv"
    extra.write_text(
        "measure_id,period,breakdown,breakdown_value,value,numerator,denominator\n"
        "cp_visits,2023-06,worker,W00000314,58.8,10,17\n"
        "cp_visits,2023-06,worker,W00000999,100,2,2\n"
        "cp_visits,2023-06,team,North,100.0,2,2\n"
        "cp_visits,2023-06,team,South,86.7,130,150\n"
        "cp_visits,2023-06,team,East,77.1,37,48\n"
        "audits_completed,2023-06,team,North,3,3,\n"
        "audits_completed,2023-06,team,South,28,28,\n"
    )
    services.import_observations(extra, user=None)


def _measure(client, measure_id="cp_visits"):
    response = client.get(reverse("plans:measure", args=[measure_id]), {"month": "2023-06"})
    assert response.status_code == 200
    return response.context["page"], response.content.decode()


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_figures_per_worker_reach_only_roles_that_may_see_worker_level_data(role, figures, client_for):
    page, body = _measure(client_for(role))
    allowed = Capability.VIEW_WORKER_LEVEL in capabilities_of(role)
    assert ("W00000314" in body) is allowed
    assert [t.dimension for t in page.breakdowns] == (["Team", "Worker"] if allowed else ["Team"])
    assert page.worker_breakdowns_withheld is not allowed


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_small_numbers_are_hidden_from_every_role_without_child_level_access(role, figures, client_for):
    page, body = _measure(client_for(role))
    (team,) = [t for t in page.breakdowns if t.dimension == "Team"]
    if Capability.VIEW_CHILD_LEVEL in capabilities_of(role):
        assert team.rows[0] == ("East", "77.1%", "37 of 48")
        assert ("North", "100.0%", "2 of 2") in team.rows
        assert "To protect individuals" not in body
    else:
        # North's 2 of 2 is small; East (48, the next smallest) is hidden with it, so the total
        # (169 of 200) minus South cannot give North back; East is not small: "hidden", not "<5".
        assert team.rows == [("East", "hidden", ""), ("North", "hidden", ""), ("South", "86.7%", "130 of 150")]
        assert team.total == ("84.5%", "169 of 200")
        assert "2 of 2" not in body
        assert "To protect individuals, counts of 1 to 4" in body


def test_a_small_count_is_shown_as_fewer_than_five_on_the_measure_page_and_its_chart(figures, client_for, tmp_path):
    small = tmp_path / "small.csv"
    small.write_text("measure_id,period,value\naudits_completed,2023-05,4\n")
    services.import_observations(small, user=None)
    board = client_for(Role.BOARD_MEMBER)
    response = board.get(reverse("plans:measure", args=["audits_completed"]), {"month": "2023-05"})
    page = response.context["page"]
    assert page.actual == "<5"
    assert [r.value_text for r in page.rows] == ["18", "<5"]
    assert page.reasons_hidden and "24 audits" not in response.content.decode()
    described = page.chart_description
    assert "Apr-2023" in described and "4" not in described.replace("Apr-2023", "").replace("2023", "")
    staff = client_for(Role.TEAM_MANAGER, "tim")
    assert staff.get(reverse("plans:measure", args=["audits_completed"]), {"month": "2023-05"}).context["page"].actual == "4"


def test_the_team_breakdown_of_a_count_hides_the_small_team_and_the_next_one(figures, client_for):
    page, _body = _measure(client_for(Role.SCRUTINY), "audits_completed")
    (team,) = page.breakdowns
    # 3 and 28: the whole (31) minus 28 gives the 3 back, so 28 is hidden too; 31 split
    # between two hidden teams gives nothing away.
    assert team.rows == [("North", "<5", ""), ("South", "hidden", "")]
    assert team.total == ("31", "")


def test_the_measure_page_says_what_is_counted_from_the_library_with_the_plans_settings(db, board_member, tmp_path):
    text = (DATA / "plan.yaml").read_text()
    services.save_plan_version(text, filename="plan.yaml", user=None)
    page, body = _measure_page_for(board_member, "referrals")
    definition = page.definition
    assert definition.library_id == "referrals_count"
    assert (definition.numerator, definition.denominator) == ("referrals dated in the period", "none")
    assert definition.source == "DfE Characteristics of children in need statistics (CIN census) (DfE LAIT measure 305)"
    assert definition.period == "Events in the month"
    assert definition.parameters == ()
    assert "Referrals dated in the period" in body and "DfE LAIT measure 305" in body
    assert "No notes are recorded" not in body


def _measure_page_for(client, measure_id):
    response = client.get(reverse("plans:measure", args=[measure_id]))
    return response.context["page"], response.content.decode()


def test_parameters_set_by_the_plan_are_shown_beside_the_librarys_default(db, board_member):
    from journey.engine.measures import registry

    with_parameters = next(m for m in registry.REGISTRY.values() if m.parameters and m.unit == "percent")
    parameter = with_parameters.parameters[0]
    value = parameter.default + 1 if isinstance(parameter.default, int) and not isinstance(parameter.default, bool) else parameter.default
    text = (DATA / "plan.yaml").read_text().replace(
        "        source:\n          computed: referrals_count",
        f"        source:\n          computed: {with_parameters.id}\n        parameters: {{{parameter.name}: {value}}}",
    ).replace("        unit: count\n        polarity: within_range\n        bands:\n          green: {lower: 2, upper: 4}\n          amber: {lower: 1, upper: 6}\n",
              "        unit: percent\n        polarity: higher_is_better\n")
    services.save_plan_version(text, filename="plan.yaml", user=None)
    page, body = _measure_page_for(board_member, "referrals")
    (shown,) = [p for p in page.definition.parameters if p.name == parameter.name]
    assert shown.value == str(value) and shown.default == str(parameter.default) and shown.set_by_plan
    assert "set by the plan" in body and with_parameters.source in body


def test_manual_measures_say_they_are_entered_by_hand(figures, board_member):
    page, body = _measure_page_for(board_member, "audits_completed")
    assert page.definition is None
    assert "Entered by hand each month" in body


def test_the_owner_is_shown_with_the_people_it_stands_for(figures, board_member, make_user):
    make_user(Role.SERVICE_LEAD, "sam", display_name="Sam Lead")
    _page, body = _measure_page_for(board_member, "cp_visits")
    assert "Sam Lead" in body.split('id="measure-owner"', 1)[1].split("</dd>", 1)[0]


# ----------------------------------------------------------------------- report builds


@pytest.fixture
def builds(db):
    from journey.web.reports.models import ReportBuild

    def make(draft):
        return ReportBuild.objects.create(
            kind="monthly", period="2024-06", format="csv", status=ReportBuild.Status.DONE, draft=draft,
            content=b"Measure\r\n", filename="monthly.csv", media_type="text/csv", size=9,
        )

    return {"draft": make(True), "final": make(False)}


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_who_may_build_reports_and_read_drafts_is_decided_by_capability(role, figures, builds, client_for):
    from journey.web.reports.models import ReportBuild

    client = client_for(role)
    builds_reports = Capability.BUILD_REPORTS in capabilities_of(role)
    page = client.get(reverse("reports:index"))
    assert page.status_code == 200  # everyone reads final reports
    assert ("Build the report" in page.content.decode()) is builds_reports
    before = ReportBuild.objects.count()
    response = client.post(reverse("reports:index"), {"kind": "monthly", "period": "2023-06", "format": "csv"})
    if not builds_reports:
        assert response.status_code == 403
        assert ReportBuild.objects.count() == before
    for name in ("reports:status", "reports:download"):
        assert client.get(reverse(name, args=[builds["final"].pk])).status_code == 200
        draft = client.get(reverse(name, args=[builds["draft"].pk]))
        assert draft.status_code == (200 if builds_reports else 403), (name, role)
    listed = f'href="{reverse("reports:status", args=[builds["draft"].pk])}"' in page.content.decode()
    assert listed is builds_reports


def test_a_refused_draft_says_why_in_the_readers_terms(builds, client_for):
    response = client_for(Role.SCRUTINY).get(reverse("reports:download", args=[builds["draft"].pk]))
    assert response.status_code == 403
    assert "draft" in response.content.decode() and "child-level" not in response.content.decode()
