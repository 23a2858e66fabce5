"""The OTLP/gRPC client behind the `otlp` exporter (grpc.aio).

One channel and one generic unary method per signal path; no generated stubs,
so the three signals share one code path. Retryable codes are those of the
OTel Python exporter and the Collector; RESOURCE_EXHAUSTED is retried only when
the server sent RetryInfo (the Collector's rule: without it the server is
saying "never"). RetryInfo is read from `grpc-status-details-bin` (a
google.rpc.Status, as the Collector sends it) or `google.rpc.retryinfo-bin`
(as the OTel Python exporter reads it).
"""

from __future__ import annotations

import ssl
from typing import Any

import grpc
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from scrubber.errors import PermanentError, RetryableError
from scrubber.exporters.otlp.config import OTLPExporterConfig
from scrubber.pdata import Request, Signal

#: {signal: (gRPC method path, response class)}
METHODS: dict[Signal, tuple[str, Any]] = {
    Signal.TRACES: ("/opentelemetry.proto.collector.trace.v1.TraceService/Export", ExportTraceServiceResponse),
    Signal.METRICS: ("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export", ExportMetricsServiceResponse),
    Signal.LOGS: ("/opentelemetry.proto.collector.logs.v1.LogsService/Export", ExportLogsServiceResponse),
}

RETRYABLE = frozenset({
    grpc.StatusCode.CANCELLED, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED,
    grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DATA_LOSS,
})
_REJECTED_FIELD = {Signal.TRACES: "rejected_spans", Signal.METRICS: "rejected_data_points", Signal.LOGS: "rejected_log_records"}


class GrpcClient:
    def __init__(self, config: OTLPExporterConfig):
        self.config = config
        self._channel: grpc.aio.Channel | None = None
        self._methods: dict[Signal, Any] = {}  # grpc.aio.UnaryUnaryMultiCallable per signal
        self._metadata = tuple((key.lower(), value) for key, value in config.headers.items())

    async def start(self) -> None:
        if self._channel is None:
            self._channel = self._make_channel()
            self._methods = {
                signal: self._channel.unary_unary(path, request_serializer=_serialize, response_deserializer=response.FromString)
                for signal, (path, response) in METHODS.items()
            }

    def _make_channel(self) -> grpc.aio.Channel:
        config = self.config
        options: list[tuple[str, Any]] = [
            ("grpc.max_send_message_length", config.max_send_msg_size_mib * 1024 * 1024),
            # gRPC's default reconnect backoff grows to 120 s; while it waits, every call
            # fails fast. Cap it so a backend that comes back is used within seconds.
            ("grpc.initial_reconnect_backoff_ms", 250),
            ("grpc.max_reconnect_backoff_ms", 5000),
            ("grpc.lb_policy_name", config.balancer_name),
        ]
        if config.keepalive is not None:
            options += [("grpc.keepalive_time_ms", int(config.keepalive.time * 1000)),
                        ("grpc.keepalive_timeout_ms", int(config.keepalive.timeout * 1000)),
                        ("grpc.keepalive_permit_without_calls", int(config.keepalive.permit_without_stream))]
        if config.authority:
            options.append(("grpc.default_authority", config.authority))
        compression = grpc.Compression.Gzip if config.compression == "gzip" else grpc.Compression.NoCompression
        if config.tls.insecure:
            return grpc.aio.insecure_channel(config.endpoint, options=options, compression=compression)
        credentials = grpc.ssl_channel_credentials(
            root_certificates=_roots(config),
            private_key=config.tls.read("key_file"),
            certificate_chain=config.tls.read("cert_file"),
        )
        if config.tls.server_name_override:
            options.append(("grpc.ssl_target_name_override", config.tls.server_name_override))
        return grpc.aio.secure_channel(config.endpoint, credentials, options=options, compression=compression)

    async def send(self, signal: Signal, request: Request, timeout: float) -> int:
        await self.start()
        try:
            response = await self._methods[signal](request, timeout=timeout, metadata=self._metadata,
                                                   wait_for_ready=self.config.wait_for_ready)
        except grpc.aio.AioRpcError as error:
            raise classify(error) from None
        return getattr(response.partial_success, _REJECTED_FIELD[signal])

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None


def _roots(config: OTLPExporterConfig) -> bytes | None:
    """The CA certificates to trust: ca_file, plus the system's with include_system_ca_certs_pool
    (grpc takes one PEM bundle; None means grpc's own default roots)."""
    own = config.tls.read("ca_file")
    if own is None or not config.tls.include_system_ca_certs_pool:
        return own
    system = ssl.get_default_verify_paths().openssl_cafile
    try:
        with open(system, "rb") as handle:
            return own + b"\n" + handle.read()
    except OSError:
        return own


def _serialize(request: Request) -> bytes:
    return request.SerializeToString()


def classify(error: grpc.aio.AioRpcError) -> Exception:
    """PermanentError or RetryableError (with the server's RetryInfo delay), by status code.
    The message names the code only: server details may echo payload data."""
    code = error.code()
    message = f"gRPC {code.name}"
    delay = retry_delay(error.trailing_metadata())
    if code in RETRYABLE:
        return RetryableError(message, retry_after=delay)
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED and delay is not None:
        return RetryableError(message, retry_after=delay)
    return PermanentError(message)


def retry_delay(metadata) -> float | None:
    """The RetryInfo delay in seconds from trailing metadata, or None (also if unreadable)."""
    try:
        return _retry_delay(metadata)
    except DecodeError:
        return None


def _retry_delay(metadata) -> float | None:
    for key, value in metadata or ():
        if key == "google.rpc.retryinfo-bin":
            return _duration(error_details_pb2.RetryInfo.FromString(value))
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                info = error_details_pb2.RetryInfo()
                if detail.Unpack(info):
                    return _duration(info)
    return None


def _duration(info: error_details_pb2.RetryInfo) -> float:
    return info.retry_delay.seconds + info.retry_delay.nanos / 1e9
