"""Read any supported extract: recognise its format, read it, check it, report.

Formats register themselves here (:func:`register_format`): the canonical format
(:mod:`journey.engine.casedata.canonical`) and the statutory ones in
:mod:`journey.engine.casedata.formats`. A reader turns the files into typed canonical
tables (:func:`journey.engine.casedata.validation.parse_table` does the typing) and reports
what it could not read; :func:`read_files` then applies the same business rules to every
format, so a warning means the same thing whichever format the data came in.

An extract is a set of files, ``{name: bytes}`` (a folder's files, an upload, or one file),
so the same code serves the command line, the browser upload and recomputation from the
snapshot store.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

import polars as pl

from journey.engine.casedata.problems import ERROR, WARNING, Problem, ValidationReport
from journey.engine.casedata.safety import Limits, UnsafeInput
from journey.engine.casedata.schema import Extract
from journey.engine.casedata.validation import Source, validate

Progress = Callable[[float, str], None]
"""Told the fraction done (0 to 1) and what is happening, for a progress bar."""


def no_progress(fraction: float, message: str) -> None:
    """The progress callback when nobody is watching."""


Files = Mapping[str, bytes]
"""An extract's files: name as the analyst knows it (relative to the folder) → content."""


class ReadResult(Protocol):
    """What a format's reader hands back: typed canonical tables and what it could not read.

    ``tables`` hold the canonical tables the format fills (typed, any optional location
    columns from :mod:`validation`), ``problems`` the errors and warnings found while
    reading, ``as_at`` the extract's date when the files say it.
    """

    tables: dict[str, pl.DataFrame]
    problems: list[Problem]
    as_at: date | None


@dataclass
class CanonicalTables:
    """The plain :class:`ReadResult`, with where each table came from for the messages."""

    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    as_at: date | None = None
    sources: dict[str, Source] = field(default_factory=dict)
    la_code: str | None = None


@dataclass(frozen=True)
class ExtractFormat:
    """A format the product reads.

    ``detect`` gives a confidence from 0 (not this format) to 100 (certainly this format)
    by looking at names and the first bytes only; ``read`` does the work.
    """

    name: str
    title: str
    detect: Callable[[Files], int]
    read: Callable[[Files, Limits], ReadResult]
    #: One line for the documentation and the command line: what files it expects.
    accepts: str = ""


_FORMATS: dict[str, ExtractFormat] = {}


def register_format(extract_format: ExtractFormat) -> None:
    _FORMATS[extract_format.name] = extract_format


def _discover() -> None:
    """Import the readers so they register (the canonical one and each statutory format)."""
    importlib.import_module("journey.engine.casedata.canonical")
    try:
        package = importlib.import_module("journey.engine.casedata.formats")
    except ModuleNotFoundError:
        return
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{module.name}")


def formats() -> dict[str, ExtractFormat]:
    """Every registered format by name."""
    _discover()
    return dict(_FORMATS)


#: Spreadsheet files people upload by habit, and what to do instead.
SAVE_AS = {
    ".xls": "old-style .xls workbooks are not read: save it as .xlsx (or CSV UTF-8)",
    ".xlsm": "macro-enabled .xlsm workbooks are not read: save it as .xlsx, without macros",
    ".xlsb": "binary .xlsb workbooks are not read: save it as .xlsx",
    ".ods": "OpenDocument .ods spreadsheets are not read: save it as .xlsx",
    ".numbers": "Numbers spreadsheets are not read: export it as .xlsx or CSV",
    ".zip": "a .zip archive is not opened: unzip it and give the folder (or upload the files in it)",
}


def detect_format(files: Files) -> tuple[ExtractFormat | None, list[Problem]]:
    """The format the files are in, or None with an error saying why none (or several) fit."""
    scores = sorted(
        ((fmt.detect(files), fmt) for fmt in formats().values()),
        key=lambda pair: (-pair[0], pair[1].name),
    )
    names = ", ".join(sorted(files)) or "(no files)"
    if not scores or scores[0][0] == 0:
        saved_as = sorted({SAVE_AS[s] for n in files if (s := Path(n).suffix.lower()) in SAVE_AS})
        if saved_as:
            return None, [Problem(ERROR, "unknown_format", f"{names}: {'; '.join(saved_as)}")]
        if files and not any(data.strip() for data in files.values()):
            return None, [
                Problem(
                    ERROR,
                    "empty_extract",
                    f"{names}: {'the file is' if len(files) == 1 else 'every file is'} empty, "
                    "so there is nothing to read: export the data again",
                )
            ]
        known = "; ".join(f"{f.title}: {f.accepts}" for _, f in scores) or "none registered"
        return None, [
            Problem(
                ERROR,
                "unknown_format",
                f"{names} is not an extract format this product reads ({known})",
            )
        ]
    best, fmt = scores[0]
    if len(scores) > 1 and scores[1][0] == best:
        return None, [
            Problem(
                ERROR,
                "ambiguous_format",
                f"{names} could be {fmt.title} or {scores[1][1].title}; choose the format",
            )
        ]
    return fmt, []


