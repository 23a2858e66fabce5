"""The test sinks themselves, including `python -m scrubber.testing.sink` as a process."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

import grpc
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from scrubber.pdata import Signal, otlpjson
from scrubber.testing import GrpcSink


def start_sink(*args: str) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen([sys.executable, "-m", "scrubber.testing.sink", "--port", "0", *args],
                               stdout=subprocess.PIPE, text=True)
    ports = json.loads(process.stdout.readline())
    return process, ports


def emit_spans(port: int, count: int) -> None:
    exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{port}", insecure=True)
    provider = TracerProvider(resource=Resource.create({"service.name": "sink-test"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    for i in range(count):
        with provider.get_tracer("t").start_as_current_span(f"span-{i}"):
            pass
    provider.shutdown()


def stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=10)
    assert process.returncode == 0
    return out


def test_sink_process_writes_otlp_json_lines(tmp_path):
    out = tmp_path / "received.jsonl"
    process, ports = start_sink("--out", str(out))
    emit_spans(ports["grpc"], 3)
    counts = json.loads(stop(process).strip().splitlines()[-1])
    assert counts["items"]["traces"] == 3
    requests = [otlpjson.load_line(line) for line in out.read_text().splitlines()]
    names = [span.name for s, r in requests for rs in r.resource_spans for ss in rs.scope_spans for span in ss.spans]
    assert names == ["span-0", "span-1", "span-2"] and {s for s, _ in requests} == {Signal.TRACES}


def test_sink_process_count_only_serves_counts(tmp_path):
    out = tmp_path / "counts.json"
    process, ports = start_sink("--count-only", "--http-port", "0", "--out", str(out))
    try:
        emit_spans(ports["grpc"], 5)
        served = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{ports['http']}/counts", timeout=5).read())
    finally:
        stop(process)
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
