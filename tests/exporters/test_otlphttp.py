"""The `otlphttp` exporter against a real OTLP/HTTP backend on loopback."""

from __future__ import annotations

import asyncio
import time

import pytest

from scrubber.errors import PermanentError, RetryableError
from scrubber.exporters.otlphttp.config import OTLPHTTPExporterConfig
from scrubber.exporters.otlphttp.exporter import parse_retry_after
from scrubber.exporters.otlphttp.factory import create_exporter
from scrubber.pdata import Signal, item_count
from scrubber.testing.data import fixture_requests, markers, synthetic_request
from tests.exporters.conftest import FAST_RETRY, make_settings, value


def exporter_for(url: str, **overrides):
    raw = {"endpoint": url, "timeout": "2s", "retry_on_failure": dict(FAST_RETRY), **overrides}
    settings = make_settings("otlphttp/test")
    return settings, create_exporter(settings, OTLPHTTPExporterConfig.model_validate(raw))


async def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


@pytest.mark.parametrize("encoding", ["proto", "json"])
def test_all_three_signals_arrive_unchanged_with_headers_and_gzip(http_sink, encoding):
    settings, exporter = exporter_for(http_sink.url, headers={"X-Tenant": "eu-1"}, encoding=encoding)
    sent = {s: fixture_requests(s) or [synthetic_request(s, 3, str(s))] for s in Signal}

    async def scenario():
        await exporter.start(None)
        for signal, requests in sent.items():
            for request in requests:
                await exporter.consume(signal, request)
        for signal, requests in sent.items():
            assert await http_sink.async_wait_for_items(signal, sum(map(item_count, requests)))
        await exporter.shutdown(5)

    asyncio.run(scenario())
    for signal, requests in sent.items():
        got = sorted(r.SerializeToString(deterministic=True) for r in http_sink.requests[signal])
        assert got == sorted(r.SerializeToString(deterministic=True) for r in requests)
        assert value(settings, f"exporter_sent_{signal.item_name}_total") == sum(map(item_count, requests))
    content_type = "application/json" if encoding == "json" else "application/x-protobuf"
    assert all(h["x-tenant"] == "eu-1" and h["content-encoding"] == "gzip" and h["content-type"] == content_type
               for h in http_sink.headers)


def test_per_signal_endpoint_overrides_the_base_url(http_sink):
    settings, exporter = exporter_for("http://127.0.0.1:1", logs_endpoint=f"{http_sink.url}/v1/logs", compression="none",
                                      sending_queue={"enabled": False}, retry_on_failure={"enabled": False})

    async def scenario():
        await exporter.start(None)
        await exporter.consume(Signal.LOGS, synthetic_request(Signal.LOGS, 2, "l"))
        with pytest.raises(RetryableError):  # traces go to the unreachable base URL (connection refused)
            await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1))
        await exporter.shutdown(1)

    asyncio.run(scenario())
    assert markers(http_sink.requests[Signal.LOGS]) == ["l", "l"]
    assert "content-encoding" not in http_sink.headers[0]


def test_503_with_retry_after_is_retried_after_the_delay(http_sink):
    settings, exporter = exporter_for(http_sink.url)
    http_sink.fail_next(1, 503, retry_after=0.6)

    async def scenario():
        await exporter.start(None)
        started = time.monotonic()
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 2, "r"))
        assert await http_sink.async_wait_for_items(Signal.TRACES, 2)
        await exporter.shutdown(2)
        return time.monotonic() - started

    assert asyncio.run(scenario()) >= 0.6
    assert http_sink.calls[Signal.TRACES] == 2
    assert markers(http_sink.requests[Signal.TRACES]) == ["r", "r"]


def test_400_is_permanent_and_counted(http_sink):
    settings, exporter = exporter_for(http_sink.url)
    http_sink.fail_next(1, 400)

    async def scenario():
        await exporter.start(None)
        await exporter.consume(Signal.METRICS, synthetic_request(Signal.METRICS, 3))
        assert await wait_until(lambda: value(settings, "exporter_send_failed_metric_points_total", reason="permanent") == 3)
        await asyncio.sleep(0.3)
        await exporter.shutdown(1)

    asyncio.run(scenario())
    assert http_sink.calls[Signal.METRICS] == 1


