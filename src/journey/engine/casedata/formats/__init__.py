"""Readers and writers for the statutory formats: SSDA903 CSV tables, the CIN census XML
and Ofsted's Annex A workbook. Each reader maps into the canonical tables and reports
format-level problems; business rules are checked afterwards by the shared validation.
See docs/statutory-formats.md for what each format carries.
"""

from __future__ import annotations

from journey.engine.casedata.formats._common import FormatResult
from journey.engine.casedata.formats.ssda903 import read_ssda903, write_ssda903

__all__ = ["FormatResult", "read_ssda903", "write_ssda903"]
