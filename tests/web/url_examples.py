"""Example URL arguments for the permission test, one entry per URL that takes arguments.

Each app adds the objects its URLs point at. Keys are ``namespace:name``.
"""

from __future__ import annotations

from typing import Any


def build_examples() -> dict[str, dict[str, Any]]:
    examples: dict[str, dict[str, Any]] = {}
    return examples
