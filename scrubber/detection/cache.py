"""A bounded, content-addressed LRU cache of findings.

System prompts, RAG chunks and earlier chat turns repeat across requests, so
detection results are cached by (detector fingerprint, SHA-256 of the text, NER
flag). Only offsets, types, scores and detector names are stored: never the
text, so the cache holds no personal data beyond what its keys' hashes imply.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from scrubber.detection.finding import Finding
    from scrubber.detection.ner import LocalFindings


class FindingsCache:
    def __init__(self, max_entries: int = 50_000):
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._data: OrderedDict[tuple[str, bytes, bool], tuple[Finding, ...]] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(fingerprint: str, text: str, ner: bool) -> tuple[str, bytes, bool]:
        return fingerprint, hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest(), ner

    def get(self, fingerprint: str, text: str, ner: bool) -> list[Finding] | None:
        if self.max_entries <= 0:
            return None
        k = self.key(fingerprint, text, ner)
        with self._lock:
            value = self._data.get(k)
            if value is None:
                self.misses += 1
                return None
            self._data.move_to_end(k)
            self.hits += 1
            return list(value)

    def put(self, fingerprint: str, text: str, ner: bool, findings: list[Finding]) -> None:
        if self.max_entries <= 0:
            return
        k = self.key(fingerprint, text, ner)
        with self._lock:
            self._data[k] = tuple(findings)
            self._data.move_to_end(k)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def stats(self) -> dict[str, int]:
        return {"entries": len(self._data), "hits": self.hits, "misses": self.misses}

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


#: spaCy findings of this many distinct sentence runs are kept per Detector (offsets only).
#: Independent of `cache.max_entries`: the pool turns its workers' whole-text cache off (the
#: parent holds that one), but the run cache must live where NER runs, in the workers.
RUN_CACHE_ENTRIES = 20_000


class RunCache:
    """spaCy's findings per sentence run, reused wherever the run recurs, in any text.

    Why runs and not whole texts: RAG instrumentation concatenates a system prompt and
    retrieved chunks into ONE message part, each time in a different combination, so a
    whole-text key never hits while the chunks' sentences recur constantly. spaCy (~80%
    of a miss's cost) only ever sees the runs `NerDetector._gated` cuts (sentences that
    can hold a name, each with the sentence before it as context), and its findings in
    a run depend on the run's characters alone. So caching them by the run's hash is
    exact by construction: `detect` below is `NerDetector.detect` with the spaCy call
    answered from the cache for runs seen before. The passes that read the text around
    spaCy's spans (cue frames, lexicon names, the technical filter, the gazetteer) run per
    paragraph unit through `UnitCache` where no rule reads across the cut, on the whole
    text otherwise; name-part propagation always reads the whole text, so a surname found
    in paragraph 1 is still redacted in paragraph 3.
    """

    def __init__(self, max_entries: int = RUN_CACHE_ENTRIES, units: bool = True):
        self._cache = FindingsCache(max_entries)
        #: the whole-text passes per paragraph unit; None: on the whole text, as `NerDetector.detect`
        self.units: UnitCache | None = UnitCache() if units else None

    def stats(self) -> dict[str, int]:
        return self._cache.stats()

    def __len__(self) -> int:
        return len(self._cache)

    def detect(self, ner, fingerprint: str, texts) -> list[list[Finding]]:
        """What `ner.detect(texts)` returns, with spaCy run only on runs not seen before."""
        out: list[list[Finding]] = [[] for _ in texts]
        if not ner.entities:
            return out
        pieces = list(ner._gated(ner._pieces(texts)))  # (text index, offset, run text)
        found: dict[str, list[Finding]] = {}
        misses: list[str] = []
        for _, _, run in pieces:
            if run in found:
                continue
            cached = self._cache.get(fingerprint, run, True)
            if cached is None:
                misses.append(run)
                found[run] = []  # placeholder, so a run repeated in this batch goes to spaCy once
            else:
                found[run] = cached
        if misses:
            with spacy_memory_zone(ner, "en", misses):  # every Doc read to its findings inside
                artifacts = ner.engine.process_batch(misses, "en", batch_size=ner.config.batch_size)
                for run, (_, nlp_artifacts) in zip(misses, artifacts):
                    found[run] = ner._findings(run, 0, nlp_artifacts)
                    self._cache.put(fingerprint, run, True, found[run])
        for index, offset, run in pieces:
            out[index].extend(_shifted(f, offset) for f in found[run])
        if self.units is None:
            return [ner._combine(text, model) for text, model in zip(texts, out)]
        return [self.units.combine(ner, fingerprint, text, model) for text, model in zip(texts, out)]


def spacy_memory_zone(ner, language: str, texts: Sequence[str] = ()):
    """The block in which spaCy's pipeline for `language` runs on `texts`: its `RollingZone`
    (`spacy_zone.py`), so the vocabulary stays bounded however long the process lives, lexemes
    are reused from call to call and the tokenizer cache is filled at renewals. Every Doc must be
    read to its findings inside it."""
    from scrubber.detection.spacy_zone import zone_of

    nlp = getattr(ner.engine, "nlp", {}).get(language)
    return zone_of(nlp).reading(texts) if nlp is not None else contextlib.nullcontext()


def _shifted(f: Finding, offset: int) -> Finding:
    """A run's finding at its place in the whole text (as `NerDetector._findings` adds the offset)."""
    from scrubber.detection.finding import Finding

    return f if not offset else Finding(f.entity_type, f.start + offset, f.end + offset, f.score, f.detector)


