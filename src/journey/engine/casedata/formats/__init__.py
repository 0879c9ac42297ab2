"""Readers and writers for the statutory formats: SSDA903 CSV tables, the CIN census XML
and Ofsted's Annex A workbook.

Each reader maps into the canonical tables (with ``_file``/``_sheet``/``_row`` so the
shared validation can name the statutory file's row) and reports format-level problems;
business rules are checked afterwards by :func:`journey.engine.casedata.validation.validate`
(:func:`journey.engine.casedata.load.read_files` does both, recognising the format). Each
module registers its format with the loader when imported. See docs/statutory-formats.md
for what each format carries and what a round trip keeps.
"""

from __future__ import annotations

from journey.engine.casedata.formats._common import FormatResult
from journey.engine.casedata.formats.annex_a import read_annex_a, read_annex_a_bytes, write_annex_a
from journey.engine.casedata.formats.cin_census import (
    read_cin_census,
    read_cin_census_bytes,
    write_cin_census,
)
from journey.engine.casedata.formats.ssda903 import (
    read_ssda903,
    read_ssda903_files,
    write_ssda903,
)

__all__ = [
    "FormatResult",
    "read_annex_a",
    "read_annex_a_bytes",
    "read_cin_census",
    "read_cin_census_bytes",
    "read_ssda903",
    "read_ssda903_files",
    "write_annex_a",
    "write_cin_census",
    "write_ssda903",
]
