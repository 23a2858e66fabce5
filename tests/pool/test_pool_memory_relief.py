"""A worker pool relieves memory for the memory_limiter (`scrubber.heap.RELIEVERS`): asked while
memory stays above the soft limit, it replaces the worker that grew most since it started, between
two messages, losing no job; workers that have not grown are left alone (a fresh one would hold as
much). The gate asks its relievers only while above the limit, and at most once per interval. And
the whole loop: a memory_limiter refusing because a worker grew accepts again once it is replaced."""

from __future__ import annotations

import asyncio
import logging
import time

import psutil
import pytest

from scrubber.component import ComponentID, Kind, Settings
from scrubber.consumer import SinkConsumer
from scrubber.errors import RetryableError
from scrubber.extensions.worker_pool.worker import Handler
from scrubber.heap import RELIEF_INTERVAL, add_reliever
from scrubber.pdata import Signal
from scrubber.processors.memory_limiter import gate as gate_module
from scrubber.processors.memory_limiter.config import MemoryLimiterConfig
from scrubber.processors.memory_limiter.gate import MemoryGate
from scrubber.processors.memory_limiter.processor import MemoryLimiter
from scrubber.service.telemetry import Telemetry
from scrubber.testing.data import synthetic_request
from tests.pool.conftest import PoolRig

ECHO = Handler("test/echo", "tests.pool.jobs:Echo", {"setting": 7})
MIB = 1024 * 1024


def test_the_grown_worker_is_replaced_and_no_job_is_lost():
    rig = PoolRig(timeout=20.0)
    try:
        rig.run(rig.pool.run_job(ECHO, "built", 8))  # every worker builds the handler, then settles
        rig.wait_workers(2)
        assert rig.run(_relieve(rig)) is False  # nothing grew: nobody is replaced
        grown = rig.run(rig.pool.run_job(ECHO, ("grow", 160), 8))
        assert psutil.Process(grown).memory_info().rss > 150 * MIB
        restarts = rig.metric("detection_worker_restarts_total")

        async def relieve_while_serving():
            jobs = [rig.pool.run_job(ECHO, ("sleep", 0.05), 8) for _ in range(40)]
            relieved = await _relieve(rig)
            return relieved, await asyncio.gather(*jobs)

        relieved, answers = rig.run(relieve_while_serving())
        assert relieved is True
        assert answers == [({"setting": 7}, ("sleep", 0.05))] * 40  # every job answered
        rig.wait_workers(2, timeout=120)
        assert grown not in rig.pool.worker_pids()
        assert not psutil.pid_exists(grown) or psutil.Process(grown).status() == psutil.STATUS_ZOMBIE
        assert rig.metric("detection_worker_restarts_total") == restarts + 1
        assert rig.run(rig.pool.run_job(ECHO, "after", 8)) == ({"setting": 7}, "after")
    finally:
        rig.close()


async def _relieve(rig: PoolRig) -> bool:
    return rig.pool.pool.relieve_memory()


def test_the_gate_asks_relievers_only_above_its_limit_and_once_per_interval(monkeypatch):
    monkeypatch.setattr(gate_module, "MIN_INTERVAL", 0.0)
    asked: list[str] = []

    def cannot() -> bool:
        asked.append("cannot")
        return False

    def can() -> bool:
        asked.append("can")
        return True

    def never() -> bool:
        asked.append("never")
        return True

    used = MemoryGate().measure()
    below = MemoryGate()
    below.add_limits(used + 512 * MIB, used + 1024 * MIB, check_interval=1.0)
    below.refresh([cannot, can, never])
    assert asked == []
    above = MemoryGate()
    above.add_limits(used // 4, used // 2, check_interval=1.0)
    above.refresh([cannot, can, never])
    assert asked == ["cannot", "can"]  # the first that could, and no more
    above.refresh([cannot, can, never])
    assert asked == ["cannot", "can"]  # within the interval: not again
    monkeypatch.setattr(gate_module.time, "monotonic", lambda: above._relieved_at + RELIEF_INTERVAL)
    above.refresh([cannot, can, never])
    assert asked == ["cannot", "can", "cannot", "can"]


def test_a_limiter_refusing_because_a_worker_grew_accepts_again_once_it_is_replaced():
    """The soft limit sits 80 MiB below what scrubber holds once a worker grew by 160 MiB: refused
    (as a warm scrubber was, for good, before relief); the limiter's check has the pool replace
    that worker, and the same limiter admits data again with nothing else changed."""
    rig = PoolRig(timeout=20.0)
    try:
        rig.run(rig.pool.run_job(ECHO, "built", 8))
        rig.wait_workers(2)
        grown = rig.run(rig.pool.run_job(ECHO, ("grow", 160), 8))
        settings = Settings(ComponentID("memory_limiter"), Kind.PROCESSOR, logging.getLogger("t"), Telemetry(), "traces")
        add_reliever(settings.shared, rig.pool.pool.relieve_memory)  # as acquire_detection does for a pool
        probe = MemoryLimiter(settings, MemoryLimiterConfig(limit_mib=1000), Signal.TRACES, SinkConsumer())
        held = probe.gate.refresh() // MIB
        config = MemoryLimiterConfig(limit_mib=held - 80 + 100, spike_limit_mib=100, check_interval=0.5)
        sink = SinkConsumer()
        limiter = MemoryLimiter(settings, config, Signal.TRACES, sink)

        async def scenario() -> float:
            with pytest.raises(RetryableError):
                await limiter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1))
            await limiter.start(None)  # its first check asks the pool for relief
            began = time.monotonic()
            while time.monotonic() - began < 90:
                try:
                    await limiter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 2))
                    return time.monotonic() - began
                except RetryableError:
                    await asyncio.sleep(0.25)
            raise AssertionError("still refused 90 s after the relief")

        try:
            rig.run(scenario(), timeout=120)
        finally:
            rig.run(limiter.shutdown(1.0))
        assert len(sink.received) == 1
        assert grown not in rig.pool.worker_pids()
    finally:
        rig.close()
