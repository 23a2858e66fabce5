"""A real OTLP/gRPC backend on loopback for tests and benchmarks.

It is a synchronous `grpc.server` on its own threads, so it serves the same way
whether the test around it is sync or async, and a test's event loop never
has to drive it. `stop()` and `start()` again reuse the same port: "the
backend is down for a while, then comes back".
"""

from __future__ import annotations

import time
from concurrent import futures

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from scrubber.pdata import Signal
from scrubber.testing.recorder import Recorder, response_for

PATHS = {
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export": Signal.TRACES,
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export": Signal.METRICS,
    "/opentelemetry.proto.collector.logs.v1.LogsService/Export": Signal.LOGS,
}


class GrpcSink(Recorder):
    """TraceService, MetricsService and LogsService on `host:port` (port 0 picks a free one)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, max_workers: int = 16,
                 tls: tuple[bytes, bytes] | None = None, **recorder_args):
        """`tls`: (certificate chain PEM, private key PEM) to serve TLS instead of plaintext."""
        super().__init__(**recorder_args)
        self._tls = tls
        self.host = host
        self.port = port
        self._max_workers = max_workers
        self._server: grpc.Server | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> int:
        """Serve (again, on the same port if it was bound before); return the port."""
        if self._server is not None:
            return self.port
        server = grpc.server(futures.ThreadPoolExecutor(self._max_workers),
                             options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)])
        server.add_generic_rpc_handlers((_Handler(self),))
        address = f"{self.host}:{self.port}"
        if self._tls is not None:
            credentials = grpc.ssl_server_credentials([(self._tls[1], self._tls[0])])
            self.port = server.add_secure_port(address, credentials)
        else:
            self.port = server.add_insecure_port(address)
        if not self.port:
            raise OSError(f"cannot bind the gRPC sink to {self.host}")
        server.start()
        self._server = server
        return self.port

    def stop(self, grace: float | None = None) -> None:
        """Stop serving (connections are refused until `start()`); the port is kept."""
        server, self._server = self._server, None
        if server is not None:
            server.stop(grace).wait()

    def __enter__(self) -> "GrpcSink":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def export(self, signal: Signal, raw: bytes, context: grpc.ServicerContext):
        fault = self.begin_call(signal)
        if self.delay:
            time.sleep(self.delay)
        if fault is not None:
            _abort(context, fault.code, fault.retry_after)
        request = signal.new_request()
        try:
            request.ParseFromString(raw)
        except Exception:  # noqa: BLE001
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "malformed protobuf")
        rejected = self.record(signal, request, len(raw), dict(context.invocation_metadata()))
        return response_for(signal, rejected)


class _Handler(grpc.GenericRpcHandler):
    def __init__(self, sink: GrpcSink):
        self._sink = sink

    def service(self, details):
        signal = PATHS.get(details.method)
        if signal is None:
            return None
        return grpc.unary_unary_rpc_method_handler(
            lambda raw, context: self._sink.export(signal, raw, context),
            request_deserializer=None,
            response_serializer=lambda response: response.SerializeToString(),
        )


def _abort(context: grpc.ServicerContext, code: grpc.StatusCode, retry_after: float | None):
    """Fail the call, with RetryInfo the way both the Collector (status details) and the
    OTel Python SDK (`google.rpc.retryinfo-bin`) carry it."""
    if retry_after is not None:
        info = error_details_pb2.RetryInfo()
        info.retry_delay.FromNanoseconds(int(retry_after * 1e9))
        detail = any_pb2.Any()
        detail.Pack(info)
        status = status_pb2.Status(code=getattr(code_pb2, code.name), message="injected failure", details=[detail])
        context.set_trailing_metadata((
            ("grpc-status-details-bin", status.SerializeToString()),
            ("google.rpc.retryinfo-bin", info.SerializeToString()),
        ))
    context.abort(code, "injected failure")
