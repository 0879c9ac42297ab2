"""A production server refuses to start unsafe: DEBUG on, a weak key, deployment warnings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

STRONG_KEY = "q7Vd-3kLp9ZrT2xWbN8mYc4HsJf6GtA1uE5oRiK0nQ_wPzXyBvC"  # noqa: S105 - test-only
HOSTS = "journey.example.gov.uk"


def _start(env: dict[str, str], code: str = "") -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("JOURNEY_", "DJANGO_"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", code or "import journey.web.wsgi"],
        env=clean, capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.mark.parametrize(
    "key",
    ["changeme", "secret", "django-insecure-" + "a1b2c3d4e5" * 5, "short-Key-9", "ab" * 30],
    ids=["changeme", "secret", "django-insecure", "short", "repetitive"],
)
def test_production_refuses_to_start_with_a_weak_or_well_known_secret_key(tmp_path, key):
    result = _start(
        {"JOURNEY_SECRET_KEY": key, "JOURNEY_ALLOWED_HOSTS": HOSTS, "JOURNEY_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode != 0
    assert "JOURNEY_SECRET_KEY" in result.stderr and "weak key" in result.stderr


def test_production_refuses_to_start_with_debug_on(tmp_path):
    result = _start(
        {"JOURNEY_SECRET_KEY": STRONG_KEY, "JOURNEY_ALLOWED_HOSTS": HOSTS,
         "JOURNEY_DATA_DIR": str(tmp_path), "JOURNEY_DEBUG": "1"}
    )
    assert result.returncode != 0
    assert "JOURNEY_DEBUG is on in production" in result.stderr


def test_production_starts_with_a_strong_key_and_sends_hsts_and_redirects_to_https(tmp_path):
    result = _start(
        {"JOURNEY_SECRET_KEY": STRONG_KEY, "JOURNEY_ALLOWED_HOSTS": HOSTS,
         "JOURNEY_DATA_DIR": str(tmp_path)},
        "import journey.web.wsgi\nfrom django.conf import settings as s\n"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.DEBUG)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["31536000", "True", "False"]


def test_production_start_runs_the_deployment_checks_and_stops_on_a_warning(tmp_path):
    # A cookie that JavaScript could read is one of Django's deployment warnings; start-up
    # must refuse it even though the settings module itself loads.
    code = (
        "import django, os\n"
        "from django.conf import settings\n"
        "import journey.web.settings as s\n"
        "s.SESSION_COOKIE_SECURE = False\n"
        "import journey.web.wsgi\n"
    )
    result = _start(
        {"JOURNEY_SECRET_KEY": STRONG_KEY, "JOURNEY_ALLOWED_HOSTS": HOSTS,
         "JOURNEY_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "journey.web.settings"},
        code,
    )
    assert result.returncode != 0
    assert "check --deploy" in result.stderr and "security.W012" in result.stderr


def test_hsts_and_the_https_redirect_can_be_left_to_the_proxy_by_saying_so(tmp_path):
    result = _start(
        {"JOURNEY_SECRET_KEY": STRONG_KEY, "JOURNEY_ALLOWED_HOSTS": HOSTS,
         "JOURNEY_DATA_DIR": str(tmp_path), "JOURNEY_HSTS_SECONDS": "0",
         "JOURNEY_SSL_REDIRECT": "0", "JOURNEY_PROXY_SSL_HEADER": "X-Forwarded-Proto"},
        "import journey.web.wsgi\nfrom django.conf import settings as s\n"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, *s.SECURE_PROXY_SSL_HEADER)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", "False", "HTTP_X_FORWARDED_PROTO", "https"]


def test_development_starts_without_the_deployment_checks(tmp_path):
    result = _start({"JOURNEY_ENV": "development", "JOURNEY_DATA_DIR": str(tmp_path),
                     "JOURNEY_DEBUG": "1"})
    assert result.returncode == 0, result.stderr
