"""The test sinks themselves, including `python -m scrubber.testing.sink` as a process."""

from __future__ import annotations

import json

import grpc
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from scrubber.pdata import Signal, otlpjson
from scrubber.testing import GrpcSink
from scrubber.testing.sink import SinkProcess


def emit_spans(port: int, count: int) -> None:
    exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{port}", insecure=True)
    provider = TracerProvider(resource=Resource.create({"service.name": "sink-test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    for i in range(count):
        with provider.get_tracer("t").start_as_current_span(f"span-{i}"):
            pass
    provider.shutdown()


def test_sink_process_writes_otlp_json_lines(tmp_path):
    out = tmp_path / "received.jsonl"
    sink = SinkProcess(out=str(out)).start()
    emit_spans(sink.grpc_port, 3)
    counts = sink.stop()
    assert counts["items"]["traces"] == 3
    requests = [otlpjson.load_line(line) for line in out.read_text().splitlines()]
    names = [span.name for s, r in requests for rs in r.resource_spans for ss in rs.scope_spans for span in ss.spans]
    assert names == ["span-0", "span-1", "span-2"] and {s for s, _ in requests} == {Signal.TRACES}


def test_sink_process_count_only_serves_counts(tmp_path):
    out = tmp_path / "counts.json"
    with SinkProcess(out=str(out), count_only=True, http=True) as sink:
        emit_spans(sink.grpc_port, 5)
        served = sink.counts()
    assert served["items"]["traces"] == 5 and served["bytes"]["traces"] > 0
    assert json.loads(out.read_text())["items"]["traces"] == 5


def test_grpc_sink_restarts_on_the_same_port_and_injects_faults():
    with GrpcSink() as sink:
        port = sink.port
        sink.stop()
        assert sink.start() == port
        sink.fail_next(1, grpc.StatusCode.UNAVAILABLE)
        emit_spans(port, 1)  # the SDK exporter retries UNAVAILABLE by itself
        assert sink.wait_for_items(Signal.TRACES, 1, timeout=10)
        assert sink.calls[Signal.TRACES] == 2
