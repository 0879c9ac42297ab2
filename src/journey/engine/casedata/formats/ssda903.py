"""SSDA903 (the looked-after children return) as CSV tables, read into and written from
the canonical tables.

Reading
-------
Each file is one of DfE's tables (Header, Episodes, Reviews, UASC, OC2, OC3, AD1,
PlacedAdoption, PrevPerm, Missing, SWEpisodes), recognised **from its columns** (the file
name only breaks a tie), so ``export (3).csv`` works. Column names are matched without
regard to case or surrounding spaces. Dates are DD/MM/YYYY (ISO dates and a trailing time
are tolerated). IDs arriving as ``"123.0"``, with spaces or in lower case are cleaned;
blank codes (a blank PLACE_PROVIDER) stay blank; header-only files give empty tables;
empty files are skipped with a warning.

Several years' files may be given together. Each file's **collection year** (the year
ending 31 March) comes from its name or its folder's name: ``2024``, ``2023-24``,
``2023_24``, ``202324`` or the financial-year shorthand ``2324`` (``1920`` = 2019-20, so
collection year 2020); or from ``years=`` / ``collection_year=``. Records seen in more
than one year are de-duplicated, the **later year winning** (a later return corrects an
earlier one and knows how an episode ended): episodes by CHILD+DECOM, reviews by
CHILD+REVIEW, children by CHILD, care-leaver information by CHILD and contact date, social
worker episodes by CHILD+SW_ID+SW_DECOM.

Mapping
-------
* Header → children (SEX 1/2 → M/F; M/F/U kept; ETHNIC, UPN); UASC → ``children.uasc``
  (True for children in the UASC table, False for other Header children when a UASC file
  was supplied for the same year, blank otherwise).
* Episodes → cla_episodes (DECOM, RNE, LS, CIN, PLACE, PLACE_PROVIDER, DEC, REC,
  REASON_PLACE_CHANGE, URN). HOME_POST and PL_POST are not kept.
* Reviews → cla_reviews (REVIEW, REVIEW_CODE).
* OC3 → care_leavers: IN_TOUCH, ACTIV, ACCOM split into the letter (accommodation) and
  the digit (1 suitable, 2 not suitable). OC3 records the position around the young
  person's birthday, so ``contact_date`` is **the birthday falling in the collection
  year** (1 April to 31 March; 29 February → 28 February in other years).
* SWEpisodes → allocations (SW_ID, SW_DECOM, SW_DEC); SW_REASON is not kept.
* OC2, AD1, PlacedAdoption, PrevPerm and Missing are read and checked (columns, dates)
  but **not used**: no canonical table holds health outcomes, adoption milestones,
  previous permanence or missing episodes. The result's notes say so.

Writing
-------
:func:`write_ssda903` writes one set of CSVs per collection year (``ssda903_2024_
Episodes.csv``, ...) with DfE's column names, as each year's return would have looked:
episodes open during the year, with DEC and REC blank when the episode had not ended by
31 March. Read back together, the later years restore the ends.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import Element

import polars as pl

from journey.engine.casedata.csv_layout import (
    header_below,
    header_not_first,
    overlong_problem,
    overlong_row,
)
from journey.engine.casedata.dfe_rules import YEAR as RETURN_YEAR
from journey.engine.casedata.formats._common import (
    ERROR,
    WARNING,
    FormatResult,
    Problem,
    TableSource,
    clean_child_id,
    clean_code,
    clean_other_id,
    clean_text,
    collect_tables,
    conform,
    duplicate_columns,
    parse_dates,
)
from journey.engine.casedata.load import ExtractFormat, register_format
from journey.engine.casedata.safety import Limits, UnsafeInput, decode_text
from journey.engine.casedata.validation import FILE, ROW, SHEET, Source
from journey.engine.spreadsheet import escape_text_columns

FORMAT = "ssda903"

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "Header": ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    "Episodes": (
        "CHILD",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "REASON_PLACE_CHANGE",
        "HOME_POST",
        "PL_POST",
        "URN",
    ),
    "Reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "UASC": ("CHILD", "SEX", "DOB", "DUC"),
    "OC2": (
        "CHILD",
        "DOB",
        "SDQ_SCORE",
        "SDQ_REASON",
        "CONVICTED",
        "HEALTH_CHECK",
        "IMMUNISATIONS",
        "TEETH_CHECK",
        "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ),
    "OC3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "AD1": (
        "CHILD",
        "DOB",
        "DATE_INT",
        "DATE_MATCH",
        "FOSTER_CARE",
        "NB_ADOPTR",
        "SEX_ADOPTR",
        "LS_ADOPTR",
    ),
    "PlacedAdoption": ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    "PrevPerm": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    "Missing": ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
    "SWEpisodes": ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
}

#: Columns without which a table cannot be recognised or used.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "Header": ("CHILD",),
    "Episodes": ("CHILD", "DECOM"),
    "Reviews": ("CHILD", "REVIEW"),
    "UASC": ("CHILD",),
    "OC2": ("CHILD",),
    "OC3": ("CHILD", "DOB"),
    "AD1": ("CHILD",),
    "PlacedAdoption": ("CHILD", "DATE_PLACED"),
    "PrevPerm": ("CHILD",),
    "Missing": ("CHILD", "MIS_START"),
    "SWEpisodes": ("CHILD", "SW_ID", "SW_DECOM"),
}

DATE_COLUMNS = frozenset(
    {
        "DOB",
        "MC_DOB",
        "DECOM",
        "DEC",
        "REVIEW",
        "DUC",
        "DATE_INT",
        "DATE_MATCH",
        "DATE_PLACED",
        "DATE_PLACED_CEASED",
        "DATE_PERM",
        "MIS_START",
        "MIS_END",
        "SW_DECOM",
        "SW_DEC",
    }
)

#: Tables read and checked but not mapped, with the reason given in the notes.
NOT_USED: dict[str, str] = {
    "OC2": "no canonical table holds health, offending and substance-misuse outcomes",
    "AD1": "no canonical table holds adoption milestones",
    "PlacedAdoption": "no canonical table holds adoption placement decisions",
    "PrevPerm": "no canonical table holds previous permanence arrangements",
    "Missing": "no canonical table holds missing and away-from-placement episodes",
}

#: Records that appear in several years' returns are the same record when these match.
DEDUPE_KEYS: dict[str, tuple[str, ...]] = {
    "Header": ("CHILD",),
    "Episodes": ("CHILD", "DECOM"),
    "Reviews": ("CHILD", "REVIEW"),
    "UASC": ("CHILD",),
    "OC3": ("CHILD", "_contact_date"),
    "SWEpisodes": ("CHILD", "SW_ID", "SW_DECOM"),
}

_FILE_HINTS = sorted(
    [
        ("swepisodes", "SWEpisodes"),
        ("placedadoption", "PlacedAdoption"),
        ("placedforadoption", "PlacedAdoption"),
        ("prevperm", "PrevPerm"),
        ("episodes", "Episodes"),
        ("header", "Header"),
        ("reviews", "Reviews"),
        ("uasc", "UASC"),
        ("oc2", "OC2"),
        ("oc3", "OC3"),
        ("ad1", "AD1"),
        ("missing", "Missing"),
    ],
    key=lambda pair: -len(pair[0]),
)

_YEAR_SPAN = re.compile(r"(?<!\d)(20\d{2})\s*[-_/]?\s*(\d{2})(?!\d)")
_FOUR_DIGITS = re.compile(r"(?<!\d)(\d{2})(\d{2})(?!\d)")


def collection_year_from_name(name: str) -> int | None:
    """The collection year (ending 31 March) a file or folder name states, if any.

    ``2023-24``, ``2023_24``, ``202324`` and ``2324`` → 2024; ``1920`` → 2020; a plain
    ``2024`` → 2024.
    """
    text = name.lower()
    for match in _YEAR_SPAN.finditer(text):
        first, second = int(match.group(1)), int(match.group(2))
        if second == (first + 1) % 100:
            return 2000 + second if second < 100 else None
    for match in _FOUR_DIGITS.finditer(text):
        first, second = int(match.group(1)), int(match.group(2))
        if second == (first + 1) % 100:
            return 2000 + second
        if 2000 <= first * 100 + second <= 2099:
            return first * 100 + second
    return None


def collection_year_of(day: date) -> int:
    """The SSDA903 collection year (ending 31 March) a date falls in."""
    return day.year + 1 if day.month >= 4 else day.year


def identify_table(columns: Iterable[str], file_name: str = "") -> str | None:
    """Which SSDA903 table a file holds, judged by its columns (its name breaks ties)."""
    found = set(columns)
    squashed = re.sub(r"[^a-z0-9]", "", Path(file_name).stem.lower())
    hinted = next((table for token, table in _FILE_HINTS if token in squashed), None)
    best: tuple[float, bool, str] | None = None
    for table, expected in TABLE_COLUMNS.items():
        if not set(REQUIRED_COLUMNS[table]) <= found:
            continue
        score = len(found & set(expected)) / len(found | set(expected))
        candidate = (score, table == hinted, table)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    if best is None or best[0] < 0.5:
        return None
    return best[2]


def _normalise_column(name: str) -> str:
    return re.sub(r"\s+", "_", name.replace("\ufeff", "").replace("\u00a0", " ").strip()).upper()


def _read_csv(
    name: str, data: bytes, problems: list[Problem], limits: Limits
) -> tuple[str | None, pl.DataFrame | None]:
    """One file as text columns with normalised names plus ``_row``; None when unusable."""
    if not data.strip():
        problems.append(
            Problem(
                WARNING,
                "empty_file",
                "the file is empty (no header row); it was skipped",
                file=name,
            )
        )
        return None, None
    try:
        text = decode_text(data, name, limits)
    except UnsafeInput as refused:
        problems.append(refused.problem)
        return None, None
    first_line = text[: text.find("\n")] if "\n" in text else text
    duplicates = duplicate_columns(
        next(csv.reader([first_line.rstrip("\r")]), []), _normalise_column, file=name
    )
    if duplicates:
        problems.extend(duplicates)
        return None, None
    header = next(csv.reader([first_line.rstrip("\r")]), [])
    if identify_table([_normalise_column(c) for c in header], name) is None:
        below = header_below(
            text, lambda cells: identify_table([_normalise_column(c) for c in cells]) is not None
        )
        if below is not None:
            found = list(itertools.islice(csv.reader(io.StringIO(text)), below))[-1]
            problems.append(header_not_first(below, found, file=name))
            return None, None
    try:
        try:
            df = pl.read_csv(text.encode("utf-8"), infer_schema=False)
        except pl.exceptions.ComputeError:
            # Rows longer than the header: cut back only when every extra value is blank
            # (a trailing comma); a real value there means the columns have shifted.
            overlong = overlong_row(text, len(header))
            if overlong is not None:
                problems.append(overlong_problem(*overlong, len(header), file=name))
                return None, None
            df = pl.read_csv(text.encode("utf-8"), infer_schema=False, truncate_ragged_lines=True)
    except pl.exceptions.PolarsError as exc:
        problems.append(
            Problem(ERROR, "unreadable_file", f"not a readable CSV file: {exc}", file=name)
        )
        return None, None
    if df.height > limits.rows or df.width > limits.columns:
        problems.append(
            Problem(
                ERROR,
                "too_large",
                f"the file has {df.height:,} rows and {df.width} columns, over the limits of "
                f"{limits.rows:,} rows and {limits.columns} columns",
                file=name,
            )
        )
        return None, None
    df = df.rename({c: _normalise_column(c) for c in df.columns})
    table = identify_table(df.columns, name)
    if table is None:
        problems.append(
            Problem(
                ERROR,
                "unrecognised_table",
                "the columns do not match any SSDA903 table (found: "
                + ", ".join(df.columns)
                + "); expected for example Header: "
                + ", ".join(TABLE_COLUMNS["Header"])
                + " or Episodes: "
                + ", ".join(TABLE_COLUMNS["Episodes"]),
                file=name,
                row=1,
            )
        )
        return None, None
    for column in TABLE_COLUMNS[table]:
        if column not in df.columns:
            problems.append(
                Problem(
                    WARNING,
                    "missing_optional_column",
                    f"the {table} table has no {column} column; it is treated as blank",
                    file=name,
                    row=1,
                    column=column,
                )
            )
    df = df.with_columns(
        [
            pl.lit(None, dtype=pl.String).alias(c)
            for c in TABLE_COLUMNS[table]
            if c not in df.columns
        ]
    ).select(TABLE_COLUMNS[table])
    df = df.with_columns(
        *[clean_text(pl.col(c)).alias(c) for c in df.columns],
        (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias(ROW),
    )
    return table, df


#: DfE's XML form of the return (root ``EXPSSDA903``): one ``CHILD`` per child, its
#: ``HEADER`` holding the Header fields (and UASC, DUC, the OC3 and AD1 fields) with the
#: repeated groups below, and one ``EPISODE`` per episode. Element names are DfE's column
#: names, except these.
XML_RENAMED = {"CHILDID": "CHILD", "PL": "PLACE"}
#: Repeated groups inside a child, and the table each is.
XML_GROUPS = {
    "EPISODE": "Episodes",
    "AREVIEW": "Reviews",
    "AMISSING": "Missing",
    "OC2": "OC2",
    "PERMANENCE": "PrevPerm",
    "AD_PLACED": "PlacedAdoption",
}
XML_ROOT = "EXPSSDA903"


def _leaves(element: Element) -> dict[str, str | None]:
    """The element's direct children that hold values, by DfE column name."""
    out: dict[str, str | None] = {}
    for leaf in element:
        if isinstance(leaf.tag, str) and len(leaf) == 0:
            text = (leaf.text or "").strip()
            out[XML_RENAMED.get(leaf.tag, leaf.tag)] = text or None
    return out


