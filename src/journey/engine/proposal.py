"""What a load would change, shown before anything changes.

A new extract is a *proposal* until someone accepts it. This module says, without
touching anything, what accepting it would do:

* :func:`check_extract` sets the extract against the plan and the data now in use: the
  council (LA code; a different council is an error), the child population (more than
  20% from the plan's is a warning to acknowledge by name), the children it holds
  against the active snapshot's, its dates against the active snapshot's (an older
  extract is a warning to acknowledge), and the tables it gives, hence which of the
  plan's measures cannot be computed (they are *not computed*, never zero; none at all
  is an error), and whether its referrals go back far enough for the re-referral figures
  (a referral in the extract's first year cannot be matched with one it does not hold: the
  figures are understated, a warning to acknowledge, :mod:`journey.engine.measures.history`);
* :func:`diff_figures` compares the figures it would make with those in use: how many
  change in which months and the largest moves first, each with its RAG before and after.

The figures of an accepted snapshot replace, for each measure, the months it computed;
every other month keeps the figure of the snapshot that made it (:func:`overlay`). The
web application and ``journey data load`` show the same proposal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

import polars as pl

from journey.engine.casedata.schema import SCHEMA, Extract
from journey.engine.evaluation import evaluate_plan
from journey.engine.measures import OBSERVATION_SCHEMA
from journey.engine.measures.history import (
    ReferralHistory,
    referrals_complete_from,
    rereferral_months,
    understated_summary,
)
from journey.engine.observations import values_for_evaluation
from journey.engine.periods import last_complete_month, month_key, month_label
from journey.engine.plan import Plan

#: How far (as a fraction) the extract's population or children may be from the plan's or
#: the active snapshot's before someone must acknowledge it.
TOLERATED_DIFFERENCE = 0.20

KEY = ("measure_id", "period", "period_type", "breakdown", "breakdown_value")
GROUP = ("measure_id", "period")
"""A snapshot replaces figures a measure and a month at a time (every period type and
breakdown cell of it), so a breakdown cell that no longer exists does not linger."""

FIGURE_SCHEMA = pl.Schema(
    {
        **{name: dtype for name, dtype in OBSERVATION_SCHEMA.items() if name != "snapshot"},
        "note": pl.String(),
        "snapshot": pl.String(),
    }
)
"""Figures as kept per snapshot: the observations contract with empty text for no
breakdown (never null), so keys compare equal, and a note where the figure needs one (a
re-referral figure that cannot see the year before it is understated)."""

Severity = Literal["error", "acknowledge", "information"]

#: Tables whose dates say what period an extract covers (children's births, workers'
#: careers and population years do not).
_NOT_EVENTS = frozenset({"children", "workers", "population"})


def figures_frame(frame: pl.DataFrame | None = None) -> pl.DataFrame:
    """``frame`` in :data:`FIGURE_SCHEMA` (empty when None): text keys never null."""
    if frame is None:
        return pl.DataFrame(schema=FIGURE_SCHEMA)
    missing = [pl.lit(None, dtype).alias(name) for name, dtype in FIGURE_SCHEMA.items() if name not in frame.columns]
    return (
        frame.with_columns(missing)
        .select([pl.col(name).cast(dtype) for name, dtype in FIGURE_SCHEMA.items()])
        .with_columns(
            [pl.col(c).fill_null("") for c in ("period_type", "breakdown", "breakdown_value", "note", "snapshot")]
        )
        .with_columns(pl.col("period_type").replace("", "month"), pl.col("flagged").fill_null(0))
    )


# ----------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class ExtractFacts:
    """What an extract (or a stored snapshot) says about itself, for comparing two."""

    la_code: str | None
    as_at: date | None
    first_event: date | None
    last_event: date | None
    children: int | None
    #: 0-17 population by year, from its population table (empty when it gives none).
    population: dict[int, int]
    #: The tables it gave (``None`` when not known).
    present: tuple[str, ...] | None
    rows: dict[str, int]
    format: str = ""
    #: The first day of the month from which it holds every referral (None: no referrals).
    referrals_from: date | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("as_at", "first_event", "last_event", "referrals_from"):
            data[name] = data[name].isoformat() if data[name] else None
        data["population"] = {str(k): v for k, v in self.population.items()}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExtractFacts:
        day = lambda v: date.fromisoformat(v) if v else None  # noqa: E731
        return cls(
            la_code=data.get("la_code"),
            as_at=day(data.get("as_at")),
            first_event=day(data.get("first_event")),
            last_event=day(data.get("last_event")),
            children=data.get("children"),
            population={int(k): int(v) for k, v in (data.get("population") or {}).items()},
            present=tuple(data["present"]) if data.get("present") is not None else None,
            rows=dict(data.get("rows") or {}),
            format=data.get("format") or "",
            referrals_from=day(data.get("referrals_from")),
        )


def extract_facts(extract: Extract, format: str = "") -> ExtractFacts:
    """The facts of an extract, read lazily (one pass per table, a handful of values)."""
    queries = {}
    for name, table in SCHEMA.items():
        columns = [c.name for c in table.columns if c.dtype == pl.Date() and name not in _NOT_EVENTS]
        parts = [pl.len().alias("rows")]
        parts += [pl.col(c).min().alias(f"min_{c}") for c in columns]
        parts += [pl.col(c).max().alias(f"max_{c}") for c in columns]
        queries[name] = extract.tables[name].select(parts)
    results = dict(zip(queries, pl.collect_all(list(queries.values())), strict=True))
    rows = {name: int(frame["rows"][0]) for name, frame in results.items()}
    firsts: list[date] = []
    lasts: list[date] = []
    for frame in results.values():
        for column in frame.columns:
            value = frame[column][0]
            if value is None or column == "rows":
                continue
            (firsts if column.startswith("min_") else lasts).append(value)
    population = extract.tables["population"].select("year", "population_0_17").collect()
    present = tuple(sorted(extract.present)) if extract.present is not None else None
    return ExtractFacts(
        la_code=extract.la_code,
        as_at=extract.as_at,
        first_event=min(firsts) if firsts else None,
        last_event=max(lasts) if lasts else None,
        children=rows["children"] if extract.has_table("children") else None,
        population={
            int(y): int(p)
            for y, p in population.iter_rows()
            if y is not None and p is not None
        },
        present=present,
        rows={name: n for name, n in rows.items() if extract.has_table(name)},
        format=format,
        referrals_from=referrals_complete_from(extract.tables["referrals"]) if extract.has_table("referrals") else None,
    )


# ---------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class Check:
    """One thing the data team must see before accepting.

    ``error`` stops the load; ``acknowledge`` stops it until someone acknowledges it by
    name (``code``), which is recorded; ``information`` is shown.
    """

    code: str
    severity: Severity
    title: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Check:
        return cls(data["code"], data["severity"], data["title"], data["message"])


def _day(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else "not known"


def _difference(value: float, reference: float) -> float:
    return abs(value - reference) / reference if reference else math.inf


def _percent(value: float, reference: float) -> str:
    change = (value - reference) / reference * 100 if reference else math.inf
    return f"{change:+.0f}%"


def check_extract(
    facts: ExtractFacts,
    plan: Plan | None,
    current: ExtractFacts | None,
    not_computed: Mapping[str, Iterable[str]] | None = None,
    computed: int = 0,
    first_month: str | None = None,
) -> list[Check]:
    """The checks of a proposed extract against the plan and the active snapshot.

    ``not_computed`` maps each of the plan's measures that cannot be computed from the
    extract to the tables it lacks; ``computed`` is how many can be; ``first_month`` is the
    first month whose figures the load would compute (to its last complete month).
    """
    checks: list[Check] = []
    if plan is not None:
        checks.append(_check_council(facts, plan))
        checks += _check_population(facts, plan)
    if current is not None:
        checks += _check_children(facts, current)
    checks.append(_check_dates(facts, current))
    checks.append(_check_tables(facts, plan, dict(not_computed or {}), computed))
    if plan is not None and first_month is not None:
        checks += _check_referral_history(facts, plan, first_month, set(not_computed or ()))
    return checks


def _check_referral_history(facts: ExtractFacts, plan: Plan, first_month: str, skipped: set[str]) -> list[Check]:
    """A warning (one, naming each measure) when the plan's re-referral figures from
    ``first_month`` to the last complete month reach back before the extract's referrals
    are complete."""
    from journey.engine.measures.compute import plan_requests

    if facts.referrals_from is None or facts.as_at is None:
        return []
    last_month = last_complete_month(facts.as_at)
    titles = {m.id: m.title for m in plan.measures}
    said = []
    for measure_id, months in sorted(rereferral_months(plan_requests(plan)).items()):
        history = ReferralHistory(facts.referrals_from, months)
        if measure_id in skipped or not history.understated(first_month, "rolling12"):
            continue
        said.append(
            f"{titles.get(measure_id, measure_id)}: a referral before {_day(history.understated_before)} "
            f"cannot be matched with one up to {months} months earlier, so these figures are understated: "
            f"{understated_summary(history, last_month)}."
        )
    if not said:
        return []
    return [
        Check(
            "referral_history", "acknowledge", "Referral history",
            "The extract's referrals (referrals table, referral_date) are complete only from "
            f"{facts.referrals_from:%B %Y}; before then it holds only the few still open later. "
            + " ".join(said)
            + " Load an extract that holds the year before them to have them in full.",
        )
    ]


def _code_kind(code: str) -> str:
    return "DfE" if code.isdigit() else "ONS"


def _check_council(facts: ExtractFacts, plan: Plan) -> Check:
    ours = plan.authority.la_code.strip().upper()
    if facts.la_code is None:
        return Check(
            "la_code", "information", "Council",
            f"The extract does not say which council it is from; the plan is {plan.authority.name}'s "
            f"(LA code {ours}). A canonical extract says it with \"la_code\" in extract.json.",
        )
    theirs = facts.la_code.strip().upper()
    if _code_kind(theirs) != _code_kind(ours):
        return Check(
            "la_code", "information", "Council",
            f"The extract gives the {_code_kind(theirs)} code {theirs} and the plan the "
            f"{_code_kind(ours)} code {ours}, so they cannot be compared: give the extract the "
            "plan's kind of code to have it checked.",
        )
    if theirs.lstrip("0") != ours.lstrip("0"):
        return Check(
            "la_code", "error", "Council",
            f"The extract is from the council with LA code {theirs}, but the plan is "
            f"{plan.authority.name}'s (LA code {ours}): it cannot be loaded here.",
        )
    return Check("la_code", "information", "Council", f"LA code {ours}, as the plan ({plan.authority.name}).")


def _check_population(facts: ExtractFacts, plan: Plan) -> list[Check]:
    if facts.as_at is None:
        return []
    year = plan.authority.population_year_for(facts.as_at)
    planned = plan.authority.population_for(facts.as_at)
    earlier = [y for y in sorted(facts.population) if y <= year]
    if not earlier:
        return [
            Check(
                "population", "information", "Child population",
                f"The extract gives no 0-17 population for {year}; the plan's, {planned:,}, is used.",
            )
        ]
    given = facts.population[earlier[-1]]
    words = (
        f"The extract's 0-17 population for {earlier[-1]} is {given:,}; the plan's for {year} "
        f"is {planned:,} ({_percent(given, planned)})"
    )
    if _difference(given, planned) > TOLERATED_DIFFERENCE:
        return [
            Check(
                "population", "acknowledge", "Child population",
                f"{words}: more than {TOLERATED_DIFFERENCE:.0%} apart. Is this extract this "
                "council's, and all of it? Every rate per 10,000 would use it.",
            )
        ]
    return [Check("population", "information", "Child population", f"{words}.")]


def _check_children(facts: ExtractFacts, current: ExtractFacts) -> list[Check]:
    same_kind = facts.format == current.format or not (facts.format and current.format)
    if facts.children is None or current.children is None or not current.children or not same_kind:
        return []
    words = (
        f"The extract holds {facts.children:,} children; the data in use holds "
        f"{current.children:,} ({_percent(facts.children, current.children)})"
    )
    if _difference(facts.children, current.children) > TOLERATED_DIFFERENCE:
        return [
            Check(
                "children", "acknowledge", "Children in the extract",
                f"{words}: more than {TOLERATED_DIFFERENCE:.0%} apart. Is it the whole extract?",
            )
        ]
    return [Check("children", "information", "Children in the extract", f"{words}.")]


def _check_dates(facts: ExtractFacts, current: ExtractFacts | None) -> Check:
    span = (
        f"Records from {_day(facts.first_event)} to {_day(facts.last_event)}, as at {_day(facts.as_at)}"
    )
    if current is None:
        return Check("dates", "information", "Dates", f"{span}. No extract is in use yet.")
    now = (
        f"the data in use: records from {_day(current.first_event)} to "
        f"{_day(current.last_event)}, as at {_day(current.as_at)}"
    )
    if facts.as_at and current.as_at and facts.as_at < current.as_at:
        return Check(
            "older", "acknowledge", "Dates",
            f"{span}; {now}. This extract is older than the data in use: its figures would "
            "replace newer ones for the months it covers.",
        )
    return Check("dates", "information", "Dates", f"{span}; {now}.")


def _check_tables(
    facts: ExtractFacts, plan: Plan | None, not_computed: dict[str, Iterable[str]], computed: int
) -> Check:
    given = facts.present if facts.present is not None else tuple(SCHEMA)
    absent = [t for t in SCHEMA if t not in given]
    listed = (
        f"It gives {len(given)} of the {len(SCHEMA)} tables ({', '.join(given) or 'none'})"
        + (f"; not {', '.join(absent)}" if absent else "")
    )
    if plan is None:
        return Check("tables", "information", "Tables", f"{listed}. No plan is loaded, so no figures are computed.")
    if not not_computed:
        return Check("tables", "information", "Tables", f"{listed}. Every computed measure of the plan can be computed.")
    titles = {m.id: m.title for m in plan.measures}
    needs = "; ".join(
        f"{titles.get(m, m)} (needs {', '.join(tables)})" for m, tables in sorted(not_computed.items())
    )
    total = computed + len(not_computed)
    if computed == 0:
        return Check(
            "tables", "error", "Tables",
            f"{listed}. None of the plan's {total} computed measures can be computed from it: {needs}.",
        )
    return Check(
        "tables", "acknowledge", "Tables",
        f"{listed}. {len(not_computed)} of the plan's {total} computed measures cannot be computed "
        f"from it and will show no figure (not computed, not zero) for the months it covers: {needs}.",
    )


# ----------------------------------------------------------------------- the figures


def coverage(figures: pl.DataFrame) -> dict[str, list[str]]:
    """measure id → the months a snapshot's figures cover (what they replace when used)."""
    if figures.is_empty():
        return {}
    grouped = figures.group_by("measure_id").agg(pl.col("period").unique().sort()).sort("measure_id")
    return {m: list(periods) for m, periods in grouped.iter_rows()}


