"""Reuse below the field (issue 14 item 1): spaCy's findings cached per sentence run give
exactly the findings of the uncached detector, on the dev corpus, on the throughput
workloads' texts, and on RAG-style texts where the same chunks recur in new combinations."""

from __future__ import annotations

import json
import random

import pytest

from benchmarks.accuracy.corpora import load
from benchmarks.throughput import references
from benchmarks.throughput.workloads import WORKLOADS, generate
from scrubber.detection import DetectionConfig, Detector
from scrubber.detection.cache import RunCache
from scrubber.detection.config import CacheConfig


@pytest.fixture(scope="module")
def detector() -> Detector:
    """Whole-text cache off (as in the pool's workers), so every call goes through the run cache."""
    return Detector(DetectionConfig(cache=CacheConfig(max_entries=0)))


def _reference(detector: Detector, texts: list[str]) -> list:
    """The uncached detector: patterns + `NerDetector.detect` on the whole text, no run cache."""
    return detector._detect_uncached([(t, True) for t in texts])


def _assert_same(detector: Detector, texts: list[str], chunk: int = 64) -> None:
    for i in range(0, len(texts), chunk):
        part = texts[i:i + chunk]
        got = detector.detect(part, [True] * len(part))
        want = _reference(detector, part)
        for text, g, w in zip(part, got, want):
            assert g == w, f"run cache changed the findings of a text of {len(text)} chars"


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def workload_texts(workload: str, n_requests: int, spans: int) -> list[str]:
    """Every string the pii processor could hand to detection: attribute values, JSON leaves, log bodies."""
    out = []
    for batch in generate(workload, n_requests, spans, seed=3):
        for value in references._strings(references.parse(batch)):  # spans or logs
            text = value.string_value
            if not text:
                continue
            try:
                out.extend(_strings(json.loads(text)))
            except ValueError:
                out.append(text)
    return list(dict.fromkeys(out))


def test_dev_corpus_findings_identical_with_run_cache(detector):
    texts = [t for item in load("dev") for t in ([item.text] if item.text else (item.fields or {}).values())]
    assert len(texts) > 1500
    _assert_same(detector, texts)
    # the same items again, concatenated in shuffled groups (chunks recurring in new combinations,
    # joined by blank lines as RAG context is): runs are reused, findings still identical
    rng = random.Random(14)
    groups = ["\n\n".join(rng.sample(texts[:300], 3)) for _ in range(120)]
    before = detector.runs.stats()["hits"]
    _assert_same(detector, groups)
    assert detector.runs.stats()["hits"] > before, "recurring sentences were not reused"


@pytest.mark.parametrize("workload", [w for w in WORKLOADS if w != "plain"])
def test_workload_texts_identical_with_run_cache(detector, workload):
    texts = workload_texts(workload, 6, 10)
    assert texts
    _assert_same(detector, texts)
    _assert_same(detector, texts)  # second pass: every run answered from the cache


def test_name_across_a_chunk_boundary_and_propagation_across_chunks(detector):
    """A cached chunk next to a new one: the name cut by the blank line is still found, and a
    surname seen in the first paragraph is still redacted alone in the third."""
    chunk_a = ("Article 7: the refund policy covers damaged parcels. Our escalation contact is "
               "Dr. Adaeze")
    chunk_b = "Okonkwo, who answers within two days.\n\nPlease quote the parcel number."
    tail = "Later on, okonkwo confirmed the refund."
    detector.detect([chunk_a + " unrelated words follow here.", chunk_b], [True, True])  # warm the runs
    text = f"{chunk_a}\n{chunk_b}\n\n{tail}"
    got = detector.detect([text], [True])[0]
    assert got == _reference(detector, [text])[0]
    persons = [text[f.start:f.end] for f in got if f.entity_type == "PERSON"]
    assert any("Adaeze" in p and "Okonkwo" in p for p in persons), persons
    tail_at = text.index(tail)
    assert any(f.start >= tail_at and text[f.start:f.end] == "okonkwo" for f in got), persons


def test_run_cache_is_bounded_and_keyed_by_fingerprint():
    runs = RunCache(max_entries=3)
    detector = Detector(DetectionConfig(cache=CacheConfig(max_entries=0)))
    texts = [f"Meeting note {i}. Ask Jane Whitfield about ticket {i}." for i in range(10)]
    for t in texts:
        runs.detect(detector.ner, detector.fingerprint, [t])
    assert len(runs) == 3
    other = runs.stats()["misses"]
    runs.detect(detector.ner, "another-fingerprint", [texts[-1]])
    assert runs.stats()["misses"] > other, "a different detector fingerprint must not reuse findings"


def test_runs_stop_at_blank_lines_so_a_chunk_in_a_new_combination_is_a_lookup(detector):
    """RAG context joins chunks with blank lines, in a new combination each time: no run (nor its
    context sentence) crosses a blank line, so a chunk seen before costs spaCy nothing next to
    new neighbours, and the findings are still those of the uncached detector."""
    from scrubber.detection.ner import candidate_runs

    text = "Intro line. Ask Jane Whitfield.\n\nThe Owner is Ravi Menon. call him.\n \nNext: Ola Berg."
    runs = [text[a:b] for a, b in candidate_runs(text)]
    assert runs == ["Intro line. Ask Jane Whitfield.", "The Owner is Ravi Menon. ", "Next: Ola Berg."]
    chunks = [f"Policy {i}: the parcel desk of Harriet Osei answers claims. Write to Claims Team {i}."
              for i in range(4)]
    detector.detect(["\n\n".join(chunks[:2]), "\n\n".join(chunks[2:])], [True, True])
    misses = detector.runs.stats()["misses"]
    recombined = "\n\n".join([chunks[3], chunks[0], chunks[2]])
    got = detector.detect([recombined], [True])[0]
    assert detector.runs.stats()["misses"] == misses, "a recurring chunk went to spaCy again"
    assert got == _reference(detector, [recombined])[0]
