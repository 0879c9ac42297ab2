"""Every view says which capability it needs; nothing is open by default."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from journey.web.accounts.roles import Capability

View = Callable[..., HttpResponse]

PUBLIC = "public"


def requires(capability: Capability) -> Callable[[View], View]:
    """Refuse the request (403) unless the signed-in user's role has ``capability``."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated or not user.can(capability):  # type: ignore[union-attr]
                raise PermissionDenied(f"Your role cannot {capability.value.replace('_', ' ')}.")
            return view(request, *args, **kwargs)

        wrapped.journey_capability = capability  # type: ignore[attr-defined]
        return wrapped

    return decorate


def public(view: View) -> View:
    """Mark a view as open to anyone (the login page, health check)."""
    view.journey_capability = PUBLIC  # type: ignore[attr-defined]
    return view
