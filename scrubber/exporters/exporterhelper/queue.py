"""The sending queue: a bounded queue of export requests drained by N consumer tasks.

`offer` never waits: a full queue is refused at once so that the receiver can
answer UNAVAILABLE and the client retries (the Collector's behaviour). With a
`storage` each queued request is also written to disk and removed only once it
was sent or given up, so a restart resends what was acknowledged upstream but
not yet delivered.

With `batch` settings (the Collector's `sending_queue.batch`) one dispatcher
task takes requests off the queue and merges those of one signal until
`min_size` items have gathered or `flush_timeout` has passed since the first;
at most `num_consumers` merged batches are sent at once. Batching happens after
the request was accepted, so no client waits for a batch to fill. A merged
item keeps its `parts`, so the exporter can send them one by one when the
backend refuses the merged batch permanently, and so that each part's file is
removed only when the batch is finished.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from scrubber.files import PRIVATE, FileAccess
from scrubber.pdata import Request, Signal, item_count, merge

log = logging.getLogger(__name__)


@dataclass(eq=False)
class QueueItem:
    signal: Signal
    request: Request
    count: int
    #: the file that holds this request in persistent storage, if any
    key: str | None = None
    #: the queued requests a merged batch was made of (empty for a request as queued)
    parts: list["QueueItem"] = field(default_factory=list)


#: handles one item; returns True when the item is finished (sent or dropped),
#: False when it must stay in persistent storage for the next start
Handler = Callable[[QueueItem], Awaitable[bool]]


@dataclass(frozen=True)
class BatchSettings:
    """What the dispatcher needs of `sending_queue.batch` (sizes in items)."""

    flush_timeout: float
    min_size: int
    max_size: int = 0


class SendingQueue:
    def __init__(self, capacity: int, num_consumers: int, handler: Handler,
                 on_size: Callable[[int], None] = lambda size: None, storage: "FileStorage | None" = None,
                 batch: BatchSettings | None = None, sizer: str = "requests",
                 on_batch: Callable[[int], None] = lambda items: None):
        self.capacity = capacity
        self._num_consumers = num_consumers
        self._handler = handler
        self._on_size = on_size
        self.storage = storage
        self._batch = batch
        self._sizer = sizer
        self._on_batch = on_batch
        self._queue: asyncio.Queue[QueueItem] = asyncio.Queue()
        self._in_flight: set[QueueItem] = set()
        self._pending: dict[Signal, list[QueueItem]] = {}  # batching: taken off the queue, not yet sent
        self._first_at: dict[Signal, float] = {}
        self._queued_items = 0  # items waiting (queue + pending), for sizer: items
        self._consumers: list[asyncio.Task] = []
        self._slots = asyncio.Semaphore(num_consumers)
        self._sends: set[asyncio.Task] = set()

    @property
    def size(self) -> int:
        pending = sum(len(items) for items in self._pending.values())
        return self._queue.qsize() + pending + len(self._in_flight)

    def start(self) -> None:
        if self._consumers:
            return
        if self.storage is not None:
            for item in self.storage.load():
                self._put(item)
        if self._batch is None:
            self._consumers = [asyncio.create_task(self._consume(), name=f"exporter-queue-{i}") for i in range(self._num_consumers)]
        else:
            self._consumers = [asyncio.create_task(self._dispatch(), name="exporter-queue-batcher")]
        self._on_size(self.size)

    def offer(self, item: QueueItem) -> bool:
        """Enqueue without waiting; False if the queue is full."""
        if self._full(item):
            return False
        if self.storage is not None:
            item.key = self.storage.save(item)
        self._put(item)
        self._on_size(self.size)
        return True

    def _full(self, item: QueueItem) -> bool:
        if self._sizer == "items":
            return self._queued_items + item.count > self.capacity and self._queued_items > 0
        waiting = self._queue.qsize() + sum(len(items) for items in self._pending.values())
        return waiting >= self.capacity

    def _put(self, item: QueueItem) -> None:
        self._queued_items += item.count
        self._queue.put_nowait(item)

    async def _consume(self) -> None:
        while True:
            item = await self._queue.get()
            self._queued_items -= item.count
            self._in_flight.add(item)
            await self._finish(item, await self._handle(item))

    async def _handle(self, item: QueueItem) -> bool:
        try:
            return await self._handler(item)
        except Exception:  # the handler counts its own failures; never let a consumer die
            log.exception("sending queue consumer failed on a request")
            return True

    async def _finish(self, item: QueueItem, finished: bool) -> None:
        self._in_flight.discard(item)
        for part in item.parts or [item]:
            if finished and self.storage is not None and part.key:
                self.storage.remove(part.key)
            self._queue.task_done()
        self._on_size(self.size)

    # -- batching -------------------------------------------------------------
    async def _dispatch(self) -> None:
        """Take requests off the queue into per-signal batches; send a batch when it is
        big enough or old enough, waiting for a free consumer slot."""
        loop = asyncio.get_running_loop()
        getter: asyncio.Task | None = None
        try:
            while True:
                getter = getter or asyncio.ensure_future(self._queue.get())
                done, _ = await asyncio.wait({getter}, timeout=self._until_due(loop.time()))
                if getter in done:
                    item, getter = getter.result(), None
                    await self._add(item, loop.time())
                for signal in [s for s, at in self._first_at.items() if loop.time() - at >= self._batching.flush_timeout]:
                    await self._launch(signal)
        finally:
            if getter is not None and not getter.cancel() and not getter.cancelled():
                self._pending.setdefault(getter.result().signal, []).append(getter.result())

    @property
    def _batching(self) -> BatchSettings:
        """The batch settings, which the batching path alone reads (only when they are set)."""
        assert self._batch is not None
        return self._batch

    def _until_due(self, now: float) -> float | None:
        if not self._first_at:
            return None
        return max(0.0, min(self._first_at.values()) + self._batching.flush_timeout - now)

    async def _add(self, item: QueueItem, now: float) -> None:
        pending = self._pending.setdefault(item.signal, [])
        limit = self._batching.max_size
        if limit and pending and sum(p.count for p in pending) + item.count > limit:
            await self._launch(item.signal)
            pending = self._pending.setdefault(item.signal, [])
        pending.append(item)
        self._first_at.setdefault(item.signal, now)
        if sum(p.count for p in pending) >= self._batching.min_size:
            await self._launch(item.signal)

    async def _launch(self, signal: Signal) -> None:
        if not self._pending.get(signal):
            return
        await self._slots.acquire()  # before taking the parts: a cancelled wait loses nothing
        parts = self._pending.pop(signal, [])
        self._first_at.pop(signal, None)
        if not parts:
            self._slots.release()
            return
        self._queued_items -= sum(p.count for p in parts)
        item = parts[0] if len(parts) == 1 else QueueItem(
            signal, merge(signal, [p.request for p in parts]), sum(p.count for p in parts), parts=parts)
        self._in_flight.add(item)
        self._on_batch(item.count)
        task = asyncio.get_running_loop().create_task(self._send_batch(item))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    async def _send_batch(self, item: QueueItem) -> None:
        try:
            await self._finish(item, await self._handle(item))
        finally:
            self._slots.release()

    async def drain(self, timeout: float) -> list[QueueItem]:
        """Let consumers empty the queue for up to `timeout` s, stop them, return what is left."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(timeout, 0)
        if self._batch is not None and self._consumers:
            for task in self._consumers:  # stop taking; send what is gathered and what waits, at once
                task.cancel()
            await asyncio.gather(*self._consumers, return_exceptions=True)
            self._consumers = []
            while not self._queue.empty():
                item = self._queue.get_nowait()
                self._pending.setdefault(item.signal, []).append(item)
            for signal in list(self._pending):
                try:
                    await asyncio.wait_for(self._launch(signal), timeout=max(0.0, deadline - loop.time()))
                except asyncio.TimeoutError:
                    break
            if self._sends:
                await asyncio.wait(set(self._sends), timeout=max(0.0, deadline - loop.time()))
            for task in list(self._sends):
                task.cancel()
            await asyncio.gather(*self._sends, return_exceptions=True)
        elif self._consumers and self._queue.qsize() + len(self._in_flight):
            try:
                await asyncio.wait_for(self._queue.join(), timeout=max(timeout, 0))
            except asyncio.TimeoutError:
                pass
        for task in self._consumers:
            task.cancel()
        await asyncio.gather(*self._consumers, return_exceptions=True)
        self._consumers = []
        left = [part for item in self._in_flight for part in (item.parts or [item])]
        left += [item for items in self._pending.values() for item in items]
        self._in_flight.clear()
        self._pending.clear()
        self._first_at.clear()
        while not self._queue.empty():
            left.append(self._queue.get_nowait())
            self._queue.task_done()
        self._queued_items = 0
        self._on_size(0)
        return left


