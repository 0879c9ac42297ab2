"""The Plan owners page: who each measure's and action's owner text stands for, and
choosing a new owner from the accounts and teams (saved as a new version of the plan)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from journey.engine.plan import set_owners
from journey.web.accounts.models import Team, User
from journey.web.accounts.ownership import Owner, resolve_owners
from journey.web.plans import services
from journey.web.plans.models import PlanVersion

REMOVE = "-"
"""The choice that removes an owner."""


@dataclass
class OwnedItem:
    kind: str  # measure | action
    key: str  # measure id | action number
    label: str
    owner: Owner | None

    @property
    def field(self) -> str:
        return f"{self.kind}:{self.key}"


@dataclass
class OwnersPage:
    version: PlanVersion
    sections: list[tuple[str, list[OwnedItem]]]
    choices: list[tuple[str, str]]
    """(owner text to write, what the reader sees): teams first, then people."""

    @property
    def unmatched(self) -> list[OwnedItem]:
        return [i for _title, items in self.sections for i in items if i.owner is not None and i.owner.unmatched]


def owners_page() -> OwnersPage | None:
    """Every measure and action of the active plan with its owner resolved to accounts."""
    version = services.active_plan_version()
    plan = services.active_plan()
    if version is None or plan is None:
        return None
    texts = {m.owner for m in plan.measures if m.owner} | {a.owner for a in plan.actions if a.owner}
    resolved = resolve_owners(texts)
    sections = []
    for priority in plan.priorities:
        items = [OwnedItem("measure", m.id, m.title, resolved.get(m.owner) if m.owner else None) for m in priority.measures]
        items += [
            OwnedItem("action", a.number, f"Action {a.number}: {a.text}", resolved.get(a.owner) if a.owner else None)
            for a in priority.actions
        ]
        sections.append((priority.title, items))
    choices = [(t.name, f"{t.name} (team)") for t in Team.objects.order_by("name")]
    choices += [
        (u.username, f"{u.name} ({u.username}, {u.role_label})")
        for u in User.objects.filter(is_active=True).order_by("username")
    ]
    return OwnersPage(version, sections, choices)


class OwnersForm(forms.Form):
    """One choice per measure and action (blank: keep), and the version the page showed."""

    based_on = forms.IntegerField(min_value=0, error_messages={"required": "Reload the page and choose again"})

    def __init__(self, data: Any, page: OwnersPage) -> None:
        super().__init__(data)
        choices = [("", "Keep as it is"), *page.choices, (REMOVE, "Remove the owner")]
        for _title, items in page.sections:
            for item in items:
                self.fields[item.field] = forms.ChoiceField(
                    choices=choices, required=False, error_messages={"invalid_choice": "Choose an account or a team from the list"}
                )


def save_owners(user: Any, data: Any) -> tuple[PlanVersion, int] | OwnersForm:
    """Write the chosen owners into a new version of the plan. Returns (version, how many
    owners changed), or the form with its errors. Raises the plans services' ``PlanChanged``
    when the plan changed since the page was shown, and ``PlanRejected`` if the result would
    not be a valid plan."""
    page = owners_page()
    plan = services.active_plan()
    if page is None or plan is None:
        raise services.PlanRejected([services.Problem("", None, "", "No plan has been loaded yet")])
    form = OwnersForm(data, page)
    if not form.is_valid():
        return form
    current = {("measure", m.id): m.owner or "" for m in plan.measures} | {("action", a.number): a.owner or "" for a in plan.actions}
    changes: dict[tuple[str, str], str] = {}
    for (kind, key), owner in current.items():
        chosen = form.cleaned_data.get(f"{kind}:{key}", "")
        new = "" if chosen == REMOVE else chosen
        if chosen and new != owner:
            changes[(kind, key)] = new
    text = set_owners(PlanVersion.objects.get(pk=page.version.pk).text, changes)
    version, _created = services.save_plan_version(
        text, filename=page.version.filename, user=user, origin=PlanVersion.Origin.EDIT,
        note=f"owners changed: {len(changes)}", based_on=form.cleaned_data["based_on"],
    )
    return version, len(changes)
