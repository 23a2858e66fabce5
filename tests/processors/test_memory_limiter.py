"""The memory_limiter: above its soft limit new data is refused with a retryable error carrying
a back-off (RESOURCE_EXHAUSTED + RetryInfo / 429 + Retry-After), decided for every request rather
than once per check_interval; limits come from the cgroup (v2 memory.max, v1
memory.limit_in_bytes), host memory only when the cgroup is unlimited."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import grpc
import psutil
import pytest
from google.rpc import error_details_pb2, status_pb2
from pydantic import ValidationError

from scrubber.component import ComponentID, Kind, Settings
from scrubber.config.loader import parse_config
from scrubber.consumer import SinkConsumer
from scrubber.errors import ResourceExhaustedError, RetryableError
from scrubber.pdata import Signal
from scrubber.processors.memory_limiter.config import MemoryLimiterConfig
from scrubber.processors.memory_limiter.gate import SHARED_NAME
from scrubber.processors.memory_limiter.memory import cgroup_limit, release_memory, total_memory
from scrubber.processors.memory_limiter.processor import MIB, MemoryLimiter, limits
from scrubber.service.run import Service
from scrubber.service.telemetry import Telemetry
from scrubber.testing.data import synthetic_request
from tests.support.process import free_port


def limiter(used_mib: list[int], **config) -> tuple[MemoryLimiter, SinkConsumer, Telemetry]:
    telemetry, sink = Telemetry(), SinkConsumer()
    settings = Settings(ComponentID("memory_limiter"), Kind.PROCESSOR, logging.getLogger("t"), telemetry, "traces")
    body = {"limit_mib": 100, "check_interval": "10ms", **config}
    processor = MemoryLimiter(settings, MemoryLimiterConfig.model_validate(body), Signal.TRACES, sink,
                              measure=lambda: used_mib[0] * MIB)
    return processor, sink, telemetry


def test_refuses_above_the_soft_limit_and_accepts_again_below():
    used = [10]
    processor, sink, telemetry = limiter(used)

    async def scenario():
        await processor.start(None)
        await processor.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 2))
        used[0] = 90  # soft limit = 100 - 20% spike = 80 MiB
        await asyncio.sleep(0.05)
        with pytest.raises(RetryableError):
            await processor.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 3))
        used[0] = 10
        await asyncio.sleep(0.05)
        await processor.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1))
        await processor.shutdown(1.0)

    asyncio.run(scenario())
    assert len(sink.received) == 2
    assert telemetry.value("scrubber_processor_refused_items_total",
                           {"processor": "memory_limiter", "pipeline": "traces", "signal": "traces"}) == 3


def test_limits_from_mib_and_from_percentage():
    assert limits(MemoryLimiterConfig(limit_mib=1000, spike_limit_mib=100)) == (900 * MIB, 1000 * MIB)
    soft, hard = limits(MemoryLimiterConfig(limit_percentage=50, spike_limit_percentage=10))
    assert 0 < soft < hard


@pytest.mark.parametrize("body,message", [
    ({}, "limit_mib or limit_percentage"),
    ({"limit_mib": 100, "spike_limit_mib": 100}, "spike_limit_mib"),
    ({"limit_mib": 100, "check_interval": "0s"}, "check_interval"),
])
def test_invalid_configs(body, message):
    with pytest.raises(ValidationError, match=message):
        MemoryLimiterConfig.model_validate(body)


def test_a_real_receiver_answers_resource_exhausted_with_retry_info_while_memory_is_too_high():
    """Limit 1 MiB: any Python process is above it, so every export is refused, retryably,
    with a back-off, and over HTTP before the body is read (429 + Retry-After)."""
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

    port = free_port()
    config = parse_config({
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{port}"}}}},
        "processors": {"memory_limiter": {"limit_mib": 1, "check_interval": "100ms"}},
        "exporters": {"debug": {}},
        "service": {"telemetry": {"metrics": {"address": None}},
                    "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["memory_limiter"], "exporters": ["debug"]}}},
    }, environ={})

    async def scenario():
        service = Service(config)
        await service.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = trace_service_pb2_grpc.TraceServiceStub(channel)
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await stub.Export(synthetic_request(Signal.TRACES, 2), timeout=10)
                details = dict(refused.value.trailing_metadata() or ()).get("grpc-status-details-bin")
                return refused.value.code(), details
        finally:
            await service.shutdown()

    code, details = asyncio.run(scenario())
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    status = status_pb2.Status.FromString(details)
    info = error_details_pb2.RetryInfo()
    assert status.details[0].Unpack(info) and info.retry_delay.seconds >= 1


def test_reacts_within_the_request_path_not_once_per_interval():
    """check_interval 1 h: the periodic check never runs again, yet the next request sees the spike
    and the one after the drop."""
    used = [10]
    processor, sink, _ = limiter(used, check_interval="1h")

    async def scenario():
        await processor.start(None)
        used[0] = 95
        await asyncio.sleep(0.02)  # the gate re-measures at most every 10 ms
        with pytest.raises(ResourceExhaustedError) as refused:
            await processor.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1))
        assert refused.value.retry_after >= 1.0
        used[0] = 10
        await asyncio.sleep(0.02)
        await processor.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1))
        await processor.shutdown(1.0)

    asyncio.run(scenario())
    assert len(sink.received) == 1


def test_limiters_of_all_pipelines_share_one_gate_with_the_lowest_limits():
    shared: dict = {}
    made = []
    for pipeline, mib in (("traces", 300), ("logs", 200)):
        settings = Settings(ComponentID("memory_limiter"), Kind.PROCESSOR, logging.getLogger("t"), Telemetry(), pipeline, shared)
        made.append(MemoryLimiter(settings, MemoryLimiterConfig(limit_mib=mib), Signal.TRACES, SinkConsumer()))
    gate = shared[SHARED_NAME]
    assert made[0].gate is made[1].gate is gate
    assert (gate.soft, gate.hard) == (160 * MIB, 200 * MIB)
    assert gate.refusal() is None or gate.refusal() >= 1.0  # whatever this test process uses, an answer


def _fake_cgroup(tmp_path: Path, files: dict[str, str], self_cgroup: str) -> tuple[Path, Path]:
    root = tmp_path / "sys_fs_cgroup"
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    proc = tmp_path / "proc_self_cgroup"
    proc.write_text(self_cgroup)
    return root, proc


@pytest.mark.parametrize("files,self_cgroup,expected", [
    # cgroup v2: our own cgroup's memory.max
    ({"kubepods/pod1/memory.max": "1073741824\n", "memory.max": "max\n"}, "0::/kubepods/pod1\n", 1024 * MIB),
    # v2 inside a container: the namespace root is our cgroup
    ({"memory.max": "536870912\n"}, "0::/\n", 512 * MIB),
    ({"memory.max": "max\n"}, "0::/\n", None),
    # cgroup v1: memory.limit_in_bytes of the memory controller's path
    ({"memory/docker/abc/memory.limit_in_bytes": "268435456\n"}, "4:memory:/docker/abc\n0::/\n", 256 * MIB),
    ({"memory/memory.limit_in_bytes": "9223372036854771712\n"}, "4:memory:/\n", None),  # v1 unlimited
    ({}, "0::/\n", None),  # no cgroup files at all
])
def test_cgroup_limit_from_fake_cgroup_files(tmp_path, files, self_cgroup, expected):
    root, proc = _fake_cgroup(tmp_path, files, self_cgroup)
    assert cgroup_limit(root, proc) == expected


def test_percentages_are_of_the_cgroup_limit_and_of_host_memory_only_when_unlimited(tmp_path):
    limited = _fake_cgroup(tmp_path / "a", {"memory.max": str(1024 * MIB)}, "0::/\n")
    assert total_memory(*limited) == 1024 * MIB
    unlimited = _fake_cgroup(tmp_path / "b", {"memory.max": "max"}, "0::/\n")
    assert total_memory(*unlimited) == psutil.virtual_memory().total
    config = MemoryLimiterConfig(limit_percentage=50, spike_limit_percentage=10)
    total = 1024 * MIB
    assert limits(config, total_memory(*limited)) == (total // 2 - total // 10, total // 2)


def test_memory_given_back_after_a_burst():
    """The allocator is tuned so that a large buffer freed is a drop in RSS, not heap kept for later."""
    process = psutil.Process()
    release_memory()
    before = process.memory_info().rss
    blobs = [bytearray(8 * MIB) for _ in range(16)]
    grown = process.memory_info().rss
    del blobs
    release_memory()
    after = process.memory_info().rss
    assert grown - before > 100 * MIB
    assert after - before < 32 * MIB


def test_counts_items_in_and_out_through_the_processor_helper():
    """Built on ProcessorHelper like every per-request processor: refused items are counted coming
    in, never going out, so the two counters show what the limiter held back."""
    used = [10]
    processor, sink, telemetry = limiter(used)
    labels = {"processor": "memory_limiter", "pipeline": "traces", "signal": "traces"}

    async def scenario():
        await processor.start(None)
        await processor.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 2))
        used[0] = 90
        await asyncio.sleep(0.05)  # past the gate's 10 ms measurement cache
        with pytest.raises(ResourceExhaustedError):
            await processor.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 3))
        await processor.shutdown(1.0)
        await processor.shutdown(1.0)  # idempotent

    asyncio.run(scenario())
    assert len(sink.received) == 1 and processor.mutates_data is False
    assert telemetry.value("scrubber_processor_incoming_items_total", labels) == 5
    assert telemetry.value("scrubber_processor_outgoing_items_total", labels) == 2
