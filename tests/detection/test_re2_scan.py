"""The pattern pass reads its long patterns from where an RE2 form finds a start (`re2_scan`, issue 14):
the same matches as `regex.finditer`, on every input.

Compared on corpus texts (tune, genai-chat, world-rag-concat), the edge cases of `test_passes_equal`,
texts built from the characters the two engines read differently (the vertical tab, which RE2's `\\s`
lacks; a lone surrogate; a final newline, before which Python's `$` matches; the Kelvin sign and long s,
which RE2's case folding adds) and random texts of the table's own words. `test_passes_equal` and
`tests/perf_paths/test_same_as_before.py` check the findings of all passes together.
"""

from __future__ import annotations

import dataclasses
import random
import re

import pytest

from scrubber.detection.config import DetectionConfig
from scrubber.detection.patterns import PatternEngine, encoded_for_re2, matches
from scrubber.detection.re2_scan import ascii_loose_re2
from tests.detection.test_passes_equal import EDGES, _corpus_texts

_WORDS = (
    "12 221B 10115 Berlin 75008 Paris 1010 AB Amsterdam Rue de la Paix Calle Mayor 5 Hauptstraße 12 "
    "Main Street Baker St Flat 4B, No. 7 s/n nº 3 SW1A 1AA 560001 Bengaluru - – DOB: born 01/02/1990 "
    "password=hunter2 api_key: sk-abc Address: Street: @handle user: São Paulo Zürich KELVIN \u212a ſ é ß "
    "\ud800 \v \x0b \f \r \n \t ( ) , . / # : ; = \" '"
).split(" ")
_JOINS = ["", " ", " ", ", ", "\n", "\v", "\n\n", "\t", "\xa0", "-"]


def _random_texts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(_WORDS) + rng.choice(_JOINS) for _ in range(rng.randint(0, 40))) for _ in range(n)]


@pytest.fixture(scope="module")
def engine() -> PatternEngine:
    return PatternEngine(DetectionConfig())


@pytest.fixture(scope="module")
def texts() -> list[str]:
    corpus = _corpus_texts("tune") + _corpus_texts("genai-chat") + _corpus_texts("world-rag-concat")
    tricky = ["12 Main Street\v", "Flat 4B,\vNo. 7", "10115 Berlin\n", "10115\vBerlin", "Main Street 12\ud800",
              "\u212aing Street 5", "password=\u017fecret", "STRASSE 5\n", ""]
    return corpus + EDGES + tricky + _random_texts(3000, seed=14)


def test_guided_reads_give_finditers_matches(engine, texts):
    guided = [c for c in engine.compiled if c.loose is not None]
    assert len(guided) >= 10  # the street, city and field alternations go through RE2
    found = 0
    for text in texts:
        encoded = encoded_for_re2(text)
        for c in guided:
            want = [(m.span(), m.groups()) for m in c.regex.finditer(text)]
            assert [(m.span(), m.groups()) for m in matches(c, text, encoded)] == want, (c.spec.name, repr(text))
            found += len(want)
    assert found > 500  # the texts do hold addresses and fields of many kinds


def test_pattern_pass_finds_what_it_found_with_finditer(engine, texts):
    """The same engine with every pattern read by `finditer` (the code before): the same findings.
    (Not the `re` engine: the RE2 Set prefilter already misses a match whose only space is a vertical
    tab, there and before; that is the prefilter's, see the detection README.)"""
    before = PatternEngine(DetectionConfig())
    before.compiled = [dataclasses.replace(c, loose=None) for c in before.compiled]
    for text in texts:
        assert engine.detect(text) == before.detect(text), repr(text)


@pytest.mark.parametrize("pattern", [
    r"^Name: \w+", r"\d+$", r"(?=x)y", r"(?<!a)b", r"(?!x)y", r"a{,3}", r"a*+", r"(?>ab)", r"(a)\1",
    r"\Aabc", r"abc\Z", r"\x41", r"\u00e9", r"[[:alpha:]]", r"[\s\b]", r"(?x) a b", r"(?P=name)",
])
def test_no_re2_form_where_the_engines_read_a_pattern_apart(pattern):
    assert ascii_loose_re2(pattern, ignore_case=False) is None


