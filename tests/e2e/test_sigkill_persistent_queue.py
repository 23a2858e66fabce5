"""Nothing acknowledged is lost, even when scrubber is killed with SIGKILL: with
`sending_queue.storage`, every request the receiver acknowledged while the backend was down
is on disk, and a restarted scrubber delivers it."""

from __future__ import annotations

import signal

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from scrubber.pdata import Signal
from scrubber.testing import GrpcSink
from tests.support.process import ScrubberProcess, free_port


def config(grpc_port: int, sink_endpoint: str, queue_dir: str) -> dict:
    return {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{grpc_port}"}}}},
        "exporters": {"otlp": {"endpoint": sink_endpoint, "tls": {"insecure": True}, "timeout": "1s",
                               "sending_queue": {"storage": queue_dir},
                               "retry_on_failure": {"initial_interval": "200ms", "max_interval": "1s"}}},
        "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["otlp"]}}},
    }


def test_acknowledged_spans_survive_sigkill_and_arrive_after_restart(tmp_path):
    sink = GrpcSink()
    sink.start()
    sink.stop()  # the backend is down: the port is known, nothing answers
    grpc_port = free_port()
    body = config(grpc_port, sink.endpoint, str(tmp_path / "queue"))

    scrubber = ScrubberProcess(body, tmp_path).start()
    provider = TracerProvider(resource=Resource.create({"service.name": "sigkill"}))
    exporter = OTLPSpanExporter(endpoint=f"127.0.0.1:{grpc_port}", insecure=True)
    names = [f"acked-{i}" for i in range(20)]
    tracer = provider.get_tracer("sigkill")
    results = []
    for name in names:
        with tracer.start_as_current_span(name) as span:
            pass
        results.append(exporter.export([span]).name)
    assert results == ["SUCCESS"] * len(names)  # every one acknowledged
    assert scrubber.stop(signal.SIGKILL) == -signal.SIGKILL
    assert sink.items[Signal.TRACES] == 0

    sink.start()
    with ScrubberProcess(body, tmp_path):
        assert sink.wait_for_items(Signal.TRACES, len(names), timeout=30), sink.counts()
    received = sorted(s.name for r in sink.requests[Signal.TRACES] for rs in r.resource_spans
                      for ss in rs.scope_spans for s in ss.spans)
    sink.stop()
    provider.shutdown()
    assert received == sorted(names)
