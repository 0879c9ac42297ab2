"""Every ``JOURNEY_*`` setting the code reads is named in docs/deploy.md (or, for the file
limits, docs/data-format.md), so an operator can find every knob without reading the code."""

import re
from dataclasses import fields
from pathlib import Path

from journey.engine.casedata.safety import Limits

ROOT = Path(__file__).resolve().parents[1]

# Not settings: the crash-safety tests' pause points (journey.engine.faults).
TEST_HOOKS = {"JOURNEY_PAUSE_AT", "JOURNEY_PAUSE_FILE"}


def _read_by_the_code() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "src" / "journey").rglob("*.py"):
        names.update(re.findall(r"[\"'](JOURNEY_[A-Z0-9_]+)[\"']", path.read_text()))
    names.update(f"JOURNEY_MAX_{f.name.upper()}" for f in fields(Limits))
    return names - TEST_HOOKS


def test_the_scan_finds_the_settings_it_should():
    names = _read_by_the_code()
    assert {"JOURNEY_ENV", "JOURNEY_LOG_LEVEL", "JOURNEY_TRUSTED_PROXY", "JOURNEY_MAX_CELLS"} <= names


def test_every_setting_the_code_reads_is_named_in_the_deployment_guide_or_the_limits_table():
    documented = (ROOT / "docs" / "deploy.md").read_text() + (ROOT / "docs" / "data-format.md").read_text()
    missing = sorted(name for name in _read_by_the_code() if not re.search(rf"\b{name}\b", documented))
    assert missing == [], f"not in docs/deploy.md: {missing}"
