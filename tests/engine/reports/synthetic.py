"""Synthetic figures for the example plan (an invented council): deterministic, no real data."""

from __future__ import annotations

import hashlib
import math
import random
from datetime import date
from pathlib import Path

import polars as pl

from journey.engine.observations import observations_from_rows
from journey.engine.periods import add_months, month_range
from journey.engine.plan import Plan, Polarity, load_plan
from journey.engine.reports.inputs import NarrativeText

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE_PLAN = ROOT / "examples" / "plan.yaml"


def example_plan() -> Plan:
    return load_plan(EXAMPLE_PLAN)


def snapshot_id(month: str) -> str:
    """A stand-in for the SHA-256 id of the extract a month's figures came from."""
    return hashlib.sha256(f"synthetic extract {month}".encode()).hexdigest()


def _level(measure, month: str) -> float:
    targets = list(measure.targets.values())
    base = targets[0] if targets else 50.0
    if measure.bands is not None and measure.bands.green.lower is not None and measure.bands.green.upper is not None:
        base = (measure.bands.green.lower + measure.bands.green.upper) / 2
    return base


def observation_rows(plan: Plan, first: str, last: str, *, seed: int = 7, latest: bool = True) -> list[dict]:
    """Monthly figures near each measure's target, with drift and noise; a few breakdowns."""
    rng = random.Random(seed)
    rows: list[dict] = []
    months = month_range(first, last)
    for index, measure in enumerate(plan.measures):
        base = _level(measure, first)
        drift = (index % 5 - 2) * 0.01 * base
        for i, month in enumerate(months):
            value = base * (0.93 + 0.1 * math.sin(i / 2 + index)) + drift * i / 3 + rng.gauss(0, base * 0.02)
            if measure.unit.value == "percent":
                value = max(0.0, min(100.0, value))
            if measure.unit.value == "count":
                value = float(round(value))
            if measure.cumulative_in_year:
                k = (int(month[5:7]) - 4) % 12 + 1
                value = float(round(base / 12 * k * (0.9 + 0.05 * (index % 3))))
            row = {"measure_id": measure.id, "period": month, "value": f"{value:.2f}", "snapshot": snapshot_id(month)}
            if measure.unit.value == "percent":
                row["denominator"] = "200"
                row["numerator"] = str(round(value * 2))
                row["value"] = f"{round(value * 2) / 2:.1f}"
            if index == 3 and month == last:
                row["flagged"] = "true"
            rows.append(row)
        if latest:
            rows.append(
                {
                    "measure_id": measure.id,
                    "period": add_months(last, 1),
                    "period_type": "latest",
                    "value": f"{base * 1.01:.2f}",
                    "as_at": f"{add_months(last, 1)}-15",
                }
            )
    # Breakdowns where the board wants them.
    cla = next((m for m in plan.measures if m.id == "cla_rate_per_10k"), None)
    if cla is not None:
        for code, n in (("U1", 40), ("U4", 95), ("U6", 120), ("K2", 31), ("P1", 12), ("H5", 9), ("A5", 4)):
            rows.append({"measure_id": cla.id, "period": last, "breakdown": "placement_type", "breakdown_value": code, "value": str(n)})
        for code, n in (("PR1", 180), ("PR4", 121), ("PR5", 10)):
            rows.append({"measure_id": cla.id, "period": last, "breakdown": "provider", "breakdown_value": code, "value": str(n)})
        # Type crossed with provider: U4 and U6 (215) are 130 in-house and 85 with agencies.
        for group, n in (("In-house foster care", 130), ("Independent fostering agency (IFA)", 85),
                         ("Kinship foster care (connected persons)", 40), ("Residential care", 31), ("Other placements", 25)):
            rows.append({"measure_id": cla.id, "period": last, "breakdown": "placement_group", "breakdown_value": group, "value": str(n)})
    sup = next((m for m in plan.measures if m.id == "supervisions_in_timescale_pct"), None)
    if sup is not None:
        for team, num, den in (("Assessment and safeguarding", 41, 50), ("Children in care", 37, 40), ("Disability", 18, 20), ("Care leavers", 14, 20)):
            rows.append({"measure_id": sup.id, "period": last, "breakdown": "team", "breakdown_value": team,
                         "value": f"{100 * num / den:.1f}", "numerator": str(num), "denominator": str(den)})
    return rows


def example_observations(plan: Plan, first: str = "2023-04", last: str = "2024-06", **kwargs) -> pl.DataFrame:
    return observations_from_rows(observation_rows(plan, first, last, **kwargs))


def approved_narrative(plan: Plan, *, skip: set[str] = frozenset()) -> dict[str, NarrativeText | None]:
    out: dict[str, NarrativeText | None] = {}
    for m in plan.measures:
        if m.id in skip:
            out[m.id] = None
            continue
        better = "higher" if m.polarity is Polarity.HIGHER_IS_BETTER else "lower"
        out[m.id] = NarrativeText(
            working_well=f"Managers review {m.title.lower()} weekly. Teams know which cases need attention.",
            worried_about=f"The figure should be {better}; two teams are behind. Agency turnover slows progress.",
            doing_about="A weekly tracker is discussed in the performance meeting. The head of service checks progress.",
            approved_by="Director of Children's Services",
            approved_on=date(2024, 7, 10),
        )
    return out
