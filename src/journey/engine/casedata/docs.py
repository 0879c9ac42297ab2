"""The canonical format's reference tables, generated from the schema.

docs/data-format.md embeds :func:`schema_markdown` between markers; a test fails when the
document and the schema disagree, so the analyst's guide cannot go stale.
"""

from __future__ import annotations

import polars as pl

from journey.engine.casedata import codes
from journey.engine.casedata.problems import RULES
from journey.engine.casedata.schema import TABLES, Column
from journey.engine.casedata.validation import is_identifier

BEGIN = "<!-- BEGIN GENERATED: journey data schema-doc (do not edit by hand) -->"
END = "<!-- END GENERATED -->"


def _code_list_names() -> dict[int, str]:
    """Each code list object → its name in codes.py (``PLACEMENT_TYPE`` → ``placement type``)."""
    return {
        id(value): name.lower().replace("_", " ")
        for name, value in vars(codes).items()
        if name.isupper() and isinstance(value, dict)
    }


def _anchor(name: str) -> str:
    return "codes-" + name.replace(" ", "-")


def _type(column: Column) -> str:
    if column.dtype == pl.Date():
        return "date"
    if column.dtype == pl.Boolean():
        return "yes/no"
    if column.dtype == pl.Int64():
        return "whole number"
    if column.dtype == pl.Float64():
        return "number"
    if column.codes is not None:
        return "code"
    return "identifier" if is_identifier(column) else "text"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def schema_markdown() -> str:
    """Every table, column, code list and validation rule as Markdown."""
    names = _code_list_names()
    used: dict[str, dict[str, str]] = {}
    out = [BEGIN, "", "### Tables", ""]
    for table in TABLES:
        out += [f"#### `{table.name}` — {table.title}", "", table.description, ""]
        out.append(f"Key (a repeat is reported): {', '.join(f'`{k}`' for k in table.key)}.")
        if table.date_order:
            pairs = "; ".join(f"`{end}` not before `{start}`" for start, end in table.date_order)
            out.append(f"Dates in order: {pairs}.")
        if table.sources:
            out.append(f"Usually from: {table.sources}.")
        out += ["", "| column | type | required | meaning | checks |", "|---|---|---|---|---|"]
        for column in table.columns:
            checks = []
            if column.codes is not None:
                list_name = names.get(id(column.codes), column.name.replace("_", " "))
                used[list_name] = column.codes
                checks.append(f"code list [{list_name}](#{_anchor(list_name)})")
            if column.event_date:
                checks.append("not before birth, not after the extract date")
            if column.references:
                checks.append(f"refers to `{column.references}`")
            out.append(
                f"| `{column.name}` | {_type(column)} | {'yes' if column.required else ''} "
                f"| {_cell(column.description)} | {'; '.join(checks)} |"
            )
        out.append("")
    out += ["### Code lists", ""]
    for list_name in sorted(used):
        out += [f'<a id="{_anchor(list_name)}"></a>', f"#### {list_name.capitalize()}", ""]
        out += ["| code | meaning |", "|---|---|"]
        out += [f"| `{code}` | {_cell(meaning)} |" for code, meaning in used[list_name].items()]
        out.append("")
    out += [
        "### Validation rules",
        "",
        "| rule | severity | meaning | example |",
        "|---|---|---|---|",
    ]
    for code, rule in RULES.items():
        out.append(
            f"| `{code}` | {rule.severity} | {_cell(rule.meaning)} | {_cell(rule.example)} |"
        )
    out += ["", END, ""]
    return "\n".join(out)


def replace_generated(document: str) -> str:
    """The document with its generated section replaced by the current one."""
    start, end = document.index(BEGIN), document.index(END) + len(END) + 1
    return document[:start] + schema_markdown() + document[end:]
