"""The `otlp` exporter against a real OTLP/gRPC backend on loopback."""

from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from scrubber.errors import PermanentError, RetryableError
from scrubber.exporters.otlp.config import OTLPExporterConfig
from scrubber.exporters.otlp.factory import create_exporter, factory
from scrubber.pdata import Signal, item_count
from scrubber.testing import GrpcSink, TcpProxy
from scrubber.testing.data import fixture_requests, markers, synthetic_request
from tests.exporters.conftest import FAST_RETRY, make_settings, value


def exporter_for(endpoint: str, name: str = "otlp/test", **overrides):
    raw = {"endpoint": endpoint, "tls": {"insecure": True}, "timeout": "2s", "retry_on_failure": dict(FAST_RETRY)}
    for key, val in overrides.items():
        if isinstance(val, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **val}
        else:
            raw[key] = val
    settings = make_settings(name)
    return settings, create_exporter(settings, OTLPExporterConfig.model_validate(raw))


def requests_of_every_signal():
    found = {signal: fixture_requests(signal) for signal in Signal}
    return {s: reqs or [synthetic_request(s, 4, f"{s}-{i}") for i in range(3)] for s, reqs in found.items()}


async def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def test_all_three_signals_arrive_unchanged(grpc_sink):
    settings, exporter = exporter_for(grpc_sink.endpoint)
    sent = requests_of_every_signal()

    async def scenario():
        await exporter.start(None)
        for signal, requests in sent.items():
            for request in requests:
                await exporter.consume(signal, request)
        for signal, requests in sent.items():
            assert await grpc_sink.async_wait_for_items(signal, sum(map(item_count, requests)))
        await exporter.shutdown(5)

    asyncio.run(scenario())
    for signal, requests in sent.items():
        # consumers run concurrently: compare as multisets of deterministic serializations
        got = sorted(r.SerializeToString(deterministic=True) for r in grpc_sink.requests[signal])
        assert got == sorted(r.SerializeToString(deterministic=True) for r in requests)
        assert value(settings, f"exporter_sent_{signal.item_name}_total") == sum(map(item_count, requests))


def test_headers_and_gzip_reach_the_server(grpc_sink):
    request = synthetic_request(Signal.TRACES, 20, "h", payload="abc " * 2000)
    raw_size = len(request.SerializeToString())
    wire = {}
    for compression in ("gzip", "none"):
        with TcpProxy("127.0.0.1", grpc_sink.port) as proxy:
            settings, exporter = exporter_for(proxy.endpoint, headers={"X-Tenant": "eu-1"}, compression=compression,
                                              sending_queue={"enabled": False})

            async def scenario(exporter=exporter):
                await exporter.start(None)
                await exporter.consume(Signal.TRACES, request)
                await exporter.shutdown(2)

            asyncio.run(scenario())
            wire[compression] = proxy.upstream_bytes
    assert [h["x-tenant"] for h in grpc_sink.headers] == ["eu-1", "eu-1"]
    assert grpc_sink.requests[Signal.TRACES] == [request, request]
    assert wire["none"] > raw_size
    assert wire["gzip"] < raw_size / 10


def _backend_outage(sink: GrpcSink, down_seconds: float) -> None:
    settings, exporter = exporter_for(sink.endpoint, sending_queue={"num_consumers": 4})
    total = int(down_seconds / 0.1)

    async def scenario():
        await exporter.start(None)
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 2, "before"))
        assert await sink.async_wait_for_items(Signal.TRACES, 2)
        sink.stop()
        for i in range(total):
            await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 2, f"down-{i}"))
            await asyncio.sleep(0.1)
        sink.start()
        assert await sink.async_wait_for_items(Signal.TRACES, 2 + 2 * total, timeout=20)
        await exporter.shutdown(5)

    asyncio.run(scenario())
    got = markers(sink.requests[Signal.TRACES])
    expected = ["before"] * 2 + [f"down-{i}" for i in range(total) for _ in range(2)]
    assert sorted(got) == sorted(expected)  # every item once: none lost, none twice
    assert value(settings, "exporter_sent_spans_total") == len(expected)
    assert value(settings, "exporter_send_failed_spans_total", reason="retries_exhausted") == 0
    assert sink.calls[Signal.TRACES] == 1 + total  # refused connections never reached the server


