"""Tiny hand-made extracts shared by the case-data tests."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import polars as pl
import pytest

from journey.engine.casedata.schema import FLAG_COLUMN, Extract, empty_case_data


def make_extract(as_at: date | None = date(2024, 3, 31)) -> Extract:
    """Every kind of value: dates, yes/no, whole numbers, decimals, codes, accents, formula-like text."""
    tables = empty_case_data()
    tables["children"] = pl.LazyFrame(
        {
            "child_id": ["C2", "C1", "C3"],
            "sex": ["F", "M", None],
            "date_of_birth": [date(2016, 2, 1), date(2015, 3, 1), date(2024, 6, 1)],
            "unborn": [False, False, True],
            "ethnicity": ["WBRI", None, None],
            "upn": ['=HYPERLINK("x")', "A123", None],
            "disability": [None, True, None],
            "uasc": [False, None, None],
            "date_of_death": [None, None, None],
            FLAG_COLUMN: [False, False, False],
        },
        schema_overrides={"date_of_death": pl.Date},
    )
    tables["referrals"] = pl.LazyFrame(
        {
            "referral_id": ["R1", "R2"],
            "child_id": ["C1", "C2"],
            "referral_date": [date(2023, 5, 1), date(2023, 4, 3)],
            "source": ["1A", "6"],
            "nfa": [False, True],
            "primary_need": ["N1", None],
            "closure_date": [None, date(2023, 4, 20)],
            "closure_reason": [None, "RC8"],
            "team": ["Équipe Nord, east", "-Assessment"],
            "worker_id": ["W1", None],
            FLAG_COLUMN: [False, False],
        },
        schema_overrides={"closure_date": pl.Date},
    )
    tables["workers"] = pl.LazyFrame(
        {
            "worker_id": ["W1"],
            "team": ["@team"],
            "service": ["assessment"],
            "role": ["SW"],
            "employment": ["agency"],
            "fte": [0.5],
            "start_date": [date(2020, 1, 6)],
            "end_date": [None],
            FLAG_COLUMN: [False],
        },
        schema_overrides={"end_date": pl.Date},
    )
    tables["population"] = pl.LazyFrame(
        {"year": [2023], "population_0_17": [40000], FLAG_COLUMN: [False]}
    )
    return Extract(tables, as_at=as_at)


@pytest.fixture
def extract() -> Extract:
    return make_extract()


def with_formula(workbook: bytes, sheet_part: str, cell: str, formula: str) -> bytes:
    """The workbook with a formula added to a cell that already holds a (saved) value."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            content = source.read(entry.filename)
            if entry.filename == sheet_part:
                content, n = re.subn(
                    rf'(<c r="{cell}"[^>]*>)'.encode(),
                    rb"\g<1><f>" + formula.encode() + b"</f>",
                    content,
                )
                assert n == 1
            target.writestr(entry, content)
    return out.getvalue()