_NAME = re.compile(r"^(\d{20})\.(traces|metrics|logs)\.pb$")


class FileStorage:
    """One file per queued request (`<sequence>.<signal>.pb`, protobuf), written
    atomically (temp file + rename). Files survive a crash of the process; without
    `fsync` a power loss may lose the last writes. Queued telemetry may hold raw
    personal data: files are 0600 whatever the umask, or 0640 for the group of the
    `file_storage` extension's `file_group` (`access`)."""

    def __init__(self, directory: str, fsync: bool = False, access: FileAccess = PRIVATE):
        self.directory = directory
        self.fsync = fsync
        self.access = access
        access.make_directory(directory)
        self._sequence = 0

    def save(self, item: QueueItem) -> str:
        self._sequence += 1
        name = f"{self._sequence:020d}.{item.signal.value}.pb"
        path = os.path.join(self.directory, name)
        with os.fdopen(self.access.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "wb") as handle:
            handle.write(item.request.SerializeToString())
            if self.fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(path + ".tmp", path)
        return name

    def remove(self, key: str) -> None:
        try:
            os.remove(os.path.join(self.directory, key))
        except FileNotFoundError:
            pass

    def load(self) -> list[QueueItem]:
        """Every request left by a previous run, oldest first; unreadable files are set aside."""
        items = []
        for name in sorted(os.listdir(self.directory)):
            match = _NAME.match(name)
            if not match:
                continue
            self._sequence = max(self._sequence, int(match.group(1)))
            item = self._read(name, Signal(match.group(2)))
            if item is not None:
                items.append(item)
        return items

    def _read(self, name: str, signal: Signal) -> QueueItem | None:
        path = os.path.join(self.directory, name)
        request = signal.new_request()
        try:
            with open(path, "rb") as handle:
                request.ParseFromString(handle.read())
        except Exception:  # noqa: BLE001 - a corrupt file must not stop the exporter
            log.error("persistent queue: unreadable file %s set aside", name)
            os.replace(path, path + ".corrupt")
            return None
        return QueueItem(signal, request, item_count(request), key=name)