#: `NerDetector.combine_local` results of this many distinct units are kept per Detector (offsets only)
UNIT_CACHE_ENTRIES = 20_000


class UnitCache:
    """The whole-text passes of `NerDetector._combine` (cue frames, lexicon and lower-case names, the
    gazetteer) per paragraph unit, reused wherever the unit recurs, in any text.

    Why: once spaCy's runs hit `RunCache`, those passes are the larger part of what a system prompt
    plus recombined RAG chunks costs, and they are re-run on every new combination. They only look
    a few characters around each word, so `junctions.units` cuts a text at the blank lines no rule
    sees across, `combine_local` runs per unit and `assemble` adds what needs the whole text (name
    parts recurring anywhere). The key is (fingerprint, hash of the unit's text and of spaCy's
    findings in it): the result is a function of exactly these, whatever cut spaCy's runs.
    """

    def __init__(self, max_entries: int = UNIT_CACHE_ENTRIES):
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._data: OrderedDict[tuple[str, bytes], LocalFindings] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def stats(self) -> dict[str, int]:
        return {"entries": len(self._data), "hits": self.hits, "misses": self.misses}

    def combine(self, ner, fingerprint: str, text: str, model: list[Finding]) -> list[Finding]:
        """What `ner._combine(text, model)` returns, with the local passes answered per unit."""
        from scrubber.detection.junctions import units

        bounds = units(text)
        if len(bounds) == 1:
            return ner._combine(text, model)  # one unit recurs only as the whole text: the Detector's cache
        per_unit: list[list[Finding]] = [[] for _ in bounds]
        for f in model:
            i = _unit_of(bounds, f)
            if i is None:
                return ner._combine(text, model)  # a spaCy span across a cut: not local, judge it whole
            per_unit[i].append(_shifted(f, -bounds[i][0]))
        locals_ = [(start, self._local(ner, fingerprint, text[start:end], found))
                   for (start, end), found in zip(bounds, per_unit)]
        return ner.assemble(text, locals_)

    def _local(self, ner, fingerprint: str, unit: str, model: list[Finding]) -> LocalFindings:
        if self.max_entries <= 0:
            return ner.combine_local(unit, model)
        digest = hashlib.sha256(unit.encode("utf-8", "surrogatepass"))
        digest.update(repr(model).encode())
        key = (fingerprint, digest.digest())
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
                self.hits += 1
                return value
            self.misses += 1
        value = ner.combine_local(unit, model)
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)
        return value


def _unit_of(bounds: list[tuple[int, int]], f: Finding) -> int | None:
    for i, (start, end) in enumerate(bounds):
        if start <= f.start and f.end <= end:
            return i
    return None