def _read_xml(
    name: str, data: bytes, problems: list[Problem], limits: Limits
) -> dict[str, pl.DataFrame]:
    """DfE's SSDA903 XML as the same text tables the CSV files give (with the line of each
    record as its row)."""
    from journey.engine.casedata.formats.cin_census import parse_census_xml

    try:
        root, lines = parse_census_xml(data, name, limits)
    except UnsafeInput as refused:
        problems.append(refused.problem)
        return {}
    if root.tag != XML_ROOT:
        problems.append(
            Problem(
                ERROR,
                "unrecognised_table",
                f"the XML's root element is <{root.tag}>; DfE's SSDA903 XML is an <{XML_ROOT}> "
                "with one <CHILD> per child",
                file=name,
                row=lines.get(id(root)),
            )
        )
        return {}
    rows: dict[str, list[dict[str, str | int | None]]] = {t: [] for t in TABLE_COLUMNS}
    for child in root.iter("CHILD"):
        header_el = child.find("HEADER")
        header = {**_leaves(child), **(_leaves(header_el) if header_el is not None else {})}
        line = lines.get(id(header_el if header_el is not None else child))
        ident = {"CHILD": header.get("CHILD"), "DOB": header.get("DOB"), "SEX": header.get("SEX")}
        rows["Header"].append({**header, ROW: line})
        if header.get("UASC") == "1" or header.get("DUC"):
            rows["UASC"].append({**header, ROW: line})
        if any(header.get(c) for c in ("IN_TOUCH", "ACTIV", "ACCOM")):
            rows["OC3"].append({**header, ROW: line})
        if any(header.get(c) for c in ("DATE_INT", "DATE_MATCH")):
            rows["AD1"].append({**header, ROW: line})
        for element in child.iter():
            if element is child or not isinstance(element.tag, str):
                continue
            table = XML_GROUPS.get(element.tag)
            values = _leaves(element)
            if table is None and "SW_ID" in values:
                table = "SWEpisodes"
            if table is not None:
                rows[table].append({**ident, **values, ROW: lines.get(id(element))})
    out: dict[str, pl.DataFrame] = {}
    for table, found in rows.items():
        if not found and table not in {"Header", "Episodes"}:
            continue
        columns = TABLE_COLUMNS[table]
        frame = pl.DataFrame(
            {c: [r.get(c) for r in found] for c in columns} | {ROW: [r[ROW] for r in found]},
            schema={**{c: pl.String() for c in columns}, ROW: pl.Int64()},
        )
        out[table] = frame.with_columns(*[clean_text(pl.col(c)).alias(c) for c in columns])
    return out


