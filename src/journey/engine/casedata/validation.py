"""Parsing and validating canonical tables, generically from the schema's metadata.

Two steps, used by every reader (canonical CSV/XLSX and the statutory formats):

1. :func:`parse_table` turns a table of text values (as read from a file, columns already
   named canonically) into typed columns. A value that cannot be read as its type — a date
   that is not a date, a number that is not a number, an ID mangled by Excel — is an
   **error**, and so are a missing required column and a blank required value.
2. :func:`validate` applies the business rules to typed tables, as warnings: codes outside
   the list, ends before starts, events before birth or after the extract date, unknown
   references, repeated keys, overlapping looked-after episodes, an X1 episode end with no
   episode starting that day, an end date without its reason (or the reverse), an unborn
   child looked after or long overdue. Warnings flag the rows; the data still loads.

A child protection plan for a child with no referral in the extract is deliberately *not*
a problem: extracts cover a window and the referral may predate it.

Frames may carry location columns (:data:`FILE`, :data:`SHEET`, :data:`ROW`) so that each
problem names the file, sheet and row the analyst will open; they are dropped from the
result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from journey.engine.casedata.dfe_rules import YEAR as RETURN_YEAR
from journey.engine.casedata.dfe_rules import DfeRule, failing_rows
from journey.engine.casedata.problems import ERROR, WARNING, Problem, Severity
from journey.engine.casedata.schema import FLAG_COLUMN, SCHEMA, CaseData, Column, Table
from journey.engine.spreadsheet import unescape_expr

FILE = "_file"
SHEET = "_sheet"
ROW = "_row"
LOCATION_COLUMNS = (FILE, SHEET, ROW)
_INDEX = "_i"

DATE_FORMATS = "YYYY-MM-DD or DD/MM/YYYY"
TRUE_WORDS = ("y", "yes", "true", "1")
FALSE_WORDS = ("n", "no", "false", "0")


_ISO = r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
_UK = r"^\d{1,2}/\d{1,2}/\d{4}$"
_WHOLE_NUMBER_ID = r"^(\d+)\.0+$"
_SCIENTIFIC = r"^\d+(?:\.\d+)?[eE][+-]?\d+$"
_THOUSANDS = r"^\d{1,3}(?:,\d{3})+(?:\.0+)?$"


@dataclass(frozen=True)
class Source:
    """Where a table's rows came from, for naming them in problems."""

    file: str | None = None
    sheet: str | None = None
    #: Canonical column name → the header as written in the file, where they differ.
    columns: Mapping[str, str] = field(default_factory=dict)
    #: The row holding the headers (1 for a CSV file), named when a column is missing.
    header_row: int | None = None

    def label(self, column: str) -> str:
        return self.columns.get(column, column)


def normalise_header(text: str) -> str:
    """``" Referral Date"`` → ``referral_date``: case, spaces, hyphens and underscores ignored."""
    lowered = text.replace("\ufeff", "").replace("\u00a0", " ").strip().lower()
    return re.sub(r"[^0-9a-z]+", "_", lowered).strip("_")


def is_identifier(column: Column) -> bool:
    """Identifier columns get ``"123.0"`` → ``"123"`` and are refused in scientific notation."""
    return (
        column.dtype == pl.String()
        and column.codes is None
        and (column.name.endswith("_id") or column.name in {"upn", "placement_urn"})
    )


def _texts(frame: pl.LazyFrame, names: list[str]) -> pl.LazyFrame:
    """Each column as trimmed text, blank as null, with the export's formula escape removed.

    In three steps, each working on the previous step's column: as one expression Polars
    would trim every value once for each time the expression names it."""
    trimmed = frame.with_columns(pl.col(c).cast(pl.String).str.strip_chars() for c in names)
    unescaped = trimmed.with_columns(unescape_expr(pl.col(c)).alias(c) for c in names)
    return unescaped.with_columns(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in names
    )


def _code(value: pl.Expr, codes: Mapping[str, str]) -> pl.Expr:
    """A code matched without regard to case is written as the list writes it (``u1`` → ``U1``)."""
    by_upper = {code.upper(): code for code in codes}
    return pl.coalesce(
        value.str.to_uppercase().replace_strict(by_upper, default=None, return_dtype=pl.String),
        value,
    )


