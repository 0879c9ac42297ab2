"""Settings for the test suite: development mode, a throwaway data directory, fast hashing."""

import os
import tempfile

os.environ.setdefault("JOURNEY_ENV", "development")
os.environ.setdefault("JOURNEY_DATA_DIR", tempfile.mkdtemp(prefix="journey-test-"))

from journey.web.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tasks run as they are queued, in the test's own transaction (Django's advice for tests);
# the tests of the queue itself switch to the database backend and run a worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
JOURNEY_WARM_UP_PAGES = False
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "TIMEOUT": None}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: the concurrency tests need several connections to one database,
    # as in production. Not synced to disk: nothing here needs to survive a crash.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405
    DATABASES["default"]["OPTIONS"]["init_command"] = "PRAGMA synchronous=OFF;"  # noqa: F405
