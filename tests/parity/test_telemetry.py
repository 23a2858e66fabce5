"""Own telemetry as a Collector operator reads it: a real Prometheus-format scrape of both
endpoints (own metrics and the aggregates connector's) shows each series once, so
`sum(scrubber_pii_detections_total)` equals the detections made; the GenAI provider is one
label whichever convention the app used."""

from __future__ import annotations

import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from scrubber.pdata import Signal
from scrubber.testing import GrpcSink
from tests.parity.conftest import finished_spans, sdk_exporter
from tests.support.process import ScrubberProcess, free_port

SPANS = 12


def config(grpc_port: int, backend: str, aggregates_port: int) -> dict:
    return {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{grpc_port}"}}}},
        "processors": {"pii": {"keys": {"default": {"active": "k1", "keys": {"k1": {"env": "PARITY_KEY"}}}}}},
        "exporters": {"otlp": {"endpoint": backend, "tls": {"insecure": True}}, "debug": {}},
        "connectors": {"aggregates": {"metrics_flush_interval": "1s",
                                      "prometheus": {"endpoint": f"127.0.0.1:{aggregates_port}"}}},
        "service": {"pipelines": {
            "traces": {"receivers": ["otlp"], "processors": ["pii"], "exporters": ["otlp", "aggregates"]},
            "metrics": {"receivers": ["aggregates"], "exporters": ["debug"]},
        }},
    }


def scrape(url: str) -> list:
    with urllib.request.urlopen(url, timeout=5) as response:
        return list(text_string_to_metric_families(response.read().decode()))


def total(families, name: str) -> float:
    return sum(s.value for f in families for s in f.samples if s.name == name)


@pytest.fixture
def running(tmp_path):
    backend = GrpcSink()
    backend.start()
    grpc_port, aggregates_port = free_port(), free_port()
    process = ScrubberProcess(config(grpc_port, backend.endpoint, aggregates_port), tmp_path,
                              env={"PARITY_KEY": "parity-test-key-0123456789abcdef"})
    with process:
        yield process, backend, grpc_port, aggregates_port
    backend.stop()


def test_detections_summed_over_both_endpoints_equal_the_detections_made(running):
    process, backend, grpc_port, aggregates_port = running
    exporter = sdk_exporter(f"127.0.0.1:{grpc_port}")
    for i in range(SPANS):
        spans = finished_spans([f"lookup-{i}"], {"user.email": f"person{i}@example.com",
                                                  "gen_ai.system" if i % 2 else "llm.provider": "openai"})
        assert exporter.export(spans).name == "SUCCESS"
    exporter.shutdown()
    assert backend.wait_for_items(Signal.TRACES, SPANS, timeout=10)
    emails = [kv.value.string_value for r in backend.requests[Signal.TRACES] for rs in r.resource_spans
              for ss in rs.scope_spans for s in ss.spans for kv in s.attributes if kv.key == "user.email"]
    assert len(emails) == SPANS and all(e.startswith("<EMAIL_ADDRESS:k1:") for e in emails)  # SPANS detections made
    time.sleep(1.5)  # one aggregates flush
    own = scrape(f"http://127.0.0.1:{process.metrics_port}/metrics")
    aggregates = scrape(f"http://127.0.0.1:{aggregates_port}/metrics")
    assert total(own, "scrubber_pii_detections_total") + total(aggregates, "scrubber_pii_detections_total") == SPANS
    shared = {f.name for f in own} & {f.name for f in aggregates}
    assert not shared, f"series on both endpoints: {shared}"
    for families in (own, aggregates):
        assert not any(s.name.endswith("_created") for f in families for s in f.samples)
    providers = {s.labels.get("gen_ai_provider_name") for f in aggregates for s in f.samples
                 if s.name == "traces_span_metrics_calls_total"}
    assert providers == {"openai"}  # OTel GenAI's old key and OpenInference's: one label
    assert not any("gen_ai_system" in s.labels for f in aggregates for s in f.samples)
    assert total(own, "process_cpu_seconds_total") > 0 and total(own, "scrubber_build_info") == 1
    sizes = [f for f in own if f.name == "scrubber_processor_batch_batch_send_size"]
    assert sizes == [] or sizes[0].type == "histogram"
