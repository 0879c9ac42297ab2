"""The improvement plan file: YAML validated into typed models.

``load_plan(path)`` reads a plan (``docs/plan-format.md`` describes every key) and returns
a :class:`Plan`, or raises :class:`PlanError` listing **every** problem found, each with
the file, line and key path::

    plan.yaml:41 priorities[0].measures[3].polarity: 'bigger' is not one of
    higher_is_better, lower_is_better, within_range

Nothing is returned, and so nothing is loaded, unless the whole file is valid.

The YAML is read with ruamel.yaml's composer, which keeps the line of every key, and
turned into plain Python values here (so that an action number written ``4.10`` stays the
text ``"4.10"``, and duplicate keys are reported rather than silently overwritten). Types
and shapes are checked by pydantic; the rules that span several keys (tolerance contains
the target, ids unique, actions linked to measures that exist) are checked afterwards on
every part that parsed, so one run reports everything.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import types
import typing
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from journey.engine.disclosure import SmallNumberRule
from journey.engine.periods import MonthLike, financial_year_start_year, is_month

__all__ = [
    "MAX_PLAN_BYTES",
    "Action",
    "ActionStatus",
    "Authority",
    "Band",
    "Bands",
    "Benchmarks",
    "CumulativeDirection",
    "Frequency",
    "Measure",
    "NeighbourMethod",
    "Plan",
    "PlanError",
    "Polarity",
    "Priority",
    "Problem",
    "Source",
    "Tolerance",
    "Unit",
    "load_plan",
    "parse_plan",
    "set_owners",
]

MAX_PLAN_BYTES = 2_000_000
"""A plan file larger than this is refused unread (a real plan is tens of kilobytes)."""

_MAX_NODES = 50_000  # guards against alias ("billion laughs") expansion


# ------------------------------------------------------------------------ problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located by line (or row) and key path."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where} {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class PlanError(Exception):
    """The plan file cannot be used; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def did_you_mean(word: object, choices: Collection[str]) -> str:
    """`` (did you mean 'title'?)`` when ``word`` is close to one of ``choices``."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


# --------------------------------------------------------------------------- enums


class Polarity(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"
    WITHIN_RANGE = "within_range"

    @property
    def words(self) -> str:
        """How boards write it: ``"Good = bigger is better"``."""
        return {
            "higher_is_better": "Good = bigger is better",
            "lower_is_better": "Good = smaller is better",
            "within_range": "Good = within the range",
        }[self.value]


class Unit(StrEnum):
    COUNT = "count"
    PERCENT = "percent"
    RATE_PER_10K = "rate_per_10k"
    DAYS = "days"
    CURRENCY = "currency"
    SCORE = "score"
    NUMBER = "number"

    @property
    def default_decimals(self) -> int:
        return {"count": 0, "currency": 0, "percent": 1, "rate_per_10k": 1}.get(self.value, 1)


class Frequency(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"

    @property
    def months(self) -> int:
        return {"monthly": 1, "quarterly": 3, "annual": 12}[self.value]


class ActionStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    COMPLETED = "completed"


class NeighbourMethod(StrEnum):
    MEAN = "mean"
    MEDIAN = "median"


class CumulativeDirection(StrEnum):
    """How direction of travel reads a cumulative in-year (year-to-date) measure.

    ``monthly_pace`` (the default) compares the average a month so far in the financial
    year, since the running total always grows; ``running_total`` compares the running
    totals themselves, month on month, for councils whose published reports do so.
    """

    MONTHLY_PACE = "monthly_pace"
    RUNNING_TOTAL = "running_total"


# --------------------------------------------------------------- scalar helpers


class _YamlInt(int):
    """An int that remembers how it was written (``007``, ``4``)."""

    source: str


class _YamlFloat(float):
    """A float that remembers how it was written (``4.10``)."""

    source: str


def _as_text(value: Any) -> Any:
    """Scalars that YAML read as numbers or booleans, back to the text the author wrote."""
    if isinstance(value, _YamlInt | _YamlFloat):
        return value.source
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _text(value: Any) -> Any:
    value = _as_text(value)
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
    return value


def _date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a real date") from None
    raise ValueError(f"{_as_text(value)!r} is not a date in the form YYYY-MM-DD (e.g. 2024-03-31)")


def _month(value: Any) -> Any:
    if not is_month(value):
        raise ValueError(f"{_as_text(value)!r} is not a month in the form YYYY-MM (e.g. 2023-09)")
    return value


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{_as_text(value)!r} is not a number")
    if not math.isfinite(value):
        raise ValueError(f"{_as_text(value)!r} is not a finite number")
    return float(value)


def _text_list(value: Any) -> Any:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return value


Text = Annotated[str, BeforeValidator(_text)]
Month = Annotated[str, BeforeValidator(_month)]
Number = Annotated[float, BeforeValidator(_number)]
Day = Annotated[date, BeforeValidator(_date)]
Identifier = Annotated[str, BeforeValidator(_text), Field(pattern=r"^[a-z][a-z0-9_]*$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- models


class Authority(_Model):
    """The council whose plan this is."""

    name: Text
    la_code: Text
    population_0_17: dict[int, Annotated[int, Field(gt=0)]] = Field(min_length=1)
    region: Text | None = None

    @field_validator("population_0_17")
    @classmethod
    def _years(cls, value: dict[int, int]) -> dict[int, int]:
        for year in value:
            if not 1990 <= year <= 2100:
                raise ValueError(f"{year} is not a year between 1990 and 2100")
        return dict(sorted(value.items()))

    def population_year_for(self, month: MonthLike) -> int:
        """Which year's 0-17 population is used for ``month``.

        A month uses the mid-year estimate for the calendar year in which its financial
        year starts (April 2023 – March 2024 use 2023). When that year is not in the plan,
        the latest earlier year is used; when there is none, the earliest year.
        """
        wanted = financial_year_start_year(month)
        years = sorted(self.population_0_17)
        earlier = [y for y in years if y <= wanted]
        return earlier[-1] if earlier else years[0]

    def population_for(self, month: MonthLike) -> int:
        """The 0-17 population used for rates per 10,000 in ``month``."""
        return self.population_0_17[self.population_year_for(month)]


class Tolerance(_Model):
    """How far from target is still Amber. Exactly one form:

    ``percent`` (of the target, either side), ``points`` (an amount in the measure's unit,
    either side), ``lower`` and ``upper`` (an absolute band), ``floor`` (higher is better:
    Amber down to this) or ``ceiling`` (lower is better: Amber up to this).
    """

    percent: Annotated[Number, Field(gt=0)] | None = None
    points: Annotated[Number, Field(gt=0)] | None = None
    lower: Number | None = None
    upper: Number | None = None
    floor: Number | None = None
    ceiling: Number | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Tolerance:
        given = {k for k in ("percent", "points", "lower", "upper", "floor", "ceiling") if getattr(self, k) is not None}
        forms = {"lower and upper" if k in ("lower", "upper") else k for k in given}
        if not forms:
            raise ValueError("give one of percent, points, lower and upper, floor or ceiling")
        if len(forms) > 1:
            raise ValueError(f"give only one of {', '.join(sorted(forms))}")
        if forms == {"lower and upper"} and given != {"lower", "upper"}:
            missing = ({"lower", "upper"} - given).pop()
            raise ValueError(
                f"a tolerance band needs both lower and upper ({missing} is missing); "
                "for one side only, use floor or ceiling"
            )
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"lower ({self.lower:g}) is above upper ({self.upper:g})")
        return self

    @property
    def kind(self) -> str:
        """``percent``, ``points``, ``band``, ``floor`` or ``ceiling``."""
        for k in ("percent", "points", "floor", "ceiling"):
            if getattr(self, k) is not None:
                return k
        return "band"


class Band(_Model):
    """A range of values, either end open when omitted."""

    lower: Number | None = None
    upper: Number | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.lower is None and self.upper is None:
            raise ValueError("give lower, upper or both")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"lower ({self.lower:g}) is above upper ({self.upper:g})")
        return self

    def contains(self, value: float) -> bool:
        return (self.lower is None or value >= self.lower) and (self.upper is None or value <= self.upper)

    def within(self, other: Band) -> bool:
        """True when this band lies inside ``other``."""
        lo_ok = other.lower is None or (self.lower is not None and self.lower >= other.lower)
        hi_ok = other.upper is None or (self.upper is not None and self.upper <= other.upper)
        return lo_ok and hi_ok


class Bands(_Model):
    """Explicit RAG bands: Green inside ``green``, Amber inside ``amber``, else Red."""

    green: Band
    amber: Band

    @model_validator(mode="after")
    def _nested(self) -> Bands:
        if not self.green.within(self.amber):
            raise ValueError("the green band must lie inside the amber band")
        return self


class Benchmarks(_Model):
    """Published comparators typed into the plan (the statistics module may add more)."""

    statistical_neighbours: Number | None = None
    england: Number | None = None
    region: Number | None = None
    year: Text | None = None
    source: Text | None = None


class Source(_Model):
    """Where a measure's figures come from: ``manual`` or ``computed: <library id>``."""

    kind: typing.Literal["computed", "manual"]
    library_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        if isinstance(value, Source):
            return value
        if isinstance(value, str):
            text = value.strip()
            if text == "manual":
                return {"kind": "manual"}
            if text == "computed":
                raise ValueError("computed names no measure library id: write computed: <library id>")
            raise ValueError(
                f"{text!r} is not a source: write manual, or computed: <library id>"
                + did_you_mean(text, ["manual", "computed"])
            )
        if isinstance(value, dict):
            if set(value) == {"kind", "library_id"} or set(value) == {"kind"}:
                return value
            if len(value) == 1 and "computed" in value:
                lib = value["computed"]
                if lib is None or (isinstance(lib, str) and not lib.strip()):
                    raise ValueError("computed names no measure library id: write computed: <library id>")
                if not isinstance(lib, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", lib.strip()):
                    raise ValueError(f"{_as_text(lib)!r} is not a measure library id (snake_case, e.g. referrals_rate_per_10k)")
                return {"kind": "computed", "library_id": lib.strip()}
            keys = ", ".join(f"'{k}'" for k in value)
            hint = "".join(did_you_mean(k, ["computed"]) for k in value)
            raise ValueError(f"a source is manual or computed: <library id>, not {keys}{hint}")
        raise ValueError("a source is manual or computed: <library id>")

    def __str__(self) -> str:
        return f"computed: {self.library_id}" if self.kind == "computed" else "manual"


class ManualDefinition(_Model):
    """What a manual measure counts, as the plan states it (a computed measure's definition
    is the measure library's). Written as text alone, or as a mapping::

        definition:
          text: Children in care who answer "always" or "mostly" to "Do you feel safe where you live?"
          numerator: children who say they feel safe
          denominator: children in care who answered the question
          source: the annual children in care survey, run each October
    """

    text: Text
    numerator: Text | None = None
    denominator: Text | None = None
    source: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        return {"text": value} if isinstance(value, str) else value


class Measure(_Model):
    """One measure of the plan: what is counted, which way is good, the targets."""

    id: Identifier
    title: Text
    unit: Unit
    polarity: Polarity
    frequency: Frequency = Frequency.MONTHLY
    targets: dict[Month, Number] = Field(default_factory=dict)
    tolerance: Tolerance | None = None
    bands: Bands | None = None
    cumulative_in_year: bool = False
    source: Source
    owner: Text | None = None
    notes: Text | None = None
    definition: ManualDefinition | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    benchmarks: Benchmarks | None = None
    decimals: Annotated[int, Field(ge=0, le=6)] | None = None

    @field_validator("targets")
    @classmethod
    def _sorted(cls, value: dict[str, float]) -> dict[str, float]:
        return dict(sorted(value.items()))

    @property
    def display_decimals(self) -> int:
        return self.decimals if self.decimals is not None else self.unit.default_decimals

    @property
    def milestones(self) -> list[tuple[str, float]]:
        """``(month, target)`` pairs in month order."""
        return list(self.targets.items())


class Action(_Model):
    """One action of the plan: what will be done, by whom, by when."""

    number: Text
    text: Text
    owner: Text | None = None
    start: Day | None = None
    due: Day
    status: ActionStatus = ActionStatus.NOT_STARTED
    percent_complete: Annotated[int, Field(ge=0, le=100)] = 0
    measures: list[Text] = Field(default_factory=list)
    evidence: Annotated[list[Text], BeforeValidator(_text_list)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _dates(self) -> Action:
        if self.start is not None and self.due < self.start:
            raise ValueError(f"due date {self.due} is before start date {self.start}")
        return self


class Priority(_Model):
    """A priority of the plan, holding its measures and actions."""

    id: Text
    title: Text
    measures: list[Measure] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)


class Plan(_Model):
    """A whole improvement plan."""

    title: Text | None = None
    authority: Authority
    default_tolerance: Tolerance = Tolerance(percent=10)
    statistical_neighbour_method: NeighbourMethod = NeighbourMethod.MEAN
    small_numbers: SmallNumberRule = SmallNumberRule()
    cumulative_direction: CumulativeDirection = CumulativeDirection.MONTHLY_PACE
    priorities: list[Priority] = Field(min_length=1)

    @field_validator("default_tolerance")
    @classmethod
    def _percent_only(cls, value: Tolerance) -> Tolerance:
        if value.kind != "percent":
            raise ValueError("default_tolerance must be a percentage of the target (e.g. percent: 10)")
        return value

    @property
    def measures(self) -> list[Measure]:
        """Every measure, priority by priority, in file order."""
        return [m for p in self.priorities for m in p.measures]

    @property
    def actions(self) -> list[Action]:
        """Every action, priority by priority, in file order."""
        return [a for p in self.priorities for a in p.actions]

    def measure(self, measure_id: str) -> Measure:
        """The measure with this id (``KeyError`` when there is none)."""
        for m in self.measures:
            if m.id == measure_id:
                return m
        raise KeyError(measure_id)

    def priority_of(self, measure_id: str) -> Priority:
        """The priority holding the measure (``KeyError`` when there is none)."""
        for p in self.priorities:
            if any(m.id == measure_id for m in p.measures):
                return p
        raise KeyError(measure_id)

    def actions_for(self, measure_id: str) -> list[Action]:
        """Actions linked to the measure."""
        return [a for a in self.actions if measure_id in a.measures]

    def iter_measures(self) -> Iterator[tuple[Priority, Measure]]:
        for p in self.priorities:
            for m in p.measures:
                yield p, m

    def tolerance_for(self, measure: Measure) -> Tolerance:
        """The measure's own tolerance, or the plan's default."""
        return measure.tolerance or self.default_tolerance


# -------------------------------------------------------------------- YAML → data

Loc = tuple[str | int, ...]


class _Reader:
    """Turns composed YAML nodes into Python values, recording each key's line."""

    def __init__(self, file: str):
        self.file = file
        self.lines: dict[Loc, int] = {}
        self.problems: list[Problem] = []
        self.nodes = 0

    def read(self, node: Node, loc: Loc) -> Any:
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise PlanError([Problem(self.file, node.start_mark.line + 1, _path(loc), "the file is too large or expands too far (aliases)")])
        self.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            out: dict[Any, Any] = {}
            first_line: dict[Any, int] = {}
            for key_node, value_node in node.value:
                key = self.read_key(key_node, loc)
                line = key_node.start_mark.line + 1
                if key in first_line:
                    self.problems.append(Problem(self.file, line, _path(loc + (key,)), f"duplicate key (already given on line {first_line[key]})"))
                    continue
                first_line[key] = line
                self.lines[loc + (key,)] = line
                out[key] = self.read(value_node, loc + (key,))
            return out
        if isinstance(node, SequenceNode):
            return [self.read(item, loc + (i,)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return _scalar(node)

    def read_key(self, node: Node, loc: Loc) -> Any:
        if not isinstance(node, ScalarNode):
            self.problems.append(Problem(self.file, node.start_mark.line + 1, _path(loc), "a key must be plain text, not a list or mapping"))
            return f"<key on line {node.start_mark.line + 1}>"
        value = _scalar(node)
        if isinstance(value, _YamlInt):
            return int(value)
        return value if isinstance(value, str) else node.value


def _scalar(node: ScalarNode) -> Any:
    tag = str(getattr(node.tag, "value", node.tag) or "")
    text = node.value
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return text.lower() in {"true", "yes", "on"}
    if tag.endswith(":int"):
        cleaned = text.replace("_", "")
        try:
            number = int(cleaned, 0) if cleaned.lower().startswith(("0x", "0o", "0b")) else int(cleaned, 10)
        except ValueError:
            return text
        i = _YamlInt(number)
        i.source = text
        return i
    if tag.endswith(":float"):
        lowered = text.lower()
        if lowered in {".inf", "+.inf"}:
            real = math.inf
        elif lowered == "-.inf":
            real = -math.inf
        elif lowered == ".nan":
            real = math.nan
        else:
            try:
                real = float(text.replace("_", ""))
            except ValueError:
                return text
        f = _YamlFloat(real)
        f.source = text
        return f
    return text  # strings, and timestamps kept as written (dates are parsed by the models)


def _path(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _line_for(lines: dict[Loc, int], loc: Loc) -> int:
    for n in range(len(loc), -1, -1):
        if loc[:n] in lines:
            return lines[loc[:n]]
    return 1


# --------------------------------------------------------------- error wording


def _model_at(loc: Loc) -> Any:
    """The type expected at ``loc`` in a plan (for "did you mean" on unknown keys)."""
    current: Any = Plan
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel) and isinstance(part, str):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) is list and isinstance(part, int):
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return None
    return _unwrap(current)


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


def _choices_from(expected: str) -> list[str]:
    return re.findall(r"'([^']*)'", expected)


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(_as_text(value))
    return repr(_as_text(value))


def _wording(err: dict[str, Any]) -> tuple[Loc, str]:
    """(location, message) for one pydantic error, in words an analyst can act on."""
    loc: Loc = tuple(err["loc"])
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
    if kind == "missing":
        return loc[:-1], f"missing required key '{loc[-1]}'"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        fields = list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []
        return loc, f"unknown key '{loc[-1]}'{did_you_mean(loc[-1], fields)}"
    if kind in {"enum", "literal_error"}:
        choices = _choices_from(str(ctx.get("expected", "")))
        return loc, f"{_describe(value)} is not one of {', '.join(choices)}{did_you_mean(value, choices)}"
    if kind in {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"}:
        if kind == "int_from_float":
            return loc, f"{_describe(value)} must be a whole number"
        return loc, f"{_describe(value)} is not a {'whole ' if kind.startswith('int') else ''}number"
    if kind == "bool_type" or kind == "bool_parsing":
        return loc, f"{_describe(value)} is not true or false"
    if kind == "string_type":
        return loc, f"expected text, got {_describe(value)}"
    if kind == "list_type":
        return loc, f"expected a list (lines starting with '- '), got {_describe(value)}"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return loc, f"expected a mapping of keys and values, got {_describe(value)}"
    if kind == "string_pattern_mismatch":
        return loc, f"{_describe(value)} must be lower-case letters, digits and underscores, starting with a letter (e.g. cla_rate_per_10k)"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return loc, f"{_describe(value)} {err['msg'].replace('Input should be', 'must be')}"
    if kind == "too_short":
        return loc, f"must have at least {ctx.get('min_length', 1)} item(s)"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return loc, msg


# ------------------------------------------------------------------- semantics


def _g(x: float) -> str:
    return f"{x:g}"


def _check_measure(
    m: Measure, loc: Loc, library_ids: Collection[str] | None, dropped: Collection[str] = ()
) -> list[tuple[Loc, str]]:
    """Rules that span several keys of one measure (``dropped``: keys already in error)."""
    out: list[tuple[Loc, str]] = []
    pol = m.polarity
    tol = m.tolerance
    if pol is Polarity.WITHIN_RANGE:
        if m.bands is None:
            if "bands" not in dropped:
                out.append((loc + ("polarity",), "within_range needs bands: green and amber, each with lower and upper"))
        else:
            for name in ("green", "amber"):
                band = getattr(m.bands, name)
                if band.lower is None or band.upper is None:
                    out.append((loc + ("bands", name), "within_range bands need both lower and upper"))
        if tol is not None:
            out.append((loc + ("tolerance",), "within_range measures are rated on their bands; remove the tolerance"))
    if m.bands is not None and m.cumulative_in_year:
        out.append((loc + ("bands",), "bands cannot be used with cumulative_in_year (use targets and a tolerance)"))
    if m.bands is not None and pol is Polarity.WITHIN_RANGE:
        for month, target in m.targets.items():
            if not m.bands.green.contains(target):
                out.append((loc + ("targets", month), f"the target {_g(target)} is outside the green band"))
    if tol is not None and pol is not Polarity.WITHIN_RANGE:
        if tol.kind == "floor" and pol is Polarity.LOWER_IS_BETTER:
            out.append((loc + ("tolerance", "floor"), "a floor is for higher_is_better measures; a lower_is_better measure has a ceiling"))
        elif tol.kind == "ceiling" and pol is Polarity.HIGHER_IS_BETTER:
            out.append((loc + ("tolerance", "ceiling"), "a ceiling is for lower_is_better measures; a higher_is_better measure has a floor"))
        for month, target in m.targets.items():
            if tol.kind == "band" and tol.lower is not None and tol.upper is not None and not tol.lower <= target <= tol.upper:
                out.append((loc + ("tolerance",), f"the tolerance {_g(tol.lower)}–{_g(tol.upper)} does not contain the target {_g(target)} for {month}"))
            elif tol.kind == "floor" and pol is Polarity.HIGHER_IS_BETTER and tol.floor is not None and tol.floor > target:
                out.append((loc + ("tolerance", "floor"), f"the tolerance floor {_g(tol.floor)} is above the target {_g(target)} for {month}"))
            elif tol.kind == "ceiling" and pol is Polarity.LOWER_IS_BETTER and tol.ceiling is not None and tol.ceiling < target:
                out.append((loc + ("tolerance", "ceiling"), f"the tolerance ceiling {_g(tol.ceiling)} is below the target {_g(target)} for {month}"))
    if m.source.kind == "computed" and library_ids is not None and m.source.library_id not in library_ids:
        out.append((loc + ("source", "computed"), f"'{m.source.library_id}' is not in the measure library{did_you_mean(m.source.library_id, library_ids)}"))
    elif m.source.kind == "computed" and isinstance(library_ids, Mapping):
        known = library_ids[m.source.library_id]
        for key in m.parameters:
            if key not in known:
                allowed = f" (its parameters: {', '.join(sorted(known))})" if known else " (it takes no parameters)"
                out.append((loc + ("parameters", key), f"'{key}' is not a parameter of {m.source.library_id}{did_you_mean(key, known)}{allowed}"))
    elif m.parameters and m.source.kind != "computed":
        out.append((loc + ("parameters",), "parameters are for computed measures; a manual measure takes none"))
    if m.definition is not None and m.source.kind == "computed":
        out.append((loc + ("definition",), f"a computed measure is defined by the measure library (journey measures explain {m.source.library_id}); "
                    "a definition is for manual measures: put anything to add in notes"))
    elif m.definition is not None and m.definition.denominator is not None and m.unit is Unit.COUNT:
        out.append((loc + ("definition", "denominator"), "a count has no denominator: say what is counted as the numerator"))
    return out


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _as_dict(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


_STAND_INS = {"id": "x", "title": "x", "unit": "number", "source": "manual"}


def _salvage_measure(raw: Any) -> tuple[Measure | None, set[str]]:
    """The measure, or as much of it as parses, for the cross-key checks.

    Its own problems are reported by the whole-plan validation; here unknown keys and
    optional keys in error are dropped, and a few required keys replaced by stand-ins
    that cannot trigger a check, so that (say) a misspelt ``ownr`` does not hide a
    tolerance that excludes the target. A measure whose polarity is wrong is skipped:
    the checks depend on it. Returns the measure (or None) and the keys dropped.
    """
    dropped: set[str] = set()
    if not isinstance(raw, dict):
        return None, dropped
    try:
        return Measure.model_validate(raw), dropped
    except ValidationError as exc:
        errors = exc.errors()
    cleaned = {k: v for k, v in raw.items() if k in Measure.model_fields}
    for err in errors:
        if not err["loc"] or not isinstance(err["loc"][0], str):
            return None, dropped
        key = err["loc"][0]
        if key not in Measure.model_fields:
            continue
        dropped.add(key)
        if key in _STAND_INS:
            cleaned[key] = _STAND_INS[key]
        elif not Measure.model_fields[key].is_required():
            cleaned.pop(key, None)
        else:
            return None, dropped
    try:
        return Measure.model_validate(cleaned), dropped
    except ValidationError:
        return None, dropped


def _check_plan(raw: Any, library_ids: Collection[str] | None, lines: dict[Loc, int]) -> list[tuple[Loc, str]]:
    """Rules across the plan, run on every part that parses (so all problems are found)."""
    out: list[tuple[Loc, str]] = []
    priorities = _as_list(_as_dict(raw).get("priorities"))
    seen_priority: dict[str, Loc] = {}
    seen_measure: dict[str, Loc] = {}
    seen_action: dict[str, Loc] = {}
    links: list[tuple[Loc, Any]] = []

    def first(seen: dict[str, Loc], key: Any, loc: Loc, what: str) -> None:
        if isinstance(key, bool) or not isinstance(key, str | int | float):
            return
        key = str(_as_text(key)).strip()
        if key in seen:
            where = seen[key]
            out.append((loc, f"duplicate {what} '{key}' (first given on line {_line_for(lines, where)}, {_path(where)})"))
        else:
            seen[key] = loc

    for pi, priority in enumerate(priorities):
        ploc: Loc = ("priorities", pi)
        pdict = _as_dict(priority)
        first(seen_priority, pdict.get("id"), ploc + ("id",), "priority id")
        for mi, raw_measure in enumerate(_as_list(pdict.get("measures"))):
            mloc = ploc + ("measures", mi)
            first(seen_measure, _as_dict(raw_measure).get("id"), mloc + ("id",), "measure id")
            measure, dropped = _salvage_measure(raw_measure)
            if measure is not None:
                out += _check_measure(measure, mloc, library_ids, dropped)
        for ai, action in enumerate(_as_list(pdict.get("actions"))):
            aloc = ploc + ("actions", ai)
            adict = _as_dict(action)
            first(seen_action, adict.get("number"), aloc + ("number",), "action number")
            for li, link in enumerate(_as_list(adict.get("measures"))):
                links.append((aloc + ("measures", li), link))
    for loc, link in links:
        if isinstance(link, str) and link.strip() not in seen_measure:
            out.append((loc, f"'{link}' is not a measure in this plan{did_you_mean(link, seen_measure)}"))
    return out


# ------------------------------------------------------------------------ loading


def parse_plan(text: str, filename: str = "plan.yaml", *, library_ids: Collection[str] | None = None) -> Plan:
    """Validate plan text; ``filename`` is used in messages only.

    ``library_ids``, when given, is the set of measure library ids that ``computed:``
    sources may name; unknown ids are then errors.
    """
    file = Path(filename).name
    yaml = YAML(typ="rt")
    try:
        node = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(s for s in (exc.problem, exc.context) if s) or "not valid YAML"
        raise PlanError([Problem(file, line, "", f"YAML syntax error: {what}")]) from None
    except YAMLError as exc:
        raise PlanError([Problem(file, None, "", f"YAML syntax error: {exc}")]) from None
    if node is None:
        raise PlanError([Problem(file, 1, "", "the plan file is empty")])
    if not isinstance(node, MappingNode):
        raise PlanError([Problem(file, node.start_mark.line + 1, "", "the plan must be a mapping of keys (authority:, priorities:, ...), not a list or a single value")])

    reader = _Reader(file)
    raw = reader.read(node, ())
    found: list[tuple[Loc, str]] = []
    plan: Plan | None = None
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as exc:
        found += [_wording(dict(e)) for e in exc.errors(include_url=False)]
    found += _check_plan(raw, library_ids, reader.lines)

    problems = reader.problems + [Problem(file, _line_for(reader.lines, loc), _path(loc), msg) for loc, msg in found]
    if problems or plan is None:
        unique = list(dict.fromkeys(problems))
        unique.sort(key=lambda p: (p.line or 0))
        raise PlanError(unique)
    return plan


def load_plan(path: str | Path, *, library_ids: Collection[str] | None = None, max_bytes: int = MAX_PLAN_BYTES) -> Plan:
    """Read and validate a plan file (refusing files over ``max_bytes``)."""
    path = Path(path)
    name = path.name
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise PlanError([Problem(name, None, "", f"no such file: {path}")]) from None
    except IsADirectoryError:
        raise PlanError([Problem(name, None, "", f"{path} is a folder, not a plan file")]) from None
    except OSError as exc:
        raise PlanError([Problem(name, None, "", f"cannot read the file: {exc.strerror or exc}")]) from None
    if len(data) > max_bytes:
        raise PlanError([Problem(name, None, "", f"the file is larger than {max_bytes:,} bytes; a plan is a few tens of kilobytes")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PlanError([Problem(name, line, "", "the file is not UTF-8 text (save it as UTF-8)")]) from None
    return parse_plan(text, name, library_ids=library_ids)


# ------------------------------------------------------------------ changing owners

_PLAIN_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .,'’()/&+_-]*")


def _owner_scalar(owner: str) -> str:
    """``owner`` as YAML: plain when it reads back unchanged, else double-quoted."""
    if _PLAIN_OWNER.fullmatch(owner) and owner.casefold() not in {"yes", "no", "true", "false", "null", "on", "off"}:
        return owner
    return json.dumps(owner, ensure_ascii=False)


def set_owners(text: str, owners: Mapping[tuple[str, str], str]) -> str:
    """The plan text with the owners of some measures and actions changed, and nothing else.

    ``owners`` maps ``("measure", id)`` or ``("action", number)`` to the new owner (a
    username or a team's name; empty removes the owner). Only the owner's own text is
    rewritten (a missing ``owner`` is added on the line after the item's ``id`` or
    ``number``), so comments, order and layout stay as the author wrote them. The text must
    be a valid plan.
    """
    root = YAML().compose(text)
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement) by character index

    def value(node: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                return k, v
        return None

    priorities = value(root, "priorities") if isinstance(root, MappingNode) else None
    if priorities is None or not isinstance(priorities[1], SequenceNode):
        raise ValueError("not a plan: there are no priorities")
    for priority in priorities[1].value:
        for section, key, kind in (("measures", "id", "measure"), ("actions", "number", "action")):
            items = value(priority, section) if isinstance(priority, MappingNode) else None
            if items is None or not isinstance(items[1], SequenceNode):
                continue
            for item in items[1].value:
                ident = value(item, key) if isinstance(item, MappingNode) else None
                if ident is None or not isinstance(ident[1], ScalarNode) or (kind, ident[1].value) not in owners:
                    continue
                new = " ".join(owners[(kind, ident[1].value)].split())
                current = value(item, "owner")
                if current is not None:
                    key_node, value_node = current
                    if new:
                        edits.append((value_node.start_mark.index, value_node.end_mark.index, _owner_scalar(new)))
                    elif item.flow_style:
                        comma = text.rfind(",", item.start_mark.index, key_node.start_mark.index)
                        if comma >= 0:
                            edits.append((comma, value_node.end_mark.index, ""))
                        else:
                            after = text.find(",", value_node.end_mark.index, item.end_mark.index)
                            stop = item.end_mark.index - 1 if after < 0 else after + 1
                            while after >= 0 and text[stop] == " ":
                                stop += 1
                            edits.append((key_node.start_mark.index, stop, ""))
                    else:
                        start = text.rfind("\n", 0, key_node.start_mark.index) + 1
                        end = text.find("\n", value_node.end_mark.index)
                        edits.append((start, len(text) if end < 0 else end + 1, ""))
                elif new and item.flow_style:
                    at = item.end_mark.index - 1
                    edits.append((at, at, f", owner: {_owner_scalar(new)}"))
                elif new:
                    end = text.find("\n", ident[1].end_mark.index)
                    at = len(text) if end < 0 else end + 1
                    line = " " * ident[0].start_mark.column + f"owner: {_owner_scalar(new)}\n"
                    edits.append((at, at, line if end >= 0 else "\n" + line))
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    return text