def _whole(value: pl.Expr) -> pl.Expr:
    """``"123.0"`` → ``"123"``: spreadsheets write whole numbers with a decimal point."""
    return (
        pl.when(value.str.contains(_WHOLE_NUMBER_ID))
        .then(value.str.extract(_WHOLE_NUMBER_ID, 1))
        .otherwise(value)
    )


def _date(value: pl.Expr) -> pl.Expr:
    iso = pl.when(value.str.contains(_ISO)).then(
        value.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    )
    uk = pl.when(value.str.contains(_UK)).then(
        value.str.strptime(pl.Date, "%d/%m/%Y", strict=False)
    )
    return pl.coalesce(iso, uk)


def _boolean(value: pl.Expr) -> pl.Expr:
    lowered = value.str.to_lowercase()
    return (
        pl.when(lowered.is_in(TRUE_WORDS))
        .then(pl.lit(True))
        .when(lowered.is_in(FALSE_WORDS))
        .then(pl.lit(False))
        .otherwise(pl.lit(None, dtype=pl.Boolean))
    )


def _parsed(column: Column) -> tuple[pl.Expr, pl.Expr | None]:
    """The typed value from the cleaned text, and when the text is unreadable as that type
    (None when any text will do)."""
    text = pl.col(column.name)
    if column.dtype == pl.Date():
        return _date(text), None
    if column.dtype == pl.Boolean():
        return _boolean(text), None
    if column.dtype == pl.Int64():
        # "12,345": Excel's thousands separator, exported as formatted. Only whole numbers
        # in groups of three (a decimal comma, "1,5", stays unreadable).
        grouped = pl.when(text.str.contains(_THOUSANDS)).then(text.str.replace_all(",", "")).otherwise(text)
        return _whole(grouped).cast(pl.Int64, strict=False), None
    if column.dtype == pl.Float64():
        return text.cast(pl.Float64, strict=False), None
    if column.codes is not None:
        return _code(text, column.codes), None
    if is_identifier(column):
        # A child's ID is also upper-cased, as every statutory-format reader does, because
        # the same child arrives as ``ab12`` in one file and ``AB12`` in another.
        whole = _whole(text)
        value = whole.str.to_uppercase() if column.name == "child_id" else whole
        return value, text.str.contains(f"{_SCIENTIFIC}|\\s")
    return text, None


#: Excel's serial day numbers for 1927-10-16 to 2173-10-14: a date column exported as numbers.
_EXCEL_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
#: Month first, then a day above 12: only readable as month/day/year (US order).
_MONTH_FIRST = re.compile(r"^(0?[1-9]|1[0-2])[/.-](1[3-9]|2\d|3[01])[/.-](\d{2}|\d{4})(?:[ T].*)?$")
#: A two-digit year: the century is a guess, so it is never read.
_SHORT_YEAR = re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2}(?:[ T].*)?$")


def date_hint(value: str) -> str:
    """What to do about a value that is not a date, when its shape says why (else "")."""
    text = value.strip()
    if _EXCEL_SERIAL.match(text):
        return (
            ": it looks like an Excel date serial number (the column was exported as numbers); "
            "format the column as a date (DD/MM/YYYY) and export again"
        )
    if _MONTH_FIRST.match(text):
        return (
            ": it reads only as month/day/year (US order); export the dates day first "
            "(DD/MM/YYYY), since other dates in the column with a day of 12 or less would be "
            "read the wrong way round"
        )
    if _SHORT_YEAR.match(text):
        return ": the year has two digits; export the dates with four-digit years (DD/MM/YYYY)"
    return ""


def _unreadable_message(column: Column, value: str) -> str:
    if column.dtype == pl.Date():
        return f"{value!r} is not a date (expected {DATE_FORMATS}){date_hint(value)}"
    if column.dtype == pl.Boolean():
        return f"{value!r} is not yes or no (expected Y/N, yes/no, true/false or 1/0)"
    if column.dtype == pl.Int64():
        return f"{value!r} is not a whole number"
    if column.dtype == pl.Float64():
        return f"{value!r} is not a number"
    if re.match(_SCIENTIFIC, value):
        return (
            f"{value!r} is an identifier in scientific notation (a spreadsheet has shortened "
            "it and the digits are lost): format the column as text and export again"
        )
    return f"{value!r} is not an identifier (it contains spaces or control characters)"


