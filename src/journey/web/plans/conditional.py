"""Conditional GET for the pages read most (dashboard, measure page, chart): a repeat visit
answers 304 Not Modified without building the page.

Django's ``@condition`` asks for the page's ETag before the view runs. The ETag is a hash
of everything the page shows, each part cheap to read: the figures (the data version),
the plan in force, DfE's benchmarks, narrative, actions and published months (and the
day, as actions fall overdue), who is looking (their role, name, teams, session and CSRF
token, which the page's forms carry), the address with its query, and the code that
draws it. The pages are sent ``Cache-Control: private, no-cache``, so browsers keep them
but ask each time. A page with a message waiting, and any page in DEBUG, gets no ETag: it
is always drawn.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.db.models import Count, Max, Value
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils import timezone

from journey.web.plans import services
from journey.web.release import CODE_SUFFIXES, code_version

__all__ = ["CODE_SUFFIXES", "code_version"]

def figures_version() -> tuple[Any, ...]:
    """The figures, the plan in force and DfE's benchmarks (two small queries, a stat)."""
    plan = services.active_plan_version()
    return (
        services.data_version(),
        (plan.pk, plan.sha256) if plan else None,
        services.benchmarks_version(),
    )


def workflow_version() -> tuple[Any, ...]:
    """Narrative, actions and published months (count and last change of each, in one
    query): changed whenever one is written, approved, updated or published (or the plan's
    actions are brought in); and the day, as an action falls overdue."""
    from journey.web.actions.models import TrackedAction
    from journey.web.narrative.models import Narrative
    from journey.web.reports.models import PublishedMonth

    def stamp(model: Any, changed: str) -> Any:
        return (
            model.objects.order_by()
            .annotate(table=Value(model._meta.label))
            .values("table")
            .annotate(n=Count("id"), last=Max(changed))
            .values_list("table", "n", "last")
        )

    rows = stamp(Narrative, "updated_at").union(
        stamp(TrackedAction, "updated_at"), stamp(PublishedMonth, "published_at"), all=True
    )
    return (*sorted(rows, key=lambda row: row[0]), timezone.localdate())


def _viewer(request: HttpRequest) -> tuple[Any, ...]:
    """Who is looking: what they may do, and what they own (directly or by their teams:
    "my measures", entering figures, writing narrative)."""
    user: Any = request.user
    get_token(request)  # the CSRF secret the page's forms use, made now on a first visit
    return (
        user.pk,
        user.role,
        user.username,
        user.name,
        tuple(user.teams.order_by("name").values_list("name", flat=True)),
        user.has_usable_password(),
        request.session.session_key,
        request.META.get("CSRF_COOKIE"),
    )


def _always_drawn(request: HttpRequest) -> bool:
    """A message waits to be shown (counting them does not use them up), or DEBUG."""
    return settings.DEBUG or len(get_messages(request)) > 0


def _tag(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def page_etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str | None:
    """The dashboard's or a measure page's ETag (None: no ETag, always drawn)."""
    if _always_drawn(request):
        return None
    return _tag(
        "page",
        code_version(),
        request.get_full_path(),
        request.headers.get("HX-Request"),
        figures_version(),
        workflow_version(),
        _viewer(request),
    )


def chart_etag(request: HttpRequest, measure_id: str) -> str | None:
    """A chart shows figures only: the same for everyone with the same role."""
    if settings.DEBUG:
        return None
    return _tag(
        "chart",
        code_version(),
        measure_id,
        request.GET.get("month"),
        figures_version(),
        getattr(request.user, "role", None),
    )
