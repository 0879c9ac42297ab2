"""Settings for the test suite: development mode, a throwaway data directory, fast hashing."""

import os
import tempfile

os.environ.setdefault("JOURNEY_ENV", "development")
os.environ.setdefault("JOURNEY_DATA_DIR", tempfile.mkdtemp(prefix="journey-test-"))

from journey.web.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
