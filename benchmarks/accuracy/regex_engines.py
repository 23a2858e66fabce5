"""Which regex engine should run the pattern table? Measured on the accuracy corpus.

    .venv/bin/python -m benchmarks.accuracy.regex_engines [--repeat N]

Every variant produces the same thing: all raw regex matches (pattern, start,
end) of the built-in table over each text; validation is identical afterwards
and excluded. Variants:
- `re`: Python `re`, every pattern `finditer` on every text;
- `re2`: google-re2, every pattern `finditer` on every text;
- `re-gate`: one combined Python alternation `search` as an any-match gate, then `re` for all patterns;
- `re2-set+re`: an RE2 `Set` tells which patterns match, then `re` only for those;
- `hyperscan+re`: one Hyperscan scan (SINGLEMATCH per pattern) tells which match, then `re` only for those.
Reports texts/s and MB/s on one core, and checks that every variant finds the same matches.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path
from typing import Sequence

import hyperscan
import re2

from benchmarks.accuracy.corpus import generate
from scrubber.detection.builtin import BUILTIN
from scrubber.detection.patterns import Re2SetPrefilter


class HyperscanPrefilter:
    """Which patterns have at least one match in a text, in one scan."""

    def __init__(self, regexes: Sequence[tuple[str, bool]]):
        self.always: set[int] = set()
        self._db = None
        exprs, ids, flags = [], [], []
        for i, (regex, ignore_case) in enumerate(regexes):
            # ASCII classes (\b, \d, \w) on both sides: Python patterns compile with re.ASCII
            flag = hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_UTF8 | hyperscan.HS_FLAG_ALLOWEMPTY
            if ignore_case:
                flag |= hyperscan.HS_FLAG_CASELESS
            if not self._compiles(regex, flag):
                self.always.add(i)
                continue
            exprs.append(regex.encode())
            ids.append(i)
            flags.append(flag)
        if exprs:
            self._db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            self._db.compile(expressions=exprs, ids=ids, flags=flags)

    @staticmethod
    def _compiles(regex: str, flag: int) -> bool:
        try:
            hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK).compile(expressions=[regex.encode()], flags=[flag])
            return True
        except hyperscan.error:
            return False

    def hits(self, text: str) -> set[int]:
        found = set(self.always)
        if self._db is not None:
            def on_match(pid: int, start: int, end: int, flags: int, ctx: object) -> None:
                found.add(pid)

            self._db.scan(text.encode("utf-8", "surrogatepass"), match_event_handler=on_match)
        return found


SPECS = list(BUILTIN)
FLAGS = [re.ASCII | (re.IGNORECASE if s.ignore_case else 0) for s in SPECS]
PY = [re.compile(s.regex, f) for s, f in zip(SPECS, FLAGS)]


def _re2_pattern(spec) -> str:
    return ("(?i)" if spec.ignore_case else "") + spec.regex


def _all(text: str, indices) -> list:
    return [(i, *m.span()) for i in indices for m in PY[i].finditer(text)]


# each variant compiles once (not timed) and returns the function that is timed
def variant_re():
    return lambda texts: [_all(t, range(len(PY))) for t in texts]


def variant_re2():
    compiled = [re2.compile(_re2_pattern(s)) for s in SPECS]
    return lambda texts: [[(i, *m.span()) for i, c in enumerate(compiled) for m in c.finditer(t)] for t in texts]


def variant_re_gate():
    gate = re.compile("|".join(f"(?:{'(?i:' + s.regex + ')' if s.ignore_case else s.regex})" for s in SPECS), re.ASCII)
    return lambda texts: [_all(t, range(len(PY))) if gate.search(t) else [] for t in texts]


def variant_re2_set():
    pre = Re2SetPrefilter([(s.regex, s.ignore_case) for s in SPECS])  # what scrubber.detection uses
    return lambda texts: [_all(t, sorted(pre.hits(t))) for t in texts]


def variant_hyperscan():
    pre = HyperscanPrefilter([(s.regex, s.ignore_case) for s in SPECS])
    return lambda texts: [_all(t, sorted(pre.hits(t))) for t in texts]


def prefilter_only():
    """The prefilter step alone (which patterns can match), to show where the time goes."""
    rset = re2.Set.SearchSet(re2.Options())
    for s in SPECS:
        rset.Add(_re2_pattern(s))
    rset.Compile()
    pre = HyperscanPrefilter([(s.regex, s.ignore_case) for s in SPECS])
    return {"re2-set": lambda texts: [rset.Match(t.encode()) for t in texts],
            "hyperscan": lambda texts: [pre.hits(t) for t in texts]}


VARIANTS = {"re": variant_re, "re2": variant_re2, "re-gate": variant_re_gate,
            "re2-set+re": variant_re2_set, "hyperscan+re": variant_hyperscan}


def _best(fn, texts, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(texts)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "results" / "regex_engines.json")
    args = parser.parse_args(argv)
    texts = [s.text for s in generate()]
    mb = sum(len(t.encode()) for t in texts) / 1e6
    reference = sorted(map(tuple, (m for ms in variant_re()(texts) for m in ms)))
    rows = {}
    print(f"corpus: {len(texts)} texts, {mb:.2f} MB, {len(SPECS)} patterns, best of {args.repeat}\n")
    print("| engine | texts/s | MB/s | same matches as re |\n|---|---|---|---|")
    for name, make in VARIANTS.items():
        best, out = _best(make(), texts, args.repeat)
        same = sorted(map(tuple, (m for ms in out for m in ms))) == reference
        rows[name] = {"texts_per_s": round(len(texts) / best), "mb_per_s": round(mb / best, 2), "same_matches": same}
        print(f"| {name} | {rows[name]['texts_per_s']} | {rows[name]['mb_per_s']} | {same} |")
    for name, fn in prefilter_only().items():
        best, _ = _best(fn, texts, args.repeat)
        rows[f"{name} (prefilter only)"] = {"texts_per_s": round(len(texts) / best), "mb_per_s": round(mb / best, 2)}
        print(f"| {name} (prefilter only) | {rows[name + ' (prefilter only)']['texts_per_s']} | "
              f"{rows[name + ' (prefilter only)']['mb_per_s']} | - |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"texts": len(texts), "mb": round(mb, 3), "engines": rows,
                                    "hyperscan": hyperscan.__version__ if hasattr(hyperscan, "__version__") else "?"},
                                   indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
