"""Navigation links shown to the signed-in user, by what their role may do."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from journey.web.accounts.roles import Capability

# (label, url name, capability). Apps add their entries here as they land.
NAVIGATION: list[tuple[str, str, Capability]] = [
    ("Dashboard", "plans:dashboard", Capability.VIEW_AGGREGATES),
    ("Actions", "actions:list", Capability.VIEW_AGGREGATES),
    ("Narrative", "narrative:index", Capability.WRITE_NARRATIVE),
    ("Sign-off", "narrative:queue", Capability.APPROVE_NARRATIVE),
    ("Reports", "reports:index", Capability.READ_REPORTS),
    ("Data loads", "casedata:loads", Capability.LOAD_DATA),
    ("Plan", "plans:plan", Capability.CONFIGURE_PLAN),
    ("Users", "accounts:users", Capability.MANAGE_USERS),
    ("Audit log", "accounts:audit", Capability.VIEW_AUDIT_LOG),
    ("Background work", "background:index", Capability.VIEW_AUDIT_LOG),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    items: list[dict[str, Any]] = []
    for label, name, capability in NAVIGATION:
        if not user.can(capability):
            continue
        try:
            href = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "href": href, "active": False})
    # The one entry whose address is the longest prefix of this page is the current one,
    # so "/" (the dashboard) is current only for dashboard and measure pages.
    matching = [item for item in items if request.path.startswith(item["href"])]
    if matching:
        max(matching, key=lambda item: len(item["href"]))["active"] = True
    return {"navigation": items}
