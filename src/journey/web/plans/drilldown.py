"""The children behind a figure as a team manager's work list (``VIEW_CHILD_LEVEL`` only).

A computed figure records the snapshot (the stored extract) it was computed from; the
list is the measures engine's ``drilldown`` run on that same snapshot, so the children
listed are exactly those counted. The list can be taken

* as at the newest extract's date ("today's list": the date the data was taken),
* at the end of any month with figures (the children behind that month's figure), or
* as at any date up to the newest extract's (the newest extract, evaluated at that date),

and narrowed by team, worker and reason, sorted by any column, and downloaded as CSV or
Excel. Codes are named (``K2 – Children's home …``). Manual figures, figures imported
without a stored snapshot, and library measures the engine cannot list say so plainly:
nothing is invented. Views record every view and export in the audit log; exports
escape cells that a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import polars as pl
from django import forms
from django.http import HttpResponse
from django.utils.http import content_disposition_header

from journey.engine.casedata.codes import code_name
from journey.engine.periods import month_label
from journey.engine.plan import Measure
from journey.engine.spreadsheet import escape_cell
from journey.web.plans import services
from journey.web.plans.models import Observation

LATEST = "latest"

SHOW_CHOICES = {
    "all": "Everyone counted in the figure",
    "not_numerator": "Only those not in the numerator (e.g. overdue)",
    "numerator": "Only those counted in the numerator (e.g. seen in time)",
}

LABELS = {
    "child_id": "Child",
    "in_numerator": "In numerator",
    "in_denominator": "In denominator",
    "reason": "Reason",
    "worker_id": "Worker",
    "dfe_rules": "DfE rules failed",
    "flagged": "Data warning",
    "quality": "Data note",
    "num": "Numerator",
    "den": "Denominator",
}
"""Column headings in the users' words (others: see :func:`heading`)."""

_WORDS = {"cp": "CP", "cin": "CIN", "cla": "CLA", "dfe": "DfE", "poc": "period of care", "icpc": "ICPC", "s47": "S47"}


def heading(column: str) -> str:
    """A column's heading: ``cp_plan_id`` → "CP plan", ``poc_start`` → "Period of care start"."""
    if column in LABELS:
        return LABELS[column]
    words = [_WORDS.get(w, w) for w in column.removesuffix("_id").split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]

NOT_SHOWN = frozenset({"at"})
"""Columns the heading already says (the date the list is as at)."""

FILTERS = ("team", "worker_id")


def reason_kind(reason: pl.Expr) -> pl.Expr:
    """What kind of reason a record has, for filtering: the words before its details
    ("CP visit overdue: last seen 2024-09-06, …" → "CP visit overdue"; "Allocated to
    W00000314 (open since …)" → "Allocated to")."""
    kind = (
        reason.str.replace(r":.*$", "")
        .str.replace(r"\s*\(.*$", "")
        .str.replace(r"\s*\S*\d.*$", "")
        .str.strip_chars()
    )
    return pl.when(kind == "").then(reason).otherwise(kind)


class WorkListForm(forms.Form):
    """What the list shows: as at when, for whom, which records, in what order."""

    as_at = forms.CharField(required=False, max_length=10)
    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    month = forms.CharField(required=False, max_length=7)
    team = forms.CharField(required=False, max_length=200)
    worker = forms.CharField(required=False, max_length=200)
    reason = forms.CharField(required=False, max_length=200)
    show = forms.ChoiceField(required=False, choices=list(SHOW_CHOICES.items()))
    sort = forms.CharField(required=False, max_length=64)
    order = forms.ChoiceField(required=False, choices=[("asc", "ascending"), ("desc", "descending")])
    format = forms.ChoiceField(required=False, choices=[("", "page"), ("csv", "CSV"), ("xlsx", "Excel")])

    def value(self, name: str) -> str:
        if not self.is_valid():
            return ""
        found = self.cleaned_data.get(name)
        return "" if found is None else str(found)


@dataclass
class Column:
    key: str
    label: str