def parse_table(
    table_name: str | Table, raw: pl.DataFrame, source: Source | None = None
) -> tuple[pl.DataFrame, list[Problem]]:
    """Type a table of text values; unreadable values and missing required columns are errors.

    ``raw`` has canonical column names (any subset; absent optional columns become blank)
    and may carry :data:`ROW`. The result has the table's schema plus the location columns.
    A reader may pass its own :class:`Table` (the SSD reader types each SSD table before
    mapping it) to get the same typing and messages.
    """
    source = source or Source()
    table = table_name if isinstance(table_name, Table) else SCHEMA[table_name]
    table_name = table.name
    problems: list[Problem] = []
    for name in table.required_columns:
        if name not in raw.columns:
            problems.append(
                Problem(
                    ERROR,
                    "missing_column",
                    f"required column {source.label(name)} is missing",
                    file=source.file,
                    sheet=source.sheet,
                    row=source.header_row,
                    column=source.label(name),
                    table=table_name,
                )
            )
    if problems:
        return _with_location(table.empty(), source), problems

    frame = raw.with_columns(
        [pl.lit(None, dtype=pl.String).alias(c) for c in table.column_names if c not in raw.columns]
    )
    if ROW not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Int64).alias(ROW))
    texts = _texts(
        frame.lazy().select(*table.column_names, pl.col(ROW).cast(pl.Int64)), table.column_names
    )
    typed: list[pl.Expr] = []
    checks: list[pl.Expr] = []
    for column in table.columns:
        value, unreadable = _parsed(column)
        typed.append(value.cast(column.dtype).alias(f"_typed_{column.name}"))
        if unreadable is not None:
            checks.append(
                (pl.col(column.name).is_not_null() & unreadable).alias(f"_bad_{column.name}")
            )
        elif column.dtype != pl.String():
            checks.append(
                (
                    pl.col(column.name).is_not_null() & pl.col(f"_typed_{column.name}").is_null()
                ).alias(f"_bad_{column.name}")
            )
    parsed = (
        texts.with_columns(typed)
        .with_columns(checks)
        .rename({c: f"_text_{c}" for c in table.column_names})
        .rename({f"_typed_{c}": c for c in table.column_names})
        .collect()
    )
    # How many rows each check finds, in one pass; rows are picked out only where some are.
    counted = [
        pl.col(f"_text_{c.name}").is_null().sum().alias(f"_blank_{c.name}")
        for c in table.columns
        if c.required
    ] + [pl.col(f"_bad_{c.name}").sum().alias(f"_bad_{c.name}") for c in table.columns if f"_bad_{c.name}" in parsed.columns]
    counts = parsed.select(counted).row(0, named=True) if counted else {}
    for column in table.columns:
        if counts.get(f"_blank_{column.name}"):
            blank_rows = parsed.select(ROW, f"_text_{column.name}").filter(
                pl.col(f"_text_{column.name}").is_null()
            )
            blank = blank_rows[ROW].head(PROBLEMS_LISTED)
            problems += [
                Problem(
                    ERROR,
                    "required_blank",
                    f"{source.label(column.name)} is blank but every row needs one",
                    file=source.file,
                    sheet=source.sheet,
                    row=row,
                    column=source.label(column.name),
                    table=table_name,
                )
                for row in blank
            ]
            problems += _more(
                blank_rows.height, ERROR, "required_blank", source, column, table_name
            )
        flag = f"_bad_{column.name}"
        if not counts.get(flag):
            continue
        bad = parsed.select(ROW, f"_text_{column.name}", flag).filter(pl.col(flag)).drop(flag)
        problems += _more(bad.height, ERROR, "unreadable_value", source, column, table_name)
        for row, value in bad.head(PROBLEMS_LISTED).iter_rows():
            problems.append(
                Problem(
                    ERROR,
                    "unreadable_value",
                    _unreadable_message(column, value),
                    file=source.file,
                    sheet=source.sheet,
                    row=row,
                    column=source.label(column.name),
                    value=value,
                    table=table_name,
                )
            )
    result = parsed.select(table.column_names + [ROW])
    return _with_location(result, source), problems


