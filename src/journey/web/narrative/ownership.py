"""Who owns a measure or an action, and who may act on it.

The plan names an ``owner`` for each measure and action as free text. A signed-in user
owns it when that text — or one of the names in it separated by ``;``, ``/``, ``&``,
``+`` or the word "and" — equals, ignoring case, spacing and full stops, the user's
username or display name (``User.name``: display name, else full name, else username).

The performance and data team and the director may act on every measure and action;
everyone else with the capability (service leads) only on those they own.
"""

from __future__ import annotations

import re
from typing import Any

from journey.web.accounts.roles import Role

ACTS_ON_ALL = frozenset({Role.DATA_TEAM.value, Role.DIRECTOR.value})

_SEPARATORS = re.compile(r"\s*(?:;|/|&|\+|\band\b)\s*", re.IGNORECASE)


def _normal(text: str) -> str:
    return " ".join(text.replace(".", " ").split()).casefold()


def owner_names(owner: str) -> set[str]:
    """The normalised names an owner text stands for (the whole text and each part)."""
    owner = owner or ""
    names = {_normal(owner)}
    names.update(_normal(part) for part in _SEPARATORS.split(owner))
    names.discard("")
    return names


def user_names(user: Any) -> set[str]:
    names = {_normal(user.get_username()), _normal(getattr(user, "name", "") or "")}
    names.discard("")
    return names


def is_owner(user: Any, owner: str) -> bool:
    """True when ``user`` is (one of) the ``owner`` named in the plan."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(owner_names(owner) & user_names(user))


def acts_on_all(user: Any) -> bool:
    """The data team and the director may act on every measure and action."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in ACTS_ON_ALL
