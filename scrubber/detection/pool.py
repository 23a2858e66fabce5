"""`DetectionPool`: detection on every core, batched, cached and bounded.

Same interface as `InProcessDetection` (`start()`, `async detect(texts, ner)`,
`close()`), so the pii processor does not care which one it holds. The path of
one text:

1. parent-side content-addressed cache (hash of text, NER flag and detector
   config -> offsets): system prompts, RAG chunks and history turns that repeat
   across requests never reach a worker;
2. in-flight dedupe: a text already queued or in a worker is awaited, not re-sent;
3. a bounded pending queue (`max_pending_texts`, `max_pending_bytes`): beyond it
   `detect` raises `ResourceExhaustedError`, so the receiver answers
   RESOURCE_EXHAUSTED / 429 instead of memory growing;
4. micro-batches of up to `max_batch_texts` texts, gathered across concurrent
   callers for up to `max_wait`, one per idle worker process (`spawn`ed, model
   loaded once);
5. a worker that dies or exceeds `timeout` is SIGKILLed and replaced; every
   caller waiting on its batch gets `DetectionFailed` and fails closed (the pii
   processor redacts those fields). Counted as `detection_worker_restarts` and
   `detection_failed_texts`.

`run_job(handler, payload, size)` sends a whole unit of work instead (the pii
processor's `scope: requests`: one serialized request, scrubbed in the worker by
the same engine). Jobs share the workers, the bound (a job counts as one
pending text and `size` bytes) and the crash/hang handling: a lost job raises
`DetectionFailed` and the caller fails closed. In that scope the workers keep
their own findings cache (`detection.cache`), since the parent's never sees the
texts.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from typing import Literal

import psutil
from pydantic import Field

from scrubber.component import ComponentConfig
from scrubber.config.types import Duration
from scrubber.detection.cache import FindingsCache
from scrubber.detection.config import CacheConfig, DetectionConfig
from scrubber.detection.detector import Detector
from scrubber.detection.worker import BatchError, Handler, WorkerFailed, WorkerHandle
from scrubber.errors import PermanentError, ResourceExhaustedError, RetryableError
from scrubber.service.telemetry import Telemetry

log = logging.getLogger("scrubber.detection.pool")


class DetectionPoolConfig(ComponentConfig):
    """What users write under the pii processor's `pool:` key."""

    #: worker processes; 0 = one per core (os.cpu_count())
    workers: int = Field(default=0, ge=0, le=256)
    #: most texts in one micro-batch sent to a worker
    max_batch_texts: int = Field(default=256, ge=1, le=100_000)
    #: how long an idle worker waits for a micro-batch to fill
    max_wait: Duration = 0.002
    #: texts queued for the workers (not counting cache hits); beyond it detect() refuses
    max_pending_texts: int = Field(default=20_000, ge=1)
    #: bytes (UTF-8) of the queued texts; beyond it detect() refuses
    max_pending_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    #: a worker that takes longer on one batch is killed and replaced; its callers fail closed.
    #: Below the SDKs' 10 s export timeout, so a client hears back (fields redacted) before it gives up
    timeout: Duration = 5.0
    #: a worker whose resident memory passes this after a batch is replaced (0 = never), so the
    #: workers stay inside what the memory_limiter budgets for them
    max_worker_memory_mib: int = Field(default=1024, ge=0)
    #: how long a worker may take to load its models
    start_timeout: Duration = 120.0
    #: what the workers get: `texts` (detection only; walk and rewrite stay in the main process)
    #: or `requests` (the pii processor sends each whole request: parse, walk, detection,
    #: rewrite and serialize all run in the workers, so they use every core)
    scope: Literal["texts", "requests"] = "texts"

    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1


class DetectionFailed(RetryableError):
    """The worker holding these texts crashed, hung or raised: the caller must fail closed."""


@dataclass(eq=False)
class _Job:
    """One distinct uncached text on its way through a worker; shared by every caller awaiting it."""

    key: tuple
    text: str
    ner: bool
    future: asyncio.Future = field(repr=False)


@dataclass(eq=False)
class _Call:
    """One job for a worker (a whole request in `scope: requests`)."""

    handler: Handler
    payload: object = field(repr=False)
    size: int
    future: asyncio.Future = field(repr=False)


