"""Loads as proposals, figures kept per snapshot, one snapshot active, rolling back."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from journey.engine.casedata.schema import SCHEMA
from journey.web.accounts.models import AuditEvent
from journey.web.casedata import figures
from journey.web.casedata.models import DataSnapshot, LoadJob, SnapshotActivation
from journey.web.plans import services as plan_services
from journey.web.plans.models import Observation

DATA = Path(__file__).parent / "data"

CHILDREN = b"child_id,sex,date_of_birth\nC1,F,2015-03-02\nC2,M,2012-07-19\nC3,F,2019-01-05\n"
JUNE = (
    b"referral_id,child_id,referral_date\n"
    b"R1,C1,2023-04-03\nR2,C2,2023-05-10\nR3,C3,2023-06-12\nR4,C1,2023-06-20\nR5,C2,2023-06-28\n"
)
# A month later: R5 was recorded in error (June falls to 2), and July has four referrals.
JULY = (
    b"referral_id,child_id,referral_date\n"
    b"R1,C1,2023-04-03\nR2,C2,2023-05-10\nR3,C3,2023-06-12\nR4,C1,2023-06-20\n"
    b"R6,C1,2023-07-03\nR7,C2,2023-07-04\nR8,C3,2023-07-10\nR9,C2,2023-07-25\n"
)
KEY = ("measure_id", "period", "period_type", "breakdown", "breakdown_value")


def _extract(referrals=JUNE, as_at="2023-07-03", la_code="E09000999", **more):
    files = {
        "children.csv": CHILDREN,
        "referrals.csv": referrals,
        "extract.json": f'{{"as_at": "{as_at}", "la_code": "{la_code}"}}'.encode(),
    }
    files.update(more)
    return [SimpleUploadedFile(name, data) for name, data in files.items()]


@pytest.fixture
def inline_jobs(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def plan_loaded(db):
    plan_services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)


def _upload(client, files) -> LoadJob:
    client.post(reverse("casedata:upload"), {"extract": files})
    return LoadJob.objects.order_by("-pk").first()


def _load(client, files, acknowledge=()) -> LoadJob:
    job = _upload(client, files)
    assert job.status == "checked", job.message
    client.post(reverse("casedata:accept", args=[job.pk]), {"acknowledge": list(acknowledge)})
    job.refresh_from_db()
    assert job.status == "done", job.message
    return job


def _figures_as_bytes() -> bytes:
    """Every figure in use, every field that is shown or computed with, exactly."""
    rows = Observation.objects.order_by(*KEY).values_list(
        *KEY, "value", "numerator", "denominator", "flagged", "snapshot", "as_at", "source",
        "data_snapshot__sha256",
    )
    return "\n".join(repr(row) for row in rows).encode()


def _june(measure="referrals"):
    return Observation.objects.get(measure_id=measure, period="2023-06", period_type="month", breakdown="")


def test_making_the_earlier_snapshot_active_again_gives_byte_identical_figures(
    inline_jobs, plan_loaded, data_team
):
    first = _load(data_team, _extract())
    before = _figures_as_bytes()
    assert _june().value == 3

    second = _upload(data_team, _extract(JULY, "2023-08-02"))
    diff = second.summary["proposal"]["diff"]
    june = [m for m in diff["moves"] if m["month"] == "2023-06"]
    assert [(m["old_text"], m["new_text"]) for m in june] == [("3", "2")]
    assert {m["month"]: m["headline"] for m in diff["months"]}["2023-07"] == 1
    data_team.post(reverse("casedata:accept", args=[second.pk]))
    second.refresh_from_db()
    assert second.status == "done", second.message
    after = _figures_as_bytes()
    assert after != before and _june().value == 2 and _june().snapshot == second.snapshot

    response = data_team.post(
        reverse("casedata:activate", args=[first.snapshot]), {"reason": "July extract double-counted"}
    )
    assert response.status_code == 302
    assert _figures_as_bytes() == before
    assert figures.active_snapshot().sha256 == first.snapshot
    # Nothing was lost: the later snapshot's figures are kept and can be used again.
    data_team.post(reverse("casedata:activate", args=[second.snapshot]), {"reason": "Checked: July is right"})
    assert _figures_as_bytes() == after


def test_changing_the_data_in_use_needs_a_reason_and_the_audit_log_says_who_and_why(
    inline_jobs, plan_loaded, data_team
):
    first = _load(data_team, _extract())
    second = _load(data_team, _extract(JULY, "2023-08-02"))
    response = data_team.post(reverse("casedata:activate", args=[first.snapshot]), {"reason": "  "})
    assert response.status_code == 400
    assert "Give the reason" in response.content.decode()
    assert figures.active_snapshot().sha256 == second.snapshot

    data_team.post(reverse("casedata:activate", args=[first.snapshot]), {"reason": "Wrong month"})
    event = AuditEvent.objects.get(action="activated_snapshot")
    assert event.user == data_team.user and event.detail["reason"] == "Wrong month"
    assert event.detail["previous"] == second.snapshot and event.detail["snapshot"] == first.snapshot
    history = SnapshotActivation.objects.filter(snapshot__sha256=first.snapshot).first()
    assert (history.kind, history.by, history.reason) == ("activated", data_team.user, "Wrong month")
    page = data_team.get(reverse("casedata:snapshot", args=[first.snapshot])).content.decode()
    assert "Wrong month" in page and 'id="activations"' in page


def test_each_months_figure_says_which_snapshot_made_it(inline_jobs, plan_loaded, data_team):
    first = _load(data_team, _extract())
    # A later extract that starts in June: earlier months keep the first snapshot's figures.
    later = JULY.replace(b"R1,C1,2023-04-03\nR2,C2,2023-05-10\n", b"")
    second = _load(data_team, _extract(later, "2023-08-02"))
    made_by = dict(
        Observation.objects.filter(measure_id="referrals", period_type="month", breakdown="")
        .values_list("period", "data_snapshot__sha256")
    )
    assert made_by["2023-07"] == second.snapshot
    # The second snapshot computed April and May too (24 months), finding nothing: it
    # replaced them. Figures older than its window keep the first snapshot's.
    assert made_by["2023-04"] == second.snapshot
    assert set(made_by.values()) <= {first.snapshot, second.snapshot}


def test_a_population_far_from_the_plans_must_be_acknowledged_by_name_and_is_recorded(
    inline_jobs, plan_loaded, data_team
):
    small = _extract(**{"population.csv": b"year,population_0_17\n2023,2000\n"})
    job = _upload(data_team, small)
    assert job.status == "checked" and job.message.startswith("Not ready")
    page = data_team.get(reverse("casedata:job", args=[job.pk])).content.decode()
    assert "Acknowledge" in page and "2,000" in page and "60,000" in page
    refused = data_team.post(reverse("casedata:accept", args=[job.pk]))
    assert refused.status_code == 400
    assert "Tick to acknowledge" in refused.content.decode()
    job.refresh_from_db()
    assert job.status == "checked" and not Observation.objects.exists()

    data_team.post(reverse("casedata:accept", args=[job.pk]), {"acknowledge": ["population"]})
    job.refresh_from_db()
    assert job.status == "done", job.message
    kept = DataSnapshot.objects.get(sha256=job.snapshot)
    assert [a["code"] for a in kept.acknowledged] == ["population"]
    assert kept.accepted_by == data_team.user
    assert AuditEvent.objects.get(action="accepted_extract").detail["acknowledged"] == ["population"]


def test_an_extract_from_another_council_is_refused_before_anything_changes(
    inline_jobs, plan_loaded, data_team
):
    job = _upload(data_team, _extract(la_code="E09000123"))
    assert job.status == "rejected"
    page = data_team.get(reverse("casedata:job", args=[job.pk])).content.decode()
    assert "LA code E09000123" in page and "Accept and load" not in page
    assert data_team.post(reverse("casedata:accept", args=[job.pk])).status_code == 302
    assert not Observation.objects.exists() and not DataSnapshot.objects.exists()
    assert not (inline_jobs / "store" / "snapshots").exists()


def test_an_extract_with_no_rows_is_refused(inline_jobs, plan_loaded, data_team):
    job = _upload(data_team, [SimpleUploadedFile("referrals.csv", b"referral_id,child_id,referral_date\n")])
    assert job.status == "rejected"
    assert job.errors[0]["code"] == "no_rows"


TWO_MEASURES = (DATA / "plan.yaml").read_text().replace(
    """        notes: Referrals received in the month (counted from the referrals table).
