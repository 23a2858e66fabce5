"""NER for PERSON and LOCATION: spaCy's NER component, Presidio's result handling.

- The spaCy model is loaded once per process (module-level cache) with only
  `ner`; tagger, parser, attribute ruler, lemmatizer and senter are excluded
  (NER does not read them). The shared `tok2vec` component is dropped too when
  the NER model embeds its own Tok2Vec instead of listening to the shared one
  (true of `en_core_web_sm`): its output would be computed and never read,
  about a third of the pipeline's time.
- Its matrix products go through numpy (OpenBLAS) instead of thinc's bundled
  BLIS: on these machines (AVX-512) OpenBLAS runs the tok2vec `gemm` about 3x
  faster, single-threaded, which makes NER about 1.4x faster.
- Presidio's own default NLP configuration (`presidio_analyzer/conf/default.yaml`)
  supplies the label mapping and, importantly, `labels_to_ignore`: a
  hand-written configuration silently drops that list and ORGANIZATION,
  CARDINAL, MONEY... leak into results. Only the model name is overridden.
- Presidio's `SpacyRecognizer` turns entities into results and its
  `LemmaContextAwareEnhancer` raises scores when context words precede a hit
  (lemmas are the lower-cased tokens here, since the lemmatizer is excluded; its
  keywords come from spaCy's empty lemmas, so today it raises none: see the README).
  Lemmas, offsets and keywords are built only when read (`ner_artifacts.py`), and
  the enhancer runs only where it could change a score (`enhancer_may_change`).
- No Presidio pattern recognizer is used (we have our own), so `tldextract`
  (Presidio's e-mail/URL recognizers) is never imported for detection.
- Spans that look technical (identifiers, model names, paths, hex, URLs, code)
  are dropped before scoring: the small model tags them as PERSON/GPE often.
"""

from __future__ import annotations

import re
import threading
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import yaml

from scrubber.detection.config import NerConfig
from scrubber.detection.finding import Finding
from scrubber.detection.gazetteer import city_names
from scrubber.detection.lexicon import lexicon
from scrubber.detection.names import cue_names
from scrubber.detection.persons import (
    TECH_WORDS,
    is_personal_place,
    judge_span,
    labelled_names,
    lexicon_names,
    name_part_spans,
    propagate_names,
    propagation_slot,
    tokenize,
)

EXCLUDED_COMPONENTS = ("tagger", "parser", "attribute_ruler", "lemmatizer", "senter")

_models: dict[str, object] = {}
_models_lock = threading.Lock()
#: how many times a model was really loaded in this process (tests assert 1)
load_count = 0


def load_nlp(model: str):
    """The spaCy pipeline for `model`, loaded once per process with NER's components only."""
    global load_count
    with _models_lock:
        nlp = _models.get(model)
        if nlp is None:
            import spacy

            nlp = spacy.load(model, exclude=list(EXCLUDED_COMPONENTS))
            drop_unread_tok2vec(nlp)
            use_numpy_gemm(nlp)
            use_inference_maxout(nlp)
            _models[model] = nlp
            load_count += 1
        return nlp


def ner_listens_to_tok2vec(nlp) -> bool:
    """True if a remaining component reads the shared `tok2vec` (a Tok2VecListener in its model)."""
    from spacy.pipeline.tok2vec import Tok2VecListener

    for name, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if name != "tok2vec" and model is not None and any(isinstance(node, Tok2VecListener) for node in model.walk()):
            return True
    return False


def drop_unread_tok2vec(nlp) -> None:
    """Remove the shared `tok2vec` component when no component listens to it (same entities, less work)."""
    if "tok2vec" in nlp.pipe_names and not ner_listens_to_tok2vec(nlp):
        nlp.remove_pipe("tok2vec")


def use_numpy_gemm(nlp) -> None:
    """Have every CPU layer of the pipeline multiply matrices with numpy's BLAS, not BLIS.

    `NumpyOps(use_blis=False)` keeps thinc's own kernels (maxout, gather, seq2col)
    and only sends `gemm` to `numpy.dot`. The parser's per-step products stay in
    compiled code. Layers on other ops (a GPU) are left alone.
    """
    from thinc.api import NumpyOps

    ops = NumpyOps(use_blis=False)
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        for node in model.walk() if model is not None else ():
            if type(node.ops) is NumpyOps:
                node.ops = ops


