"""The observations CSV: one figure per measure, period and breakdown.

This is what ``journey compute`` writes, what ``journey evaluate`` and
``journey observations import`` read, and what manual figures are exchanged as.

Columns (header names are matched ignoring case and surrounding spaces; order is free):

==================  ========  ==============================================================
column              required  meaning
==================  ========  ==============================================================
measure_id          yes       the plan's measure id (snake_case)
period              yes       the month, ``YYYY-MM``
value               yes       the figure; empty means "no figure" (the month is Not rated)
period_type         no        ``month`` (default), ``fytd`` (financial year to date, ending
                              with ``period``), ``rolling12`` (twelve months ending with
                              ``period``) or ``latest`` (a mid-month refresh, see ``as_at``)
breakdown           no        what the figures are broken down by (``team``, ``placement_type``)
                              — empty for the whole authority
breakdown_value     no        the cell of the breakdown (``North``, ``U1``)
numerator           no        the count the value was computed from
denominator         no        ... and what it was divided by
flagged             no        whether records with validation warnings were used: true/false
                              (also yes/no, 1/0, or a count of such records; empty = false)
snapshot            no        the data snapshot the figure was computed from
source              no        ``computed``, ``manual`` or ``imported``
as_at               no        the date the figure is as at, ``YYYY-MM-DD``; required for
                              ``latest``
note                no        free text
==================  ========  ==============================================================

Problems are reported with file, row (the header is row 1, as in a spreadsheet), column
and value; every problem in the file is reported, and nothing is returned unless the whole
file is valid. Two rows for the same measure_id, period, period_type, breakdown and
breakdown_value are an error. Columns not listed above are ignored with a warning.

A validated file is a Polars DataFrame with the columns and types of :data:`SCHEMA`
(text columns are ``""`` when empty, never null; ``period_type`` is filled in as
``month``). :func:`monthly_series` gives one measure's monthly figures and
:func:`values_for_evaluation` the values a plan is rated on.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from journey.engine.periods import is_month
from journey.engine.plan import Plan, did_you_mean
from journey.engine.spreadsheet import unescape_text

__all__ = [
    "COLUMNS",
    "KEY_COLUMNS",
    "MAX_OBSERVATION_BYTES",
    "PERIOD_TYPES",
    "REQUIRED_COLUMNS",
    "SCHEMA",
    "CsvProblem",
    "breakdown_problems",
    "ObservationsError",
    "RatedFigure",
    "empty_frame",
    "monthly_series",
    "observations_from_rows",
    "parse_observations",
    "rated_figures",
    "read_observations",
    "source_label",
    "unknown_measure_ids",
    "values_for_evaluation",
]

REQUIRED_COLUMNS = ("measure_id", "period", "value")
COLUMNS = (
    "measure_id",
    "period",
    "period_type",
    "breakdown",
    "breakdown_value",
    "value",
    "numerator",
    "denominator",
    "flagged",
    "snapshot",
    "source",
    "as_at",
    "note",
)
PERIOD_TYPES = ("month", "fytd", "rolling12", "latest")
SOURCES = ("computed", "manual", "imported")
MAX_OBSERVATION_BYTES = 500_000_000
MAX_REPORTED = 200

_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class CsvProblem:
    """One thing wrong with a CSV file: file, row (header = 1), column, value, message."""

    file: str
    row: int | None
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        head = where[0] + (" " + ", ".join(where[1:]) if len(where) > 1 else "")
        return f"{head}: {self.message}"


class ObservationsError(Exception):
    """The observations file cannot be used; ``problems`` lists what is wrong."""

    def __init__(self, problems: list[CsvProblem], more: int = 0):
        self.problems = problems
        self.more = more
        text = "\n".join(str(p) for p in problems)
        if more:
            text += f"\n... and {more} more problems"
        super().__init__(text)


SCHEMA: dict[str, Any] = {
    "measure_id": pl.String,
    "period": pl.String,
    "period_type": pl.String,
    "breakdown": pl.String,
    "breakdown_value": pl.String,
    "value": pl.Float64,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "flagged": pl.Boolean,
    "snapshot": pl.String,
    "source": pl.String,
    "as_at": pl.Date,
    "note": pl.String,
    "row": pl.Int64,
}
"""The columns and types of a validated observations frame (``row`` is the file's row)."""

KEY_COLUMNS = ("measure_id", "period", "period_type", "breakdown", "breakdown_value")


def empty_frame() -> pl.DataFrame:
    """An observations frame with no rows."""
    return pl.DataFrame(schema=SCHEMA)


def monthly_series(
    frame: pl.DataFrame,
    measure_id: str,
    *,
    period_type: str = "month",
    breakdown: str = "",
    breakdown_value: str = "",
) -> dict[str, float | None]:
    """``{"YYYY-MM": value}`` in month order for one measure and breakdown cell.

    By default the whole-authority monthly figures; ``period_type="fytd"`` gives the
    financial-year-to-date ones, and so on.
    """
    rows = frame.filter(
        (pl.col("measure_id") == measure_id)
        & (pl.col("period_type") == period_type)
        & (pl.col("breakdown") == breakdown)
        & (pl.col("breakdown_value") == breakdown_value)
    ).sort("period")
    return dict(zip(rows["period"].to_list(), rows["value"].to_list(), strict=True))


def values_for_evaluation(frame: pl.DataFrame, plan: Plan) -> dict[str, dict[str, float | None]]:
    """measure id → month → the value the plan is rated on.

    The whole-authority monthly figure; for ``cumulative_in_year`` measures the
    financial-year-to-date (``fytd``) figure where one is given for that month.
    """
    out: dict[str, dict[str, float | None]] = {}
    for measure in plan.measures:
        series = monthly_series(frame, measure.id)
        if measure.cumulative_in_year:
            series.update(monthly_series(frame, measure.id, period_type="fytd"))
        out[measure.id] = dict(sorted(series.items()))
    return out


def source_label(source: str | None, snapshot: str | None) -> str:
    """Where a figure came from, as pages and reports name it: ``extract 3f2a9c1b`` (the
    snapshot it was computed from), ``imported (extract 3f2a9c1b)`` (a file of figures
    naming the snapshot they were computed from), ``imported`` or ``entered by hand``;
    "" when unknown."""
    if source == "manual":
        return "entered by hand"
    if snapshot:
        return f"extract {snapshot[:8]}" if source == "computed" else f"imported (extract {snapshot[:8]})"
    return "imported" if source else ""


@dataclass(frozen=True)
class RatedFigure:
    """The figure the plan rates for one measure and month, with its counts and origin."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    source: str = ""
    """Where it came from (:func:`source_label`)."""


def rated_figures(frame: pl.DataFrame, plan: Plan) -> dict[str, dict[str, RatedFigure]]:
    """measure id → month → the figure the plan rates (as :func:`values_for_evaluation`:
    the whole-authority monthly figure, or the year-to-date one for a cumulative in-year
    measure where given), with its counts and where it came from."""
    ids = [m.id for m in plan.measures]
    cumulative = [m.id for m in plan.measures if m.cumulative_in_year]
    rows = (
        frame.lazy()
        .filter(
            pl.col("measure_id").is_in(ids)
            & (pl.col("breakdown") == "")
            & (pl.col("breakdown_value") == "")
            & (
                (pl.col("period_type") == "month")
                | ((pl.col("period_type") == "fytd") & pl.col("measure_id").is_in(cumulative))
            )
        )
        .with_columns(first=pl.when(pl.col("period_type") == "fytd").then(0).otherwise(1))
        .sort(["measure_id", "period", "first"])
        .unique(["measure_id", "period"], keep="first", maintain_order=True)
        .select("measure_id", "period", "value", "numerator", "denominator", "source", "snapshot")
        .collect()
    )
    out: dict[str, dict[str, RatedFigure]] = {measure_id: {} for measure_id in ids}
    for measure_id, period, value, numerator, denominator, source, snapshot in rows.iter_rows():
        out[measure_id][period] = RatedFigure(value, numerator, denominator, source_label(source, snapshot))
    return out


def unknown_measure_ids(frame: pl.DataFrame, plan: Plan) -> list[str]:
    """Measure ids with figures in ``frame`` that are not measures of ``plan``."""
    known = {m.id for m in plan.measures}
    return sorted(set(frame["measure_id"].unique().to_list()) - known)


# ------------------------------------------------------------------------ parsing


def _number(text: str) -> float:
    cleaned = text.strip()
    if cleaned.endswith("%"):
        raise ValueError(f"{text!r} is not a number (write it without the % sign)")
    try:
        number = float(cleaned)
    except ValueError:
        hint = " (write it without thousands separators)" if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", cleaned) else ""
        raise ValueError(f"{text!r} is not a number{hint}") from None
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a finite number")
    return number


class _Rows:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[CsvProblem] = []
        self.count = 0

    def add(self, row: int | None, column: str, value: str, message: str) -> None:
        self.count += 1
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(CsvProblem(self.file, row, column, value, message))

    def raise_if_any(self) -> None:
        if self.count:
            raise ObservationsError(self.problems, self.count - len(self.problems))


def observations_from_rows(records: Iterable[Mapping[str, Any]], file: str = "observations", *, first_row: int = 2) -> pl.DataFrame:
    """Validate rows given as mappings of column → text (or None); see the module notes.

    ``first_row`` is the row number of the first record in messages (2 after a header).
    """
    return _validate(((first_row + i, rec) for i, rec in enumerate(records)), _Rows(file))


def _validate(numbered: Iterable[tuple[int, Mapping[str, Any]]], out: _Rows) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[Any, ...], int] = {}
    for rownum, rec in numbered:
        obs = _one(rownum, rec, out)
        if obs is None:
            continue
        key = tuple(obs[k] for k in KEY_COLUMNS)
        if key in seen:
            cell = f", breakdown {obs['breakdown']}={obs['breakdown_value']}" if obs["breakdown"] else ""
            out.add(
                rownum, "", "",
                f"duplicate of row {seen[key]}: {obs['measure_id']} {obs['period']} ({obs['period_type']}{cell}) is given twice",
            )
            continue
        seen[key] = rownum
        rows.append(obs)
    out.raise_if_any()
    return pl.DataFrame(rows, schema=SCHEMA, orient="row") if rows else empty_frame()


def _one(rownum: int, rec: Mapping[str, Any], out: _Rows) -> dict[str, Any] | None:
    """One validated row, or None after reporting its problems."""
    before = out.count

    def text(col: str) -> str:
        v = rec.get(col)
        return "" if v is None else str(v).strip()

    measure_id = text("measure_id")
    if not measure_id:
        out.add(rownum, "measure_id", "", "measure_id is empty")
    elif not _ID_RE.match(measure_id):
        out.add(rownum, "measure_id", measure_id, f"{measure_id!r} is not a measure id (lower-case letters, digits and underscores)")
    period = text("period")
    if not is_month(period):
        out.add(rownum, "period", period, f"{period!r} is not a month in the form YYYY-MM (e.g. 2023-09)")
    period_type = text("period_type") or "month"
    if period_type not in PERIOD_TYPES:
        out.add(rownum, "period_type", period_type, f"{period_type!r} is not one of {', '.join(PERIOD_TYPES)}{did_you_mean(period_type, PERIOD_TYPES)}")
    numbers: dict[str, float | None] = {}
    for col in ("value", "numerator", "denominator"):
        raw = text(col)
        numbers[col] = None
        if raw:
            try:
                numbers[col] = _number(raw)
            except ValueError as exc:
                out.add(rownum, col, raw, str(exc))
    flagged_text = text("flagged").lower()
    flagged = False
    if flagged_text in {"true", "yes"} or (flagged_text.isdigit() and int(flagged_text) > 0):
        flagged = True
    elif flagged_text and flagged_text not in {"false", "no"} and not flagged_text.isdigit():
        out.add(rownum, "flagged", text("flagged"), f"{text('flagged')!r} is not true or false (or a count of records)")
    source = text("source")
    if source and source not in SOURCES:
        out.add(rownum, "source", source, f"{source!r} is not one of {', '.join(SOURCES)}{did_you_mean(source, SOURCES)}")
    as_at_text = text("as_at")
    as_at: date | None = None
    if as_at_text:
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_at_text):
                raise ValueError(as_at_text)
            as_at = date.fromisoformat(as_at_text)
        except ValueError:
            out.add(rownum, "as_at", as_at_text, f"{as_at_text!r} is not a date in the form YYYY-MM-DD")
    elif period_type == "latest":
        out.add(rownum, "as_at", "", "a latest figure needs as_at, the date it is as at (YYYY-MM-DD)")
    breakdown, breakdown_value = text("breakdown"), text("breakdown_value")
    if breakdown_value and not breakdown:
        out.add(rownum, "breakdown", "", "breakdown_value is given but breakdown is empty")
    if out.count > before:
        return None
    return {
        "measure_id": measure_id,
        "period": period,
        "period_type": period_type,
        "breakdown": breakdown,
        "breakdown_value": breakdown_value,
        "value": numbers["value"],
        "numerator": numbers["numerator"],
        "denominator": numbers["denominator"],
        "flagged": flagged,
        "snapshot": text("snapshot"),
        "source": source,
        "as_at": as_at,
        "note": text("note"),
        "row": rownum,
    }


def parse_observations(text: str, file: str = "observations.csv", *, warnings: list[str] | None = None) -> pl.DataFrame:
    """Validate observations CSV text; ``file`` is used in messages.

    Rows are numbered as a spreadsheet shows them: the header is row 1. Warnings (columns
    that are not used) are appended to ``warnings`` when a list is given.
    """
    out = _Rows(file)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ObservationsError([CsvProblem(file, None, "", "", "the file is empty (it needs a header row: measure_id,period,value)")]) from None
    except csv.Error as exc:
        raise ObservationsError([CsvProblem(file, 1, "", "", f"cannot read the header: {exc}")]) from None
    names = [h.strip().lower() for h in header]
    for i, name in enumerate(names):
        if name in names[:i]:
            out.add(1, name, name, f"the column {name!r} appears twice")
    unknown = [n for n in names if n and n not in COLUMNS]
    for req in REQUIRED_COLUMNS:
        if req not in names:
            out.add(1, req, "", f"missing required column {req!r}{did_you_mean(req, unknown)}")
    out.raise_if_any()
    if warnings is not None:
        warnings += [f"{file}: column {n!r} is not used{did_you_mean(n, COLUMNS)}" for n in unknown]

    def numbered() -> Iterable[tuple[int, dict[str, str]]]:
        try:
            for rownum, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue  # blank lines are allowed
                if len(row) > len(names):
                    out.add(rownum, "", "", f"the row has {len(row)} cells but the header has {len(names)}")
                    continue
                # Text escaped against formula injection when written comes back unescaped.
                yield rownum, {names[i]: (unescape_text(row[i]) if i < len(row) else "") for i in range(len(names))}
        except csv.Error as exc:
            out.add(reader.line_num, "", "", f"the CSV cannot be read: {exc}")

    return _validate(numbered(), out)


def read_observations(path: str | Path, *, max_bytes: int = MAX_OBSERVATION_BYTES, warnings: list[str] | None = None) -> pl.DataFrame:
    """Read and validate an observations CSV (UTF-8 with or without BOM, or Windows-1252).

    Returns the frame described by :data:`SCHEMA`; raises :class:`ObservationsError` with
    every problem. Warnings are appended to ``warnings`` when a list is given.
    """
    path = Path(path)
    name = path.name
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise ObservationsError([CsvProblem(name, None, "", "", f"no such file: {path}")]) from None
    except IsADirectoryError:
        raise ObservationsError([CsvProblem(name, None, "", "", f"{path} is a folder, not a CSV file")]) from None
    except OSError as exc:
        raise ObservationsError([CsvProblem(name, None, "", "", f"cannot read the file: {exc.strerror or exc}")]) from None
    if len(data) > max_bytes:
        raise ObservationsError([CsvProblem(name, None, "", "", f"the file is larger than {max_bytes:,} bytes")])
    if b"\x00" in data[:8192]:
        raise ObservationsError([CsvProblem(name, None, "", "", "this is not a CSV text file (it contains binary data)")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="strict") if _is_cp1252(data) else ""
        if not text:
            raise ObservationsError([CsvProblem(name, None, "", "", "the file is neither UTF-8 nor Windows-1252 text")]) from None
    return parse_observations(text, name, warnings=warnings)


def _is_cp1252(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


#: Breakdown values that look like a child's record rather than a group of children.
RECORD_LIKE = (
    (r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}$", "a date (such as a date of birth)"),
    (r"^[A-Za-z]\d{11}[0-9A-Za-z]$", "a unique pupil number"),
    (r"^\d{3} ?\d{3} ?\d{4}$", "an NHS number"),
)


def breakdown_problems(
    frame: pl.DataFrame,
    *,
    file: str,
    dimensions: Iterable[str],
    identifiers: Iterable[str] = (),
) -> list[CsvProblem]:
    """Imported breakdowns must be known dimensions and groups, never a child's record.

    Figures are shown to aggregate-only readers (board, scrutiny), so a breakdown value that
    is a child's identifier (one of ``identifiers``, compared as loaders store them: trimmed,
    upper case), a date or a pupil or NHS number is refused, as is a breakdown the measure
    library does not know (a free-text "breakdown" could carry anything).
    """
    known = sorted(set(dimensions))
    ids = pl.Series("id", sorted({str(i).strip().upper() for i in identifiers}), dtype=pl.String)
    cells = frame.filter(pl.col("breakdown") != "")
    row = pl.col("row") if "row" in frame.columns else pl.lit(None, dtype=pl.Int64)
    value = pl.col("breakdown_value")
    found = cells.select(
        row.alias("row"),
        pl.col("breakdown"),
        value,
        pl.when(~pl.col("breakdown").is_in(known))
        .then(pl.lit("unknown"))
        .when(value.str.strip_chars().str.to_uppercase().is_in(ids.implode()))
        .then(pl.lit("a child's identifier"))
        .otherwise(
            pl.coalesce(
                [pl.when(value.str.contains(pattern)).then(pl.lit(what)) for pattern, what in RECORD_LIKE]
            )
        )
        .alias("why"),
    ).filter(pl.col("why").is_not_null())
    problems = []
    for number, breakdown, _cell, why in found.head(MAX_REPORTED).iter_rows():
        if why == "unknown":
            problems.append(
                CsvProblem(file, number, "breakdown", breakdown,
                           f"{breakdown!r} is not a breakdown of any measure; use one of "
                           + ", ".join(known))
            )
        else:
            problems.append(
                CsvProblem(file, number, "breakdown_value", "",
                           f"the value looks like {why}, not a group of children: breakdowns "
                           "are shown to board members, so child-level values are refused")
            )
    return problems
