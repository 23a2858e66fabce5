"""`sending_queue.batch`: requests are accepted at once and merged after acknowledgement;
a merged batch the backend refuses permanently is resent request by request, so a poison
request fails alone and every other item arrives once; drops are counted by reason."""

from __future__ import annotations

import asyncio
import time

import pytest

from scrubber.exporters.otlp.config import OTLPExporterConfig
from scrubber.exporters.otlp.factory import create_exporter
from scrubber.pdata import Signal
from scrubber.testing.data import markers, synthetic_request
from tests.exporters.conftest import FAST_RETRY, make_settings, value
from tests.support.poison import PoisonSink


@pytest.fixture
def poison_sink():
    sink = PoisonSink()
    sink.start()
    yield sink
    sink.stop()


def exporter_config(endpoint: str, **queue) -> OTLPExporterConfig:
    return OTLPExporterConfig.model_validate({
        "endpoint": endpoint, "tls": {"insecure": True}, "retry_on_failure": FAST_RETRY,
        "sending_queue": {"batch": {"flush_timeout": "200ms", "min_size": 1000}, **queue},
    })


def requests_with_poison():
    good = [synthetic_request(Signal.TRACES, 2, f"good{i}") for i in range(3)]
    poison = synthetic_request(Signal.TRACES, 1, "bad")
    poison.resource_spans[0].scope_spans[0].spans[0].name = "poison"
    return [good[0], poison, good[1], good[2]]


@pytest.mark.parametrize("on_disk", [False, True], ids=["memory", "disk"])
def test_accepted_at_once_merged_later_and_a_poison_request_fails_alone(poison_sink, tmp_path, on_disk):
    queue = {"storage": str(tmp_path / "queue")} if on_disk else {}
    settings = make_settings("otlp/batched")
    exporter = create_exporter(settings, exporter_config(poison_sink.endpoint, **queue))

    async def scenario():
        await exporter.start(None)
        started = time.monotonic()
        for request in requests_with_poison():
            await exporter.consume(Signal.TRACES, request)
        accepted_in = time.monotonic() - started
        assert await poison_sink.async_wait_for_items(Signal.TRACES, 6)
        await asyncio.sleep(0.2)
        await exporter.shutdown(2)
        return accepted_in

    accepted_in = asyncio.run(scenario())
    assert accepted_in < 0.1  # nobody waited for the 200 ms flush
    received = markers(poison_sink.requests[Signal.TRACES])
    assert sorted(set(received)) == [f"good{i}" for i in range(3)] and "bad" not in received
    assert poison_sink.items[Signal.TRACES] == 6  # every good item once, none twice
    assert value(settings, "exporter_sent_spans_total") == 6
    assert value(settings, "exporter_send_failed_spans_total", reason="permanent") == 1
    if on_disk:
        assert list((tmp_path / "queue" / "otlp_batched").glob("*.pb")) == []


def test_requests_are_merged_up_to_min_size(grpc_sink):
    settings = make_settings("otlp/merge")
    exporter = create_exporter(settings, OTLPExporterConfig.model_validate({
        "endpoint": grpc_sink.endpoint, "tls": {"insecure": True},
        "sending_queue": {"batch": {"flush_timeout": "5s", "min_size": 10}}}))

    async def scenario():
        await exporter.start(None)
        for i in range(10):
            await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1, f"m{i}"))
        assert await grpc_sink.async_wait_for_items(Signal.TRACES, 10, timeout=3)  # min_size reached, not the 5 s timer
        await exporter.shutdown(2)

    asyncio.run(scenario())
    assert len(grpc_sink.requests[Signal.TRACES]) == 1
    assert settings.telemetry.value("exporter_queue_batch_send_size_count", {"exporter": "otlp/merge"}) == 1
    assert settings.telemetry.value("exporter_queue_batch_send_size_sum", {"exporter": "otlp/merge"}) == 10
    assert sorted(markers(grpc_sink.requests[Signal.TRACES])) == sorted(f"m{i}" for i in range(10))


def test_shutdown_sends_a_batch_that_is_still_gathering(grpc_sink):
    settings = make_settings("otlp/drain")
    exporter = create_exporter(settings, OTLPExporterConfig.model_validate({
        "endpoint": grpc_sink.endpoint, "tls": {"insecure": True},
        "sending_queue": {"batch": {"flush_timeout": "60s", "min_size": 1000}}}))

    async def scenario():
        await exporter.start(None)
        for i in range(3):
            await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1, f"d{i}"))
        await asyncio.sleep(0.05)
        await exporter.shutdown(2)

    asyncio.run(scenario())
    assert grpc_sink.items[Signal.TRACES] == 3
    assert value(settings, "exporter_sent_spans_total") == 3


def test_items_sizer_bounds_the_queue_in_items(grpc_sink):
    grpc_sink.stop()
    settings = make_settings("otlp/items")
    exporter = create_exporter(settings, OTLPExporterConfig.model_validate({
        "endpoint": grpc_sink.endpoint, "tls": {"insecure": True}, "retry_on_failure": FAST_RETRY,
        "sending_queue": {"sizer": "items", "queue_size": 5, "num_consumers": 1}}))

    async def scenario():
        await exporter.start(None)
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 3))
        await asyncio.sleep(0.05)  # the consumer holds it (retrying); queue empty but in flight
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 4))
        with pytest.raises(Exception, match="full"):
            await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 2))
        await exporter.shutdown(0.2)

    asyncio.run(scenario())
    assert value(settings, "exporter_enqueue_failed_spans_total") == 2