def use_inference_maxout(nlp) -> None:
    """Have the Maxout layers compute only what inference reads: the maximum, not its argmax.

    thinc's `maxout` kernel also returns, per unit, which piece won (kept for a backward pass
    that `nlp.pipe` never runs) and costs about 12x what three `numpy.maximum` calls over the
    pieces do: a quarter of the NER model's tok2vec time. The maximum of the same floats is the
    same float, so the layer output is bitwise identical (`tests/detection/test_ner_model.py`).
    Training (`is_train=True`) still takes thinc's own forward.
    """
    from thinc.layers import maxout

    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        for node in model.walk() if model is not None else ():
            if node.name == "maxout" and node._func is maxout.forward:
                node._func = _maxout_for_inference


def _maxout_for_inference(model, X, is_train: bool):
    """thinc's `maxout.forward` for inference: the same affine map, then the max over the pieces."""
    import numpy
    from thinc.layers import maxout

    if is_train or not isinstance(X, numpy.ndarray):
        return maxout.forward(model, X, is_train)
    n_out, n_pieces, n_in = model.get_dim("nO"), model.get_dim("nP"), model.get_dim("nI")
    Y = model.ops.gemm(X, model.ops.reshape2f(model.get_param("W"), n_out * n_pieces, n_in), trans2=True)
    Y += model.ops.reshape1f(model.get_param("b"), n_out * n_pieces)
    pieces = model.ops.reshape3f(Y, Y.shape[0], n_out, n_pieces)
    best = numpy.maximum(pieces[:, :, 0], pieces[:, :, 1]) if n_pieces > 1 else pieces[:, :, 0].copy()
    for p in range(2, n_pieces):
        numpy.maximum(best, pieces[:, :, p], out=best)
    return best, _no_backprop


def _no_backprop(d_best):
    raise NotImplementedError("scrubber's NER pipeline is inference-only: Maxout was built without its backward pass")


def presidio_default_nlp_configuration(model: str) -> dict:
    """Presidio's shipped default NLP configuration with only the model name replaced."""
    import presidio_analyzer

    path = Path(presidio_analyzer.__file__).parent / "conf" / "default.yaml"
    conf = yaml.safe_load(path.read_text())
    for entry in conf["models"]:
        if entry["lang_code"] == "en":
            entry["model_name"] = model
    return conf


def _make_engine(model: str):
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine

    from scrubber.detection.ner_artifacts import KeywordMemo, LazyNlpArtifacts

    class SharedModelSpacyEngine(SpacyNlpEngine):
        """Presidio's spaCy engine on the process-wide, NER-only pipeline."""

        def load(self) -> None:
            self.nlp = {m["lang_code"]: load_nlp(m["model_name"]) for m in self.models}  # type: ignore[assignment]
            self.keyword_memos = {m["lang_code"]: KeywordMemo(self, m["lang_code"]) for m in self.models}

        def _doc_to_nlp_artifact(self, doc, language):
            """Entities and scores through Presidio's own methods (label mapping, labels_to_ignore);
            lemmas, token offsets and keywords only when read (`ner_artifacts.LazyNlpArtifacts`)."""
            entities, scores = self._get_updated_entities(
                self._get_entities(doc), self._get_scores_for_entities(doc))
            return LazyNlpArtifacts(doc, entities, scores, self, self.keyword_memos[language])

        def process_batch(self, texts, language, batch_size=1, n_process=1, as_tuples=False):
            """Presidio's `process_batch` for a list of texts, each text paired with its artifacts
            as given rather than as `Doc.text` rebuilds it.

            Why: `Doc.text` joins a `Token` object per token (~7% of spaCy's time on new chat
            text), and spaCy's tokenizer never changes a character, so the text given is the
            text Presidio would yield. Tuples and several processes take Presidio's own path."""
            if as_tuples or n_process != 1:
                yield from super().process_batch(texts, language, batch_size, n_process, as_tuples)
                return
            if not self.nlp:
                raise ValueError("NLP engine is not loaded. Consider calling .load()")
            texts = [str(text) for text in texts]
            docs = self.nlp[language].pipe(texts, batch_size=batch_size)
            for text, doc in zip(texts, docs):
                yield text, self._doc_to_nlp_artifact(doc, language)

    conf = presidio_default_nlp_configuration(model)
    ner_conf = NerModelConfiguration.from_dict(conf["ner_model_configuration"])
    engine = SharedModelSpacyEngine(models=conf["models"], ner_model_configuration=ner_conf)
    engine.load()
    return engine


