"""Roles and what each may do.

Every view declares the capability it needs (``journey.web.accounts.access.requires``);
a test walks every URL and fails when a view declares none. Child-level records are
behind ``VIEW_CHILD_LEVEL``, which board members and scrutiny readers never have.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    DATA_TEAM = "data_team"
    SERVICE_LEAD = "service_lead"
    TEAM_MANAGER = "team_manager"
    DIRECTOR = "director"
    BOARD_MEMBER = "board_member"
    SCRUTINY = "scrutiny"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.DATA_TEAM: "Performance and data team",
    Role.SERVICE_LEAD: "Service lead / head of service",
    Role.TEAM_MANAGER: "Team manager",
    Role.DIRECTOR: "Director (DCS) / programme sponsor",
    Role.BOARD_MEMBER: "Improvement Board member / DfE adviser",
    Role.SCRUTINY: "Scrutiny councillor",
    Role.ADMINISTRATOR: "Administrator",
}


class Capability(StrEnum):
    VIEW_AGGREGATES = "view_aggregates"
    VIEW_CHILD_LEVEL = "view_child_level"
    VIEW_WORKER_LEVEL = "view_worker_level"
    WRITE_NARRATIVE = "write_narrative"
    APPROVE_NARRATIVE = "approve_narrative"
    UPDATE_ACTIONS = "update_actions"
    ENTER_MANUAL_FIGURES = "enter_manual_figures"
    LOAD_DATA = "load_data"
    CONFIGURE_PLAN = "configure_plan"
    BUILD_REPORTS = "build_reports"
    READ_REPORTS = "read_reports"
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT_LOG = "view_audit_log"


CAPABILITY_WORDS: dict[Capability, str] = {
    Capability.VIEW_AGGREGATES: "see the dashboard and the measures",
    Capability.VIEW_CHILD_LEVEL: (
        "see records about individual children: they are shown only to staff who work with "
        "them, never to board members, scrutiny councillors or administrators"
    ),
    Capability.VIEW_WORKER_LEVEL: "see figures for individual workers",
    Capability.WRITE_NARRATIVE: "write narrative for measures",
    Capability.APPROVE_NARRATIVE: "sign off narrative or publish the month's report",
    Capability.UPDATE_ACTIONS: "update actions",
    Capability.ENTER_MANUAL_FIGURES: "enter figures by hand",
    Capability.LOAD_DATA: "load data extracts or import figures",
    Capability.CONFIGURE_PLAN: "change the improvement plan",
    Capability.BUILD_REPORTS: "build reports or read them before they are final",
    Capability.READ_REPORTS: "read reports",
    Capability.MANAGE_USERS: "manage users, roles and teams (administrators do)",
    Capability.VIEW_AUDIT_LOG: "see the audit log (administrators do)",
}
"""What each capability lets someone do, for the page that says why a request was refused."""

_EVERYONE = {Capability.VIEW_AGGREGATES, Capability.READ_REPORTS}
"""Everyone reads the figures and the final reports. Staff also see figures per worker and
build reports (drafts included); board members and scrutiny councillors do neither: they
see no worker-level breakdown, small numbers only as the plan's rule allows
(``journey.engine.disclosure``), and final reports only."""
_STAFF = {Capability.VIEW_CHILD_LEVEL, Capability.VIEW_WORKER_LEVEL, Capability.BUILD_REPORTS}

CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.DATA_TEAM: frozenset(
        _EVERYONE
        | _STAFF
        | {
            Capability.LOAD_DATA,
            Capability.CONFIGURE_PLAN,
            Capability.ENTER_MANUAL_FIGURES,
            Capability.UPDATE_ACTIONS,
            Capability.WRITE_NARRATIVE,
        }
    ),
    Role.SERVICE_LEAD: frozenset(
        _EVERYONE
        | _STAFF
        | {
            Capability.WRITE_NARRATIVE,
            Capability.UPDATE_ACTIONS,
            Capability.ENTER_MANUAL_FIGURES,
        }
    ),
    Role.TEAM_MANAGER: frozenset(_EVERYONE | _STAFF),
    Role.DIRECTOR: frozenset(
        _EVERYONE
        | _STAFF
        | {
            Capability.WRITE_NARRATIVE,
            Capability.APPROVE_NARRATIVE,
            Capability.UPDATE_ACTIONS,
        }
    ),
    Role.BOARD_MEMBER: frozenset(_EVERYONE),
    Role.SCRUTINY: frozenset(_EVERYONE),
    Role.ADMINISTRATOR: frozenset(
        _EVERYONE | {Capability.MANAGE_USERS, Capability.VIEW_AUDIT_LOG}
    ),
}


def capabilities_of(role: str) -> frozenset[Capability]:
    try:
        return CAPABILITIES[Role(role)]
    except ValueError:
        return frozenset()