def test_backend_down_then_back_loses_nothing(http_sink):
    settings, exporter = exporter_for(http_sink.url, sending_queue={"num_consumers": 3})

    async def scenario():
        await exporter.start(None)
        http_sink.stop()
        for i in range(15):
            await exporter.consume(Signal.LOGS, synthetic_request(Signal.LOGS, 1, f"d{i}"))
            await asyncio.sleep(0.1)
        http_sink.start()
        assert await http_sink.async_wait_for_items(Signal.LOGS, 15, timeout=15)
        await exporter.shutdown(2)

    asyncio.run(scenario())
    assert sorted(markers(http_sink.requests[Signal.LOGS])) == sorted(f"d{i}" for i in range(15))
    assert value(settings, "exporter_sent_log_records_total") == 15


def test_gives_up_after_max_elapsed_time(http_sink):
    retry = {"initial_interval": "100ms", "max_interval": "100ms", "max_elapsed_time": "500ms"}
    settings, exporter = exporter_for(http_sink.url, retry_on_failure=retry)
    http_sink.fail_next(100, 502)

    async def scenario():
        await exporter.start(None)
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 2))
        assert await wait_until(lambda: value(settings, "exporter_send_failed_spans_total", reason="retries_exhausted") == 2, 5)
        await exporter.shutdown(1)

    asyncio.run(scenario())
    assert value(settings, "exporter_sent_spans_total") == 0


def test_partial_success_and_queue_disabled_errors(http_sink):
    settings, exporter = exporter_for(http_sink.url, sending_queue={"enabled": False})
    http_sink.reject_next(1, 1)

    async def scenario():
        await exporter.start(None)
        await exporter.consume(Signal.LOGS, synthetic_request(Signal.LOGS, 4))
        http_sink.fail_next(1, 413)
        with pytest.raises(PermanentError):
            await exporter.consume(Signal.LOGS, synthetic_request(Signal.LOGS, 1))
        await exporter.shutdown(1)

    asyncio.run(scenario())
    assert value(settings, "exporter_sent_log_records_total") == 3
    assert value(settings, "exporter_send_failed_log_records_total", reason="partial_success") == 1
    assert value(settings, "exporter_send_failed_log_records_total", reason="permanent") == 1


@pytest.mark.parametrize("header, expected", [("3", 3.0), ("0.5", 0.5), ("", None), ("soon", None), ("-1", None)])
def test_retry_after_parsing(header, expected):
    assert parse_retry_after(header) == expected


def test_retry_after_as_http_date():
    from email.utils import formatdate

    delay = parse_retry_after(formatdate(time.time() + 30, usegmt=True))
    assert 25 <= delay <= 31


@pytest.mark.parametrize("compression", ["zstd", "none"])
def test_compression_zstd_and_none_arrive_decoded(http_sink, compression):
    settings, exporter = exporter_for(http_sink.url, compression=compression)

    async def scenario():
        await exporter.start(None)
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 3, f"c-{compression}"))
        assert await wait_until(lambda: http_sink.items[Signal.TRACES] == 3)
        await exporter.shutdown(2)

    asyncio.run(scenario())
    assert set(markers(http_sink.requests[Signal.TRACES])) == {f"c-{compression}"}


def test_collector_client_keys_are_accepted():
    config = OTLPHTTPExporterConfig.model_validate({
        "endpoint": "https://backend.example:4318", "compression": "zstd", "idle_conn_timeout": "30s",
        "max_idle_conns": 10, "disable_keep_alives": False, "tls": {"min_version": "1.3", "max_version": "1.3"},
        "sending_queue": {"sizer": "items", "queue_size": 5000, "batch": {"flush_timeout": "1s", "min_size": 100}}})
    assert config.tls.min_version == "1.3" and config.sending_queue.batch.min_size == 100


@pytest.mark.parametrize("body,message", [
    ({"tls": {"min_version": "1.0"}}, "obsolete"),
    ({"sending_queue": {"sizer": "bytes"}}, "'bytes' is not supported"),
    ({"sending_queue": {"blocking": True}}, "blocking: true is not supported"),
])
def test_refused_collector_values_say_why(body, message):
    with pytest.raises(Exception, match=message):
        OTLPHTTPExporterConfig.model_validate({"endpoint": "http://localhost:4318", **body})
