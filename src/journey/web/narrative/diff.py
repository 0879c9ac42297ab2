"""Word-by-word differences between two versions of a narrative answer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

_TOKENS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Segment:
    """A run of text that is the same in both versions, ``added`` or ``removed``."""

    kind: str  # "same", "added" or "removed"
    text: str


def word_diff(old: str, new: str) -> list[Segment]:
    """Segments that turn ``old`` into ``new``; whitespace is kept with the words."""
    a = _TOKENS.findall(old or "")
    b = _TOKENS.findall(new or "")
    segments: list[Segment] = []
    for op, i1, i2, j1, j2 in SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(Segment("same", "".join(a[i1:i2])))
            continue
        if op in {"delete", "replace"}:
            segments.append(Segment("removed", "".join(a[i1:i2])))
        if op in {"insert", "replace"}:
            segments.append(Segment("added", "".join(b[j1:j2])))
    return [s for s in segments if s.text]


def has_changes(segments: list[Segment]) -> bool:
    return any(s.kind != "same" for s in segments)