""",
    """        notes: Referrals received in the month (counted from the referrals table).
      - id: looked_after
        title: Children looked after
        unit: count
        polarity: lower_is_better
        targets:
          "2023-04": 10
        source:
          computed: cla_count
""",
)


def test_a_measure_whose_tables_are_absent_is_not_computed_rather_than_zero(
    inline_jobs, db, data_team
):
    plan_services.save_plan_version(TWO_MEASURES, filename="plan.yaml", user=None)
    job = _upload(data_team, _extract())  # 2 of the tables
    assert job.status == "checked" and job.message.startswith("Not ready")
    assert "Ready to accept" not in data_team.get(reverse("casedata:job", args=[job.pk])).content.decode()
    checks = {c["code"]: c for c in job.summary["proposal"]["checks"]}
    assert checks["tables"]["severity"] == "acknowledge"
    assert f"It gives 2 of the {len(SCHEMA)} tables (children, referrals)" in checks["tables"]["message"]
    assert "Children looked after (needs cla_episodes)" in checks["tables"]["message"]
    data_team.post(reverse("casedata:accept", args=[job.pk]), {"acknowledge": ["tables"]})
    job.refresh_from_db()
    assert job.status == "done", job.message
    assert _june().value == 3
    assert not Observation.objects.filter(measure_id="looked_after").exists()
    assert DataSnapshot.objects.get().not_computed == {"looked_after": ["cla_episodes"]}


def test_a_proposal_made_before_another_load_was_accepted_is_checked_again(
    inline_jobs, plan_loaded, data_team
):
    stale = _upload(data_team, _extract())
    newer = _load(data_team, _extract(JULY, "2023-08-02"))
    data_team.post(reverse("casedata:accept", args=[stale.pk]))
    stale.refresh_from_db()
    assert stale.status == "checked"
    assert "changed since this load was checked" in stale.summary["outdated"]
    assert stale.summary["proposal"]["base"] == newer.snapshot
    assert figures.active_snapshot().sha256 == newer.snapshot
    page = data_team.get(reverse("casedata:job", args=[stale.pk])).content.decode()
    assert "It was checked again" in page


def test_the_same_extract_again_is_refused_and_pointed_to_activation(inline_jobs, plan_loaded, data_team):
    _load(data_team, _extract())
    again = _upload(data_team, _extract())
    assert again.status == "rejected"
    checks = {c["code"]: c for c in again.summary["proposal"]["checks"]}
    assert "accepted before as snapshot" in checks["already_loaded"]["message"]


def test_figures_entered_by_hand_or_imported_stay_when_the_active_snapshot_changes(
    inline_jobs, plan_loaded, data_team
):
    plan_services.import_observations(DATA / "observations.csv", user=None)
    manual = sorted(Observation.objects.values_list("measure_id", "period", "value"))
    first = _load(data_team, _extract())
    # A correction imported over a computed figure is the importer's from then on.
    corrected = b"measure_id,period,value\nreferrals,2023-05,7\n"
    plan_services.import_observations(
        SimpleUploadedFile("correction.csv", corrected), user=None, file_name="correction.csv"
    )
    _load(data_team, _extract(JULY, "2023-08-02"))
    figures_before = Observation.objects.get(measure_id="referrals", period="2023-05", period_type="month", breakdown="")
    assert figures_before.value == 7 and figures_before.data_snapshot is None
    data_team.post(reverse("casedata:activate", args=[first.snapshot]), {"reason": "Back"})
    kept = Observation.objects.filter(data_snapshot__isnull=True).exclude(measure_id="referrals")
    assert sorted(kept.values_list("measure_id", "period", "value")) == manual
    assert Observation.objects.get(measure_id="referrals", period="2023-05", period_type="month", breakdown="").value == 7


def test_the_loads_page_lists_snapshots_with_the_one_in_use(inline_jobs, plan_loaded, data_team):
    first = _load(data_team, _extract())
    page = data_team.get(reverse("casedata:loads")).content.decode()
    assert 'id="snapshots"' in page and first.snapshot[:12] in page and "In use" in page


def test_only_the_data_team_may_change_the_data_in_use(inline_jobs, plan_loaded, client_for):
    from journey.web.accounts.roles import Role

    team = client_for(Role.DATA_TEAM)
    first = _load(team, _extract())
    _load(team, _extract(JULY, "2023-08-02"))
    lead = client_for(Role.SERVICE_LEAD)  # the same client, signed in as a service lead
    response = lead.post(reverse("casedata:activate", args=[first.snapshot]), {"reason": "x"})
    assert response.status_code == 403
    assert figures.active_snapshot().sha256 != first.snapshot


def test_figures_computed_before_snapshots_were_kept_become_snapshots_without_changing(
    inline_jobs, plan_loaded, data_team
):
    """The upgrade (migration casedata 0003) records the computed figures already in use
    as snapshots, each on top of the one before, so nothing in use changes or is lost."""
    import importlib

    from journey.web.casedata.models import SnapshotFigure

    _load(data_team, _extract())
    _load(data_team, _extract(JULY, "2023-08-02"))
    before = _figures_as_bytes()
    # As an installation before the upgrade: figures in use, no snapshot records.
    Observation.objects.update(data_snapshot=None)
    SnapshotActivation.objects.all().delete()
    SnapshotFigure.objects.all().delete()
    DataSnapshot.objects.update(based_on=None, active=False)
    DataSnapshot.objects.all().delete()

    from django.apps import apps

    upgrade = importlib.import_module("journey.web.casedata.migrations.0003_figures_kept_before")
    upgrade.keep_figures(apps, None)
    assert _figures_as_bytes() == before
    kept = list(DataSnapshot.objects.order_by("pk"))
    assert [s.legacy for s in kept] == [True, True] and kept[1].based_on == kept[0] and kept[1].active
    assert figures.put_in_use(kept[1]) == {"added": 0, "changed": 0, "removed": 0}
    assert _figures_as_bytes() == before