# -- technical look-alikes -------------------------------------------------------------------

_TECH_CHARS = re.compile(r"[_/\\@=<>{}\[\]()`#$%^*|~]|::|\d")
_CAMEL = re.compile(r"[a-z][A-Z]|^[A-Z]{2,}[a-z]")
_DOTTED = re.compile(r"\w\.\w")
_HEXISH = re.compile(r"^[0-9a-fA-F\-]{8,}$")


_MENTION = re.compile(r"^@[^\W\d_][\w'’\-]*[,.:;!?]?$")
_CHUNK_TECH = re.compile(r"://|@|[_/\\=<>{}\[\]`]|\w\.\w+\(")


#: `looks_technical` verdicts kept, per (span, chunk, casing); when full it starts again
TECH_MEMO_ENTRIES = 20_000
#: a chunk longer than this is judged each time: a text without spaces would make keys of any size
TECH_MEMO_CHUNK = 80
_tech_memo: dict[tuple[str, str, bool], bool] = {}


def looks_technical(span: str, text: str, start: int, end: int, casing: bool = True) -> bool:
    """True for spans that are code, identifiers or machine values rather than names or places.

    `casing=False` for names the lexicon found in lower case or ALL CAPS: their case is
    no evidence there, the lexicon already judged it.

    The verdict reads only the span, the whitespace-delimited chunk of `text` around it and
    `casing` (`_technical`), so it is remembered per such triple: the passes ask it of every
    occurrence of every name part, model span and city, and those recur."""
    left = text.rfind(" ", 0, start) + 1
    right = text.find(" ", end)
    chunk = text[left:right if right != -1 else len(text)]
    if len(chunk) > TECH_MEMO_CHUNK:
        return _technical(span, chunk, casing)
    key = (span, chunk, casing)
    try:
        return _tech_memo[key]
    except KeyError:
        pass
    if len(_tech_memo) >= TECH_MEMO_ENTRIES:
        _tech_memo.clear()
    verdict = _tech_memo[key] = _technical(span, chunk, casing)
    return verdict


def _technical(span: str, chunk: str, casing: bool) -> bool:
    """`looks_technical` of a span, given the whitespace-delimited chunk of the text it lies in."""
    if not any(c.isalpha() for c in span):
        return True
    if _TECH_CHARS.search(span) or _CAMEL.search(span) or _HEXISH.match(span):
        return True
    if casing and (span.islower() or span.isupper() and len(span) > 3):
        return True
    if _DOTTED.search(span.replace(". ", " ")) and " " not in span:
        return True
    if any(w.lower().strip(".,'\"") in TECH_WORDS for w in span.split()):
        return True
    # the whitespace-delimited chunk around the span: inside a URL, path, e-mail or code token?
    if not casing and _MENTION.match(chunk):
        return False  # "@haruto can you check": a chat mention names a person
    if span.islower() and _DOTTED.search(chunk):
        return True  # sys.path, os.environ: a lower-case "name" inside a dotted identifier
    return bool(_CHUNK_TECH.search(chunk))


def _has_capital(word: str) -> bool:
    """An upper-case letter, or a letter of a script without case (both can start a name)."""
    if word.isascii():
        return word != word.lower()
    return any(c.isupper() or c.istitle() or (c.isalpha() and not c.islower()) for c in word)


def may_hold_names(text: str) -> bool:
    """False only when no finding could survive `looks_technical`, so NER can be skipped losslessly.

    Every kept span holds a letter that is upper-case or caseless (all-lower-case
    spans are dropped), and the space-delimited word holding that letter lies
    inside the chunk `looks_technical` checks for URL/path/code markers. So if no
    such word is free of those markers, neither spaCy nor the cue rules can report
    anything here: lower-case text, numbers, JSON of numbers, URLs, paths.
    """
    return any(_has_capital(word) and not _CHUNK_TECH.search(word) for word in text.split(" "))