def files_from_path(path: Path, limits: Limits | None = None) -> dict[str, bytes]:
    """The files of an extract given as one file or a folder, with the files of its
    subfolders named by their path in it (``2018/episodes.csv``: a year folder dates the
    SSDA903 files inside it). Hidden files and folders are skipped."""
    limits = limits or Limits()
    if path.is_dir():
        paths = sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if len(paths) > limits.files:
            raise UnsafeInput(
                Problem(
                    ERROR,
                    "too_many_files",
                    f"the folder holds {len(paths)} files, over the limit of {limits.files}",
                    file=str(path),
                )
            )
    else:
        paths = [path]
    files = {}
    for p in paths:
        size = p.stat().st_size
        if size > limits.file_bytes:
            raise UnsafeInput(
                Problem(
                    ERROR,
                    "too_large",
                    f"the file is {size:,} bytes, over the limit of {limits.file_bytes:,}",
                    file=p.name,
                )
            )
        files[p.relative_to(path).as_posix() if path.is_dir() else p.name] = p.read_bytes()
    return files


def read_files(
    files: Files,
    *,
    as_at: date | None = None,
    format: str | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> tuple[Extract, ValidationReport]:
    """Read, type and check an extract. Errors in the report mean it must not be loaded.

    ``as_at`` overrides the date the extract gives itself; when neither says, today's date is
    used and a warning says so (so a stored snapshot always has a date and recomputes the
    same). The tables come back lazy, every
    one present, with ``_flagged`` set on rows with warnings. ``progress`` is told the
    fraction done and what is happening.
    """
    tell = progress or no_progress
    limits = limits or Limits()
    report = ValidationReport(files=sorted(files))
    tell(0.0, "Recognising the format")
    if format is None:
        chosen, problems = detect_format(files)
        report.extend(problems)
    else:
        available = formats()
        if format not in available:
            raise KeyError(f"unknown format {format!r}; formats: {', '.join(sorted(available))}")
        chosen = available[format]
    if chosen is None:
        return Extract(validate({}, as_at=as_at)[0], as_at=as_at), report
    report.format = chosen.name
    tell(0.1, f"Reading the {chosen.title}")
    try:
        result = chosen.read(files, limits)
    except UnsafeInput as refused:
        report.add(refused.problem)
        return Extract(validate({}, as_at=as_at)[0], as_at=as_at), report
    report.extend(result.problems)
    assumed = as_at is None and result.as_at is None
    as_at = as_at or result.as_at or date.today()
    # A file that could not be read at all may well say its date: only an extract that was
    # read is told that today's date is assumed.
    unread = any(p.severity == ERROR for p in result.problems) and not any(
        frame.height for frame in result.tables.values()
    )
    if assumed and not unread:
        report.add(
            Problem(
                WARNING,
                "extract_date_assumed",
                f"the extract does not say when it was taken, so it is taken as at today, "
                f"{as_at.isoformat()} (give the date in extract.json, an _extract sheet or --as-at)",
            )
        )
    sources: dict[str, Source] = getattr(result, "sources", {}) or {}
    tell(0.6, "Checking the business rules")
    tables, problems = validate(result.tables, as_at=as_at, sources=sources)
    report.extend(problems)
    report.tables = {name: frame.height for name, frame in result.tables.items()}
    if report.ok and not any(rows for name, rows in report.tables.items() if name != "population"):
        report.add(_no_rows(chosen, report))
    tell(1.0, "Checked")
    la_code = getattr(result, "la_code", None)
    return Extract(tables, as_at=as_at, la_code=la_code, present=frozenset(report.tables)), report


def _no_rows(chosen: ExtractFormat, report: ValidationReport) -> Problem:
    """The error for an extract that holds no case records at all: loading it would
    replace figures with nothing (e.g. an XML file read as SSDA903's CSV tables)."""
    files = ", ".join(report.files) or "the extract"
    given = ", ".join(f"{name} (0 rows)" for name in report.tables) or "no tables"
    return Problem(
        ERROR,
        "no_rows",
        f"{files} read as {chosen.title} gave no case records ({given}): there is nothing "
        "to load. Check that the files are the ones meant and, if you chose the format, "
        "that it is the right one.",
    )


def with_collection_year(files: Files, year: int) -> tuple[dict[str, bytes], list[Problem]]:
    """The files as if in a folder named for ``year`` (the collection year, ending 31 March),
    so the year stays with the files wherever they are kept (the snapshot store keeps the
    names, so a recomputation reads them the same way). A file whose name or folder already
    states another year is an error naming the option."""
    from journey.engine.casedata.formats.ssda903 import year_of_name

    out: dict[str, bytes] = {}
    problems: list[Problem] = []
    for name, data in files.items():
        stated = year_of_name(name)
        if stated is None:
            out[f"{year}/{name}"] = data
            continue
        if stated != year:
            problems.append(
                Problem(
                    ERROR,
                    "collection_year_conflict",
                    f"the file's name says collection year {stated} but --collection-year "
                    f"{year} was given: give the option only for files whose names carry no year",
                    file=name,
                )
            )
        out[name] = data
    return out, problems


def read_path(
    path: Path,
    *,
    as_at: date | None = None,
    format: str | None = None,
    limits: Limits | None = None,
    collection_year: int | None = None,
) -> tuple[Extract, ValidationReport]:
    """:func:`read_files` for a file or folder on disk; a refused file is an error in the
    report. ``collection_year`` dates files whose names carry no year (SSDA903)."""
    limits = limits or Limits()
    try:
        files = files_from_path(path, limits)
    except UnsafeInput as refused:
        report = ValidationReport(problems=[refused.problem], files=[path.name])
        return Extract(validate({}, as_at=as_at)[0], as_at=as_at), report
    if collection_year is not None:
        files, problems = with_collection_year(files, collection_year)
        if problems:
            report = ValidationReport(problems=problems, files=sorted(files))
            return Extract(validate({}, as_at=as_at)[0], as_at=as_at), report
    return read_files(files, as_at=as_at, format=format, limits=limits)
