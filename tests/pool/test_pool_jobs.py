"""Jobs on the detection pool (what `pool.scope: requests` uses): a registered handler runs in
the worker with its spec and the worker's detector; a handler that raises fails the job (by
type, the worker stays); a hung job is killed and replaced; a full queue refuses."""

from __future__ import annotations

import asyncio

import pytest

from scrubber.detection.pool import DetectionFailed
from scrubber.errors import ResourceExhaustedError
from scrubber.extensions.worker_pool.worker import Handler

ECHO = Handler("test/echo", "tests.pool.jobs:Echo", {"setting": 7})


def test_job_runs_in_a_worker_with_its_spec_and_the_detector(rig):
    async def many():
        return await asyncio.gather(*(rig.pool.run_job(ECHO, i, 8) for i in range(20)))

    answers = rig.run(many())
    assert answers == [({"setting": 7}, i) for i in range(20)]
    assert rig.run(rig.pool.run_job(ECHO, "detect", 8)) == ["EMAIL_ADDRESS"]


def test_a_raising_job_fails_by_type_and_the_worker_keeps_serving(rig):
    pids = rig.pool.worker_pids()
    with pytest.raises(DetectionFailed) as failed:
        rig.run(rig.pool.run_job(ECHO, "raise", 8))
    assert "ValueError" in str(failed.value) and "quote" not in str(failed.value)
    assert rig.pool.worker_pids() == pids
    assert rig.run(rig.pool.run_job(ECHO, "after", 8)) == ({"setting": 7}, "after")


def test_a_hung_job_is_killed_after_the_timeout_and_the_worker_replaced(rig):
    restarts = rig.metric("detection_worker_restarts_total")
    rig.pool.config.timeout = 1.0
    try:
        with pytest.raises(DetectionFailed):
            rig.run(rig.pool.run_job(ECHO, ("sleep", 30), 8))
    finally:
        rig.pool.config.timeout = 20.0
    assert rig.metric("detection_worker_restarts_total") == restarts + 1
    assert rig.metric("detection_failed_jobs_total") >= 1
    rig.wait_workers(2)
    assert rig.run(rig.pool.run_job(ECHO, "again", 8)) == ({"setting": 7}, "again")


def test_a_full_queue_refuses_jobs(rig):
    rig.pool.config.max_pending_texts = 3

    async def flood():
        calls = [rig.pool.run_job(ECHO, ("sleep", 0.2), 8) for _ in range(12)]
        return await asyncio.gather(*calls, return_exceptions=True)

    try:
        outcomes = rig.run(flood())
    finally:
        rig.pool.config.max_pending_texts = 20_000
    refused = [o for o in outcomes if isinstance(o, ResourceExhaustedError)]
    assert refused and len(refused) < len(outcomes)
    assert all(o == ({"setting": 7}, ("sleep", 0.2)) for o in outcomes if o not in refused)