#: `(?<!\S)` only saves time: a match starts at 0 or after the whitespace its predecessor ended with,
#: and where one could start inside a word it could start at the word's start (`\S*` takes the rest),
#: so the matches are the same; without it `re` tries `\S*` from every letter of every word
_SENTENCE_END = re.compile(r"(?<!\S)(\S*)[.!?]+[\"')\]]*\s+")
_ABBREVIATIONS = frozenset(
    "mr mrs ms miss mx dr prof st mt jr sr sra srta fr rev gen col capt lt sgt hon vs etc no nr "
    "inc ltd co corp dept approx e.g i.e".split()
)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: a cut after `.`/`!`/`?` and whitespace, except after an
    abbreviation or an initial ("Dr. Jane Doe", "J. Smith"), so a name is never cut off its frame."""
    bounds = [0]
    for m in _SENTENCE_END.finditer(text):
        word = m.group(1).lower().lstrip("(\"'")
        if len(word) <= 1 or word in _ABBREVIATIONS:
            continue
        bounds.append(m.end())
    if bounds[-1] != len(text):
        bounds.append(len(text))
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def _sentence_has_candidate(sentence: str) -> bool:
    """A capitalised, non-technical word after the sentence's first word."""
    words = sentence.split(" ")
    return any(_has_capital(w) and not _CHUNK_TECH.search(w) for w in words[1:])


_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: the text cut at blank lines that more text follows, each
    part without its trailing whitespace. A text without such a blank line is one paragraph, whole."""
    out: list[tuple[int, int]] = []
    start = 0
    for m in _BLANK_LINE.finditer(text):
        if m.end() == len(text):
            break
        end = start + len(text[start:m.start()].rstrip())
        if end > start:
            out.append((start, end))
        start = m.end()
    out.append((start, len(text)))
    return out


def candidate_runs(text: str) -> list[tuple[int, int]]:
    """Stretches of `text` worth running NER on, paragraph by paragraph (`paragraph_runs`).

    Why paragraphs: RAG instrumentation joins a system prompt and retrieved chunks with blank
    lines, in a new combination each time. A run that spans a join is new each time, so spaCy's
    findings for it are never reused (`RunCache`); a run inside one paragraph recurs wherever the
    paragraph does, first, last or in between. The cue rules, the lexicon and name-part
    propagation still read the whole text, so a name across paragraphs is judged as before."""
    runs: list[tuple[int, int]] = []
    for start, end in paragraphs(text):
        runs += [(start + a, start + b) for a, b in paragraph_runs(text[start:end])]
    return runs


def paragraph_runs(text: str) -> list[tuple[int, int]]:
    """Sentences with a capitalised word after their first word, each with the sentence before it
    as context. A paragraph of one sentence is kept whole."""
    spans = sentences(text)
    if len(spans) <= 1:
        return [(0, len(text))] if may_hold_names(text) else []
    keep = [_sentence_has_candidate(text[a:b]) for a, b in spans]
    keep = [k or (j + 1 < len(keep) and keep[j + 1]) for j, k in enumerate(keep)]
    runs: list[tuple[int, int]] = []
    for (a, b), k in zip(spans, keep):
        if not k:
            continue
        if runs and runs[-1][1] == a:
            runs[-1] = (runs[-1][0], b)
        else:
            runs.append((a, b))
    return runs


#: a gazetteer city of a unit: start, end, the postcodes next to it, whether it is a person's place
City = tuple[int, int, tuple[tuple[int, int], ...], bool]


@dataclass(frozen=True, slots=True)
class LocalFindings:
    """`NerDetector.combine_local`'s result for one unit, offsets into the unit (never its text)."""

    #: judged model findings, cue persons, kept lexicon names and labelled values (before the threshold)
    found: tuple[Finding, ...]
    #: where the parts of every name found are (`persons.name_part_spans`): they recur as names
    parts: tuple[tuple[int, int], ...]
    #: start, end, start, end... of the tokens a name part may redact (`persons.propagation_slot`),
    #: flat and unboxed: a unit has dozens, the cache thousands of units
    slots: array
    cities: tuple[City, ...]


