"""The product's own extract format: one CSV per table, or one workbook with a sheet per table.

Reading (see docs/data-format.md for the analyst's version):

* files named ``<table>.csv`` (any subset; a missing table is empty), or one ``.xlsx``
  with a sheet per table; names and headers match ignoring case, spaces and underscores;
* ``extract.json`` (``{"as_at": "2024-03-31", "la_code": "999"}``) or an ``_extract``
  sheet (``as_at`` in column A, the date in column B; ``la_code`` likewise) gives the date
  the extract was taken and the council it is from;
* unknown files, sheets and columns are ignored with a warning;
* values are typed by :func:`journey.engine.casedata.validation.parse_table`.

Writing is deterministic so that write → read → write gives identical bytes: every table
is written (empty ones as a header), columns in schema order, rows sorted by the table's
key and then every column, dates ``YYYY-MM-DD``, yes/no as ``true``/``false``, CSV as
UTF-8 with a byte-order mark (so Excel shows names correctly) and ``\\n`` line ends, XLSX
with fixed timestamps. Text cells starting with ``= + - @`` (or a tab or carriage return)
are written with a leading apostrophe so a spreadsheet never runs them as formulas; the
reader removes that apostrophe again, so the value round-trips.
"""

from __future__ import annotations

import csv
import difflib
import io
import itertools
import json
import re
import zipfile
from datetime import date, datetime
from pathlib import Path, PurePath

import polars as pl
from openpyxl.utils import get_column_letter

from journey.engine.casedata.csv_layout import (
    HEADER_SEARCH_LINES,
    header_below,
    header_not_first,
    overlong_problem,
    overlong_row,
)
from journey.engine.casedata.load import (
    CanonicalTables,
    ExtractFormat,
    Files,
    register_format,
)
from journey.engine.casedata.problems import ERROR, WARNING, Problem
from journey.engine.casedata.safety import (
    Limits,
    UnsafeInput,
    decode_text,
    read_xlsx,
    xlsx_sheet_names,
)
from journey.engine.casedata.schema import SCHEMA, Extract, Table
from journey.engine.casedata.validation import (
    DATE_FORMATS,
    ROW,
    Source,
    normalise_header,
    parse_table,
)
from journey.engine.spreadsheet import escape_expr

FORMAT = "canonical"
EXTRACT_FILE = "extract.json"
EXTRACT_SHEET = "_extract"


