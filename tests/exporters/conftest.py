"""Shared pieces of the exporter tests: real sinks on loopback, settings, fast retry."""

from __future__ import annotations

import logging

import pytest

from scrubber.component import ComponentID, Kind, Settings
from scrubber.service.telemetry import Telemetry
from scrubber.testing import GrpcSink, HttpSink

#: retry quickly so that the tests stay short
FAST_RETRY = {"initial_interval": "50ms", "max_interval": "300ms", "randomization_factor": 0.2, "max_elapsed_time": "20s"}


def make_settings(component_id: str) -> Settings:
    return Settings(
        id=ComponentID.parse(component_id),
        kind=Kind.EXPORTER,
        logger=logging.getLogger(f"scrubber.exporters.{component_id}"),
        telemetry=Telemetry(),
    )


def value(settings: Settings, name: str, **labels) -> float:
    """A counter of the exporter under test (prometheus adds `_total` to counters)."""
    return settings.telemetry.value(name, {"exporter": str(settings.id), **labels})


@pytest.fixture
def grpc_sink():
    sink = GrpcSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def http_sink():
    sink = HttpSink()
    sink.start()
    yield sink
    sink.stop()