def year_of_name(name: str) -> int | None:
    """The collection year a file's name, or its folder's, states (None when neither does)."""
    path = Path(name)
    return collection_year_from_name(path.stem) or collection_year_from_name(path.parent.name)


def _paths(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    out: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".csv")
        else:
            out.append(path)
    return out


def read_ssda903(
    paths: str | Path | Iterable[str | Path],
    *,
    years: Mapping[str | Path, int] | None = None,
    collection_year: int | None = None,
    limits: Limits | None = None,
) -> FormatResult:
    """Read SSDA903 CSV files (one year or several) from disk into canonical tables.

    ``paths`` are files or folders (every ``.csv`` below a folder is read). A file's
    collection year comes from ``years`` (keyed by path), else its name, else its folder's
    name, else ``collection_year``.
    """
    explicit = {Path(k).resolve(): v for k, v in (years or {}).items()}
    files: dict[str, bytes] = {}
    file_years: dict[str, int] = {}
    for path in _paths(paths):
        name = path.name if path.name not in files else f"{path.parent.name}/{path.name}"
        files[name] = path.read_bytes()
        year = explicit.get(path.resolve()) or year_of_name(f"{path.parent.name}/{path.name}")
        if year is not None:
            file_years[name] = year
    return read_ssda903_files(
        files, years=file_years, collection_year=collection_year, limits=limits
    )


