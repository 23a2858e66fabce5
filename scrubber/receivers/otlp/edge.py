"""The receiver's edge: its servers and admission on an event loop of their own, on their own thread.

Why: the pipelines (residency, the pii walk, batching, exporters) run on the service's
event loop and keep it busy under load. A `grpc.aio` server on that loop takes new calls
from gRPC core only when the busy loop gets round to it, so under overload the calls
waited in gRPC core, where no admission code saw them, until their deadline (issue 13
item 2: 0 refusals, thousands of DEADLINE_EXCEEDED). On the edge loop the servers accept,
authenticate, read, inflate, decode and refuse without waiting for the pipelines; only an
admitted request crosses to the pipeline loop (`to_pipeline`), and its answer comes back.

Both loops share one interpreter lock. At Python's default switch interval (5 ms) a thread
that wakes for a new call waits up to 5 ms for the lock while the pipelines hold it, and
grpc.aio takes one new call per such wake-up, so the edge accepted at most a few hundred
calls a second under load. `SWITCH_INTERVAL` shortens that wait for the whole process (the
pipelines lose a little throughput to the extra switches; measured in tests/fuzz/README.md).
"""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import Any, Awaitable, Callable, Coroutine, TypeVar

from google.protobuf.message import Message

from scrubber.pdata import Request, Signal

T = TypeVar("T")

#: seconds a thread waits for the interpreter lock before the holder must let it go
SWITCH_INTERVAL = 0.0005

#: what a server calls with a decoded, admitted request: the Export*ServiceResponse, or
#: `status.Refusal` raised (the receiver's `export`, bound to the server's transport)
Export = Callable[[Signal, Request], Awaitable[Message]]


class EdgeLoop:
    """An asyncio loop running on a daemon thread; start and stop it from the pipeline loop."""

    def __init__(self, name: str):
        self.name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self._pipeline: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread; the loop that calls this is the pipeline loop work is handed to."""
        if self._thread is not None:
            return
        self._pipeline = asyncio.get_running_loop()
        if sys.getswitchinterval() > SWITCH_INTERVAL:
            sys.setswitchinterval(SWITCH_INTERVAL)
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), name=self.name, daemon=True)
        self._thread.start()
        ready.wait()

    def _run(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self.loop = loop
        ready.set()
        try:
            loop.run_forever()
        finally:
            self._close(loop)

    @staticmethod
    def _close(loop: asyncio.AbstractEventLoop) -> None:
        """What `asyncio.run` does on the way out: cancel leftovers, stop generators and the executor."""
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await, from the pipeline loop, a coroutine run on the edge loop (server start and stop)."""
        assert self.loop is not None, "EdgeLoop.start first"
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    async def to_pipeline(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await, from the edge loop, a coroutine run on the pipeline loop (an admitted request).
        Cancelling the caller (a client gone, a deadline passed) cancels the pipeline side too,
        as it did when both ran on one loop."""
        assert self._pipeline is not None, "EdgeLoop.start first"
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._pipeline))

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop and wait (without blocking the pipeline loop) for its thread. Idempotent."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.loop.stop)
        await asyncio.to_thread(thread.join, timeout)
