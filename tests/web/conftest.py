"""Web test fixtures: the cache (parsed plans, evaluations, pages, charts) starts empty in every test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_plan_caches():
    from journey.web.plans import services

    services.clear_caches()
    yield
    services.clear_caches()
