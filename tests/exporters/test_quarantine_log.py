"""Data of unknown jurisdiction is quarantined with a log line, not only a counter: the first
at once, then at most one per LOG_INTERVAL with the counts since; never a value."""

from __future__ import annotations

import asyncio
import logging

from scrubber.exporters.quarantine import exporter as quarantine
from scrubber.exporters.quarantine.config import QuarantineExporterConfig
from scrubber.exporters.quarantine.exporter import QuarantineExporter
from scrubber.pdata import Signal
from scrubber.testing.data import synthetic_request
from tests.exporters.conftest import make_settings

PLANTED = "maria.muster@example.eu"


def test_quarantine_says_what_it_kept_rate_limited_and_without_values(tmp_path, caplog, monkeypatch):
    settings = make_settings("quarantine")
    exporter = QuarantineExporter(settings, QuarantineExporterConfig(path=str(tmp_path / "q")))
    clock = [1000.0]
    monkeypatch.setattr(quarantine.time, "monotonic", lambda: clock[0])

    async def scenario():
        await exporter.start(None)
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 2, PLANTED))
        for _ in range(3):
            await exporter.consume(Signal.LOGS, synthetic_request(Signal.LOGS, 1, PLANTED, payload=PLANTED))
        clock[0] += quarantine.LOG_INTERVAL + 1
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1, PLANTED))
        await exporter.shutdown(1)

    with caplog.at_level(logging.WARNING):
        asyncio.run(scenario())
    lines = [r.getMessage() for r in caplog.records if "of unknown jurisdiction" in r.getMessage()]
    assert len(lines) == 2
    assert "kept 2 spans of unknown jurisdiction" in lines[0]
    assert "3 log_records" in lines[1] and "3 log_records, 1 span of unknown" in lines[1] and "in the last 61s" in lines[1]
    assert PLANTED not in caplog.text
