"""The lazy NLP artifacts and the enhancer guard (issue 14): `NerDetector._findings` gives exactly
the findings of the eager path it replaced (Presidio's `SpacyNlpEngine` artifacts with lower-cased
lemmas, every result through `LemmaContextAwareEnhancer`), and the lazy parts equal Presidio's."""

from __future__ import annotations

import json

import pytest
from presidio_analyzer.nlp_engine import NlpArtifacts, SpacyNlpEngine

from benchmarks.accuracy.corpora import load
from benchmarks.detection_cost.world import request_texts
from scrubber.detection import DetectionConfig, Detector
from scrubber.detection.config import CacheConfig
from scrubber.detection.finding import Finding
from scrubber.detection.ner import NerDetector, enhancer_may_change, looks_technical
from scrubber.detection.ner_artifacts import KeywordMemo
from scrubber.detection.spacy_zone import zone_of

EDGE_TEXTS = [
    "", " ", "\n\n", ":", "a:b", "Call me at 10:30, Mr. O'Neil!", "İstanbul'da Straße, ß and ǅemal.",
    "Thanks 🙏 — Zoë from Zürich", "name: Jonathan Smith", "I am Maria; I live in São Paulo.",
    "The the THE: be -PRON- . , ;", "Jonathan Smith\n\nlives in Berlin",
]


def _eager_artifacts(ner: NerDetector, doc) -> NlpArtifacts:
    """What the engine built before: Presidio's eager artifacts, then lower-cased tokens as lemmas."""
    artifacts = SpacyNlpEngine._doc_to_nlp_artifact(ner.engine, doc, "en")
    artifacts.lemmas = [token.lower_ for token in doc]
    return artifacts


def _eager_findings(ner: NerDetector, text: str, doc) -> list[Finding]:
    """The `_findings` before: every recognizer, the technical filter, the enhancer on every result."""
    artifacts = _eager_artifacts(ner, doc)
    raw = []
    for rec in ner.recognizers:
        raw.extend(rec.analyze(text, rec.supported_entities, artifacts))
    kept = [r for r in raw if not looks_technical(text[r.start:r.end], text, r.start, r.end)]
    enhanced = ner.enhancer.enhance_using_context(text, kept, artifacts, ner.recognizers)
    return [Finding(r.entity_type, r.start, r.end, round(min(r.score, 1.0), 4), "ner") for r in enhanced]


class EagerNerDetector(NerDetector):
    """A `NerDetector` on the eager path, to compare whole `Detector`s."""

    def _findings(self, text, offset, nlp_artifacts):
        found = _eager_findings(self, text, nlp_artifacts.tokens)
        return [Finding(f.entity_type, f.start + offset, f.end + offset, f.score, f.detector) for f in found]


@pytest.fixture(scope="module")
def ner() -> NerDetector:
    return NerDetector(DetectionConfig().ner)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """The hand-written tune corpus, genai-chat and RAG request texts, and edge cases."""
    out = [t for item in load("tune") for t in ([item.text] if item.text else (item.fields or {}).values())]
    for workload in ("genai-chat", "world-rag-concat"):
        out += [t for request in request_texts(workload, 6) for t in request]
    return list(dict.fromkeys(out + EDGE_TEXTS))


@pytest.fixture(scope="module")
def docs(ner, texts) -> list[tuple[str, object]]:
    """(run, spaCy doc) for every gated run of `texts`, as `NerDetector.detect` sends them to spaCy."""
    runs = list(dict.fromkeys(piece for _, _, piece in ner._gated(ner._pieces(texts))))
    runs += [t for t in EDGE_TEXTS if t not in runs]
    zone_of(ner.engine.nlp["en"]).close()  # these Docs outlive any zone block: made outside a zone
    return list(zip(runs, ner.engine.nlp["en"].pipe(runs, batch_size=64)))


def test_findings_identical_to_the_eager_path(ner, docs):
    found = 0
    for text, doc in docs:
        want = _eager_findings(ner, text, doc)
        assert ner._findings(text, 0, ner.engine._doc_to_nlp_artifact(doc, "en")) == want, len(text)
        found += len(want)
    assert found > 500, "the texts hardly reach the recognizers"


def test_lazy_parts_equal_presidios(ner, docs):
    for _, doc in docs:
        lazy, eager = ner.engine._doc_to_nlp_artifact(doc, "en"), _eager_artifacts(ner, doc)
        assert lazy.lemmas == eager.lemmas
        assert lazy.tokens_indices == eager.tokens_indices
        assert lazy.keywords == eager.keywords
        assert [(e.start_char, e.end_char, e.label_) for e in lazy.entities] == \
            [(e.start_char, e.end_char, e.label_) for e in eager.entities]
        assert lazy.scores == eager.scores and lazy.tokens is doc
        assert json.loads(lazy.to_json()) == json.loads(eager.to_json())


