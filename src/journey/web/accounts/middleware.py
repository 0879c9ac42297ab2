"""Sign-in required (Django's middleware, auditing child-level refusals); idle sessions end."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from journey.web.accounts.access import audit_denied


class AuditedLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware, auditing an anonymous request for child-level records."""

    def handle_no_permission(self, request: HttpRequest, view_func: Any) -> HttpResponseRedirect:
        if getattr(view_func, "journey_child_level", False):
            audit_denied(request)
        return super().handle_no_permission(request, view_func)


class SessionIdleTimeoutMiddleware:
    """End a session after ``SESSION_IDLE_SECONDS`` without a request.

    The session's expiry (``SESSION_COOKIE_AGE``) moves forward when the session is saved;
    saving on every request would write to the database on every page, so the session is
    marked changed at most once a minute. ``SESSION_MAX_SECONDS`` after signing in the
    session ends whatever the activity.
    """

    REFRESH_SECONDS = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.setdefault("journey_signed_in_at", now)
            if now - started > settings.SESSION_MAX_SECONDS:
                logout(request)
                return redirect_to_login(request.get_full_path())
            if now - session.get("journey_seen_at", 0) >= self.REFRESH_SECONDS:
                session["journey_seen_at"] = now
        return self.get_response(request)
