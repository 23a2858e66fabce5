"""The worker process of a `WorkerPool`, the parent's handle on it, and what a handler is.

A worker is a `spawn`ed process (safe with gRPC already running in the parent: nothing
of the parent's threads or sockets is inherited) that knows no component. The parent
*builds* handlers in it (`factory(spec, context)`, once per worker, under the start
timeout: this is where models load) and then sends it *runs*: a list of payloads for one
handler, answered by a list of results. A handler's worker-side object has
`run(payload)`, or `run_batch(payloads)` when the handler is `batch` (many small items
per message, e.g. texts). `context.shared(key, make)` lets handlers of one worker share
an expensive object (one spaCy model for text detection and request scrubbing).

On an exception the worker sends its type name only, because a message may quote data.
The parent builds handlers from a thread (`build`, `wait_ready`: blocking, at start). It runs
jobs from the event loop (`run_on_loop`): the message is written at once (the worker reads
each message whole before it answers, and one worker has one message in flight, so a write
of up to INLINE_BYTES finds the socket's buffer empty and never blocks), the answer is awaited
with `add_reader` and a timer, and read when it is there. That saves a thread hand-off each
way per job (submit, wake, a cross-thread future and the loop's self-pipe), the largest share
of the pool's cost in the main process on plain traffic. A larger message goes through a
thread (`run`), so a big write or read never stalls the loop.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import multiprocessing
import os
import pickle
import signal
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from typing import Any, Callable

import psutil

from scrubber.errors import JobError, WorkerFailed, WorkerHung
from scrubber.heap import release_memory, tune_allocator

#: after a message this large (a big request scrubbed whole, a long text) the worker frees its
#: garbage and hands the heap back at once: else the pages it grew stay resident, and after a
#: burst of large requests scrubber plus its workers sat above the memory_limiter's soft limit,
#: refusing good clients long after the burst (issue 13, tests/e2e/test_hostile_load.py)
RELEASE_AFTER_BYTES = 1 << 20
#: sent once the process is up
READY = "ready"
#: message kinds, parent -> worker
BUILD, RUN = "build", "run"
#: one BLAS thread per worker: the pool already runs one worker per core, and idle BLAS threads
#: spin, taking CPU from the other workers and the main process. Read once, when numpy loads.
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: messages (pickled) up to this size are written and answered on the event loop (`run_on_loop`):
#: well under a Unix socket's default send buffer (~208 KiB on Linux), so the write never blocks
INLINE_BYTES = 64 * 1024


@dataclass(frozen=True, eq=False)
class Handler:
    """A kind of job workers can run: `factory(spec, context)` built once per worker, then
    `.run(payload)` (or `.run_batch(payloads)` if `batch`) per job. `factory` is an import
    string `"module:attr"` or a picklable callable, so the pool never imports its users.
    The spec may hold secrets (key material): it only ever travels over the worker pipe."""

    id: str
    factory: str | Callable[..., Any]
    spec: object = field(default=None, repr=False)
    #: items of this handler may be sent together (up to the pool's max_batch_texts)
    batch: bool = False


class WorkerContext:
    """What a worker's handlers share: objects made once per worker process, by key."""

    def __init__(self) -> None:
        self._objects: dict[object, Any] = {}

    def shared(self, key: object, make: Callable[[], Any]) -> Any:
        if key not in self._objects:
            self._objects[key] = make()
        return self._objects[key]


