"""Small numbers: the one rule for what aggregate-only readers may see.

Board members, scrutiny councillors and the published reports see figures about groups of
children and staff, never about individuals. A figure counted from a handful of people can
identify them ("2 of 2 children in the North team were not seen"), so every page and report
shown to those readers applies this rule (``docs/statistics.md``, *Small numbers*):

* a **count** of more than 0 and fewer than ``fewer_than`` (5 unless the plan says
  otherwise) is shown as "fewer than 5"; 0 is shown (it identifies nobody);
* a **percentage, rate or average** is not shown when any count of people it was worked out
  from (numerator or denominator; for a rate per 10,000 the count of children, not the
  population) is small;
* **secondary suppression**: when a small part of a whole is hidden and the whole is shown,
  more parts are hidden (the smallest first) until at least two are hidden and what is
  hidden adds up to a number that is not small, so the whole minus the parts shown never
  gives a hidden figure back; when that cannot be done the whole is hidden too.

The threshold is the plan file's ``small_numbers: {fewer_than: 5}``; ``fewer_than: 0``
turns suppression off. The rule is plain data (a frozen pydantic model), so the plan, the
web app and the report builders share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["DEFAULT_FEWER_THAN", "NO_SUPPRESSION", "Parts", "SmallNumberRule"]

DEFAULT_FEWER_THAN = 5
"""Counts 1 to 4 are hidden unless the plan says otherwise (the common practice of DfE
and of councils' published board papers)."""


@dataclass(frozen=True)
class Parts:
    """Which parts of a whole are hidden, and whether the whole must be hidden too."""

    hidden: tuple[bool, ...]
    whole_hidden: bool
    primary: tuple[bool, ...] = ()
    """Which hidden parts are small themselves (show "<5"); the others were hidden only to
    protect them (show "hidden": they are not small, and must not be labelled so)."""

    @property
    def any_hidden(self) -> bool:
        return self.whole_hidden or any(self.hidden)


Counts = tuple[float | None, float | None]
"""A part of a whole: (numerator, denominator); the denominator is None for a plain count."""


class SmallNumberRule(BaseModel):
    """Counts above 0 and below ``fewer_than`` are small; see the module's docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fewer_than: Annotated[int, Field(ge=0, le=100)] = DEFAULT_FEWER_THAN

    @field_validator("fewer_than")
    @classmethod
    def _off_or_at_least_two(cls, value: int) -> int:
        if value == 1:
            raise ValueError("1 would hide nothing but fractions: use 0 to show every figure, or 2 or more")
        return value

    @property
    def active(self) -> bool:
        """False when the plan turns suppression off (``fewer_than: 0``)."""
        return self.fewer_than > 0

    @property
    def label(self) -> str:
        """What a hidden count shows: ``fewer than 5``."""
        return f"fewer than {self.fewer_than}"

    @property
    def explanation(self) -> str:
        """One sentence for the foot of a page or table that hides figures."""
        return (
            f"To protect individuals, counts of 1 to {self.fewer_than - 1} are shown as "
            f"“{self.label}” (<{self.fewer_than}), and percentages, rates and averages worked out "
            f"from fewer than {self.fewer_than} people are not shown (hidden)."
        )

    def is_small(self, count: float | None) -> bool:
        """More than 0 and fewer than the threshold (fractions count: 2.5 FTE is small)."""
        return count is not None and 0 < count < self.fewer_than

    def hides(self, *counts: float | None) -> bool:
        """True when any of these counts of people is small."""
        return any(self.is_small(c) for c in counts)

    def hides_figure(
        self,
        unit: str,
        value: float | None,
        numerator: float | None = None,
        denominator: float | None = None,
    ) -> bool:
        """Whether a figure in the plan's ``unit`` is hidden.

        A count is its own numerator (a count's recorded denominator is its target, not
        people); a rate per 10,000 is checked on its numerator only (the denominator is the
        population); a percentage or an average on both. A figure of another unit (days,
        money, a score) is hidden only when its recorded numerator or denominator is small.
        """
        if unit == "count":
            return self.is_small(numerator if numerator is not None else value)
        if unit == "rate_per_10k":
            return self.is_small(numerator)
        return self.hides(numerator, denominator)

    def hidden_text(self, unit: str, *, short: bool = False) -> str:
        """What shows in place of a hidden figure: the count's label, or why a rate is not
        shown; ``short`` for a table cell (``<5``, ``hidden``) with :attr:`explanation` below."""
        if short:
            return f"<{self.fewer_than}" if unit == "count" else "hidden"
        return self.label if unit == "count" else f"not shown ({self.label})"

    def parts(self, rows: Sequence[Counts]) -> Parts:
        """Primary and secondary suppression for the parts of one whole.

        ``rows`` are the parts' (numerator, denominator) — for plain counts (count, None).
        A part is hidden when a count in it is small; then, while the hidden parts could be
        worked out from the whole (only one hidden, or the hidden numerators or
        denominators add up to a small number), the part with the smallest size
        (denominator, else numerator; first in order on a tie; zeros never help) is hidden
        too. If that still leaves something to work out, every part and the whole are hidden.
        """
        primary = tuple(self.hides(n, d) for n, d in rows)
        hidden = list(primary)

        def size(i: int) -> float:
            n, d = rows[i]
            return (d if d is not None else n) or 0.0

        def disclosive() -> bool:
            chosen = [i for i, h in enumerate(hidden) if h]
            if not chosen:
                return False
            if len(chosen) == 1:
                return True
            numerators = sum(rows[i][0] or 0.0 for i in chosen)
            denominators = sum(rows[i][1] or 0.0 for i in chosen)
            return self.is_small(numerators) or self.is_small(denominators)

        while disclosive():
            candidates = [i for i, h in enumerate(hidden) if not h and size(i) > 0]
            if not candidates:
                break
            hidden[min(candidates, key=lambda i: (size(i), i))] = True
        if disclosive():
            return Parts(tuple(True for _ in rows), True, primary)
        return Parts(tuple(hidden), False, primary)


NO_SUPPRESSION = SmallNumberRule(fewer_than=0)
"""For readers allowed to see child-level records: nothing is hidden."""
