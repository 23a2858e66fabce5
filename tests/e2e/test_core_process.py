"""Issue 2 end to end: scrubber as a real process, the OTel SDK's own OTLP exporters as
clients, a real OTLP/gRPC backend on loopback. Data arrives unchanged; bad input gets the
right status and the daemon keeps serving; a backend outage loses nothing."""

from __future__ import annotations

import gzip
import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GrpcLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GrpcMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HttpLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HttpMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from scrubber.pdata import Signal, otlpjson
from scrubber.testing import GrpcSink
from scrubber.testing.data import require_fixtures_dir
from tests.support.otlp import flatten
from tests.support.process import ScrubberProcess, free_port

FIXTURES = require_fixtures_dir()
RESOURCE = Resource.create({"service.name": "e2e-app", "cloud.region": "eu-central-1"})


def core_config(sink_endpoint: str, grpc_port: int, http_port: int, out_dir: Path) -> dict:
    pipelines = {
        signal.value: {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["otlp/backend", f"file/{signal.value}"]}
        for signal in Signal
    }
    return {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{grpc_port}", "max_recv_msg_size_mib": 1},
                                             "http": {"endpoint": f"127.0.0.1:{http_port}"}}}},
        "processors": {"batch": {"timeout": "50ms"}},
        "exporters": {
            "otlp/backend": {"endpoint": sink_endpoint, "tls": {"insecure": True}, "timeout": "2s",
                             "retry_on_failure": {"initial_interval": "200ms", "max_interval": "1s", "max_elapsed_time": "60s"}},
            **{f"file/{s.value}": {"path": str(out_dir / f"{s.value}.jsonl")} for s in Signal},
        },
        "service": {"pipelines": pipelines},
    }


@pytest.fixture()
def running(tmp_path):
    sink = GrpcSink()
    sink.start()
    grpc_port, http_port = free_port(), free_port()
    config = core_config(sink.endpoint, grpc_port, http_port, tmp_path / "out")
    with ScrubberProcess(config, tmp_path) as scrubber:
        yield scrubber, sink, grpc_port, http_port
    sink.stop()


def send_with_sdk(transport: str, grpc_port: int, http_port: int):
    """Emit spans, logs and metrics through the SDK's own exporters; return what they encoded."""
    if transport == "grpc":
        target = dict(endpoint=f"127.0.0.1:{grpc_port}", insecure=True)
        span_exporter, log_exporter, metric_exporter = GrpcSpanExporter(**target), GrpcLogExporter(**target), GrpcMetricExporter(**target)
    else:
        base = f"http://127.0.0.1:{http_port}"
        span_exporter = HttpSpanExporter(endpoint=f"{base}/v1/traces")
        log_exporter = HttpLogExporter(endpoint=f"{base}/v1/logs")
        metric_exporter = HttpMetricExporter(endpoint=f"{base}/v1/metrics")

    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider(resource=RESOURCE)
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    tracer_provider.add_span_processor(SimpleSpanProcessor(span_exporter))
    tracer = tracer_provider.get_tracer("e2e")
    with tracer.start_as_current_span("handle_request", attributes={"http.request.method": "GET"}):
        with tracer.start_as_current_span("db.query", attributes={"db.system": "postgresql"}):
            pass

    logs = InMemoryLogRecordExporter()
    logger_provider = LoggerProvider(resource=RESOURCE)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(log_exporter))
    logger_provider.get_logger("e2e").emit(body="request handled", attributes={"outcome": "ok"})

    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(resource=RESOURCE, metric_readers=[reader])
    meter_provider.get_meter("e2e").create_counter("app.requests").add(3, {"route": "/chat"})
    metrics_data = reader.get_metrics_data()
    assert metric_exporter.export(metrics_data).name == "SUCCESS"

    tracer_provider.shutdown()
    logger_provider.shutdown()
    return {
        Signal.TRACES: encode_spans(spans.get_finished_spans()),
        Signal.LOGS: encode_logs(logs.get_finished_logs()),
        Signal.METRICS: encode_metrics(metrics_data),
    }


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_all_three_signals_arrive_downstream_unchanged(running, transport):
    scrubber, sink, grpc_port, http_port = running
    sent = send_with_sdk(transport, grpc_port, http_port)
    for signal, request in sent.items():
        expected = flatten([request])
        assert sink.wait_for_items(signal, 1, timeout=15), f"no {signal} arrived"
        deadline = time.monotonic() + 10
        while flatten(sink.requests[signal]) != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        assert flatten(sink.requests[signal]) == expected, signal
    assert scrubber.metric("scrubber_receiver_accepted_spans_total", transport=transport) == 2


