"""OTLP/gRPC edge cases with a raw grpc.aio client: malformed and oversized
messages, consumer refusals and their status codes (RetryInfo parsed back from
grpc-status-details-bin), partial success, unregistered signals, and bugs."""

from __future__ import annotations

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse

from scrubber.consumer import SinkConsumer
from scrubber.errors import PartialSuccess, PermanentError, ResourceExhaustedError, RetryableError
from scrubber.pdata import Signal
from scrubber.receivers.otlp.config import OTLPReceiverConfig
from tests.receivers import otlp_helpers
from tests.receivers.otlp_helpers import Raising, loopback_config, run, running, spans_request

TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
LOGS = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"


@pytest.fixture(autouse=True, params=["thread", "process"])
def grpc_edge(request, monkeypatch):
    """Every answer the same whether the gRPC port is on the edge thread or in its own process."""
    monkeypatch.setattr(otlp_helpers, "GRPC_EDGE", request.param)
    return request.param


async def call(port: int, method: str, payload: bytes, **kwargs) -> bytes:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}", options=[("grpc.max_send_message_length", 64 << 20)]) as channel:
        stub = channel.unary_unary(method)
        return await stub(payload, timeout=5, **kwargs)


async def refused(port: int, method: str, payload: bytes) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call(port, method, payload)
    return info.value


def rich_status(error: grpc.aio.AioRpcError) -> status_pb2.Status:
    details = dict(error.trailing_metadata() or ())
    return status_pb2.Status.FromString(details["grpc-status-details-bin"])


def test_malformed_protobuf_is_invalid_argument_and_server_keeps_serving():
    async def body():
        async with running() as (receiver, sink):
            error = await refused(receiver.grpc_port, TRACES, b"\xff\xff\xff\xff not protobuf")
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "malformed traces export request" in error.details()
            request = spans_request()
            response = await call(receiver.grpc_port, TRACES, request.SerializeToString())
            assert ExportTraceServiceResponse.FromString(response) == ExportTraceServiceResponse()
            assert sink.requests(Signal.TRACES) == [request]

    run(body())


@pytest.mark.parametrize("compression", [None, grpc.Compression.Gzip], ids=["plain", "gzip-bomb"])
def test_oversized_message_is_refused_by_max_recv_msg_size(compression, grpc_edge):
    config = OTLPReceiverConfig.model_validate({"protocols": {"grpc": {"endpoint": "127.0.0.1:0", "max_recv_msg_size_mib": 1,
                                                                       "edge": grpc_edge}}})

    async def body():
        async with running(config=config) as (receiver, sink):
            request = spans_request()
            request.resource_spans[0].resource.attributes.add(key="big").value.string_value = "\0" * (2 << 20)
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call(receiver.grpc_port, TRACES, request.SerializeToString(), compression=compression)
            error = info.value
            assert error.code() in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INVALID_ARGUMENT)
            assert sink.received == []
            await call(receiver.grpc_port, TRACES, spans_request().SerializeToString())
            assert len(sink.requests(Signal.TRACES)) == 1

    run(body())


def test_resource_exhausted_carries_retry_info():
    consumer = Raising(ResourceExhaustedError("memory limit reached", retry_after=2.5))

    async def body():
        async with running({Signal.TRACES: consumer}) as (receiver, _):
            error = await refused(receiver.grpc_port, TRACES, spans_request().SerializeToString())
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert error.details() == "memory limit reached"
            status = rich_status(error)
            assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED.value[0]
            info = error_details_pb2.RetryInfo()
            assert status.details[0].Unpack(info)
            assert info.retry_delay.ToNanoseconds() == 2_500_000_000
            labels = {"receiver": "otlp", "transport": "grpc"}
            assert receiver.settings.telemetry.value("receiver_refused_spans_total", labels) == 2

    run(body())


@pytest.mark.parametrize(
    "error, code",
    [
        (RetryableError("exporter queue is full"), grpc.StatusCode.UNAVAILABLE),
        (PermanentError("span too large"), grpc.StatusCode.INVALID_ARGUMENT),
        (KeyError("alice@example.com"), grpc.StatusCode.INTERNAL),
    ],
    ids=["retryable", "permanent", "bug"],
)
def test_consumer_errors_map_to_status_codes(error, code, caplog):
    consumer = Raising(error)

    async def body():
        async with running({Signal.TRACES: consumer}) as (receiver, _):
            for _ in range(2):  # the server keeps serving after each refusal
                answer = await refused(receiver.grpc_port, TRACES, spans_request().SerializeToString())
                assert answer.code() == code
            assert consumer.calls == 2
            return answer

    answer = run(body())
    # an unexpected exception's text may quote the payload: never sent, never logged
    assert "alice@example.com" not in answer.details()
    assert "alice@example.com" not in caplog.text
    if code == grpc.StatusCode.INTERNAL:
        assert "unexpected KeyError" in caplog.text


def test_retryable_with_hint_gets_retry_info():
    consumer = Raising(RetryableError("backend down", retry_after=3))

    async def body():
        async with running({Signal.TRACES: consumer}) as (receiver, _):
            error = await refused(receiver.grpc_port, TRACES, spans_request().SerializeToString())
            assert error.code() == grpc.StatusCode.UNAVAILABLE
            info = error_details_pb2.RetryInfo()
            assert rich_status(error).details[0].Unpack(info)
            assert info.retry_delay.seconds == 3

    run(body())


def test_partial_success_is_reported_in_the_response():
    consumer = Raising(PartialSuccess(1, "1 span dropped: detector timeout"))

    async def body():
        async with running({Signal.TRACES: consumer}) as (receiver, _):
            raw = await call(receiver.grpc_port, TRACES, spans_request().SerializeToString())
            response = ExportTraceServiceResponse.FromString(raw)
            assert response.partial_success.rejected_spans == 1
            assert response.partial_success.error_message == "1 span dropped: detector timeout"
            labels = {"receiver": "otlp", "transport": "grpc"}
            telemetry = receiver.settings.telemetry
            assert telemetry.value("receiver_accepted_spans_total", labels) == 1
            assert telemetry.value("receiver_refused_spans_total", labels) == 1

    run(body())


def test_signal_without_consumer_is_unimplemented_and_empty_request_not_forwarded():
    sink = SinkConsumer()

    async def body():
        async with running({Signal.TRACES: sink}) as (receiver, _):
            error = await refused(receiver.grpc_port, LOGS, ExportLogsServiceRequest().SerializeToString())
            assert error.code() == grpc.StatusCode.UNIMPLEMENTED
            raw = await call(receiver.grpc_port, TRACES, ExportTraceServiceRequest().SerializeToString())
            assert ExportTraceServiceResponse.FromString(raw) == ExportTraceServiceResponse()
            assert sink.received == []

    run(body())


def test_port_in_use_is_a_clear_error():
    async def body():
        async with running(config=loopback_config()) as (first, _):
            config = OTLPReceiverConfig.model_validate({"protocols": {"grpc": {"endpoint": f"127.0.0.1:{first.grpc_port}"}}})
            with pytest.raises(OSError, match=f"gRPC on 127.0.0.1:{first.grpc_port}"):
                async with running(config=config):
                    pass
            config = OTLPReceiverConfig.model_validate({"protocols": {"http": {"endpoint": f"127.0.0.1:{first.http_port}"}}})
            with pytest.raises(OSError, match=f"HTTP on 127.0.0.1:{first.http_port}"):
                async with running(config=config):
                    pass

    run(body())
