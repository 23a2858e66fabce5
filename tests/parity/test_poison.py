"""Issue 13 item 3 end to end: one request the backend refuses permanently, merged (by
`sending_queue.batch`) with other clients' acknowledged requests, costs only its own items:
every acknowledged valid span arrives once, the bad one is dropped and counted by reason."""

from __future__ import annotations

import threading

from scrubber.pdata import Signal
from tests.parity.conftest import finished_spans, sdk_exporter
from tests.support.poison import PoisonSink
from tests.support.process import ScrubberProcess, free_port

CLIENTS, SPANS_EACH = 20, 20


def test_a_poison_span_merged_with_other_clients_spans_costs_only_itself(tmp_path):
    backend = PoisonSink()
    backend.start()
    port = free_port()
    config = {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{port}"}}}},
        "processors": {"batch": {"timeout": "10s"}},
        "exporters": {"otlp": {"endpoint": backend.endpoint, "tls": {"insecure": True},
                               "sending_queue": {"batch": {"flush_timeout": "500ms", "min_size": 100000}}}},
        "service": {"pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"], "exporters": ["otlp"]}}},
    }
    results: list[str] = []
    try:
        with ScrubberProcess(config, tmp_path) as process:
            def client(i: int) -> None:
                exporter = sdk_exporter(f"127.0.0.1:{port}")
                names = ["poison"] if i == 0 else [f"c{i}-s{j}" for j in range(SPANS_EACH)]
                results.append(exporter.export(finished_spans(names)).name)
                exporter.shutdown()

            threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS + 1)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(30)
            assert results == ["SUCCESS"] * (CLIENTS + 1)  # all acknowledged (the backend decides later)
            assert backend.wait_for_items(Signal.TRACES, CLIENTS * SPANS_EACH, timeout=20)
            permanent = process.metric("scrubber_exporter_send_failed_spans_total", exporter="otlp", reason="permanent")
            assert permanent == 1
            batches = process.metric("scrubber_exporter_queue_batch_send_size_count", exporter="otlp")
            assert 1 <= batches <= CLIENTS // 2  # the requests were merged, the poison with the others
        names = [s.name for r in backend.requests[Signal.TRACES] for rs in r.resource_spans for ss in rs.scope_spans
                 for s in ss.spans]
        assert sorted(names) == sorted(f"c{i}-s{j}" for i in range(1, CLIENTS + 1) for j in range(SPANS_EACH))
    finally:
        backend.stop()
