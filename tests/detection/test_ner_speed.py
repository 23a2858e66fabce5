"""NER speed-ups that must not change a single result: the unread tok2vec is dropped, and NER is
skipped on text where no finding could survive the technical filter."""

from __future__ import annotations

import pytest

from benchmarks.accuracy.corpus import generate
from scrubber.detection import DetectionConfig, Detector
from scrubber.detection import ner as ner_module
from scrubber.detection.ner import EXCLUDED_COMPONENTS, load_nlp, may_hold_names, ner_listens_to_tok2vec

MODEL = DetectionConfig().ner.model


@pytest.fixture(scope="module")
def corpus():
    """Prompts, RAG chunks, outputs, short values and technical text (seeded, with planted names)."""
    counts = {"prompt": 60, "rag": 25, "output": 25, "short": 60, "technical": 80}
    return generate(20260101, counts)


@pytest.fixture(scope="module")
def corpus_texts(corpus) -> list[str]:
    return [s.text for s in corpus]


def test_shared_tok2vec_dropped_only_because_ner_has_its_own() -> None:
    nlp = load_nlp(MODEL)
    assert nlp.pipe_names == ["ner"]
    assert not ner_listens_to_tok2vec(nlp)


def test_a_listening_ner_keeps_tok2vec() -> None:
    """A model whose NER reads the shared tok2vec (md/lg/trf-style) must keep it."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec")
    listener = {"@architectures": "spacy.Tok2VecListener.v1", "width": 96, "upstream": "*"}
    nlp.add_pipe("ner", config={"model": {"@architectures": "spacy.TransitionBasedParser.v2", "state_type": "ner",
                                          "hidden_width": 64, "maxout_pieces": 2, "use_upper": True,
                                          "tok2vec": listener}})
    assert ner_listens_to_tok2vec(nlp)
    ner_module.drop_unread_tok2vec(nlp)
    assert nlp.pipe_names == ["tok2vec", "ner"]


def test_entities_identical_to_the_stock_pipeline(corpus_texts: list[str]) -> None:
    """Without the shared tok2vec and with numpy's gemm instead of BLIS: the same entities."""
    import spacy
    from thinc.api import NumpyOps

    full = spacy.load(MODEL, exclude=list(EXCLUDED_COMPONENTS))
    assert full.pipe_names == ["tok2vec", "ner"]
    lean = load_nlp(MODEL)
    lean_ops = {type(n.ops) for n in lean.get_pipe("ner").model.walk()}
    assert lean_ops == {NumpyOps} and not lean.get_pipe("ner").model.ops.use_blis
    assert full.get_pipe("ner").model.ops.use_blis  # really two different gemm paths compared
    with_t2v = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in full.pipe(corpus_texts)]
    without = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in lean.pipe(corpus_texts)]
    assert sum(map(len, with_t2v)) > 100  # the comparison is about real entities
    assert with_t2v == without


def test_inference_maxout_gives_the_same_floats(corpus_texts: list[str]) -> None:
    """The NER model's tok2vec with the inference-only Maxout: bitwise the same vectors as thinc's."""
    import numpy
    from thinc.layers import maxout

    lean = load_nlp(MODEL)
    t2v = lean.get_pipe("ner").model.get_ref("tok2vec")
    patched = [node for node in t2v.walk() if node.name == "maxout"]
    assert patched and all(node._func is ner_module._maxout_for_inference for node in patched)
    docs = [lean.make_doc(text) for text in corpus_texts]
    fast = t2v.predict(docs)
    for node in patched:
        node._func = maxout.forward
    try:
        stock = t2v.predict(docs)
    finally:
        for node in patched:
            node._func = ner_module._maxout_for_inference
    assert fast.shape[0] == sum(len(doc) for doc in docs) > 1000  # one vector per token, really compared
    assert numpy.array_equal(fast, stock)


def test_inference_maxout_refuses_a_backward_pass() -> None:
    """Nobody trains scrubber's pipeline; if someone tried, the error must say why rather than be wrong."""
    layer = next(node for node in load_nlp(MODEL).get_pipe("ner").model.walk() if node.name == "maxout")
    _, backprop = layer(layer.ops.alloc2f(2, layer.get_dim("nI")), is_train=False)
    with pytest.raises(NotImplementedError, match="inference-only"):
        backprop(None)
    _, training_backprop = layer(layer.ops.alloc2f(2, layer.get_dim("nI")), is_train=True)
    assert callable(training_backprop)  # the training path is thinc's own


@pytest.mark.parametrize("text", [
    "", "   ", "12345 67.5 -3", '{"a": 1, "b": [2, 3.5]}', "please call me back tomorrow about my order",
    "https://Example.com/Users/Jane?Name=Doe", "/srv/App/Main.py", "jane.Doe@example.com", "über straße größe",
])
def test_no_candidate_word_skips_ner(text: str) -> None:
    assert not may_hold_names(text)


