"""Dashboard views (filled out by the plans work)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from journey.web.accounts.access import requires
from journey.web.accounts.roles import Capability


@requires(Capability.VIEW_AGGREGATES)
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "plans/dashboard.html", {})
