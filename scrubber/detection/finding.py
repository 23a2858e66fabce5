"""What a detector reports, and how overlapping reports are settled."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected entity: a span of character offsets into the text, never the text itself."""

    entity_type: str
    start: int
    end: int
    score: float
    detector: str  # "pattern" | "ner"


def resolve_overlaps(findings: Iterable[Finding]) -> list[Finding]:
    """Keep a non-overlapping subset, sorted by start.

    Higher score wins, then the longer span, then the earlier one, then the entity
    name: a total order, so the result never depends on detector order.
    """
    ranked = sorted(findings, key=lambda f: (-f.score, -(f.end - f.start), f.start, f.entity_type, f.detector))
    starts: list[int] = []
    kept: list[Finding] = []
    for f in ranked:
        i = bisect_left(starts, f.start)
        if i > 0 and kept[i - 1].end > f.start:
            continue
        if i < len(kept) and kept[i].start < f.end:
            continue
        starts.insert(i, f.start)
        kept.insert(i, f)
    return kept