def coverage_frame(cover: Mapping[str, Iterable[str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(m, p) for m, periods in cover.items() for p in periods],
        schema={"measure_id": pl.String, "period": pl.String},
        orient="row",
    )


def overlay(old: pl.DataFrame, new: pl.DataFrame, cover: Mapping[str, Iterable[str]] | None = None) -> pl.DataFrame:
    """The figures in use once ``new`` is accepted on top of ``old``: for each measure, the
    months ``new`` covers come from it, every other figure stays as it was."""
    covered = coverage_frame(coverage(new) if cover is None else cover)
    kept = figures_frame(old).join(covered, on=list(GROUP), how="anti")
    return pl.concat([kept, figures_frame(new)]).sort(list(KEY))


@dataclass(frozen=True)
class Move:
    """One headline figure the plan rates that would change, with its RAG."""

    measure_id: str
    title: str
    month: str
    old: float | None
    new: float | None
    old_text: str
    new_text: str
    old_rag: str
    new_rag: str

    @property
    def size(self) -> float:
        """How big the move is, from 0 (none) to 2 (a change of sign); a figure that appears
        or disappears counts as 1, like a move from zero."""
        if self.old is None or self.new is None:
            return 1.0 if (self.old is None) != (self.new is None) else 0.0
        scale = max(abs(self.old), abs(self.new))
        return abs(self.new - self.old) / scale if scale else 0.0

    @property
    def month_label(self) -> str:
        return month_label(self.month)


@dataclass(frozen=True)
class MonthChanges:
    month: str
    #: Figures of any kind (every breakdown cell and period type) whose value changes.
    figures: int
    #: Of those, the headline figures the plan rates.
    headline: int

    @property
    def month_label(self) -> str:
        return month_label(self.month)


@dataclass
class FigureDiff:
    """What accepting a snapshot would do to the figures in use."""

    changed: int = 0
    added: int = 0
    removed: int = 0
    unchanged: int = 0
    months: list[MonthChanges] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)
    #: How many moves there were before the list was cut short.
    move_count: int = 0

    @property
    def total(self) -> int:
        """Figures that would change value, appear or disappear."""
        return self.changed + self.added + self.removed

    @property
    def rag_changes(self) -> int:
        return sum(1 for m in self.moves if m.old_rag != m.new_rag)

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "added": self.added,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "months": [asdict(m) for m in self.months],
            "moves": [asdict(m) for m in self.moves],
            "move_count": self.move_count,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FigureDiff:
        return cls(
            changed=data["changed"],
            added=data["added"],
            removed=data["removed"],
            unchanged=data["unchanged"],
            months=[MonthChanges(**m) for m in data["months"]],
            moves=[Move(**m) for m in data["moves"]],
            move_count=data.get("move_count", len(data["moves"])),
        )


