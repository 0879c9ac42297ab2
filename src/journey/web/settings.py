"""Django settings, read from the environment.

``JOURNEY_ENV`` is ``production`` unless set: production requires
``JOURNEY_SECRET_KEY`` and ``JOURNEY_ALLOWED_HOSTS``; ``development`` (set by the
Makefile for the demo and the tests) generates a key under the data directory.
Storage is a SQLite file in ``JOURNEY_DATA_DIR`` unless ``DATABASE_URL`` names another
database (PostgreSQL for a real deployment).
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from journey.web.env import (
    ConfigurationError,
    development_secret_key,
    env_bool,
    env_int,
    env_list,
    env_str,
)

WEB_DIR = Path(__file__).resolve().parent
PROJECT_DIR = WEB_DIR.parents[2]

JOURNEY_ENV = env_str("JOURNEY_ENV", "production")
if JOURNEY_ENV not in {"production", "development"}:
    raise ConfigurationError(f"JOURNEY_ENV={JOURNEY_ENV!r} must be 'production' or 'development'.")
DEVELOPMENT = JOURNEY_ENV == "development"

DATA_DIR = Path(env_str("JOURNEY_DATA_DIR", str(PROJECT_DIR / "var"))).resolve()

if DEVELOPMENT:
    SECRET_KEY = env_str("JOURNEY_SECRET_KEY", "") or development_secret_key(DATA_DIR)
    ALLOWED_HOSTS = env_list("JOURNEY_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
else:
    SECRET_KEY = env_str("JOURNEY_SECRET_KEY")
    ALLOWED_HOSTS = env_list("JOURNEY_ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise ConfigurationError("JOURNEY_ALLOWED_HOSTS must be set in production.")

DEBUG = env_bool("JOURNEY_DEBUG", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "journey.web.accounts",
    "journey.web.plans",
    "journey.web.casedata",
    "journey.web.narrative",
    "journey.web.actions",
    "journey.web.reports",
    "journey.web.background",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "journey.web.accounts.middleware.LoginRequiredMiddleware",
    "journey.web.casedata.middleware.UploadSizeLimitMiddleware",
]

ROOT_URLCONF = "journey.web.urls"
WSGI_APPLICATION = "journey.web.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [WEB_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "journey.web.accounts.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'journey.sqlite3'}"),
        conn_max_age=env_int("JOURNEY_DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}

# Background work: a queue in the database (SQLite or PostgreSQL alike), run by
# `journey worker` processes (`journey serve` starts one unless told not to).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
JOURNEY_WORKER_STALE_SECONDS = env_int("JOURNEY_WORKER_STALE_SECONDS", 300)
JOURNEY_WARM_UP_PAGES = env_bool("JOURNEY_WARM_UP_PAGES", True)

# Computed pages, evaluations and charts, shared by every web and worker process (a worker
# warms them for the web processes). Files under the data directory by default: no setup,
# and no writes to the database (on SQLite a write locks it). `JOURNEY_CACHE=database` for
# web servers on several machines (after `journey serve`'s migrate creates the table).
JOURNEY_CACHE = env_str("JOURNEY_CACHE", "file")
_CACHE_OPTIONS = {"MAX_ENTRIES": env_int("JOURNEY_CACHE_MAX_ENTRIES", 20000), "CULL_FREQUENCY": 4}
if JOURNEY_CACHE == "file":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache" / "pages"),
            "TIMEOUT": 14 * 24 * 3600,
            "OPTIONS": _CACHE_OPTIONS,
        }
    }
elif JOURNEY_CACHE == "database":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "journey_cache",
            "TIMEOUT": 14 * 24 * 3600,
            "OPTIONS": _CACHE_OPTIONS,
        }
    }
else:
    raise ConfigurationError(f"JOURNEY_CACHE={JOURNEY_CACHE!r} must be 'file' or 'database'.")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "plans:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [
    ("journey", WEB_DIR / "static" / "journey"),
    ("vendor/govuk-frontend", PROJECT_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
    ("vendor/htmx", PROJECT_DIR / "node_modules" / "htmx.org" / "dist"),
]
STATICFILES_DIRS = [(prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEVELOPMENT

# Uploads: extracts are streamed to disk above the memory limit; the size cap is enforced
# by the upload view (JOURNEY_MAX_UPLOAD_MB).
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
JOURNEY_MAX_UPLOAD_MB = env_int("JOURNEY_MAX_UPLOAD_MB", 200)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEVELOPMENT
CSRF_COOKIE_SECURE = not DEVELOPMENT
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("JOURNEY_LOG_LEVEL", "WARNING")},
}
