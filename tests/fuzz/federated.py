"""config/federated.yaml as a real scrubber process with four real OTLP/gRPC backends, and
raw clients for both transports that report each answer as an outcome (shared by the hostile
end-to-end tests, the receiver fuzz run and the load-and-fault run)."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from google.rpc import error_details_pb2, status_pb2

from scrubber.pdata import Signal, otlpjson
from scrubber.testing.grpc_sink import GrpcSink
from tests.support.process import ScrubberProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"SCRUBBER_KEY_EU": "e2e-eu-key-0123456789abcdef", "SCRUBBER_KEY_IN": "e2e-in-key-0123456789abcdef",
        "SCRUBBER_KEY_US": "e2e-us-key-0123456789abcdef"}
REGIONS = {"eu": "eu-central-1", "in": "ap-south-1", "us": "us-east-1"}
METHODS = {Signal.TRACES: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
           Signal.METRICS: "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
           Signal.LOGS: "/opentelemetry.proto.collector.logs.v1.LogsService/Export"}
TRANSPORTS = ("grpc", "http-protobuf", "http-json")


@dataclass
class Outcome:
    """One answer: `ok`, `invalid` (400 / INVALID_ARGUMENT), `too_large` (413), `retry`
    (429 / RESOURCE_EXHAUSTED with a back-off), or anything else by name (a failure)."""

    kind: str
    retry_after: float | None = None
    detail: str = field(default="", repr=False)


def _grpc_outcome(error: grpc.RpcError) -> Outcome:
    code = error.code()
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return Outcome("invalid", detail=error.details() or "")
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
        info = error_details_pb2.RetryInfo()
        if raw and any(d.Unpack(info) for d in status_pb2.Status.FromString(raw).details):
            return Outcome("retry", info.retry_delay.ToTimedelta().total_seconds())
        return Outcome("resource_exhausted_without_retry_info")
    return Outcome(f"grpc_{code.name.lower()}", detail=error.details() or "")


class Federated:
    """Use as a context manager; `env` adds to (or overrides) the process environment."""

    def __init__(self, workdir: Path, env: dict[str, str] | None = None, config: Path | None = None):
        self.sinks = {name: GrpcSink() for name in ("eu", "in", "us", "global")}
        for sink in self.sinks.values():
            sink.start()
        self.grpc_port, self.http_port = free_port(), free_port()
        environment = {**KEYS, "SCRUBBER_GRPC_ENDPOINT": f"127.0.0.1:{self.grpc_port}",
                       "SCRUBBER_HTTP_ENDPOINT": f"127.0.0.1:{self.http_port}",
                       "SCRUBBER_QUARANTINE_DIR": str(workdir / "quarantine"),
                       **{f"SCRUBBER_REGIONAL_{j.upper()}_ENDPOINT": self.sinks[j].endpoint for j in REGIONS},
                       "SCRUBBER_GLOBAL_ENDPOINT": self.sinks["global"].endpoint, **(env or {})}
        self.process = ScrubberProcess(config or ROOT / "config" / "federated.yaml", workdir, env=environment)
        self.channel: grpc.Channel | None = None

    def __enter__(self) -> "Federated":
        try:
            self.process.start()
        except BaseException:
            self._stop_sinks()
            raise
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.grpc_port}",
                                             options=[("grpc.max_send_message_length", 64 << 20)])
        return self

    def __exit__(self, *exc) -> None:
        if self.channel is not None:
            self.channel.close()
        self.process.stop()
        self._stop_sinks()

    def _stop_sinks(self) -> None:
        for sink in self.sinks.values():
            sink.stop()

    def send(self, transport: str, signal: Signal, request, timeout: float = 10.0, **headers) -> Outcome:
        if transport == "grpc":
            return self.send_grpc(signal, request.SerializeToString(), timeout)
        encoding = transport.removeprefix("http-")
        body = otlpjson.dumps(request).encode() if encoding == "json" else request.SerializeToString()
        return self.send_http(signal, body, encoding, timeout, **headers)

    def send_grpc(self, signal: Signal, payload: bytes, timeout: float = 10.0, compression=None) -> Outcome:
        call = self.channel.unary_unary(METHODS[signal], request_serializer=None, response_deserializer=None)
        try:
            call(payload, timeout=timeout, compression=compression)
        except grpc.RpcError as error:
            return _grpc_outcome(error)
        return Outcome("ok")

    def send_http(self, signal: Signal, body: bytes, encoding: str = "protobuf", timeout: float = 10.0,
                  **headers) -> Outcome:
        content_type = "application/json" if encoding == "json" else "application/x-protobuf"
        request = urllib.request.Request(f"http://127.0.0.1:{self.http_port}/v1/{signal.value}", data=body,
                                         method="POST", headers={"Content-Type": content_type, **headers})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Outcome("ok" if response.status == 200 else f"http_{response.status}")
        except urllib.error.HTTPError as error:
            error.read()
            if error.code == 400:
                return Outcome("invalid")
            if error.code == 413:
                return Outcome("too_large")
            if error.code == 429 and error.headers.get("Retry-After"):
                return Outcome("retry", float(error.headers["Retry-After"]))
            return Outcome(f"http_{error.code}")
        except (urllib.error.URLError, OSError) as error:
            return Outcome(f"http_{type(error).__name__}")
