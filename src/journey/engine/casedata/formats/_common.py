"""Pieces every statutory-format reader and writer shares.

* cleaning of the values councils' systems really produce (IDs as ``"123.0"``, stray
  spaces, lower-case codes, dates with a time part),
* the result of a read (:class:`FormatResult`) and conformance of mapped frames to the
  canonical schema,
* the stable identifiers generated for events the statutory returns do not identify
  (the same scheme in every format, so a referral read from a CIN census and from an
  Annex A workbook gets the same ``referral_id``),
* escaping of text cells against formula injection when writing CSV or Excel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from journey.engine.casedata.problems import ERROR, WARNING, Problem
from journey.engine.casedata.schema import (
    FLAG_COLUMN,
    SCHEMA,
    CaseData,
    Extract,
    empty_case_data,
)
from journey.engine.casedata.validation import FILE, ROW, SHEET, Source, date_hint

__all__ = [
    "ERROR",
    "LOCATION",
    "WARNING",
    "FormatResult",
    "Problem",
    "clean_code",
    "clean_child_id",
    "clean_text",
    "collect_tables",
    "conform",
    "duplicate_columns",
    "event_id",
    "parse_dates",
]

# --- cleaning -----------------------------------------------------------------------------


def clean_text(expr: pl.Expr) -> pl.Expr:
    """Trim spaces (including non-breaking ones); blank becomes null."""
    text = expr.cast(pl.String).str.replace_all("\u00a0", " ").str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _drop_float_suffix(expr: pl.Expr) -> pl.Expr:
    # Spreadsheets turn 123 into "123.0": take the suffix off whole numbers only.
    return expr.str.replace(r"^(\d+)\.0+$", "${1}")


def clean_child_id(expr: pl.Expr) -> pl.Expr:
    """A child's identifier as every loader stores it: trimmed, ``.0`` dropped, upper case.

    Upper case because the same child arrives as ``ab12`` in one file and ``AB12`` in
    another; identifiers differing only in case are treated as the same child.
    """
    return _drop_float_suffix(clean_text(expr)).str.to_uppercase()


def clean_other_id(expr: pl.Expr) -> pl.Expr:
    """Any other identifier (worker, URN): trimmed and ``.0`` dropped, case kept."""
    return _drop_float_suffix(clean_text(expr))


def clean_code(expr: pl.Expr) -> pl.Expr:
    """A code from a DfE code list: trimmed, upper case, ``"1.0"`` → ``"1"``."""
    return _drop_float_suffix(clean_text(expr)).str.to_uppercase()


_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")

#: Each accepted format's shape: a four-digit year is required, so "01/05/19" is refused
#: rather than read as the year 19.
_DATE_SHAPES = {
    "%d/%m/%Y": r"^\d{1,2}/\d{1,2}/\d{4}$",
    "%Y-%m-%d": r"^\d{4}-\d{1,2}-\d{1,2}$",
    "%d-%m-%Y": r"^\d{1,2}-\d{1,2}-\d{4}$",
    "%d.%m.%Y": r"^\d{1,2}\.\d{1,2}\.\d{4}$",
}


def _parse_date(expr: pl.Expr, formats: Iterable[str]) -> pl.Expr:
    # A date with a time part ("01/02/2020 00:00:00", "2020-02-01T00:00:00") keeps the date.
    text = clean_text(expr).str.replace(r"[T ].*$", "")
    return pl.coalesce(
        [
            pl.when(text.str.contains(_DATE_SHAPES[f])).then(text.str.to_date(f, strict=False))
            for f in formats
        ]
    )


def parse_dates(
    df: pl.DataFrame,
    columns: Iterable[str],
    *,
    file: str,
    sheet: str | None = None,
    row_column: str = "_row",
    formats: Iterable[str] = _DATE_FORMATS,
    expected: str = "a date (expected DD/MM/YYYY)",
    table: str | None = None,
) -> tuple[pl.DataFrame, list[Problem]]:
    """Parse text date columns in place; every value that is not a date is an error.

    The unreadable value is left blank in the result (so the rest of the row can still be
    checked) and reported as an error naming the file, row, column and value; any error
    blocks the load.
    """
    formats = tuple(formats)
    problems: list[Problem] = []
    present = [c for c in columns if c in df.columns]
    if not present:
        return df, problems
    parsed = df.with_columns(
        *[_parse_date(pl.col(c), formats).alias(f"__date_{c}") for c in present]
    )
    for c in present:
        if parsed.schema[c] == pl.Date:
            continue
        bad = parsed.filter(clean_text(pl.col(c)).is_not_null() & pl.col(f"__date_{c}").is_null())
        for row, value in bad.select(row_column, c).iter_rows():
            problems.append(
                Problem(
                    ERROR,
                    "unreadable_value",
                    f"{str(value)!r} is not {expected}{date_hint(str(value))}",
                    file=file,
                    sheet=sheet,
                    row=row,
                    column=c,
                    value=str(value),
                    table=table,
                )
            )
    parsed = parsed.with_columns(
        *[
            (pl.col(c) if parsed.schema[c] == pl.Date else pl.col(f"__date_{c}")).alias(c)
            for c in present
        ]
    ).drop([f"__date_{c}" for c in present])
    return parsed, problems


def duplicate_columns(
    header: Sequence[str | None],
    normalise: Callable[[str], str],
    *,
    file: str,
    sheet: str | None = None,
    row: int | None = 1,
    table: str | None = None,
    used: Callable[[str], bool] = lambda _name: True,
) -> list[Problem]:
    """An error for each column that repeats an earlier one, as written or once normalised.

    Reading on would keep one of the two silently (or fail inside the parser); the analyst
    needs to know which columns clash and where. ``used`` limits the check to the columns
    the reader takes (a repeated column it ignores anyway is harmless).
    """
    seen: dict[str, str] = {}
    problems: list[Problem] = []
    for position, label in enumerate(header, start=1):
        text = (label or "").strip()
        if not text:
            continue
        key = normalise(text)
        if key not in seen:
            seen[key] = text
            continue
        if not used(key):
            continue
        how = "repeats" if seen[key] == text else f"is the same column as {seen[key]!r} (both read as {key})"
        problems.append(
            Problem(
                ERROR,
                "duplicate_column",
                f"column {text!r} (column {position} of the header) {how}: "
                + ("the column appears twice" if seen[key] == text else "keep one of them")
                + "; remove or rename one so that each column appears once",
                file=file,
                sheet=sheet,
                row=row,
                column=text,
                table=table,
            )
        )
    return problems


# --- identifiers --------------------------------------------------------------------------


def event_id(child: pl.Expr, letter: str, day: pl.Expr) -> pl.Expr:
    """``<child>-<letter><YYYYMMDD>``: the identifier of an event the return does not identify.

    ``R`` referral, ``A`` assessment, ``S`` section 47, ``P`` child protection plan,
    ``N`` child in need plan, ``C`` contact, ``E`` early help, ``V`` visit.
    """
    return pl.concat_str([child, pl.lit(f"-{letter}"), day.dt.strftime("%Y%m%d")])


def dedupe_ids(df: pl.DataFrame, id_column: str) -> pl.DataFrame:
    """Make generated identifiers unique: the second event with the same id gets ``-2``, …"""
    n = pl.int_range(pl.len()).over(id_column)
    return df.with_columns(
        pl.when(n == 0)
        .then(pl.col(id_column))
        .otherwise(pl.concat_str([pl.col(id_column), pl.lit("-"), (n + 1).cast(pl.String)]))
        .alias(id_column)
    )


# --- results ------------------------------------------------------------------------------


#: Location columns (file, sheet, row) carried beside a mapped table so that the shared
#: validation names the row of the statutory file a warning is about.
LOCATION = (FILE, SHEET, ROW)


def conform(df: pl.DataFrame, table: str, *, location: bool = False) -> pl.DataFrame:
    """The frame with exactly the canonical table's columns, in order and with its types.

    With ``location`` the file, sheet and row columns follow (blank where unknown).
    """
    schema = dict(SCHEMA[table].polars_schema.items())
    if location:
        schema.update({FILE: pl.String(), SHEET: pl.String(), ROW: pl.Int64()})
    return df.select(
        [
            (pl.col(name) if name in df.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )


@dataclass
class FormatResult:
    """What a statutory-format reader produced.

    ``tables`` holds only the canonical tables the format fills, each with the canonical
    columns followed by the location columns (``_file``, ``_sheet``, ``_row``) that
    :func:`journey.engine.casedata.validation.validate` uses to name the statutory file's
    row in a warning. :meth:`case_data` gives the full extract without them. ``notes`` say,
    in words, what was read but not used and which assumptions were made.
    """

    format: str
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    as_at: date | None = None
    #: Per table, how the format heads each canonical column (for naming it in warnings).
    sources: dict[str, Source] = field(default_factory=dict)
    #: The council the files say they are from (e.g. the CIN census header's LEA).
    la_code: str | None = None

    def warn(
        self, code: str, text: str, *, file: str | None = None, sheet: str | None = None
    ) -> None:
        """Record something the analyst should know (a note and a warning)."""
        self.notes.append(f"{file}: {text}" if file else text)
        self.problems.append(Problem(WARNING, code, text, file=file, sheet=sheet))

    def not_used(self, text: str, *, file: str | None = None, sheet: str | None = None) -> None:
        """Record data that was read but has no canonical home."""
        self.warn("not_used", text, file=file, sheet=sheet)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def case_data(self) -> CaseData:
        data = empty_case_data()
        for name, frame in self.tables.items():
            data[name] = conform(frame, name).with_columns(pl.lit(False).alias(FLAG_COLUMN)).lazy()
        return data

    def extract(self, snapshot: str | None = None) -> Extract:
        return Extract(self.case_data(), as_at=self.as_at, snapshot=snapshot, la_code=self.la_code)


TableSource = Extract | Mapping[str, pl.LazyFrame | pl.DataFrame]


def collect_tables(source: TableSource) -> dict[str, pl.DataFrame]:
    """Every canonical table as an eager frame with canonical columns (missing → empty)."""
    tables: Mapping[str, Any] = source.tables if isinstance(source, Extract) else source
    out: dict[str, pl.DataFrame] = {}
    for name in SCHEMA:
        frame = tables.get(name)
        if frame is None:
            out[name] = SCHEMA[name].empty()
            continue
        if isinstance(frame, pl.LazyFrame):
            frame = frame.collect()
        out[name] = conform(frame, name)
    return out