def _did_you_mean(name: str, choices: list[str], suffix: str = "") -> str:
    """`` (did you mean referral_date?)`` when a name is a near miss, else nothing."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.75)
    return f" (did you mean {close[0]}{suffix}?)" if close else ""


def _table_for(name: str) -> str | None:
    key = normalise_header(name)
    return key if key in SCHEMA else None


def _stem(name: str) -> tuple[str, str]:
    path = PurePath(name)
    return path.stem, path.suffix.lower()


def detect(files: Files) -> int:
    """Canonical when file names (or an only workbook's sheets) are canonical table names."""
    names = [_stem(n) for n in files]
    if any(ext == ".csv" and _table_for(stem) for stem, ext in names):
        return 60
    workbooks = [n for n in files if _stem(n)[1] == ".xlsx"]
    if len(workbooks) == 1:
        try:
            sheets = xlsx_sheet_names(files[workbooks[0]], workbooks[0])
        except UnsafeInput:
            return 1  # no format can claim it: reading it as canonical says what is wrong
        if any(_table_for(s) for s in sheets):
            return 60
    return 0


# --- reading ----------------------------------------------------------------------------


def _parse_as_at(
    text: str | None, file: str, sheet: str | None = None
) -> tuple[date | None, list[Problem]]:
    if text is None or not str(text).strip():
        return None, []
    frame = pl.DataFrame({"as_at": [str(text)]})
    parsed = frame.select(
        pl.coalesce(
            pl.when(pl.col("as_at").str.contains(r"^\d{4}-\d{2}-\d{2}$")).then(
                pl.col("as_at").str.strptime(pl.Date, "%Y-%m-%d", strict=False)
            ),
            pl.when(pl.col("as_at").str.contains(r"^\d{1,2}/\d{1,2}/\d{4}$")).then(
                pl.col("as_at").str.strptime(pl.Date, "%d/%m/%Y", strict=False)
            ),
        )
    ).item()
    if parsed is None:
        return None, [
            Problem(
                ERROR,
                "unreadable_value",
                f"{text!r} is not a date (expected {DATE_FORMATS})",
                file=file,
                sheet=sheet,
                column="as_at",
                value=str(text),
            )
        ]
    return parsed, []


def _parse_la_code(value: object, file: str, sheet: str | None = None) -> tuple[str | None, list[Problem]]:
    """The council's code as the extract states it: DfE's three-digit LA code (``999``) or
    the ONS code (``E09000999``)."""
    if value is None or not str(value).strip():
        return None, []
    text = str(value).strip().upper()
    if text.endswith(".0") and text[:-2].isdigit():  # a spreadsheet's number
        text = text[:-2]
    if text.isdigit() and len(text) <= 3:
        return text.zfill(3), []
    if re.fullmatch(r"[EWSN]\d{8}", text):
        return text, []
    return None, [
        Problem(
            ERROR,
            "unreadable_value",
            f"{text!r} is not an LA code (DfE's three-digit code such as 999, or the ONS "
            "code such as E09000999)",
            file=file,
            sheet=sheet,
            column="la_code",
            value=text,
        )
    ]


def _read_extract_json(
    data: bytes, file: str
) -> tuple[date | None, str | None, list[Problem]]:
    try:
        content = json.loads(decode_text(data, file))
    except (ValueError, RecursionError) as err:  # JSONDecodeError is a ValueError
        return None, None, [
            Problem(ERROR, "unreadable_file", f"the file is not valid JSON: {err}", file=file)
        ]
    if not isinstance(content, dict):
        return None, None, [
            Problem(
                ERROR,
                "unreadable_file",
                'expected an object such as {"as_at": "2024-03-31"}',
                file=file,
            )
        ]
    problems = [
        Problem(WARNING, "unknown_field", f"field {key!r} is not known and is ignored", file=file)
        for key in sorted(content)
        if key not in ("as_at", "la_code")
    ]
    as_at, more = _parse_as_at(content.get("as_at"), file)
    la_code, code_problems = _parse_la_code(content.get("la_code"), file)
    return as_at, la_code, problems + more + code_problems


def _header_map(
    table: Table, header: list[str | None], file: str, sheet: str | None, header_row: int
) -> tuple[dict[int, str], dict[str, str], list[Problem]]:
    """Position → canonical column, canonical → header as written, and header problems."""
    positions: dict[int, str] = {}
    labels: dict[str, str] = {}
    problems: list[Problem] = []
    for i, text in enumerate(header):
        label = (text or "").strip()
        name = normalise_header(label)
        if name in table.column_names:
            if name in labels:
                problems.append(
                    Problem(
                        ERROR,
                        "duplicate_column",
                        f"column {label} repeats column {labels[name]} (both are {name})",
                        file=file,
                        sheet=sheet,
                        row=header_row,
                        column=label,
                        table=table.name,
                    )
                )
                continue
            positions[i] = name
            labels[name] = label
        elif label:
            problems.append(
                Problem(
                    WARNING,
                    "unknown_column",
                    f"column {label} is not in the {table.name} table and is ignored"
                    + _did_you_mean(name, table.column_names),
                    file=file,
                    sheet=sheet,
                    row=header_row,
                    column=label,
                    table=table.name,
                )
            )
    return positions, {k: v for k, v in labels.items() if v != k}, problems


def _unheaded_values(
    header: list[str | None],
    rows: pl.DataFrame,
    data_columns: list[str],
    file: str,
    sheet: str | None,
    header_row: int,
    table: Table,
) -> list[Problem]:
    """An error for each column with values under a blank header (a merged header cell, a
    deleted heading): its values would otherwise be dropped without a word."""
    labels = list(header) + [None] * (len(data_columns) - len(header))
    blank = [i for i, text in enumerate(labels) if not (text or "").strip() and i < len(data_columns)]
    if not blank:
        return []
    firsts = rows.select(
        pl.col(ROW).filter(pl.col(data_columns[i]).str.strip_chars().ne("")).first().alias(str(i))
        for i in blank
    ).row(0)
    problems = []
    for i, row in zip(blank, firsts, strict=True):
        if row is None:
            continue
        value = rows.filter(pl.col(ROW) == row)[data_columns[i]].item()
        problems.append(
            Problem(
                ERROR,
                "unheaded_column",
                f"column {get_column_letter(i + 1) if sheet else i + 1} has values but no header (the first is {value!r}, on row {row}): "
                "give it its header (merged header cells keep only the first one's) or delete "
                "the column",
                file=file,
                sheet=sheet,
                row=header_row,
                value=value,
                table=table.name,
            )
        )
    return problems


def _raw_table(
    table: Table,
    header: list[str | None],
    header_row: int,
    rows: pl.DataFrame,
    file: str,
    sheet: str | None,
) -> tuple[pl.DataFrame | None, Source, list[Problem]]:
    """Rename to canonical columns and type the values; ``rows`` has one column per header cell."""
    positions, labels, problems = _header_map(table, header, file, sheet, header_row)
    source = Source(file=file, sheet=sheet, columns=labels, header_row=header_row)
    data_columns = [c for c in rows.columns if c != ROW][: len(header)]
    problems += _unheaded_values(
        header, rows, [c for c in rows.columns if c != ROW], file, sheet, header_row, table
    )
    if any(p.severity == ERROR for p in problems):
        return None, source, problems
    raw = rows.select(
        [
            pl.col(data_columns[i]).alias(name)
            for i, name in positions.items()
            if i < len(data_columns)
        ]
        + [pl.col(ROW)]
    )
    cells = [c for c in raw.columns if c != ROW]
    if cells:
        raw = raw.filter(pl.any_horizontal([pl.col(c).str.strip_chars().ne("") for c in cells]))
    typed, more = parse_table(table.name, raw, source)
    return typed, source, problems + more


def _read_csv(
    table: Table, data: bytes, file: str, limits: Limits
) -> tuple[pl.DataFrame | None, Source, list[Problem]]:
    text = decode_text(data, file, limits)
    source = Source(file=file)
    if not text.strip():
        return (
            None,
            source,
            [
                Problem(
                    WARNING,
                    "empty_file",
                    "the file is empty and is read as an empty table",
                    file=file,
                    table=table.name,
                )
            ],
        )
    def is_header(cells: list[str]) -> bool:
        return sum(normalise_header(c) in table.column_names for c in cells) >= min(
            2, len(table.column_names)
        )

    first = next(csv.reader(io.StringIO(text)), [])
    if not any(normalise_header(c) in table.column_names for c in first):
        below = header_below(text, is_header)
        if below is not None:
            found = list(itertools.islice(csv.reader(io.StringIO(text)), below))[-1]
            return None, source, [header_not_first(below, found, file=file, table=table.name)]
    try:
        try:
            grid = pl.read_csv(io.BytesIO(text.encode("utf-8")), has_header=False, infer_schema=False)
        except pl.exceptions.ComputeError:
            # Rows longer than the header: harmless only when every extra value is blank.
            if overlong_row(text, len(first)) is not None:
                raise
            grid = pl.read_csv(
                io.BytesIO(text.encode("utf-8")),
                has_header=False,
                infer_schema=False,
                truncate_ragged_lines=True,
            )
    except pl.exceptions.PolarsError as err:
        overlong = overlong_row(text, len(first))
        if overlong is not None:
            return None, source, [overlong_problem(*overlong, len(first), file=file, table=table.name)]
        return (
            None,
            source,
            [
                Problem(
                    ERROR,
                    "unreadable_file",
                    f"it cannot be read as CSV ({str(err).splitlines()[0]})",
                    file=file,
                    table=table.name,
                )
            ],
        )
    if grid.height > limits.rows + 1 or grid.width > limits.columns:
        return (
            None,
            source,
            [
                Problem(
                    ERROR,
                    "too_large",
                    f"the file has {grid.height - 1:,} rows and {grid.width} columns, over the limits "
                    f"of {limits.rows:,} rows and {limits.columns} columns",
                    file=file,
                    table=table.name,
                )
            ],
        )
    header = list(grid.row(0))
    for separator, name in ((";", "semicolons"), ("\t", "tabs")):
        if len(header) == 1 and separator in (header[0] or ""):
            return (
                None,
                source,
                [
                    Problem(
                        ERROR,
                        "unreadable_file",
                        f"the values are separated by {name}, not commas: save the file as "
                        "'CSV UTF-8 (comma delimited)'",
                        file=file,
                        row=1,
                        table=table.name,
                    )
                ],
            )
    rows = grid.slice(1).with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    return _raw_table(table, header, 1, rows, file, None)


def _header_index(table: Table, rows: list[tuple[int, list[str | None]]]) -> int:
    """Which of a sheet's first rows is the header: the first naming at least two of the
    table's columns (one for a one-column table), so a title or notes above it is passed
    over, as in an Annex A workbook. The first row when none does (its problems say why)."""
    needed = min(2, len(table.column_names))
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_LINES]):
        if sum(normalise_header(c or "") in table.column_names for c in cells) >= needed:
            return index
    return 0