def test_backend_down_for_three_seconds_then_back(grpc_sink):
    _backend_outage(grpc_sink, 3.0)


@pytest.mark.slow
def test_backend_down_for_ten_seconds_then_back(grpc_sink):
    _backend_outage(grpc_sink, 10.0)


def test_permanent_error_is_not_retried_and_counted(grpc_sink):
    settings, exporter = exporter_for(grpc_sink.endpoint)
    grpc_sink.fail_next(1, grpc.StatusCode.INVALID_ARGUMENT)

    def failed():
        return value(settings, "exporter_send_failed_spans_total", reason="permanent")

    async def scenario():
        await exporter.start(None)
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 3))
        assert await wait_until(lambda: failed() == 3)
        await asyncio.sleep(0.3)  # several retry intervals: no second attempt may come
        await exporter.shutdown(2)

    asyncio.run(scenario())
    assert grpc_sink.calls[Signal.TRACES] == 1
    assert grpc_sink.requests[Signal.TRACES] == []
    assert value(settings, "exporter_sent_spans_total") == 0


@pytest.mark.parametrize("retry_info, attempts", [(0.6, 2), (None, 1)])
def test_resource_exhausted_is_retried_only_with_retry_info(grpc_sink, retry_info, attempts):
    settings, exporter = exporter_for(grpc_sink.endpoint)
    grpc_sink.fail_next(1, grpc.StatusCode.RESOURCE_EXHAUSTED, retry_after=retry_info)

    def done():
        return value(settings, "exporter_sent_spans_total") + value(
            settings, "exporter_send_failed_spans_total", reason="permanent")

    async def scenario():
        await exporter.start(None)
        started = time.monotonic()
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1))
        assert await wait_until(lambda: done() == 1)
        await exporter.shutdown(2)
        return time.monotonic() - started

    elapsed = asyncio.run(scenario())
    assert grpc_sink.calls[Signal.TRACES] == attempts
    if retry_info:
        assert elapsed >= retry_info  # the server's delay, not the 50 ms backoff
        assert len(grpc_sink.requests[Signal.TRACES]) == 1
    else:
        assert value(settings, "exporter_send_failed_spans_total", reason="permanent") == 1


def test_gives_up_after_max_elapsed_time_and_counts(grpc_sink):
    retry = {"initial_interval": "100ms", "max_interval": "100ms", "max_elapsed_time": "600ms"}
    settings, exporter = exporter_for(grpc_sink.endpoint, retry_on_failure=retry)
    grpc_sink.fail_next(1000, grpc.StatusCode.UNAVAILABLE)

    def exhausted():
        return value(settings, "exporter_send_failed_log_records_total", reason="retries_exhausted")

    async def scenario():
        await exporter.start(None)
        started = time.monotonic()
        await exporter.consume(Signal.LOGS, synthetic_request(Signal.LOGS, 5))
        assert await wait_until(lambda: exhausted() == 5, timeout=5)
        await exporter.shutdown(2)
        return time.monotonic() - started

    elapsed = asyncio.run(scenario())
    assert 0.4 < elapsed < 2.0
    assert 2 <= grpc_sink.calls[Signal.LOGS] <= 8  # retried, but not beyond the budget
    assert value(settings, "exporter_sent_log_records_total") == 0


def test_full_queue_refuses_with_a_retryable_error(grpc_sink):
    settings, exporter = exporter_for(grpc_sink.endpoint, sending_queue={"num_consumers": 1, "queue_size": 2})
    grpc_sink.delay = 0.3

    async def scenario():
        await exporter.start(None)
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1, "a"))
        assert await wait_until(lambda: grpc_sink.calls[Signal.TRACES] == 1)  # "a" is at the slow backend
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1, "b"))
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1, "c"))
        with pytest.raises(RetryableError):
            await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 4, "d"))
        assert settings.telemetry.value("exporter_queue_capacity", {"exporter": "otlp/test"}) == 2
        assert await grpc_sink.async_wait_for_items(Signal.TRACES, 3)
        await exporter.shutdown(2)

    asyncio.run(scenario())
    assert sorted(markers(grpc_sink.requests[Signal.TRACES])) == ["a", "b", "c"]
    assert value(settings, "exporter_enqueue_failed_spans_total") == 4
    assert value(settings, "exporter_send_failed_spans_total", reason="queue_full") == 4