def test_spaces_are_pythons_ascii_spaces_in_the_re2_form():
    loose = ascii_loose_re2(r"a\sb[\s,]c", ignore_case=False)
    for text in ["a\vb\vc", "a b,c", "a\tb c"]:
        assert loose.search(text.encode()) is not None
        assert re.search(r"a\sb[\s,]c", text, re.ASCII) is not None


def test_a_text_with_a_lone_surrogate_keeps_finditer(engine):
    assert encoded_for_re2("Main Street 12 \ud800") is None
    c = next(c for c in engine.compiled if c.loose is not None)
    text = "12 Main Street \ud800 10115 Berlin"
    assert [m.span() for m in matches(c, text)] == [m.span() for m in c.regex.finditer(text)]


def test_the_re2_set_prefilter_sees_a_vertical_tab_as_a_space():
    """RE2's `\\s` lacks the vertical tab: before `spaces_written_out`, the prefilter skipped a pattern
    whose only space was a `\\v` and `engine: re2` found less than `engine: re` (a context word lost
    its boost). Now the two engines give the same findings on texts spaced with vertical tabs."""
    from benchmarks.accuracy.corpora import load
    from scrubber.detection import Detector
    from scrubber.detection.re2_scan import spaces_written_out

    assert spaces_written_out(r"a\s+[\s,][^\s]\\s") == r"a[\t\n\x0b\f\r ]+[\t\n\x0b\f\r ,][^\t\n\x0b\f\r ]\\s"
    texts = [item.text.replace(" ", "\v") for item in load("dev") if item.text][:400]
    by_engine = {name: Detector(DetectionConfig(engine=name, ner={"enabled": False})).detect(texts, [False] * len(texts))
                 for name in ("re", "re2")}
    assert sum(map(len, by_engine["re"])) > 100
    assert by_engine["re2"] == by_engine["re"]


def _table() -> list[tuple[str, bool]]:
    from scrubber.detection.patterns import active_specs

    return [(spec.regex, spec.ignore_case) for spec in active_specs(DetectionConfig())]


def _thrashing_texts(n: int, seed: int) -> list[str]:
    """Long texts of many different characters: each one fills the DFA's state cache again and again."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-+@/()#=_\n\tßéü中文"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(50, 20_000))) for _ in range(n)]


def test_a_prefilter_budget_too_small_fails_to_compile_not_to_match(monkeypatch: pytest.MonkeyPatch) -> None:
    """RE2's `Set::Match` reports a DFA failure as "no match" (the binding drops its error), which
    would skip every pattern: a leak. It cannot happen after `Compile` succeeds: RE2's set compiler
    runs a DFA search and fails when the DFA cannot work, and a many-match search never gives up on
    a thrashing cache. So a budget too small is an error at build time, never a silent miss."""
    import scrubber.detection.patterns as patterns

    monkeypatch.setattr(patterns, "PREFILTER_MAX_MEM", 1 << 20)
    with pytest.raises(Exception, match="compile"):
        patterns.Re2SetPrefilter(_table())


def test_at_the_smallest_budget_that_compiles_the_prefilter_misses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The other half of the argument above, measured: at the least memory the table compiles with,
    texts that thrash the DFA's cache get the hits they get at the shipped budget."""
    import scrubber.detection.patterns as patterns

    table = _table()
    shipped = patterns.Re2SetPrefilter(table)
    low, high = 1 << 20, patterns.PREFILTER_MAX_MEM  # fails, compiles
    while high - low > 4096:
        middle = (low + high) // 2
        monkeypatch.setattr(patterns, "PREFILTER_MAX_MEM", middle)
        try:
            patterns.Re2SetPrefilter(table)
            high = middle
        except Exception:  # noqa: BLE001 -- re2 raises a bare error type
            low = middle
    monkeypatch.setattr(patterns, "PREFILTER_MAX_MEM", high)
    tight = patterns.Re2SetPrefilter(table)
    texts = _thrashing_texts(40, 9) + _corpus_texts("tune")[:300] + EDGES
    assert high < 8 << 20  # a real squeeze: far below the shipped 32 MB
    assert [tight.hits(t) for t in texts] == [shipped.hits(t) for t in texts]
