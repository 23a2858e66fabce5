"""Real captured GenAI telemetry (shared/fixtures/instrumented) posted to the
HTTP JSON endpoint arrives in the sink equal to `otlpjson.loads` of the line."""

from __future__ import annotations

import aiohttp
import pytest

from scrubber.pdata import Signal, otlpjson
from scrubber.testing.data import require_fixtures_dir
from tests.receivers.otlp_helpers import run, running

FIXTURES = require_fixtures_dir()
PATHS = {Signal.TRACES: "/v1/traces", Signal.METRICS: "/v1/metrics", Signal.LOGS: "/v1/logs"}


def fixture_lines():
    for library in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for signal in Signal:
            path = library / f"{signal}.jsonl"
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if line.strip():
                    yield pytest.param(signal, line, id=f"{library.name}-{signal}-{number}")


LINES = list(fixture_lines()) if FIXTURES.is_dir() else []


def test_every_fixture_line_arrives_unchanged():
    async def body():
        async with running() as (receiver, sink):
            async with aiohttp.ClientSession() as session:
                for param in LINES:
                    signal, line = param.values
                    url = f"http://127.0.0.1:{receiver.http_port}{PATHS[signal]}"
                    async with session.post(url, data=line.encode(), headers={"Content-Type": "application/json"}) as response:
                        assert response.status == 200, (param.id, await response.text())
                    expected = otlpjson.loads(signal, line)
                    assert sink.received[-1] == (signal, expected), param.id
                    assert len(expected.SerializeToString()) > 0
            assert len(sink.received) == len(LINES)

    run(body())
