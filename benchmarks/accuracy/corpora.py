"""The corpora by name: `dev` (generated, the tuning set) and `heldout` (hand-written, report only)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.accuracy.items import Item, load_jsonl

HELDOUT = Path(__file__).resolve().parent / "heldout"


def load(name: str) -> list[Item]:
    if name == "dev":
        from benchmarks.accuracy.dev import build

        return build()
    if name == "heldout":
        files = sorted(HELDOUT.glob("*.jsonl"))
        if not files:
            raise SystemExit(f"no held-out corpus in {HELDOUT}")
        return load_jsonl(files)
    raise ValueError(f"unknown corpus {name!r}")