class DetectionPool:
    def __init__(self, detection: DetectionConfig | dict | None = None,
                 config: DetectionPoolConfig | dict | None = None,
                 telemetry: Telemetry | None = None):
        self.detection = detection if isinstance(detection, DetectionConfig) else DetectionConfig.model_validate(detection or {})
        self.config = config if isinstance(config, DetectionPoolConfig) else DetectionPoolConfig.model_validate(config or {})
        # texts scope: workers cache nothing, only misses reach them and the parent's cache is the
        # bounded one; requests scope: the parent sees no texts, each worker keeps its own cache
        worker_config = self.detection if self.config.scope == "requests" else \
            self.detection.model_copy(update={"cache": CacheConfig(max_entries=0)})
        self._config_json = worker_config.model_dump_json()
        self._fingerprint = Detector(self.detection).fingerprint  # cheap: NER loads on first use
        self._ner_wanted = self.detection.ner.enabled and (
            self.detection.entities is None or bool(set(self.detection.entities) & set(self.detection.ner.entities)))
        self._cache = FindingsCache(self.detection.cache.max_entries)
        self._pending: deque[_Job] = deque()
        self._pending_bytes = 0
        self._calls: deque[_Call] = deque()
        self._inflight: dict[tuple, _Job] = {}
        self._wakeup = asyncio.Event()
        self._workers: list[WorkerHandle | None] = []
        self._tasks: list[asyncio.Task] = []
        self._executor: ThreadPoolExecutor | None = None
        self._ready = asyncio.Event()
        self._started = self._closed = False
        self._rate = 0.0  # texts/s through the workers, smoothed: sizes the retry_after hint
        self._metrics(telemetry or Telemetry())

    def _metrics(self, telemetry: Telemetry) -> None:
        self._restarts = telemetry.counter("detection_worker_restarts", "Detection workers replaced after a crash or hang")
        self._failed = telemetry.counter("detection_failed_texts", "Texts whose detection failed (their fields are redacted)")
        self._failed_jobs = telemetry.counter("detection_failed_jobs",
                                              "Jobs (whole requests) lost to a worker crash, hang or error (they fail closed)")
        self._refused = telemetry.counter("detection_refused_texts", "Texts refused because the detection pool was saturated")
        self._hits = telemetry.counter("detection_cache_hits", "Texts answered from the detection cache")
        self._misses = telemetry.counter("detection_cache_misses", "Texts not in the detection cache")
        self._pending_gauge = telemetry.gauge("detection_pending_texts", "Texts waiting for a detection worker")
        self._batch_sizes = telemetry.histogram("detection_batch_texts", "Texts per micro-batch sent to a worker",
                                                buckets=(1, 4, 16, 64, 256, 1024, 4096))

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    # -- lifecycle ----------------------------------------------------------------
    async def start(self, wait: bool = True) -> None:
        """Spawn the workers; with `wait`, return once one of them has loaded its models, so
        the receivers (started after the processors) never accept data the pool cannot yet
        serve. Idempotent: every pii processor sharing the pool may call it."""
        if not self._started:
            self._launch()
        if wait:
            await self.wait_ready(self.config.start_timeout)

    def _launch(self) -> None:
        self._started = True
        count = self.config.worker_count()
        self._executor = ThreadPoolExecutor(max_workers=count + 1, thread_name_prefix="detection-pool")
        self._workers = [None] * count
        self._tasks = [asyncio.create_task(self._serve(slot), name=f"detection-slot-{slot}") for slot in range(count)]

    async def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until at least one worker has loaded its models (benchmarks, tests, health)."""
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def close(self) -> None:
        """Stop the workers; callers still waiting get DetectionFailed (they fail closed). Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._wakeup.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._fail(list(self._pending), DetectionFailed("detection pool closed"))
        self._pending.clear()
        for call in self._calls:
            _settle(call.future, error=DetectionFailed("detection pool closed"))
        self._calls.clear()
        loop = asyncio.get_running_loop()
        handles = [w for w in self._workers if w is not None]
        await asyncio.gather(*(loop.run_in_executor(None, w.stop, 2.0) for w in handles))
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    # -- the call -------------------------------------------------------------------
    async def detect(self, texts: list[str], ner: list[bool]) -> list[list]:
        """Findings per text (offsets, as the single-process Detector gives them)."""
        if self._closed:
            raise RetryableError("detection pool is closed", retry_after=1.0)
        if not self._started:
            self._launch()
        results: list = [None] * len(texts)
        waits: list[tuple[int, asyncio.Future]] = []
        new_jobs: list[_Job] = []
        local: dict[tuple, _Job] = {}
        for i, (text, flag) in enumerate(zip(texts, ner, strict=True)):
            flag = bool(flag) and self._ner_wanted
            cached = self._cache.get(self._fingerprint, text, flag)
            if cached is not None:
                results[i] = cached
                continue
            key = FindingsCache.key(self._fingerprint, text, flag)
            job = self._inflight.get(key) or local.get(key)
            if job is None:
                job = local[key] = _Job(key, text, flag, asyncio.get_running_loop().create_future())
                new_jobs.append(job)
            waits.append((i, job.future))
        self._hits.inc(len(texts) - len(waits))
        self._misses.inc(len(new_jobs))
        if new_jobs:
            self._admit(new_jobs)
        for i, future in waits:
            results[i] = await asyncio.shield(future)
        return results

    def _admit(self, jobs: list[_Job]) -> None:
        """Queue all of `jobs` or none: over the bound the whole call is refused, retryably,
        unless it could never fit even into an empty queue (permanent: retrying cannot help)."""
        size = sum(len(j.text) for j in jobs)
        if len(jobs) > self.config.max_pending_texts or size > self.config.max_pending_bytes:
            self._refused.inc(len(jobs))
            raise PermanentError(f"request too large for detection: {len(jobs)} texts of {size} bytes, more than "
                                 "max_pending_texts / max_pending_bytes even when idle")
        if (len(self._pending) + len(jobs) > self.config.max_pending_texts
                or self._pending_bytes + size > self.config.max_pending_bytes):
            self._refused.inc(len(jobs))
            raise ResourceExhaustedError("detection pool saturated", retry_after=self._retry_after())
        for job in jobs:
            self._inflight[job.key] = job
            self._pending.append(job)
        self._pending_bytes += size
        self._pending_gauge.set(len(self._pending))
        self._wakeup.set()

    async def run_job(self, handler: Handler, payload: object, size: int) -> object:
        """Run `payload` through `handler` on a worker; `size` (bytes) counts against the bound.
        ResourceExhaustedError if the pool is saturated, DetectionFailed if the job was lost."""
        if self._closed:
            raise RetryableError("detection pool is closed", retry_after=1.0)
        if not self._started:
            self._launch()
        if size > self.config.max_pending_bytes:
            self._refused.inc()
            raise PermanentError(f"request too large for detection: {size} bytes, more than max_pending_bytes")
        if (len(self._pending) + len(self._calls) >= self.config.max_pending_texts
                or self._pending_bytes + size > self.config.max_pending_bytes):
            self._refused.inc()
            raise ResourceExhaustedError("detection pool saturated", retry_after=self._retry_after())
        call = _Call(handler, payload, size, asyncio.get_running_loop().create_future())
        self._calls.append(call)
        self._pending_bytes += size
        self._wakeup.set()
        return await call.future  # cancelled by a caller's timeout: skipped if not yet sent

    def _retry_after(self) -> float:
        """Roughly how long the queue takes to drain, between 0.5 and 5 seconds."""
        if self._rate <= 0:
            return 1.0
        return min(5.0, max(0.5, len(self._pending) / self._rate))

    # -- the workers ----------------------------------------------------------------
    async def _serve(self, slot: int) -> None:
        """One worker slot: (re)start its process, then feed it micro-batches forever."""
        while not self._closed:
            worker = self._workers[slot] or await self._spawn(slot)
            if worker is None:
                await asyncio.sleep(1.0)  # failed to start; try again
                continue
            batch = await self._next_batch()
            if isinstance(batch, _Call):
                await self._run_call(slot, worker, batch)
            elif batch:
                await self._run_batch(slot, worker, batch)

    async def _spawn(self, slot: int) -> WorkerHandle | None:
        loop = asyncio.get_running_loop()
        context = multiprocessing.get_context("spawn")
        worker = WorkerHandle(context, self._config_json, name=f"scrubber-detection-{slot}")
        try:
            await loop.run_in_executor(self._executor, worker.wait_ready, self.config.start_timeout)
        except WorkerFailed as exc:
            log.error("detection worker %d failed to start: %s", slot, exc)
            await loop.run_in_executor(None, worker.kill)
            return None
        except BaseException:
            worker.kill()
            raise
        self._workers[slot] = worker
        self._ready.set()
        return worker

    async def _next_batch(self) -> list[_Job] | _Call:
        while True:
            call = self._next_call()  # whole requests first: their callers wait for nothing else
            if call is not None:
                return call
            if self._pending:
                break
            self._wakeup.clear()
            await self._wakeup.wait()
            if self._closed:
                return []
        if len(self._pending) < self.config.max_batch_texts and self.config.max_wait > 0:
            await asyncio.sleep(self.config.max_wait)
        # share what is queued among the workers: one request's texts in one batch on one
        # worker would leave the other cores idle and double the latency at low load
        limit = min(self.config.max_batch_texts, -(-len(self._pending) // max(1, len(self._workers))))
        batch = []
        while self._pending and len(batch) < limit:
            batch.append(self._pending.popleft())
        self._pending_bytes -= sum(len(j.text) for j in batch)
        self._pending_gauge.set(len(self._pending))
        return batch

    def _next_call(self) -> _Call | None:
        while self._calls:
            call = self._calls.popleft()
            self._pending_bytes -= call.size
            if not call.future.done():  # a caller that timed out cancelled it
                return call
        return None

    async def _run_call(self, slot: int, worker: WorkerHandle, call: _Call) -> None:
        loop = asyncio.get_running_loop()
        began = loop.time()
        try:
            answer = await loop.run_in_executor(self._executor, worker.call, call.handler, call.payload,
                                                self.config.timeout)
        except BatchError as exc:
            self._failed_jobs.inc()
            _settle(call.future, error=DetectionFailed(str(exc)))
            return
        except (WorkerFailed, asyncio.CancelledError) as exc:
            await self._lose_worker(slot, worker, exc)
            self._failed_jobs.inc()
            _settle(call.future, error=DetectionFailed(f"detection worker lost: {type(exc).__name__}"))
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        self._observe_rate(1, loop.time() - began)
        _settle(call.future, answer)
        await self._retire_if_large(slot, worker)

    async def _lose_worker(self, slot: int, worker: WorkerHandle, exc: BaseException) -> None:
        """Kill and forget a crashed or hung worker (its slot spawns a new one)."""
        self._workers[slot] = None
        await asyncio.get_running_loop().run_in_executor(None, worker.kill)
        if isinstance(exc, asyncio.CancelledError):
            return  # the pool is closing: no replacement
        self._restarts.inc()
        log.warning("detection worker %d replaced: %s", slot, exc)

    async def _run_batch(self, slot: int, worker: WorkerHandle, batch: list[_Job]) -> None:
        loop = asyncio.get_running_loop()
        texts, flags = [j.text for j in batch], [j.ner for j in batch]
        self._batch_sizes.observe(len(batch))
        began = loop.time()
        try:
            findings = await loop.run_in_executor(self._executor, worker.roundtrip, texts, flags, self.config.timeout)
        except BatchError as exc:
            self._fail(batch, DetectionFailed(str(exc)))
            return
        except (WorkerFailed, asyncio.CancelledError) as exc:
            await self._lose_worker(slot, worker, exc)
            self._fail(batch, DetectionFailed(f"detection worker lost: {type(exc).__name__}"))
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        self._observe_rate(len(batch), loop.time() - began)
        for job, found in zip(batch, findings, strict=True):
            self._cache.put(self._fingerprint, job.text, job.ner, found)
            self._inflight.pop(job.key, None)
            if not job.future.done():
                job.future.set_result(found)
        await self._retire_if_large(slot, worker)

    async def _retire_if_large(self, slot: int, worker: WorkerHandle) -> None:
        """Replace a worker that grew past `max_worker_memory_mib` (between batches: nothing is lost)."""
        limit = self.config.max_worker_memory_mib
        if not limit or worker.pid is None:
            return
        try:
            rss = psutil.Process(worker.pid).memory_info().rss
        except psutil.Error:
            return
        if rss > limit * 1024 * 1024:
            await self._lose_worker(slot, worker, MemoryError(f"resident memory {rss >> 20} MiB above "
                                                              f"max_worker_memory_mib ({limit})"))

    def _observe_rate(self, texts: int, seconds: float) -> None:
        rate = texts / max(seconds, 1e-6) * max(1, len(self._workers))
        self._rate = rate if self._rate == 0 else 0.8 * self._rate + 0.2 * rate

    def _fail(self, jobs: list[_Job], error: Exception) -> None:
        self._failed.inc(len(jobs))
        for job in jobs:
            self._inflight.pop(job.key, None)
            if not job.future.done():
                job.future.set_exception(error)
                job.future.exception()  # mark retrieved: a caller may have gone away

    # -- introspection (tests, benchmarks) --------------------------------------------
    @property
    def pending(self) -> int:
        return len(self._pending) + len(self._calls)

    def worker_pids(self) -> list[int]:
        return [w.pid for w in self._workers if w is not None and w.pid is not None]


def _settle(future: asyncio.Future, result: object = None, error: Exception | None = None) -> None:
    """Resolve `future` unless its caller already gave up on it."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
        future.exception()  # mark retrieved: the caller may have gone away
    else:
        future.set_result(result)
