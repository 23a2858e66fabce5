"""The batch processor: never holds a caller for its timer, merges what arrives while
downstream is busy, answers each caller with downstream's answer, splits a merged batch
that downstream refuses permanently, flushes on shutdown."""

from __future__ import annotations

import asyncio
import logging

import pytest
from pydantic import ValidationError

from scrubber.component import ComponentID, Kind, Settings
from scrubber.consumer import SinkConsumer
from scrubber.errors import PermanentError, RetryableError
from scrubber.pdata import Signal, item_count
from scrubber.processors.batch.config import BatchConfig
from scrubber.processors.batch.processor import MAX_IN_FLIGHT, BatchProcessor
from scrubber.service.telemetry import Telemetry
from scrubber.testing.data import synthetic_request


def make(sink, telemetry: Telemetry | None = None, **config) -> BatchProcessor:
    settings = Settings(ComponentID("batch"), Kind.PROCESSOR, logging.getLogger("t"), telemetry or Telemetry(), "traces")
    return BatchProcessor(settings, BatchConfig.model_validate(config), Signal.TRACES, sink)


class FailingSink(SinkConsumer):
    async def consume(self, signal, request):
        raise RetryableError("queue full")


class SlowSink(SinkConsumer):
    """Takes `delay` seconds to accept, like a busy downstream processor."""

    def __init__(self, delay: float):
        super().__init__()
        self.delay = delay

    async def consume(self, signal, request):
        await asyncio.sleep(self.delay)
        await super().consume(signal, request)


class PoisonSink(SinkConsumer):
    """Refuses permanently any request holding a span named 'poison'; slow to accept."""

    async def consume(self, signal, request):
        await asyncio.sleep(0.1)
        names = [s.name for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]
        if "poison" in names:
            raise PermanentError("backend: invalid span")
        await super().consume(signal, request)


def test_a_caller_is_answered_without_waiting_for_a_long_timeout():
    async def scenario():
        sink = SinkConsumer()
        batch = make(sink, send_batch_size=8192, timeout="10s")
        started = asyncio.get_running_loop().time()
        await batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 2))
        return sink, asyncio.get_running_loop().time() - started

    sink, waited = asyncio.run(scenario())
    assert item_count(sink.received[0][1]) == 2
    assert waited < 0.5


def test_requests_arriving_while_downstream_is_busy_are_merged_and_leave_when_a_slot_frees():
    async def scenario():
        sink = SlowSink(0.2)
        batch = make(sink, send_batch_size=8192, timeout="10s")
        started = asyncio.get_running_loop().time()
        calls = [batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1)) for _ in range(MAX_IN_FLIGHT + 6)]
        await asyncio.gather(*calls)
        return sink, asyncio.get_running_loop().time() - started

    sink, waited = asyncio.run(scenario())
    sizes = sorted(item_count(r) for _, r in sink.received)
    assert sizes == [1] * MAX_IN_FLIGHT + [6]  # the first go alone, the rest as one batch
    assert waited < 1.0  # two downstream round trips, never the 10 s timer


def test_a_downstream_refusal_reaches_every_caller_of_the_batch():
    async def scenario():
        batch = make(FailingSink(), send_batch_size=4, timeout="10s")
        return await asyncio.gather(*(batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 2)) for _ in range(2)),
                                    return_exceptions=True)

    outcomes = asyncio.run(scenario())
    assert all(isinstance(o, RetryableError) for o in outcomes)


def test_a_poison_request_in_a_merged_batch_fails_alone():
    async def scenario():
        sink = PoisonSink()
        batch = make(sink, send_batch_size=8192, timeout="10s")
        # occupy every slot so that the next requests merge
        busy = [asyncio.ensure_future(batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1)))
                for _ in range(MAX_IN_FLIGHT)]
        await asyncio.sleep(0)
        good = [synthetic_request(Signal.TRACES, 2) for _ in range(3)]
        poison = synthetic_request(Signal.TRACES, 1)
        poison.resource_spans[0].scope_spans[0].spans[0].name = "poison"
        outcomes = await asyncio.gather(*(batch.consume(Signal.TRACES, r) for r in [good[0], poison, good[1], good[2]]),
                                        return_exceptions=True)
        await asyncio.gather(*busy)
        return sink, outcomes

    sink, outcomes = asyncio.run(scenario())
    assert [type(o).__name__ for o in outcomes] == ["NoneType", "PermanentError", "NoneType", "NoneType"]
    # every good item arrived, once: the 4 that went alone and the 6 merged with the poison
    assert sum(item_count(r) for _, r in sink.received) == MAX_IN_FLIGHT + 6


