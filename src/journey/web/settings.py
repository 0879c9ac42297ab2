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

from journey.engine.casedata.store import default_data_dir
from journey.web.env import (
    ConfigurationError,
    development_secret_key,
    env_bool,
    env_day_of_month,
    env_int,
    env_list,
    env_str,
    env_time,
    parse_group_roles,
    refuse_weak_secret_key,
)

WEB_DIR = Path(__file__).resolve().parent
PROJECT_DIR = WEB_DIR.parents[2]

JOURNEY_ENV = env_str("JOURNEY_ENV", "production")
if JOURNEY_ENV not in {"production", "development"}:
    raise ConfigurationError(f"JOURNEY_ENV={JOURNEY_ENV!r} must be 'production' or 'development'.")
DEVELOPMENT = JOURNEY_ENV == "development"

DATA_DIR = default_data_dir().resolve()

if DEVELOPMENT:
    SECRET_KEY = env_str("JOURNEY_SECRET_KEY", "") or development_secret_key(DATA_DIR)
    ALLOWED_HOSTS = env_list("JOURNEY_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
else:
    SECRET_KEY = refuse_weak_secret_key(env_str("JOURNEY_SECRET_KEY"))
    ALLOWED_HOSTS = env_list("JOURNEY_ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        raise ConfigurationError("JOURNEY_ALLOWED_HOSTS must be set in production.")

DEBUG = env_bool("JOURNEY_DEBUG", False)
if DEBUG and not DEVELOPMENT:
    # Debug pages show settings, SQL parameters and local variables (child records).
    raise ConfigurationError(
        "JOURNEY_DEBUG is on in production: debug pages would show settings and case "
        "records. Unset JOURNEY_DEBUG (or set JOURNEY_ENV=development on a test machine)."
    )

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "journey.web.accounts",
    "journey.web.plans",
    "journey.web.casedata",
    "journey.web.narrative",
    "journey.web.actions",
    "journey.web.reports",
    "journey.web.reporttext",
    "journey.web.background",
    "journey.web.ssd",
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
    "csp.middleware.CSPMiddleware",
    # Every view needs a signed-in user unless marked @public (accounts/access.py): Django's
    # LoginRequiredMiddleware, auditing anonymous requests for child-level records.
    "journey.web.accounts.middleware.AuditedLoginRequiredMiddleware",
    "journey.web.accounts.middleware.SessionIdleTimeoutMiddleware",
    "journey.web.casedata.middleware.UploadSizeLimitMiddleware",
    "journey.web.plans.middleware.OneDataVersionMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during sign-in into its page.
    "axes.middleware.AxesMiddleware",
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
    # IMMEDIATE: a writing transaction takes SQLite's write lock when it begins, so two
    # simultaneous saves queue (up to ``timeout`` seconds) and the version check answers the
    # second with 409, instead of one failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    # Web and worker processes share the file: with write-ahead logging readers never wait
    # for a writer.
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA journal_mode=WAL"

# Background work: a queue in the database (SQLite or PostgreSQL alike), run by
# `journey worker` processes (`journey serve` starts one unless told not to).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
JOURNEY_WORKER_STALE_SECONDS = env_int("JOURNEY_WORKER_STALE_SECONDS", 300)
JOURNEY_WARM_UP_PAGES = env_bool("JOURNEY_WARM_UP_PAGES", True)

# The watched folder: new extracts are checked and proposed to the data team (docs/deploy.md).
JOURNEY_WATCH_DIR = env_str("JOURNEY_WATCH_DIR", "")
JOURNEY_WATCH_EVERY_SECONDS = env_int("JOURNEY_WATCH_EVERY_SECONDS", 900)
JOURNEY_WATCH_SETTLE_SECONDS = env_int("JOURNEY_WATCH_SETTLE_SECONDS", 60)

# Monthly reads of the Standard Safeguarding Dataset (docs/ssd.md), each left as a proposal for
# the data team. On when the environment holds JOURNEY_SSD_URL: the URL is read from the
# environment when the read runs and is never a setting, stored or logged.
JOURNEY_SSD_SCHEMA = env_str("JOURNEY_SSD_SCHEMA", "")
JOURNEY_SSD_DAY = env_day_of_month("JOURNEY_SSD_DAY", 5)
JOURNEY_SSD_AT = env_time("JOURNEY_SSD_AT", "06:00")

# Reminders by e-mail through GOV.UK Notify (none without a key); docs/deploy.md.
JOURNEY_NOTIFY_API_KEY = env_str("JOURNEY_NOTIFY_API_KEY", "")
JOURNEY_NOTIFY_BASE_URL = env_str("JOURNEY_NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
JOURNEY_NOTIFY_ACTION_DUE_TEMPLATE = env_str("JOURNEY_NOTIFY_ACTION_DUE_TEMPLATE", "")
JOURNEY_NOTIFY_NARRATIVE_TEMPLATE = env_str("JOURNEY_NOTIFY_NARRATIVE_TEMPLATE", "")
JOURNEY_NOTIFY_DAYS_AHEAD = env_int("JOURNEY_NOTIFY_DAYS_AHEAD", 7)
JOURNEY_BASE_URL = env_str("JOURNEY_BASE_URL", "http://127.0.0.1:8000")
if JOURNEY_NOTIFY_API_KEY and not (JOURNEY_NOTIFY_ACTION_DUE_TEMPLATE and JOURNEY_NOTIFY_NARRATIVE_TEMPLATE):
    raise ConfigurationError(
        "JOURNEY_NOTIFY_API_KEY is set: set JOURNEY_NOTIFY_ACTION_DUE_TEMPLATE and "
        "JOURNEY_NOTIFY_NARRATIVE_TEMPLATE to the ids of your two Notify e-mail templates."
    )

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

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out account or address is refused before its password is tried.
    "journey.web.accounts.throttle.SignInThrottle",
    "django.contrib.auth.backends.ModelBackend",
    "journey.web.accounts.oidc.CouncilOIDCBackend",
]

# Single sign-on with the council's identity provider (OpenID Connect; Microsoft Entra ID
# in most councils): on when JOURNEY_OIDC_DISCOVERY_URL is set. See accounts/oidc.py and
# docs/security.md. JOURNEY_OIDC_GROUP_ROLES is "group-id=role,group-id=role" (first match).
OIDC_DISCOVERY_URL = env_str("JOURNEY_OIDC_DISCOVERY_URL", "")
OIDC_RP_CLIENT_ID = env_str("JOURNEY_OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = env_str("JOURNEY_OIDC_CLIENT_SECRET", "")
OIDC_GROUPS_CLAIM = env_str("JOURNEY_OIDC_GROUPS_CLAIM", "groups")
OIDC_GROUP_ROLES = parse_group_roles(env_str("JOURNEY_OIDC_GROUP_ROLES", ""))
if OIDC_DISCOVERY_URL and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET and OIDC_GROUP_ROLES):
    raise ConfigurationError(
        "JOURNEY_OIDC_DISCOVERY_URL is set: JOURNEY_OIDC_CLIENT_ID, JOURNEY_OIDC_CLIENT_SECRET "
        "and JOURNEY_OIDC_GROUP_ROLES must be set too."
    )
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?single-sign-on=failed"

# Local accounts (small deployments; councils with single sign-on use OIDC below).
PASSWORD_MIN_LENGTH = env_int("JOURNEY_PASSWORD_MIN_LENGTH", 12)
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {
            "user_attributes": ("username", "display_name", "first_name", "last_name", "email")
        },
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": max(PASSWORD_MIN_LENGTH, 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Failed sign-ins (django-axes): after JOURNEY_SIGNIN_FAILURE_LIMIT failures for one
# account, or from one address, further attempts are refused (429) for the cool-off time,
# even with the right password. An administrator's password reset lifts an account's lock.
AXES_FAILURE_LIMIT = env_int("JOURNEY_SIGNIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("JOURNEY_SIGNIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# The client's address: the connection's, unless JOURNEY_PROXY_COUNT trusted proxies
# stand in front and add X-Forwarded-For (a header anyone else could forge).
PROXY_COUNT = env_int("JOURNEY_PROXY_COUNT", 0)
if PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# GOV.UK Frontend and htmx are copied into static/vendor from node_modules by
# scripts/vendor_assets.py (make install, wheel builds), so an installed package has them.
STATICFILES_DIRS = [
    ("journey", WEB_DIR / "static" / "journey"),
    ("vendor", WEB_DIR / "static" / "vendor"),
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEVELOPMENT

# Uploads: extracts are streamed to disk above the memory limit; the size cap is enforced
# by the upload view (JOURNEY_MAX_UPLOAD_MB).
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
JOURNEY_MAX_UPLOAD_MB = env_int("JOURNEY_MAX_UPLOAD_MB", 200)
# At most this many extracts are checked at once, whatever the number of workers; another
# waits its turn, trying again every JOURNEY_CHECK_RETRY_SECONDS (casedata/slots.py).
JOURNEY_MAX_CONCURRENT_CHECKS = env_int("JOURNEY_MAX_CONCURRENT_CHECKS", 2)
JOURNEY_CHECK_RETRY_SECONDS = env_int("JOURNEY_CHECK_RETRY_SECONDS", 15)

# Sessions end after JOURNEY_SESSION_IDLE_MINUTES without a request (refreshed at most
# once a minute, see SessionIdleTimeoutMiddleware) and JOURNEY_SESSION_MAX_HOURS after
# signing in, whatever the activity.
SESSION_IDLE_SECONDS = env_int("JOURNEY_SESSION_IDLE_MINUTES", 30) * 60
SESSION_MAX_SECONDS = env_int("JOURNEY_SESSION_MAX_HOURS", 10) * 3600
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEVELOPMENT
CSRF_COOKIE_SECURE = not DEVELOPMENT
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): scripts, styles, images and fonts only from this
# site, no inline script or style anywhere (tests/web/test_content_security.py walks every
# page), no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
    }
}

# HTTPS. Production redirects plain HTTP and sends HSTS unless the operator says the
# TLS-terminating proxy does it (JOURNEY_SSL_REDIRECT=0, JOURNEY_HSTS_SECONDS=0); those
# choices silence the matching `check --deploy` warnings, which otherwise stop start-up.
# Behind a proxy, JOURNEY_PROXY_SSL_HEADER names the header it sets to "https".
SECURE_SSL_REDIRECT = env_bool("JOURNEY_SSL_REDIRECT", not DEVELOPMENT)
SECURE_HSTS_SECONDS = env_int("JOURNEY_HSTS_SECONDS", 0 if DEVELOPMENT else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("JOURNEY_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("JOURNEY_HSTS_PRELOAD", False)
_proxy_header = env_str("JOURNEY_PROXY_SSL_HEADER", "")
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
SILENCED_SYSTEM_CHECKS = [
    *(["security.W008"] if not SECURE_SSL_REDIRECT else []),
    *(["security.W004"] if not SECURE_HSTS_SECONDS else []),
    *(["security.W005"] if not SECURE_HSTS_INCLUDE_SUBDOMAINS else []),
    *(["security.W021"] if not SECURE_HSTS_PRELOAD else []),
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("JOURNEY_LOG_LEVEL", "WARNING")},
}
