"""Revisions to published figures, marked as official statistics mark them.

Once a month's report is published its figures are kept as they went out. When the data
is later reloaded or corrected, the figure computed now may differ: that is a *revision*,
shown beside the published figure ("published 84.0%, revised 84.6%"), never in its place.

Which figure is *the* published one (:func:`first_published`): a month's figure as its own
report published it; a month never published itself but printed in a published report
(August in September's months table) as the earliest such report printed it. Later reports
that print the month again only repeat or revise it.

A figure counts as revised when it reads differently at the measure's decimals (84.04 and
84.01 both read 84.0%: not a revision), or when a figure appears where none was published
or disappears. The rating is worked out again for the revised figure, so a revision that
moves a measure from Amber to Green says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from journey.engine.evaluation import format_number, format_value, rate
from journey.engine.observations import RatedFigure
from journey.engine.periods import parse_month
from journey.engine.plan import Plan

__all__ = ["PublishedReport", "Revision", "find_revisions", "first_published"]

Values = Mapping[str, Mapping[str, float | None]]
"""measure id → month → the figure the plan rates (``values_for_evaluation``)."""

Sources = Mapping[str, Mapping[str, str]]
"""measure id → month → where the figure came from (``extract 3f2a9c1b``)."""


@dataclass(frozen=True)
class Revision:
    """One published figure whose value now reads differently."""

    measure_id: str
    title: str
    month: str
    published: float | None
    published_text: str
    revised: float | None
    revised_text: str
    published_rag: str
    revised_rag: str
    published_on: date | None = None
    published_from: str = ""
    """Where the published figure came from: ``extract 3f2a9c1b`` (the snapshot that made
    it), ``imported``, ``entered by hand`` (:func:`journey.engine.observations.source_label`)."""
    revised_from: str = ""
    """Where the revised figure comes from, named the same way."""

    @property
    def sources_text(self) -> str:
        """``extract 3f2a9c1b → extract 9d8e7f6a``: what made each figure ("" when unknown)."""
        if not self.published_from and not self.revised_from:
            return ""
        return f"{self.published_from or 'not known'} → {self.revised_from or 'no figure'}"

    @property
    def change_text(self) -> str:
        """``+0.6``, ``-3``, or what happened when there is no difference to give."""
        if self.published is None:
            return "new figure"
        if self.revised is None:
            return "figure withdrawn"
        return self.revised_text_change

    @property
    def revised_text_change(self) -> str:
        assert self.published is not None and self.revised is not None
        decimals = _decimals(self.published_text)
        diff = self.revised - self.published
        return ("+" if diff > 0 else "-") + format_number(abs(diff), decimals)

    @property
    def month_label(self) -> str:
        """``September 2024``."""
        return f"{parse_month(self.month):%B %Y}"

    @property
    def rating_changed(self) -> bool:
        return self.published_rag != self.revised_rag

    @property
    def words(self) -> str:
        """``September 2024: published 84.0% (Amber), revised 84.6% (+0.6, Green)``."""
        rating = f", {self.revised_rag.replace('_', ' ').capitalize()}" if self.rating_changed else ""
        published = self.published_text
        if self.rating_changed:
            published += f" ({self.published_rag.replace('_', ' ').capitalize()})"
        return f"{self.month_label}: published {published}, revised {self.revised_text} ({self.change_text}{rating})"


@dataclass(frozen=True)
class PublishedReport:
    """A published monthly report: its month, the day it went out, and the figures it
    printed (measure id → month → the rated figure, for the months it prints:
    :func:`journey.engine.reports.inputs.months_printed`)."""

    period: str
    published_on: date
    figures: Mapping[str, Mapping[str, RatedFigure]]


def first_published(reports: Iterable[PublishedReport]) -> dict[str, dict[str, PublishedReport]]:
    """measure id → month → the published report whose figure for that month is the
    published one: the month's own report, when it printed the measure; otherwise the
    earliest published report (by the day it went out, then by month) that printed it.

    Its figure is ``found[measure_id][month].figures[measure_id][month]``."""
    ordered = sorted(reports, key=lambda r: (r.published_on, r.period))
    out: dict[str, dict[str, PublishedReport]] = {}
    for report in ordered:
        for measure_id, by_month in report.figures.items():
            kept = out.setdefault(measure_id, {})
            for month in by_month:
                if month not in kept or (month == report.period and kept[month].period != month):
                    kept[month] = report
    return out


def _decimals(text: str) -> int:
    digits = text.rstrip("% days").replace(",", "").lstrip("-£")
    return len(digits.split(".", 1)[1]) if "." in digits else 0


def find_revisions(
    plan: Plan,
    published: Values,
    current: Values,
    months: Iterable[str],
    *,
    published_on: Mapping[str, date] | None = None,
    published_sources: Sources | None = None,
    current_sources: Sources | None = None,
) -> list[Revision]:
    """Every figure of ``months`` in ``published`` that reads differently in ``current``.

    Only months present in ``published`` for a measure count (a month never published
    cannot be revised). ``published_on`` gives, per month, the day it was published;
    ``published_sources`` and ``current_sources`` where each figure came from.
    Ordered by the plan's measures, then month.
    """
    wanted = list(months)
    out: list[Revision] = []
    for _priority, measure in plan.iter_measures():
        then = published.get(measure.id, {})
        now = current.get(measure.id, {})
        decimals = measure.display_decimals
        for month in wanted:
            if month not in then:
                continue
            old, new = then[month], now.get(month)
            old_text = format_value(old, measure.unit, decimals)
            new_text = format_value(new, measure.unit, decimals)
            if old_text == new_text:
                continue
            old_rag = rate(measure, old, month, plan.default_tolerance)[0].value
            new_rag = rate(measure, new, month, plan.default_tolerance)[0].value
            out.append(
                Revision(
                    measure_id=measure.id,
                    title=measure.title,
                    month=month,
                    published=old,
                    published_text=old_text,
                    revised=new,
                    revised_text=new_text,
                    published_rag=old_rag,
                    revised_rag=new_rag,
                    published_on=(published_on or {}).get(month),
                    published_from=(published_sources or {}).get(measure.id, {}).get(month, ""),
                    revised_from=(current_sources or {}).get(measure.id, {}).get(month, "") if new is not None else "",
                )
            )
    return out
