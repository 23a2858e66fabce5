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


# -- the whole-text passes per paragraph unit (junctions.units, cache.UnitCache) ----------------

#: paragraph ends and starts that rules could read across a blank line: cues and greetings before
#: a name, a verb after a lower-case name, list items, an infrastructure word after a place, a
#: place word before a city, technical chunks (e-mail, dotted names, mentions), degrees
TRICKY_ENDS = ["Kind regards,", "Dear", "Hello", "hi", "thanks", "with", "the", "Name:", "I moved to",
               "our Frankfurt", "priya", "priya,", "samuel, comfort", "Dr.", "write to a@b.org", "see docs.example",
               "ask", "Owner: Elena Jopich", "Mr Smith", "-", "tomasz", "my name is", "ich wohne in", "12345"]
TRICKY_STARTS = ["John Miller will call.", "priya said yes.", "region is down.", "said hello.", "Porto is nice.",
                 "chinedu and yuki joined.", "@haruto can you check", "Jr. signed it.", "Is here today.",
                 "smith confirmed.", "Frankfurt office.", "cluster-wide outage", "Okonkwo answered.", "- item",
                 "Jürgen Weiß", "rahul verma", "[KB-1003] Encryption", "42", "Lisboa, 1000-001"]
SEPARATORS = ["\n\n", "\n \n", " \n\n\t", "\n\n\n", "\r\n\r\n", "\n\n\xa0", "\n\t\n  "]


def _corpus_texts(name: str) -> list[str]:
    return [t for item in load(name) for t in ([item.text] if item.text else (item.fields or {}).values()) if t]


def test_local_passes_and_assembly_equal_combine_on_every_corpus_text(detector):
    """`combine_local` + `assemble` on a text as one unit is `_combine`, on the dev and tune corpora."""
    ner = detector.ner
    for name in ("dev", "tune"):
        texts = _corpus_texts(name)
        for i in range(0, len(texts), 64):
            part = texts[i:i + 64]
            models = [[] for _ in part]
            pieces = list(ner._gated(ner._pieces(part)))
            artifacts = ner.engine.process_batch([p[2] for p in pieces], "en", batch_size=64)
            for (index, offset, piece), (_, nlp) in zip(pieces, artifacts):
                models[index].extend(ner._findings(piece, offset, nlp))
            for text, model in zip(part, models):
                assert ner.assemble(text, [(0, ner.combine_local(text, model))]) == ner._combine(text, model)


def test_tune_corpus_recombined_in_paragraphs_identical(detector):
    texts = _corpus_texts("tune")
    rng = random.Random(141)
    groups = ["\n\n".join(rng.sample(texts, rng.randint(2, 4))) for _ in range(150)]
    before = detector.runs.units.stats()["hits"]
    _assert_same(detector, groups)
    _assert_same(detector, [g.replace("\n\n", "\n \n", 1) for g in groups])  # the same units, other cuts
    assert detector.runs.units.stats()["hits"] > before, "recurring paragraphs were not reused"


@pytest.mark.parametrize("separator", SEPARATORS)
def test_adversarial_junctions_identical(detector, separator):
    """Tricky paragraph ends before tricky starts, between corpus chunks, then the same texts again
    (units now from the cache): the findings are those of the uncut detector. Cutting at every
    blank line instead (`junctions.inert` always true) changes 289 of 1,368 such texts."""
    chunks = _corpus_texts("dev")[:40]
    rng = random.Random(len(separator))
    pairs = [(end, start) for end in TRICKY_ENDS for start in TRICKY_STARTS]
    if separator != "\n\n":
        pairs = rng.sample(pairs, 60)  # every pair with the common separator, a sample with the others
    texts = []
    for end, start in pairs:
        a, b = rng.sample(chunks, 2)
        texts.append(separator.join([a, f"Note {rng.randint(1, 9)}. {end}", f"{start} More text.", b]))
        texts.append(separator.join([f"{a} {end}", start, f"{end}{separator}{start}"]))
    _assert_same(detector, texts)
    _assert_same(detector, list(reversed(texts)))  # now mostly answered from the unit cache


def test_named_junction_cases(detector):
    """The brief's cases, spelled out: the findings match the uncut detector and the name is found."""
    cases = {
        "Please escalate to the desk.\n\nKind regards,\n\nJohn Miller": "John Miller",
        "The parcel was late.\n\nMeeting with Priya Raman about it.\n\nNothing else here.\n\n"
        "later priya confirmed the refund.": "priya",
        "Where do you live now?\n\nI moved to\n\nPorto last spring.": None,
        "Status update.\n\nhi\n\npriya can you check the ticket": None,
        "Our Frankfurt\n\nregion is down since noon.": None,
    }
    for text, name in cases.items():
        got = detector.detect([text], [True])[0]
        assert got == _reference(detector, [text])[0], text
        if name is not None:
            assert name in [text[f.start:f.end] for f in got] or any(
                name in text[f.start:f.end] for f in got if f.entity_type == "PERSON"), (text, got)


def test_rag_texts_are_cut_into_units_that_recur(detector):
    """The point of it: a system prompt plus RAG chunks becomes several units, and a chunk in a new
    combination is a unit-cache hit (the whole-text passes run only on what is new)."""
    from scrubber.detection.junctions import units

    texts = [t for t in workload_texts("world-rag-concat", 12, 10) if "\n\n" in t]
    assert texts
    assert sum(len(units(t)) > 1 for t in texts) >= 0.8 * len(texts)
    detector.detect(texts[: len(texts) // 2], [True] * (len(texts) // 2))
    before = detector.runs.units.stats()
    _assert_same(detector, texts[len(texts) // 2:])
    after = detector.runs.units.stats()
    assert after["hits"] - before["hits"] > after["misses"] - before["misses"]


def test_unit_cache_is_bounded():
    from scrubber.detection.cache import UnitCache

    detector = Detector(DetectionConfig(cache=CacheConfig(max_entries=0)))
    detector.runs.units = UnitCache(max_entries=4)
    texts = [f"Policy {i}: ask Jane Whitfield.\n\nTicket {i} is open." for i in range(6)]
    _assert_same(detector, texts)
    assert len(detector.runs.units) == 4