def _read_workbook(data: bytes, file: str, limits: Limits, result: CanonicalTables) -> None:
    sheets, problems = read_xlsx(data, file, limits)
    result.problems += problems
    for sheet in sheets:
        if normalise_header(sheet.name) == normalise_header(EXTRACT_SHEET):
            values = {
                normalise_header(cells[0] or ""): cells[1] if len(cells) > 1 else None
                for _, cells in sheet.rows
                if cells
            }
            as_at, more = _parse_as_at(values.get("as_at"), file, sheet.name)
            result.as_at = as_at
            result.la_code, code_problems = _parse_la_code(values.get("la_code"), file, sheet.name)
            result.problems += more + code_problems
            continue
        name = _table_for(sheet.name)
        if name is None:
            result.problems.append(
                Problem(
                    WARNING,
                    "unknown_sheet",
                    f"sheet {sheet.name!r} is not a canonical table and is ignored"
                    + _did_you_mean(normalise_header(sheet.name), list(SCHEMA)),
                    file=file,
                )
            )
            continue
        if name in result.tables:
            result.problems.append(
                Problem(
                    ERROR,
                    "duplicate_table",
                    f"the {name} table is given twice",
                    file=file,
                    sheet=sheet.name,
                )
            )
            continue
        if not sheet.rows:
            result.tables[name] = SCHEMA[name].empty()
            continue
        at = _header_index(SCHEMA[name], sheet.rows)
        header_row, header = sheet.rows[at]
        body = sheet.rows[at + 1 :]
        width = max([len(header)] + [len(cells) for _, cells in body])
        grid = pl.DataFrame(
            [cells + [None] * (width - len(cells)) for _, cells in body],
            schema={f"c{i}": pl.String for i in range(width)},
            orient="row",
        ).with_columns(pl.Series(ROW, [n for n, _ in body], dtype=pl.Int64))
        typed, source, more = _raw_table(SCHEMA[name], header, header_row, grid, file, sheet.name)
        result.problems += more
        if typed is not None:
            result.tables[name] = typed
            result.sources[name] = source


