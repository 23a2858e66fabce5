"""OTLP/gRPC: TraceService, MetricsService and LogsService on a `grpc.aio` server.

Methods are registered with no request deserializer (and as client-streaming, so that a
refusal is answered before the message is even received), so a malformed protobuf
reaches our code as bytes and is answered INVALID_ARGUMENT with a message
(grpc's own deserializer would answer INTERNAL). Only signals that some
pipeline consumes are registered; the others get UNIMPLEMENTED from grpc,
as in the Collector. gzip (and deflate) requests are decompressed by grpc core;
`max_recv_msg_size_mib` is enforced by grpc, which answers RESOURCE_EXHAUSTED.
"""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Iterable

import grpc
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from scrubber.config.types import split_endpoint
from scrubber.pdata import Signal
from scrubber.receivers.otlp.admission import Admission
from scrubber.receivers.otlp.auth import ServerAuthenticator
from scrubber.receivers.otlp.config import MIB, GRPCConfig
from scrubber.receivers.otlp.edge import Export
from scrubber.receivers.otlp.status import Refusal
from scrubber.receivers.otlp.tls import grpc_credentials

SERVICE_NAMES = {
    Signal.TRACES: trace_service_pb2.DESCRIPTOR.services_by_name["TraceService"].full_name,
    Signal.METRICS: metrics_service_pb2.DESCRIPTOR.services_by_name["MetricsService"].full_name,
    Signal.LOGS: logs_service_pb2.DESCRIPTOR.services_by_name["LogsService"].full_name,
}


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def server_options(config: GRPCConfig) -> list[tuple[str, int]]:
    """The config as grpc channel arguments."""
    options = [
        ("grpc.max_receive_message_length", config.max_recv_msg_size_mib * MIB),
        # grpc sets SO_REUSEPORT by default: two servers could silently share a port.
        ("grpc.so_reuseport", 0),
    ]
    if config.max_concurrent_streams:
        options.append(("grpc.max_concurrent_streams", config.max_concurrent_streams))
    keepalive = config.keepalive
    params = keepalive and keepalive.server_parameters
    if not params or params.max_connection_idle is None:
        options.append(("grpc.max_connection_idle_ms", _ms(DEFAULT_MAX_CONNECTION_IDLE)))
    if params:
        for key, value in (
            ("grpc.max_connection_idle_ms", params.max_connection_idle),
            ("grpc.max_connection_age_ms", params.max_connection_age),
            ("grpc.max_connection_age_grace_ms", params.max_connection_age_grace),
            ("grpc.keepalive_time_ms", params.time),
            ("grpc.keepalive_timeout_ms", params.timeout),
        ):
            if value is not None:
                options.append((key, _ms(value)))
    policy = keepalive and keepalive.enforcement_policy
    if policy:
        if policy.min_time is not None:
            options.append(("grpc.http2.min_recv_ping_interval_without_data_ms", _ms(policy.min_time)))
        options.append(("grpc.keepalive_permit_without_calls", int(policy.permit_without_stream)))
    return options


def listen_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def bind(server: grpc.aio.Server, address: str, config: GRPCConfig) -> int:
    """Add the listening port (TLS per `config.tls`) and return it; OSError, naming the
    endpoint, if it cannot be bound (grpc answers 0 or raises RuntimeError for a taken port)."""
    cause: RuntimeError | None = None
    try:
        if config.tls is not None:
            port = server.add_secure_port(address, grpc_credentials(config.tls))
        else:
            port = server.add_insecure_port(address)
    except OSError:
        await server.stop(None)
        raise
    except RuntimeError as error:
        port, cause = 0, error
    if not port:
        await server.stop(None)
        raise cannot_listen(config.endpoint) from cause
    return port


def cannot_listen(endpoint: str) -> OSError:
    """The one text of a gRPC port that cannot be bound, whichever edge (thread or process) tried."""
    return OSError(f"otlp receiver: cannot listen for gRPC on {endpoint} (port in use or address unavailable)")


#: metadata the gRPC edge process adds to a forwarded call: the milliseconds of `queue_timeout`
#: it has not spent waiting for a place there (read only on the private socket, see `edge_process`)
QUEUE_BUDGET_KEY = "scrubber-edge-queue-budget-ms"

_OFFLOAD_BYTES = 256 * 1024
#: connections idle this long are closed unless `keepalive.server_parameters` says otherwise
DEFAULT_MAX_CONNECTION_IDLE = 300.0


