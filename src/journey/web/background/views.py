"""The Background work page: workers alive, tasks queued, running and finished."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from journey.web.accounts.access import requires
from journey.web.accounts.roles import Capability
from journey.web.background import services


@require_GET
@requires(Capability.VIEW_AUDIT_LOG)
def index(request: HttpRequest) -> HttpResponse:
    tasks = services.recent_tasks()
    return render(
        request,
        "background/index.html",
        {
            "workers": services.workers(),
            "tasks": tasks,
            "busy": any(t.status in {"Waiting", "Running"} for t in tasks),
        },
    )