def test_send_batch_max_size_splits_at_resource_groups():
    async def scenario():
        sink = SlowSink(0.05)
        batch = make(sink, send_batch_size=4, send_batch_max_size=4, timeout="10s")
        await asyncio.gather(*(batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1)) for _ in range(MAX_IN_FLIGHT)),
                             *(batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 3)) for _ in range(3)))
        return sink

    sink = asyncio.run(scenario())
    sizes = [item_count(r) for _, r in sink.received]
    assert sum(sizes) == MAX_IN_FLIGHT + 9 and max(sizes) <= 4


def test_batch_sizes_are_a_histogram_and_triggers_are_counted():
    async def scenario(telemetry):
        batch = make(SinkConsumer(), telemetry, send_batch_size=100, timeout="10s")
        await batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 3))

    telemetry = Telemetry()
    asyncio.run(scenario(telemetry))
    labels = {"processor": "batch", "pipeline": "traces"}
    assert telemetry.value("processor_batch_batch_send_size_count", labels) == 1
    assert telemetry.value("processor_batch_batch_send_size_sum", labels) == 3
    assert telemetry.value("processor_batch_trigger_send_total", {**labels, "trigger": "idle"}) == 1
    assert b"_created" not in telemetry.exposition()


def test_shutdown_flushes_what_is_buffered():
    async def scenario():
        sink = SlowSink(0.05)
        batch = make(sink, send_batch_size=1000, timeout="60s")
        busy = [asyncio.ensure_future(batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1))) for _ in range(MAX_IN_FLIGHT)]
        await asyncio.sleep(0)
        waiting = asyncio.ensure_future(batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 5)))
        await asyncio.sleep(0)
        await batch.shutdown(5.0)
        await asyncio.gather(waiting, *busy)
        return sink

    assert sorted(item_count(r) for _, r in asyncio.run(scenario()).received)[-1] == 5


def test_max_size_below_size_is_a_config_error():
    with pytest.raises(ValidationError, match="send_batch_max_size"):
        BatchConfig.model_validate({"send_batch_size": 100, "send_batch_max_size": 10})


def test_with_a_max_size_a_refused_chunk_does_not_resend_a_delivered_one():
    async def scenario():
        sink = PoisonSink()
        batch = make(sink, send_batch_size=4, send_batch_max_size=4, timeout="10s")
        busy = [asyncio.ensure_future(batch.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1)))
                for _ in range(MAX_IN_FLIGHT)]
        await asyncio.sleep(0)
        poison = synthetic_request(Signal.TRACES, 3)
        poison.resource_spans[0].scope_spans[0].spans[0].name = "poison"
        # 3 + 3 items pass send_batch_size at once: two chunks of one request each (max 4)
        requests = [synthetic_request(Signal.TRACES, 3), poison]
        outcomes = await asyncio.gather(*(batch.consume(Signal.TRACES, r) for r in requests), return_exceptions=True)
        await asyncio.gather(*busy)
        return sink, outcomes

    sink, outcomes = asyncio.run(scenario())
    assert [type(o).__name__ for o in outcomes] == ["NoneType", "PermanentError"]
    assert sum(item_count(r) for _, r in sink.received) == MAX_IN_FLIGHT + 3  # the good chunk once, not again


def test_metadata_keys_are_refused_with_the_reason():
    assert BatchConfig.model_validate({"metadata_cardinality_limit": 10}).metadata_keys == []
    with pytest.raises(ValidationError, match="batching per client metadata is not supported"):
        BatchConfig.model_validate({"metadata_keys": ["x-tenant"]})