async def _one_message(signal: Signal, messages: AsyncIterator[bytes]) -> bytes:
    """The call's request message (an Export call is unary: a second message is not read)."""
    try:
        return await anext(messages)
    except StopAsyncIteration:
        raise Refusal(grpc.StatusCode.INVALID_ARGUMENT, f"{signal} export call without a request message") from None


def _parse(signal: Signal, raw: bytes):
    try:
        return signal.request_type.FromString(raw)
    except DecodeError:
        raise Refusal(grpc.StatusCode.INVALID_ARGUMENT, f"malformed {signal} export request: not a valid protobuf message") from None


class GRPCServer:
    """Serves the Export method of every signal in `signals`: authenticate, take an admission
    ticket and slot, decode, then `export` (which owns consuming, counting and answers)."""

    def __init__(self, config: GRPCConfig, signals: Iterable[Signal], export: Export, admission: Admission,
                 authenticator: ServerAuthenticator | None = None, address: str | None = None):
        """`address`: listen there instead of the endpoint, for calls forwarded by the gRPC edge
        process, whose QUEUE_BUDGET_KEY is then honoured (a call waits in both at most once)."""
        self.config = config
        self.signals = tuple(signals)
        self.export = export
        self.admission = admission
        self.authenticator = authenticator
        self.host, self._requested_port = split_endpoint(config.endpoint)
        #: where to listen instead of the endpoint (the private `unix:` socket of the edge process)
        self._listen_address = address
        self.port: int | None = None
        self._server: grpc.aio.Server | None = None

    async def start(self) -> None:
        server = grpc.aio.server(options=server_options(self.config))
        server.add_generic_rpc_handlers(tuple(self._handlers()))
        address = self._listen_address or listen_address(self.host, self._requested_port)
        port = await bind(server, address, self.config)
        await server.start()
        self._server, self.port = server, port

    async def stop(self, timeout: float) -> None:
        """Refuse new RPCs, give in-flight ones `timeout` seconds, then cancel them."""
        if self._server is not None:
            server, self._server = self._server, None
            await server.stop(grace=timeout)

    def _handlers(self):
        for signal in self.signals:
            # Registered as client-streaming: on the wire a unary call is the same, and the
            # handler then runs before the message is received, so a refusal (under overload
            # most calls are refused) costs no receive: measured a quarter less CPU per refusal.
            handler = grpc.stream_unary_rpc_method_handler(self._export_method(signal))
            yield grpc.method_handlers_generic_handler(SERVICE_NAMES[signal], {"Export": handler})

    def _export_method(self, signal: Signal):
        async def export(messages: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> bytes:
            if self.authenticator is not None and not self._admitted(context):
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or invalid credentials")
            try:
                response = await self._admit_and_export(signal, messages, self._queue_budget(context))
            except Refusal as refusal:  # the ticket is released: the next call may use its bytes
                await context.abort(refusal.code, refusal.message, trailing_metadata=refusal.grpc_trailers())
            return response.SerializeToString()

        return export

    def _queue_budget(self, context: grpc.aio.ServicerContext) -> float | None:
        """The wait left to a forwarded call (None: the whole `queue_timeout`)."""
        if self._listen_address is None:
            return None
        for key, value in context.invocation_metadata() or ():
            if key == QUEUE_BUDGET_KEY and isinstance(value, str) and value.isdigit():
                return int(value) / 1000
        return None

    async def _admit_and_export(self, signal: Signal, messages: AsyncIterator[bytes], queue_budget: float | None = None):
        ticket = self.admission.ticket("grpc")  # refused here while memory is too high
        try:
            self.admission.refuse_if_full("grpc")  # and here when no slot or queue place is left
            # grpc core reads (and inflates) the message, within max_recv_msg_size_mib
            raw = await _one_message(signal, messages)
            ticket.charge(len(raw))
            ticket.charge_decoded(len(raw))
            async with self.admission.slot("grpc", queue_budget):  # before decoding: refusals stay cheap
                # a large message takes tens of ms to parse: keep the loop serving meanwhile
                request = await asyncio.to_thread(_parse, signal, raw) if len(raw) > _OFFLOAD_BYTES else _parse(signal, raw)
                del raw
                return await self.export(signal, request)
        finally:
            ticket.release()

    def _admitted(self, context: grpc.aio.ServicerContext) -> bool:
        headers: dict[str, str] = {}
        for key, value in context.invocation_metadata() or ():
            if isinstance(value, str):  # binary (-bin) metadata is no credential
                headers.setdefault(key.lower(), value)
        return self.authenticator is None or self.authenticator.accepts(headers)
