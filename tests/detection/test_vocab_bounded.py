"""A long-lived detector must not keep every token it has read: spaCy's vocabulary stays bounded.

spaCy adds each new token string to its StringStore for good. Pool workers run for days on user
turns whose names, e-mails and ids never recur, so `RunCache.detect` runs spaCy inside
`nlp.memory_zone()` (cache.py: `spacy_memory_zone`)."""

from __future__ import annotations

import contextlib

import pytest

from benchmarks.throughput.world import _Voices
from scrubber.detection import DetectionConfig, Detector
from scrubber.detection.ner import load_nlp


def _unique_turns(n: int) -> list[str]:
    voices = _Voices(20261201)
    return [f"{voices.user_turn()} {voices.answer()}" for _ in range(n)]


def test_unique_texts_leave_spacy_vocabulary_as_it_was() -> None:
    detector = Detector(DetectionConfig())
    nlp = load_nlp(DetectionConfig().ner.model)
    detector.detect(["warm up: Jane Doe lives in Berlin"], [True])
    before = len(nlp.vocab.strings)
    texts = _unique_turns(120)
    found = []
    for i in range(0, len(texts), 20):
        batch = texts[i:i + 20]
        found += detector.detect(batch, [True] * len(batch))
    persons = sum(f.entity_type == "PERSON" for text in found for f in text)
    assert persons >= 60  # spaCy really read these texts (each has a name in it)
    # a few thousand new strings without the zone (every surname, e-mail piece, number, order id)
    assert len(nlp.vocab.strings) - before < 20


def test_findings_inside_the_zone_equal_those_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """The zone frees strings after the findings are made: they must be the ones spaCy gave without it."""
    import scrubber.detection.cache as cache_module

    texts = _unique_turns(30)
    zoned = Detector(DetectionConfig()).detect(texts, [True] * len(texts))
    monkeypatch.setattr(cache_module, "spacy_memory_zone", lambda ner, language: contextlib.nullcontext())
    unzoned = Detector(DetectionConfig()).detect(texts, [True] * len(texts))
    assert sum(map(len, zoned)) > 100
    assert zoned == unzoned
