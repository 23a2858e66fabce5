"""The quarantine exporter: OTLP/JSON lines on local disk, bounded in size, counted."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest

from scrubber.component import ComponentID, Kind, Settings
from scrubber.exporters.quarantine.config import QuarantineExporterConfig
from scrubber.exporters.quarantine.exporter import QuarantineExporter
from scrubber.pdata import Signal, item_count, otlpjson
from scrubber.registry import default_registry
from scrubber.service.telemetry import Telemetry
from scrubber.testing.data import require_fixtures_dir

FIXTURES = require_fixtures_dir()


def fixture_requests(signal: Signal) -> list:
    return [otlpjson.loads(signal, line) for lib in ("otel-genai", "openinference", "openllmetry")
            for line in (FIXTURES / lib / f"{signal}.jsonl").read_text().splitlines()]


def exporter(tmp_path: Path, **config) -> tuple[QuarantineExporter, Telemetry]:
    telemetry = Telemetry()
    settings = Settings(ComponentID("quarantine"), Kind.EXPORTER, logging.getLogger("test.quarantine"), telemetry)
    return QuarantineExporter(settings, QuarantineExporterConfig(path=str(tmp_path / "q"), **config)), telemetry


async def _export(quarantine: QuarantineExporter, batches) -> None:
    await quarantine.start(None)
    for signal, request in batches:
        await quarantine.consume(signal, request)
    await quarantine.shutdown(2.0)


def test_writes_otlp_json_lines_per_signal_and_counts(tmp_path):
    quarantine, telemetry = exporter(tmp_path)
    batches = [(s, r) for s in (Signal.TRACES, Signal.LOGS) for r in fixture_requests(s)]
    asyncio.run(_export(quarantine, batches))
    for signal in (Signal.TRACES, Signal.LOGS):
        lines = (tmp_path / "q" / f"{signal}.jsonl").read_text().splitlines()
        written = [otlpjson.loads(signal, line) for line in lines]
        expected = [r for s, r in batches if s == signal]
        assert written == expected
        assert telemetry.value("quarantine_items_total", {"signal": str(signal)}) == sum(map(item_count, expected))


def test_store_is_bounded_new_data_refused_and_counted(tmp_path, caplog):
    requests = fixture_requests(Signal.TRACES) * 10
    limit_mb = 0.05
    quarantine, telemetry = exporter(tmp_path, max_megabytes=limit_mb, file_megabytes=0.01)
    with caplog.at_level(logging.WARNING, logger="test.quarantine"):
        asyncio.run(_export(quarantine, [(Signal.TRACES, r) for r in requests]))
    directory = tmp_path / "q"
    total = sum(f.stat().st_size for f in directory.iterdir())
    assert total <= limit_mb * 1024 * 1024
    assert len(list(directory.iterdir())) > 1  # rotated into several files
    kept = telemetry.value("quarantine_items_total", {"signal": "traces"})
    refused = telemetry.value("quarantine_dropped_items_total", {"signal": "traces", "reason": "full"})
    assert refused > 0 and kept > 0
    assert kept + refused == sum(map(item_count, requests))
    stored = sum(item_count(otlpjson.loads(Signal.TRACES, line))
                 for f in directory.iterdir() for line in f.read_text().splitlines())
    assert stored == kept
    assert caplog.text.count("is full") == 1  # logged once per episode, not per batch


def test_space_freed_by_an_operator_is_used_again(tmp_path):
    request = fixture_requests(Signal.LOGS)[0]
    size = len(otlpjson.dumps(request)) + 1
    quarantine, telemetry = exporter(tmp_path, max_megabytes=(size * 2.5) / (1024 * 1024))

    async def scenario():
        await quarantine.start(None)
        for _ in range(3):
            await quarantine.consume(Signal.LOGS, request)
        for writer in quarantine.writers.values():
            writer.flush()
        os.truncate(tmp_path / "q" / "logs.jsonl", 0)
        await quarantine.consume(Signal.LOGS, request)
        await quarantine.shutdown(1.0)

    asyncio.run(scenario())
    per = item_count(request)
    assert telemetry.value("quarantine_items_total", {"signal": "logs"}) == 3 * per
    assert telemetry.value("quarantine_dropped_items_total", {"signal": "logs", "reason": "full"}) == per


def test_existing_files_count_toward_the_bound(tmp_path):
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "old.jsonl").write_bytes(b"x" * 2048)
    quarantine, telemetry = exporter(tmp_path, max_megabytes=2048 / (1024 * 1024))
    asyncio.run(_export(quarantine, [(Signal.TRACES, fixture_requests(Signal.TRACES)[0])]))
    assert telemetry.value("quarantine_items_total", {"signal": "traces"}) == 0
    assert telemetry.value("quarantine_dropped_items_total", {"signal": "traces", "reason": "full"}) > 0


def test_registered_and_config_validated():
    factory = default_registry().get(Kind.EXPORTER, "quarantine")
    assert factory is not None and factory.default_config().path == "data/quarantine"
    with pytest.raises(ValueError):
        QuarantineExporterConfig(max_megabytes=0)
    with pytest.raises(ValueError):
        QuarantineExporterConfig(endpoint="localhost:4317")
