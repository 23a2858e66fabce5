"""The pii processor on the detection pool: a worker SIGKILLed while real GenAI telemetry
flows leaks no planted value (the fields it held are redacted), and the pool recovers."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal

from scrubber.component import ComponentID, Kind, Settings
from scrubber.consumer import SinkConsumer
from scrubber.pdata import Signal, items, otlpjson
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.processor import create_processor
from scrubber.testing.data import require_fixtures_dir

FIXTURES = require_fixtures_dir()
KEY_ENV = "SCRUBBER_TEST_POOL_PII_KEY"


class _Host:
    def __init__(self, pool):
        self.pool = pool

    def shared(self, name, make):
        return self.pool

    def extension(self, component_id):
        return None


def _salted(line: str, salt: str):
    """The request with `salt` appended to every message part and free-text attribute,
    so that each copy's texts are new to the pool (no dedupe, no cache)."""
    _, request = otlpjson.load_line(line)
    for _, _, item in items(request):
        for kv in item.attributes:
            value = kv.value.string_value
            if not value or kv.key.endswith(("id", "email", ".model", ".name")):
                continue
            try:
                document = json.loads(value)
            except ValueError:
                kv.value.string_value = f"{value} ({salt})"
                continue
            if isinstance(document, list):
                for message in document:
                    for part in message.get("parts", []) if isinstance(message, dict) else []:
                        if isinstance(part, dict) and isinstance(part.get("content"), str):
                            part["content"] += f" ({salt})"
                kv.value.string_value = json.dumps(document)
    return request


def _planted() -> list[str]:
    values = []
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        values += [entry["value"] for entry in json.loads((folder / "planted.json").read_text())]
    return values


def test_sigkill_while_scrubbing_fixtures_leaks_nothing_and_recovers(rig, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "pool-test-key-0123456789abcdef")
    config = PIIProcessorConfig.model_validate({"keys": {"default": {"active": "k1", "keys": {"k1": {"env": KEY_ENV}}}},
                                                "pool": {"workers": 2}})
    sink = SinkConsumer()
    settings = Settings(ComponentID("pii"), Kind.PROCESSOR, logging.getLogger("test.pool.pii"), rig.telemetry, "traces")
    processor = create_processor(settings, config, Signal.TRACES, sink)
    rig.run(processor.start(_Host(rig.pool)))
    lines = [line for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir())
             for line in (folder / "traces.jsonl").read_text().splitlines()]
    requests = [_salted(line, f"copy {copy}") for copy in range(8) for line in lines]
    failed_before = rig.metric("detection_failed_texts_total")
    victim = rig.pool.worker_pids()[0]

    async def scenario():
        calls = [asyncio.ensure_future(processor.consume(Signal.TRACES, r)) for r in requests]
        # kill while the workers hold texts: some jobs in flight beyond those still queued
        deadline = asyncio.get_running_loop().time() + 30
        while len(rig.pool._inflight) <= rig.pool.pending and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.002)
        os.kill(victim, signal.SIGKILL)
        return await asyncio.gather(*calls, return_exceptions=True)

    outcomes = rig.run(scenario(), timeout=120)
    assert not [o for o in outcomes if isinstance(o, BaseException)]
    assert rig.metric("detection_failed_texts_total") > failed_before  # the kill did hit held texts
    out = "\n".join(otlpjson.dumps(request) for _, request in sink.received)
    leaked = [value for value in _planted() if value in out or json.dumps(value)[1:-1] in out]
    assert not leaked, f"{len(leaked)} planted values leaked"
    rig.wait_workers(2)
    assert victim not in rig.pool.worker_pids()
