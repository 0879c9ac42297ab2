"""Refusing hostile or broken input before any parser touches it.

Uploads come from a browser, so every file is treated as hostile until checked:

* **Text (CSV)**: UTF-8 (with or without a byte-order mark) or Windows-1252 only. UTF-16
  and binary files (NUL bytes, a workbook or PDF renamed ``.csv``) are refused by name.
  Before any parser runs, no line may be longer than ``line_bytes`` and the header may
  not have more than ``columns`` fields (a CSV of a million columns is refused in
  milliseconds, not after gigabytes of parsing).
* **XML** (CIN census): parsed with ``defusedxml``; a DTD, entity declaration or external
  reference is refused, so entity expansion ("billion laughs") and external entities
  cannot happen. :func:`parse_xml` is the one entry every XML reader uses.
* **XLSX** is a zip: before openpyxl opens it, the entry count, total uncompressed size and
  compression ratio of every part and of the whole archive are checked against
  :class:`Limits` (zip bombs), and any part that declares a DTD or entities is refused
  (openpyxl also parses through defusedxml). The cells a sheet declares (its dimension)
  are checked before it is read; while reading, rows and columns per sheet and cells per
  workbook are capped. Cells are read as values and never evaluated: a formula
  cell gives a warning naming the cell and its *saved* value is used (blank when the file
  was never recalculated), so a workbook reads the same wherever it is opened.

Caps are configurable per call (:class:`Limits`) or through environment variables
(:meth:`Limits.from_env`).
"""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from journey.engine.casedata.problems import ERROR, WARNING, Problem


@dataclass(frozen=True)
class Limits:
    """Size caps for one extract. Environment: ``JOURNEY_MAX_<FIELD>`` (upper case)."""

    #: Largest single file accepted (bytes).
    file_bytes: int = 200 * 1024 * 1024
    #: Most files in one extract (a folder of CSVs).
    files: int = 100
    #: Most entries inside an XLSX zip.
    zip_entries: int = 2_000
    #: Largest total uncompressed size of an XLSX zip (bytes).
    zip_uncompressed_bytes: int = 1024 * 1024 * 1024
    #: Highest compression ratio of any XLSX entry (uncompressed ÷ compressed).
    zip_ratio: int = 200
    #: Most rows in one sheet or CSV file.
    rows: int = 2_000_000
    #: Most columns in one sheet or CSV file.
    columns: int = 500
    #: Longest line of a CSV file (bytes).
    line_bytes: int = 1024 * 1024
    #: Most cells in one workbook, all sheets together.
    cells: int = 30_000_000

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Limits:
        environ = dict(os.environ if environ is None else environ)
        values = {}
        for f in fields(cls):
            text = environ.get(f"JOURNEY_MAX_{f.name.upper()}")
            if text:
                values[f.name] = int(text)
        return cls(**values)