def main(conn: Connection) -> None:
    """Worker entry point: build handlers and answer runs until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    for var in BLAS_THREAD_VARS:
        os.environ.setdefault(var, "1")  # before numpy is imported (spawn: nothing is yet)
    tune_allocator()  # large buffers mmapped, so freeing them returns them to the system
    context, handlers = WorkerContext(), {}
    conn.send((READY, os.getpid()))
    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            return
        message = pickle.loads(raw)
        if message is None:
            return
        try:
            if message[0] == BUILD:
                _, handler_id, factory, spec, batch = message
                handlers[handler_id] = (_resolve(factory)(spec, context), batch)
                _freeze_loaded()
                answer: object = None
            else:
                built, batch = handlers[message[1]]
                answer = built.run_batch(message[2]) if batch else [built.run(p) for p in message[2]]
            conn.send((answer, None))
        except Exception as exc:  # noqa: BLE001 - reported by type only, never by message
            conn.send((None, type(exc).__name__))
        if len(raw) >= RELEASE_AFTER_BYTES:
            del raw, message
            release_memory()


def _freeze_loaded() -> None:
    """What a handler loaded (models, lexicons, catalogs) lives as long as the worker: out of the
    collector's generations, as the main process does after start (scrubber/service/run.py), or
    every full collection walks it again (a quarter of a worker's CPU on plain requests)."""
    gc.collect()
    gc.freeze()


def _set_ready(future: asyncio.Future, value: bool = True) -> None:
    if not future.done():
        future.set_result(value)


def _answer(answer: object, error: str | None) -> object:
    if error is not None:
        raise JobError(f"worker raised {error}")
    return answer


def _resolve(factory: str | Callable[..., Any]) -> Callable[..., Any]:
    if callable(factory):
        return factory
    module, _, name = factory.partition(":")
    return getattr(importlib.import_module(module), name)


class WorkerHandle:
    """The parent's end of one worker process. Blocking methods run in a thread."""

    def __init__(self, context: multiprocessing.context.SpawnContext, name: str):
        self._conn, child = context.Pipe(duplex=True)
        self.process = context.Process(target=main, args=(child,), name=name, daemon=True)
        self.process.start()
        child.close()
        #: ids of the handlers built in this worker
        self.built: set[str] = set()
        #: resident bytes once its handlers were built: what a replacement starts with
        self.settled_rss: int | None = None
        self._psutil: psutil.Process | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def wait_ready(self, timeout: float) -> None:
        """Block until the process is up, or raise WorkerFailed."""
        try:
            if not self._conn.poll(timeout):
                raise WorkerFailed(f"worker did not start within {timeout:.0f}s")
            tag, _ = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise WorkerFailed(f"worker exited while starting (exit code {self.process.exitcode})") from exc
        if tag != READY:
            raise WorkerFailed("worker sent an unexpected greeting")

    def build(self, handler: Handler, timeout: float) -> None:
        """Build `handler` in the worker (loads what it needs); JobError if its factory raised."""
        self._ask((BUILD, handler.id, handler.factory, handler.spec, handler.batch), timeout)
        self.built.add(handler.id)

    def run(self, handler: Handler, payloads: list, timeout: float) -> list:
        """One message of `payloads` for a built handler; one answer per payload (blocking: in a thread)."""
        return self._ask((RUN, handler.id, payloads), timeout)  # type: ignore[return-value]

    async def run_on_loop(self, handler: Handler, payloads: list, timeout: float, executor=None) -> list:
        """`run` from the event loop: the same message, answer and errors (module docstring);
        a message above INLINE_BYTES is sent and answered through `executor`'s thread."""
        message = ForkingPickler.dumps((RUN, handler.id, payloads))
        loop = asyncio.get_running_loop()
        if len(message) > INLINE_BYTES:
            answer: Any = await loop.run_in_executor(executor, self._ask_bytes, message, timeout)
            return answer
        try:
            self._conn.send_bytes(message)
            del message
            await self._answered(loop, timeout)
            answer, error = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise self._died() from exc
        return _answer(answer, error)  # type: ignore[return-value]

    async def _answered(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        """Until the pipe is readable (an answer, or EOF if the worker died); WorkerHung after `timeout`."""
        fd = self._conn.fileno()
        ready = loop.create_future()
        loop.add_reader(fd, _set_ready, ready)
        timer = loop.call_later(timeout, _set_ready, ready, False)
        try:
            if not await ready:
                raise WorkerHung(f"worker {self.pid} did not answer within {timeout:.1f}s")
        finally:
            timer.cancel()
            loop.remove_reader(fd)

    def rss(self) -> int:
        """The worker's resident memory in bytes (psutil.Error if it is gone)."""
        if self._psutil is None:  # one per worker: making one reads /proc twice
            self._psutil = psutil.Process(self.pid)
        return self._psutil.memory_info().rss

    def _ask(self, message: tuple, timeout: float) -> object:
        return self._ask_bytes(ForkingPickler.dumps(message), timeout)

    def _ask_bytes(self, message: bytes | memoryview, timeout: float) -> object:
        try:
            self._conn.send_bytes(message)
            if not self._conn.poll(timeout):
                raise WorkerHung(f"worker {self.pid} did not answer within {timeout:.1f}s")
            answer, error = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise self._died() from exc
        return _answer(answer, error)

    def _died(self) -> WorkerFailed:
        return WorkerFailed(f"worker {self.pid} died (exit code {self.process.exitcode})")

    def kill(self) -> None:
        """SIGKILL and reap; safe to call twice."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self._conn.close()

    def stop(self, timeout: float) -> None:
        """Ask the worker to exit; kill it if it does not within `timeout`."""
        try:
            self._conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout)
        self.kill()
