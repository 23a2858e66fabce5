"""Shared fixtures of the pii processor tests: one real Detector per session (NER is
loaded once), a tiny Host stub, and a helper to run requests through a processor."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, Callable

import pytest

from scrubber.component import ComponentID, Kind, Settings
from scrubber.consumer import SinkConsumer
from scrubber.detection import DetectionConfig, Detector
from scrubber.detection.service import InProcessDetection
from scrubber.pdata import otlpjson
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.processor import create_processor
from scrubber.service.telemetry import Telemetry
from scrubber.testing.data import require_fixtures_dir

FIXTURES = require_fixtures_dir()

KEY_ENV = {"SCRUBBER_TEST_PII_KEY": "default-test-key-0123456789", "SCRUBBER_TEST_PII_KEY_EU": "eu-test-key-0123456789abc",
           "SCRUBBER_TEST_PII_KEY_EU_OLD": "eu-old-test-key-0123456789"}


def keys_config(eu_active: str = "eu-2026a") -> dict:
    return {
        "default": {"active": "k1", "keys": {"k1": {"env": "SCRUBBER_TEST_PII_KEY"}}},
        "eu": {"active": eu_active, "keys": {"eu-2026a": {"env": "SCRUBBER_TEST_PII_KEY_EU"},
                                             "eu-2025b": {"env": "SCRUBBER_TEST_PII_KEY_EU_OLD"}}},
    }


@pytest.fixture(autouse=True)
def _key_env(monkeypatch):
    for name, value in KEY_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(scope="session")
def detector() -> Detector:
    """The real detector (patterns + NER), loaded once per test session."""
    return Detector(DetectionConfig())


class StubHost:
    """The Host contract the processor relies on: `shared(name, make)` makes once per name."""

    def __init__(self, preset: dict[str, Any] | None = None):
        self.objects: dict[str, Any] = dict(preset or {})
        self.asked: list[str] = []

    def extension(self, component_id):
        return None

    def shared(self, name: str, make: Callable[[], Any]) -> Any:
        self.asked.append(name)
        if name not in self.objects:
            self.objects[name] = make()
        return self.objects[name]


@pytest.fixture
def host(detector) -> StubHost:
    return StubHost({"detection": InProcessDetection(detector=detector)})


def make_config(**overrides) -> PIIProcessorConfig:
    body = {"keys": keys_config()}
    body.update(overrides)
    return PIIProcessorConfig.model_validate(body)


class Harness:
    """A started pii processor feeding a sink, on a private event loop."""

    def __init__(self, config: PIIProcessorConfig, host, signal=None):
        self.telemetry = Telemetry()
        self.config, self.host = config, host
        self.sinks: dict = {}
        self.processors: dict = {}

    def processor(self, signal):
        if signal not in self.processors:
            sink = SinkConsumer()
            settings = Settings(ComponentID("pii"), Kind.PROCESSOR, logging.getLogger("test.pii"), self.telemetry, str(signal))
            processor = create_processor(settings, self.config, signal, sink)
            asyncio.run(processor.start(self.host))
            self.processors[signal], self.sinks[signal] = processor, sink
        return self.processors[signal]

    def run(self, signal, request):
        """Scrub one request; return the request the sink got."""
        processor = self.processor(signal)
        asyncio.run(processor.consume(signal, request))
        return self.sinks[signal].received[-1][1]

    def run_line(self, line: str):
        signal, request = otlpjson.load_line(line)
        return signal, self.run(signal, request)


@pytest.fixture
def harness(host):
    def make(**overrides) -> Harness:
        return Harness(make_config(**overrides), host)
    return make


def fixture_dirs() -> list[Path]:
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir()) if FIXTURES else []


def planted(folder: Path) -> list[str]:
    return [entry["value"] for entry in json.loads((folder / "planted.json").read_text(encoding="utf-8"))]