class UnsafeInput(Exception):
    """A file refused before parsing; ``problem`` says which and why."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


def _refuse(file: str, code: str, message: str, sheet: str | None = None) -> UnsafeInput:
    return UnsafeInput(Problem(ERROR, code, message, file=file, sheet=sheet))


_MAGIC = (
    (b"PK\x03\x04", "a zip archive or Excel .xlsx workbook"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel .xls workbook (save it as .xlsx or CSV UTF-8)"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
)


def check_size(data: bytes, file: str, limits: Limits) -> None:
    if len(data) > limits.file_bytes:
        raise _refuse(
            file,
            "too_large",
            f"the file is {len(data):,} bytes, over the limit of {limits.file_bytes:,}",
        )


def check_lines(data: bytes, file: str, limits: Limits) -> None:
    """Refuse a line longer than ``line_bytes`` or a header wider than ``columns``, unparsed.

    A line longer than the cap covers a position that is a multiple of the cap, so looking
    around those positions only (``find``/``rfind``, bounded by the cap) finds every one.
    """
    cap = limits.line_bytes
    for boundary in range(cap, len(data), cap):
        start = data.rfind(b"\n", max(0, boundary - cap - 1), boundary)
        end = data.find(b"\n", boundary, boundary + cap + 1)
        if end == -1 and len(data) - boundary <= cap:
            end = len(data)
        if end == -1 or end - start - 1 > cap:
            line = data.count(b"\n", 0, boundary) + 1
            raise _refuse(
                file,
                "line_too_long",
                f"line {line:,} is longer than the limit of {cap:,} bytes: the file is not a "
                "CSV extract, or its line endings are missing",
            )
    end = data.find(b"\n")
    header = data[: end if end != -1 else len(data)]
    # A separator inside quotes is counted too, so this over-counts, never under-counts:
    # a header near the limit is then counted exactly.
    if header.count(b",") + 1 > limits.columns:
        fields = next(csv.reader([header.decode("utf-8", "replace")]), [])
        if len(fields) > limits.columns:
            raise _refuse(
                file,
                "too_many_columns",
                f"the header has {len(fields):,} columns, over the limit of {limits.columns:,}",
            )


def decode_text(data: bytes, file: str, limits: Limits | None = None) -> str:
    """The text of a CSV file: UTF-8 (BOM optional) or Windows-1252; anything else refused."""
    limits = limits or Limits()
    check_size(data, file, limits)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(
            file,
            "wrong_encoding",
            "the file is encoded as UTF-16; save it as 'CSV UTF-8' (or Windows-1252) instead",
        )
    for magic, what in _MAGIC:
        if data.startswith(magic):
            raise _refuse(file, "not_text", f"the file is {what}, not a CSV text file")
    if b"\x00" in data[:65536]:
        raise _refuse(
            file, "not_text", "the file contains NUL bytes: it is binary (or UTF-16), not CSV text"
        )
    check_lines(data, file, limits)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as err:
            raise _refuse(
                file,
                "wrong_encoding",
                f"byte 0x{data[err.start]:02x} at position {err.start} is neither UTF-8 nor "
                "Windows-1252 text; save the file as 'CSV UTF-8'",
            ) from None
    controls = re.search(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]", text[:65536])
    if controls:
        raise _refuse(
            file,
            "not_text",
            f"the file contains control character 0x{ord(controls.group()):02x}: "
            "it is binary, not CSV text",
        )
    return text


def parse_xml(data: bytes, file: str, limits: Limits | None = None) -> Element:
    """Parse XML with no DTDs, no entity expansion and no external references."""
    check_size(data, file, limits or Limits())
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as err:
        raise _refuse(
            file,
            "unsafe_xml",
            "the XML declares a DTD or entities, which are refused for safety "
            f"(entity expansion and external references): {err!r}",
        ) from None
    except ParseError as err:
        raise _refuse(file, "unreadable_xml", xml_error(data, err)) from None


#: An XML declaration naming an encoding other than UTF-8 (its bytes are then not UTF-8).
_OTHER_ENCODING = re.compile(rb"^(?:\xef\xbb\xbf)?<\?xml[^>]*encoding=[\"'](?!utf-?8[\"'])", re.I)


def xml_error(data: bytes, err: ParseError) -> str:
    """Why the XML cannot be parsed; a byte that is not UTF-8 is named as an encoding fault
    (an XML file that declares no encoding must be UTF-8)."""
    if "invalid token" in str(err) and not _OTHER_ENCODING.match(data[:200]):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            at = data[: bad.start].count(b"\n") + 1
            return (
                f"the file is not well-formed XML: byte 0x{data[bad.start]:02x} on line {at} is "
                "not UTF-8 (a '£' or an accented letter saved as Windows-1252?): save the file as "
                "UTF-8, or declare its encoding on the first line "
                "(<?xml version=\"1.0\" encoding=\"windows-1252\"?>)"
            )
    line: int | None = err.position[0] if getattr(err, "position", None) else None
    ends = "unclosed token" in str(err) or "no element found" in str(err)
    if ends and line is not None and line >= data.rstrip().count(b"\n") + 1:
        return (
            f"the file is not well-formed XML: it ends on line {line} before its elements are "
            "closed, so it looks cut short (an interrupted export, download or copy): export or "
            "copy it again"
        )
    return f"the file is not well-formed XML: {err}"


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
_CHUNK = 1024 * 1024
_OVERLAP = 64


def _part_contains(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, pattern: re.Pattern) -> bool:
    """Whether a zip part matches ``pattern`` anywhere, reading it in chunks, never whole."""
    tail = b""
    with archive.open(entry) as part:
        while chunk := part.read(_CHUNK):
            window = tail + chunk
            if pattern.search(window):
                return True
            tail = window[-_OVERLAP:]
    return False


def _check_part(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, file: str) -> None:
    """Refuse a part that declares a DTD, hides one in another encoding, or cannot be read.

    The DTD scan reads bytes, so an XML part in UTF-16 or UTF-32 (a byte-order mark or NUL
    bytes) is refused rather than scanned; a damaged part is a problem to report, not a crash.
    """
    try:
        if entry.filename.endswith((".xml", ".rels", ".vml")):
            with archive.open(entry) as part:
                head = part.read(_CHUNK)
            if head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")) or b"\x00" in head:
                raise _refuse(
                    file,
                    "unsafe_xml",
                    f"the part {entry.filename} is not UTF-8 encoded XML, which is refused for "
                    "safety (re-save the workbook in Excel)",
                )
        declares_dtd = _part_contains(archive, entry, _DTD)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise _refuse(
            file,
            "not_a_workbook",
            f"the workbook is damaged: its part {entry.filename} cannot be read ({exc})",
        ) from None
    if declares_dtd:
        raise _refuse(
            file,
            "unsafe_xml",
            f"the part {entry.filename} declares a DTD or entities, which are refused "
            "for safety (entity expansion and external references)",
        )


#: Excel saves a workbook with a password to open as an OLE2 compound file holding an
#: ``EncryptionInfo`` stream (named in UTF-16); an old-style .xls is OLE2 too.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")


def _not_a_zip(data: bytes) -> str:
    """Why a file named .xlsx is not one, in words that say what to do."""
    if not data.strip():
        return "the file is empty (0 bytes): export the workbook again"
    if data.startswith(_OLE2):
        if _ENCRYPTION_INFO in data:
            return (
                "the workbook is protected with a password, so it cannot be read: open it in "
                "Excel, remove the password (File > Info > Protect Workbook > Encrypt with "
                "Password, clear it) and save it again"
            )
        return "the file is an old-style .xls workbook: save it as .xlsx (Excel Workbook)"
    return "the file is not an .xlsx workbook (it is not a zip archive)"


def check_zip(data: bytes, file: str, limits: Limits | None = None) -> None:
    """Refuse zip bombs and oversize workbooks by reading only the zip's directory."""
    limits = limits or Limits()
    check_size(data, file, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _refuse(file, "not_a_workbook", _not_a_zip(data)) from None
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.zip_entries:
            raise _refuse(
                file,
                "zip_bomb",
                f"the workbook holds {len(entries):,} parts, over the limit of {limits.zip_entries:,}",
            )
        total = sum(e.file_size for e in entries)
        if total > limits.zip_uncompressed_bytes:
            raise _refuse(
                file,
                "zip_bomb",
                f"the workbook expands to {total:,} bytes, over the limit of "
                f"{limits.zip_uncompressed_bytes:,}",
            )
        for entry in entries:
            ratio = entry.file_size / max(entry.compress_size, 1)
            if ratio > limits.zip_ratio:
                raise _refuse(
                    file,
                    "zip_bomb",
                    f"the part {entry.filename} expands {ratio:,.0f} times, over the limit of "
                    f"{limits.zip_ratio} (a compression bomb)",
                )
        packed = sum(e.compress_size for e in entries)
        if total / max(packed, 1) > limits.zip_ratio:
            raise _refuse(
                file,
                "zip_bomb",
                f"the workbook's parts expand {total / max(packed, 1):,.0f} times together, over "
                f"the limit of {limits.zip_ratio} (a compression bomb)",
            )
        for entry in entries:
            _check_part(archive, entry, file)
        if "xl/workbook.xml" not in archive.namelist():
            raise _refuse(
                file,
                "not_a_workbook",
                "the zip archive is not an .xlsx workbook (no xl/workbook.xml)",
            )


def xlsx_sheet_names(data: bytes, file: str, limits: Limits | None = None) -> list[str]:
    """Sheet names in workbook order, from the (checked) zip without opening openpyxl."""
    check_zip(data, file, limits)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = parse_xml(archive.read("xl/workbook.xml"), f"{file} (xl/workbook.xml)", limits)
    return [el.attrib.get("name", "") for el in root.iter() if el.tag.endswith("}sheet")]


def cell_text(value: object) -> str | None:
    """A cell's value as the text a CSV would hold: whole numbers without ``.0``, ISO dates."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


@dataclass
class Sheet:
    """A sheet's cells as text: ``rows`` are (row number in the sheet, cell texts)."""

    name: str
    rows: list[tuple[int, list[str | None]]] = field(default_factory=list)


_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _sheets_with_formulas(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return any(
            _part_contains(archive, entry, _FORMULA)
            for entry in archive.infolist()
            if entry.filename.startswith("xl/worksheets/") and entry.filename.endswith(".xml")
        )


def _rows(worksheet: object, file: str, sheet: str, limits: Limits) -> Iterator[tuple[int, tuple]]:
    for number, row in enumerate(worksheet.iter_rows(), start=1):  # type: ignore[attr-defined]
        if number > limits.rows:
            raise _refuse(
                file, "too_many_rows", f"the sheet has more than {limits.rows:,} rows", sheet
            )
        if len(row) > limits.columns:
            raise _refuse(
                file,
                "too_many_columns",
                f"the sheet has more than {limits.columns:,} columns",
                sheet,
            )
        yield number, row


def read_xlsx(
    data: bytes, file: str, limits: Limits | None = None
) -> tuple[list[Sheet], list[Problem]]:
    """Every sheet's cells as text, after the zip checks; formula cells give warnings.

    Values are never evaluated: a formula cell's saved value is used and reported.
    """
    limits = limits or Limits()
    check_zip(data, file, limits)
    try:
        return _read_checked_xlsx(data, file, limits)
    except UnsafeInput:
        raise
    except Exception as err:  # openpyxl and lxml raise many kinds; all mean "unreadable"
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise _refuse(file, "not_a_workbook", f"the workbook cannot be read: {reason}") from None


def _read_checked_xlsx(data: bytes, file: str, limits: Limits) -> tuple[list[Sheet], list[Problem]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheets = []
    cells = 0
    try:
        declared = sum(
            (worksheet.max_row or 0) * (worksheet.max_column or 0) for worksheet in book.worksheets
        )
        if declared > limits.cells:
            raise _refuse(
                file,
                "too_many_cells",
                f"the workbook's sheets declare {declared:,} cells, over the limit of "
                f"{limits.cells:,}",
            )
        for worksheet in book.worksheets:
            sheet = Sheet(worksheet.title)
            for number, row in _rows(worksheet, file, worksheet.title, limits):
                cells += len(row)
                if cells > limits.cells:
                    raise _refuse(
                        file,
                        "too_many_cells",
                        f"the workbook has more than {limits.cells:,} cells",
                        worksheet.title,
                    )
                texts = [cell_text(cell.value) for cell in row]
                while texts and texts[-1] is None:
                    texts.pop()
                if texts:
                    sheet.rows.append((number, texts))
            sheets.append(sheet)
    finally:
        book.close()

    problems: list[Problem] = []
    if _sheets_with_formulas(data):
        saved = {s.name: dict(s.rows) for s in sheets}
        formulas = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            for worksheet in formulas.worksheets:
                for number, row in _rows(worksheet, file, worksheet.title, limits):
                    for cell in row:
                        if getattr(cell, "data_type", None) != "f":
                            continue
                        values = saved[worksheet.title].get(number, [])
                        index = cell.column - 1
                        value = values[index] if index < len(values) else None
                        used = (
                            f"its saved value {value!r} is used"
                            if value is not None
                            else "it has no saved value, so the cell is read as blank"
                        )
                        problems.append(
                            Problem(
                                WARNING,
                                "formula_cell",
                                f"cell {cell.coordinate} holds the formula {cell.value}; "
                                f"formulas are never evaluated: {used}",
                                file=file,
                                sheet=worksheet.title,
                                row=number,
                                column=cell.column_letter,
                                value=value,
                            )
                        )
        finally:
            formulas.close()
    return sheets, problems
