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
The parent talks to a worker from a thread, so a blocking pipe read never stalls the
event loop and a hang is noticed with `poll(timeout)`.
"""

from __future__ import annotations

import gc
import importlib
import multiprocessing
import os
import pickle
import signal
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Callable

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
        """One message of `payloads` for a built handler; one answer per payload."""
        return self._ask((RUN, handler.id, payloads), timeout)  # type: ignore[return-value]

    def _ask(self, message: tuple, timeout: float) -> object:
        try:
            self._conn.send(message)
            if not self._conn.poll(timeout):
                raise WorkerHung(f"worker {self.pid} did not answer within {timeout:.1f}s")
            answer, error = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise WorkerFailed(f"worker {self.pid} died (exit code {self.process.exitcode})") from exc
        if error is not None:
            raise JobError(f"worker raised {error}")
        return answer

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
