"""Every view says which capability it needs; nothing is open by default."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from journey.web.accounts.roles import Capability

if TYPE_CHECKING:
    from journey.web.accounts.models import User

View = Callable[..., HttpResponse]


class SignedInRequest(HttpRequest):
    """The request a ``@requires`` view is given: its user is signed in (for type checks)."""

    user: User

PUBLIC = "public"


def refusal(user: Any, capability: Capability) -> str:
    """Why the request was refused, in the reader's terms."""
    from journey.web.accounts.roles import CAPABILITY_WORDS

    label = getattr(user, "role_label", "") if getattr(user, "is_authenticated", False) else ""
    who = f"Your role ({label})" if label else "Your role"
    return f"{who} cannot {CAPABILITY_WORDS[capability]}."


def requires(capability: Capability, *, child_records: bool = False) -> Callable[[View], View]:
    """Refuse the request (403) unless the signed-in user's role has ``capability``.

    A view that shows child-level records (``VIEW_CHILD_LEVEL``, or ``child_records`` for
    one guarded by another capability, such as a validation report quoting identifiers)
    has every refusal written to the audit log.
    """
    child_level = child_records or capability == Capability.VIEW_CHILD_LEVEL

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated or not user.can(capability):
                if child_level:
                    audit_denied(request, capability)
                raise PermissionDenied(refusal(user, capability))
            return view(request, *args, **kwargs)

        wrapped.journey_capability = capability  # type: ignore[attr-defined]
        wrapped.journey_child_level = child_level  # type: ignore[attr-defined]
        return wrapped

    return decorate


def audit_denied(request: HttpRequest, capability: Capability | None = None) -> None:
    """Record a refused request for child-level records: who, which address, lacking what."""
    from journey.web.accounts import audit

    user = request.user
    audit.record(
        user,
        "denied_child_level",
        request.path,
        method=request.method,
        role=getattr(user, "role", "") if user.is_authenticated else "not signed in",
        needed=capability.value if capability else "sign-in",
    )


def public(view: View) -> View:
    """Mark a view as open to anyone (the sign-in pages), past Django's LoginRequiredMiddleware."""
    view = login_not_required(view)
    view.journey_capability = PUBLIC  # type: ignore[attr-defined]
    return view
