"""`PooledDetection`: text detection on a `WorkerPool`, cached, de-duplicated and batched.

Same interface as `InProcessDetection` (`start()`, `async detect(texts, ner)`, `close()`,
`fingerprint`), so its users do not care which one they hold. The path of one text:

1. a content-addressed cache in this process (hash of text, NER flag and detector config
   -> offsets): system prompts, RAG chunks and history turns that repeat across requests
   never reach a worker (`detection_cache_hits` / `detection_cache_misses`);
2. in-flight dedupe: a text already queued or in a worker is awaited, not sent again;
3. the rest go to the pool as items of one *batch* handler (`DetectTexts`), all or none:
   the pool bounds them, gathers them across concurrent callers into micro-batches and
   fails them with `JobFailed` if their worker dies or hangs (the caller fails closed).

The workers cache nothing for this handler (cache off in their config): only misses reach
them, and the bounded cache is this one. The pool is not owned here (an extension's, or
`DetectionPool`'s), so `close` only stops this layer.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from typing import Sequence

from scrubber.detection.cache import FindingsCache
from scrubber.detection.config import CacheConfig, DetectionConfig
from scrubber.detection.detector import Detector
from scrubber.errors import RetryableError
from scrubber.extensions.worker_pool.pool import WorkerPool
from scrubber.extensions.worker_pool.worker import Handler
from scrubber.service.telemetry import Telemetry

TEXTS_FACTORY = "scrubber.detection.worker:DetectTexts"


def texts_handler(detection: DetectionConfig) -> Handler:
    """The pool handler that detects texts under `detection` (cache off: see the module docstring)."""
    spec = detection.model_copy(update={"cache": CacheConfig(max_entries=0)}).model_dump_json()
    return Handler(f"detect/{hashlib.sha256(spec.encode()).hexdigest()[:12]}", TEXTS_FACTORY, spec, batch=True)


class PooledDetection:
    def __init__(self, pool: WorkerPool, detection: DetectionConfig | None = None, telemetry: Telemetry | None = None):
        self.pool = pool
        self.detection = detection or DetectionConfig()
        self.handler = texts_handler(self.detection)
        self._fingerprint = Detector(self.detection).fingerprint  # cheap: NER loads on first use
        self._ner_wanted = self.detection.ner.enabled and (
            self.detection.entities is None or bool(set(self.detection.entities) & set(self.detection.ner.entities)))
        self._cache = FindingsCache(self.detection.cache.max_entries)
        self._inflight: dict[tuple, asyncio.Future] = {}
        self._closed = False
        telemetry = telemetry or Telemetry()
        self._hits = telemetry.counter("detection_cache_hits", "Texts answered from the detection cache")
        self._misses = telemetry.counter("detection_cache_misses", "Texts not in the detection cache")

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    async def start(self) -> None:
        """Return once a worker has loaded this detector, so the receivers (started after the
        processors) never accept data the pool cannot yet serve. Idempotent."""
        await self.prepare(self.handler)

    async def prepare(self, handler: Handler) -> None:
        """Register a job handler (e.g. the pii request scrubber) and wait until a worker built it."""
        await self.pool.start()
        await self.pool.wait_ready(self.pool.config.start_timeout, handler)

    async def run_job(self, handler: Handler, payload: object, size: int) -> object:
        """One job on the pool (see `WorkerPool.run_job`)."""
        return await self.pool.run_job(handler, payload, size)

    async def close(self) -> None:
        """Later calls to `detect` refuse retryably. Idempotent; the pool is its owner's to close."""
        self._closed = True

    async def detect(self, texts: Sequence[str], ner: Sequence[bool]) -> list[list]:
        """Findings per text (offsets, as the single-process Detector gives them)."""
        if self._closed:
            raise RetryableError("detection pool is closed", retry_after=1.0)
        results: list = [None] * len(texts)
        waits: list[tuple[int, tuple]] = []
        new: dict[tuple, tuple[str, bool]] = {}
        for i, (text, flag) in enumerate(zip(texts, ner, strict=True)):
            flag = bool(flag) and self._ner_wanted
            cached = self._cache.get(self._fingerprint, text, flag)
            if cached is not None:
                results[i] = cached
                continue
            key = FindingsCache.key(self._fingerprint, text, flag)
            if key not in self._inflight and key not in new:
                new[key] = (text, flag)
            waits.append((i, key))
        self._hits.inc(len(texts) - len(waits))
        self._misses.inc(len(new))
        if new:
            self._submit(new)
        futures = {key: self._inflight[key] for _, key in waits}  # now: a landed text leaves the map
        for i, key in waits:
            results[i] = await asyncio.shield(futures[key])
        return results

    def _submit(self, new: dict[tuple, tuple[str, bool]]) -> None:
        """Queue the distinct uncached texts, all or none (the pool refuses the whole call)."""
        payloads = list(new.values())
        futures = self.pool.submit(self.handler, payloads, [len(text) for text, _ in payloads])
        for (key, (text, flag)), future in zip(new.items(), futures, strict=True):
            self._inflight[key] = future
            future.add_done_callback(functools.partial(self._landed, key, text, flag))

    def _landed(self, key: tuple, text: str, flag: bool, future: asyncio.Future) -> None:
        if self._inflight.get(key) is future:
            del self._inflight[key]
        if not future.cancelled() and future.exception() is None:
            self._cache.put(self._fingerprint, text, flag, future.result())

    @property
    def inflight(self) -> int:
        """Distinct texts queued or in a worker (tests, benchmarks)."""
        return len(self._inflight)
