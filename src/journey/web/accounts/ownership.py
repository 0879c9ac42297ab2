"""Who owns a measure or an action, matched by account — never by a display name.

The plan names an ``owner`` for each measure and action. The text, or each of the names in
it separated by ``;``, ``/``, ``&``, ``+`` or the word "and", is matched (ignoring case,
spacing and full stops) against accounts:

* a **username** ("sam.lead") is that user;
* a **team** name ("Head of Front Door", "Front Door team") is every active member of the
  team (administrators keep teams on the Teams page, so a post changing hands is a change
  of membership, not of the plan).

Display names are not matched: two people may share one, and an administrator may change
it. The performance and data team and the director may act on every measure and action;
everyone else with the capability (service leads) only on those they own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from journey.web.accounts.roles import Role

ACTS_ON_ALL = frozenset({Role.DATA_TEAM.value, Role.DIRECTOR.value})

_SEPARATORS = re.compile(r"\s*(?:;|/|&|\+|\band\b)\s*", re.IGNORECASE)


def normal(text: str) -> str:
    """A name as it is compared: case, spacing and full stops ignored."""
    return " ".join(text.replace(".", " ").split()).casefold()


def owner_names(owner: str) -> set[str]:
    """The normalised names an owner text stands for (the whole text and each part)."""
    owner = owner or ""
    names = {normal(owner)}
    names.update(normal(part) for part in _SEPARATORS.split(owner))
    names.discard("")
    return names


def account_names(user: Any) -> frozenset[str]:
    """The names that stand for this account: its username and its teams' names (read once
    per request and kept on the user object)."""
    found = getattr(user, "_journey_account_names", None)
    if found is None:
        names = {normal(user.get_username())}
        if getattr(user, "pk", None) is not None:
            names.update(normal(name) for name in user.teams.values_list("name", flat=True))
        found = frozenset(names - {""})
        user._journey_account_names = found
    return found


def is_owner(user: Any, owner: str) -> bool:
    """True when ``user`` is (one of) the ``owner`` named in the plan, by account or team."""
    if user is None or not getattr(user, "is_authenticated", False) or not owner:
        return False
    return bool(owner_names(owner) & account_names(user))


def acts_on_all(user: Any) -> bool:
    """The data team and the director may act on every measure and action."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in ACTS_ON_ALL


@dataclass
class Owner:
    """What an owner text in the plan stands for, for the pages that show it."""

    text: str
    users: list[Any] = field(default_factory=list)
    teams: list[Any] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return bool(self.users or self.teams)

    @property
    def people(self) -> list[Any]:
        """Everyone who owns it: the users named and the active members of the teams named."""
        seen: dict[int, Any] = {u.pk: u for u in self.users}
        for team in self.teams:
            for member in team.members.all():
                if member.is_active:
                    seen.setdefault(member.pk, member)
        return sorted(seen.values(), key=lambda u: u.name.casefold())


def resolve_owners(texts: set[str]) -> dict[str, Owner]:
    """Each owner text → the accounts and teams it names (two queries for the whole plan)."""
    from journey.web.accounts.models import Team, User

    users = {normal(u.username): u for u in User.objects.filter(is_active=True)}
    teams = {normal(t.name): t for t in Team.objects.prefetch_related("members")}
    out = {}
    for text in texts:
        owner = Owner(text)
        whole = (text or "").strip()
        # "Head of Safeguarding and Quality Assurance" may be one team's name: try it whole first.
        parts = [whole] if normal(whole) in users or normal(whole) in teams else _SEPARATORS.split(whole)
        for part in (p.strip() for p in parts):
            name = normal(part)
            if name in users:
                owner.users.append(users[name])
            elif name in teams:
                owner.teams.append(teams[name])
            elif name:
                owner.unmatched.append(part)
        out[text] = owner
    return out


@dataclass
class Owned:
    """The measures and actions of the active plan whose owner text names something."""

    measures: list[tuple[str, str]] = field(default_factory=list)
    """(measure id, title)"""
    actions: list[tuple[str, str]] = field(default_factory=list)
    """(action number, text)"""

    def __bool__(self) -> bool:
        return bool(self.measures or self.actions)


def _active_plan() -> Any:
    from journey.web.plans.services import active_plan

    return active_plan()


def what_is_owned_by(name: str) -> Owned:
    """What the active plan gives to the account or team called ``name``."""
    plan = _active_plan()
    owned = Owned()
    if plan is None:
        return owned
    wanted = normal(name)
    for measure in plan.measures:
        if measure.owner and wanted in owner_names(measure.owner):
            owned.measures.append((measure.id, measure.title))
    for action in plan.actions:
        if action.owner and wanted in owner_names(action.owner):
            owned.actions.append((action.number, action.text))
    return owned


def teams_with_what_they_own() -> list[tuple[Any, Owned]]:
    """Every team with its members and what the active plan gives it."""
    from journey.web.accounts.models import Team

    return [(team, what_is_owned_by(team.name)) for team in Team.objects.prefetch_related("members")]
