"""One reading of the data version per page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from journey.web.plans import services


class OneDataVersionMiddleware:
    """GET and HEAD requests change no figures, so everything a page shows (its ETag, its
    figures, the narrative beside them) reads the data version once (an aggregate over
    every figure) instead of each time it is asked, and the active plan once. Requests that
    may change figures or the plan read them afresh each time."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        with services.one_data_version():
            return self.get_response(request)
