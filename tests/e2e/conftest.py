"""Shared fixtures of the end-to-end tests."""

from __future__ import annotations

import pytest

from scrubber.testing.grpc_sink import GrpcSink


@pytest.fixture
def sinks():
    """Four real OTLP/gRPC backends on loopback: the regional ones of EU, IN and US, and the global stack."""
    started = {name: GrpcSink() for name in ("eu", "in", "us", "global")}
    for sink in started.values():
        sink.start()
    yield started
    for sink in started.values():
        sink.stop()
