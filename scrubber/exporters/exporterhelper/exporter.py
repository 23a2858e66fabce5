"""`QueuedExporter`: queue + retry + own metrics around a protocol client.

The otlp and otlphttp exporters differ only in their `Client` (how one request
is sent and how failures are classified); everything else lives here once, for
every signal. `consume` returning means the request is queued; a full queue
raises `RetryableError` so the receiver answers UNAVAILABLE / 503.
"""

from __future__ import annotations

import asyncio
import os
import re
from typing import Protocol

from scrubber.component import Host, Settings
from scrubber.errors import PermanentError, RetryableError
from scrubber.exporters.exporterhelper import metrics
from scrubber.exporters.exporterhelper.config import SenderConfig
from scrubber.exporters.exporterhelper.metrics import ExporterMetrics
from scrubber.exporters.exporterhelper.queue import FileStorage, QueueItem, SendingQueue
from scrubber.exporters.exporterhelper.retry import SendFailed, send_with_retry
from scrubber.pdata import Request, Signal, item_count


class Client(Protocol):
    async def start(self) -> None: ...

    async def send(self, signal: Signal, request: Request, timeout: float) -> int:
        """Send once. Return the number of items the backend rejected (partial success);
        raise PermanentError or RetryableError (with `retry_after` if the backend said)."""

    async def close(self) -> None: ...


class QueuedExporter:
    mutates_data = False

    def __init__(self, settings: Settings, config: SenderConfig, client: Client):
        self.settings = settings
        self.config = config
        self.client = client
        self.logger = settings.logger
        self.metrics = ExporterMetrics(settings.telemetry, str(settings.id))
        self._stopping = asyncio.Event()
        self._started = False
        self._shut_down = False
        self.queue: SendingQueue | None = None
        queue_config = config.sending_queue
        if queue_config.enabled:
            storage = _storage(queue_config.storage, str(settings.id))
            self.queue = SendingQueue(queue_config.queue_size, queue_config.num_consumers, self._handle,
                                      on_size=self.metrics.queue_size, storage=storage)
            self.metrics.queue_capacity(queue_config.queue_size)

    async def start(self, host: Host | None = None) -> None:
        if self._started or self._shut_down:
            return
        self._started = True
        await self.client.start()
        if self.queue is not None:
            self.queue.start()

    async def consume(self, signal: Signal, request: Request) -> None:
        if self._stopping.is_set():
            raise RetryableError(f"exporter {self.settings.id} is shutting down")
        count = item_count(request)
        item = QueueItem(signal, request, count)
        if self.queue is None:
            await self._send(item, raise_errors=True)
            return
        if not self._started:
            await self.start()
        if not self.queue.offer(item):
            self.metrics.enqueue_failed(signal, count)
            self.metrics.failed(signal, count, metrics.QUEUE_FULL)
            raise RetryableError(f"sending queue of exporter {self.settings.id} is full")

    async def _handle(self, item: QueueItem) -> bool:
        return await self._send(item, raise_errors=False)

    async def _send(self, item: QueueItem, raise_errors: bool) -> bool:
        async def once() -> int:
            return await self.client.send(item.signal, item.request, self.config.timeout)

        try:
            rejected = await send_with_retry(once, self.config.retry_on_failure, self._stopping, self.logger)
        except SendFailed as failure:
            return self._failed(item, failure, raise_errors)
        except Exception as exc:  # noqa: BLE001 - a client bug must not kill the queue
            self.logger.exception("exporter %s: unexpected error sending %s", self.settings.id, item.signal)
            return self._failed(item, SendFailed(metrics.PERMANENT, exc), raise_errors)
        self.metrics.sent(item.signal, item.count - rejected)
        if rejected:
            self.metrics.failed(item.signal, rejected, metrics.PARTIAL_SUCCESS)
            self.logger.warning("exporter %s: backend rejected %d of %d %s (partial success)",
                                self.settings.id, rejected, item.count, item.signal.item_name)
        return True

    def _failed(self, item: QueueItem, failure: SendFailed, raise_errors: bool) -> bool:
        if failure.reason == metrics.SHUTDOWN and item.key is not None:
            return False  # stays in persistent storage for the next start
        self.metrics.failed(item.signal, item.count, failure.reason)
        self.logger.warning("exporter %s: dropped %d %s (%s): %s", self.settings.id, item.count,
                            item.signal.item_name, failure.reason, _short(failure.cause))
        if raise_errors:
            error = failure.cause
            if failure.reason == metrics.PERMANENT:
                raise PermanentError(str(error)) from error
            raise RetryableError(str(error)) from error
        return True

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Stop accepting, stop retrying, drain the queue within `timeout`, drop (and count)
        what is left, or keep it on disk when the queue is persistent."""
        if self._shut_down:
            return
        self._shut_down = True
        self._stopping.set()
        if self.queue is not None:
            left = await self.queue.drain(timeout)
            self._count_left(left)
        await self.client.close()

    def _count_left(self, left: list[QueueItem]) -> None:
        kept = [item for item in left if item.key is not None]
        for item in left:
            if item.key is None:
                self.metrics.failed(item.signal, item.count, metrics.SHUTDOWN)
        if len(kept) < len(left):
            self.logger.warning("exporter %s: dropped %d queued requests at shutdown", self.settings.id, len(left) - len(kept))
        if kept:
            self.logger.info("exporter %s: kept %d queued requests on disk for the next start", self.settings.id, len(kept))


def _storage(directory: str | None, exporter_id: str) -> FileStorage | None:
    if not directory:
        return None
    return FileStorage(os.path.join(directory, re.sub(r"[^A-Za-z0-9_.-]", "_", exporter_id)))


def _short(error: BaseException) -> str:
    """An error for a log line: its type and the first 200 characters (never a payload)."""
    return f"{type(error).__name__}: {str(error)[:200]}"
