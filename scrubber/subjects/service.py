"""The running side of subjects: the shared vault service and each processor's view of it.

`SubjectVault` is one per process and vault config (shared by every pii processor
that names the same vault, via `Host.shared`): the backends of the jurisdictions
seen so far, the bounded cache of subject keys, lineage not yet written, and a
background task that

- reads every vault's erasure log each `poll_interval` and drops the erased keys
  from the cache. Polling, not PostgreSQL LISTEN/NOTIFY: a notification sent while
  a replica's listening connection is down is lost, so NOTIFY would need this
  catch-up read anyway; the log read by sequence number is one indexed query per
  second per replica, works the same on SQLite (where a CLI erasure on the same
  node must reach the daemon too) and gives a hard bound: an erasure anywhere is
  honoured everywhere within `poll_interval` plus one vault round trip;
- writes the lineage (which pipeline got which subject's items, when) every
  `lineage.flush_interval`, and prunes rows older than `lineage.retention`.

`SubjectKeys` is what one pii processor holds: the vault, the blind indexer made
from its jurisdiction keys, and its pipeline name for the lineage.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Iterable

from cachetools import LRUCache

from scrubber.subjects.config import SubjectsConfig
from scrubber.subjects.keys import UNAVAILABLE, Indexer, SubjectKey
from scrubber.subjects.resolve import SubjectResolver
from scrubber.subjects.vault import Backend, VaultUnavailable, open_backend

PRUNE_EVERY = 3600.0
LOG_EVERY = 30.0  # at most one vault-unavailable warning per jurisdiction per this many seconds


class SubjectVault:
    def __init__(self, config: SubjectsConfig, logger: logging.Logger | None = None):
        self.config = config
        self.logger = logger or logging.getLogger("scrubber.subjects")
        self.cache: LRUCache = LRUCache(config.cache.max_entries)  # (jurisdiction, blind index) -> SubjectKey
        self.backends: dict[str, Backend | None] = {}
        self._opening = threading.Lock()  # backends are opened from worker threads
        self._seq: dict[str, int] = {}
        self._lineage: dict[tuple[str, bytes, str], list[float]] = {}
        self._indexers: list[Indexer] = []
        self._task: asyncio.Task | None = None
        self._last_warning: dict[str, float] = {}
        #: bumped on every purge: a lookup that started before one does not fill the cache
        self.generation = 0

    # ---- backends -------------------------------------------------------------------
    def backend(self, jurisdiction: str) -> Backend:
        if jurisdiction not in self.backends:
            with self._opening:
                if jurisdiction not in self.backends:
                    self.backends[jurisdiction] = open_backend(self.config.vault, jurisdiction)
        backend = self.backends[jurisdiction]
        if backend is None:
            raise VaultUnavailable(f"no vault configured for jurisdiction {jurisdiction!r}")
        return backend

    def _fetch(self, jurisdiction: str, subjects: list[tuple[bytes, ...]]) -> list[tuple[str, bytes]]:
        """In a thread: the erasure-log position first (so no erasure after it is missed), then the keys."""
        backend = self.backend(jurisdiction)
        if jurisdiction not in self._seq:
            self._seq[jurisdiction] = backend.erasures_since(None)[0]
        return backend.get_or_create(subjects)

    async def keys(self, jurisdiction: str, subjects: list[tuple[bytes, ...]]) -> list[SubjectKey]:
        """Keys of subjects (given by blind indexes), from the cache or the vault. VaultUnavailable
        if the vault does not answer within `vault.timeout`."""
        out: list[SubjectKey | None] = [self.cache.get((jurisdiction, bis[0])) for bis in subjects]
        missing = [i for i, key in enumerate(out) if key is None]
        if missing:
            generation = self.generation
            try:
                rows = await asyncio.wait_for(asyncio.to_thread(self._fetch, jurisdiction, [subjects[i] for i in missing]),
                                              self.config.vault.timeout)
            except (asyncio.TimeoutError, TimeoutError):
                raise VaultUnavailable(f"vault of jurisdiction {jurisdiction!r} did not answer in time") from None
            for i, (key_id, secret) in zip(missing, rows):
                out[i] = SubjectKey(key_id, secret)
                if generation == self.generation:
                    self.cache[(jurisdiction, subjects[i][0])] = out[i]
        return out  # type: ignore[return-value]

    def warn_unavailable(self, jurisdiction: str, error: Exception, items: int) -> None:
        now = time.monotonic()
        if now - self._last_warning.get(jurisdiction, -LOG_EVERY) >= LOG_EVERY:
            self._last_warning[jurisdiction] = now
            self.logger.warning("subject vault unavailable: %s; pseudonyms of %d subject(s) redacted instead "
                                "(fail closed; further warnings for this jurisdiction suppressed for %.0fs)",
                                error, items, LOG_EVERY)

    # ---- lineage --------------------------------------------------------------------
    def seen(self, jurisdiction: str, blind_index: bytes, pipeline: str, now: float) -> None:
        if not self.config.lineage.enabled:
            return
        span = self._lineage.get((jurisdiction, blind_index, pipeline))
        if span is None:
            self._lineage[(jurisdiction, blind_index, pipeline)] = [now, now]
        else:
            span[1] = now

    def take_lineage(self) -> dict:
        """The pending lineage, handed over (on the event loop thread, where `seen` runs)."""
        pending, self._lineage = self._lineage, {}
        return pending

    def write_lineage(self, pending: dict) -> list:
        """Write lineage rows (in a thread); returns the rows of vaults that did not answer."""
        by_jurisdiction: dict[str, list] = {}
        for (jurisdiction, bi, pipeline), (first, last) in pending.items():
            by_jurisdiction.setdefault(jurisdiction, []).append((bi, pipeline, first, last))
        failed = []
        for jurisdiction, rows in by_jurisdiction.items():
            try:
                self.backend(jurisdiction).record_lineage(rows)
            except VaultUnavailable:
                failed += [(jurisdiction, *row) for row in rows]
        return failed

    def keep_lineage(self, failed: list) -> None:
        """Put back rows that could not be written (on the loop thread)."""
        for jurisdiction, bi, pipeline, first, last in failed:
            span = self._lineage.setdefault((jurisdiction, bi, pipeline), [first, last])
            span[0], span[1] = min(span[0], first), max(span[1], last)

    def flush_lineage(self) -> None:
        """Synchronous flush, where no event loop runs alongside (the CLI, tests, close)."""
        self.keep_lineage(self.write_lineage(self.take_lineage()))

    # ---- erasure --------------------------------------------------------------------
    def add_indexer(self, indexer: Indexer) -> None:
        self._indexers.append(indexer)

    def purge(self, jurisdiction: str | None, key_ids: Iterable[str]) -> None:
        """Drop erased keys from the cache and every memo of subject ids."""
        doomed = set(key_ids)
        self.generation += 1
        erased = set()
        for cache_key, key in list(self.cache.items()):
            if key.key_id in doomed and (jurisdiction is None or cache_key[0] == jurisdiction):
                del self.cache[cache_key]
                erased.add(cache_key)
        if erased:  # lineage noted here before the erasure must not bring the blind index back
            self._lineage = {k: v for k, v in self._lineage.items() if (k[0], k[1]) not in erased}
        for indexer in self._indexers:
            indexer.purge()

    async def erase(self, jurisdiction: str, indexes: list[bytes]) -> tuple[list[str], list[tuple[str, float, float]]]:
        """Destroy the subject's keys and lineage in the vault, then purge this process's caches.
        The vault work runs in a thread; the cache is only touched on the event loop."""
        pending = self.take_lineage()  # the lineage still in memory belongs in the record
        self.keep_lineage(await asyncio.to_thread(self.write_lineage, pending))
        self.generation += 1
        self._lineage = {k: v for k, v in self._lineage.items() if not (k[0] == jurisdiction and k[1] in indexes)}
        key_ids, lineage = await asyncio.to_thread(lambda: self.backend(jurisdiction).erase(indexes))
        self.purge(jurisdiction, key_ids)
        return key_ids, lineage

    def read_erasure_logs(self) -> list[tuple[str, list[str]]]:
        """In a thread: what every open vault's erasure log gained since the last read."""
        found = []
        for jurisdiction, seq in list(self._seq.items()):
            try:
                new_seq, key_ids = self.backend(jurisdiction).erasures_since(seq)
            except VaultUnavailable:
                continue
            self._seq[jurisdiction] = new_seq
            if key_ids:
                found.append((jurisdiction, key_ids))
        return found

    async def poll(self) -> None:
        """Drop from the cache what other processes erased."""
        for jurisdiction, key_ids in await asyncio.to_thread(self.read_erasure_logs):
            self.purge(jurisdiction, key_ids)

    # ---- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._background())

    async def _background(self) -> None:
        poll = self.config.vault.poll_interval
        last_flush = last_prune = time.monotonic()
        while True:
            await asyncio.sleep(poll)
            try:
                await self.poll()
                now = time.monotonic()
                if now - last_flush >= self.config.lineage.flush_interval:
                    last_flush = now
                    self.keep_lineage(await asyncio.to_thread(self.write_lineage, self.take_lineage()))
                if now - last_prune >= PRUNE_EVERY:
                    last_prune = now
                    await asyncio.to_thread(self._prune)
            except Exception as exc:  # noqa: BLE001 - the loop must outlive any vault hiccup
                self.logger.warning("subject vault background task: %s", type(exc).__name__)

    def _prune(self) -> None:
        now = time.time()
        for backend in self.backends.values():
            if backend is not None:
                try:
                    backend.prune(now - self.config.lineage.retention, now - self.config.vault.erasure_log_retention)
                except VaultUnavailable:
                    pass

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await asyncio.to_thread(self.write_lineage, self.take_lineage())
        for backend in self.backends.values():
            if backend is not None:
                backend.close()


