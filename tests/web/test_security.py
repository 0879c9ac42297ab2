"""Security and privacy of the web application (the security review's own tests).

Each test is a rule from docs/security.md, checked end to end with tiny synthetic data.
A test marked ``xfail(strict=True)`` records a defect found in review that is not fixed
yet: it fails while the defect exists and, once fixed, passes unexpectedly and fails the
run, so the marker goes with the fix.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.test import Client
from django.urls import reverse

from journey.web.accounts.models import AuditEvent
from journey.web.accounts.roles import Capability, Role, capabilities_of
from journey.web.casedata.models import LoadJob
from journey.web.plans import services as plan_services
from tests.web.url_walk import ALL_VIEWS, GUARDED_VIEWS

DATA = Path(__file__).parent / "data"
PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - the test users' password (conftest)

# Child-level markers: none of these may reach a role without VIEW_CHILD_LEVEL.
CHILD_MARKERS = ["QZCHILD1", "QZCHILD2", "QZCHILD3", "QZREF1", "QZREF2", "QZREF3", "2014-11-29"]
CHILDREN = (
    b"child_id,sex,date_of_birth\n"
    b"QZCHILD1,F,2014-11-29\nQZCHILD2,M,2012-07-19\nQZCHILD3,F,2019-01-05\n"
)
REFERRALS = (
    b"referral_id,child_id,referral_date\n"
    b"QZREF1,QZCHILD1,2023-04-03\nQZREF2,QZCHILD2,2023-06-10\nQZREF3,QZCHILD3,2023-06-12\n"
)
STRONG_KEY = "q7Vd-3kLp9ZrT2xWbN8mYc4HsJf6GtA1uE5oRiK0nQ_wPzXyBvC"  # noqa: S105 - test-only
AGGREGATE_ONLY = [Role.BOARD_MEMBER, Role.SCRUTINY, Role.ADMINISTRATOR]




def _url(name, pattern, examples, overrides=None):
    kwargs = {}
    if pattern.pattern.converters:
        kwargs = dict((overrides or {}).get(name) or examples[name])
    return reverse(name, kwargs=kwargs)


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace") + "".join(
        f"{k}: {v}\n" for k, v in response.items()
    )


def _signed_in(make_user, role, username, *, csrf=False):
    client = Client(enforce_csrf_checks=csrf)
    user = make_user(role, username)
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def loaded(settings, tmp_path, db, make_user):
    """The web test plan with an extract loaded through the browser (child-level markers)."""
    settings.DATA_DIR = tmp_path
    plan_services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    loader = _signed_in(make_user, Role.DATA_TEAM, "loader")
    files = [
        SimpleUploadedFile("children.csv", CHILDREN),
        SimpleUploadedFile("referrals.csv", REFERRALS),
        SimpleUploadedFile("extract.json", b'{"as_at": "2023-07-03"}'),
    ]
    loader.post(reverse("casedata:upload"), {"extract": files})
    job = LoadJob.objects.get()
    loader.post(reverse("casedata:accept", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "done", (job.message, job.problems)
    return job


@pytest.fixture
def examples(db):
    from tests.web.url_examples import build_examples

    return build_examples()


# ------------------------------------------------------------------- settings, secrets


def _settings_in_a_fresh_process(env: dict[str, str], code: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JOURNEY_", "DJANGO_"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", f"import journey.web.settings as s\n{code}"],
        env=clean, capture_output=True, text=True, timeout=120, check=False,
    )


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _settings_in_a_fresh_process(
        {"JOURNEY_ALLOWED_HOSTS": "journey.example.gov.uk", "JOURNEY_DATA_DIR": str(tmp_path)}, ""
    )
    assert result.returncode != 0
    assert "JOURNEY_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    result = _settings_in_a_fresh_process(
        {"JOURNEY_SECRET_KEY": STRONG_KEY, "JOURNEY_DATA_DIR": str(tmp_path)}, ""
    )
    assert result.returncode != 0
    assert "JOURNEY_ALLOWED_HOSTS" in result.stderr


def test_production_has_debug_off_secure_cookies_and_no_generated_key(tmp_path):
    result = _settings_in_a_fresh_process(
        {
            "JOURNEY_SECRET_KEY": STRONG_KEY,
            "JOURNEY_ALLOWED_HOSTS": "journey.example.gov.uk",
            "JOURNEY_DATA_DIR": str(tmp_path),
        },
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        f" s.SECRET_KEY == {STRONG_KEY!r}, s.X_FRAME_OPTIONS)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "True", "DENY"]
    assert not (tmp_path / "secret_key").exists()


def test_djangos_deployment_check_finds_nothing_in_production(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOURNEY_", "DJANGO_"))}
    env.update(
        JOURNEY_SECRET_KEY=STRONG_KEY, JOURNEY_ALLOWED_HOSTS="journey.example.gov.uk",
        JOURNEY_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="journey.web.settings",
    )
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    found = set(re.findall(r"\((security\.\w\d+)\)", result.stdout + result.stderr))
    assert found == set(), result.stdout + result.stderr


def test_no_secret_key_or_key_file_is_committed():
    listed = subprocess.run(
        ["git", "ls-files"], cwd=Path(__file__).parents[2], capture_output=True, text=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    names = listed.stdout.splitlines()
    assert not [n for n in names if n.endswith(("secret_key", ".env", ".pem", ".key"))]
    assert not [n for n in names if n.startswith("var/")]


def test_the_demo_login_command_refuses_to_run_in_production(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JOURNEY_", "DJANGO_"))}
    env.update(
        JOURNEY_ENV="production", JOURNEY_SECRET_KEY=STRONG_KEY,
        JOURNEY_ALLOWED_HOSTS="journey.example.gov.uk", JOURNEY_DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-c", "from journey.cli import main; main()", "users", "demo"],
        env=env, capture_output=True, text=True, timeout=180, check=False,
    )
    assert result.returncode != 0
    assert "demo-administrator" not in result.stdout


def test_a_refused_new_user_form_never_shows_the_password_again(make_user):
    admin = _signed_in(make_user, Role.ADMINISTRATOR, "admin")
    typed = "Unusual-Passphrase-7731"
    response = admin.post(
        reverse("accounts:user_create"),
        {"username": "x", "role": "director", "password": typed, "password_again": typed + "!"},
    )
    assert response.status_code == 400
    assert typed not in response.content.decode()
    assert not [e for e in AuditEvent.objects.all() if typed in f"{e.target} {e.detail}"]


# ------------------------------------------------------------------------- signing in


@pytest.mark.parametrize(
    "target",
    ["https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com/",
     "https:evil.example.com", "\\\\evil.example.com"],
)
def test_signing_in_never_redirects_to_another_site(make_user, client, target):
    make_user(Role.DIRECTOR, "dcs")
    response = client.post(
        reverse("accounts:login"), {"username": "dcs", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert "evil.example.com" not in response["Location"]


def test_a_signed_in_user_sent_to_sign_in_is_not_redirected_to_another_site(make_user):
    client = _signed_in(make_user, Role.DIRECTOR, "dcs")
    response = client.get(reverse("accounts:login"), {"next": "https://evil.example.com/"})
    assert response.status_code == 302
    assert "evil.example.com" not in response["Location"]


def test_signing_out_needs_a_post_so_a_link_cannot_sign_someone_out(make_user):
    client = _signed_in(make_user, Role.DIRECTOR, "dcs")
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.get(reverse("plans:dashboard")).status_code == 200


def test_a_deactivated_user_is_signed_out_of_an_open_session(make_user):
    client = _signed_in(make_user, Role.TEAM_MANAGER, "tm")
    client.user.is_active = False
    client.user.save()
    response = client.get(reverse("plans:dashboard"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_every_page_but_sign_in_needs_a_signed_in_user(examples, client):
    for name, pattern in GUARDED_VIEWS:
        response = client.get(_url(name, pattern, examples))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("accounts:login")), name


# ----------------------------------------------------------------------- CSRF, methods


def test_no_view_is_exempt_from_csrf_checks():
    exempt = [name for name, p in ALL_VIEWS if getattr(p.callback, "csrf_exempt", False)]
    assert exempt == []
    assert "django.middleware.csrf.CsrfViewMiddleware" in django_settings.MIDDLEWARE


@pytest.mark.parametrize("role", [Role.DATA_TEAM, Role.DIRECTOR, Role.ADMINISTRATOR])
def test_every_post_without_a_csrf_token_is_refused(examples, make_user, role):
    client = _signed_in(make_user, role, f"csrf-{role.value}", csrf=True)
    for name, pattern in ALL_VIEWS:
        response = client.post(_url(name, pattern, examples), {"anything": "1"})
        assert response.status_code == 403, name


def _row_counts() -> dict[str, int]:
    ignored = {"accounts.auditevent", "sessions.session"}
    return {
        model._meta.label_lower: model.objects.count()
        for model in apps.get_models()
        if model._meta.label_lower not in ignored
    }


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_no_get_request_changes_anything(examples, make_user, role):
    client = _signed_in(make_user, role, f"get-{role.value}")
    for name, pattern in GUARDED_VIEWS:
        client.get(_url(name, pattern, examples))  # first visits may warm caches
    before = _row_counts()
    jobs = list(LoadJob.objects.values_list("pk", "status"))
    for name, pattern in GUARDED_VIEWS:
        url = _url(name, pattern, examples)
        client.get(url)
        client.get(url, {"download": "1", "format": "csv", "month": "2023-06"})
        assert _row_counts() == before, name
    assert list(LoadJob.objects.values_list("pk", "status")) == jobs


# ------------------------------------------------------------ child-level data: who sees


@pytest.mark.parametrize("role", AGGREGATE_ONLY, ids=[r.value for r in AGGREGATE_ONLY])
def test_roles_without_child_level_access_never_receive_a_child_identifier(
    loaded, examples, make_user, role
):
    # Someone with access looks first, so the audit log and caches hold whatever they hold.
    manager = _signed_in(make_user, Role.TEAM_MANAGER, "tm")
    listing = manager.get(reverse("plans:child_list", args=["referrals"]), {"month": "2023-06"})
    assert "QZCHILD2" in listing.content.decode()

    reader = _signed_in(make_user, role, f"reader-{role.value}")
    overrides = {
        name: {"measure_id": "referrals"}
        for name in ("plans:measure", "plans:child_list", "plans:manual_entry")
    }
    overrides["casedata:job"] = overrides["casedata:job_status"] = {"pk": loaded.pk}
    variants = [{}, {"month": "2023-06"}, {"month": "2023-06", "format": "csv"},
                {"download": "1"}, {"action": "viewed_child_list"}]
    for name, pattern in GUARDED_VIEWS:
        url = _url(name, pattern, examples, overrides)
        for params in variants:
            for headers in ({}, {"HX-Request": "true"}):
                body = _body(reader.get(url, params, headers=headers))
                leaked = [m for m in CHILD_MARKERS if m in body]
                assert not leaked, f"{role} saw {leaked} at {url} {params} {headers}"


def _readable(content: bytes) -> str:
    """Report bytes as searchable text: the XML parts of a zip (XLSX, Word), else the bytes."""
    import io
    import zipfile

    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return " ".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    if content.startswith(b"%PDF"):
        from pypdf import PdfReader

        return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)
    return content.decode("utf-8", "replace")


@pytest.mark.parametrize("fmt", ["html", "csv", "xlsx", "docx", "pdf"])
def test_reports_read_by_a_board_member_hold_no_child_identifier(
    loaded, make_user, monkeypatch, fmt
):
    from journey.web.reports import services as report_services
    from journey.web.reports.models import ReportBuild

    builder = _signed_in(make_user, Role.DATA_TEAM, "builder")
    for kind, _label in report_services.KINDS:
        builder.post(reverse("reports:index"), {"kind": kind, "period": "2023-06", "format": fmt})
    # The board reads a report once it is final (its narrative approved); the figures in it
    # are the same as in the draft built here.
    ReportBuild.objects.filter(format=fmt).update(draft=False)
    reader = _signed_in(make_user, Role.BOARD_MEMBER, "board")
    builds = list(ReportBuild.objects.filter(format=fmt))
    assert builds and all(b.status == ReportBuild.Status.DONE for b in builds), [
        (b.kind, b.status, b.message) for b in builds
    ]
    for build in builds:
        for url in (reverse("reports:status", args=[build.pk]),
                    reverse("reports:download", args=[build.pk])):
            response = reader.get(url)
            assert response.status_code == 200, url
            text = _readable(response.content) + _body(response)
            if url.endswith("/download/"):
                assert "Referrals" in text  # the report itself was read, not just its bytes
            leaked = [m for m in CHILD_MARKERS if m in text]
            assert not leaked, f"{build.kind} {fmt} report shows {leaked}"
        assert AuditEvent.objects.filter(action="report.downloaded", username="board").exists()


def test_a_refused_child_list_says_why_without_any_record(loaded, make_user):
    reader = _signed_in(make_user, Role.BOARD_MEMBER, "board")
    response = reader.get(reverse("plans:child_list", args=["referrals"]), {"month": "2023-06"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "cannot" in body.lower()
    assert not [m for m in CHILD_MARKERS if m in body]


def test_the_child_list_and_its_export_are_not_cached_by_the_browser(loaded, make_user):
    manager = _signed_in(make_user, Role.TEAM_MANAGER, "tm")
    export = manager.get(
        reverse("plans:child_list", args=["referrals"]), {"month": "2023-06", "format": "csv"}
    )
    assert "no-store" in export["Cache-Control"]


def test_the_child_list_page_is_not_cached_by_the_browser(loaded, make_user):
    manager = _signed_in(make_user, Role.TEAM_MANAGER, "tm")
    page = manager.get(reverse("plans:child_list", args=["referrals"]), {"month": "2023-06"})
    assert "no-store" in page["Cache-Control"]


# ----------------------------------------------------------------- the audit log


def test_every_view_and_export_of_a_child_list_is_logged_with_who_and_which_list(
    loaded, make_user
):
    AuditEvent.objects.all().delete()
    manager = _signed_in(make_user, Role.TEAM_MANAGER, "tm")
    url = reverse("plans:child_list", args=["referrals"])
    manager.get(url, {"month": "2023-06"})
    manager.get(url, {"month": "2023-06", "format": "csv"})
    manager.get(url, {"month": "2023-06", "format": "csv"}, headers={"HX-Request": "true"})
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == [
        "viewed_child_list", "exported_child_list", "exported_child_list"
    ]
    for event in events:
        assert event.username == "tm" and event.user_id == manager.user.pk
        assert event.at is not None
        assert event.detail["measure"] == "referrals" and event.detail["month"] == "2023-06"


def test_viewing_a_validation_report_that_names_children_is_logged(
    settings, tmp_path, make_user
):
    settings.DATA_DIR = tmp_path
    loader = _signed_in(make_user, Role.DATA_TEAM, "loader")
    duplicated = SimpleUploadedFile(
        "children.csv", b"child_id,sex,date_of_birth\nQZCHILD1,F,2014-11-29\nQZCHILD1,M,2014-11-29\n"
    )
    loader.post(reverse("casedata:upload"), {"extract": [duplicated]})
    job = LoadJob.objects.get()
    body = loader.get(reverse("casedata:job", args=[job.pk])).content.decode()
    assert "QZCHILD1" in body  # the report names the child, so looking at it is a child-level view
    viewed = AuditEvent.objects.exclude(action="uploaded_extract").filter(username="loader")
    assert viewed.exists()


def test_the_audit_log_page_shows_no_child_identifier(loaded, make_user):
    manager = _signed_in(make_user, Role.TEAM_MANAGER, "tm")
    manager.get(reverse("plans:child_list", args=["referrals"]), {"month": "2023-06"})
    admin = _signed_in(make_user, Role.ADMINISTRATOR, "admin")
    body = admin.get(reverse("accounts:audit")).content.decode()
    assert "viewed_child_list" in body or "Viewed" in body
    assert not [m for m in CHILD_MARKERS if m in body]


def test_the_audit_log_cannot_be_changed_from_the_browser(loaded, make_user):
    admin = _signed_in(make_user, Role.ADMINISTRATOR, "admin")
    before = AuditEvent.objects.count()
    for method in ("post", "put", "delete", "patch"):
        response = getattr(admin, method)(reverse("accounts:audit"))
        assert response.status_code == 405
    assert AuditEvent.objects.count() == before


# ------------------------------------------------------------------------- uploads


class _CountingHandler(FileUploadHandler):
    """Counts every byte of uploaded file data the server parses (first in the chain)."""

    received = 0

    def receive_data_chunk(self, raw_data, start):
        type(self).received += len(raw_data)
        return raw_data

    def file_complete(self, file_size):
        return None


def test_an_upload_over_the_limit_is_refused_and_nothing_is_kept(settings, tmp_path, make_user):
    settings.DATA_DIR = tmp_path
    settings.JOURNEY_MAX_UPLOAD_MB = 1
    loader = _signed_in(make_user, Role.DATA_TEAM, "loader")
    big = SimpleUploadedFile("children.csv", CHILDREN + b"x" * (1024 * 1024 + 1))
    response = loader.post(reverse("casedata:upload"), {"extract": [big]})
    assert response.status_code == 400
    assert not LoadJob.objects.exists()
    uploads = tmp_path / "uploads"
    assert not uploads.exists() or not any(uploads.rglob("*.csv"))


def test_an_observations_file_over_the_limit_is_refused_before_it_is_read(
    settings, tmp_path, make_user
):
    settings.DATA_DIR = tmp_path
    settings.JOURNEY_MAX_UPLOAD_MB = 1
    plan_services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    loader = _signed_in(make_user, Role.DATA_TEAM, "loader")
    body = b"measure_id,period,value\n" + b"cp_visits,2023-06,90\n" * 60000
    response = loader.post(
        reverse("casedata:observations_import"),
        {"observations": SimpleUploadedFile("obs.csv", body)},
    )
    assert response.status_code == 400
    from journey.web.plans.models import Observation

    assert not Observation.objects.exists()


def test_an_oversize_upload_is_stopped_before_the_server_has_read_it_all(
    settings, tmp_path, make_user
):
    settings.DATA_DIR = tmp_path
    settings.JOURNEY_MAX_UPLOAD_MB = 1
    settings.FILE_UPLOAD_HANDLERS = [
        f"{__name__}._CountingHandler", *django_settings.FILE_UPLOAD_HANDLERS
    ]
    _CountingHandler.received = 0
    loader = _signed_in(make_user, Role.DATA_TEAM, "loader", csrf=True)
    page = loader.get(reverse("casedata:loads"))
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else loader.cookies["csrftoken"].value
    big = SimpleUploadedFile("children.csv", b"x" * (4 * 1024 * 1024))
    response = loader.post(
        reverse("casedata:upload"), {"extract": [big], "csrfmiddlewaretoken": token}
    )
    assert response.status_code in (400, 413)
    assert _CountingHandler.received <= 1024 * 1024 + 64 * 1024


def test_the_server_refuses_request_bodies_over_the_upload_limit_itself(
    settings, monkeypatch, db
):
    import waitress
    from click.testing import CliRunner

    from journey.cli import main
    from journey.web.casedata.middleware import body_limit

    settings.JOURNEY_MAX_UPLOAD_MB = 1
    called: dict = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **options: called.update(options))
    monkeypatch.setattr("journey.cli.web._queue_warm_up", lambda: None)
    result = CliRunner().invoke(main, ["serve", "--no-migrate", "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert called and called.get("max_request_body_size", 1 << 30) <= body_limit()


@pytest.mark.parametrize(
    "name", ["../../escape.csv", "..\\..\\escape.csv", "/etc/escape.csv", "sub/../../escape.csv"]
)
def test_an_uploaded_file_name_cannot_put_a_file_outside_its_upload_folder(
    settings, tmp_path, make_user, monkeypatch, name
):
    from journey.web.casedata import services, tasks

    settings.DATA_DIR = tmp_path / "data"
    monkeypatch.setattr(tasks, "check_extract", SimpleNamespace(enqueue=lambda job_id: None))  # no check
    user = make_user(Role.DATA_TEAM, "loader")
    job = services.create_job(
        [services.Upload(name, len(CHILDREN), lambda: iter([CHILDREN]))], user
    )
    folder = Path(job.stored_path).resolve()
    assert folder.parent == (tmp_path / "data" / "uploads").resolve()
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written and all(p.resolve().parent == folder for p in written)


def test_uploaded_extract_files_are_readable_only_by_the_server_account(
    settings, tmp_path, make_user, monkeypatch
):
    import stat

    from journey.web.casedata import services, tasks

    settings.DATA_DIR = tmp_path / "data"
    monkeypatch.setattr(tasks, "check_extract", SimpleNamespace(enqueue=lambda job_id: None))
    previous = os.umask(0o022)  # a typical server default
    try:
        job = services.create_job(
            [services.Upload("children.csv", len(CHILDREN), lambda: iter([CHILDREN]))],
            make_user(Role.DATA_TEAM, "loader"),
        )
    finally:
        os.umask(previous)
    folder = Path(job.stored_path)
    for path in [folder, *folder.iterdir()]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o007 == 0, f"{path.name} is {oct(mode)}"


def test_a_rejected_load_changes_nothing(settings, tmp_path, make_user):
    from journey.web.plans.models import Observation

    settings.DATA_DIR = tmp_path
    plan_services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    loader = _signed_in(make_user, Role.DATA_TEAM, "loader")
    broken = SimpleUploadedFile("children.csv", b"child_id,sex,date_of_birth\nC1,F,not-a-date\n")
    loader.post(reverse("casedata:upload"), {"extract": [broken]})
    job = LoadJob.objects.get()
    assert job.status == LoadJob.Status.REJECTED
    loader.post(reverse("casedata:accept", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == LoadJob.Status.REJECTED
    assert not (tmp_path / "store" / "snapshots").exists() or not any(
        (tmp_path / "store" / "snapshots").iterdir()
    )
    assert not Observation.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["accepted_extract", "loaded_extract"]).exists()


def test_an_imported_figure_cannot_name_a_snapshot_that_is_a_path(settings, tmp_path, make_user):
    from journey.web.plans.models import Observation

    settings.DATA_DIR = tmp_path
    plan_services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    climbing = "./" * 25 + "../../outside/"
    loader = _signed_in(make_user, Role.DATA_TEAM, "loader")
    body = f"measure_id,period,value,snapshot\nreferrals,2023-06,3,{climbing}\n".encode()
    loader.post(
        reverse("casedata:observations_import"),
        {"observations": SimpleUploadedFile("obs.csv", body)},
    )
    assert not Observation.objects.filter(snapshot=climbing).exists()


# ------------------------------------------------------------ object-level permissions


@pytest.fixture
def owned_plan(db):
    plan_services.save_plan_version((DATA / "plan.yaml").read_text(), filename="plan.yaml", user=None)
    from journey.web.actions import services as action_services

    action_services.ensure_synced()


def _service_lead(make_user, username):
    return _signed_in(make_user, Role.SERVICE_LEAD, username)


def test_a_service_lead_cannot_write_narrative_for_a_measure_they_do_not_own(
    owned_plan, make_user
):
    from journey.web.narrative.models import Narrative

    lead = _service_lead(make_user, "front-door")  # owns referrals, not cp_visits
    answers = {"working_well": "a", "worried_about": "b", "doing_about": "c", "version": 0,
               "intent": "save"}
    refused = lead.post(reverse("narrative:edit", args=["cp_visits", "2023-06"]), answers)
    assert refused.status_code == 403
    assert not Narrative.objects.filter(measure_id="cp_visits").exists()
    allowed = lead.post(reverse("narrative:edit", args=["referrals", "2023-06"]), answers)
    assert allowed.status_code == 302
    assert Narrative.objects.filter(measure_id="referrals").exists()


def test_a_service_lead_cannot_update_an_action_they_do_not_own(owned_plan, make_user):
    from journey.web.actions.models import TrackedAction

    before = TrackedAction.objects.get(number="1.1")
    lead = _service_lead(make_user, "front-door")  # action 1.1 belongs to sam
    update = {"status": "completed", "percent_complete": 100, "note": "done", "version": before.version,
              "evidence_text": "", "evidence_link": ""}
    response = lead.post(reverse("actions:update", args=["1.1"]), update)
    assert response.status_code == 403
    after = TrackedAction.objects.get(number="1.1")
    assert (after.status, after.percent_complete, after.version) == (
        before.status, before.percent_complete, before.version
    )
    owner = _service_lead(make_user, "sam")
    assert owner.post(reverse("actions:update", args=["1.1"]), update).status_code == 302


def test_a_service_lead_cannot_enter_figures_for_a_measure_they_do_not_own(
    owned_plan, make_user
):
    from journey.web.plans.models import Observation

    lead = _service_lead(make_user, "front-door")  # cp_visits belongs to sam
    response = lead.post(
        reverse("plans:manual_entry", args=["cp_visits"]), {"month": "2023-06", "value": "12"}
    )
    assert response.status_code == 403
    assert not Observation.objects.filter(measure_id="cp_visits").exists()


def test_the_manual_figures_service_itself_refuses_a_non_owner(owned_plan, make_user):
    from django.core.exceptions import PermissionDenied

    from journey.web.plans import manual

    lead = make_user(Role.SERVICE_LEAD, "front-door")
    measure = plan_services.find_measure(plan_services.active_plan(), "cp_visits")
    refused = False
    try:
        manual.enter_figure(lead, measure, "2023-06", "12", "")
    except PermissionDenied:
        refused = True
    assert refused


def test_an_evidence_link_must_be_a_web_address_not_a_script(owned_plan, make_user):
    from journey.web.actions.models import TrackedAction

    owner = _service_lead(make_user, "sam")
    version = TrackedAction.objects.get(number="1.1").version
    response = owner.post(
        reverse("actions:update", args=["1.1"]),
        {"status": "in_progress", "percent_complete": 50, "note": "", "version": version,
         "evidence_text": "minutes", "evidence_link": "javascript:alert(document.cookie)"},
    )
    assert response.status_code == 400
    detail = owner.get(reverse("actions:detail", args=["1.1"])).content.decode()
    assert "javascript:" not in detail


@pytest.mark.parametrize("role", [Role.BOARD_MEMBER, Role.SCRUTINY, Role.TEAM_MANAGER])
def test_read_only_roles_cannot_post_narrative_actions_or_figures(owned_plan, make_user, role):
    client = _signed_in(make_user, role, f"ro-{role.value}")
    assert Capability.WRITE_NARRATIVE not in capabilities_of(role)
    posts = [
        (reverse("narrative:edit", args=["cp_visits", "2023-06"]), {"working_well": "x"}),
        (reverse("actions:update", args=["1.1"]), {"status": "completed"}),
        (reverse("plans:manual_entry", args=["cp_visits"]), {"month": "2023-06", "value": "1"}),
        (reverse("plans:plan_edit"), {"text": "title: x"}),
        (reverse("accounts:user_create"), {"username": "evil", "role": "administrator"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url


# ----------------------------------------------------------------------- output escaping


def test_text_from_the_plan_file_is_escaped_in_pages_charts_and_reports(
    settings, tmp_path, make_user, monkeypatch
):
    settings.DATA_DIR = tmp_path
    hostile = '<script>alert("x")</script>'
    text = (DATA / "plan.yaml").read_text().replace("CP visits in timescale", hostile)
    plan_services.save_plan_version(text, filename="plan.yaml", user=None)
    figures = tmp_path / "obs.csv"
    figures.write_text("measure_id,period,value\ncp_visits,2023-05,88\ncp_visits,2023-06,91\n")
    plan_services.import_observations(figures, user=None)
    reader = _signed_in(make_user, Role.BOARD_MEMBER, "board")
    urls = [reverse("plans:dashboard"), reverse("plans:measure", args=["cp_visits"])]
    urls.append(reverse("plans:measure_chart", args=["cp_visits"]))  # an SVG, same origin
    for url in urls:
        response = reader.get(url, {"month": "2023-06"})
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "<script>alert" not in body, url

    from journey.web.reports import services as report_services

    builder = _signed_in(make_user, Role.DATA_TEAM, "builder")
    build = report_services.request_build(builder.user, "monthly", "2023-06", "html")
    assert build.status == "done", build.message
    report = builder.get(reverse("reports:download", args=[build.pk])).content.decode()
    assert "alert(" in report  # the title is there, as text
    assert "<script>alert" not in report


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_report_spreadsheets_escape_text_a_spreadsheet_would_run(
    settings, tmp_path, make_user, monkeypatch, fmt
):
    import csv
    import io

    import openpyxl

    from journey.web.reports import services as report_services

    settings.DATA_DIR = tmp_path
    hostile = '=HYPERLINK("http://evil.example.com","CP visits")'
    text = (DATA / "plan.yaml").read_text().replace(
        "title: CP visits in timescale", "title: '" + hostile.replace("'", "''") + "'"
    )
    plan_services.save_plan_version(text, filename="plan.yaml", user=None)
    figures = tmp_path / "obs.csv"
    figures.write_text("measure_id,period,value\ncp_visits,2023-05,88\ncp_visits,2023-06,91\n")
    plan_services.import_observations(figures, user=None)
    reader = _signed_in(make_user, Role.DATA_TEAM, "builder")
    build = report_services.request_build(reader.user, "monthly", "2023-06", fmt)
    assert build.status == "done", build.message
    content = reader.get(reverse("reports:download", args=[build.pk])).content
    if fmt == "csv":
        cells = [c for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for c in row]
        assert "'" + hostile in cells
        assert not [c for c in cells if c.startswith(("=", "+", "@"))]
    else:
        book = openpyxl.load_workbook(io.BytesIO(content))
        cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
        assert [c for c in cells if c.value == hostile or c.value == "'" + hostile]
        assert not [c.coordinate for c in cells if c.data_type == "f"]


def test_a_downloaded_plan_file_name_cannot_break_out_of_its_header(db, make_user):
    version, _ = plan_services.save_plan_version(
        (DATA / "plan.yaml").read_text(), filename='x".html; filename*=UTF-8\'\'evil.html',
        user=None,
    )
    client = _signed_in(make_user, Role.DATA_TEAM, "loader")
    response = client.get(reverse("plans:plan_version", args=[version.pk]), {"download": "1"})
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "filename*=UTF-8''evil.html" not in disposition.replace('\\"', "")
