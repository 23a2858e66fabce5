"""`WorkerPool`: jobs of registered handlers on spawned worker processes, bounded and supervised.

The path of every job, whatever its handler (a text to detect, a whole request to scrub):

1. admission, one rule for all: a call's items are queued all or none; over
   `max_pending_texts` items or `max_pending_bytes` bytes it is refused with
   `ResourceExhaustedError` (the receiver answers RESOURCE_EXHAUSTED / 429 with a
   back-off hint), or with `PermanentError` if it could never fit even an idle pool;
2. one queue, oldest first; a worker that becomes idle takes the oldest item and, for a
   `batch` handler, more items of that handler (after `max_wait`, up to `max_batch_texts`,
   the queue shared fairly among the workers) in one message;
3. one run path: a worker that dies or exceeds `timeout` is SIGKILLed and replaced, and
   every item it held fails with `JobFailed` (callers fail closed); a handler that raises
   fails its items by exception type only; a worker above `max_worker_memory_mib` after a
   message is replaced without losing anything.

Handlers are registered by the components that use the pool (`register`); every worker
builds each registered handler before it runs its jobs, under `start_timeout`, so model
loading never counts against the job timeout. Counters keep their historical names
(`detection_worker_restarts`, `detection_failed_texts` for batch items,
`detection_failed_jobs` for the others, `detection_refused_texts`, ...).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Sequence

import psutil

from scrubber.errors import JobError, JobFailed, PermanentError, ResourceExhaustedError, RetryableError, WorkerFailed
from scrubber.extensions.worker_pool.config import WorkerPoolConfig
from scrubber.extensions.worker_pool.worker import Handler, WorkerHandle
from scrubber.service.telemetry import Telemetry

log = logging.getLogger("scrubber.worker_pool")

#: a worker is replaced to relieve memory only if it grew at least this much since it settled
#: (a fresh one would not hold less: replacing it would only cost a model load)
RELIEF_GROWTH = 64 * 1024 * 1024


@dataclass(eq=False)
class _Item:
    """One queued job; `future` is what its caller awaits."""

    handler: Handler
    payload: object = field(repr=False)
    size: int
    seq: int
    future: asyncio.Future = field(repr=False)


class WorkerPool:
    def __init__(self, config: WorkerPoolConfig | dict | None = None, telemetry: Telemetry | None = None,
                 name: str = "worker-pool"):
        self.config = config if isinstance(config, WorkerPoolConfig) else WorkerPoolConfig.model_validate(config or {})
        self.name = name
        self._handlers: dict[str, Handler] = {}
        self._built: dict[str, asyncio.Event] = {}  # handler id -> set once any worker built it
        self._broken: dict[str, str] = {}  # handler id -> why its factory raised (by type)
        self._lanes: dict[str, deque[_Item]] = {}  # handler id -> its queued items, oldest first
        self._seq = itertools.count()
        self._pending_count = self._pending_bytes = 0
        self._wakeup = asyncio.Event()
        self._ready = asyncio.Event()
        self._workers: list[WorkerHandle | None] = []
        self._tasks: list[asyncio.Task] = []
        self._executor: ThreadPoolExecutor | None = None
        self._started = self._closed = False
        self._rate = 0.0  # items/s through the workers, smoothed: sizes the retry_after hint
        self._relieve: WorkerHandle | None = None  # the worker to replace to relieve memory
        self._metrics(telemetry or Telemetry())

    def _metrics(self, telemetry: Telemetry) -> None:
        self._restarts = telemetry.counter("detection_worker_restarts", "Pool workers replaced after a crash or hang")
        self._failed = {
            True: telemetry.counter("detection_failed_texts", "Texts whose detection failed (their fields are redacted)"),
            False: telemetry.counter("detection_failed_jobs",
                                     "Jobs (whole requests) lost to a worker crash, hang or error (they fail closed)")}
        self._refused = telemetry.counter("detection_refused_texts", "Items refused because the worker pool was saturated")
        self._pending_gauge = telemetry.gauge("detection_pending_texts", "Items waiting for a pool worker")
        self._batch_sizes = telemetry.histogram("detection_batch_texts", "Texts per micro-batch sent to a worker",
                                                buckets=(1, 4, 16, 64, 256, 1024, 4096))

    # -- handlers and lifecycle -----------------------------------------------------
    def register(self, handler: Handler) -> None:
        """Make `handler` runnable; every worker (current and future) builds it before its jobs.
        Idempotent by handler id; JobFailed for a handler whose factory raised in a worker."""
        if handler.id in self._broken:
            raise JobFailed(f"handler {handler.id} cannot be built: {self._broken[handler.id]}")
        if handler.id not in self._handlers:
            self._handlers[handler.id] = handler
            self._built.setdefault(handler.id, asyncio.Event())
            self._wakeup.set()  # idle workers build it now, not on its first job

    async def start(self, wait: bool = False) -> None:
        """Spawn the workers (idempotent); with `wait`, until one of them built every handler."""
        if not self._started and not self._closed:
            self._launch()
        if wait:
            await self.wait_ready(self.config.start_timeout)

    async def wait_ready(self, timeout: float | None = None, handler: Handler | None = None) -> None:
        """Until a worker can serve: has built `handler` (registered now if it was not), or without
        one, has built every handler registered when it started."""
        if handler is not None:
            self.register(handler)
        event = self._built[handler.id] if handler is not None else self._ready
        await asyncio.wait_for(event.wait(), timeout)
        if handler is not None:
            self.register(handler)  # raises if it turned out broken

    def _launch(self) -> None:
        self._started = True
        count = self.config.worker_count()
        self._executor = ThreadPoolExecutor(max_workers=count + 1, thread_name_prefix=self.name)
        self._workers = [None] * count
        self._tasks = [asyncio.create_task(self._serve(slot), name=f"{self.name}-slot-{slot}") for slot in range(count)]

    async def close(self) -> None:
        """Stop the workers; callers still waiting get JobFailed (they fail closed). Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._wakeup.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for lane in self._lanes.values():
            if lane:
                self._fail(lane[0].handler, list(lane), JobFailed("worker pool closed"))
            lane.clear()
        self._pending_count = self._pending_bytes = 0
        loop = asyncio.get_running_loop()
        handles = [w for w in self._workers if w is not None]
        await asyncio.gather(*(loop.run_in_executor(None, w.stop, 2.0) for w in handles))
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)

    # -- calls ------------------------------------------------------------------------
    def submit(self, handler: Handler, payloads: Sequence[object], sizes: Sequence[int]) -> list[asyncio.Future]:
        """Queue one job per payload, all or none (see the module docstring); a future per job."""
        if self._closed:
            raise RetryableError("worker pool is closed", retry_after=1.0)
        if not self._started:
            self._launch()
        self.register(handler)
        self._admit(len(payloads), sum(sizes))
        loop = asyncio.get_running_loop()
        lane = self._lanes.setdefault(handler.id, deque())
        items = [_Item(handler, p, s, next(self._seq), loop.create_future()) for p, s in zip(payloads, sizes, strict=True)]
        lane.extend(items)
        self._pending_count += len(items)
        self._pending_bytes += sum(sizes)
        self._pending_gauge.set(self._pending_count)
        self._wakeup.set()
        return [item.future for item in items]

    async def run_job(self, handler: Handler, payload: object, size: int) -> object:
        """Run `payload` through `handler` on a worker; `size` (bytes) counts against the bound.
        A caller that gives up (timeout) cancels it: skipped if not yet sent."""
        (future,) = self.submit(handler, [payload], [size])
        return await future

    def _admit(self, count: int, size: int) -> None:
        if count > self.config.max_pending_texts or size > self.config.max_pending_bytes:
            self._refused.inc(count)
            raise PermanentError(f"request too large for the worker pool: {count} items of {size} bytes, more than "
                                 "max_pending_texts / max_pending_bytes even when idle")
        if (self._pending_count + count > self.config.max_pending_texts
                or self._pending_bytes + size > self.config.max_pending_bytes):
            self._refused.inc(count)
            raise ResourceExhaustedError("worker pool saturated", retry_after=self._retry_after())

    def _retry_after(self) -> float:
        """Roughly how long the queue takes to drain, between 0.5 and 5 seconds."""
        if self._rate <= 0:
            return 1.0
        return min(5.0, max(0.5, self._pending_count / self._rate))

    # -- the workers ----------------------------------------------------------------
    async def _serve(self, slot: int) -> None:
        """One worker slot: (re)start its process, build the handlers, then feed it forever."""
        while not self._closed:
            worker = self._workers[slot] or await self._spawn(slot)
            if worker is None or not await self._build_handlers(slot, worker):
                await asyncio.sleep(1.0)  # failed to start; try again
                continue
            if self._relieve is worker:  # between messages: nothing it holds is lost
                self._relieve = None
                await self._lose_worker(slot, worker, MemoryError("replaced to relieve memory above the soft limit"))
                continue
            work = await self._next_work()
            if work is None:
                continue
            if work[0].id not in worker.built and not await self._build_handlers(slot, worker):
                self._fail(*work, JobFailed("worker lost while building a handler"))
                continue
            if work[0].id not in worker.built:  # its factory raised
                self._fail(*work, JobFailed(f"handler {work[0].id} cannot be built"))
                continue
            await self._run(slot, worker, *work)

    async def _spawn(self, slot: int) -> WorkerHandle | None:
        """A new worker process with every registered handler built, or None if it failed."""
        loop = asyncio.get_running_loop()
        worker = WorkerHandle(multiprocessing.get_context("spawn"), name=f"scrubber-{self.name}-{slot}")
        try:
            await loop.run_in_executor(self._executor, worker.wait_ready, self.config.start_timeout)
        except WorkerFailed as exc:
            log.error("%s worker %d failed to start: %s", self.name, slot, exc)
            await loop.run_in_executor(None, worker.kill)
            return None
        except BaseException:
            worker.kill()
            raise
        if not await self._build_handlers(slot, worker):
            return None
        self._workers[slot] = worker  # only now: worker_pids() lists workers that can serve
        return worker

    async def _build_handlers(self, slot: int, worker: WorkerHandle) -> bool:
        """Build in `worker` every registered handler it lacks; False if the worker died or hung
        doing so (it is gone). A handler whose factory raises is given up, not the worker."""
        loop = asyncio.get_running_loop()
        lacking = [h for h in self._handlers.values() if h.id not in worker.built]
        for handler in lacking:
            try:
                await loop.run_in_executor(self._executor, worker.build, handler, self.config.start_timeout)
            except JobError as exc:
                self._give_up(handler, exc)
                continue
            except WorkerFailed as exc:
                log.error("%s worker %d could not build handler %s: %s", self.name, slot, handler.id, exc)
                self._workers[slot] = None
                await loop.run_in_executor(None, worker.kill)
                return False
            except BaseException:
                worker.kill()
                raise
            self._built[handler.id].set()
        if lacking or worker.settled_rss is None:
            self._settle_rss(worker)
        self._ready.set()
        return True

    @staticmethod
    def _settle_rss(worker: WorkerHandle) -> None:
        """Note what `worker` holds with its handlers built (`relieve_memory` measures growth from it)."""
        try:
            worker.settled_rss = worker.rss()
        except psutil.Error:
            pass

    def _give_up(self, handler: Handler, exc: JobError) -> None:
        """A handler whose factory raised would raise in every worker: its jobs fail closed from
        now on, and the workers keep serving the other handlers."""
        log.error("%s: handler %s cannot be built (%s); its jobs fail closed", self.name, handler.id, exc)
        self._broken[handler.id] = str(exc)
        del self._handlers[handler.id]
        lane = self._lanes.pop(handler.id, deque())
        self._pending_count -= len(lane)
        self._pending_bytes -= sum(item.size for item in lane)
        self._fail(handler, list(lane), JobFailed(f"handler {handler.id} cannot be built"))
        self._built[handler.id].set()  # waiters wake and see it broken

    async def _next_work(self) -> tuple[Handler, list[_Item]] | None:
        """The oldest item's handler and the items to send with it; None if woken without work."""
        lane = self._oldest_lane()
        if lane is None:
            self._wakeup.clear()
            await self._wakeup.wait()
            return None
        handler = lane[0].handler
        if handler.batch and len(lane) < self.config.max_batch_texts and self.config.max_wait > 0:
            await asyncio.sleep(self.config.max_wait)
        # share what is queued among the workers: one request's texts in one batch on one
        # worker would leave the other cores idle and double the latency at low load; but no
        # share smaller than min_batch_bytes, whose fixed cost per call would outweigh the gain
        if handler.batch:
            most, least = self.config.max_batch_texts, self.config.min_batch_bytes
            limit = min(most, -(-len(lane) // max(1, len(self._workers))))
        else:
            most = limit = 1
            least = 0
        items: list[_Item] = []
        size = 0
        while lane and len(items) < most and (len(items) < limit or size < least):
            item = lane.popleft()
            self._pending_count -= 1
            self._pending_bytes -= item.size
            if not item.future.done():  # a caller that timed out cancelled it
                items.append(item)
                size += item.size
        self._pending_gauge.set(self._pending_count)
        return (handler, items) if items else None

    def _oldest_lane(self) -> deque[_Item] | None:
        lanes = [lane for lane in self._lanes.values() if lane]
        return min(lanes, key=lambda lane: lane[0].seq) if lanes else None

    async def _run(self, slot: int, worker: WorkerHandle, handler: Handler, items: list[_Item]) -> None:
        """The one run path: send `items`, settle their futures, supervise the worker."""
        loop = asyncio.get_running_loop()
        if handler.batch:
            self._batch_sizes.observe(len(items))
        began = loop.time()
        try:
            answers = await worker.run_on_loop(handler, [i.payload for i in items], self.config.timeout, self._executor)
        except JobError as exc:
            self._fail(handler, items, JobFailed(str(exc)))
            return
        except (WorkerFailed, asyncio.CancelledError) as exc:
            await self._lose_worker(slot, worker, exc)
            self._fail(handler, items, JobFailed(f"worker lost: {type(exc).__name__}"))
            if isinstance(exc, asyncio.CancelledError):
                raise
            return
        self._observe_rate(len(items), loop.time() - began)
        for item, answer in zip(items, answers, strict=True):
            _settle(item.future, answer)
        await self._retire_if_large(slot, worker)

    async def _lose_worker(self, slot: int, worker: WorkerHandle, exc: BaseException) -> None:
        """Kill and forget a crashed or hung worker (its slot spawns a new one)."""
        self._workers[slot] = None
        await asyncio.get_running_loop().run_in_executor(None, worker.kill)
        if isinstance(exc, asyncio.CancelledError):
            return  # the pool is closing: no replacement
        self._restarts.inc()
        log.warning("%s worker %d replaced: %s", self.name, slot, exc)

    async def _retire_if_large(self, slot: int, worker: WorkerHandle) -> None:
        """Replace a worker that grew past `max_worker_memory_mib` (between messages: nothing is lost)."""
        limit = self.config.max_worker_memory_mib
        if not limit or worker.pid is None:
            return
        try:
            rss = worker.rss()
        except psutil.Error:
            return
        if rss > limit * 1024 * 1024:
            await self._lose_worker(slot, worker, MemoryError(f"resident memory {rss >> 20} MiB above "
                                                              f"max_worker_memory_mib ({limit})"))

    def relieve_memory(self) -> bool:
        """A memory reliever (`scrubber.heap.RELIEVERS`): mark the worker that grew most since it
        settled, by at least `RELIEF_GROWTH`, to be replaced between two messages (its slot
        spawns a fresh one; the other workers serve meanwhile). True if one was marked."""
        if self._closed or (self._relieve is not None and self._relieve in self._workers):
            return not self._closed  # one is on its way out already
        grown: list[tuple[int, int, WorkerHandle]] = []
        for slot, worker in enumerate(self._workers):
            if worker is None or worker.settled_rss is None:
                continue
            try:
                growth = worker.rss() - worker.settled_rss
            except psutil.Error:
                continue
            if growth >= RELIEF_GROWTH:
                grown.append((growth, slot, worker))
        if not grown:
            return False
        growth, slot, self._relieve = max(grown, key=lambda g: g[0])
        log.warning("%s: memory above the soft limit; replacing worker %d, grown %d MiB since it started",
                    self.name, slot, growth >> 20)
        self._wakeup.set()  # an idle worker is replaced now, not after its next message
        return True

    def _observe_rate(self, count: int, seconds: float) -> None:
        rate = count / max(seconds, 1e-6) * max(1, len(self._workers))
        self._rate = rate if self._rate == 0 else 0.8 * self._rate + 0.2 * rate

    def _fail(self, handler: Handler, items: list[_Item], error: Exception) -> None:
        self._failed[handler.batch].inc(len(items))
        for item in items:
            _settle(item.future, error=error)

    # -- introspection (tests, benchmarks, health) ---------------------------------------
    @property
    def pending(self) -> int:
        return self._pending_count

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