def test_no_per_token_parts_without_a_person_or_place(ner):
    """No entity, or only entities no recognizer reports (DATE_TIME): nothing per token is built."""
    texts = ["please check the deployment logs again", "please check the deployment logs tomorrow morning"]
    artifacts = [a for _, a in ner.engine.process_batch(texts, "en")]
    assert not artifacts[0].entities and {e.label_ for e in artifacts[1].entities} == {"DATE_TIME"}
    for text, nlp_artifacts in zip(texts, artifacts):
        assert ner._findings(text, 0, nlp_artifacts) == []
        assert not {"lemmas", "tokens_indices", "keywords"} & set(vars(nlp_artifacts))


def test_skipped_enhancer_would_not_have_changed_a_score(ner, docs):
    """Where the guard skips it, Presidio's enhancer returns its input unchanged."""
    skipped = 0
    for text, doc in docs:
        artifacts = ner.engine._doc_to_nlp_artifact(doc, "en")
        raw = [r for rec in ner.recognizers for r in rec.analyze(text, rec.supported_entities, artifacts)]
        if raw and not enhancer_may_change(artifacts):
            enhanced = ner.enhancer.enhance_using_context(text, raw, artifacts, ner.recognizers)
            assert [(r.entity_type, r.start, r.end, r.score) for r in enhanced] == \
                [(r.entity_type, r.start, r.end, r.score) for r in raw]
            skipped += 1
    assert skipped > 300


def test_guard_lets_the_enhancer_run_where_a_lemma_is_a_keyword(ner):
    """With real keywords (lower-cased tokens as lemmas too), a context word boosts the score, and
    the guard says so: it skips only where nothing could change."""
    text = "Hello, my name is Jonathan Smith."
    doc = next(ner.engine.nlp["en"].pipe([text]))
    for token in doc:
        token.lemma_ = token.lower_
    artifacts = ner.engine._doc_to_nlp_artifact(doc, "en")
    assert "hello" in artifacts.keywords and enhancer_may_change(artifacts)  # "name" is a stop word
    [person] = [f for f in ner._findings(text, 0, artifacts) if f.entity_type == "PERSON"]
    assert person.score == 1.0  # 0.85 + Presidio's 0.35 context boost, capped


def test_keyword_memo_equals_set_keywords_when_full_and_on_colons(ner):
    memo = KeywordMemo(ner.engine, "en", max_entries=2)
    doc = next(ner.engine.nlp["en"].pipe(["Re: the meeting at 10:30 with Ana, be there"]))
    lemmas = ["re:", "the", "meeting", "at", "10:30", "with", "ana", ",", "be", "there"]
    for token, lemma in zip(doc, lemmas):
        token.lemma_ = lemma
    want = NlpArtifacts.set_keywords(ner.engine, [t.lemma_ for t in doc], "en")
    assert "30" in want and "be" not in want  # split at ":", stop words and "be" dropped
    assert memo.keywords(doc) == want
    assert memo.keywords(doc) == want  # again, from a memo that was cleared when full


def test_whole_detector_identical_to_the_eager_path(texts):
    """Patterns, run cache, units, lexicon and gazetteer on top: the same findings end to end
    (on every third text: the whole detector costs some 4 ms a text)."""
    texts = texts[::3]
    lazy = Detector(DetectionConfig(cache=CacheConfig(max_entries=0)))
    eager = Detector(DetectionConfig(cache=CacheConfig(max_entries=0)))
    eager._ner = EagerNerDetector(eager.config.ner, eager.config.entities)
    for i in range(0, len(texts), 64):
        part = texts[i:i + 64]
        assert lazy.detect(part, [True] * len(part)) == eager.detect(part, [True] * len(part))


def test_process_batch_yields_presidios_texts_and_artifacts(ner, texts):
    """The engine's `process_batch` (no `Doc.text`) pairs each run with the text and the artifacts
    that Presidio's own `process_batch` yields for it."""
    runs = list(dict.fromkeys(piece for _, _, piece in ner._gated(ner._pieces(texts)))) + EDGE_TEXTS
    ours = list(ner.engine.process_batch(runs, "en", batch_size=64))
    presidios = list(SpacyNlpEngine.process_batch(ner.engine, runs, "en", batch_size=64))
    assert len(ours) == len(presidios) == len(runs)
    for run, (text, artifacts), (p_text, p_artifacts) in zip(runs, ours, presidios):
        assert text == p_text == run
        assert artifacts.to_json() == p_artifacts.to_json()