def read_ssda903_files(
    files: Mapping[str, bytes],
    *,
    years: Mapping[str, int] | None = None,
    collection_year: int | None = None,
    limits: Limits | None = None,
) -> FormatResult:
    """Read SSDA903 CSV files given as ``{name: content}`` into canonical tables.

    A file's collection year comes from ``years`` (keyed by name), else its name (or the
    folder part of the name), else ``collection_year``.
    """
    limits = limits or Limits()
    result = FormatResult(FORMAT)
    problems = result.problems
    parts: dict[str, list[pl.DataFrame]] = {}
    seen_years: dict[str, set[int | None]] = {}
    for name in sorted(files):
        suffix = Path(name).suffix.lower()
        if suffix == ".csv":
            table, df = _read_csv(name, files[name], problems, limits)
            tables_read = [(table, df)] if table is not None and df is not None else []
        elif suffix == ".xml":
            tables_read = list(_read_xml(name, files[name], problems, limits).items())
        else:
            result.warn(
                "file_ignored",
                "not a .csv or .xml file, so not an SSDA903 table; ignored",
                file=name,
            )
            continue
        year = (years or {}).get(name) or year_of_name(name) or collection_year
        for table, df in tables_read:
            df, date_problems = parse_dates(
                df, [c for c in df.columns if c in DATE_COLUMNS], file=name
            )
            problems += date_problems
            parts.setdefault(table, []).append(
                df.with_columns(
                    pl.lit(year, dtype=pl.Int64).alias("_year"),
                    pl.lit(name).alias(FILE),
                    pl.lit(None, dtype=pl.String).alias(SHEET),
                )
            )
            seen_years.setdefault(table, set()).add(year)
            if table in NOT_USED:
                result.not_used(
                    f"{table} ({df.height} rows): read and checked, not used: {NOT_USED[table]}.",
                    file=name,
                )

    frames = {table: pl.concat(dfs, how="vertical") for table, dfs in parts.items()}
    for table, year_set in seen_years.items():
        if len(year_set) > 1 and None in year_set:
            result.warn(
                "year_unknown",
                f"some {table} files have no collection year in their names; where the same "
                "record appears in a dated and an undated file, the dated file wins",
            )
    if "Episodes" in frames:
        result.tables["cla_episodes"] = _episodes(frames["Episodes"])
    if "Reviews" in frames:
        result.tables["cla_reviews"] = _reviews(frames["Reviews"])
    if "OC3" in frames:
        result.tables["care_leavers"] = _care_leavers(frames["OC3"], problems)
    if "SWEpisodes" in frames:
        result.tables["allocations"] = _allocations(frames["SWEpisodes"])
    if "Header" in frames:
        result.tables["children"] = _children(frames["Header"], frames.get("UASC"))
    elif "UASC" in frames:
        result.not_used("UASC was supplied without a Header table, so it could not be used.")
    result.sources = {
        table: Source(columns=labels)
        for table, labels in COLUMN_LABELS.items()
        if table in result.tables
    }
    years_read = sorted(y for ys in seen_years.values() for y in ys if y is not None)
    if years_read:
        result.as_at = date(years_read[-1], 3, 31)
        latest = _latest_event(frames, years_read[-1])
        if latest is not None and latest < date(years_read[-1], 3, 1):
            result.warn(
                "as_at_check",
                f"the extract date is taken as the end of the {years_read[-1]} collection year, "
                f"{result.as_at.isoformat()}, but the latest date in that year's files is "
                f"{latest.isoformat()}: if this is a part-year extract, give its date",
            )
    return result


