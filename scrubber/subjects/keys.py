"""Subject keys as the pseudonymizer uses them, and the blind index that finds them.

A `SubjectKey` holds one subject's secret as a prepared HMAC state (the key
already absorbed), so a token costs one state copy and one update, as with
jurisdiction keys. It is only ever held by the bounded cache and the batch that
asked for it; erasure drops it from the cache.

The blind index of a subject is HMAC-SHA-256(jurisdiction key, "subject:" + id):
the vault is searched by it and never sees the id. A jurisdiction with several
keys (rotation) gives several blind indexes, the active key's first, so a subject
first seen under a retired key is still found.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from typing import Mapping

#: what `SubjectKeys.resolve` gives for a subject whose vault could not answer
UNAVAILABLE = object()
_DOMAIN = b"scrubber/subject-blind-index/v1\x00"


class SubjectKey:
    __slots__ = ("key_id", "_mac")

    def __init__(self, key_id: str, secret: bytes):
        self.key_id = key_id
        self._mac = hmac.new(secret, digestmod=hashlib.sha256)

    def digest(self, normalized: str, length: int) -> str:
        mac = self._mac.copy()
        mac.update(normalized.encode("utf-8"))
        return mac.hexdigest()[:length]

    def __repr__(self) -> str:  # never the secret
        return f"SubjectKey({self.key_id!r})"


class Indexer:
    """Blind indexes of subject ids under the loaded jurisdiction keys.

    `material` is KeyStore.material(): {jurisdiction: (active id, {key id: bytes})}; a
    jurisdiction without keys of its own uses `default`'s, as its pseudonyms do."""

    def __init__(self, material: Mapping[str, tuple[str, Mapping[str, bytes]]], memo_size: int = 10_000):
        self._keys = {}
        for jurisdiction, (active, keys) in material.items():
            ordered = [keys[active]] + [k for kid, k in sorted(keys.items()) if kid != active]
            self._keys[jurisdiction] = [hmac.new(k, _DOMAIN, hashlib.sha256) for k in ordered]
        self._memo: OrderedDict[tuple[str, str], tuple[bytes, ...]] = OrderedDict()
        self._memo_size = memo_size

    @property
    def jurisdictions(self) -> frozenset[str]:
        """The jurisdictions with keys of their own (not through `default`)."""
        return frozenset(self._keys)

    def covers(self, jurisdiction: str) -> bool:
        return jurisdiction in self._keys or "default" in self._keys

    def indexes(self, jurisdiction: str, subject_id: str) -> tuple[bytes, ...]:
        """The subject's blind indexes (active key first); () if the jurisdiction has no key."""
        memo = self._memo.get((jurisdiction, subject_id))
        if memo is not None:
            self._memo.move_to_end((jurisdiction, subject_id))
            return memo
        bases = self._keys.get(jurisdiction) or self._keys.get("default") or []
        out = []
        for base in bases:
            mac = base.copy()
            mac.update(subject_id.encode("utf-8"))
            out.append(mac.digest())
        result = tuple(out)
        self._memo[(jurisdiction, subject_id)] = result
        if len(self._memo) > self._memo_size:
            self._memo.popitem(last=False)
        return result

    def purge(self) -> None:
        """Forget every memoized (subject id -> blind index): called on any erasure."""
        self._memo.clear()