def diff_figures(
    old: pl.DataFrame, new: pl.DataFrame, plan: Plan | None, *, moves: int = 200
) -> FigureDiff:
    """How the figures in use (``old``) would change if ``new`` were accepted on top.

    Counts every figure (each breakdown cell and period type) that would change value,
    appear or disappear, by month; lists the headline figures the plan rates that would
    move, the largest first (at most ``moves`` of them), each with its RAG before and after.
    """
    old = figures_frame(old)
    new = figures_frame(new)
    covered = coverage_frame(coverage(new))
    before = old.join(covered, on=list(GROUP), how="semi").with_columns(pl.lit(True).alias("_old"))
    after = new.with_columns(pl.lit(True).alias("_new"))
    joined = before.join(after, on=list(KEY), how="full", coalesce=True, suffix="_new")
    status = joined.select(
        *KEY,
        pl.when(pl.col("_new").is_null())
        .then(pl.lit("removed"))
        .when(pl.col("_old").is_null())
        .then(pl.lit("added"))
        .when(pl.col("value").eq_missing(pl.col("value_new")))
        .then(pl.lit("unchanged"))
        .otherwise(pl.lit("changed"))
        .alias("status"),
    )
    counts = dict(status.group_by("status").len().iter_rows())
    diff = FigureDiff(
        changed=counts.get("changed", 0),
        added=counts.get("added", 0),
        removed=counts.get("removed", 0),
        unchanged=counts.get("unchanged", 0),
    )
    moved = _moves(old, overlay(old, new), plan) if plan is not None else []
    headline_by_month: dict[str, int] = {}
    for move in moved:
        headline_by_month[move.month] = headline_by_month.get(move.month, 0) + 1
    by_month = (
        status.filter(pl.col("status") != "unchanged").group_by("period").len().sort("period")
    )
    diff.months = [
        MonthChanges(month, figures, headline_by_month.get(month, 0))
        for month, figures in by_month.iter_rows()
    ]
    diff.move_count = len(moved)
    diff.moves = moved[:moves]
    return diff


