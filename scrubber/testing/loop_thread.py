"""An asyncio event loop on its own thread, for test servers that must keep serving
while the test's own loop (or a plain sync test) does something else."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, Coroutine


class LoopThread:
    def __init__(self, name: str):
        self._name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=self._name, daemon=True)
        self._thread.start()

    @property
    def running(self) -> asyncio.AbstractEventLoop:
        """The loop, once `start` made it."""
        assert self.loop is not None, "LoopThread.start() first"
        return self.loop

    def run(self, coro: Coroutine, timeout: float = 10.0) -> Any:
        """Run `coro` on the thread's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.running).result(timeout)

    def stop(self) -> None:
        """Cancel whatever still runs on the loop (open connections), then end the thread."""
        if self._thread is None:
            return
        try:
            self.run(_cancel_others(), timeout=5)
        except Exception:  # noqa: BLE001 - stopping must not fail a test's teardown
            pass
        loop = self.running
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(5)
        loop.close()
        self._thread = None
        self.loop = None


async def _cancel_others() -> None:
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
