"""Issue 13, the detection workers under hostile load (real spawned worker processes):
a call that could never fit the pending queue, even empty, is refused as permanent (the pii
engine passes that on: the client is answered INVALID_ARGUMENT / 400 instead of retrying forever); a worker that grows past
`max_worker_memory_mib` is replaced between batches without losing an answer; and the
defaults answer before the SDKs' 10 s export deadline."""

from __future__ import annotations

import time

import pytest

from scrubber.detection.pool import DetectionPoolConfig
from scrubber.errors import PermanentError, ResourceExhaustedError
from scrubber.processors.pii.config import PIIProcessorConfig
from tests.pool.conftest import PoolRig

SDK_EXPORT_TIMEOUT = 10.0


def test_detection_timeouts_are_shorter_than_the_sdk_export_deadline():
    assert DetectionPoolConfig().timeout < SDK_EXPORT_TIMEOUT
    assert PIIProcessorConfig.model_fields["detection_timeout"].default < SDK_EXPORT_TIMEOUT


@pytest.fixture(scope="module")
def small_rig():
    # workers of a few hundred MiB (spaCy loaded) are all above 1 MiB: every batch retires its worker
    rig = PoolRig(workers=1, max_pending_texts=10, max_worker_memory_mib=1, timeout=20.0)
    yield rig
    rig.close()


def test_a_call_that_can_never_fit_is_permanent_not_retryable(small_rig):
    texts = [f"text number {i} from alice@example.com" for i in range(11)]
    with pytest.raises(PermanentError) as refused:
        small_rig.run(small_rig.pool.detect(texts, [False] * len(texts)))
    assert not isinstance(refused.value, ResourceExhaustedError)
    assert "even when idle" in str(refused.value)


def test_a_worker_above_its_memory_bound_is_replaced_and_no_answer_is_lost(small_rig):
    small_rig.wait_workers(1)
    first = small_rig.pool.worker_pids()
    found = small_rig.run(small_rig.pool.detect(["mail bob@example.com now"], [False]), timeout=120)
    assert [f.entity_type for f in found[0]] == ["EMAIL_ADDRESS"]
    deadline = time.monotonic() + 120
    while (small_rig.pool.worker_pids() in ([], first)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert small_rig.pool.worker_pids() not in ([], first), "the worker was replaced"
    assert small_rig.metric("scrubber_detection_worker_restarts_total") >= 1
    found = small_rig.run(small_rig.pool.detect(["call carol@example.org"], [False]), timeout=120)
    assert [f.entity_type for f in found[0]] == ["EMAIL_ADDRESS"]
