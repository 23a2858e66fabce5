"""Presidio's NLP artifacts for `ner.py`'s engine, with the per-token parts built only when read.

Why: Presidio's `SpacyNlpEngine._doc_to_nlp_artifact` builds lemmas, token offsets and keywords
for every token of every doc: a Python `Token` object per token and attribute, and two vocabulary
look-ups per token for the keywords. Only `LemmaContextAwareEnhancer` reads them, and
`NerDetector._findings` needs them only for a doc with an entity that is not technical. So the
entities and scores are built as Presidio builds them, and the rest waits until it is read, then
comes from `Doc.to_array` columns instead of `Token` objects. The values are Presidio's, exactly:
`tests/detection/test_ner_artifacts.py` compares them with its eager artifacts.

Imported by `ner._make_engine` only, so Presidio and spaCy load when NER is first used.
"""

from __future__ import annotations

from functools import cached_property

from presidio_analyzer.nlp_engine import NlpArtifacts
from spacy.attrs import IDX, LEMMA, LOWER

#: distinct lemmas whose keywords a `KeywordMemo` keeps; when full it starts again (no eviction order)
KEYWORD_MEMO_ENTRIES = 50_000


class KeywordMemo:
    """Presidio's `NlpArtifacts.set_keywords`, one distinct lemma at a time, remembered.

    `set_keywords` keeps a lemma unless the vocabulary calls it a stop word or punctuation, then
    splits it at ":"; each lemma's part depends on that lemma alone, so the keywords of a doc are
    the concatenation of `set_keywords` over its lemmas one by one. Asking the vocabulary costs two
    `Lexeme` objects per token (about 100 µs for a 30-token doc); a dict answer is 0.1 µs. Keyed by
    the lemma's string-store hash, which names one string.
    """

    def __init__(self, nlp_engine, language: str, max_entries: int = KEYWORD_MEMO_ENTRIES):
        self._nlp_engine = nlp_engine
        self._language = language
        self._max_entries = max_entries
        self._parts: dict[int, list[str]] = {}

    def keywords(self, doc) -> list[str]:
        """`set_keywords` of the doc's spaCy lemmas (`Token.lemma_`)."""
        out: list[str] = []
        for key in doc.to_array(LEMMA).tolist():
            parts = self._parts.get(key)
            if parts is None:
                parts = NlpArtifacts.set_keywords(self._nlp_engine, [doc.vocab.strings[key]], self._language)
                if len(self._parts) >= self._max_entries:
                    self._parts.clear()
                self._parts[key] = parts
            out += parts
        return out


class LazyNlpArtifacts(NlpArtifacts):
    """`NlpArtifacts` whose `lemmas`, `tokens_indices` and `keywords` are built on first read.

    - `lemmas`: the lower-cased tokens (`Token.lower_`): the lemmatizer is excluded
      (`ner.EXCLUDED_COMPONENTS`), so lower case stands in, as `ner.py` has always set them.
    - `keywords`: Presidio's, from the spaCy lemmas (`Token.lemma_`), as its engine computes them
      before `ner.py` replaced `lemmas`. Without a lemmatizer every `lemma_` is "", so every
      keyword is "": kept as it was, so that no finding changes (see `enhancer_may_change`).
    """

    def __init__(self, doc, entities: list, scores: list[float], nlp_engine, keyword_memo: KeywordMemo):
        # not NlpArtifacts.__init__: it would build the keywords of every token now
        self.entities = entities
        self.tokens = doc
        self.nlp_engine = nlp_engine
        self.scores = scores if scores else [0.85] * len(entities)
        self._keyword_memo = keyword_memo

    @cached_property
    def lemmas(self) -> list[str]:  # type: ignore[override]
        return list(map(self.tokens.vocab.strings.__getitem__, self.tokens.to_array(LOWER).tolist()))

    @cached_property
    def tokens_indices(self) -> list[int]:  # type: ignore[override]
        return self.tokens.to_array(IDX).tolist()

    @cached_property
    def keywords(self) -> list[str]:  # type: ignore[override]
        return self._keyword_memo.keywords(self.tokens)

    def to_json(self) -> str:
        """Presidio's JSON of the same artifacts (its keys, every part built)."""
        eager = NlpArtifacts.__new__(NlpArtifacts)
        eager.__dict__.update(entities=self.entities, tokens=self.tokens, lemmas=self.lemmas,
                              tokens_indices=self.tokens_indices, keywords=self.keywords,
                              nlp_engine=self.nlp_engine, scores=self.scores)
        return NlpArtifacts.to_json(eager)

