"""Web test fixtures: caches of parsed plans and evaluations start empty in every test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_plan_caches(tmp_path_factory, monkeypatch):
    from journey.web.plans import pages, services

    services.clear_caches()
    charts = tmp_path_factory.mktemp("charts")
    monkeypatch.setattr(pages, "charts_dir", lambda: charts)  # not the developer's var/
    yield
    services.clear_caches()
