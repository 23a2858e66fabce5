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

from scrubber.component import ComponentID, Host, Settings
from scrubber.errors import ConfigError, PermanentError, RetryableError
from scrubber.exporters.exporterhelper import metrics
from scrubber.exporters.exporterhelper.config import SenderConfig
from scrubber.exporters.exporterhelper.metrics import ExporterMetrics
from scrubber.exporters.exporterhelper.queue import BatchSettings, FileStorage, QueueItem, SendingQueue
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
        if queue_config.enabled and not queue_config.storage_extension():
            self.queue = self._make_queue(_storage(queue_config.storage, str(settings.id)))

    def _make_queue(self, storage: FileStorage | None) -> SendingQueue:
        queue_config = self.config.sending_queue
        batch = queue_config.batch
        settings = None if batch is None else BatchSettings(batch.flush_timeout, batch.min_size, batch.max_size)
        self.metrics.queue_capacity(queue_config.queue_size)
        return SendingQueue(queue_config.queue_size, queue_config.num_consumers, self._handle,
                            on_size=self.metrics.queue_size, storage=storage, batch=settings, sizer=queue_config.sizer,
                            on_batch=self.metrics.batch_sent)

    async def start(self, host: Host | None = None) -> None:
        if self._started or self._shut_down:
            return
        reference = self.config.sending_queue.storage_extension() if self.config.sending_queue.enabled else None
        if reference and self.queue is None:
            self.queue = self._make_queue(_extension_storage(host, reference, self.settings))
        self._started = True
        await self.client.start()
        if self.queue is not None:
            self.queue.start()

    async def consume(self, signal: Signal, request: Request) -> None:
        if self._stopping.is_set():
            raise RetryableError(f"exporter {self.settings.id} is shutting down")
        count = item_count(request)
        item = QueueItem(signal, request, count)
        if self.queue is None and not self.config.sending_queue.enabled:
            await self._send(item, raise_errors=True)
            return
        if not self._started:
            await self.start()
        if self.queue is None:  # a storage extension that start() could not resolve
            raise RetryableError(f"exporter {self.settings.id} is not started")
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
            if failure.reason == metrics.PERMANENT and len(item.parts) > 1:
                return await self._send_parts(item)
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

    async def _send_parts(self, item: QueueItem) -> bool:
        """The backend refused a merged batch permanently: one bad request must not take
        the others down with it, so each request of the batch is sent (and fails) alone."""
        self.logger.info("exporter %s: merged batch of %d requests refused permanently; sending them one by one",
                         self.settings.id, len(item.parts))
        finished = [await self._send(part, raise_errors=False) for part in item.parts]
        return all(finished)

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


def _extension_storage(host: Host | None, reference: str, settings: Settings) -> FileStorage:
    """The storage a `file_storage` extension gives this exporter (resolved at start, by id,
    as the Collector does; the loader already checked that the extension is configured)."""
    extension = host.extension(ComponentID.parse(reference)) if host is not None else None
    if extension is None or not hasattr(extension, "storage"):
        raise ConfigError([f"exporters::{settings.id}::sending_queue::storage: extension {reference!r} is not a "
                           "running storage extension (configure it under extensions and list it in service::extensions)"])
    return extension.storage(settings.kind, settings.id)


def _storage(directory: str | None, exporter_id: str) -> FileStorage | None:
    if not directory:
        return None
    return FileStorage(os.path.join(directory, re.sub(r"[^A-Za-z0-9_.-]", "_", exporter_id)))


def _short(error: BaseException) -> str:
    """An error for a log line: its type and the first 200 characters (never a payload)."""
    return f"{type(error).__name__}: {str(error)[:200]}"