@pytest.mark.parametrize("text", [
    "jane doe met Maria", "ÉMILE", "see Zoë", "北京", "Ünal wrote", "contact: O'Brien",
])
def test_candidate_word_runs_ner(text: str) -> None:
    assert may_hold_names(text)


def test_gate_changes_no_result(corpus_texts: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Same findings with and without the gate, on the corpus plus lower-cased and URL-only variants."""
    texts = corpus_texts + [t.lower() for t in corpus_texts[:80]] + ["see https://x.org/Jane_Doe?q=Berlin"]
    config = DetectionConfig(cache={"max_entries": 0}, ner={"sentence_gate": False})
    gated = Detector(config).detect(texts, [True] * len(texts))
    monkeypatch.setattr(ner_module, "may_hold_names", lambda text: True)
    ungated = Detector(config).detect(texts, [True] * len(texts))
    assert gated == ungated
    assert sum(f.detector == "ner" for fs in gated for f in fs) > 50


def _found_gold(corpus, findings) -> set[tuple[int, int]]:
    """(sample, gold span) pairs of PERSON/LOCATION found by an overlapping finding of that type."""
    unify = {"ADDRESS": "LOCATION"}
    out = set()
    for i, (sample, found) in enumerate(zip(corpus, findings)):
        for j, (start, end, entity) in enumerate(sample.spans):
            kind = unify.get(entity, entity)
            if kind in ("PERSON", "LOCATION") and any(
                    unify.get(f.entity_type, f.entity_type) == kind and f.start < end and start < f.end for f in found):
                out.add((i, j))
    return out


def test_sentence_gate_loses_no_planted_name_or_place(corpus) -> None:
    texts = [s.text for s in corpus]
    on = Detector(DetectionConfig(cache={"max_entries": 0})).detect(texts, [True] * len(texts))
    off = Detector(DetectionConfig(cache={"max_entries": 0}, ner={"sentence_gate": False})).detect(
        texts, [True] * len(texts))
    assert len(_found_gold(corpus, off)) > 100
    assert _found_gold(corpus, on) >= _found_gold(corpus, off)


def test_names_in_later_sentences_keep_their_offsets(ner_detector: Detector) -> None:
    text = ("Thanks for writing. the parcel left today. it should arrive soon. "
            "Please ask Dr. Maria Gonzalez in Berlin if it does not. have a nice day.")
    found = [(f.entity_type, text[f.start:f.end]) for f in ner_detector.detect([text], [True])[0]]
    assert ("LOCATION", "Berlin") in found
    assert any(t == "PERSON" and "Maria Gonzalez" in v for t, v in found)


@pytest.mark.parametrize("text,expected", [
    ("Hi Dr. Smith. the rest is lower case. ok", ["Hi Dr. Smith. "]),
    ("Attendees: J. Smith, Flor Vigil. nothing here. Done.", ["Attendees: J. Smith, Flor Vigil. "]),
    ("Meeting notes. Attendees: Nilo Daza. done.", ["Meeting notes. Attendees: Nilo Daza. "]),
    ("one sentence only, Berlin", ["one sentence only, Berlin"]),
    ("all lower. case text. here", []),
])
def test_candidate_runs(text: str, expected: list[str]) -> None:
    assert [text[a:b] for a, b in ner_module.candidate_runs(text)] == expected


def test_sentence_gate_can_be_switched_off() -> None:
    """The trade-off: a lone capitalised word opening an otherwise lower-case sentence is not looked at
    by the model. A city the gazetteer knows is found either way (it reads the whole text); a region
    it does not know is the place the gate can lose."""
    text = "We got your note. Bavaria is lovely in june. see you there."
    gated = Detector(DetectionConfig()).detect([text], [True])[0]
    full = Detector(DetectionConfig(ner={"sentence_gate": False})).detect([text], [True])[0]
    assert [text[f.start:f.end] for f in full] == ["Bavaria"]
    assert gated == []
    city = "We got your note. Berlin is lovely in june. see you there."
    assert [city[f.start:f.end] for f in Detector(DetectionConfig()).detect([city], [True])[0]] == ["Berlin"]


def test_the_batch_size_changes_no_finding() -> None:
    """`ner.batch_size` only groups runs for spaCy's matrix products (64 by default):
    findings on world chat turns and RAG texts are those of batches of 5 and of 300."""
    from benchmarks.detection_cost.world import request_texts

    texts = list(dict.fromkeys(t for request in request_texts("world-rag-concat", 6) for t in request))
    found = {}
    for size in (5, 128, 300):
        detector = Detector(DetectionConfig(ner={"batch_size": size}, cache={"max_entries": 0}))
        found[size] = detector.detect(texts, [True] * len(texts))
    assert sum(f.entity_type == "PERSON" for text in found[128] for f in text) >= 20
    assert found[5] == found[128] == found[300]