def _at(f: Finding, offset: int) -> Finding:
    return f if not offset else Finding(f.entity_type, f.start + offset, f.end + offset, f.score, f.detector)


def _inside(f: Finding, spans: list[Finding]) -> bool:
    """Within a place the model found and the surroundings showed to be machines ("São Paulo-2")."""
    return any(p.start <= f.start and f.end <= p.end for p in spans)


def merge_overlapping_persons(found: list[Finding]) -> list[Finding]:
    """Overlapping PERSON findings become their union (best score): when two kinds of evidence
    disagree on where a name ends ("Mr. Jonathan Smith" / "Jonathan Smith"), redact both."""
    persons = sorted((f for f in found if f.entity_type == "PERSON"), key=lambda f: f.start)
    merged: list[Finding] = []
    for f in persons:
        last = merged[-1] if merged else None
        if last is not None and f.start < last.end:
            merged[-1] = Finding("PERSON", last.start, max(last.end, f.end), max(last.score, f.score), "ner")
        else:
            merged.append(f)
    return [f for f in found if f.entity_type != "PERSON"] + merged


def enhancer_may_change(nlp_artifacts) -> bool:
    """False when `LemmaContextAwareEnhancer.enhance_using_context`, called without a `context`
    argument, cannot change any result of this doc, so it need not run.

    It raises a score only for a context word found among a hit's surrounding words, and those
    are the lower-cased lemmas around the hit that are also keywords: if no lemma of the doc is a
    keyword, every hit's surrounding words are empty. (An empty doc, whose surrounding words are
    [""], has no entity to get here.) With the lemmatizer excluded this is every doc, because all
    keywords are "" (`ner_artifacts.LazyNlpArtifacts`); a test checks on the corpus that the enhancer's
    results then equal its input."""
    keywords = set(nlp_artifacts.keywords)
    return not keywords.isdisjoint(map(str.lower, nlp_artifacts.lemmas))


