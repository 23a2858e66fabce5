"""The `batch` processor: merges requests into batches by size and time.

Unlike the Collector's fire-and-forget batch processor, `consume` returns only
when the batch holding the request has been accepted downstream, and raises
what downstream raised. A client is thus never told "accepted" for data that a
full exporter queue later refused: nothing acknowledged is lost, and
backpressure reaches the receiver.
"""

from __future__ import annotations

import asyncio
import logging

from scrubber.component import Host, Settings
from scrubber.consumer import Consumer
from scrubber.pdata import Request, Signal, item_count, merge, resource_groups

from processors.batch.config import BatchConfig


class _Batch:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.items = 0
        self.done: asyncio.Future = asyncio.get_running_loop().create_future()
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
        labels = {"processor": str(settings.id), "pipeline": settings.pipeline}
        self._sent = settings.telemetry.counter(
            "processor_batch_batch_send_size", "Items in each batch sent", ["processor", "pipeline", "trigger"]
        )
        self._labels = labels

    async def start(self, host: Host) -> None:
        return None

    async def consume(self, signal: Signal, request: Request) -> None:
        if self._closed:
            await self.next.consume(signal, request)
            return
        batch = self._batch or self._open()
        batch.requests.append(request)
        batch.items += item_count(request)
        if batch.items >= self.config.send_batch_size:
            self._send("size")
        await asyncio.shield(batch.done)

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
        self._sent.labels(trigger=trigger, **self._labels).inc(batch.items)
        task = asyncio.get_running_loop().create_task(self._deliver(batch))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _deliver(self, batch: _Batch) -> None:
        try:
            for chunk in self._chunks(batch.requests):
                await self.next.consume(self.signal, chunk)
        except Exception as exc:
            batch.done.set_exception(exc)
            batch.done.exception()  # mark retrieved: every waiter re-raises it
        else:
            batch.done.set_result(None)

    def _chunks(self, requests: list[Request]):
        """Merged requests, each at most send_batch_max_size items where resource groups allow."""
        limit = self.config.send_batch_max_size
        if not limit:
            yield merge(self.signal, requests)
            return
        current, count = [], 0
        for request in requests:
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
        """Send what is buffered and wait for it (within `timeout`)."""
        self._closed = True
        self._send("shutdown")
        if self._in_flight:
            await asyncio.wait(self._in_flight, timeout=timeout)
