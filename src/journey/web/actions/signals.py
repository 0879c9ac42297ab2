"""Bring the actions into line as soon as a new plan version becomes active.

Reading actions also synchronises (``services.ensure_synced``), so this is not needed for
correctness; it records the change at the moment the plan changed, attributed to the
person who saved the plan, instead of at the next visit to the actions pages.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction


def plan_version_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not instance.active:
        return
    user = instance.created_by if kwargs.get("created") else None

    def synchronise() -> None:
        from journey.web.actions import services

        services.ensure_synced(user=user)

    transaction.on_commit(synchronise, robust=True)
