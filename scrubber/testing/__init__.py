"""Test support that tests and benchmarks import: real OTLP backends on loopback.

- `GrpcSink`: OTLP/gRPC TraceService, MetricsService, LogsService; records every
  request; `stop()` / `start()` on the same port; `fail_next(n, code,
  retry_after)`; `reject_next(n, rejected)` (partial success); `delay`.
- `HttpSink`: the same over OTLP/HTTP (aiohttp), plus `GET /counts`.
- `TcpProxy`: counts the bytes that really crossed the wire.
- `python -m scrubber.testing.sink`: the sinks as a separate process.
"""

from scrubber.testing.grpc_sink import GrpcSink
from scrubber.testing.http_sink import HttpSink
from scrubber.testing.proxy import TcpProxy
from scrubber.testing.recorder import Fault, Recorder

__all__ = ["Fault", "GrpcSink", "HttpSink", "Recorder", "TcpProxy"]
