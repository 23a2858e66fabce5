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
    assert results["sink_spans"] > 0
    assert {t["target"] for t in results["targets"]} >= {"peak RSS of all scrubber processes (MiB)"}
    assert "targets:" in done.stdout


def test_saturated_pool_makes_the_grpc_receiver_refuse_with_retry_info(tmp_path):
    """Each request (~80 distinct texts) fits the 120 pending texts alone; eight at once do not.
    (A request that could never fit, even into an empty queue, fails closed instead: retrying
    it would never help.)"""
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
