"""Shared pieces of the exporter tests: real sinks on loopback, settings, fast retry."""

from __future__ import annotations

import grp
import logging
import os
import stat

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


def shareable_group() -> int:
    """A gid this process may give its files to: a group it is in (`os.getgroups()`), other than
    the one new files get anyway when there is one, so that a passing test proves the chown; as
    root (no supplementary groups in a container) any group of the host qualifies."""
    primary = os.getegid()
    candidates = [gid for gid in os.getgroups() if gid != primary]
    if not candidates and os.geteuid() == 0:
        candidates = sorted(g.gr_gid for g in grp.getgrall() if g.gr_gid != primary)
    return candidates[0] if candidates else primary


def group_name(gid: int) -> str:
    return grp.getgrgid(gid).gr_name


def mode_and_gid(path) -> tuple[int, int]:
    info = os.stat(path)
    return stat.S_IMODE(info.st_mode), info.st_gid


@pytest.fixture
def open_umask():
    """A permissive umask, as a careless service manager sets it: modes must not depend on it."""
    previous = os.umask(0)
    yield
    os.umask(previous)
