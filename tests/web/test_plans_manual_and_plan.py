"""Manual figures, and configuring the plan file in the browser."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from journey.web.accounts.models import AuditEvent
from journey.web.accounts.roles import Role
from journey.web.plans import services
from journey.web.plans.models import Observation, PlanVersion

DATA = Path(__file__).parent / "data"
PLAN_TEXT = (DATA / "plan.yaml").read_text()


@pytest.fixture
def plan_loaded(db):
    services.save_plan_version(PLAN_TEXT, filename="plan.yaml", user=None)


@pytest.fixture
def service_lead(client_for):
    """The service lead who owns cp_visits in the test plan (owner: sam)."""
    from journey.web.accounts.roles import Role

    return client_for(Role.SERVICE_LEAD, "sam")


def _enter(client, measure_id, **values):
    return client.post(reverse("plans:manual_entry", args=[measure_id]), values)


def test_a_service_lead_enters_a_manual_figure_and_it_is_stored_as_manual(plan_loaded, service_lead):
    response = _enter(service_lead, "cp_visits", month="2023-06", value="87.5", note="From the visits tracker")
    assert response.status_code == 302
    obs = Observation.objects.get(measure_id="cp_visits", period="2023-06")
    assert obs.value == 87.5 and obs.source == "manual" and obs.entered_by == service_lead.user
    event = AuditEvent.objects.get(action="entered_manual_figure")
    assert event.detail["old"] is None and event.detail["new"] == 87.5


def test_correcting_a_figure_records_old_and_new_in_the_audit_log(plan_loaded, service_lead):
    _enter(service_lead, "cp_visits", month="2023-06", value="87.5")
    _enter(service_lead, "cp_visits", month="2023-06", value="88")
    event = AuditEvent.objects.get(action="changed_manual_figure")
    assert (event.detail["old"], event.detail["new"]) == (87.5, 88.0)
    assert Observation.objects.get(measure_id="cp_visits", period="2023-06").value == 88.0


@pytest.mark.parametrize(
    "month,value,field,message",
    [
        ("June", "80", "month", "like 2023-06"),
        ("2023-13", "80", "month", "like 2023-06"),
        (f"{date.today().year + 1}-01", "80", "month", "cannot be in the future"),
        ("2023-06", "", "value", "Enter the figure"),
        ("2023-06", "eighty", "value", "as a number"),
        ("2023-06", "101", "value", "cannot be more than 100"),
        ("2023-06", "-1", "value", "cannot be less than 0"),
    ],
)
def test_invalid_manual_figures_are_refused_with_a_message_by_the_field(
    plan_loaded, service_lead, month, value, field, message
):
    response = _enter(service_lead, "cp_visits", month=month, value=value)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'href="#{field}"' in body and message in body
    assert not Observation.objects.exists()


def test_a_count_must_be_a_whole_number(plan_loaded, data_team):
    response = _enter(data_team, "audits_completed", month="2023-06", value="12.5")
    assert response.status_code == 400
    assert "must be a whole number" in response.content.decode()


def test_a_service_lead_cannot_enter_figures_for_someone_elses_measure(plan_loaded, service_lead):
    assert _enter(service_lead, "audits_completed", month="2023-06", value="12").status_code == 403
    form = service_lead.get(reverse("plans:manual_entry", args=["audits_completed"])).content.decode()
    assert "Only the measure's owner (Quality Lead)" in form and "Save figure" not in form
    page = service_lead.get(reverse("plans:measure", args=["audits_completed"])).content.decode()
    assert "Enter or correct a figure" not in page
    assert "Enter or correct a figure" in service_lead.get(
        reverse("plans:measure", args=["cp_visits"])
    ).content.decode()


def test_the_data_team_may_enter_the_figures_of_any_manual_measure(plan_loaded, client_for):
    from journey.web.accounts.roles import Role

    assert _enter(client_for(Role.DATA_TEAM, "dt"), "audits_completed", month="2023-06", value="30").status_code == 302
    assert Observation.objects.filter(measure_id="audits_completed").exists()


def test_board_members_cannot_enter_figures(plan_loaded, board_member):
    assert _enter(board_member, "cp_visits", month="2023-06", value="80").status_code == 403
    assert not Observation.objects.exists()


def test_the_plan_page_shows_the_active_plan(plan_loaded, data_team):
    body = data_team.get(reverse("plans:plan")).content.decode()
    assert "Synthetic Borough Council" in body
    assert "3 priorities, 4 measures, 1 actions" in body


def test_uploading_a_valid_plan_makes_a_new_active_version_and_audits_it(plan_loaded, data_team):
    changed = PLAN_TEXT.replace("Improvement plan (test)", "Improvement plan (revised)")
    upload = SimpleUploadedFile("plan-v2.yaml", changed.encode(), content_type="application/yaml")
    response = data_team.post(reverse("plans:plan_upload"), {"plan_file": upload})
    assert response.status_code == 302
    assert PlanVersion.objects.count() == 2
    active = PlanVersion.objects.get(active=True)
    assert active.filename == "plan-v2.yaml" and active.created_by == data_team.user
    assert services.active_plan().title == "Improvement plan (revised)"
    assert AuditEvent.objects.filter(action="changed_plan", target="plan-v2.yaml").exists()


def test_an_invalid_plan_upload_lists_problems_with_line_and_key_and_changes_nothing(
    plan_loaded, data_team
):
    broken = PLAN_TEXT.replace("polarity: higher_is_better", "polarity: bigger", 1)
    upload = SimpleUploadedFile("broken.yaml", broken.encode())
    response = data_team.post(reverse("plans:plan_upload"), {"plan_file": upload})
    assert response.status_code == 400
    body = response.content.decode()
    assert "The plan was not changed" in body
    assert "priorities[0].measures[0].polarity" in body
    line = next(i for i, text in enumerate(broken.splitlines(), start=1) if "polarity: bigger" in text)
    assert f'govuk-table__cell--numeric">{line}</td>' in body
    assert PlanVersion.objects.count() == 1
    assert AuditEvent.objects.filter(action="changed_plan").count() == 1  # the first load only


def test_editing_the_plan_in_the_browser_validates_the_same_way(plan_loaded, data_team):
    based_on = PlanVersion.objects.get(active=True).pk
    response = data_team.post(
        reverse("plans:plan_edit"), {"text": "authority: [unclosed", "based_on": based_on}
    )
    assert response.status_code == 400
    assert "YAML syntax error" in response.content.decode()
    assert PlanVersion.objects.count() == 1
    edited = PLAN_TEXT.replace("CP visits in timescale", "CP visits within timescale")
    response = data_team.post(
        reverse("plans:plan_edit"), {"text": edited, "note": "renamed", "based_on": based_on}
    )
    assert response.status_code == 302
    assert services.active_plan().measure("cp_visits").title == "CP visits within timescale"
    assert PlanVersion.objects.get(active=True).origin == "edit"


def test_a_plan_edit_saved_over_someone_elses_newer_version_is_refused_with_what_changed(
    plan_loaded, data_team, make_user
):
    started_from = PlanVersion.objects.get(active=True).pk
    # Someone else saves first, from the same starting version.
    other = make_user(Role.DATA_TEAM, "other-analyst")
    theirs = PLAN_TEXT.replace("CP visits in timescale", "CP visits on time")
    services.save_plan_version(theirs, filename="plan.yaml", user=other, based_on=started_from)
    mine = PLAN_TEXT.replace("CP visits in timescale", "CP visits within timescale")
    response = data_team.post(
        reverse("plans:plan_edit"), {"text": mine, "note": "", "based_on": started_from}
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "The plan was changed while you were editing it" in body and "other-analyst" in body
    assert "-" in body and "+" in body and "CP visits on time" in body  # the diff of theirs
    assert "CP visits within timescale" in body  # my text is kept in the box
    assert services.active_plan().measure("cp_visits").title == "CP visits on time"
    # Having seen the change, saving again (from the version now shown) replaces it.
    now = PlanVersion.objects.get(active=True).pk
    assert f'name="based_on" value="{now}"' in body
    again = data_team.post(reverse("plans:plan_edit"), {"text": mine, "based_on": now})
    assert again.status_code == 302
    assert services.active_plan().measure("cp_visits").title == "CP visits within timescale"


def test_an_earlier_version_can_be_made_active_again(plan_loaded, data_team):
    first = PlanVersion.objects.get()
    services.save_plan_version(PLAN_TEXT + "\n# v2\n", filename="plan.yaml", user=None)
    response = data_team.post(reverse("plans:plan_version", args=[first.pk]))
    assert response.status_code == 302
    assert PlanVersion.objects.get(active=True) == first
    assert AuditEvent.objects.filter(action="restored_plan").exists()


def test_uploading_the_same_plan_again_keeps_one_version(plan_loaded, data_team):
    upload = SimpleUploadedFile("plan.yaml", PLAN_TEXT.encode())
    data_team.post(reverse("plans:plan_upload"), {"plan_file": upload})
    assert PlanVersion.objects.count() == 1


def test_importing_observations_is_all_or_nothing(plan_loaded, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("measure_id,period,value\ncp_visits,2023-06,80\ncp_visits,2023-99,80\n")
    with pytest.raises(services.ImportRejected) as refused:
        services.import_observations(bad, user=None)
    assert any("row 3" in p and "bad.csv" in p for p in refused.value.problems)
    assert not Observation.objects.exists()


def test_importing_figures_for_a_measure_not_in_the_plan_is_refused(plan_loaded, tmp_path):
    bad = tmp_path / "typo.csv"
    bad.write_text("measure_id,period,value\ncp_visit,2023-06,80\n")
    with pytest.raises(services.ImportRejected) as refused:
        services.import_observations(bad, user=None)
    assert "cp_visit" in refused.value.problems[0]


def test_reimporting_replaces_values_and_records_what_changed(plan_loaded):
    services.import_observations(DATA / "observations.csv", user=None)
    result = services.import_observations(DATA / "observations_june_revised.csv", user=None)
    assert (result.created, result.changed, result.unchanged) == (0, 1, 1)
    assert result.changes == [
        {"key": "cp_visits/2023-06/month", "old": 84.5, "new": 72.0, "old_source": "imported"}
    ]
    assert Observation.objects.get(measure_id="cp_visits", period="2023-06").value == 72.0
    assert result.record.changes == result.changes


def test_an_active_plan_the_engine_no_longer_accepts_is_explained_not_hidden(db, client_for):
    from journey.web.accounts.roles import Role

    PlanVersion.objects.create(text="authority: [", sha256="0" * 64, filename="old.yaml", active=True)
    services.clear_caches()
    body = client_for(Role.DATA_TEAM).get(reverse("plans:plan")).content.decode()
    assert "no longer passes the checks" in body and "YAML syntax error" in body
    dashboard = client_for(Role.BOARD_MEMBER).get(reverse("plans:dashboard")).content.decode()
    assert "cannot be read by this version" in dashboard