def test_shutdown_drains_the_queue(grpc_sink):
    settings, exporter = exporter_for(grpc_sink.endpoint, sending_queue={"num_consumers": 2})
    grpc_sink.delay = 0.05

    async def scenario():
        await exporter.start(None)
        for i in range(20):
            await exporter.consume(Signal.METRICS, synthetic_request(Signal.METRICS, 2, f"q{i}"))
        assert exporter.queue.size > 10
        await exporter.shutdown(10)
        with pytest.raises(RetryableError):
            await exporter.consume(Signal.METRICS, synthetic_request(Signal.METRICS, 1))

    asyncio.run(scenario())
    assert len(markers(grpc_sink.requests[Signal.METRICS])) == 40
    assert value(settings, "exporter_sent_metric_points_total") == 40
    assert settings.telemetry.value("exporter_queue_size", {"exporter": "otlp/test"}) == 0


def test_shutdown_with_the_backend_down_drops_within_the_deadline_and_counts(grpc_sink):
    settings, exporter = exporter_for(grpc_sink.endpoint, sending_queue={"num_consumers": 2})
    grpc_sink.stop()

    async def scenario():
        await exporter.start(None)
        for i in range(10):
            await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1, f"s{i}"))
        await asyncio.sleep(0.2)  # consumers are now waiting to retry
        started = time.monotonic()
        await exporter.shutdown(1.0)
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 2.0
    assert value(settings, "exporter_send_failed_spans_total", reason="shutdown") == 10
    assert value(settings, "exporter_sent_spans_total") == 0


def test_lifecycle_is_idempotent_and_safe_without_start():
    _, exporter = exporter_for("127.0.0.1:1")

    async def scenario():
        await exporter.shutdown(1)
        await exporter.shutdown(1)

    asyncio.run(scenario())
    assert factory.type == "otlp" and factory.create is create_exporter


def test_partial_success_is_counted(grpc_sink):
    settings, exporter = exporter_for(grpc_sink.endpoint)
    grpc_sink.reject_next(1, 2)

    async def scenario():
        await exporter.start(None)
        await exporter.consume(Signal.LOGS, synthetic_request(Signal.LOGS, 5))
        assert await wait_until(lambda: value(settings, "exporter_sent_log_records_total") == 3)
        await exporter.shutdown(2)

    asyncio.run(scenario())
    assert value(settings, "exporter_send_failed_log_records_total", reason="partial_success") == 2


def test_without_queue_errors_reach_the_caller(grpc_sink):
    settings, exporter = exporter_for(grpc_sink.endpoint, sending_queue={"enabled": False})
    grpc_sink.fail_next(1, grpc.StatusCode.INVALID_ARGUMENT)

    async def scenario():
        await exporter.start(None)
        with pytest.raises(PermanentError):
            await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1))
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1, "ok"))
        await exporter.shutdown(1)

    asyncio.run(scenario())
    assert markers(grpc_sink.requests[Signal.TRACES]) == ["ok"]


def test_collector_grpc_client_keys_are_accepted_and_applied(grpc_sink):
    from scrubber.exporters.otlp.config import OTLPExporterConfig as Config
    from scrubber.exporters.otlp.factory import create_exporter as create

    config = Config.model_validate({
        "endpoint": grpc_sink.endpoint, "tls": {"insecure": True}, "balancer_name": "pick_first",
        "keepalive": {"time": "20s", "timeout": "5s", "permit_without_stream": True}, "wait_for_ready": True,
        "compression": "gzip"})
    exporter = create(make_settings("otlp/keys"), config)

    async def scenario():
        await exporter.start(None)
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 2, "keys"))
        await asyncio.sleep(0)
        await exporter.shutdown(3)

    asyncio.run(scenario())
    assert grpc_sink.items[Signal.TRACES] == 2


@pytest.mark.parametrize("body,message", [
    ({"compression": "zstd"}, "zstd is not available in grpc's Python client"),
    ({"tls": {"min_version": "1.3"}}, "cannot pin one"),
    ({"balancer_name": "weighted"}, "round_robin"),
])
def test_grpc_client_values_it_cannot_honour_are_refused_with_the_reason(body, message):
    from scrubber.exporters.otlp.config import OTLPExporterConfig as Config

    with pytest.raises(Exception, match=message):
        Config.model_validate({"endpoint": "localhost:4317", **body})
