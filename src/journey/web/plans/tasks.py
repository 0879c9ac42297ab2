"""Page warm-ups as tasks: the worker fills the shared cache the web processes read."""

from __future__ import annotations

import logging
import time
from typing import Any

from django_tasks import task

from journey.web.background import progress
from journey.web.background.services import enqueue_once

log = logging.getLogger(__name__)


@task(priority=-50)
def warm_up_pages() -> dict[str, Any]:
    """Evaluate the last 12 months' dashboards and draw every measure's chart for the
    latest month, then queue one task per earlier month (newest first), so no visitor waits
    for them. Low priority and in short pieces: a report someone is waiting for goes first."""
    from journey.web.plans import pages

    started = time.perf_counter()
    measures = pages.warm_up(lambda done, total: progress.report(
        int(100 * done / max(total, 1)), f"Latest month: {done} of {total} steps"))
    earlier = pages.earlier_months()
    for month in earlier:
        warm_up_month.enqueue(month)
    seconds = round(time.perf_counter() - started, 1)
    log.info("warm-up done in %.1f s: %d measures; %d earlier months queued", seconds, measures, len(earlier))
    return {"measures": measures, "earlier_months": earlier, "seconds": seconds}


@task(priority=-60)
def warm_up_month(month: str) -> int:
    """Draw every measure's chart for one earlier month (a piece of the warm-up)."""
    from journey.web.plans import pages

    return pages.warm_up_month(month, lambda done, total: progress.report(
        int(100 * done / max(total, 1)), f"{month}: {done} of {total} measures"))


def warm_up_once(version: tuple[int, str] | None = None) -> bool:
    """Queue :func:`warm_up_pages` once per data version, whichever process asks first."""
    from journey.web.plans import services

    version = version or services.data_version()
    return enqueue_once(warm_up_pages, services.cache_key("warm-up", version))