def read(files: Files, limits: Limits) -> CanonicalTables:
    """Read a canonical extract (CSV files and/or one workbook); unsafe files are errors."""
    result = CanonicalTables()
    for name in sorted(files):
        stem, ext = _stem(name)
        data = files[name]
        try:
            if ext == ".csv" and _table_for(stem):
                table = SCHEMA[_table_for(stem) or ""]
                if table.name in result.tables:
                    result.problems.append(
                        Problem(
                            ERROR,
                            "duplicate_table",
                            f"the {table.name} table is given twice",
                            file=name,
                        )
                    )
                    continue
                typed, source, problems = _read_csv(table, data, name, limits)
                result.problems += problems
                if typed is not None:
                    result.tables[table.name] = typed
                    result.sources[table.name] = source
            elif ext == ".xlsx":
                _read_workbook(data, name, limits, result)
            elif PurePath(name).name.lower() == EXTRACT_FILE:
                result.as_at, result.la_code, problems = _read_extract_json(data, name)
                result.problems += problems
            else:
                result.problems.append(
                    Problem(
                        WARNING,
                        "unknown_file",
                        "the file is not a canonical table and is ignored"
                        + (
                            _did_you_mean(normalise_header(stem), list(SCHEMA), ".csv")
                            if ext == ".csv"
                            else ""
                        ),
                        file=name,
                    )
                )
        except UnsafeInput as refused:
            result.problems.append(refused.problem)
    return result


