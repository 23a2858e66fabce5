"""A worker pool relieves memory for the memory_limiter (`scrubber.heap.RELIEVERS`): asked while
memory stays above the soft limit, it replaces the worker that grew most since it started, between
two messages, losing no job; workers that have not grown are left alone (a fresh one would hold as
much). The gate asks its relievers only while above the limit, and at most once per interval."""

from __future__ import annotations

import asyncio

import psutil

from scrubber.extensions.worker_pool.worker import Handler
from scrubber.heap import RELIEF_INTERVAL
from scrubber.processors.memory_limiter import gate as gate_module
from scrubber.processors.memory_limiter.gate import MemoryGate
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
