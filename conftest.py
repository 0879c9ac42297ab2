"""Test-wide defaults: development settings and a throwaway data directory."""

import os
import tempfile

os.environ.setdefault("JOURNEY_ENV", "development")
os.environ.setdefault("JOURNEY_DATA_DIR", tempfile.mkdtemp(prefix="journey-test-"))
