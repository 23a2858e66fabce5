"""The `batch` processor: merges requests that arrive together, without holding callers.

The Collector's batch processor answers a client at once and sends the batch later, so
data a full exporter queue then refuses is lost although the client was told it arrived.
Holding every caller until its batch is flushed (this processor's first design) keeps
that promise but makes `timeout: 10s` block each export call for 10 s: SDKs time out,
retry and duplicate. Here neither happens:

- a request that finds the processor idle goes downstream at once;
- requests that arrive while earlier batches are still being handed downstream gather
  into the next batch (group commit), which leaves when a delivery slot frees up,
  `send_batch_size` items have gathered, or `timeout` passed, whichever is first.

So a caller waits only for downstream to accept (an exporter's sending queue accepts in
microseconds, or on disk), never for a batch timer, and its answer is downstream's: the
batching after acknowledgement that the Collector now recommends is the exporter's
`sending_queue.batch`. When downstream refuses a merged batch permanently, the requests
are sent again one by one, so a poison request fails alone. This shape (many calls in,
one call out, callers held) is why batch is not built on `scrubber.processorhelper`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from scrubber.component import Host, Settings
from scrubber.consumer import Consumer
from scrubber.errors import PermanentError
from scrubber.pdata import Request, Signal, item_count, merge, resource_groups
from scrubber.processors.batch.config import BatchConfig
from scrubber.service.telemetry import SIZE_BUCKETS

#: batches handed downstream at once; beyond it new requests gather into the next batch
MAX_IN_FLIGHT = 4


@dataclass(eq=False)
class _Waiting:
    request: Request
    items: int
    done: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class _Batch:
    def __init__(self) -> None:
        self.waiting: list[_Waiting] = []
        self.items = 0
        self.timer: asyncio.TimerHandle | None = None


class BatchProcessor:
    mutates_data = False  # merging copies the resource groups; inputs are untouched

    def __init__(self, settings: Settings, config: BatchConfig, signal: Signal, next_consumer: Consumer):
        self.config = config
        self.signal = signal
        self.next = next_consumer
        self.log: logging.Logger = settings.logger
        self._batch: _Batch | None = None
        self._in_flight: set[asyncio.Task] = set()
        self._closed = False
        self._labels = {"processor": str(settings.id), "pipeline": settings.pipeline}
        telemetry = settings.telemetry
        self._sizes = telemetry.histogram("processor_batch_batch_send_size", "Items in each batch sent.",
                                          ["processor", "pipeline"], buckets=SIZE_BUCKETS).labels(**self._labels)
        self._triggers = telemetry.counter("processor_batch_trigger_send", "Batches sent, by what sent them "
                                           "(idle, size, slot, timeout, shutdown).", ["processor", "pipeline", "trigger"])

    async def start(self, host: Host) -> None:
        return None

    async def consume(self, signal: Signal, request: Request) -> None:
        if self._closed:
            await self.next.consume(signal, request)
            return
        waiting = _Waiting(request, item_count(request))
        batch = self._batch or self._open()
        batch.waiting.append(waiting)
        batch.items += waiting.items
        if len(self._in_flight) < MAX_IN_FLIGHT:
            self._send("idle")
        elif batch.items >= self.config.send_batch_size:
            self._send("size")
        await asyncio.shield(waiting.done)

    def _open(self) -> _Batch:
        batch = self._batch = _Batch()
        batch.timer = asyncio.get_running_loop().call_later(self.config.timeout, self._send, "timeout")
        return batch

    def _send(self, trigger: str) -> None:
        batch, self._batch = self._batch, None
        if batch is None:
            return
        if batch.timer is not None:
            batch.timer.cancel()
        self._sizes.observe(batch.items)
        self._triggers.labels(trigger=trigger, **self._labels).inc()
        task = asyncio.get_running_loop().create_task(self._deliver(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._delivered)

    def _delivered(self, task: asyncio.Task) -> None:
        self._in_flight.discard(task)
        if self._batch is not None and not self._closed:
            self._send("slot")  # what gathered meanwhile leaves now, not at its timer

    async def _deliver(self, batch: _Batch) -> None:
        """Send the batch in chunks of whole requests; each chunk succeeds or fails on its own,
        so a refused chunk never makes a delivered one be sent again."""
        for chunk in self._plan(batch.waiting):
            try:
                for request in self._requests(chunk):
                    await self.next.consume(self.signal, request)
            except PermanentError as exc:
                if len(chunk) == 1:
                    _settle(chunk, exc)
                else:
                    await self._one_by_one(chunk)
            except Exception as exc:
                _settle(chunk, exc)
            else:
                _settle(chunk, None)

    async def _one_by_one(self, waiting: list[_Waiting]) -> None:
        """A merged chunk was refused permanently: send each request alone so that one bad
        request does not fail the others (each caller gets its own answer)."""
        self.log.info("batch %s: merged batch of %d requests refused permanently; sending them one by one",
                      self._labels["processor"], len(waiting))
        for one in waiting:
            try:
                for request in self._requests([one]):
                    await self.next.consume(self.signal, request)
            except Exception as exc:
                _settle([one], exc)
            else:
                _settle([one], None)

    def _plan(self, waiting: list[_Waiting]) -> list[list[_Waiting]]:
        """Whole requests per chunk, at most send_batch_max_size items where requests allow
        (a request larger than the bound is a chunk of its own)."""
        limit = self.config.send_batch_max_size
        if not limit:
            return [waiting]
        chunks: list[list[_Waiting]] = []
        current: list[_Waiting] = []
        count = 0
        for one in waiting:
            if current and count + one.items > limit:
                chunks.append(current)
                current, count = [], 0
            current.append(one)
            count += one.items
        if current:
            chunks.append(current)
        return chunks

    def _requests(self, chunk: list[_Waiting]):
        """What is sent for a chunk: the request itself, the requests merged, or a request
        above send_batch_max_size split at resource-group granularity."""
        limit = self.config.send_batch_max_size
        if len(chunk) > 1:
            yield merge(self.signal, [one.request for one in chunk])
            return
        request = chunk[0].request
        if not limit or chunk[0].items <= limit:
            yield request
            return
        current: list[Request] = []
        count = 0
        for group in resource_groups(request):
            single = self.signal.new_request()
            resource_groups(single).append(group)
            size = item_count(single)
            if current and count + size > limit:
                yield merge(self.signal, current)
                current, count = [], 0
            current.append(single)
            count += size
        if current:
            yield merge(self.signal, current)

    async def shutdown(self, timeout: float) -> None:
        """Send what is gathered and wait for it (within `timeout`)."""
        self._closed = True
        self._send("shutdown")
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=timeout)


def _settle(waiting: list[_Waiting], error: BaseException | None) -> None:
    for one in waiting:
        if one.done.done():
            continue
        if error is None:
            one.done.set_result(None)
        else:
            one.done.set_exception(error)
            one.done.exception()  # mark retrieved: the waiter re-raises it
