"""Example URL arguments for the permission test, one entry per URL that takes arguments.

Each app adds the objects its URLs point at. Keys are ``namespace:name``.
"""

from __future__ import annotations

from typing import Any


def _web_examples(examples: dict[str, dict[str, Any]]) -> None:
    """Users, measures and load jobs (the web engineer's URLs)."""
    from journey.web.accounts.models import User

    person = User.objects.create_user(username="example-person", password="x-unused-9876")
    examples["accounts:user_edit"] = {"pk": person.pk}


def build_examples() -> dict[str, dict[str, Any]]:
    examples: dict[str, dict[str, Any]] = {}
    _web_examples(examples)
    return examples