def _moves(old: pl.DataFrame, after: pl.DataFrame, plan: Plan) -> list[Move]:
    """The rated figures that differ between two states, largest move first."""
    before_values = values_for_evaluation(old, plan)
    after_values = values_for_evaluation(after, plan)
    months: dict[str, list[str]] = {}
    for measure in plan.measures:
        a, b = before_values.get(measure.id, {}), after_values.get(measure.id, {})
        for month in sorted(set(a) | set(b)):
            if a.get(month) != b.get(month):
                months.setdefault(month, []).append(measure.id)
    out = []
    for month, measure_ids in months.items():
        rated_before = {r.measure_id: r for r in evaluate_plan(plan, before_values, month).results}
        rated_after = {r.measure_id: r for r in evaluate_plan(plan, after_values, month).results}
        for measure_id in measure_ids:
            was, now = rated_before[measure_id], rated_after[measure_id]
            out.append(
                Move(
                    measure_id=measure_id,
                    title=now.title,
                    month=month_key(month),
                    old=was.value,
                    new=now.value,
                    old_text=was.value_text if was.value is not None else "no figure",
                    new_text=now.value_text if now.value is not None else "not computed",
                    old_rag=was.rag.label,
                    new_rag=now.rag.label,
                )
            )
    # The largest first; among equals, those whose RAG changes, then the latest months.
    out.sort(key=lambda m: (m.month, m.measure_id), reverse=True)
    return sorted(out, key=lambda m: (-round(m.size, 9), m.old_rag == m.new_rag))

