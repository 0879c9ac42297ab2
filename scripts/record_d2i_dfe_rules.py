"""Record which rows D2I's validators flag on our DfE-rule fixtures.

D2I's validators (data-to-insight's ``csc-validator-be-903`` and ``csc-validator-be-cin``,
MIT, on PyPI) implement DfE's SSDA903 and CIN census rules; they pin pandas < 2, so they
run in their own throwaway environment, never the project's:

    python3 -m venv /tmp/d2i && /tmp/d2i/bin/pip install csc-validator-be-903 csc-validator-be-cin
    /tmp/d2i/bin/python scripts/record_d2i_dfe_rules.py

It writes ``tests/engine/fixtures/dfe_rules/d2i_expected.json``: for each rule the library
implements, the rows D2I's validator flags on the fixtures with planted errors
(``tests/engine/fixtures/dfe_rules/``). ``tests/engine/casedata/test_dfe_rules.py`` checks
that the library flags the same rows.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "engine" / "fixtures" / "dfe_rules"
#: The rules the library implements (journey.engine.casedata.dfe_rules), by return.
SSDA903_RULES = ["357", "366", "431", "432", "433", "501", "142", "354", "385", "388"]
CIN_RULES = ["8569Q", "8608", "8615", "8925", "8935", "8940", "8841", "8630", "8820", "1103", "2889"]
#: The date that identifies a row of each CIN table (with the child).
CIN_KEYS = {
    "CINdetails": "CINreferralDate",
    "Assessments": "AssessmentActualStartDate",
    "Section47": "S47ActualStartDate",
    "ChildProtectionPlans": "CPPstartDate",
    "Reviews": "CPPreviewDate",
}
SSDA903_YEAR = "2024"
CIN_RULESET = "cin2023_24"
SSDA903_RULESET = "lac2023_24"


def ssda903() -> dict[str, list[list[object]]]:
    from lac_validator.lac_validator import LacValidator

    registry = importlib.import_module(f"lac_validator.rules.{SSDA903_RULESET}").registry
    folder = FIXTURES / "ssda903"
    files = [
        {"name": p.name, "file_content": p.read_bytes(), "description": "This year"}
        for p in sorted(folder.glob("*.csv"))
    ]
    names = {}
    for p in sorted(folder.glob("*.csv")):
        header = p.read_text().splitlines()[0]
        names["Episodes" if "DECOM" in header else "Header"] = p.name
    validator = LacValidator(
        metadata={"collectionYear": SSDA903_YEAR, "localAuthority": "E06000012"},
        files=files,
        registry=registry,
        selected_rules=SSDA903_RULES,
    )
    out: dict[str, list[list[object]]] = {}
    for code in SSDA903_RULES:
        rows = []
        for table, frame in validator.ds_results.items():
            column = f"ERR_{code}"
            if table in names and column in getattr(frame, "columns", []):
                # Row numbers as the analyst sees them: the header is row 1.
                rows += [[names[table], int(i) + 2] for i in frame.index[frame[column].fillna(False).astype(bool)]]
        out[code] = sorted(rows)
    return out


def cin() -> dict[str, list[list[object]]]:
    from cin_validator import cin_validator

    registry = importlib.import_module(f"cin_validator.rules.{CIN_RULESET}").registry
    # Our own fixture, in D2I's environment (which has no defusedxml).
    root = ET.parse(FIXTURES / "cin" / "cin_census_2024.xml").getroot()  # noqa: S314
    data = cin_validator.process_data(cin_validator.convert_data(root))
    validator = cin_validator.CinValidator(data, registry, selected_rules=CIN_RULES)
    issues = validator.full_issue_df
    out: dict[str, list[list[object]]] = {code: [] for code in CIN_RULES}
    for row in issues.itertuples():
        table = str(row.tables_affected)
        if row.rule_code not in out or table not in CIN_KEYS:
            continue
        record = data[table].loc[row.row_id]
        key = record[CIN_KEYS[table]]
        entry = [str(record["LAchildID"]), table, str(key.date()) if hasattr(key, "date") else str(key)]
        if entry not in out[row.rule_code]:
            out[row.rule_code].append(entry)
    return {code: sorted(rows) for code, rows in out.items()}


def main() -> None:
    logging.disable(logging.CRITICAL)
    recorded = {
        "validators": {"ssda903": SSDA903_RULESET, "cin": CIN_RULESET},
        "ssda903": ssda903(),
        "cin": cin(),
    }
    target = FIXTURES / "d2i_expected.json"
    target.write_text(json.dumps(recorded, indent=2) + "\n")
    print(f"Wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
