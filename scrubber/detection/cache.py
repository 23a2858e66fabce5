"""A bounded, content-addressed LRU cache of findings.

System prompts, RAG chunks and earlier chat turns repeat across requests, so
detection results are cached by (detector fingerprint, SHA-256 of the text, NER
flag). Only offsets, types, scores and detector names are stored: never the
text, so the cache holds no personal data beyond what its keys' hashes imply.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scrubber.detection.finding import Finding


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
