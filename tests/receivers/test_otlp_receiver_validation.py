"""Issue 13 item 3: what the Collector refuses at unmarshal is refused here, over gRPC and
HTTP (protobuf and JSON): a trace id that is not 16 bytes, a span id that is not 8, a parent
span id that is neither empty nor 8, enum values the protos do not define. The answer is
INVALID_ARGUMENT / 400 naming the field, nothing reaches the pipeline, and a valid request
of the same client afterwards is accepted unchanged."""

from __future__ import annotations

import json

import grpc
import pytest
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

from scrubber.pdata import Signal, otlpjson
from tests.fuzz.payloads import metrics_request
from tests.receivers.otlp_helpers import EXPECTED, run, running, sdk_logs, sdk_spans
from tests.receivers.test_otlp_receiver_http import JSON, PB, post

STUBS = {Signal.TRACES: trace_service_pb2_grpc.TraceServiceStub, Signal.LOGS: logs_service_pb2_grpc.LogsServiceStub,
         Signal.METRICS: metrics_service_pb2_grpc.MetricsServiceStub}


def _span(request):
    return request.resource_spans[0].scope_spans[0].spans[0]


def _record(request):
    return request.resource_logs[0].scope_logs[0].log_records[0]


def _exemplar(request):
    return request.resource_metrics[0].scope_metrics[0].metrics[0].histogram.data_points[0].exemplars[0]


def _set(attribute: str, value):
    def mutate(target):
        setattr(target, attribute, value)
    return mutate


# (signal, how to break a valid request, field path the answer names)
CASES = [
    (Signal.TRACES, lambda r: _set("trace_id", b"\x01\x02\x03")(_span(r)), "spans[0].trace_id: 3 bytes, must be 16 bytes"),
    (Signal.TRACES, lambda r: _set("trace_id", b"")(_span(r)), "spans[0].trace_id: 0 bytes"),
    (Signal.TRACES, lambda r: _set("span_id", b"\x01" * 9)(_span(r)), "spans[0].span_id: 9 bytes, must be 8 bytes"),
    (Signal.TRACES, lambda r: _set("parent_span_id", b"\x01" * 4)(_span(r)), "spans[0].parent_span_id: 4 bytes, must be 8 bytes or empty"),
    (Signal.TRACES, lambda r: _set("kind", 9)(_span(r)), "spans[0].kind: 9 is not a defined value"),
    (Signal.TRACES, lambda r: _set("code", 7)(_span(r).status), "spans[0].status.code: 7"),
    (Signal.TRACES, lambda r: _span(r).links.add(trace_id=b"\x01" * 16, span_id=b"\x01" * 3), "links[0].span_id: 3 bytes"),
    (Signal.LOGS, lambda r: _set("trace_id", b"\x01" * 15)(_record(r)), "log_records[0].trace_id: 15 bytes, must be 16 bytes or empty"),
    (Signal.LOGS, lambda r: _set("span_id", b"\x01" * 2)(_record(r)), "log_records[0].span_id: 2 bytes"),
    (Signal.LOGS, lambda r: _set("severity_number", 99)(_record(r)), "log_records[0].severity_number: 99"),
    (Signal.METRICS, lambda r: _set("trace_id", b"\x01" * 3)(_exemplar(r)), "exemplars[0].trace_id: 3 bytes"),
    (Signal.METRICS, lambda r: _set("aggregation_temporality", 5)(r.resource_metrics[0].scope_metrics[0].metrics[0].histogram),
     "histogram.aggregation_temporality: 5"),
]


def valid(signal: Signal):
    if signal == Signal.TRACES:
        return EXPECTED[signal](sdk_spans())
    if signal == Signal.LOGS:
        return EXPECTED[signal](sdk_logs())
    return metrics_request("histogram")


@pytest.mark.parametrize("transport", ["grpc", "http-protobuf", "http-json"])
@pytest.mark.parametrize("signal,mutate,message", CASES, ids=[c[2].split(":")[0] for c in CASES])
def test_invalid_ids_and_enums_are_refused_and_the_client_is_served_after(signal, mutate, message, transport):
    bad, good = valid(signal), valid(signal)
    mutate(bad)

    async def body():
        async with running() as (receiver, sink):
            if transport == "grpc":
                async with grpc.aio.insecure_channel(f"127.0.0.1:{receiver.grpc_port}") as channel:
                    stub = STUBS[signal](channel)
                    with pytest.raises(grpc.aio.AioRpcError) as refused:
                        await stub.Export(bad, timeout=10)
                    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
                    assert message in refused.value.details()
                    await stub.Export(good, timeout=10)
            else:
                encoding = JSON if transport == "http-json" else PB
                encode = (lambda r: otlpjson.dumps(r).encode()) if encoding == JSON else (lambda r: r.SerializeToString())
                code, _, raw = await post(receiver.http_port, encode(bad), encoding, path=f"/v1/{signal.value}")
                assert code == 400
                text = json.loads(raw)["message"] if encoding == JSON else status_pb2.Status.FromString(raw).message
                assert message in text
                code, _, _ = await post(receiver.http_port, encode(good), encoding, path=f"/v1/{signal.value}")
                assert code == 200
            assert sink.requests(signal) == [good]  # nothing of the bad request entered the pipeline
            refused = receiver.settings.telemetry.value(f"scrubber_receiver_refused_{signal.item_name}_total",
                                                        {"receiver": "otlp", "transport": transport.split("-")[0]})
            assert refused >= 1

    run(body())


def test_empty_parent_and_log_ids_are_valid():
    request = valid(Signal.LOGS)
    _record(request).trace_id, _record(request).span_id = b"", b""
    spans = valid(Signal.TRACES)
    _span(spans).parent_span_id = b""

    async def body():
        async with running() as (receiver, sink):
            async with grpc.aio.insecure_channel(f"127.0.0.1:{receiver.grpc_port}") as channel:
                await STUBS[Signal.LOGS](channel).Export(request, timeout=10)
                await STUBS[Signal.TRACES](channel).Export(spans, timeout=10)
            assert sink.requests(Signal.LOGS) == [request] and sink.requests(Signal.TRACES) == [spans]

    run(body())
