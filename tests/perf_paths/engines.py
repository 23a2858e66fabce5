"""Two pii engines built alike but for one fast path switched off, and the check that they
scrub the same: shared by the equality tests of the pre-pass (`test_prepass.py`) and of the
key plans (`test_plans.py`), so each fast path is compared against the generic engine in
exactly the same way (byte-identical requests, identical detection and fail-closed reports,
twice through: memos cold, then warm)."""

from __future__ import annotations

import asyncio

from benchmarks.throughput.workloads import generate
from scrubber.pdata import Signal
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.keys import KeyStore
from scrubber.processors.pii.processor import build_engine

#: the env variable holding the test key (set by `tests/perf_paths/conftest.py`)
KEY_ENV = "SCRUBBER_TEST_ENGINES_KEY"


def workload_requests(workload: str, n_requests: int, spans: int, seed: int) -> list[tuple[Signal, bytes]]:
    """(signal, serialized request) of `n_requests` of a throughput workload, as the engines take them."""
    return [(Signal(b.signal), b.payload) for b in generate(workload, n_requests, spans, seed=seed)]


def engine_config(**extra) -> PIIProcessorConfig:
    return PIIProcessorConfig.model_validate({"keys": {"default": {"active": "k1", "keys": {"k1": {"env": KEY_ENV}}}},
                                              **extra})


def engine_pair(config: PIIProcessorConfig, without: str):
    """(fast, generic): the same config and keys; the generic one with its `without` attribute
    (`prepass`, `plans`) set to None, the reference the fast path must equal."""
    keys = KeyStore.load(config.keys, config.pseudonym_length, None)
    fast, generic = build_engine(config, keys), build_engine(config, keys)
    setattr(generic, without, None)
    return fast, generic


def scrub(engine, signal: Signal, data: bytes, detection) -> tuple:
    request = signal.new_request()
    request.ParseFromString(data)
    report = asyncio.run(engine.scrub(signal, request, detection))
    return request.SerializeToString(), dict(report.detections), dict(report.fail_closed)


def assert_same_output(requests: list[tuple[Signal, bytes]], detection, without: str,
                       config: PIIProcessorConfig | None = None):
    """Twice through (the second time every memo is warm): byte-identical requests, identical
    reports. Returns the fast engine (to check its memo was used at all)."""
    fast, generic = engine_pair(config or engine_config(), without)
    for round_ in ("cold", "warm"):
        for i, (signal, data) in enumerate(requests):
            assert scrub(fast, signal, data, detection) == scrub(generic, signal, data, detection), \
                f"request {i} differs with the {without} ({round_})"
    return fast
