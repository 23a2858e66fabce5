"""The corpora by name: `dev` (generated, the tuning set) and `heldout` (hand-written, report only)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.accuracy import markup
from benchmarks.accuracy.items import Item

HELDOUT = Path(__file__).resolve().parent / "heldout"


def load(name: str) -> list[Item]:
    if name == "dev":
        from benchmarks.accuracy.dev import build

        return build()
    if name == "heldout":
        files = sorted(HELDOUT.glob("*.txt"))
        if not files:
            raise SystemExit(f"no held-out corpus in {HELDOUT}")
        return markup.load(files)
    raise ValueError(f"unknown corpus {name!r}")
