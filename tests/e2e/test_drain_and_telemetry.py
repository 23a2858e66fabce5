"""Issue 2 end to end: what was received just before SIGTERM/SIGINT reaches the exporters
(the client is told 200 once the exporters' queues hold it, never held for the batch
timeout (issue 10), and the shutdown drains the queues); the own-telemetry names are on the
metrics endpoint of a running process; health turns 503 as soon as the drain begins."""

from __future__ import annotations

import json
import signal
import threading
import time
import urllib.error
import urllib.request

import pytest

from scrubber.pdata import Signal, otlpjson
from scrubber.testing import GrpcSink
from tests.support.process import ScrubberProcess, free_port


def spans_json(names: list[str]) -> bytes:
    spans = [{"traceId": f"{i + 1:032x}", "spanId": f"{i + 1:016x}", "name": name,
              "startTimeUnixNano": "1", "endTimeUnixNano": "2"} for i, name in enumerate(names)]
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).encode()


def post(port: int, body: bytes) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/traces", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def config(http_port: int, backend: str, out: str, batch_timeout: str = "50ms") -> dict:
    return {
        "receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{http_port}"}}}},
        "processors": {"batch": {"timeout": batch_timeout, "send_batch_size": 100000}},
        "exporters": {
            "file": {"path": out},
            "otlp/backend": {"endpoint": backend, "tls": {"insecure": True}, "timeout": "2s",
                             "retry_on_failure": {"initial_interval": "100ms", "max_interval": "500ms"}},
        },
        "service": {"shutdown_timeout": 5,
                    "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"],
                                             "exporters": ["file", "otlp/backend"]}}},
    }


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_data_accepted_just_before_the_signal_reaches_the_exporters(tmp_path, sig):
    sink = GrpcSink()
    sink.start()
    http_port = free_port()
    out = tmp_path / "traces.jsonl"
    names = [f"before-signal-{i}" for i in range(5)]
    try:
        # a batch timeout of a minute: the client must not wait for it (issue 10)
        sink.delay = 0.5  # a slow backend: the request is still in the otlp queue at the signal
        scrubber = ScrubberProcess(config(http_port, sink.endpoint, str(out), "60s"), tmp_path).start()
        answers: list[int] = []
        client = threading.Thread(target=lambda: answers.append(post(http_port, spans_json(names))))
        started = time.monotonic()
        client.start()
        client.join(10)
        assert answers == [200] and time.monotonic() - started < 1.0
        assert scrubber.stop(sig) == 0, scrubber.stderr()[-2000:]
        written = [otlpjson.loads(Signal.TRACES, line) for line in out.read_text().splitlines()]
        in_file = [s.name for r in written for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans]
        assert sorted(in_file) == names
        assert sink.wait_for_items(Signal.TRACES, len(names), timeout=5), sink.counts()
    finally:
        sink.stop()


def test_own_telemetry_names_and_health_during_drain(tmp_path):
    # A slow backend holds the export in flight, so the drain lasts about as long as its delay.
    # (A backend that is down would not: as in the Collector, retrying stops when shutdown
    # begins, and the drain of an in-memory queue then ends within milliseconds.)
    sink = GrpcSink()
    sink.start()
    sink.delay = 1.5
    http_port = free_port()
    scrubber = ScrubberProcess(config(http_port, sink.endpoint, str(tmp_path / "t.jsonl")), tmp_path).start()
    try:
        assert post(http_port, spans_json(["a", "b"])) == 200
        assert post(http_port, b"{not json") == 400
        text = scrubber.metrics()
        for name in ("scrubber_receiver_accepted_spans_total", "scrubber_receiver_refused_spans_total",
                     "scrubber_exporter_sent_spans_total", "scrubber_exporter_send_failed_spans_total",
                     "scrubber_exporter_queue_size"):
            assert f"\n# TYPE {name} " in text, name
        assert scrubber.metric("scrubber_receiver_accepted_spans_total") == 2
        assert 'scrubber_exporter_queue_size{exporter="otlp/backend"}' in text
        assert scrubber.ready()
        codes: list[int] = []
        stopper = threading.Thread(target=scrubber.stop)
        stopper.start()
        while stopper.is_alive() and len(codes) < 200:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{scrubber.health_port}/", timeout=1) as response:
                    codes.append(response.status)
            except urllib.error.HTTPError as error:
                codes.append(error.code)
            except OSError:
                pass
            time.sleep(0.05)
        stopper.join()
        # the first poll may land before the signal does; every later one is during the drain
        assert codes.count(503) >= 3 and 200 not in codes[1:], codes
        assert sink.wait_for_items(Signal.TRACES, 2, timeout=5), sink.counts()
    finally:
        scrubber.stop()
        sink.stop()
