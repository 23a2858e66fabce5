"""The detection worker process and the parent's handle on it.

A worker is a `spawn`ed process (safe with gRPC already running in the parent:
nothing of the parent's threads or sockets is inherited) that builds one
`Detector` (spaCy model loaded once), answers one batch at a time over a pipe,
and never sees anything but texts and NER flags. It sends back findings
(offsets), never text; on a detector error it sends the exception's type name
only, because an exception message may quote the text.

Besides text batches a worker runs *jobs* of registered handlers (the pii
processor's request-level scrub): a handler is named by an importable factory
`"module:function"` and a spec (config, key material) sent once per worker over
the pipe; `factory(spec, detector)` returns an object whose `run(payload)`
answers each job. The worker's own `Detector` (and its findings cache) is
shared by every handler.

The parent talks to a worker from a thread (`roundtrip`), so a blocking pipe
read never stalls the event loop and a hang is noticed with `poll(timeout)`.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

#: sent once the model is loaded and a warm-up text went through
READY = "ready"
#: message kinds, parent -> worker
DETECT, HANDLER, JOB = "detect", "handler", "job"


class WorkerFailed(Exception):
    """The worker died, hung or could not start; the batch it held is lost (callers fail closed)."""


class WorkerHung(WorkerFailed):
    """The worker did not answer within the batch timeout; it is killed and replaced."""


class BatchError(Exception):
    """The detector raised on this batch; the worker itself is fine and keeps serving."""


#: one BLAS thread per worker: the pool already runs one worker per core, and idle BLAS threads
#: spin, taking CPU from the other workers and the main process. Read once, when numpy loads.
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def main(conn: Connection, config_json: str) -> None:
    """Worker entry point: load once, then serve batches and jobs until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    for var in BLAS_THREAD_VARS:
        os.environ.setdefault(var, "1")  # before numpy is imported (spawn: nothing is yet)
    from scrubber.detection import Detector, DetectionConfig  # heavy imports in the child only

    detector = Detector(DetectionConfig.model_validate_json(config_json))
    detector.detect(["warm up: Jane Doe lives in Berlin, jane@example.com"], [True])
    conn.send((READY, os.getpid()))
    specs: dict[str, tuple[str, object]] = {}
    handlers: dict[str, object] = {}
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        kind = message[0]
        if kind == HANDLER:  # registration: no answer
            specs[message[1]] = (message[2], message[3])
            continue
        try:
            if kind == DETECT:
                answer = detector.detect(message[1], message[2])
            else:
                handler = handlers.get(message[1])
                if handler is None:
                    handler = handlers[message[1]] = _build(*specs[message[1]], detector)
                answer = handler.run(message[2])
            conn.send((answer, None))
        except Exception as exc:  # noqa: BLE001 - reported by type only, never by message
            conn.send((None, type(exc).__name__))


def _build(factory: str, spec: object, detector) -> object:
    module, _, name = factory.partition(":")
    return getattr(importlib.import_module(module), name)(spec, detector)


@dataclass(frozen=True, eq=False)
class Handler:
    """A kind of job workers can run: `factory(spec, detector).run(payload)` in the worker.
    The spec may hold secrets (key material): it only ever travels over the worker pipe."""

    id: str
    factory: str
    spec: object = field(repr=False)


class WorkerHandle:
    """The parent's end of one worker process. Blocking methods run in a thread."""

    def __init__(self, context: multiprocessing.context.BaseContext, config_json: str, name: str):
        self._conn, child = context.Pipe(duplex=True)
        self.process = context.Process(target=main, args=(child, config_json), name=name, daemon=True)
        self.process.start()
        child.close()
        self._handlers: set[str] = set()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def wait_ready(self, timeout: float) -> None:
        """Block until the worker loaded its model, or raise WorkerFailed."""
        try:
            if not self._conn.poll(timeout):
                raise WorkerFailed(f"detection worker did not start within {timeout:.0f}s")
            tag, _ = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise WorkerFailed(f"detection worker exited while starting (exit code {self.process.exitcode})") from exc
        if tag != READY:
            raise WorkerFailed("detection worker sent an unexpected greeting")

    def roundtrip(self, texts: list[str], ner: list[bool], timeout: float) -> list:
        """Send one batch and wait for its findings; WorkerFailed if the worker dies or hangs."""
        return self._ask((DETECT, texts, ner), timeout)

    def call(self, handler: "Handler", payload: object, timeout: float) -> object:
        """Run one job of `handler` (registered with this worker on first use)."""
        if handler.id not in self._handlers:
            try:
                self._conn.send((HANDLER, handler.id, handler.factory, handler.spec))
            except (EOFError, OSError) as exc:
                raise WorkerFailed(f"detection worker {self.pid} died (exit code {self.process.exitcode})") from exc
            self._handlers.add(handler.id)
        return self._ask((JOB, handler.id, payload), timeout)

    def _ask(self, message: tuple, timeout: float) -> object:
        try:
            self._conn.send(message)
            if not self._conn.poll(timeout):
                raise WorkerHung(f"detection worker {self.pid} did not answer within {timeout:.1f}s")
            answer, error = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise WorkerFailed(f"detection worker {self.pid} died (exit code {self.process.exitcode})") from exc
        if error is not None:
            raise BatchError(f"worker raised {error}")
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
