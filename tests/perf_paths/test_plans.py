"""The planned walk (issue 14 item 2: `scrubber/processors/pii/plans.py`, the walker's planned
attribute loop, the engine's whole-value identifier replacement, the prepared HMAC) writes
exactly what the generic path writes: byte-identical requests and identical reports on the real
captures and every throughput workload, with the plans cold (first pass) and warm (second), with
audit attributes, subjects of items, and when detection fails."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from benchmarks.throughput.__main__ import SPANS_PER_REQUEST
from benchmarks.throughput.workloads import WORKLOADS, generate
from scrubber.detection import DetectionConfig, Detector
from scrubber.pdata import Signal
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.keys import KeyStore, _PreparedHMAC
from scrubber.processors.pii.processor import build_engine
from tests.perf_paths.engines import assert_same_output, engine_pair, workload_requests
from tests.perf_paths.engines import engine_config as _config
from tests.perf_paths.engines import scrub as _scrub
from tests.perf_paths.test_prepass import Detection, Failing, fixture_requests


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionConfig())


def _engines(config: PIIProcessorConfig):
    """(planned, generic): the same config and keys; the generic one without plans (the reference)."""
    return engine_pair(config, "plans")


def _same_output(requests: list[tuple[Signal, bytes]], detection, config: PIIProcessorConfig | None = None) -> None:
    planned = assert_same_output(requests, detection, "plans", config)
    assert planned.plans is not None and len(planned.plans) > 0, "no plan was made: the test proves nothing"


def test_same_output_on_the_real_captures(detector):
    _same_output(fixture_requests(), Detection(detector))


@pytest.mark.parametrize("workload", WORKLOADS)
def test_same_output_on_every_workload(detector, workload):
    spans = min(SPANS_PER_REQUEST[workload], 20)
    requests = workload_requests(workload, 3, spans, 11)
    _same_output(requests, Detection(detector))


def test_same_output_with_audit_attributes_and_subjects(detector):
    requests = workload_requests("world-mixed", 2, 40, 12)
    requests += workload_requests("plain", 2, 40, 12)
    _same_output(requests, Detection(detector), _config(audit={"attributes": True}))


def test_same_output_with_key_rules_that_drop_mask_and_redact(detector):
    rules = [{"key": "enduser.id", "role": "identifier", "operator": {"operator": "drop"}},
             {"key": "client.address", "role": "identifier", "entity": "IP_ADDRESS",
              "operator": {"operator": "mask", "keep_last": 3}},
             {"key": "server.address", "role": "identifier", "operator": {"operator": "redact"}}]
    requests = workload_requests("plain", 2, 30, 13)
    _same_output(requests, Detection(detector), _config(rules=rules))


def test_same_output_without_a_key_for_the_jurisdiction(detector):
    """Tokens fail closed (`no_key`) alike when the store has no key at all."""
    planned, generic = build_engine(_config(), KeyStore({})), build_engine(_config(), KeyStore({}))
    generic.plans = None
    for signal, data in workload_requests("plain", 2, 20, 14):
        got, want = _scrub(planned, signal, data, Detection(detector)), _scrub(generic, signal, data, Detection(detector))
        assert got == want and want[2].get("no_key", 0) > 0


def test_failing_detection_fails_closed_alike(detector):
    requests = workload_requests("plain", 2, 30, 15)
    planned, generic = _engines(_config())
    for signal, data in requests:  # warm plans and the prepass memo with real answers
        _scrub(planned, signal, data, Detection(detector))
    for signal, data in requests:
        got, want = _scrub(planned, signal, data, Failing()), _scrub(generic, signal, data, Failing())
        assert got == want and want[2].get("detector_error", 0) > 0


@pytest.mark.parametrize("length", [1, 16, 32, 63, 64, 65, 200])
def test_the_prepared_hmac_is_hmac_sha256(length):
    key = bytes(range(256))[:length] if length <= 256 else b"x" * length
    prepared = _PreparedHMAC(key)
    for message in (b"", b"u-12345678", "jane.doe@exämple.com".encode(), b"x" * 1000):
        assert prepared.hexdigest(message) == hmac.new(key, message, hashlib.sha256).hexdigest()


def test_same_output_with_subjects_on(tmp_path, monkeypatch):
    """Per-subject tokens (a real SQLite vault): the same engine, its plans on, then off."""
    from tests.erasure.harness import KEY_ENV as SUBJECT_KEY_ENV
    from tests.erasure.harness import Pipeline, pii_config

    for name, value in SUBJECT_KEY_ENV.items():
        monkeypatch.setenv(name, value)
    pipeline = Pipeline(pii_config({"directory": str(tmp_path / "vault")}, receipts=str(tmp_path / "r.jsonl")))
    try:
        engine = pipeline.processor.engine
        plans = engine.plans
        assert plans is not None
        for batch in generate("plain", 2, 30, seed=16):
            outputs = []
            for engine.plans in (plans, None, plans):
                request = Signal.TRACES.new_request()
                request.ParseFromString(batch.payload)
                report = pipeline.run(engine.scrub(Signal.TRACES, request, pipeline.processor.detection))
                outputs.append((request.SerializeToString(), dict(report.detections), dict(report.fail_closed)))
            assert outputs[0] == outputs[1] == outputs[2]
            assert b":s-" in outputs[0][0], "no subject token: the case must exercise subjects"
    finally:
        pipeline.close()


def test_url_piece_encoding_and_decoding_are_the_standard_ones():
    """`urls.encode` is `quote(text, safe=...)` of every piece kind, `urls._unquote_plus` is
    `unquote_plus`, on random text of ASCII, Latin-1, CJK, emoji and URL delimiters."""
    import random
    from urllib.parse import quote, unquote_plus

    from scrubber.processors.pii import urls

    rng = random.Random(17)
    alphabet = [chr(c) for c in range(256)] + list("äöüß€😀中文<>:@/?#[]%+ =&") + ["%41", "%e2%82%ac", "%zz", "+"]
    for kind in [*urls._SAFE, "elsewhere"]:
        for _ in range(3000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
            assert urls.encode(text, kind) == quote(text, safe=urls._SAFE.get(kind, "")), (kind, text)
            assert urls._unquote_plus(text) == unquote_plus(text), text
