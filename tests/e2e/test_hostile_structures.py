"""Issue 13, well-formed requests that once broke scrubber, against config/federated.yaml as a
real process with four real OTLP/gRPC backends, over gRPC and HTTP (protobuf and JSON):

- every metric type (gauge, sum, histogram, exponential histogram, summary) passes memory_limiter,
  residency, the router, pii (IN's pseudonymized path, exemplars and the merge of points whose
  attributes became equal), batch, aggregates and the egress guard, and reaches its backend;
- the 107-byte exponential histogram (offsets 0 and -2^31) costs nothing and kills nothing;
- JSON nested a thousand deep in `gen_ai.input.messages` or a log body is redacted (fail
  closed), never an internal error.
"""

from __future__ import annotations

import time

import psutil
import pytest

from scrubber.pdata import Signal, otlpjson
from scrubber.testing.grpc_sink import GrpcSink
from tests.fuzz.federated import REGIONS, Federated
from tests.fuzz.payloads import DEEP_EMAIL, METRIC_KINDS, deep_json_log, deep_json_span, exponential_bomb, metrics_request


@pytest.fixture(scope="module")
def federated(tmp_path_factory):
    with Federated(tmp_path_factory.mktemp("hostile")) as running:
        yield running.process, running.sinks, running, running.http_port


def send(federated, transport: str, signal: Signal, request) -> None:
    outcome = federated[2].send(transport, signal, request)
    assert outcome.kind == "ok", outcome


def send_grpc(running: Federated, signal: Signal, request) -> None:
    outcome = running.send("grpc", signal, request)
    assert outcome.kind == "ok", outcome


def _metric_names(sink: GrpcSink) -> set[str]:
    return {metric.name for request in sink.requests[Signal.METRICS] for group in request.resource_metrics
            for scope in group.scope_metrics for metric in scope.metrics}


def _wait(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.1)
    return condition()


def _text(sink: GrpcSink, signal: Signal) -> str:
    return "".join(otlpjson.dumps(r) for r in sink.requests[signal])


@pytest.mark.parametrize("transport", ["grpc", "http-protobuf", "http-json"])
def test_every_metric_type_passes_every_processor(federated, transport):
    scrubber, sinks, _, _ = federated
    for sink in sinks.values():
        sink.reset()
    for region in REGIONS.values():
        for kind in METRIC_KINDS:
            send(federated, transport, Signal.METRICS, metrics_request(kind, region))
    for jurisdiction in REGIONS:
        sink = sinks[jurisdiction]
        wanted = {f"hostile.{kind}" for kind in METRIC_KINDS}
        assert _wait(lambda sink=sink, wanted=wanted: wanted <= _metric_names(sink)), (jurisdiction, _metric_names(sink))
    in_text = _text(sinks["in"], Signal.METRICS)
    assert "user-4711" not in in_text and "exemplar.person@example.com" not in in_text  # IN: pseudonymized
    assert "user-4711" in _text(sinks["eu"], Signal.METRICS)  # EU: full data regionally
    assert "user-4711" not in _text(sinks["global"], Signal.METRICS)
    assert scrubber.proc.poll() is None


@pytest.mark.parametrize("offset", [-2**31, 2**31 - 1, 20_000_000])
def test_exponential_histogram_offsets_far_apart_cost_nothing(federated, offset):
    scrubber, sinks, channel, _ = federated
    request = exponential_bomb(offset)
    request.resource_metrics[0].resource.attributes.add(key="cloud.region").value.string_value = "ap-south-1"
    assert len(exponential_bomb().SerializeToString()) < 120
    before = psutil.Process(scrubber.proc.pid).memory_info().rss
    send_grpc(channel, Signal.METRICS, request)
    assert sinks["in"].wait_for_items(Signal.METRICS, 1, timeout=20)
    grown = psutil.Process(scrubber.proc.pid).memory_info().rss - before
    assert grown < 64 * 1024 * 1024, f"RSS grew by {grown / 2**20:.0f} MiB"
    assert scrubber.ready()


@pytest.mark.parametrize("transport", ["grpc", "http-protobuf", "http-json"])
@pytest.mark.parametrize("jurisdiction", ["in", "us"])
def test_deep_json_in_strings_is_redacted_not_an_error(federated, transport, jurisdiction):
    scrubber, sinks, _, _ = federated
    for sink in sinks.values():
        sink.reset()
    send(federated, transport, Signal.TRACES, deep_json_span(REGIONS[jurisdiction]))
    send(federated, transport, Signal.LOGS, deep_json_log(REGIONS[jurisdiction]))
    target = sinks["in"] if jurisdiction == "in" else sinks["global"]  # the pii-processed copies
    assert target.wait_for_items(Signal.TRACES, 1, timeout=20) and target.wait_for_items(Signal.LOGS, 1, timeout=20)
    for signal in (Signal.TRACES, Signal.LOGS):
        text = _text(target, signal)
        assert DEEP_EMAIL not in text, signal
    # gen_ai.input.messages holds JSON: too deep to walk is invalid JSON, redacted whole (fail closed);
    # a log body is content: scanned as text, so the e-mail inside is still found
    assert "[[[[" not in _text(target, Signal.TRACES)
    assert "Traceback" not in scrubber.stderr() and "RecursionError" not in scrubber.stderr()


def test_one_large_request_does_not_stall_the_server_or_its_health_endpoint(federated):
    """A 15 MiB body (decoded and scrubbed on IN's pii path) while the health endpoint is polled:
    every poll answers within a second (issue 13 saw 3-5 s stalls)."""
    import threading

    scrubber, sinks, running, _ = federated
    request = deep_json_span(REGIONS["in"], text="plain words " * (15 * 2**20 // 12))
    latencies, done = [], threading.Event()

    def poll() -> None:
        while not done.is_set():
            started = time.monotonic()
            assert scrubber.ready()
            latencies.append(time.monotonic() - started)
            time.sleep(0.05)
    poller = threading.Thread(target=poll)
    poller.start()
    try:
        outcome = running.send("http-protobuf", Signal.TRACES, request, timeout=60)
    finally:
        done.set()
        poller.join()
    assert outcome.kind in ("ok", "retry", "too_large"), outcome
    assert latencies and max(latencies) < 1.0, f"health endpoint took {max(latencies):.2f} s"
