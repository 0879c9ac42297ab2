"""Loading an extract from the browser: upload, validation report, accept, progress, figures."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from journey.web.accounts.models import AuditEvent
from journey.web.casedata.models import LoadJob
from journey.web.plans import services as plan_services
from journey.web.plans.models import Observation

DATA = Path(__file__).parent / "data"

CHILDREN = b"child_id,sex,date_of_birth\nC1,F,2015-03-02\nC2,M,2012-07-19\nC3,F,2019-01-05\n"
REFERRALS = (
    b"referral_id,child_id,referral_date\n"
    b"R1,C1,2023-04-03\nR2,C2,2023-05-10\nR3,C3,2023-06-12\nR4,C1,2023-06-20\nR5,C2,2023-06-28\n"
)
EXTRACT_JSON = b'{"as_at": "2023-07-03", "la_code": "E09000999"}'


@pytest.fixture
def inline_jobs(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def plan_loaded(db):
    plan_services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)


def _files(**extra):
    files = {"children.csv": CHILDREN, "referrals.csv": REFERRALS, "extract.json": EXTRACT_JSON}
    files.update(extra)
    return [SimpleUploadedFile(name, data) for name, data in files.items()]


def test_an_uploaded_extract_is_checked_and_its_report_shown(inline_jobs, plan_loaded, data_team):
    response = data_team.post(reverse("casedata:upload"), {"extract": _files()})
    assert response.status_code == 302
    job = LoadJob.objects.get()
    assert job.status == "checked", job.message
    assert job.kind == "canonical"
    page = data_team.get(reverse("casedata:job", args=[job.pk])).content.decode()
    assert "Accept and load" in page
    assert "referrals" in page and "Tables found" in page
    assert AuditEvent.objects.filter(action="uploaded_extract").exists()


def test_an_extract_with_errors_is_rejected_with_file_row_and_column(inline_jobs, plan_loaded, data_team):
    bad = REFERRALS + b"R6,C1,31/02/2023\n"
    data_team.post(reverse("casedata:upload"), {"extract": _files(**{"referrals.csv": bad})})
    job = LoadJob.objects.get()
    assert job.status == "rejected"
    error = job.errors[0]
    assert error["file"] == "referrals.csv" and error["row"] == 7 and error["column"] == "referral_date"
    page = data_team.get(reverse("casedata:job", args=[job.pk])).content.decode()
    assert "Accept and load" not in page
    assert 'id="validation-report"' in page and "referrals.csv" in page
    assert not Observation.objects.exists()


def test_accepting_loads_the_snapshot_and_the_figures_change(inline_jobs, plan_loaded, data_team):
    data_team.post(reverse("casedata:upload"), {"extract": _files()})
    job = LoadJob.objects.get()
    proposal = job.summary["proposal"]
    moves = {m["measure_id"]: m for m in proposal["diff"]["moves"] if m["month"] == "2023-06"}
    assert (moves["referrals"]["old_text"], moves["referrals"]["new_text"]) == ("no figure", "3")
    assert (moves["referrals"]["old_rag"], moves["referrals"]["new_rag"]) == ("Not rated", "Green")
    page = data_team.get(reverse("casedata:job", args=[job.pk])).content.decode()
    assert 'id="figure-changes"' in page and 'id="largest-moves"' in page and "Referrals in month" in page
    assert not Observation.objects.exists()  # a proposal changes nothing
    response = data_team.post(reverse("casedata:accept", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "done", job.message
    assert job.progress == 100 and len(job.snapshot) == 64
    june = Observation.objects.get(measure_id="referrals", period="2023-06", period_type="month", breakdown="")
    assert june.value == 3 and june.source == "computed" and june.snapshot == job.snapshot
    assert june.data_snapshot.sha256 == job.snapshot and june.data_snapshot.active
    page = data_team.get(reverse("plans:dashboard"), {"month": "2023-06"}).context["page"]
    rows = {row.measure.id: row for block in page.blocks for row in block.rows}
    assert rows["referrals"].result.value == 3
    event = AuditEvent.objects.get(action="accepted_snapshot")
    assert event.username == data_team.user.username and event.detail["snapshot"] == job.snapshot
    assert (inline_jobs / "store" / "snapshots" / job.snapshot / "manifest.json").is_file()
    assert not list((inline_jobs / "store" / "pending").glob("*.json"))
    measure = data_team.get(reverse("plans:measure", args=["referrals"]), {"month": "2023-06"})
    assert measure.context["page"].provenance[0].startswith(
        f"Computed by the measure library's rule referrals_count from extract snapshot {job.snapshot[:12]}, stored "
    )


def test_the_status_panel_polls_while_running_and_asks_for_a_refresh_when_done(
    inline_jobs, plan_loaded, data_team
):
    job = LoadJob.objects.create(original_name="x.csv", stored_path=str(inline_jobs), sha256="0" * 64,
                                 status="loading", progress=40, message="Computing")
    running = data_team.get(reverse("casedata:job_status", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in running.content.decode()
    assert "HX-Refresh" not in running
    job.status, job.progress = "done", 100
    job.save()
    finished = data_team.get(reverse("casedata:job_status", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert "hx-trigger" not in finished.content.decode()
    assert finished["HX-Refresh"] == "true"


def test_accepting_tells_progress_for_every_batch_of_figures_kept_and_put_in_use(inline_jobs, plan_loaded):
    from journey.web.casedata import figures, services

    told: list[tuple[int, str]] = []
    proposal = services.propose({"children.csv": CHILDREN, "referrals.csv": REFERRALS, "extract.json": EXTRACT_JSON})
    rows = proposal.figures.height
    assert rows > 2  # three batches of two below
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(figures, "BATCH", 2)
        services.accept(proposal, user=None, by_name="t", acknowledged=[c.code for c in proposal.to_acknowledge],
                        progress=lambda percent, message: told.append((percent, message)))
    percents = [p for p, _ in told]
    assert percents == sorted(percents) and percents[-1] == 100
    kept = [m for _, m in told if m.startswith("Keeping the figures: ")]
    in_use = [m for _, m in told if m.startswith("Putting the figures in use: ")]
    assert kept[0] == f"Keeping the figures: 2 of {rows:,}" and kept[-1] == f"Keeping the figures: {rows:,} of {rows:,}"
    assert len(kept) == (rows + 1) // 2
    assert in_use[-1] == f"Putting the figures in use: {rows:,} of {rows:,} rows written"
    assert all(80 <= p <= 99 for p, m in told if m.startswith(("Keeping the figures: ", "Putting")))


def test_the_status_panel_shows_progress_told_while_the_loads_transaction_hides_the_row(
    inline_jobs, plan_loaded, data_team
):
    from django.core.cache import cache

    from journey.web.casedata import services

    job = LoadJob.objects.create(original_name="x.csv", stored_path=str(inline_jobs), sha256="0" * 64,
                                 status="loading", progress=80, message="Keeping the figures and putting them in use")
    cache.set(services._live_key(job.pk), (93, "Putting the figures in use: 6,000 of 14,736 rows written"))
    panel = data_team.get(reverse("casedata:job_status", args=[job.pk])).content.decode()
    assert "Progress: 93%" in panel and "6,000 of 14,736 rows written" in panel
    assert LoadJob.objects.get(pk=job.pk).progress == 80  # shown, not saved
    # Once the load is committed its row is the truth again.
    LoadJob.objects.filter(pk=job.pk).update(status="done", progress=100, message="Loaded")
    panel = data_team.get(reverse("casedata:job_status", args=[job.pk])).content.decode()
    assert "Progress: 100%" in panel and "Loaded" in panel and "6,000" not in panel
    cache.delete(services._live_key(job.pk))


def test_a_running_job_page_refreshes_itself_without_javascript(inline_jobs, data_team):
    job = LoadJob.objects.create(original_name="x.csv", stored_path=str(inline_jobs), sha256="0" * 64,
                                 status="checking")
    page = data_team.get(reverse("casedata:job", args=[job.pk])).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page


def test_uploads_over_the_size_cap_are_refused(inline_jobs, settings, data_team):
    settings.JOURNEY_MAX_UPLOAD_MB = 0
    response = data_team.post(reverse("casedata:upload"), {"extract": _files()})
    assert response.status_code == 400
    assert "the limit is 0 MB" in response.content.decode()
    assert not LoadJob.objects.exists()


def test_an_upload_with_no_files_is_refused_with_an_error_summary(inline_jobs, data_team):
    response = data_team.post(reverse("casedata:upload"), {})
    assert response.status_code == 400
    assert 'href="#extract"' in response.content.decode()


def test_observations_can_be_imported_in_the_browser(inline_jobs, plan_loaded, data_team):
    upload = SimpleUploadedFile("obs.csv", (DATA / "observations.csv").read_bytes())
    response = data_team.post(reverse("casedata:observations_import"), {"observations": upload})
    assert response.status_code == 302
    assert Observation.objects.count() == 9


def test_a_bad_observations_file_lists_its_problems_and_imports_nothing(inline_jobs, plan_loaded, data_team):
    upload = SimpleUploadedFile("obs.csv", b"measure_id,period,value\ncp_visits,June,80\n")
    response = data_team.post(reverse("casedata:observations_import"), {"observations": upload})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was imported from obs.csv" in body and "row 2" in body
    assert not Observation.objects.exists()


def test_cancelling_a_checked_upload_loads_nothing(inline_jobs, plan_loaded, data_team):
    data_team.post(reverse("casedata:upload"), {"extract": _files()})
    job = LoadJob.objects.get()
    data_team.post(reverse("casedata:cancel", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert data_team.post(reverse("casedata:accept", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert not Observation.objects.exists()


def test_only_the_data_team_may_load_data(inline_jobs, service_lead):
    response = service_lead.post(reverse("casedata:upload"), {"extract": _files()})
    assert response.status_code == 403
    assert not LoadJob.objects.exists()


def test_an_import_page_lists_each_figure_it_changed_old_and_new(inline_jobs, plan_loaded, data_team):
    from journey.web.plans.models import ObservationImport

    plan_services.import_observations(DATA / "observations.csv", user=None)
    upload = SimpleUploadedFile("revised.csv", (DATA / "observations_june_revised.csv").read_bytes())
    data_team.post(reverse("casedata:observations_import"), {"observations": upload})
    record = ObservationImport.objects.get(file_name="revised.csv")
    assert record.imported_by == data_team.user
    page = data_team.get(reverse("casedata:import_detail", args=[record.pk])).content.decode()
    assert "cp_visits/2023-06/month" in page and "84.5" in page and "72.0" in page
    assert "1 new" not in page and "0 new, 1 changed, 1 unchanged" in page


SSDA903_HEADER = b"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n4,1,10/10/2005,WBRI,,,\n"
SSDA903_OC3 = b"CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\n4,10/10/2005,YES,F2,D1\n"


def test_ssda903_files_named_without_a_year_are_checked_with_the_collection_year_given(inline_jobs, data_team):
    files = {"header.csv": SSDA903_HEADER, "oc3.csv": SSDA903_OC3}
    upload = [SimpleUploadedFile(name, data) for name, data in files.items()]
    data_team.post(reverse("casedata:upload"), {"extract": upload, "collection_year": "2018"})
    job = LoadJob.objects.get()
    assert job.status == "checked", job.message
    assert sorted(p.relative_to(job.stored_path).as_posix() for p in Path(job.stored_path).rglob("*.csv")) == [
        "2018/header.csv",
        "2018/oc3.csv",
    ]


def test_a_collection_year_that_is_not_a_year_is_refused_by_its_field(inline_jobs, data_team):
    upload = [SimpleUploadedFile("header.csv", SSDA903_HEADER)]
    response = data_team.post(reverse("casedata:upload"), {"extract": upload, "collection_year": "23/24"})
    assert response.status_code == 400
    assert "Enter the collection year as a year such as 2024" in response.content.decode()
    assert not LoadJob.objects.exists()


@contextlib.contextmanager
def checks_running_elsewhere(count: int):
    """``count`` check slots held, each by another thread with its own database connection
    (as other workers would), until the block ends; yields the slots they hold."""
    from django.db import connection

    from journey.web.casedata.slots import check_slot

    held: list[int | None] = []
    done = threading.Event()

    def hold(ready: threading.Event) -> None:
        try:
            with check_slot() as slot:
                held.append(slot)
                ready.set()
                done.wait(30)
        finally:
            ready.set()
            connection.close()

    workers = []
    for _ in range(count):
        ready = threading.Event()
        workers.append(threading.Thread(target=hold, args=(ready,)))
        workers[-1].start()
        ready.wait(30)
    try:
        yield held
    finally:
        done.set()
        for worker in workers:
            worker.join(30)


def test_beyond_the_most_checks_at_once_an_upload_waits_its_turn_and_is_then_checked(
    inline_jobs, plan_loaded, data_team, settings
):
    from django_tasks import task_backends

    from journey.web.casedata import services

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # queued, not run
    settings.JOURNEY_MAX_CONCURRENT_CHECKS = 1
    data_team.post(reverse("casedata:upload"), {"extract": _files()})
    job = LoadJob.objects.get()
    queued = task_backends["default"].results
    assert len(queued) == 1 and queued[0].task.run_after is None
    with checks_running_elsewhere(1) as held:  # another worker is checking an extract
        assert held == [0]
        services.check_job(job.pk)
    job.refresh_from_db()
    assert job.status == "checking"
    assert job.message == "Waiting: 1 extract is being checked already, the most at once. This check starts when one finishes."
    assert "This check starts when one finishes" in data_team.get(reverse("casedata:job", args=[job.pk])).content.decode()
    again = queued[-1].task
    assert len(queued) == 2 and again.run_after is not None and again.run_after > job.updated_at
    services.check_job(job.pk)  # the slot is free now
    job.refresh_from_db()
    assert job.status == "checked", job.message


def test_a_second_check_runs_beside_the_first_when_the_setting_allows_two(inline_jobs, plan_loaded, data_team, settings):
    settings.JOURNEY_MAX_CONCURRENT_CHECKS = 2
    with checks_running_elsewhere(1) as held:
        assert held == [0]
        data_team.post(reverse("casedata:upload"), {"extract": _files()})
    assert LoadJob.objects.get().status == "checked"


def test_where_checks_cannot_wait_an_upload_beyond_the_limit_is_refused_clearly(inline_jobs, plan_loaded, data_team, settings):
    settings.JOURNEY_MAX_CONCURRENT_CHECKS = 2
    with checks_running_elsewhere(2) as held:  # tasks here run as they are queued: no waiting
        assert held == [0, 1]
        data_team.post(reverse("casedata:upload"), {"extract": _files()})
    job = LoadJob.objects.get()
    assert job.status == "failed"
    assert job.message == (
        "Not checked: 2 extracts are being checked already, the most at once. Upload it again when one has finished."
    )
    assert not Observation.objects.exists()


def test_an_understated_re_referral_figure_must_be_acknowledged_and_then_says_why_on_its_page(
    inline_jobs, db, data_team
):
    # The extract's referrals start in April 2023 (one in April, one in May, three in
    # June: half the median month is 0.5, so April is the first complete month), so a
    # referral before 1 April 2024 cannot be matched with one in the 12 months before it.
    plan = (DATA / "plan.yaml").read_text().replace(
        "        source: manual\n        owner: Director Person",
        "        source:\n          computed: rereferrals_12m_pct\n        owner: Director Person",
    )
    plan_services.save_plan_version(plan, filename="plan.yaml", user=None)
    data_team.post(reverse("casedata:upload"), {"extract": _files()})
    job = LoadJob.objects.get()
    checks = {c["code"]: c for c in job.summary["proposal"]["checks"]}
    assert checks["referral_history"]["severity"] == "acknowledge"
    assert "complete only from April 2023" in checks["referral_history"]["message"]
    page = data_team.get(reverse("casedata:job", args=[job.pk])).content.decode()
    assert "Referral history" in page and 'value="referral_history"' in page
    data_team.post(reverse("casedata:accept", args=[job.pk]))
    job.refresh_from_db()
    assert job.status != "done"  # not acknowledged: nothing loaded
    assert not Observation.objects.exists()
    data_team.post(reverse("casedata:accept", args=[job.pk]), {"acknowledge": ["referral_history"]})
    job.refresh_from_db()
    assert job.status == "done", job.message
    # June 2023: R4 (C1, previous 3 April) and R5 (C2, previous 10 May) are re-referrals;
    # R3 (C3) has none in the extract: 2 of 3, and the figure says it may be short.
    june = Observation.objects.get(measure_id="re_referrals", period="2023-06", period_type="month", breakdown="")
    assert (june.numerator, june.denominator) == (2, 3)
    assert june.note.startswith("Understated: the extract's referrals are complete only from April 2023")
    measure = data_team.get(reverse("plans:measure", args=["re_referrals"]), {"month": "2023-06"})
    assert any(
        line.startswith("Note: Understated: the extract's referrals are complete only from April 2023")
        for line in measure.context["page"].provenance
    )
    assert not Observation.objects.filter(measure_id="referrals").exclude(note="").exists()