#: Problems listed one by one per rule and column; beyond this one line says how many more.
#: Every affected row is still flagged (or still blocks the load).
PROBLEMS_LISTED = 1000


def _more(
    count: int, severity: Severity, code: str, source: Source, column: Column | str, table: str
) -> list[Problem]:
    if count <= PROBLEMS_LISTED:
        return []
    name = column if isinstance(column, str) else column.name
    return [
        Problem(
            severity,
            code,
            f"... and {count - PROBLEMS_LISTED:,} more rows with this problem "
            f"(the first {PROBLEMS_LISTED:,} are listed)",
            file=source.file,
            sheet=source.sheet,
            column=source.label(name),
            table=table,
        )
    ]


def _with_location(frame: pl.DataFrame, source: Source) -> pl.DataFrame:
    if ROW not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Int64).alias(ROW))
    return frame.with_columns(
        pl.lit(source.file, dtype=pl.String).alias(FILE),
        pl.lit(source.sheet, dtype=pl.String).alias(SHEET),
    ).select([*[c for c in frame.columns if c not in LOCATION_COLUMNS], FILE, SHEET, ROW])


# --- business rules ---------------------------------------------------------------------


def _as_text(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).fill_null("blank")


def _quoted(expr: pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit("'"), expr.cast(pl.String), pl.lit("'")])


def code_list_text(codes: Mapping[str, str]) -> str:
    """``A3, A4, ..., Z1`` for long lists, every code for short ones."""
    keys = list(codes)
    if len(keys) <= 8:
        return ", ".join(keys)
    return f"{keys[0]}, {keys[1]}, ..., {keys[-1]}"


def _found(
    frame: pl.LazyFrame,
    condition: pl.Expr,
    code: str,
    column: str,
    value: pl.Expr,
    message: pl.Expr,
    severity: Severity = WARNING,
) -> pl.LazyFrame:
    return frame.filter(condition).select(
        _INDEX,
        FILE,
        SHEET,
        ROW,
        pl.lit(code).alias("code"),
        pl.lit(severity).alias("severity"),
        pl.lit(column).alias("column"),
        value.cast(pl.String).alias("value"),
        message.alias("message"),
    )


def _column_rules(
    table: Table, frame: pl.LazyFrame, as_at: date, source: Source
) -> list[pl.LazyFrame]:
    found = []
    for column in table.columns:
        name = column.name
        value = pl.col(name)
        if column.codes is not None:
            label = name.replace("_", " ")
            article = "an" if label[0] in "aeiou" else "a"
            found.append(
                _found(
                    frame,
                    value.is_not_null() & ~value.is_in(list(column.codes)),
                    "unknown_code",
                    name,
                    value,
                    pl.concat_str(
                        [
                            _quoted(value),
                            pl.lit(
                                f" is not {article} {label} code ({code_list_text(column.codes)})"
                            ),
                        ]
                    ),
                )
            )
        if column.event_date:
            found.append(
                _found(
                    frame,
                    value > pl.lit(as_at),
                    "after_extract_date",
                    name,
                    value,
                    pl.concat_str(
                        [
                            pl.lit(f"{source.label(name)} "),
                            _as_text(value),
                            pl.lit(f" is after the extract date {as_at.isoformat()}"),
                        ]
                    ),
                )
            )
    for start, end in table.date_order:
        found.append(
            _found(
                frame,
                pl.col(end) < pl.col(start),
                "end_before_start",
                end,
                pl.col(end),
                pl.concat_str(
                    [
                        pl.lit(f"{source.label(end)} "),
                        _as_text(pl.col(end)),
                        pl.lit(f" is before {source.label(start)} "),
                        _as_text(pl.col(start)),
                    ]
                ),
            )
        )
    return found


#: An identifier a spreadsheet's summary line puts in the first column: "Total", "Totals:",
#: "Grand total", "TOTAL (35)".
_TOTALS = r"(?i)^(?:grand\s+|sub\s*-?\s*)?totals?\b"


