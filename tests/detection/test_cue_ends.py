"""The cue searches before a lower-case name skip texts where no spelling of the cue ends (`name_cues.CueEnds`,
issue 14): the same answers as the searches they gate, on every input.

Compared on the 40 characters before every lower-case word of corpus texts (tune, genai-chat), on
every spelling of every cue in upper, lower and mixed case with the spaces that may follow it, and on random
texts built from cue words, non-ASCII letters and the characters Python's case folding equates with ASCII
ones (ı, ſ, K, İ). `test_passes_equal` checks the findings of all passes together.
"""

from __future__ import annotations

import random
import re

import pytest

from scrubber.detection import name_cues, persons
from scrubber.detection.name_cues import CueEnds, _spelled
from tests.detection.test_passes_equal import EDGES, _corpus_texts

#: (the gated question, the search it answers for)
QUESTIONS = [
    (name_cues.strong_before, lambda before: name_cues.STRONG_BEFORE.search(before) is not None),
    (name_cues.reply_before, lambda before: name_cues.REPLY_BEFORE.search(before) is not None),
    (lambda before: name_cues.ends_with_cue(persons._STRONG_CUES_BEFORE, persons._STRONG_CUE_WIDTH, before,
                                            spaces=None, gate=persons._STRONG_CUE_ENDS),
     lambda before: persons._STRONG_CUES_BEFORE.search(before) is not None),
    (name_cues.weak_before, lambda before: name_cues.WEAK_BEFORE.search(before) is not None),
    (persons._determiner_before, lambda before: persons._DETERMINER_BEFORE.search(before) is not None),
]
_SPACES = [" ", "  ", "\t", " \n", "\n", "", " \t ", "\xa0"]
_ODD = ["ı", "ſ", "\u212a", "İ", "é", "ß", "😀", "\ud800", "-", "'", "’", "@", ",", ".", ":", "!", "(", "x", "1"]


def _befores(text: str) -> list[str]:
    """What `_lower_name_in_context` reads before a lower-case word: the 40 characters before it."""
    return [text[max(0, m.start() - 40):m.start()] for m in re.finditer(r"\b[^\W\d_]", text)
            if m.group().islower()] + [text]


@pytest.fixture(scope="module")
def befores() -> list[str]:
    out: dict[str, None] = {}
    for text in _corpus_texts("tune") + _corpus_texts("genai-chat") + EDGES:
        out.update(dict.fromkeys(_befores(text)))
    return random.Random(5).sample(list(out), min(len(out), 10_000))  # a fast test; the one-off read them all


def _spellings() -> list[str]:
    out = []
    for pattern in (name_cues._STRONG_WORDS, name_cues._REPLY_WORDS, persons._STRONG_CUE, persons._DETERMINER):
        out += _spelled(pattern, re.IGNORECASE)
    out += _spelled(name_cues._WEAK_WORDS)
    return out


def test_every_cue_has_a_gate():
    assert name_cues._STRONG_ENDS is not None and name_cues._REPLY_ENDS is not None
    assert persons._STRONG_CUE_ENDS is not None
    assert name_cues._WEAK_ENDS is not None and persons._DETERMINER_ENDS is not None


def test_gated_searches_answer_as_the_searches_on_corpus_text(befores):
    asked = 0
    for before in befores:
        for gated, search in QUESTIONS:
            answer = search(before)
            assert gated(before) == answer, repr(before)
            asked += answer
    assert asked > 50  # the corpus does hold cues before names


def test_gated_searches_answer_as_the_searches_on_every_spelling():
    rng = random.Random(3)
    for spelling in _spellings():
        variants = rng.sample([spelling, spelling.upper(), spelling.lower(), spelling.title(), spelling.swapcase()], 2)
        for variant in variants:
            for before in rng.sample([variant, "x" + variant, "(" + variant, variant[1:], "Ok " + variant], 2):
                text = before + rng.choice(_SPACES)
                for gated, search in QUESTIONS:
                    assert gated(text) == search(text), repr(text)


def test_gated_searches_answer_as_the_searches_on_random_text():
    rng = random.Random(14)
    words = [s for s in _spellings() if len(s) < 14][:400] + _ODD
    for _ in range(8_000):
        parts = [rng.choice(words) if rng.random() < 0.7 else rng.choice(_ODD) for _ in range(rng.randint(0, 5))]
        text = "".join(p + rng.choice(["", " ", " ", "\t"]) for p in parts) + rng.choice(_SPACES)
        if rng.random() < 0.3:
            text = "".join(rng.choice(["ı", "ſ", "\u212a", "İ"]) if c in "iskIK" and rng.random() < 0.5 else c
                           for c in text)
        for gated, search in QUESTIONS:
            assert gated(text) == search(text), repr(text)


def test_no_gate_where_spellings_are_not_a_finite_set_or_fold_onto_ascii():
    assert CueEnds.of(r"\w+ said") is None
    assert CueEnds.of(r"[^a] said") is None
    assert CueEnds.of(r"a(?:bc)* said") is None
    assert CueEnds.of("\u017fir", re.IGNORECASE) is None
    assert CueEnds.of(r"hi ") is None  # a spelling ending in a space
    gate = CueEnds.of(r"(?:thanks|ask) (?:bob|al)[:,]?", re.IGNORECASE)
    assert gate.may_end_at("ok ASK Bob", 10) and gate.may_end_at("thanks al:", 10)
    assert not gate.may_end_at("ok ask rob", 10)
    assert gate.may_end_at("ok ask röb", 10)  # not ASCII: maybe


def test_frames_need_a_capital_so_a_text_without_one_skips_them():
    """`names.cue_names` returns at once for a text with no letter of `_UP`: every frame is case-sensitive
    and names a `_WORD`, which starts with one. Lower-cased corpus texts (and texts whose only capitals are
    outside `_UP`) find no frame through `finditer` either."""
    from scrubber.detection import names

    for regex, *_ in names._FRAMES:
        assert not regex.flags & re.IGNORECASE and names._WORD in regex.pattern
    texts = [t.lower() for t in _corpus_texts("tune") + _corpus_texts("genai-chat") + EDGES]
    texts += [t.replace("a", "Ω").replace("e", "Ж") for t in texts[:2000]]  # capitals of other scripts
    for text in texts:
        if names._CAPITAL.search(text):
            continue
        assert names.cue_names(text) == []
        assert not any(regex.search(text) for regex, *_ in names._FRAMES), repr(text)
