"""One detection pool (2 spawned workers, spaCy loaded in each) per test module, on its
own event-loop thread, because worker start-up costs seconds."""

from __future__ import annotations

import asyncio

import pytest

from scrubber.detection import DetectionConfig
from scrubber.detection.pool import DetectionPool
from scrubber.service.telemetry import Telemetry
from scrubber.testing.loop_thread import LoopThread


class PoolRig:
    """A started pool, the loop it lives on, and its metrics."""

    def __init__(self, **pool_config):
        self.telemetry = Telemetry()
        # no parent cache: every text must reach a worker, or killing one proves nothing
        self.detection = DetectionConfig.model_validate({"cache": {"max_entries": 0}})
        self.loop = LoopThread("pool-tests")
        self.loop.start()
        pool_config = {"workers": 2, **pool_config}
        self.pool = DetectionPool(self.detection, pool_config, self.telemetry)
        self.loop.run(self.pool.start(), timeout=180)
        # start() returns once one worker can serve; a test that compares worker pids before and
        # after must not see the other worker arrive in between (it did, on a loaded CI machine)
        self.wait_workers(pool_config["workers"], timeout=180)

    def run(self, coro, timeout: float = 60.0):
        return self.loop.run(coro, timeout)

    def metric(self, name: str) -> float:
        return self.telemetry.value(name)

    def wait_workers(self, count: int, timeout: float = 60.0) -> None:
        """Wait until `count` workers are up again (after a kill)."""
        async def wait():
            while len(self.pool.worker_pids()) < count:
                await asyncio.sleep(0.1)
        self.run(asyncio.wait_for(wait(), timeout), timeout + 5)

    def close(self) -> None:
        self.run(self.pool.close(), timeout=30)
        self.loop.stop()


@pytest.fixture(scope="module")
def rig():
    rig = PoolRig(max_batch_texts=32, timeout=20.0)
    yield rig
    rig.close()