def _totals_rows(table: Table, frame: pl.LazyFrame, source: Source) -> list[pl.LazyFrame]:
    """A totals line left below the records: its "Total" would be read as a child (or a
    referral, a worker) and its counts as codes or dates, so it is an error to delete."""
    return [
        _found(
            frame,
            pl.col(column.name).str.contains(_TOTALS),
            "totals_row",
            column.name,
            pl.col(column.name),
            pl.concat_str(
                [
                    pl.lit("this looks like a totals row ("),
                    _quoted(pl.col(column.name)),
                    pl.lit(
                        f" in {source.label(column.name)}), not a record: delete the totals and "
                        "any other summary lines below the data and export again"
                    ),
                ]
            ),
            ERROR,
        )
        for column in table.columns
        if is_identifier(column) and column.name in table.key
    ]


def _births(children: pl.LazyFrame) -> pl.LazyFrame:
    """Each child's date of birth and whether unborn (the first row of a repeated child)."""
    return (
        children.select("child_id", "date_of_birth", "unborn")
        .unique("child_id", keep="first", maintain_order=True)
        .collect()
        .lazy()
    )


def _birth_rules(
    table: Table, frame: pl.LazyFrame, births: pl.LazyFrame, source: Source
) -> list[pl.LazyFrame]:
    """Events before the child's birth, except for unborn children (pre-birth work is normal)."""
    events = [c.name for c in table.columns if c.event_date]
    if table.name == "children" or "child_id" not in table.column_names or not events:
        return []
    # Only rows of a known child can be before its birth: an inner join.
    joined = frame.select(_INDEX, FILE, SHEET, ROW, "child_id", *events).join(
        births, on="child_id", how="inner", maintain_order="left"
    )
    born = pl.col("unborn").fill_null(False).not_()
    return [
        _found(
            joined,
            born & (pl.col(name) < pl.col("date_of_birth")),
            "before_birth",
            name,
            pl.col(name),
            pl.concat_str(
                [
                    pl.lit(f"{source.label(name)} "),
                    _as_text(pl.col(name)),
                    pl.lit(" is before the child's date of birth "),
                    _as_text(pl.col("date_of_birth")),
                ]
            ),
        )
        for name in events
    ]


def _reference_rules(
    table: Table, frame: pl.LazyFrame, tables: Mapping[str, pl.LazyFrame], counts: Mapping[str, int]
) -> tuple[list[pl.LazyFrame], list[Problem]]:
    found, unchecked = [], []
    for column in table.columns:
        if column.references is None:
            continue
        target_table, target_column = column.references.split(".")
        if counts[target_table] == 0:
            if frame.select(pl.col(column.name).is_not_null().any()).collect().item():
                unchecked.append(
                    Problem(
                        WARNING,
                        "reference_not_checked",
                        f"{column.name} values were not checked: the extract has no "
                        f"{target_table} table",
                        column=column.name,
                        table=table.name,
                    )
                )
            continue
        known = tables[target_table].select(pl.col(target_column).alias("_known")).unique()
        unknown = frame.join(
            known, left_on=column.name, right_on="_known", how="anti", maintain_order="left"
        )
        found.append(
            _found(
                unknown,
                pl.col(column.name).is_not_null(),
                "unknown_reference",
                column.name,
                pl.col(column.name),
                pl.concat_str(
                    [
                        _quoted(pl.col(column.name)),
                        pl.lit(f" is not a {target_column} in the {target_table} table"),
                    ]
                ),
            )
        )
    return found, unchecked


