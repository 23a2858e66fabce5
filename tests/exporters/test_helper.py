"""exporterhelper pieces on their own: backoff bounds, persistent queue across restarts."""

from __future__ import annotations

import asyncio
import random

from scrubber.exporters.exporterhelper import Backoff, RetryConfig
from scrubber.exporters.otlp.config import OTLPExporterConfig
from scrubber.exporters.otlp.factory import create_exporter
from scrubber.pdata import Signal
from scrubber.testing.data import markers, synthetic_request
from tests.exporters.conftest import FAST_RETRY, make_settings, value


def test_backoff_grows_with_jitter_and_is_capped():
    config = RetryConfig(initial_interval=1, multiplier=2, randomization_factor=0.5, max_interval=5)
    backoff = Backoff(config, random.Random(7))
    delays = [backoff.next_delay() for _ in range(8)]
    for delay, base in zip(delays, [1, 2, 4, 5, 5, 5, 5, 5]):
        assert base * 0.5 <= delay <= base * 1.5
    assert len(set(delays)) == len(delays)  # jittered, not lock-step


def test_persistent_queue_resends_after_restart(tmp_path, grpc_sink):
    config = OTLPExporterConfig.model_validate({
        "endpoint": grpc_sink.endpoint, "tls": {"insecure": True}, "retry_on_failure": FAST_RETRY,
        "sending_queue": {"num_consumers": 2, "storage": str(tmp_path / "queue")},
    })
    grpc_sink.stop()
    first = make_settings("otlp/disk")
    exporter = create_exporter(first, config)

    async def accept_then_stop():
        await exporter.start(None)
        for i in range(6):
            await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1, f"p{i}"))
        await asyncio.sleep(0.2)
        await exporter.shutdown(0.5)

    asyncio.run(accept_then_stop())
    stored = list((tmp_path / "queue" / "otlp_disk").glob("*.pb"))
    assert len(stored) == 6
    assert value(first, "exporter_send_failed_spans_total", reason="shutdown") == 0

    grpc_sink.start()
    second = make_settings("otlp/disk")
    restarted = create_exporter(second, config)

    async def restart():
        await restarted.start(None)
        assert await grpc_sink.async_wait_for_items(Signal.TRACES, 6)
        await restarted.shutdown(2)

    asyncio.run(restart())
    assert sorted(markers(grpc_sink.requests[Signal.TRACES])) == [f"p{i}" for i in range(6)]
    assert list((tmp_path / "queue" / "otlp_disk").glob("*.pb")) == []
    assert value(second, "exporter_sent_spans_total") == 6