def post(port: int, path: str, body: bytes, content_type: str, method: str = "POST", encoding: str | None = None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body if method == "POST" else None,
                                     method=method, headers={"Content-Type": content_type})
    if encoding:
        request.add_header("Content-Encoding", encoding)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def test_bad_input_gets_the_right_status_and_the_daemon_keeps_serving(running):
    scrubber, sink, grpc_port, http_port = running
    assert post(http_port, "/v1/traces", b"\xff\xfe not protobuf", "application/x-protobuf")[0] == 400
    status, body, _ = post(http_port, "/v1/logs", b'{"resourceLogs": [', "application/json")
    assert status == 400 and body  # a google.rpc.Status saying what is wrong
    assert post(http_port, "/v1/traces", b"{}", "text/plain")[0] == 415
    assert post(http_port, "/v1/traces", b"", "application/json", method="GET")[0] == 405
    assert post(http_port, "/v1/traces", gzip.compress(b"x" * 100) [:-4], "application/x-protobuf", encoding="gzip")[0] == 400

    channel = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
    stub = trace_service_pb2_grpc.TraceServiceStub(channel)
    huge = otlpjson.loads(Signal.TRACES, json.dumps({"resourceSpans": [{"resource": {"attributes": [
        {"key": "blob", "value": {"stringValue": "x" * (2 * 1024 * 1024)}}]}}]}))
    with pytest.raises(grpc.RpcError) as caught:
        stub.Export(huge, timeout=10)
    assert caught.value.code() in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.INVALID_ARGUMENT)
    channel.close()

    sent = send_with_sdk("grpc", grpc_port, http_port)
    assert sink.wait_for_items(Signal.TRACES, 2, timeout=15)
    assert flatten(sink.requests[Signal.TRACES]) == flatten([sent[Signal.TRACES]])
    assert scrubber.proc.poll() is None


def test_backend_outage_of_ten_seconds_loses_nothing(running):
    scrubber, sink, grpc_port, http_port = running
    sink.stop()
    exporter = GrpcSpanExporter(endpoint=f"127.0.0.1:{grpc_port}", insecure=True)
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("outage")
    started = time.monotonic()
    sent = 0
    while time.monotonic() - started < 10:
        with tracer.start_as_current_span(f"during-outage-{sent}"):
            pass
        sent += 1
        time.sleep(0.5)
    assert sink.items[Signal.TRACES] == 0
    sink.start()
    assert sink.wait_for_items(Signal.TRACES, sent, timeout=30), sink.counts()
    time.sleep(1.0)
    names = [s.name for r in sink.requests[Signal.TRACES] for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans]
    assert sorted(names) == sorted(f"during-outage-{i}" for i in range(sent))  # all, none twice
    assert scrubber.metric("scrubber_exporter_sent_spans_total", exporter="otlp/backend") == sent
    provider.shutdown()


def test_fixtures_through_http_json_come_out_of_the_file_exporter_equal(running, tmp_path):
    scrubber, sink, grpc_port, http_port = running
    expected = {signal: [] for signal in Signal}
    for path in sorted(FIXTURES.glob("*/*.jsonl")):
        signal = {"traces": Signal.TRACES, "logs": Signal.LOGS, "metrics": Signal.METRICS}[path.stem]
        for line in path.read_text().splitlines():
            status, body, headers = post(http_port, f"/v1/{signal.value}", line.encode(), "application/json")
            assert status == 200 and headers["Content-Type"].startswith("application/json")
            expected[signal].append(otlpjson.loads(signal, line))
    scrubber.stop()
    for signal, requests in expected.items():
        written = (tmp_path / "out" / f"{signal.value}.jsonl").read_text().splitlines()
        assert flatten([otlpjson.loads(signal, line) for line in written]) == flatten(requests), signal
