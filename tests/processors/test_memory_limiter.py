"""The memory_limiter: above its soft limit new data is refused with a retryable error,
which the receiver answers with gRPC UNAVAILABLE as the Collector does."""

from __future__ import annotations

import asyncio
import logging

import grpc
import pytest
from pydantic import ValidationError

from processors.memory_limiter.config import MemoryLimiterConfig
from processors.memory_limiter.processor import MIB, MemoryLimiter, limits
from scrubber.component import ComponentID, Kind, Settings
from scrubber.config.loader import parse_config
from scrubber.consumer import SinkConsumer
from scrubber.errors import RetryableError
from scrubber.pdata import Signal
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


def test_a_real_receiver_answers_unavailable_while_memory_is_too_high():
    """Limit 1 MiB: any Python process is above it, so every export is refused, retryably."""
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
                return refused.value.code()
        finally:
            await service.shutdown()

    assert asyncio.run(scenario()) == grpc.StatusCode.UNAVAILABLE
