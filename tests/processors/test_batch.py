"""The batch processor: merges by size and time, answers only once downstream accepted,
hands downstream errors back to every caller of the batch, flushes on shutdown."""

from __future__ import annotations

import asyncio
import logging

import pytest
from pydantic import ValidationError

from processors.batch.config import BatchConfig
from processors.batch.processor import BatchProcessor
from scrubber.component import ComponentID, Kind, Settings
from scrubber.consumer import SinkConsumer
from scrubber.errors import RetryableError
from scrubber.pdata import Signal, item_count
from scrubber.service.telemetry import Telemetry
from scrubber.testing.data import synthetic_request


def make(sink, **config) -> BatchProcessor:
    settings = Settings(ComponentID("batch"), Kind.PROCESSOR, logging.getLogger("t"), Telemetry(), "traces")
    return BatchProcessor(settings, BatchConfig.model_validate(config), Signal.TRACES, sink)


class FailingSink(SinkConsumer):
    async def consume(self, signal, request):
        raise RetryableError("queue full")


def test_concurrent_requests_are_merged_once_the_size_is_reached():
    async def scenario():
        sink = SinkConsumer()
        batch = make(sink, send_batch_size=6, timeout="10s")
        await asyncio.gather(*(batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 3)) for _ in range(2)))
        return sink

    sink = asyncio.run(scenario())
    assert len(sink.received) == 1 and item_count(sink.received[0][1]) == 6


def test_a_lone_request_leaves_after_the_timeout():
    async def scenario():
        sink = SinkConsumer()
        batch = make(sink, send_batch_size=1000, timeout="50ms")
        started = asyncio.get_running_loop().time()
        await batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 2))
        return sink, asyncio.get_running_loop().time() - started

    sink, waited = asyncio.run(scenario())
    assert item_count(sink.received[0][1]) == 2
    assert 0.04 <= waited < 2.0


def test_a_downstream_refusal_reaches_every_caller_of_the_batch():
    async def scenario():
        batch = make(FailingSink(), send_batch_size=4, timeout="10s")
        return await asyncio.gather(*(batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 2)) for _ in range(2)),
                                    return_exceptions=True)

    outcomes = asyncio.run(scenario())
    assert all(isinstance(o, RetryableError) for o in outcomes)


def test_send_batch_max_size_splits_at_resource_groups():
    async def scenario():
        sink = SinkConsumer()
        batch = make(sink, send_batch_size=4, send_batch_max_size=4, timeout="100ms")
        await asyncio.gather(*(batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 3)) for _ in range(3)))
        return sink

    sink = asyncio.run(scenario())
    sizes = [item_count(r) for _, r in sink.received]
    assert sum(sizes) == 9 and max(sizes) <= 4 and len(sizes) == 3  # 6 merged, split 3 + 3; then 3


def test_shutdown_flushes_what_is_buffered():
    async def scenario():
        sink = SinkConsumer()
        batch = make(sink, send_batch_size=1000, timeout="60s")
        waiting = asyncio.ensure_future(batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 5)))
        await asyncio.sleep(0.05)
        await batch.shutdown(5.0)
        await waiting
        return sink

    assert item_count(asyncio.run(scenario()).received[0][1]) == 5


def test_max_size_below_size_is_a_config_error():
    with pytest.raises(ValidationError, match="send_batch_max_size"):
        BatchConfig.model_validate({"send_batch_size": 100, "send_batch_max_size": 10})