_EVENT_DATES = {
    "Episodes": ("DECOM", "DEC"),
    "Reviews": ("REVIEW",),
    "Missing": ("MIS_START", "MIS_END"),
    "SWEpisodes": ("SW_DECOM", "SW_DEC"),
}


def _latest_event(frames: Mapping[str, pl.DataFrame], year: int) -> date | None:
    """The latest event date in the files of a collection year (None when there is none)."""
    found: list[date] = []
    for table, columns in _EVENT_DATES.items():
        if table not in frames:
            continue
        frame = frames[table].filter(pl.col("_year") == year)
        for column in columns:
            value = frame[column].max()
            if isinstance(value, date):
                found.append(value)
    return max(found) if found else None


#: How the canonical columns are headed in SSDA903, for naming them in warnings.
COLUMN_LABELS: dict[str, dict[str, str]] = {
    "children": {
        "child_id": "CHILD",
        "sex": "SEX",
        "date_of_birth": "DOB",
        "ethnicity": "ETHNIC",
        "upn": "UPN",
    },
    "cla_episodes": {
        "child_id": "CHILD",
        "episode_start": "DECOM",
        "reason_new_episode": "RNE",
        "legal_status": "LS",
        "category_of_need": "CIN",
        "placement_type": "PLACE",
        "placement_provider": "PLACE_PROVIDER",
        "episode_end": "DEC",
        "reason_ceased": "REC",
        "reason_place_change": "REASON_PLACE_CHANGE",
        "placement_urn": "URN",
    },
    "cla_reviews": {"child_id": "CHILD", "review_date": "REVIEW", "participation": "REVIEW_CODE"},
    "care_leavers": {
        "child_id": "CHILD",
        "contact_date": "DOB (birthday in the collection year)",
        "in_touch": "IN_TOUCH",
        "activity": "ACTIV",
        "accommodation": "ACCOM",
        "accommodation_suitable": "ACCOM",
    },
    "allocations": {
        "child_id": "CHILD",
        "worker_id": "SW_ID",
        "start_date": "SW_DECOM",
        "end_date": "SW_DEC",
    },
}


def detect(files: Mapping[str, bytes]) -> int:
    """90 when every CSV's header row is an SSDA903 table's (or the XML is DfE's SSDA903
    XML), 50 when some are, else 0."""
    recognised = total = 0
    for name, data in files.items():
        if name.lower().endswith(".xml"):
            total += 1
            recognised += f"<{XML_ROOT}".encode() in data[:4096]
            continue
        if not name.lower().endswith(".csv") or not data.strip():
            continue
        total += 1
        first = data[:4096].split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
        columns = [_normalise_column(c.strip('"')) for c in first.split(",")]
        if identify_table(columns, name) is not None:
            recognised += 1
    if recognised == 0:
        return 0
    return 90 if recognised == total else 50


def _latest_year(df: pl.DataFrame, key: Iterable[str]) -> pl.DataFrame:
    """Keep, for each key, the rows from the latest collection year holding it."""
    key = list(key)
    year = pl.col("_year").fill_null(0)
    return df.filter(year == year.max().over(key))


def _location() -> list[pl.Expr]:
    return [pl.col(FILE), pl.col(SHEET), pl.col(ROW)]


def _children(header: pl.DataFrame, uasc: pl.DataFrame | None) -> pl.DataFrame:
    header = header.with_columns(clean_child_id(pl.col("CHILD")).alias("CHILD"))
    header = _latest_year(header, DEDUPE_KEYS["Header"])
    sex = clean_code(pl.col("SEX")).replace({"1": "M", "2": "F"})
    children = header.select(
        pl.col("CHILD").alias("child_id"),
        sex.alias("sex"),
        pl.col("DOB").alias("date_of_birth"),
        clean_code(pl.col("ETHNIC")).alias("ethnicity"),
        clean_code(pl.col("UPN")).alias("upn"),
        pl.col("_year"),
        *_location(),
    )
    if uasc is not None:
        marked = uasc.select(
            clean_child_id(pl.col("CHILD")).alias("child_id"), pl.col("_year")
        ).unique()
        uasc_years = marked["_year"].unique()
        children = children.join(
            marked.with_columns(pl.lit(True).alias("uasc")).unique("child_id"),
            on="child_id",
            how="left",
            suffix="_uasc",
        ).with_columns(
            pl.when(pl.col("uasc").is_null() & pl.col("_year").is_in(uasc_years.implode()))
            .then(pl.lit(False))
            .otherwise(pl.col("uasc"))
            .alias("uasc")
        )
    return conform(children, "children", location=True)


