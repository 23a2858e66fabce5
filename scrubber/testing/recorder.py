"""What a test sink received, and the faults it was told to inject.

Thread-safe: the gRPC sink handles calls on its own threads and the HTTP sink
on its own event loop, so tests (sync or async) read it from another thread.
The sinks keep their own copy of the OTLP service paths and response types
rather than importing the exporters': a test oracle must not share code with
what it tests.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import IO, Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from scrubber.pdata import Request, Signal, item_count, otlpjson

#: {signal: (response class, partial_success field of the rejected count)}
RESPONSES: dict[Signal, tuple[type[Any], str]] = {
    Signal.TRACES: (ExportTraceServiceResponse, "rejected_spans"),
    Signal.METRICS: (ExportMetricsServiceResponse, "rejected_data_points"),
    Signal.LOGS: (ExportLogsServiceResponse, "rejected_log_records"),
}


def response_for(signal: Signal, rejected: int = 0):
    """The export response of `signal`, with partial_success if `rejected` > 0."""
    response_type, field = RESPONSES[signal]
    response = response_type()
    if rejected:
        setattr(response.partial_success, field, rejected)
        response.partial_success.error_message = "rejected by the test sink"
    return response


@dataclass
class Fault:
    #: a grpc.StatusCode for the gRPC sink, an HTTP status (int) for the HTTP sink
    code: Any
    #: RetryInfo delay / Retry-After seconds to send with the error, if any
    retry_after: float | None = None


class Recorder:
    def __init__(self, keep: bool = True, out: IO[str] | None = None):
        self._cond = threading.Condition()
        self._keep = keep
        self._out = out
        self._faults: deque[Fault] = deque()
        self._partial: deque[int] = deque()
        #: seconds each call waits before it is handled (an artificially slow backend)
        self.delay = 0.0
        self.reset()

    def reset(self) -> None:
        with self._cond:
            self.requests: dict[Signal, list[Request]] = {s: [] for s in Signal}
            self.headers: list[dict[str, str]] = []
            self.calls = {s: 0 for s in Signal}
            self.items = {s: 0 for s in Signal}
            self.bytes = {s: 0 for s in Signal}
            self._faults.clear()
            self._partial.clear()

    # --- controls -------------------------------------------------------------------
    def fail_next(self, n: int, code, retry_after: float | None = None) -> None:
        """Answer the next `n` calls with `code` (and RetryInfo / Retry-After if given)."""
        with self._cond:
            self._faults.extend(Fault(code, retry_after) for _ in range(n))

    def reject_next(self, n: int, rejected: int) -> None:
        """Accept the next `n` calls but answer partial_success with `rejected` items."""
        with self._cond:
            self._partial.extend([rejected] * n)

    # --- used by the servers --------------------------------------------------------
    def begin_call(self, signal: Signal) -> Fault | None:
        with self._cond:
            self.calls[signal] += 1
            return self._faults.popleft() if self._faults else None

    def record(self, signal: Signal, request: Request, size: int, headers: dict[str, str]) -> int:
        """Keep one accepted request; return the items to report as rejected."""
        count = item_count(request)
        line = otlpjson.dumps(request) if self._out is not None else None
        with self._cond:
            if self._keep:
                self.requests[signal].append(request)
                self.headers.append(headers)
            self.items[signal] += count
            self.bytes[signal] += size
            if line is not None and self._out is not None:
                self._out.write(line + "\n")
                self._out.flush()
            rejected = self._partial.popleft() if self._partial else 0
            self._cond.notify_all()
            return rejected

    # --- used by tests --------------------------------------------------------------
    def counts(self) -> dict:
        with self._cond:
            return {"calls": dict(self.calls), "items": dict(self.items), "bytes": dict(self.bytes)}

    def wait_for_items(self, signal: Signal, n: int, timeout: float = 10.0) -> bool:
        """Block until at least `n` items of `signal` arrived; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.items[signal] < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    async def async_wait_for_items(self, signal: Signal, n: int, timeout: float = 10.0) -> bool:
        """The same, without blocking the caller's event loop."""
        deadline = time.monotonic() + timeout
        while self.items[signal] < n:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True