register_format(
    ExtractFormat(
        FORMAT,
        "Canonical extract",
        detect,
        read,
        accepts="<table>.csv files (children.csv, referrals.csv, ...) or one .xlsx with a sheet per table",
    )
)


# --- writing ----------------------------------------------------------------------------


def _sorted_table(table: Table, frame: pl.LazyFrame) -> pl.DataFrame:
    columns = list(table.key) + [c for c in table.column_names if c not in table.key]
    return (
        frame.select(table.column_names)
        .sort(columns, nulls_last=False, maintain_order=True)
        .collect()
    )


def _as_text(table: Table, frame: pl.DataFrame) -> pl.DataFrame:
    """Every value as the text the CSV holds."""
    out = []
    for column in table.columns:
        value = pl.col(column.name)
        if column.dtype == pl.Date():
            out.append(value.dt.to_string("%Y-%m-%d"))
        elif column.dtype == pl.Boolean():
            out.append(pl.when(value).then(pl.lit("true")).when(value.not_()).then(pl.lit("false")))
        elif column.dtype == pl.String():
            out.append(escape_expr(value))
        else:
            out.append(value.cast(pl.String))
    return frame.select([e.alias(c.name) for e, c in zip(out, table.columns, strict=True)])


def _about(extract: Extract) -> dict[str, str]:
    """What ``extract.json`` (or the ``_extract`` sheet) says: the date and the council."""
    about = {}
    if extract.as_at is not None:
        about["as_at"] = extract.as_at.isoformat()
    if extract.la_code:
        about["la_code"] = extract.la_code
    return about


def to_csv_files(extract: Extract) -> dict[str, bytes]:
    """The extract as canonical CSV files (and ``extract.json`` when its date is known)."""
    files = {}
    for name, table in SCHEMA.items():
        text = _as_text(table, _sorted_table(table, extract.tables[name]))
        buffer = io.BytesIO()
        text.write_csv(buffer, include_bom=True, line_terminator="\n", quote_style="necessary")
        files[f"{name}.csv"] = buffer.getvalue()
    about = _about(extract)
    if about:
        files[EXTRACT_FILE] = (json.dumps(about) + "\n").encode()
    return files


_FIXED_TIME = datetime(2000, 1, 1)


def to_xlsx_bytes(extract: Extract) -> bytes:
    """The extract as one canonical workbook: a sheet per table, then ``_extract``."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    book.properties.creator = "Improvement Journey"
    book.properties.created = _FIXED_TIME
    for name, table in SCHEMA.items():
        sheet = book.create_sheet(name)
        sheet.append(table.column_names)
        frame = _sorted_table(table, extract.tables[name])
        escaped = frame.with_columns(
            [
                escape_expr(pl.col(c.name)).alias(c.name)
                for c in table.columns
                if c.dtype == pl.String()
            ]
        )
        # Text never starts with "=" once escaped, so plain values cannot become formulas;
        # only dates need a cell object, for their format.
        dates = [i for i, c in enumerate(table.columns) if c.dtype == pl.Date()]
        for values in escaped.iter_rows():
            row: list[object] = list(values)
            for i in dates:
                if row[i] is not None:
                    cell = WriteOnlyCell(sheet, value=row[i])
                    cell.number_format = "yyyy-mm-dd"
                    row[i] = cell
            sheet.append(row)
    about = _about(extract)
    if about:
        sheet = book.create_sheet(EXTRACT_SHEET)
        for key, value in about.items():
            sheet.append([key, value])
    buffer = io.BytesIO()
    book.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same workbook with every timestamp fixed, so equal data gives equal bytes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                content = _fixed_core(content)
            info = zipfile.ZipInfo(entry.filename, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, content)
    return out.getvalue()


def _fixed_core(content: bytes) -> bytes:
    return re.sub(
        rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
        rb"\g<1>2000-01-01T00:00:00Z\g<2>",
        content,
    )


def write_csv_folder(extract: Extract, folder: Path) -> list[Path]:
    """Write the canonical CSV files into ``folder`` (created if needed); returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in to_csv_files(extract).items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def write_xlsx(extract: Extract, path: Path) -> Path:
    path.write_bytes(to_xlsx_bytes(extract))
    return path