def _duplicate_keys(table: Table, frame: pl.LazyFrame, source: Source) -> list[pl.LazyFrame]:
    key = list(table.key)
    # Only rows whose key is repeated are grouped: usually none.
    repeated = frame.filter(pl.all_horizontal([pl.col(k).is_not_null() for k in key])).filter(
        (pl.col(key[0]) if len(key) == 1 else pl.struct(key)).is_duplicated()
    )
    # A child given twice with two dates of birth: the first row's is the one every figure
    # uses (measures take a child's first row), so the warning says which and what differs.
    dob = "date_of_birth" if table.name == "children" else None
    first = repeated.group_by(key, maintain_order=True).agg(
        pl.col(_INDEX).min().alias("_first_i"),
        pl.col(ROW).first().alias("_first_row"),
        *([pl.col(dob).first().alias("_first_dob")] if dob else []),
    )
    joined = repeated.join(first, on=key, how="inner", maintain_order="left")
    described = pl.concat_str(
        [
            pl.concat_str(
                [
                    pl.lit(f"{source.label(k)} "),
                    _quoted(pl.col(k))
                    if table.column(k).dtype == pl.String()
                    else _as_text(pl.col(k)),
                ]
            )
            for k in key
        ],
        separator=", ",
    )
    earlier = (
        pl.when(pl.col("_first_row").is_not_null())
        .then(pl.concat_str([pl.lit("row "), pl.col("_first_row").cast(pl.String)]))
        .otherwise(pl.lit("an earlier row"))
    )
    return [
        _found(
            joined,
            pl.col(_INDEX) != pl.col("_first_i"),
            "duplicate_key",
            key[-1],
            described,
            pl.concat_str(
                [pl.lit("repeats the key ("), described, pl.lit(") of "), earlier]
                + ([_other_birth(dob, source, earlier)] if dob else [])
            ),
        )
    ]


def _other_birth(dob: str, source: Source, earlier: pl.Expr) -> pl.Expr:
    """`` with a different date_of_birth (...)`` when a repeated child's differs, else ""."""
    label = source.label(dob)
    return (
        pl.when(
            pl.col(dob).is_not_null()
            & pl.col("_first_dob").is_not_null()
            & (pl.col(dob) != pl.col("_first_dob"))
        )
        .then(
            pl.concat_str(
                [
                    pl.lit(f" with a different {label} ("),
                    _as_text(pl.col(dob)),
                    pl.lit(", not "),
                    _as_text(pl.col("_first_dob")),
                    pl.lit("): the one on "),
                    earlier,
                    pl.lit(" is used; correct the record that is wrong and give the child once"),
                ]
            )
        )
        .otherwise(pl.lit(""))
    )


#: Per table, (date, reason) columns that are given together or not at all (DfE: a ceased
#: episode has a reason; a closed CIN episode has a reason for closure).
ENDED_WITH_REASON: dict[str, tuple[str, str]] = {
    "cla_episodes": ("episode_end", "reason_ceased"),
    "referrals": ("closure_date", "closure_reason"),
}


def _end_and_reason(
    frame: pl.LazyFrame, end: str, reason: str, source: Source
) -> list[pl.LazyFrame]:
    return [
        _found(
            frame,
            pl.col(end).is_not_null() & pl.col(reason).is_null(),
            "end_without_reason",
            reason,
            pl.col(end),
            pl.concat_str(
                [
                    pl.lit(f"{source.label(end)} "),
                    _as_text(pl.col(end)),
                    pl.lit(f" is given but {source.label(reason)} is blank"),
                ]
            ),
        ),
        _found(
            frame,
            pl.col(reason).is_not_null() & pl.col(end).is_null(),
            "reason_without_end",
            end,
            pl.col(reason),
            pl.concat_str(
                [
                    pl.lit(f"{source.label(reason)} "),
                    _quoted(pl.col(reason)),
                    pl.lit(f" is given but {source.label(end)} is blank"),
                ]
            ),
        ),
    ]


def _x1_continues(frame: pl.LazyFrame) -> pl.LazyFrame:
    """An episode ceasing X1 ("a new episode begins on the same day") must be followed by one."""
    ordered = frame.sort("child_id", "episode_start", _INDEX).with_columns(
        pl.col("episode_start").shift(-1).over("child_id").alias("_next_start")
    )
    # An X1 episode followed by an overlapping one, or ending before it starts, is already
    # reported by those rules: only a gap, or no later episode, is reported here.
    ended = pl.col("episode_end").is_not_null() & (pl.col("episode_end") >= pl.col("episode_start"))
    gap = pl.col("_next_start").is_null() | (pl.col("_next_start") > pl.col("episode_end"))
    broken = (pl.col("reason_ceased") == "X1") & ended & gap
    return _found(
        ordered,
        broken,
        "x1_without_next_episode",
        "reason_ceased",
        pl.col("reason_ceased"),
        pl.concat_str(
            [
                pl.lit("the episode ended "),
                _as_text(pl.col("episode_end")),
                pl.lit(" with X1 (a new episode starts the same day) but "),
                pl.when(pl.col("_next_start").is_null())
                .then(pl.lit("the child has no later episode"))
                .otherwise(
                    pl.concat_str(
                        [
                            pl.lit("the child's next episode starts "),
                            _as_text(pl.col("_next_start")),
                        ]
                    )
                ),
            ]
        ),
    )


