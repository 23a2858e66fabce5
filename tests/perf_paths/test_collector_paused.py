"""A pool worker scrubs a request with the cyclic collector paused (offload.py `collector_paused`):
the output is what the engine gives with the collector running (every throughput workload and the
real captures, bytes and reports), and the collector is on again afterwards, also when the scrub
raises, and left off when it was off before."""

from __future__ import annotations

import gc

import pytest

from benchmarks.throughput.__main__ import SPANS_PER_REQUEST
from benchmarks.throughput.workloads import WORKLOADS
from scrubber.processors.pii.keys import KeyStore
from scrubber.processors.pii.offload import collector_paused
from scrubber.processors.pii.processor import build_engine
from tests.perf_paths.engines import engine_config, scrub, workload_requests
from tests.perf_paths.test_prepass import fixture_requests
from tests.perf_paths.test_same_as_before import StandIn


def _engine():
    config = engine_config()
    return build_engine(config, KeyStore.load(config.keys, config.pseudonym_length, None))


@pytest.mark.parametrize("workload", [*WORKLOADS, "fixtures"])
def test_same_output_with_the_collector_paused(workload):
    requests = fixture_requests() if workload == "fixtures" else workload_requests(
        workload, 3, min(SPANS_PER_REQUEST[workload], 30), 51)
    paused, running = _engine(), _engine()
    for signal, data in requests * 2:  # memos cold, then warm
        with collector_paused():
            assert not gc.isenabled()
            got = scrub(paused, signal, data, StandIn())
        assert gc.isenabled()
        assert got == scrub(running, signal, data, StandIn())


def test_the_collector_is_on_again_after_an_error_and_left_off_if_it_was():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("scrub failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