@dataclass
class ChildList:
    measure: Measure
    month: str | None
    available: bool
    message: str = ""
    columns: list[Column] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    show: str = "all"
    as_at: str = ""
    """What the list is as at, in words ("14 Oct 2024, the newest extract")."""
    choice: str = ""
    """The as-at choice: ``latest``, a month ``YYYY-MM`` or a date ``YYYY-MM-DD``."""
    newest: date | None = None
    months: list[tuple[str, str]] = field(default_factory=list)
    options: dict[str, list[str]] = field(default_factory=dict)
    chosen: dict[str, str] = field(default_factory=dict)
    sort: str = ""
    descending: bool = False
    total: int = 0
    """Records before the team, worker and reason filters."""

    counts_only: bool = False
    """The measure counts records (no denominator): everyone listed is in the figure."""

    @property
    def show_choices(self) -> list[tuple[str, str]]:
        if self.counts_only:
            return [("all", SHOW_CHOICES["all"])]
        return list(SHOW_CHOICES.items())

    @property
    def month_label(self) -> str:
        return month_label(self.month) if self.month else ""

    @property
    def query(self) -> list[tuple[str, str]]:
        """The list's choices as query parameters (for sorting links and downloads)."""
        out = [("as_at", self.choice)]
        out += [(k, v) for k, v in self.chosen.items() if v]
        if self.show != "all":
            out.append(("show", self.show))
        return out

    def sort_links(self) -> list[tuple[Column, str, str]]:
        """Each column with the query that sorts by it and its aria-sort state."""
        from urllib.parse import urlencode

        links = []
        for column in self.columns:
            on = column.key == self.sort
            order = "asc" if not on or self.descending else "desc"
            state = ("descending" if self.descending else "ascending") if on else "none"
            links.append((column, urlencode([*self.query, ("sort", column.key), ("order", order)]), state))
        return links

    def download_query(self, kind: str) -> str:
        from urllib.parse import urlencode

        extra = [("sort", self.sort), ("order", "desc" if self.descending else "asc")] if self.sort else []
        return urlencode([*self.query, *extra, ("format", kind)])

    @property
    def csv_query(self) -> str:
        return self.download_query("csv")

    @property
    def xlsx_query(self) -> str:
        return self.download_query("xlsx")


@lru_cache(maxsize=1)
def _library() -> frozenset[str]:
    from journey.engine.measures import library_ids

    return frozenset(library_ids())


def _library_has(library_id: str) -> bool:
    return library_id in _library()


def _figure_snapshot(measure_id: str, month: str, period_type: str = Observation.PeriodType.MONTH) -> str:
    row = (
        Observation.objects.filter(measure_id=measure_id, period=month, period_type=period_type, breakdown="")
        .values_list("snapshot", flat=True)
        .first()
    )
    return row or ""


def _newest_snapshot(measure_id: str) -> str:
    """The snapshot of the measure's newest computed figure (a "latest" one first)."""
    row = (
        Observation.objects.filter(measure_id=measure_id, breakdown="")
        .exclude(snapshot="")
        .order_by("-period", "period_type")
        .values_list("snapshot", flat=True)
        .first()
    )
    return row or ""


def available(measure: Measure, month: str | None) -> bool:
    """Whether the children behind this measure's figure for ``month`` can be listed."""
    if measure.source.kind != "computed" or not measure.source.library_id or not month:
        return False
    return _library_has(measure.source.library_id) and bool(
        services.SNAPSHOT_ID.match(_figure_snapshot(measure.id, month))
    )


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return f"{value.day} {value:%b %Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if column == "dfe_rules":
        from journey.engine.casedata.dfe_rules import rules_in_words

        return rules_in_words(str(value))
    return code_name(column, str(value))


def _sort_key(column: str, frame: pl.DataFrame) -> str:
    return column if column in frame.columns else ""