def _cla_overlaps(frame: pl.LazyFrame) -> pl.LazyFrame:
    """An episode starting before the same child's previous episode ended (or while it is open)."""
    ordered = frame.sort("child_id", "episode_start", _INDEX).with_columns(
        pl.col("episode_start").shift(1).over("child_id").alias("_prev_start"),
        pl.col("episode_end").shift(1).over("child_id").alias("_prev_end"),
    )
    overlaps = pl.col("_prev_start").is_not_null() & (
        pl.col("_prev_end").is_null() | (pl.col("episode_start") < pl.col("_prev_end"))
    )
    previous = (
        pl.when(pl.col("_prev_end").is_null())
        .then(
            pl.concat_str(
                [pl.lit("started "), _as_text(pl.col("_prev_start")), pl.lit(", still open")]
            )
        )
        .otherwise(
            pl.concat_str(
                [_as_text(pl.col("_prev_start")), pl.lit(" to "), _as_text(pl.col("_prev_end"))]
            )
        )
    )
    return _found(
        ordered,
        overlaps,
        "overlapping_episodes",
        "episode_start",
        pl.col("episode_start"),
        pl.concat_str(
            [
                pl.lit("episode starting "),
                _as_text(pl.col("episode_start")),
                pl.lit(" overlaps the child's previous episode ("),
                previous,
                pl.lit(")"),
            ]
        ),
    )


def _unborn_rules(frames: Mapping[str, pl.LazyFrame], as_at: date) -> dict[str, list[pl.LazyFrame]]:
    children = frames["children"]
    unborn = pl.col("unborn").fill_null(False)
    overdue = _found(
        children,
        unborn & (pl.col("date_of_birth") < pl.lit(as_at)),
        "unborn_overdue",
        "unborn",
        pl.col("date_of_birth"),
        pl.concat_str(
            [
                pl.lit("the child is recorded as unborn but the expected date of birth "),
                _as_text(pl.col("date_of_birth")),
                pl.lit(f" is before the extract date {as_at.isoformat()}"),
            ]
        ),
    )
    unborn_ids = children.filter(unborn).select("child_id").unique()
    looked_after = _found(
        frames["cla_episodes"].join(unborn_ids, on="child_id", how="semi", maintain_order="left"),
        pl.lit(True),
        "unborn_looked_after",
        "child_id",
        pl.col("child_id"),
        pl.concat_str(
            [
                pl.lit("child "),
                _quoted(pl.col("child_id")),
                pl.lit(" is recorded as unborn but has a looked-after episode"),
            ]
        ),
    )
    return {"children": [overdue], "cla_episodes": [looked_after]}


def _prepared(table: Table, frame: pl.DataFrame | pl.LazyFrame | None) -> pl.LazyFrame:
    lazy = (frame if frame is not None else table.empty()).lazy()
    names = lazy.collect_schema().names()
    missing = [
        pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in [
            (FILE, pl.String()),
            (SHEET, pl.String()),
            (ROW, pl.Int64()),
            (RETURN_YEAR, pl.Int64()),
        ]
        if name not in names
    ]
    types: dict[Any, Any] = {c.name: c.dtype for c in table.columns} | {RETURN_YEAR: pl.Int64()}
    return (
        lazy.with_columns(missing)
        .select([*table.column_names, FILE, SHEET, ROW, RETURN_YEAR])
        .cast(types)
        .with_row_index(_INDEX)
    )


def _dfe_found(rule: DfeRule, failing: pl.LazyFrame, source: Source) -> pl.LazyFrame:
    """A DfE rule's failing rows as problems: DfE's code and message, the row's place."""
    return failing.select(
        _INDEX,
        FILE,
        SHEET,
        ROW,
        pl.lit(rule.problem_code).alias("code"),
        pl.lit(WARNING).alias("severity"),
        pl.lit(rule.column).alias("column"),
        pl.col(rule.column).cast(pl.String).alias("value"),
        pl.lit(f"DfE {rule.collection} rule {rule.code}: {rule.message}").alias("message"),
    )