def _episodes(episodes: pl.DataFrame) -> pl.DataFrame:
    episodes = episodes.with_columns(clean_child_id(pl.col("CHILD")).alias("CHILD"))
    episodes = _latest_year(episodes, DEDUPE_KEYS["Episodes"])
    selected = episodes.select(
        pl.col("CHILD").alias("child_id"),
        pl.col("DECOM").alias("episode_start"),
        clean_code(pl.col("RNE")).alias("reason_new_episode"),
        clean_code(pl.col("LS")).alias("legal_status"),
        clean_code(pl.col("CIN")).alias("category_of_need"),
        clean_code(pl.col("PLACE")).alias("placement_type"),
        clean_code(pl.col("PLACE_PROVIDER")).alias("placement_provider"),
        pl.col("DEC").alias("episode_end"),
        clean_code(pl.col("REC")).alias("reason_ceased"),
        clean_code(pl.col("REASON_PLACE_CHANGE")).alias("reason_place_change"),
        clean_other_id(pl.col("URN")).alias("placement_urn"),
        *_location(),
        pl.col("_year").alias(RETURN_YEAR),
    ).sort("child_id", "episode_start", maintain_order=True)
    # The return's year goes with each episode, for DfE's rules tied to the collection year.
    return conform(selected, "cla_episodes", location=True).with_columns(selected[RETURN_YEAR])


def _reviews(reviews: pl.DataFrame) -> pl.DataFrame:
    reviews = reviews.with_columns(clean_child_id(pl.col("CHILD")).alias("CHILD"))
    reviews = _latest_year(reviews, DEDUPE_KEYS["Reviews"])
    return conform(
        reviews.select(
            pl.col("CHILD").alias("child_id"),
            pl.col("REVIEW").alias("review_date"),
            clean_code(pl.col("REVIEW_CODE")).alias("participation"),
            *_location(),
        ),
        "cla_reviews",
        location=True,
    )


def birthday_in_collection_year(dob: pl.Expr, year: pl.Expr) -> pl.Expr:
    """The date of the birthday falling between 1 April ``year - 1`` and 31 March ``year``."""
    offset = year - 1 - dob.dt.year()
    candidate = dob.dt.offset_by(pl.format("{}y", offset))
    april = pl.date(year - 1, 4, 1)
    return (
        pl.when(candidate < april)
        .then(dob.dt.offset_by(pl.format("{}y", offset + 1)))
        .otherwise(candidate)
    )


def _care_leavers(oc3: pl.DataFrame, problems: list[Problem]) -> pl.DataFrame:
    oc3 = oc3.with_columns(clean_child_id(pl.col("CHILD")).alias("CHILD"))
    undated = oc3.filter(pl.col("_year").is_null())
    for file, n in undated.group_by(FILE, maintain_order=True).len().iter_rows():
        problems.append(
            Problem(
                ERROR,
                "unknown_collection_year",
                f"the collection year of this OC3 file is not known, so its {n} row(s) cannot be "
                "dated (OC3 describes the young person around their birthday in the collection "
                "year): give --collection-year YYYY (the year ending 31 March), put the year in "
                "the file name (e.g. oc3_2024.csv) or put the files in a folder named for the "
                "year (2024/oc3.csv)",
                file=file,
                table="care_leavers",
            )
        )
    oc3 = oc3.filter(pl.col("_year").is_not_null()).with_columns(
        birthday_in_collection_year(pl.col("DOB"), pl.col("_year")).alias("_contact_date")
    )
    oc3 = _latest_year(oc3, DEDUPE_KEYS["OC3"])
    accom = clean_code(pl.col("ACCOM"))
    digit = accom.str.extract(r"^[A-Z]([0-9])$", 1)
    return conform(
        oc3.select(
            pl.col("CHILD").alias("child_id"),
            pl.col("_contact_date").alias("contact_date"),
            clean_code(pl.col("IN_TOUCH")).alias("in_touch"),
            clean_code(pl.col("ACTIV")).alias("activity"),
            pl.when(accom.str.contains(r"^[A-Z][0-9]?$"))
            .then(accom.str.slice(0, 1))
            .otherwise(accom)
            .alias("accommodation"),
            pl.when(digit == "1")
            .then(pl.lit(True))
            .when(digit == "2")
            .then(pl.lit(False))
            .otherwise(pl.lit(None, dtype=pl.Boolean))
            .alias("accommodation_suitable"),
            *_location(),
        ),
        "care_leavers",
        location=True,
    )


def _allocations(sw: pl.DataFrame) -> pl.DataFrame:
    sw = sw.with_columns(
        clean_child_id(pl.col("CHILD")).alias("CHILD"),
        clean_other_id(pl.col("SW_ID")).alias("SW_ID"),
    )
    sw = _latest_year(sw, DEDUPE_KEYS["SWEpisodes"])
    return conform(
        sw.select(
            pl.col("CHILD").alias("child_id"),
            pl.col("SW_ID").alias("worker_id"),
            pl.col("SW_DECOM").alias("start_date"),
            pl.col("SW_DEC").alias("end_date"),
            *_location(),
        ),
        "allocations",
        location=True,
    )


# --- writing ------------------------------------------------------------------------------


def _fmt(expr: pl.Expr) -> pl.Expr:
    return expr.dt.strftime("%d/%m/%Y")


