"""The sending queue: a bounded queue of export requests drained by N consumer tasks.

`offer` never waits: a full queue is refused at once so that the receiver can
answer UNAVAILABLE and the client retries (the Collector's behaviour). With a
`storage` directory each queued request is also written to disk and removed
only once it was sent or given up, so a restart resends what was acknowledged
upstream but not yet delivered.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from dataclasses import dataclass
from typing import Awaitable, Callable

from scrubber.pdata import Request, Signal, item_count

log = logging.getLogger(__name__)


@dataclass(eq=False)
class QueueItem:
    signal: Signal
    request: Request
    count: int
    #: the file that holds this request in persistent storage, if any
    key: str | None = None


#: handles one item; returns True when the item is finished (sent or dropped),
#: False when it must stay in persistent storage for the next start
Handler = Callable[[QueueItem], Awaitable[bool]]


class SendingQueue:
    def __init__(self, capacity: int, num_consumers: int, handler: Handler,
                 on_size: Callable[[int], None] = lambda size: None, storage: "FileStorage | None" = None):
        self.capacity = capacity
        self._num_consumers = num_consumers
        self._handler = handler
        self._on_size = on_size
        self.storage = storage
        self._queue: asyncio.Queue[QueueItem] = asyncio.Queue()
        self._in_flight: set[QueueItem] = set()
        self._consumers: list[asyncio.Task] = []

    @property
    def size(self) -> int:
        return self._queue.qsize() + len(self._in_flight)

    def start(self) -> None:
        if self._consumers:
            return
        if self.storage is not None:
            for item in self.storage.load():
                self._queue.put_nowait(item)
        self._consumers = [asyncio.create_task(self._consume(), name=f"exporter-queue-{i}") for i in range(self._num_consumers)]
        self._on_size(self.size)

    def offer(self, item: QueueItem) -> bool:
        """Enqueue without waiting; False if the queue is full."""
        if self._queue.qsize() >= self.capacity:
            return False
        if self.storage is not None:
            item.key = self.storage.save(item)
        self._queue.put_nowait(item)
        self._on_size(self.size)
        return True

    async def _consume(self) -> None:
        while True:
            item = await self._queue.get()
            self._in_flight.add(item)
            try:
                finished = await self._handler(item)
            except Exception:  # the handler counts its own failures; never let a consumer die
                log.exception("sending queue consumer failed on a request")
                finished = True
            self._in_flight.discard(item)
            if finished and self.storage is not None and item.key:
                self.storage.remove(item.key)
            self._queue.task_done()
            self._on_size(self.size)

    async def drain(self, timeout: float) -> list[QueueItem]:
        """Let consumers empty the queue for up to `timeout` s, stop them, return what is left."""
        if self._consumers and self._queue.qsize() + len(self._in_flight):
            try:
                await asyncio.wait_for(self._queue.join(), timeout=max(timeout, 0))
            except asyncio.TimeoutError:
                pass
        for task in self._consumers:
            task.cancel()
        await asyncio.gather(*self._consumers, return_exceptions=True)
        self._consumers = []
        left = list(self._in_flight)
        self._in_flight.clear()
        while not self._queue.empty():
            left.append(self._queue.get_nowait())
            self._queue.task_done()
        self._on_size(0)
        return left


_NAME = re.compile(r"^(\d{20})\.(traces|metrics|logs)\.pb$")


class FileStorage:
    """One file per queued request (`<sequence>.<signal>.pb`, protobuf), written
    atomically (temp file + rename). Files survive a crash of the process; no fsync,
    so a power loss may lose the last writes."""

    def __init__(self, directory: str):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self._sequence = 0

    def save(self, item: QueueItem) -> str:
        self._sequence += 1
        name = f"{self._sequence:020d}.{item.signal.value}.pb"
        path = os.path.join(self.directory, name)
        with open(path + ".tmp", "wb") as handle:
            handle.write(item.request.SerializeToString())
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