def validate(
    tables: Mapping[str, pl.DataFrame | pl.LazyFrame],
    *,
    as_at: date | None = None,
    sources: Mapping[str, Source] | None = None,
    dfe_rules: bool = True,
) -> tuple[CaseData, list[Problem]]:
    """Apply every business rule; return all tables (flagged, lazy) and the problems found.

    ``tables`` holds typed canonical tables (any subset) with optional location columns.
    Events are checked against ``as_at`` (today when the extract's date is not known).
    ``dfe_rules`` adds DfE's validation rules (:mod:`journey.engine.casedata.dfe_rules`).
    """
    unknown = sorted(set(tables) - set(SCHEMA))
    if unknown:
        raise KeyError(f"not canonical tables: {', '.join(unknown)}")
    sources = sources or {}
    as_at = as_at or date.today()
    frames = {
        name: _prepared(table, tables.get(name)).collect().lazy() for name, table in SCHEMA.items()
    }
    counts = {name: frame.select(pl.len()).collect().item() for name, frame in frames.items()}
    unborn_found = _unborn_rules(frames, as_at)
    dfe_found: dict[str, list[tuple[DfeRule, pl.LazyFrame]]] = {}
    for rule, failing in (failing_rows(frames) if dfe_rules else {}).items():
        if rule.table is not None and counts[rule.table]:
            dfe_found.setdefault(rule.table, []).append((rule, failing))
    births = _births(frames["children"])

    problems: list[Problem] = []
    result: CaseData = {}
    for name, table in SCHEMA.items():
        frame = frames[name]
        if counts[name] == 0:
            result[name] = frame.select(table.column_names).with_columns(
                pl.lit(False).alias(FLAG_COLUMN)
            )
            continue
        source = sources.get(name, Source())
        found = _totals_rows(table, frame, source)
        found += _column_rules(table, frame, as_at, source)
        found += _birth_rules(table, frame, births, source)
        references, unchecked = _reference_rules(table, frame, frames, counts)
        found += references
        found += _duplicate_keys(table, frame, source)
        if name in ENDED_WITH_REASON:
            found += _end_and_reason(frame, *ENDED_WITH_REASON[name], source)
        if name == "cla_episodes":
            found.append(_cla_overlaps(frame))
            found.append(_x1_continues(frame))
        found += unborn_found.get(name, [])
        found += [_dfe_found(rule, failing, source) for rule, failing in dfe_found.get(name, [])]
        problems += unchecked
        everything = (
            pl.concat(found)
            .sort(_INDEX, maintain_order=True)
            .with_columns(pl.int_range(pl.len()).over("code", "column").alias("_nth"))
            .collect()
        )
        overflow = everything.filter(pl.col("_nth") == PROBLEMS_LISTED)
        for code, column, file, sheet in overflow.select("code", "column", FILE, SHEET).iter_rows():
            count = everything.filter(
                (pl.col("code") == code) & (pl.col("column") == column)
            ).height
            located = Source(file or source.file, sheet or source.sheet, source.columns)
            problems += _more(count, WARNING, code, located, column, name)
        for row in everything.filter(pl.col("_nth") < PROBLEMS_LISTED).iter_rows(named=True):
            problems.append(
                Problem(
                    row["severity"],
                    row["code"],
                    row["message"],
                    file=row[FILE] or source.file,
                    sheet=row[SHEET] or source.sheet,
                    row=row[ROW],
                    column=source.label(row["column"]),
                    value=row["value"],
                    table=name,
                )
            )
        flagged = (
            everything.filter(pl.col("severity") == WARNING)[_INDEX].unique()
            if found
            else pl.Series(_INDEX, [], dtype=pl.UInt32)
        )
        result[name] = (
            frame.select(
                *table.column_names, pl.col(_INDEX).is_in(flagged.implode()).alias(FLAG_COLUMN)
            )
            .collect()
            .lazy()
        )
    return result, problems