def _years_covered(tables: Mapping[str, pl.DataFrame], as_at: date | None) -> list[int]:
    dates: list[date] = []
    for name, column in (
        ("cla_episodes", "episode_start"),
        ("cla_episodes", "episode_end"),
        ("cla_reviews", "review_date"),
        ("care_leavers", "contact_date"),
    ):
        values = tables[name][column].drop_nulls()
        if values.len():
            dates += [values.min(), values.max()]  # type: ignore[list-item]
    if not dates:
        return [collection_year_of(as_at)] if as_at else []
    first = collection_year_of(min(dates))
    last = collection_year_of(as_at) if as_at else collection_year_of(max(dates))
    return list(range(first, max(first, last) + 1))


def write_ssda903(
    source: TableSource,
    out_dir: str | Path,
    *,
    collection_years: Iterable[int] | None = None,
    as_at: date | None = None,
) -> list[Path]:
    """Write each collection year's SSDA903 CSVs; return the files written.

    ``collection_years`` defaults to every year from the first looked-after episode to the
    year of ``as_at`` (the extract's own date when ``source`` is an Extract). Each year
    holds the episodes open at some point in it, reviews and OC3 contacts dated in it, the
    Header and UASC rows of those children and, when allocations are given, their social
    worker episodes. SEX is written 1/2 before 2025 and M/F/U from 2025.
    """
    tables = collect_tables(source)
    if as_at is None and hasattr(source, "as_at"):
        as_at = source.as_at
    years = (
        list(collection_years) if collection_years is not None else _years_covered(tables, as_at)
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for year in years:
        for table, frame in _year_tables(tables, year).items():
            if frame.height == 0 and table not in {"Header", "Episodes"}:
                continue
            path = out / f"ssda903_{year}_{table}.csv"
            escape_text_columns(frame).write_csv(path)
            written.append(path)
    return written


def write_ssda903_xml(
    source: TableSource,
    out_dir: str | Path,
    *,
    collection_years: Iterable[int] | None = None,
    as_at: date | None = None,
) -> list[Path]:
    """Each collection year's return as DfE's SSDA903 XML (``ssda903_<year>.xml``), holding
    the same records as :func:`write_ssda903`'s CSV files for that year."""
    import xml.etree.ElementTree as StdET

    tables = collect_tables(source)
    if as_at is None and hasattr(source, "as_at"):
        as_at = source.as_at
    years = (
        list(collection_years) if collection_years is not None else _years_covered(tables, as_at)
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    renamed = {v: k for k, v in XML_RENAMED.items()}
    for year in years:
        frames = _year_tables(tables, year)
        uasc = set(frames["UASC"]["CHILD"].to_list())

        def grouped(table: str, frames: dict[str, pl.DataFrame] = frames) -> dict[str, list[dict]]:
            by_child: dict[str, list[dict]] = {}
            for row in frames[table].iter_rows(named=True):
                by_child.setdefault(row["CHILD"], []).append(row)
            return by_child

        episodes, reviews, leavers, workers = (
            grouped("Episodes"),
            grouped("Reviews"),
            grouped("OC3"),
            grouped("SWEpisodes"),
        )
        root = StdET.Element(XML_ROOT)
        for row in frames["Header"].iter_rows(named=True):
            child = StdET.SubElement(root, "CHILD")
            header = StdET.SubElement(child, "HEADER")
            for column in ("CHILD", "UPN", "SEX", "DOB", "ETHNIC"):
                StdET.SubElement(header, renamed.get(column, column)).text = row[column]
            StdET.SubElement(header, "UASC").text = "1" if row["CHILD"] in uasc else None
            for review in reviews.get(row["CHILD"], []):
                group = StdET.SubElement(header, "AREVIEW")
                for column in ("REVIEW", "REVIEW_CODE"):
                    StdET.SubElement(group, column).text = review[column]
            for leaver in leavers.get(row["CHILD"], [])[:1]:
                for column in ("IN_TOUCH", "ACTIV", "ACCOM"):
                    StdET.SubElement(header, column).text = leaver[column] or None
            for episode in episodes.get(row["CHILD"], []):
                group = StdET.SubElement(child, "EPISODE")
                for column in TABLE_COLUMNS["Episodes"][1:]:
                    StdET.SubElement(group, renamed.get(column, column)).text = episode[column]
            for worker in workers.get(row["CHILD"], []):
                group = StdET.SubElement(child, "SWEPISODE")
                for column in ("SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"):
                    StdET.SubElement(group, column).text = worker[column]
        StdET.indent(root)
        path = out / f"ssda903_{year}.xml"
        StdET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
        written.append(path)
    return written


def _year_tables(tables: Mapping[str, pl.DataFrame], year: int) -> dict[str, pl.DataFrame]:
    start, end = date(year - 1, 4, 1), date(year, 3, 31)
    children = tables["children"]
    episodes = tables["cla_episodes"].filter(
        (pl.col("episode_start") <= end)
        & (pl.col("episode_end").is_null() | (pl.col("episode_end") >= start))
    )
    ended = pl.col("episode_end").is_not_null() & (pl.col("episode_end") <= end)
    episodes_out = episodes.sort("child_id", "episode_start").select(
        pl.col("child_id").alias("CHILD"),
        _fmt(pl.col("episode_start")).alias("DECOM"),
        pl.col("reason_new_episode").alias("RNE"),
        pl.col("legal_status").alias("LS"),
        pl.col("category_of_need").alias("CIN"),
        pl.col("placement_type").alias("PLACE"),
        pl.col("placement_provider").alias("PLACE_PROVIDER"),
        pl.when(ended).then(_fmt(pl.col("episode_end"))).alias("DEC"),
        pl.when(ended).then(pl.col("reason_ceased")).alias("REC"),
        pl.col("reason_place_change").alias("REASON_PLACE_CHANGE"),
        pl.lit(None, dtype=pl.String).alias("HOME_POST"),
        pl.lit(None, dtype=pl.String).alias("PL_POST"),
        pl.col("placement_urn").alias("URN"),
    )
    dob = children.select("child_id", "date_of_birth", "sex", "ethnicity", "upn", "uasc")
    reviews = (
        tables["cla_reviews"]
        .filter(pl.col("review_date").is_between(start, end))
        .join(dob, on="child_id", how="left")
        .sort("child_id", "review_date")
    )
    leavers = (
        tables["care_leavers"]
        .filter(pl.col("contact_date").is_between(start, end))
        .sort("child_id", "contact_date")
        .unique("child_id", keep="last", maintain_order=True)
        .join(dob, on="child_id", how="left")
    )
    in_return = pl.concat(
        [episodes.select("child_id"), reviews.select("child_id"), leavers.select("child_id")]
    ).unique()
    header = dob.join(in_return, on="child_id", how="semi").sort("child_id")
    sex = (
        pl.col("sex").replace_strict({"M": "1", "F": "2"}, default=None)
        if year < 2025
        else pl.col("sex")
    )
    header_out = header.select(
        pl.col("child_id").alias("CHILD"),
        sex.alias("SEX"),
        _fmt(pl.col("date_of_birth")).alias("DOB"),
        pl.col("ethnicity").alias("ETHNIC"),
        pl.col("upn").alias("UPN"),
        pl.lit(None, dtype=pl.String).alias("MOTHER"),
        pl.lit(None, dtype=pl.String).alias("MC_DOB"),
    )
    uasc_out = header.filter(pl.col("uasc").fill_null(False)).select(
        pl.col("child_id").alias("CHILD"),
        sex.alias("SEX"),
        _fmt(pl.col("date_of_birth")).alias("DOB"),
        pl.lit(None, dtype=pl.String).alias("DUC"),
    )
    reviews_out = reviews.select(
        pl.col("child_id").alias("CHILD"),
        _fmt(pl.col("date_of_birth")).alias("DOB"),
        _fmt(pl.col("review_date")).alias("REVIEW"),
        pl.col("participation").alias("REVIEW_CODE"),
    )
    suitable = pl.col("accommodation_suitable")
    oc3_out = leavers.select(
        pl.col("child_id").alias("CHILD"),
        _fmt(pl.col("date_of_birth")).alias("DOB"),
        pl.col("in_touch").alias("IN_TOUCH"),
        pl.col("activity").alias("ACTIV"),
        pl.concat_str(
            [
                pl.col("accommodation"),
                pl.when(suitable)
                .then(pl.lit("1"))
                .when(~suitable)
                .then(pl.lit("2"))
                .otherwise(pl.lit("")),
            ]
        ).alias("ACCOM"),
    )
    allocations = (
        tables["allocations"]
        .join(episodes.select("child_id").unique(), on="child_id", how="semi")
        .filter(
            (pl.col("start_date") <= end)
            & (pl.col("end_date").is_null() | (pl.col("end_date") >= start))
        )
        .join(dob, on="child_id", how="left")
        .sort("child_id", "start_date")
    )
    sw_ended = pl.col("end_date").is_not_null() & (pl.col("end_date") <= end)
    sw_out = allocations.select(
        pl.col("child_id").alias("CHILD"),
        _fmt(pl.col("date_of_birth")).alias("DOB"),
        pl.col("worker_id").alias("SW_ID"),
        _fmt(pl.col("start_date")).alias("SW_DECOM"),
        pl.when(sw_ended).then(_fmt(pl.col("end_date"))).alias("SW_DEC"),
        pl.lit(None, dtype=pl.String).alias("SW_REASON"),
    )
    return {
        "Header": header_out,
        "Episodes": episodes_out,
        "Reviews": reviews_out,
        "UASC": uasc_out,
        "OC3": oc3_out,
        "SWEpisodes": sw_out,
    }


register_format(
    ExtractFormat(
        name=FORMAT,
        title="SSDA903 (children looked after) CSV tables",
        detect=detect,
        read=lambda files, limits: read_ssda903_files(files, limits=limits),
        accepts=(
            "DfE's SSDA903 CSV tables (Header, Episodes, Reviews, UASC, OC3, SWEpisodes; OC2, "
            "AD1, PlacedAdoption, PrevPerm and Missing are checked but not used) or DfE's "
            "SSDA903 XML (EXPSSDA903), one year or several, the year in each file or folder "
            "name (e.g. episodes_2024.csv, header_2324.csv, 2024/episodes.csv) or given with "
            "--collection-year"
        ),
    )
)
