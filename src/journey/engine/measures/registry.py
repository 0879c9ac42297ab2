"""The measure library: every computed measure, what it counts and where its definition
comes from. ``docs/measures.md`` is generated from here (``journey measures docs``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from journey.engine.measures.base import Context, Periods

UNITS = ("count", "percent", "rate_per_10k", "number")
POLARITIES = ("higher_is_better", "lower_is_better", "within_range")
KINDS = ("snapshot", "flow")

#: What each breakdown means, for the documentation and the CLI.
BREAKDOWNS: dict[str, str] = {
    "team": "the team recorded on the record (referral, assessment, plan, episode, worker)",
    "worker": "the worker recorded on the record",
    "service": "the service the worker's team belongs to",
    "age_band": "the child's age at the date (DfE bands: under 1, 1 to 4, 5 to 9, 10 to 15, 16 and over)",
    "source": "who made the contact or referral (CIN census source codes)",
    "placement_group": (
        "the placement at the date grouped by type crossed with provider: in-house foster care (U4–U6 "
        "provided by the council, PR1), independent fostering agency (U4–U6 from a private or voluntary "
        "provider, PR4/PR5), kinship foster care with connected persons (U1–U3), residential care (K1, K2, "
        "R1, S1), other placements (everything else, including U4–U6 from another council or public body "
        "or with no provider recorded)"
    ),
    "placement_type": "SSDA903 placement type (PLACE) of the placement at the date",
    "placement_provider": "SSDA903 placement provider (PR0–PR5) at the date",
    "time_in_placement": "time in the current placement at the date: 0–3 months, 3–6 months, 6–12 months, 1–2 years, 2 years or more",
    "legal_status": "SSDA903 legal status at the date",
    "cp_category": "category of abuse (latest category for plans open at a date, initial category for plan starts)",
    "grade": "audit grade",
}

#: Tables a measure can do without: the plan's population stands in for the extract's.
OPTIONAL_TABLES = frozenset({"population"})

RecordsFn = Callable[[Context, Periods, dict[str, Any]], pl.LazyFrame]
ReasonFn = Callable[[dict[str, Any]], pl.Expr]


@dataclass(frozen=True)
class Parameter:
    name: str
    default: Any
    description: str


@dataclass(frozen=True)
class MeasureDef:
    """A measure in the library."""

    id: str
    title: str
    area: str
    definition: str
    unit: str
    polarity: str
    numerator: str
    denominator: str
    tables: tuple[str, ...]
    source: str
    kind: str
    records: RecordsFn = field(repr=False)
    reason: ReasonFn = field(repr=False)
    key_dates: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    breakdowns: tuple[str, ...] = ()
    period_types: tuple[str, ...] = ("month", "latest")
    #: For flow measures: which window the "latest" figure covers (month or fytd).
    latest_window: str = "month"
    #: For flow measures: "fytd" makes the monthly figure the financial year to date
    #: (projected annual rates).
    month_window: str = "month"
    #: For flow measures counting children once per window: the column that identifies them.
    distinct: str | None = None
    #: The column naming the counted record (referral_id, cp_plan_id ...), if any.
    record_id: str | None = None
    #: DfE Local Authority Interactive Tool measure code, where there is one.
    lait: str | None = None
    #: DfE's own definition, for a measure whose source is DfE's: what is counted (children
    #: or episodes), the date rule, inclusions and exclusions, the denominator and the
    #: population year, and where it is published.
    dfe: str | None = None
    #: How this measure differs from DfE's definition, precisely; "None: ..." when it is
    #: DfE's figure (saying at which date or for which period).
    dfe_difference: str | None = None
    #: What a record is about: "child" (the extract can be split by child to compute it)
    #: or "worker" (workforce measures, computed over the whole extract).
    keyed_by: str = "child"

    def __post_init__(self) -> None:
        assert self.unit in UNITS, self.unit
        assert self.polarity in POLARITIES, self.polarity
        assert self.kind in KINDS, self.kind
        for b in self.breakdowns:
            assert b in BREAKDOWNS, b

    @property
    def required_tables(self) -> tuple[str, ...]:
        """The tables an extract must give for this measure to be computed at all (the
        population is not among them: the plan's stands in for it)."""
        return tuple(t for t in self.tables if t not in OPTIONAL_TABLES)

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters}

    def resolve(self, overrides: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults overridden by the plan measure's ``parameters``; unknown names are an error."""
        params = self.defaults
        for key, value in (overrides or {}).items():
            if key not in params:
                known = ", ".join(params) or "none"
                raise ValueError(f"measure {self.id} has no parameter {key!r} (its parameters: {known})")
            default = params[key]
            if isinstance(default, bool) or default is None:
                params[key] = value
            elif isinstance(default, int) and not isinstance(value, bool) and isinstance(value, (int, float)) and float(value).is_integer():
                params[key] = int(value)
            elif isinstance(default, (int, float)) and isinstance(value, (int, float)) and not isinstance(value, bool):
                params[key] = float(value)
            elif isinstance(default, (list, tuple)) and isinstance(value, (list, tuple)):
                params[key] = list(value)
            elif isinstance(default, str) and isinstance(value, str):
                params[key] = value
            else:
                raise ValueError(f"measure {self.id} parameter {key!r}: {value!r} is not like the default {default!r}")
        return params


REGISTRY: dict[str, MeasureDef] = {}


def register(*measures: MeasureDef) -> None:
    for m in measures:
        if m.id in REGISTRY:
            raise ValueError(f"measure {m.id} registered twice")
        REGISTRY[m.id] = m


def get(measure_id: str) -> MeasureDef:
    try:
        return REGISTRY[measure_id]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(measure_id, list(REGISTRY), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise KeyError(f"{measure_id!r} is not in the measure library{hint}") from None


def latest_is_like_rated(library_id: str, cumulative_in_year: bool) -> bool:
    """Whether a computed measure's "latest" figure (taken at the extract's date) covers the
    same window as the figure a plan rates each month, so the two can stand side by side: a
    financial-year-to-date latest beside the year to date (a plan's cumulative measure, or a
    projected annual rate), a month-to-date latest beside the month. A snapshot's latest is
    the same count at a later date. Ids not in the library: True (nothing to say otherwise)."""
    m = REGISTRY.get(library_id)
    if m is None or m.kind != "flow":
        return True
    rated = "fytd" if cumulative_in_year or m.month_window == "fytd" else "month"
    return m.latest_window == rated


def breakdown_dimensions() -> frozenset[str]:
    """Every breakdown some measure in the library is computed by (``team``, ``age_band`` …)."""
    return frozenset(b for m in REGISTRY.values() for b in m.breakdowns)


def library_ids() -> dict[str, frozenset[str]]:
    """Every measure id in the library, with the parameters a plan may set for it.

    Passed to the plan reader, so a plan naming an unknown measure or misspelling a
    parameter is refused with the line and key."""
    return {m.id: frozenset(p.name for p in m.parameters) for m in REGISTRY.values()}


AREAS = {
    "front_door": "Demand and the front door",
    "assessment": "Assessment and section 47 enquiries",
    "protection": "Child protection and children in need",
    "looked_after": "Children looked after",
    "care_leavers": "Care leavers",
    "workforce": "Workforce and practice quality",
}

UNIT_WORDS = {
    "count": "count",
    "percent": "percentage",
    "rate_per_10k": "rate per 10,000 children aged 0-17",
    "number": "number (average)",
}

POLARITY_WORDS = {
    "higher_is_better": "Good = bigger is better",
    "lower_is_better": "Good = smaller is better",
    "within_range": "Good = within the range (demand: too low can mean missed need)",
}

PERIOD_WORDS = {
    "month": "in the month (flows) or at the month's last day (snapshots)",
    "fytd": "financial year to date (1 April to the month's last day)",
    "rolling12": "the twelve months ending with the month",
    "latest": "at the extract date (as_at)",
}


def published_comparators(measure_id: str) -> list[str]:
    """DfE's published figures the dashboard sets beside this measure (once benchmarks are
    imported), in words: the indicator, where it is published and how it is derived."""
    from journey.engine.stats.dfe import PUBLISHED_INDICATORS, library_measure_id

    out = []
    for i in PUBLISHED_INDICATORS:
        if library_measure_id(i.measure_id) != measure_id:
            continue
        where = ", ".join(f"{column} = {value!r}" for column, value in i.filters)
        derived = " ÷ ONS mid-year population aged 0-17 of the year before × 10,000" if i.per_population else ""
        lait = f", LAIT {i.lait_code}" if i.lait_code else ""
        out.append(
            f"{i.title} (DfE's published `{i.value_column}`{derived}{' where ' + where if where else ''}{lait}; "
            f"benchmark id `{i.measure_id}`)"
        )
    return out


def explain(m: MeasureDef) -> str:
    """A measure's full documentation as Markdown."""
    lines = [f"### `{m.id}` — {m.title}", "", m.definition, ""]
    lines.append(f"- **Unit:** {UNIT_WORDS[m.unit]}")
    lines.append(f"- **Default polarity:** {POLARITY_WORDS[m.polarity]}")
    lines.append(f"- **Numerator:** {m.numerator}")
    lines.append(f"- **Denominator:** {m.denominator}")
    lines.append(f"- **Kind:** {'snapshot at a date' if m.kind == 'snapshot' else 'events in a period'}")
    lines.append(f"- **Tables:** {', '.join(f'`{t}`' for t in m.tables)}")
    source = m.source + (f" (LAIT measure {m.lait})" if m.lait else "")
    lines.append(f"- **Source of definition:** {source}")
    if m.dfe:
        lines.append(f"- **DfE's definition:** {m.dfe}")
    if m.dfe_difference:
        lines.append(f"- **Against DfE's:** {m.dfe_difference}")
    for published in published_comparators(m.id):
        lines.append(f"- **Compared with:** {published}")
    words = dict(PERIOD_WORDS)
    if m.month_window == "fytd":
        words["month"] = "the financial year to the month's last day, projected to a whole year"
    ptypes = "; ".join(f"`{p}` — {words[p]}" for p in m.period_types)
    if m.kind == "flow" and "latest" in m.period_types:
        ptypes += f" (latest covers the {'financial year' if m.latest_window == 'fytd' else 'month'} to the extract date)"
    lines.append(f"- **Periods:** {ptypes}")
    lines.append(
        "- **Breakdowns:** " + (", ".join(f"`{b}`" for b in m.breakdowns) if m.breakdowns else "none")
    )
    if m.parameters:
        lines.append("- **Parameters:**")
        for p in m.parameters:
            lines.append(f"  - `{p.name}` (default `{p.default}`): {p.description}")
    lines.append("")
    return "\n".join(lines)


def render_docs() -> str:
    """docs/measures.md."""
    out = [
        "# The measure library",
        "",
        "<!-- Generated by `journey measures docs` from src/journey/engine/measures; do not edit by hand. -->",
        "",
        "Every computed measure, exactly what it counts, and where the definition comes from.",
        "A plan measure uses one with `source: {computed: <id>}` and may override its",
        "parameters with `parameters:`.",
        "",
        "## Conventions",
        "",
        "- **Open at a date.** A plan, episode, allocation or post is open at a date when it",
        "  started on or before that date and has no end date or ends after it: a child whose",
        "  episode ends on 31 March is not looked after at 31 March. Snapshot measures are",
        "  evaluated at each month's last day, and at the extract date for \"latest\".",
        "- **Events in a period** are counted by their date, from the first to the last day of",
        "  the month (`month`), from 1 April (`fytd`), over twelve months (`rolling12`), or",
        "  over the month (or financial year) up to the extract date (`latest`).",
        "- **Working days** are Monday to Friday less England and Wales bank holidays; the",
        "  day an event starts is not counted and the day it ends is (`journey.engine.periods`).",
        "  \"Within N working days\" means at most N.",
        "- **Months** are calendar months: \"within 3 months of 15 January\" means on or",
        "  before 15 April; a month-end date runs to the last day of the shorter month",
        "  (31 August + 6 months = 28 or 29 February).",
        "- **Rates per 10,000** divide by the 0-17 population for the month's financial year",
        "  (the population table's year in which the financial year starts, else the latest",
        "  earlier year, else the plan's authority population). Rates of children at a date",
        "  (on plans, looked after) are as they are. Rates of events (referrals, S47 enquiries,",
        "  starting and ceasing care) are *projected for the year* each month, as boards read",
        "  them: year-to-date count ÷ months elapsed × 12 ÷ population × 10,000 (the",
        "  denominator reported is the population × months elapsed ÷ 12; the latest figure",
        "  uses days elapsed instead of months). `referrals_in_month_rate_per_10k` gives the",
        "  month alone, not annualised.",
        "- **Short breaks.** Episodes with legal status V3 or V4 are left out of every",
        "  looked-after count (DfE: children looked after under an agreed series of short-term",
        "  placements are excluded), but they still join the episodes either side: a care",
        "  episode ending X1 the day a short break starts, and a short break ending X1 the day",
        "  an episode with RNE L starts, are continuations, neither a cessation nor a start.",
        "- **Periods of care** follow DfE's codes (`periods_of_care: dfe`, the default): a",
        "  period starts with an episode whose reason for new episode (RNE) is S and ends with",
        "  an episode whose reason ceased (REC) is anything but X1; a change of placement or",
        "  legal status (RNE P, L, T, U, B) continues it whatever the dates say. Where a code",
        "  is blank the dates decide (a gap starts a new period). Where codes and dates",
        "  disagree the figure follows the code and the drill-down's `quality` column says",
        "  why in words, naming the DfE validation rule. `periods_of_care: gap` is a local",
        "  method, not DfE's: runs of episodes where each starts on or before the day the",
        "  previous one ended, the codes ignored. A **placement** is a run of episodes within a period of care that starts",
        "  with a new period (RNE S) or a change of carer (RNE P, T or B, unless the recorded",
        "  carer is the same); RNE L (legal status only) and U (same carer) continue the",
        "  placement, and so does being placed for adoption with the current foster carer",
        "  (A3, A5). Where RNE is missing, a change of placement type or carer starts a new",
        "  placement.",
        "- **Tables not given.** A measure is computed only when the extract gave every",
        "  table it reads (the population excepted: the plan's stands in). Otherwise it is",
        "  *not computed*: no figure at all, never a zero from an empty table.",
        "- **DfE's figures.** A measure whose source is DfE's states DfE's own definition (what is",
        "  counted, the date rule, exclusions, denominator, population year, the published table",
        "  and LAIT code) and, under *Against DfE's*, exactly where it differs; \"None at 31 March\"",
        "  means the figure at 31 March (or `fytd` at March for a year's events) is DfE's. DfE",
        "  publishes for the year ending 31 March (the workforce at 30 September); the monthly",
        "  figures between are the same rule at another date unless the measure says otherwise.",
        "  With DfE's published figures imported (`journey benchmarks import`), the DfE figure the",
        "  dashboard and reports set beside a measure is the one listed under *Compared with* (a",
        "  plan may type its own comparators instead), for DfE's latest published year: an",
        "  in-year monthly figure is read against last year's.",
        "- **Flagged records.** Every figure reports in `flagged` how many of the records it",
        "  counted (in the numerator or the denominator) came from rows validation flagged.",
        "- **Drill-down.** `journey drilldown` lists, for any measure, month and breakdown",
        "  cell, the records (children, or workers) in the numerator and denominator, each",
        "  with the reason in words and the key dates.",
        "",
        "## Computing and drilling down",
        "",
        "- `journey compute --data PATH --from YYYY-MM --to YYYY-MM [--measures ID,...] [--plan PLAN]",
        "  --out OBS.csv` writes the observations CSV (every measure, every month, financial year",
        "  to date, rolling 12 months and latest where the measure has them, every breakdown;",
        "  `--no-breakdowns` for overall figures only). With `--plan`, the plan's computed",
        "  measures are written under the plan's measure ids with the plan's `parameters`, and",
        "  the plan's population is used for years the extract has none. In Python:",
        "  `journey.engine.measures.compute(extract, first, last, measure_ids, parameters_by_measure,",
        "  progress)`.",
        "- `journey drilldown --data PATH --measure ID --month YYYY-MM [--period-type fytd]",
        "  [--breakdown DIM --cell VALUE] [--format table|csv]` lists the records behind one",
        "  figure with `in_numerator`, `in_denominator`, the reason in words and the key dates;",
        "  for \"higher is better\" percentages the records missing the standard come first.",
        "- Every month of a range is computed at once: snapshot measures expand each interval",
        "  into the month ends it is open at; flow measures are summed by month and the windows",
        "  (month, year to date, rolling 12 months) are sums of those months.",
        "- Big extracts (over 250,000 child records) are split by a hash of the child's id into",
        "  parts computed one after another (two at a time) and added up; workforce measures",
        "  are computed over the whole extract. The figures are the same either way (a test",
        "  checks it); the memory needed is that of one part.",
        "",
        "## Breakdowns",
        "",
    ]
    for name, words in BREAKDOWNS.items():
        out.append(f"- `{name}`: {words}")
    out.append("")
    out.append("## Index")
    out.append("")
    out.append("| id | title | unit | periods |")
    out.append("|---|---|---|---|")
    for m in sorted(REGISTRY.values(), key=lambda m: list(AREAS).index(m.area)):
        out.append(f"| `{m.id}` | {m.title} | {UNIT_WORDS[m.unit]} | {', '.join(m.period_types)} |")
    out.append("")
    for area, title in AREAS.items():
        ms = [m for m in REGISTRY.values() if m.area == area]
        if not ms:
            continue
        out.append(f"## {title}")
        out.append("")
        for m in ms:
            out.append(explain(m))
    return "\n".join(out).rstrip() + "\n"