def child_list_for(measure_id: str, form: WorkListForm) -> ChildList | None:
    """The list for a measure as the form asks, or ``None`` when the measure is not in the plan."""
    plan = services.active_plan()
    measure = services.find_measure(plan, measure_id) if plan else None
    if plan is None or measure is None:
        return None
    months = services.months_available()
    month_choices = [(m, month_label(m)) for m in reversed(months)]
    show = form.value("show") or "all"
    if measure.source.kind != "computed" or not measure.source.library_id:
        return ChildList(
            measure, None, False,
            "This measure's figures are entered by hand, so there are no child-level records behind them.",
        )
    if not months:
        return ChildList(measure, None, False, "There are no figures yet, so there is no list to show.")
    if not _library_has(measure.source.library_id):
        return ChildList(
            measure, None, False,
            "A list of the children behind this figure is not yet available for this measure.",
        )
    from journey.engine.casedata.store import SnapshotNotFound
    from journey.engine.measures import drilldown, plan_population
    from journey.engine.measures.registry import get
    from journey.web.casedata.services import store

    definition = get(measure.source.library_id)
    # What the list is as at: a month's end (the children behind that figure), else the
    # newest extract at its own date ("today's list") or at an earlier date.
    choice = form.value("as_at") or form.value("month") or (LATEST if "latest" in definition.period_types else months[-1])
    picked = form.value("date")
    if picked:
        choice = picked
    period_type = "month"
    month: str | None = None
    if re.fullmatch(r"\d{4}-\d{2}", choice):
        month = services.parse_month_choice(choice, months)
        assert month is not None
        choice = month
        snapshot = _figure_snapshot(measure.id, month)
    else:
        snapshot = _newest_snapshot(measure.id)
        period_type = "latest" if "latest" in definition.period_types else "month"
    base = ChildList(measure, month, False, choice=choice, months=month_choices, show=show)
    if not services.SNAPSHOT_ID.match(snapshot):
        base.message = "This figure was not computed from a stored extract, so there is no list behind it."
        return base
    try:
        extract = store().load_snapshot(snapshot)
    except SnapshotNotFound:
        base.message = f"The extract this figure came from (snapshot {snapshot[:12]}) is no longer in the store."
        return base
    base.newest = extract.as_at
    if month is None:
        wanted = date.fromisoformat(choice) if choice != LATEST else extract.as_at
        if wanted is None or period_type == "month":
            month = months[-1]
            choice = month
            period_type = "month"
            base.as_at = f"the end of {month_label(month)}"
        elif extract.as_at is not None and wanted > extract.as_at:
            base.message = (
                f"The newest extract was taken on {extract.as_at.day} {extract.as_at:%B %Y}: the list cannot be "
                f"taken as at a later date. Choose {extract.as_at:%Y-%m-%d} or earlier."
            )
            return base
        else:
            extract = dataclasses.replace(extract, as_at=wanted)
            month = f"{wanted:%Y-%m}"
            newest = wanted == base.newest
            base.as_at = f"{wanted.day} {wanted:%b %Y}" + (", the date of the newest extract" if newest else "")
    else:
        base.as_at = f"the end of {month_label(month)}"
    base.month = month
    frame = drilldown(
        extract, measure.source.library_id, month, parameters=dict(measure.parameters),
        population=plan_population(plan), period_type=period_type,
    )
    frame = frame.drop([c for c in NOT_SHOWN if c in frame.columns])
    base.total = frame.height
    base.counts_only = definition.denominator == "none"
    if base.counts_only:
        # A count: every record listed is counted, so "in numerator: yes, in denominator: no"
        # on each row says nothing, and there is no one outside the numerator to list.
        frame = frame.drop([c for c in ("in_numerator", "in_denominator") if c in frame.columns])
        show = base.show = "all"
    if show in ("numerator", "not_numerator") and "in_numerator" in frame.columns:
        frame = frame.filter(pl.col("in_numerator") == (show == "numerator"))
    if "reason" in frame.columns:
        frame = frame.with_columns(reason_kind(pl.col("reason")).alias("_kind"))
    options: dict[str, list[str]] = {}
    chosen: dict[str, str] = {}
    for name, column in (("team", "team"), ("worker", "worker_id"), ("reason", "_kind")):
        if column not in frame.columns:
            continue
        options[name] = sorted(v for v in frame[column].drop_nulls().cast(pl.String).unique().to_list() if v)
        wanted_value = form.value(name)
        if wanted_value:
            chosen[name] = wanted_value
            frame = frame.filter(pl.col(column).cast(pl.String) == wanted_value)
    sort = _sort_key(form.value("sort"), frame)
    descending = form.value("order") == "desc"
    if sort:
        frame = frame.sort(sort, descending=descending, nulls_last=True, maintain_order=True)
    frame = frame.drop([c for c in ("_kind",) if c in frame.columns])
    base.available = True
    base.columns = [Column(c, heading(c)) for c in frame.columns]
    base.rows = [[_cell(c, v) for c, v in zip(frame.columns, row, strict=True)] for row in frame.iter_rows()]
    base.options, base.chosen, base.sort, base.descending, base.choice = options, chosen, sort, descending, choice
    return base


def _file_name(listing: ChildList, suffix: str) -> str:
    chosen = "".join(f"-{v}" for v in listing.chosen.values())
    shown = "" if listing.show == "all" else f"-{listing.show}"
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{listing.measure.id}-{listing.choice}{chosen}{shown}-children")
    return f"{safe}.{suffix}"


def csv_response(listing: ChildList) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([escape_cell(c.label) for c in listing.columns])
    for row in listing.rows:
        writer.writerow([escape_cell(v) for v in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, _file_name(listing, "csv")) or "attachment"
    response["Cache-Control"] = "no-store"
    return response


def xlsx_response(listing: ChildList) -> HttpResponse:
    """The list as an Excel workbook: one sheet, headings frozen, every cell text escaped."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Children"
    sheet.append([escape_cell(c.label) for c in listing.columns])
    for row in listing.rows:
        sheet.append([escape_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(listing.columns, start=1):
        widest = max([len(column.label), *(len(r[index - 1]) for r in listing.rows)] or [10])
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(60, widest + 2)
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = content_disposition_header(True, _file_name(listing, "xlsx")) or "attachment"
    response["Cache-Control"] = "no-store"
    return response