class SubjectKeys:
    """One pii processor's view: resolve subjects of a batch to keys, record lineage."""

    def __init__(self, vault: SubjectVault, indexer: Indexer, resolver: SubjectResolver, pipeline: str,
                 failures=None):
        self.vault = vault
        self.indexer = indexer
        self.resolver = resolver
        self.pipeline = pipeline
        self.failures = failures  # a counter with label `jurisdiction`, or None
        vault.add_indexer(indexer)

    async def resolve(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], object]:
        """{(jurisdiction, subject id): SubjectKey or UNAVAILABLE} for every pair."""
        by_jurisdiction: dict[str, list[tuple[str, str]]] = {}
        for pair in pairs:
            by_jurisdiction.setdefault(pair[0], []).append(pair)
        out: dict[tuple[str, str], object] = {}
        now = time.time()
        for jurisdiction, group in by_jurisdiction.items():
            indexes = [self.indexer.indexes(jurisdiction, subject) for _, subject in group]
            if not all(indexes):
                out.update({pair: UNAVAILABLE for pair in group})
                continue
            for bis in indexes:
                self.vault.seen(jurisdiction, bis[0], self.pipeline, now)
            try:
                keys = await self.vault.keys(jurisdiction, indexes)
            except VaultUnavailable as error:
                self.vault.warn_unavailable(jurisdiction, error, len(group))
                if self.failures is not None:
                    self.failures.labels(jurisdiction=jurisdiction).inc(len(group))
                out.update({pair: UNAVAILABLE for pair in group})
                continue
            out.update(zip(group, keys))
        return out


class Registry:
    """Every SubjectKeys of a running process, for the HTTP erase endpoint (`Host.shared`)."""

    NAME = "subjects/registry"

    def __init__(self):
        self.members: list[SubjectKeys] = []

    def add(self, member: SubjectKeys) -> None:
        self.members.append(member)
