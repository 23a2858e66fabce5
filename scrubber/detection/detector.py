"""The Detector: patterns on every text, NER on content texts, one batch at a time.

Pure and synchronous on purpose: the pii processor calls it through
`service.InProcessDetection` (a worker thread), and the multiprocess pool runs
the very same class inside each worker process.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Sequence

from scrubber.detection.builtin import TABLE_VERSION
from scrubber.detection.cache import FindingsCache, RunCache
from scrubber.detection.config import DetectionConfig
from scrubber.detection.finding import Finding, resolve_overlaps
from scrubber.detection.pattern_units import PatternUnits
from scrubber.detection.patterns import PatternEngine


class Detector:
    def __init__(self, config: DetectionConfig | None = None):
        self.config = config or DetectionConfig()
        self._patterns = PatternEngine(self.config)
        self._ner = None  # built on first use: loading spaCy takes a second
        self._ner_wanted = self.config.ner.enabled and self._ner_entities_enabled()
        self._lock = threading.Lock()  # Hyperscan scratch space and spaCy are not thread-safe
        self._fingerprint = self._compute_fingerprint()
        self.cache = FindingsCache(self.config.cache.max_entries)
        self.runs = RunCache()  # spaCy's findings per sentence run: reuse below the field (cache.py)
        self.pattern_units = PatternUnits(self._patterns, self._fingerprint)  # the pattern pass per paragraph

    def _ner_entities_enabled(self) -> bool:
        entities = self.config.entities
        return entities is None or bool(set(entities) & set(self.config.ner.entities))

    def _compute_fingerprint(self) -> str:
        payload = f"{TABLE_VERSION}\n{self.config.model_dump_json(exclude={'cache'})}"
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

    @property
    def fingerprint(self) -> str:
        """Stable hash of everything that changes results (not the cache size)."""
        return self._fingerprint

    @property
    def ner(self):
        if self._ner is None:
            from scrubber.detection.ner import NerDetector

            self._ner = NerDetector(self.config.ner, self.config.entities)
        return self._ner

    def detect(self, texts: Sequence[str], ner: Sequence[bool]) -> list[list[Finding]]:
        """Findings per text, sorted by start, non-overlapping. `ner[i]`: run NER on `texts[i]` too."""
        if len(texts) != len(ner):
            raise ValueError("texts and ner flags differ in length")
        with self._lock:
            return self._detect_locked(texts, ner)

    def _detect_locked(self, texts: Sequence[str], ner: Sequence[bool]) -> list[list[Finding]]:
        keys = [(text, bool(flag) and self._ner_wanted) for text, flag in zip(texts, ner)]
        results: dict[tuple[str, bool], list[Finding]] = {}
        todo: list[tuple[str, bool]] = []
        for key in dict.fromkeys(keys):  # each distinct (text, flag) once, in first-seen order
            cached = self.cache.get(self._fingerprint, key[0], key[1])
            if cached is not None:
                results[key] = cached
            else:
                todo.append(key)
        for key, found in zip(todo, self._detect_uncached(todo, self.runs)):
            results[key] = found
            self.cache.put(self._fingerprint, key[0], key[1], found)
        return [list(results[key]) for key in keys]

    def _detect_uncached(self, keys: list[tuple[str, bool]], runs: RunCache | None = None) -> list[list[Finding]]:
        """Findings of texts not in the whole-text cache; with `runs`, spaCy's part comes from the
        run cache for sentence runs seen before (the same result: see `RunCache`)."""
        detect_patterns = self._patterns.detect if runs is None else self.pattern_units.detect  # same findings
        found = [detect_patterns(text) for text, _ in keys]
        ner_idx = [i for i, (text, flag) in enumerate(keys) if flag and text.strip()]
        if ner_idx:
            ner_texts = [keys[i][0] for i in ner_idx]
            ner_found = self.ner.detect(ner_texts) if runs is None else runs.detect(self.ner, self._fingerprint, ner_texts)
            for i, extra in zip(ner_idx, ner_found):
                found[i].extend(extra)
        return [resolve_overlaps(f) for f in found]
