"""What the synthetic council looks like: volumes, timeliness and their improvement.

Volumes are given as the figures a performance team would quote (children looked after
per 10,000 at a month end, referrals per 10,000 a year, ...). The generator turns them
into the probabilities of a child's journey; they are targets the generated data comes
close to (a test checks the defaults within tolerance), not exact counts.

Timeliness and quality figures are ``(before, after)`` pairs: the value before the
improvement period and the value after it, moving in a straight line across it, so the
measures computed from the data move believably (a plan year in which practice improves).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date

import numpy as np

from journey.engine import periods
from journey.engine.casedata.synth import _util as u

Pair = tuple[float, float]


@dataclass(frozen=True)
class SynthProfile:
    """Parameters of the synthetic council. Defaults: a mid-sized deprived council."""

    # --- demand (per 10,000 children aged 0-17) -----------------------------------------
    #: Referrals a year (England about 540; deprived councils 600-900).
    referrals_per_10k: float = 600.0
    #: Children looked after at a month end (England about 70).
    cla_per_10k: float = 160.0
    #: Children on a child protection plan at a month end (England about 42).
    cp_per_10k: float = 95.0
    #: Children in need at a month end who are neither on a CP plan nor looked after
    #: (open CIN episodes: in assessment, on a CIN plan, awaiting closure).
    cin_per_10k: float = 245.0
    #: Contacts that do not become referrals, per referral.
    other_contacts_per_referral: float = 1.8
    #: Share of a child's closed episodes followed by another referral (drives re-referrals).
    rereferral_chance: float = 0.6
    #: Demand multiplier (before, after) the improvement period (1.0 = flat).
    demand: Pair = (1.0, 1.0)

    # --- timeliness and quality: (before, after) the improvement period -------------------
    #: Front-door decisions within one working day.
    contact_decided_next_day: Pair = (0.80, 0.93)
    #: Assessments authorised within 45 working days.
    assessment_on_time: Pair = (0.72, 0.89)
    #: Initial conferences within 15 working days of the strategy discussion.
    icpc_on_time: Pair = (0.68, 0.88)
    #: CP review conferences held by their due date.
    cp_review_on_time: Pair = (0.86, 0.96)
    #: CP visits within 10 working days of the last.
    cp_visit_on_time: Pair = (0.80, 0.93)
    #: CIN visits within 20 working days of the last.
    cin_visit_on_time: Pair = (0.70, 0.88)
    #: Looked-after reviews by their due date.
    cla_review_on_time: Pair = (0.82, 0.94)
    #: Looked-after visits within 6 weeks of the last.
    cla_visit_on_time: Pair = (0.80, 0.92)
    #: Supervisions within a month of the last.
    supervision_on_time: Pair = (0.60, 0.85)
    #: Share of case-holding social workers in post who are agency workers.
    agency_share: Pair = (0.24, 0.16)
    #: Case-file audits completed a month per 10,000 children.
    audits_per_10k_month: Pair = (5.5, 8.5)
    #: Audits graded good or outstanding.
    audit_good: Pair = (0.30, 0.48)
    #: Audits graded inadequate.
    audit_inadequate: Pair = (0.16, 0.07)
    #: Case periods waiting more than a few days for a worker.
    unallocated_delay: Pair = (0.12, 0.05)

    #: The improvement period, as months ``YYYY-MM``. When unset, the twelve months
    #: ending four months before the last month generated.
    improvement_from: str | None = None
    improvement_to: str | None = None

    # --- workforce --------------------------------------------------------------------
    #: Cases per full-time case-holding worker the council staffs for, by service.
    caseload_target: tuple[tuple[str, float], ...] = (
        ("assessment", 19.0),
        ("cin_cp", 17.0),
        ("children_in_care", 15.0),
        ("disability", 14.0),
        ("care_leavers", 20.0),
    )
    case_holders_per_team: int = 7
    #: Supervision timeliness added to the council figure by service.
    supervision_by_service: tuple[tuple[str, float], ...] = (
        ("assessment", -0.05),
        ("cin_cp", 0.0),
        ("children_in_care", 0.04),
        ("disability", 0.08),
        ("care_leavers", -0.10),
    )

    # --- data years -------------------------------------------------------------------
    #: Population growth a year (ONS estimates move slowly).
    population_growth: float = 0.004

    def value(self, name: str, days: np.ndarray, window: tuple[date, date]) -> np.ndarray:
        """The ``(before, after)`` parameter ``name`` on each day, moving in a straight
        line across the improvement period."""
        before, after = getattr(self, name)
        start, end = self.improvement_period(window)
        a, b = u.day(start), u.day(end)
        x = np.asarray(days, dtype=float)
        return np.interp(x, [a, b], [before, after])

    def improvement_period(self, window: tuple[date, date]) -> tuple[date, date]:
        """First and last day of the improvement period for a window (first, last day)."""
        if self.improvement_to is not None:
            to = periods.month_end(self.improvement_to)
        else:
            to = periods.month_end(periods.add_months(window[1], -4))
        if self.improvement_from is not None:
            frm = periods.month_start(self.improvement_from)
        else:
            frm = periods.month_start(periods.add_months(to, -11))
        if to < frm:
            raise ValueError(f"improvement period ends ({to}) before it starts ({frm})")
        return frm, to

    def with_changes(self, **changes: object) -> SynthProfile:
        return replace(self, **changes)  # type: ignore[arg-type]

    def caseload(self, service: str) -> float:
        return dict(self.caseload_target)[service]

    def supervision_offset(self, service: str) -> float:
        return dict(self.supervision_by_service).get(service, 0.0)

    def validate(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name.endswith("_per_10k") and (not isinstance(v, float | int) or v <= 0):
                raise ValueError(f"{f.name} must be a positive number, not {v!r}")
        for name in (
            "contact_decided_next_day",
            "assessment_on_time",
            "icpc_on_time",
            "cp_review_on_time",
            "cp_visit_on_time",
            "cin_visit_on_time",
            "cla_review_on_time",
            "cla_visit_on_time",
            "supervision_on_time",
            "agency_share",
            "audit_good",
            "audit_inadequate",
            "unallocated_delay",
        ):
            for v in getattr(self, name):
                if not 0.0 <= v <= 1.0:
                    raise ValueError(f"{name} values are shares between 0 and 1, not {v!r}")


DEFAULT_PROFILE = SynthProfile()

#: Named profiles the command line offers.
PROFILES: dict[str, SynthProfile] = {
    "deprived": DEFAULT_PROFILE,
    # England's rates (DfE 2023-24 and 2024-25): 67-69 looked after and 41 on a plan per
    # 10,000, 516-519 referrals, 22.4-22.6% re-referred; 26-27 start and 28 cease care.
    "england": SynthProfile(
        referrals_per_10k=540.0,
        cla_per_10k=70.0,
        cp_per_10k=42.0,
        cin_per_10k=200.0,
        rereferral_chance=0.4,
    ),
    "steady": SynthProfile(
        **{
            name: (v[0], v[0])
            for name, v in (
                (f.name, getattr(DEFAULT_PROFILE, f.name)) for f in fields(DEFAULT_PROFILE)
            )
            if isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, float) for x in v)
        }  # type: ignore[arg-type]
    ),
}