class NerDetector:
    """PERSON/LOCATION findings for a batch of texts, run through `nlp.pipe` once."""

    def __init__(self, config: NerConfig, enabled_entities: Sequence[str] | None = None):
        from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        self.config = config
        wanted = set(enabled_entities) if enabled_entities is not None else None
        self.entities = [e for e in config.entities if wanted is None or e in wanted]
        self.engine = _make_engine(config.model)
        self.recognizers: list = [
            SpacyRecognizer(supported_entities=[e], context=list(config.context.get(e, ())), name=f"spacy_{e}")
            for e in self.entities
        ]
        self.enhancer = LemmaContextAwareEnhancer()

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        out: list[list[Finding]] = [[] for _ in texts]
        if not self.entities:
            return out
        pieces = list(self._gated(self._pieces(texts)))
        if pieces:
            from scrubber.detection.cache import spacy_memory_zone

            runs = [p[2] for p in pieces]
            with spacy_memory_zone(self, "en", runs):  # Docs read inside it
                artifacts = self.engine.process_batch(runs, "en", batch_size=self.config.batch_size)
                for (index, offset, piece), (_, nlp_artifacts) in zip(pieces, artifacts):
                    out[index].extend(self._findings(piece, offset, nlp_artifacts))
        return [self._combine(text, found) for text, found in zip(texts, out)]

    def _judged_model(self, text: str, model: list[Finding]) -> tuple[list[Finding], list[Finding]]:
        """spaCy's findings the lexicon keeps, and the places it judged machine names
        ("São Paulo-2"), inside which no name is looked for either."""
        found: list[Finding] = []
        machine_places: list[Finding] = []
        for f in model:
            judged = self._judged(text, f)
            if judged is not None:
                found.append(judged)
            elif f.entity_type == "LOCATION":
                machine_places.append(f)
        return found, machine_places

    def _combine(self, text: str, model: list[Finding]) -> list[Finding]:
        """spaCy's findings judged on the lexicon, plus cue frames, lexicon names and name parts."""
        found, machine_places = self._judged_model(text, model)
        if "PERSON" in self.entities:
            found += [f for f in self._cue_persons(text) if not _inside(f, machine_places)]
        found = [f for f in found if not looks_technical(text[f.start:f.end], text, f.start, f.end)]
        toks = tokenize(text)  # one tokenization for the lexicon names and the gazetteer
        if "PERSON" in self.entities:
            found += self._lexical_persons(text, found, machine_places, toks)
        if "LOCATION" in self.entities:
            found += self._gazetteer_places(text, found, toks)
        threshold = self.config.score_threshold
        return merge_overlapping_persons([f for f in found if f.score >= threshold])

    # -- the same passes, one paragraph unit at a time (`junctions.units`, `cache.UnitCache`) ---------

    def combine_local(self, text: str, model: list[Finding]) -> LocalFindings:
        """What `_combine` finds in `text` (one unit of a longer text) that depends on the unit alone.

        Mirrors `_combine` step by step, so `assemble` over the units of a text gives exactly its
        findings: what is left out here (name-part propagation, which place a found name already
        covers) needs the whole text and is done in `assemble`."""
        found, machine_places = self._judged_model(text, model)
        persons = "PERSON" in self.entities
        if persons:
            found += [f for f in self._cue_persons(text) if not _inside(f, machine_places)]
        found = [f for f in found if not looks_technical(text[f.start:f.end], text, f.start, f.end)]
        toks = tokenize(text)
        lex = lexicon()
        parts: list[tuple[int, int]] = []
        slots = array("I")
        if persons:
            labelled = labelled_names(text)
            lexical = [f for f in lexicon_names(text, toks=toks) if not _inside(f, machine_places)]
            for f in found + lexical + labelled:
                if f.entity_type == "PERSON":
                    parts += [(f.start + a, f.start + b) for a, b in name_part_spans(text[f.start:f.end], lex)]
            for t in toks:
                if propagation_slot(t, lex):
                    slots.extend((t.start, t.end))
            found += [f for f in lexical if not looks_technical(text[f.start:f.end], text, f.start, f.end, casing=False)]
            found += labelled
        cities: tuple[City, ...] = ()
        if "LOCATION" in self.entities:
            cities = tuple(
                (start, end, tuple(postcodes), not looks_technical(text[start:end], text, start, end, casing=False)
                 and is_personal_place(text, start, end))
                for start, end, postcodes in city_names(text, toks, lex))
        return LocalFindings(tuple(found), tuple(dict.fromkeys(parts)), slots, cities)

    def assemble(self, text: str, units: Sequence[tuple[int, LocalFindings]]) -> list[Finding]:
        """`_combine`'s findings from its units' `combine_local` (each at its offset in `text`): the
        parts of every name found anywhere are redacted wherever they recur, then the gazetteer's
        cities that no finding covers are judged, then the threshold and the merge of `_combine`."""
        found = [_at(f, offset) for offset, local in units for f in local.found]
        if "PERSON" in self.entities:
            found += self._propagated(text, units)
        if "LOCATION" in self.entities:
            base = list(found)
            for offset, local in units:
                for start, end, postcodes, personal in local.cities:
                    start, end = start + offset, end + offset
                    known = any(f.start <= start and end <= f.end for f in base)
                    if not known and not personal:
                        continue
                    if not known:
                        found.append(Finding("LOCATION", start, end, 0.75, "ner"))
                    found += [Finding("LOCATION", a + offset, b + offset, 0.75, "ner") for a, b in postcodes]
        threshold = self.config.score_threshold
        return merge_overlapping_persons([f for f in found if f.score >= threshold])

    @staticmethod
    def _propagated(text: str, units: Sequence[tuple[int, LocalFindings]]) -> list[Finding]:
        """`propagate_names` over the whole text, from the units' name parts and token slots."""
        parts = {text[offset + a:offset + b].casefold() for offset, local in units for a, b in local.parts}
        if not parts:
            return []
        out = []
        for offset, local in units:
            ends = iter(local.slots)
            for a, b in zip(ends, ends):
                start, end = offset + a, offset + b
                if text[start:end].casefold() in parts \
                        and not looks_technical(text[start:end], text, start, end, casing=False):
                    out.append(Finding("PERSON", start, end, 0.8, "ner"))
        return out

    @staticmethod
    def _cue_persons(text: str) -> list[Finding]:
        """Names in honorific, introduction and request frames, judged like the model's."""
        out = []
        for f in cue_names(text):
            span = (f.start, f.end) if f.detector == "honorific" else \
                judge_span(text, f.start, f.end, cue=f.detector == "cue")
            if span is not None:
                out.append(Finding("PERSON", span[0], span[1], f.score, "ner"))
        return out

    @staticmethod
    def _lexical_persons(text: str, found: list[Finding], machine_places: list[Finding],
                         toks: list) -> list[Finding]:
        """Lexicon names, labelled values and the recurring parts of every name found, from one
        tokenization of the text. A label or log key says so itself: no technical filter there
        ("agent=Tania"); lexicon names keep the filter but not its case rule."""
        labelled = labelled_names(text)
        lexical = [f for f in lexicon_names(text, toks=toks) if not _inside(f, machine_places)]
        lexical += propagate_names(text, found + lexical + labelled, toks=toks)
        kept = [f for f in lexical if not looks_technical(text[f.start:f.end], text, f.start, f.end, casing=False)]
        return kept + labelled

    @staticmethod
    def _gazetteer_places(text: str, found: list[Finding], toks: list) -> list[Finding]:
        """Cities of the gazetteer that their surroundings make places (`gazetteer.city_names`), judged
        like the model's places: not where machines are ("the Porto cluster"), not inside code."""
        out = []
        for start, end, postcodes in city_names(text, toks, lexicon()):
            known = any(f.start <= start and end <= f.end for f in found)
            if not known and (looks_technical(text[start:end], text, start, end, casing=False)
                              or not is_personal_place(text, start, end)):
                continue
            if not known:
                out.append(Finding("LOCATION", start, end, 0.75, "ner"))
            out += [Finding("LOCATION", a, b, 0.75, "ner") for a, b in postcodes]
        return out

    def _judged(self, text: str, f: Finding) -> Finding | None:
        """A spaCy finding as the lexicon and its surroundings judge it, or None."""
        if f.entity_type == "PERSON":
            span = judge_span(text, f.start, f.end)
            return None if span is None else Finding("PERSON", span[0], span[1], max(f.score, 0.6), "ner")
        return f if is_personal_place(text, f.start, f.end) else None

    def _pieces(self, texts: Sequence[str]) -> Iterator[tuple[int, int, str]]:
        """(text index, offset, piece): long texts are cut at whitespace into max_chars pieces."""
        limit = self.config.max_chars
        for i, text in enumerate(texts):
            start = 0
            while len(text) - start > limit:
                cut = text.rfind(" ", start + limit // 2, start + limit)
                cut = cut if cut > start else start + limit
                yield i, start, text[start:cut]
                start = cut
            yield i, start, text[start:]

    def _gated(self, pieces: Iterator[tuple[int, int, str]]) -> Iterator[tuple[int, int, str]]:
        """Only the pieces (or, with `sentence_gate`, the sentence runs) where a name can be found."""
        for index, offset, piece in pieces:
            if not self.config.sentence_gate:
                if may_hold_names(piece):
                    yield index, offset, piece
                continue
            for a, b in candidate_runs(piece):
                yield index, offset + a, piece[a:b]

    def _findings(self, text: str, offset: int, nlp_artifacts) -> list[Finding]:
        """spaCy's PERSON/LOCATION spans in one piece (context-enhanced scores), technical ones dropped.

        Presidio's enhancer runs only where it can change a score (`enhancer_may_change`): not for
        a doc without entities, or with technical ones only, or without a lemma among its keywords.
        Elsewhere its results would equal its input, at the price of a `Token` object for every
        token it walks and a deep copy of every result."""
        if not nlp_artifacts.entities:
            return []
        kept = []
        for rec in self.recognizers:
            kept += [r for r in rec.analyze(text, rec.supported_entities, nlp_artifacts)
                     if not looks_technical(text[r.start:r.end], text, r.start, r.end)]
        if kept and enhancer_may_change(nlp_artifacts):
            kept = self.enhancer.enhance_using_context(text, kept, nlp_artifacts, self.recognizers)
        return [
            Finding(r.entity_type, r.start + offset, r.end + offset, round(min(r.score, 1.0), 4), "ner")
            for r in kept
        ]
