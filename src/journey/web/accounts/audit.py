"""Writing the audit log: one call for every accountable event."""

from __future__ import annotations

from typing import Any

from journey.web.accounts.models import AuditEvent


def record(user: Any, action: str, target: str = "", **detail: Any) -> AuditEvent:
    """Record that ``user`` did ``action`` to ``target`` (e.g. viewed a child-level list)."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEvent.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        action=action,
        target=target[:255],
        detail=detail,
    )
