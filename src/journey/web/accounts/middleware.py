"""Send anonymous visitors to the login page unless a view is marked public."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from journey.web.accounts.access import PUBLIC


class LoginRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if request.user.is_authenticated:
            return None
        target = getattr(view, "view_class", view)
        if getattr(view, "journey_capability", None) == PUBLIC or getattr(
            target, "journey_capability", None
        ) == PUBLIC:
            return None
        if request.path.startswith("/static/"):
            return None
        return redirect_to_login(request.get_full_path())
