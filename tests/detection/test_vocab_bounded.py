"""A long-lived detector must not keep every token it has read: spaCy's vocabulary stays bounded.

spaCy adds each new token string to its StringStore for good. Pool workers run for days on user
turns whose names, e-mails and ids never recur, so `RunCache.detect` runs spaCy inside
`nlp.memory_zone()`, one per pipeline kept open across calls and renewed by size
(`scrubber/detection/spacy_zone.py`)."""

from __future__ import annotations

import contextlib

import pytest

from benchmarks.throughput.world import _Voices
from scrubber.detection import DetectionConfig, Detector
from scrubber.detection.ner import load_nlp
from scrubber.detection.spacy_zone import zone_of


def _could_be_warmed(string: str) -> bool:
    """A string a warmed chunk leaves in spaCy's vocabulary: a lower-case word, a piece of one
    (prefix, suffix, norm), its shape (`xxxx`) or its punctuation; never a name, number or address."""
    return not any(c.isdigit() or c.isupper() or c in "@/=" for c in string)


def _unique_turns(n: int) -> list[str]:
    voices = _Voices(20261201)
    return [f"{voices.user_turn()} {voices.answer()}" for _ in range(n)]


def test_unique_texts_leave_spacy_vocabulary_as_it_was() -> None:
    detector = Detector(DetectionConfig())
    nlp = load_nlp(DetectionConfig().ner.model)
    detector.detect(["warm up: Jane Doe lives in Berlin"], [True])
    before = set(nlp.vocab.strings)
    texts = _unique_turns(120)
    found = []
    for i in range(0, len(texts), 20):
        batch = texts[i:i + 20]
        found += detector.detect(batch, [True] * len(batch))
    persons = sum(f.entity_type == "PERSON" for text in found for f in text)
    assert persons >= 60  # spaCy really read these texts (each has a name in it)
    zone_of(nlp).close()  # what the next renewal does
    # a few thousand new strings without the zone (every surname, e-mail piece, number, order id);
    # a renewal on the way may have warmed lower-case words, and nothing else
    assert not [s for s in set(nlp.vocab.strings) - before if not _could_be_warmed(s)]


def test_the_zone_is_renewed_once_it_has_read_its_characters() -> None:
    """Between renewals the zone holds what it has read: bounded by `max_chars`, not by uptime."""
    detector = Detector(DetectionConfig())
    nlp = load_nlp(DetectionConfig().ner.model)
    detector.detect(["warm up: Jane Doe lives in Berlin"], [True])
    zone = zone_of(nlp)
    zone.close()
    before, renewals, saved = len(nlp.vocab.strings), zone.renewals, zone.max_chars
    before_strings = set(nlp.vocab.strings)
    zone.max_chars = 3_000
    try:
        peak = 0
        for text in _unique_turns(120):
            detector.detect([text], [True])
            peak = max(peak, len(nlp.vocab.strings) - before)
        assert zone.renewals - renewals >= 10
        assert 0 < peak < 2_000  # a few hundred strings per 3,000 characters; 120 turns hold thousands
    finally:
        zone.max_chars = saved
        zone.close()
    assert not [s for s in set(nlp.vocab.strings) - before_strings if not _could_be_warmed(s)]


def test_the_tokenizer_stays_warm_between_calls() -> None:
    """Why the zone is kept open: what one call tokenized is still known to the next one. With a
    zone per call, spaCy made every lexeme of the text again on each call (`len(vocab)` counts
    the lexemes it has made)."""
    detector = Detector(DetectionConfig())
    nlp = load_nlp(DetectionConfig().ner.model)
    texts = _unique_turns(2)
    detector.detect(["warm up: Jane Doe lives in Berlin"], [True])
    zone_of(nlp).close()
    detector.detect(texts[:1], [True])
    made = len(nlp.vocab)
    Detector(DetectionConfig()).detect(texts[:1], [True])  # another detector (no run cache hit), same words
    assert len(nlp.vocab) == made
    Detector(DetectionConfig()).detect(texts[1:], [True])  # new words are still made
    assert len(nlp.vocab) > made


def test_findings_inside_the_zone_equal_those_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """The zone frees strings after the findings are made: they must be the ones spaCy gave without it."""
    import scrubber.detection.cache as cache_module

    texts = _unique_turns(30)
    zoned = Detector(DetectionConfig()).detect(texts, [True] * len(texts))
    zone_of(load_nlp(DetectionConfig().ner.model)).close()  # below, spaCy runs outside any zone
    monkeypatch.setattr(cache_module, "spacy_memory_zone", lambda ner, language, texts=(): contextlib.nullcontext())
    unzoned = Detector(DetectionConfig()).detect(texts, [True] * len(texts))
    assert sum(map(len, zoned)) > 100
    assert zoned == unzoned


