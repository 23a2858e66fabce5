"""The throughput benchmark end to end on tiny settings, and a real scrubber process whose
saturated detection pool makes the gRPC receiver refuse with RESOURCE_EXHAUSTED."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from benchmarks.throughput import references
from benchmarks.throughput.loadgen import EXPORT
from benchmarks.throughput.procs import Scrubber, Sink
from benchmarks.throughput.workloads import generate

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_benchmark_runs_end_to_end_on_tiny_settings(tmp_path):
    command = [sys.executable, "-m", "benchmarks.throughput", "--quick", "--duration", "2", "--naive-seconds", "1",
               "--workloads", "plain,genai-chat", "--loadgens", "1", "--out", str(tmp_path)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "throughput.json").read_text())
    assert (tmp_path / "throughput.png").stat().st_size > 10_000
    for name in ("plain", "genai-chat"):
        row = results["workloads"][name]
        assert row["max"]["spans_per_s"] > 0 and row["naive"]["spans_per_s"] > 0 and row["floor"]["spans_per_s"] > 0
        assert row["max"]["peak_rss_mib"] > 0
        assert row["max"]["warm_up"]["spans_per_s"] > 0  # the timed phases follow a warm-up on other conversations
    assert results["sink_spans"] > 0
    assert {t["target"] for t in results["targets"]} >= {"peak RSS of all scrubber processes (MiB)"}
    assert "targets:" in done.stdout


def test_saturated_pool_makes_the_grpc_receiver_refuse_with_retry_info(tmp_path):
    """Each request (~80 distinct texts) fits the 120 pending texts alone; eight at once do not.
    (A request that could never fit, even into an empty queue, is refused as permanent instead:
    retrying it would never help; see the test below.)"""
    from concurrent.futures import ThreadPoolExecutor

    sink = Sink()
    scrubber = Scrubber(tmp_path, sink.grpc, workers=1, max_pending=120)
    try:
        scrubber.wait_ready()
        batches = generate("genai-unique", 8, 10, seed=5)
        with grpc.insecure_channel(scrubber.grpc) as channel:
            call = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)

            def send(batch):
                try:
                    call(batch.payload, timeout=30)
                    return None
                except grpc.RpcError as error:
                    return error
            with ThreadPoolExecutor(len(batches)) as threads:
                errors = [e for e in threads.map(send, batches) if e is not None]
        assert errors, "eight requests at once overflow the pending texts"
        for error in errors:
            assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            details = dict(error.trailing_metadata()).get("grpc-status-details-bin")
            status = status_pb2.Status.FromString(details)
            info = error_details_pb2.RetryInfo()
            assert any(d.Unpack(info) for d in status.details) and info.retry_delay.ToNanoseconds() > 0
        assert scrubber.metric("scrubber_detection_refused_texts_total") > 0
    finally:
        scrubber.stop()
        sink.stop()


def test_a_request_the_idle_pool_could_never_take_is_refused_as_permanent(tmp_path):
    """Issue 13: a request with more distinct texts than the pool's whole pending queue is
    answered INVALID_ARGUMENT (HTTP 400) at once, not RESOURCE_EXHAUSTED (the client would retry
    it forever) and not accepted as a husk of redacted fields; the next request is served."""
    sink = Sink()
    scrubber = Scrubber(tmp_path, sink.grpc, workers=1, max_pending=120)
    try:
        scrubber.wait_ready()
        (huge,) = generate("genai-unique", 1, 40, seed=9)  # ~320 distinct texts > 120
        (small,) = generate("genai-unique", 1, 2, seed=10)
        with grpc.insecure_channel(scrubber.grpc) as channel:
            call = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
            with pytest.raises(grpc.RpcError) as refused:
                call(huge.payload, timeout=30)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "even when idle" in refused.value.details()
            call(small.payload, timeout=30)
    finally:
        scrubber.stop()
        sink.stop()


def test_world_workloads_have_the_shapes_real_genai_traffic_has():
    """The second generator's shapes (issue 14 item 4): context concatenated into ONE system part
    whose chunks recur in other combinations, retrieval documents as attributes, a history that
    grows, GenAI log events sent as OTLP logs, a mixed service with a minority of GenAI spans."""
    concat = [references.parse(b) for b in generate("world-rag-concat", 8, 10, seed=1)]
    systems = [json.loads(kv.value.string_value)[0] for r in concat for span in r.resource_spans[0].scope_spans[0].spans
               for kv in span.attributes if kv.key == "gen_ai.input.messages"]
    assert all(m["role"] == "system" and len(m["parts"]) == 1 for m in systems)
    chunks = [c for m in systems for c in m["parts"][0]["content"].split("\n\n")[1:]]
    assert len(chunks) == 3 * len(systems)
    assert len(set(chunks)) < len(chunks), "RAG chunks recur across requests"
    assert len({m["parts"][0]["content"] for m in systems}) > len(systems) // 2, "in new combinations"

    docs = references.parse(generate("world-rag-docs", 1, 10, seed=1)[0]).resource_spans[0].scope_spans[0].spans[0]
    assert sum(kv.key.endswith(".document.content") for kv in docs.attributes) == 4

    turns = [sum(kv.key.endswith(".content") and kv.key.startswith("gen_ai.prompt.") for kv in span.attributes)
             for b in generate("world-multi-turn", 4, 10, seed=1)
             for span in references.parse(b).resource_spans[0].scope_spans[0].spans]
    assert max(turns) >= 5, "histories grow turn by turn"

    logs = generate("world-logs", 2, 20, seed=1)
    assert all(b.signal == "logs" for b in logs)
    records = references.parse(logs[0]).resource_logs[0].scope_logs[0].log_records
    assert {r.event_name for r in records} >= {"gen_ai.user.message", "gen_ai.choice"}
    assert any(kv.key == "content" for kv in records[0].body.kvlist_value.values)

    mixed = [span for b in generate("world-mixed", 4, 100, seed=1)
             for span in references.parse(b).resource_spans[0].scope_spans[0].spans]
    genai = sum(span.name.startswith("chat ") for span in mixed)
    assert 0 < genai < len(mixed) // 8

    unique = generate("world-unique", 4, 10, seed=1)
    texts = [kv.value.string_value for b in unique for span in references.parse(b).resource_spans[0].scope_spans[0].spans
             for kv in span.attributes if kv.key == "gen_ai.input.messages"]
    parts = [json.loads(t)[0]["parts"][0]["content"] for t in texts]
    pieces = [p for text in parts for p in text.split("\n\n")]
    assert len(set(pieces)) == len(pieces), "the worst case repeats nothing"


@pytest.mark.slow
def test_real_collector_reference_masks_emails_and_ips_in_plain_spans(tmp_path):
    """The benchmark's reference is really the Collector's redaction processor at work: built from the
    Go module proxy (cached), it forwards every plain span and none of the e-mails or IPs it was sent."""
    import re
    import shutil
    import time

    from benchmarks.collector import Collector
    from benchmarks.collector.build import build
    from benchmarks.throughput.procs import free_port

    if shutil.which("go") is None and not (REPO / ".cache" / "collector").exists():
        pytest.skip("the Go toolchain is needed to build the reference Collector")
    binary = build(quiet=True)
    out = tmp_path / "received.jsonl"
    sink = subprocess.Popen([sys.executable, "-m", "scrubber.testing.sink", "--port", "0", "--out", str(out)],
                            stdout=subprocess.PIPE, text=True)
    collector = None
    try:
        ports = json.loads(sink.stdout.readline())
        collector = Collector(binary, tmp_path, "redaction", f"127.0.0.1:{ports['grpc']}", free_port())
        collector.wait_ready()
        batch = generate("plain", 1, 30, seed=9)[0]
        sent = batch.payload.decode("latin-1")
        emails = set(re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", sent))
        assert emails
        with grpc.insecure_channel(collector.grpc) as channel:
            channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)(batch.payload, timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (out.exists() and out.read_text().strip()):
            time.sleep(0.2)
        received = out.read_text()
        assert received.count('"spanId"') == 30
        assert not any(e in received for e in emails)
        assert not re.search(r'"client\.address".{0,60}"stringValue":\s*"\d+\.\d+\.\d+\.\d+"', received)
    finally:
        if collector is not None:
            collector.stop()
        sink.terminate()
        sink.wait(10)
