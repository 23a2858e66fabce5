"""The findings cache, batch dedupe, determinism, fingerprint, the async service and the public API."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

import scrubber.detection as detection
from scrubber.detection import DetectionConfig, Detector, Finding, FindingsCache, InProcessDetection
from scrubber.detection.service import DetectionServiceClosed

TEXTS = [
    "Hi, I'm Lisa Jacobs. My card 2705703451424736 was charged twice, refund to IBAN GB44DQZK31420069790534.",
    "Customer record: Tabea Söding lives at Alexa-Pergande-Ring 280, reach her at johnstonamanda@example.net.",
    "Use gpt-4o-mini with max_tokens=512 (trace 4bf92f3577b34da6a3ce929d0e0e4736).",
    "Call +44 20 7946 0958 or write to Maria Gonzalez in Berlin.",
    "",
]


def test_public_surface_is_pinned() -> None:
    assert set(detection.__all__) >= {"Finding", "DetectionConfig", "Detector", "InProcessDetection", "FindingsCache"}
    assert [f.name for f in dataclasses.fields(Finding)] == ["entity_type", "start", "end", "score", "detector"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Finding("EMAIL_ADDRESS", 0, 1, 1.0, "pattern").start = 3  # type: ignore[misc]


def test_same_results_with_and_without_cache(ner_detector: Detector) -> None:
    uncached = Detector(DetectionConfig(cache={"max_entries": 0}))
    flags = [True, True, True, False, True]
    first = ner_detector.detect(TEXTS, flags)
    second = ner_detector.detect(TEXTS, flags)  # served from the cache
    assert first == second == uncached.detect(TEXTS, flags)
    assert len(uncached.cache) == 0


def test_cache_counts_hits_and_stores_no_text() -> None:
    det = Detector(DetectionConfig(ner={"enabled": False}))
    det.detect(TEXTS, [False] * len(TEXTS))
    misses = det.cache.misses
    det.detect(TEXTS, [False] * len(TEXTS))
    assert det.cache.hits == len(TEXTS) and det.cache.misses == misses
    for key, value in det.cache._data.items():
        assert all(not isinstance(part, str) or part == det.fingerprint for part in key)
        assert all(isinstance(f, Finding) for f in value)


def test_cache_is_bounded_lru() -> None:
    cache = FindingsCache(max_entries=2)
    f = [Finding("EMAIL_ADDRESS", 0, 3, 1.0, "pattern")]
    cache.put("fp", "a", False, f)
    cache.put("fp", "b", False, [])
    assert cache.get("fp", "a", False) == f  # a is now most recent
    cache.put("fp", "c", False, [])
    assert len(cache) == 2 and cache.get("fp", "b", False) is None and cache.get("fp", "a", False) == f
    assert cache.get("fp", "a", True) is None  # the NER flag is part of the key
    assert cache.get("other", "a", False) is None  # so is the fingerprint


def test_duplicates_in_a_batch_are_detected_once() -> None:
    det = Detector(DetectionConfig(ner={"enabled": False}))
    text = "mail me at a@example.com"
    out = det.detect([text, text, text], [False, False, False])
    assert out[0] == out[1] == out[2] and len(out[0]) == 1
    assert det.cache.misses == 1 and len(det.cache) == 1


def test_results_are_independent_lists() -> None:
    det = Detector(DetectionConfig(ner={"enabled": False}))
    out = det.detect(["a@example.com", "a@example.com"], [False, False])
    out[0].clear()
    assert len(out[1]) == 1 and len(det.detect(["a@example.com"], [False])[0]) == 1


def test_deterministic_across_instances_and_order(ner_detector: Detector) -> None:
    other = Detector(DetectionConfig(cache={"max_entries": 0}))
    flags = [True] * len(TEXTS)
    reversed_out = other.detect(TEXTS[::-1], flags)[::-1]
    assert ner_detector.detect(TEXTS, flags) == reversed_out


def test_fingerprint_stable_and_config_sensitive() -> None:
    a = Detector(DetectionConfig(ner={"enabled": False}))
    b = Detector(DetectionConfig(ner={"enabled": False}, cache={"max_entries": 10}))
    c = Detector(DetectionConfig(ner={"enabled": False}, score_threshold=0.7))
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert len(a.fingerprint) == 32


def test_mismatched_lengths_are_an_error() -> None:
    with pytest.raises(ValueError):
        Detector(DetectionConfig(ner={"enabled": False})).detect(["a"], [])


def test_in_process_service(ner_detector: Detector) -> None:
    async def run() -> list[list[Finding]]:
        service = InProcessDetection(detector=ner_detector)
        await service.start()
        results = await asyncio.gather(service.detect(TEXTS[:2], [True, True]), service.detect(TEXTS[3:4], [False]))
        await service.close()
        await service.close()  # idempotent
        with pytest.raises(DetectionServiceClosed):
            await service.detect(["x"], [False])
        assert await InProcessDetection(detector=ner_detector).detect([], []) == []
        return results[0] + results[1]

    out = asyncio.run(run())
    assert out == ner_detector.detect(TEXTS[:2], [True, True]) + ner_detector.detect(TEXTS[3:4], [False])


def test_findings_cross_a_pickle_as_they_were() -> None:
    """Findings travel from the pool's workers pickled (`Finding.__reduce__`): equal, hashable,
    frozen, and of the same type after the trip."""
    import pickle

    findings = [Finding("PERSON", 8, 19, 0.87, "ner"), Finding("CREDIT_CARD", 26, 45, 1.0, "pattern")]
    back = pickle.loads(pickle.dumps(findings, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == findings and [type(f) for f in back] == [Finding, Finding]
    assert {hash(f) for f in back} == {hash(f) for f in findings}
    with pytest.raises(AttributeError):
        back[0].start = 0  # type: ignore[misc]