def test_two_detectors_in_threads_renewing_the_zone_give_their_own_findings() -> None:
    """Two detectors of one model in two threads (two pii processors in one process), the zone
    renewed every few calls: each thread's findings are those of a detector running alone."""
    import threading

    texts = _unique_turns(40)
    alone = Detector(DetectionConfig(cache={"max_entries": 0})).detect(texts, [True] * len(texts))
    zone = zone_of(load_nlp(DetectionConfig().ner.model))
    saved, renewals = zone.max_chars, zone.renewals
    zone.max_chars = 1_500
    results: dict[int, list] = {}
    errors: list[BaseException] = []

    def run(slot: int) -> None:
        detector = Detector(DetectionConfig(cache={"max_entries": 0}))
        try:
            results[slot] = [detector.detect([text], [True])[0] for text in texts]
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(slot,)) for slot in range(2)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        zone.max_chars = saved
        zone.close()
    assert not errors
    assert zone.renewals - renewals >= 10
    assert results[0] == alone and results[1] == alone


def test_a_renewal_waits_for_the_block_of_another_thread() -> None:
    """The zone's lock: while one thread reads Docs inside the zone, another thread that would
    renew it (freeing those Docs' strings) waits until the first block ends."""
    import threading

    zone = zone_of(load_nlp(DetectionConfig().ner.model))
    zone.close()
    saved, renewals = zone.max_chars, zone.renewals
    zone.max_chars = 10
    inside, leave, done = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with zone.reading(["x" * 100]):  # past max_chars: the next block renews
            inside.set()
            leave.wait(10)

    def second() -> None:
        with zone.reading(["x"]):
            done.set()

    try:
        a = threading.Thread(target=first)
        a.start()
        assert inside.wait(10)
        b = threading.Thread(target=second)
        b.start()
        assert not done.wait(0.3)  # blocked: no renewal under the first thread's Docs
        assert zone.renewals == renewals
        leave.set()
        assert done.wait(10)
        a.join(10)
        b.join(10)
        assert zone.renewals == renewals + 1
    finally:
        leave.set()
        zone.max_chars = saved
        zone.close()


def test_a_renewal_keeps_the_frequent_lower_case_words_and_nothing_personal() -> None:
    """spaCy's tokenizer caches nothing inside a zone, so a renewal tokenizes, outside any zone, the
    lower-case chunks the zone read often: their strings outlive the zone (the cache entries with
    them). Names, numbers and e-mails read just as often are still freed."""
    nlp = load_nlp(DetectionConfig().ner.model)
    zone = zone_of(nlp)
    zone.close()
    saved, renewals = zone.max_chars, zone.renewals
    text = "Ask Quintavius Brackwater about flurbishment, call 7719 8812, quintavius@brackwater.example."
    zone.max_chars = 2 * len(text)  # so two readings of it fall in one zone, before a renewal
    try:
        for _ in range(3):
            with zone.reading([text]):
                nlp(text)
        assert "flurbishment" in nlp.vocab.strings and "about" in nlp.vocab.strings  # in the zone
        with zone.reading(["next"]):  # by now a renewal has warmed what a zone read twice
            pass
        zone.close()
        assert zone.renewals > renewals
        assert "flurbishment" in nlp.vocab.strings and "flurbishment," in zone.warmed
        for personal in ("Quintavius", "Brackwater", "7719", "quintavius@brackwater.example"):
            assert personal not in nlp.vocab.strings
    finally:
        zone.max_chars = saved
        zone.close()


def test_findings_with_warming_renewals_equal_those_without_a_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Renewed every few texts, so most of them are tokenized with chunks warmed by earlier zones:
    the findings are those of spaCy outside any zone, text by text."""
    import scrubber.detection.cache as cache_module

    texts = _unique_turns(40) * 2  # the second round reads words the first round warmed
    zone = zone_of(load_nlp(DetectionConfig().ner.model))
    zone.close()
    saved, renewals = zone.max_chars, zone.renewals
    zone.max_chars = 1_000
    try:
        detector = Detector(DetectionConfig(cache={"max_entries": 0}))
        zoned = [detector.detect([text], [True])[0] for text in texts]
    finally:
        zone.max_chars = saved
        zone.close()
    assert zone.renewals - renewals >= 10 and zone.warmed
    monkeypatch.setattr(cache_module, "spacy_memory_zone", lambda ner, language, texts=(): contextlib.nullcontext())
    detector = Detector(DetectionConfig(cache={"max_entries": 0}))
    unzoned = [detector.detect([text], [True])[0] for text in texts]
    assert sum(map(len, zoned)) > 100
    assert zoned == unzoned
