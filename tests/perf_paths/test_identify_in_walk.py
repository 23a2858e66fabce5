"""Identifier values replaced during the walk (`Engine._identify`, the walker's `identified` and
`writes`) give exactly what their `Field`s gave when the engine applied them after detection
(`identify_in_walk = False`, the code before): byte-identical requests and identical reports on
the real captures and every throughput workload, with audit attributes, drop / mask / redact key
rules, no key, failing detection, metric identifiers, URL user info, values that are tokens
already, and a value an identifier and a finding give the known values under two entities."""

from __future__ import annotations

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from benchmarks.throughput.__main__ import SPANS_PER_REQUEST
from benchmarks.throughput.workloads import WORKLOADS
from scrubber.detection import DetectionConfig, Detector
from scrubber.pdata import Signal
from scrubber.processors.pii.engine import Engine
from scrubber.processors.pii.keys import KeyStore
from scrubber.processors.pii.processor import build_engine
from tests.perf_paths.engines import assert_same_output, workload_requests
from tests.perf_paths.engines import engine_config as _config
from tests.perf_paths.engines import scrub as _scrub
from tests.perf_paths.test_prepass import Detection, Failing, fixture_requests
from tests.perf_paths.test_same_as_before import StandIn

WITHOUT = "identify_in_walk"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionConfig())


def _same_output(requests, detection, config=None) -> None:
    assert_same_output(requests, detection, WITHOUT, config)


def test_same_output_on_the_real_captures(detector):
    _same_output(fixture_requests(), Detection(detector))


@pytest.mark.parametrize("workload", WORKLOADS)
def test_same_output_on_every_workload(detector, workload):
    requests = workload_requests(workload, 3, min(SPANS_PER_REQUEST[workload], 20), 31)
    _same_output(requests, Detection(detector))


def test_same_output_with_audit_attributes(detector):
    requests = workload_requests("world-mixed", 2, 40, 32) + workload_requests("plain", 2, 40, 32)
    _same_output(requests, Detection(detector), _config(audit={"attributes": True}))


def test_same_output_with_key_rules_that_drop_mask_and_redact(detector):
    rules = [{"key": "enduser.id", "role": "identifier", "operator": {"operator": "drop"}},
             {"key": "client.address", "role": "identifier", "entity": "IP_ADDRESS",
              "operator": {"operator": "mask", "keep_last": 3}},
             {"key": "server.address", "role": "identifier", "operator": {"operator": "redact"}}]
    _same_output(workload_requests("plain", 2, 30, 33), Detection(detector), _config(rules=rules))


def test_same_output_when_identifiers_drop_and_keep_everywhere(detector):
    """`drop` on a URL piece (nothing to drop: redacted) and `keep` (the piece re-encoded)."""
    for operator in ("drop", "keep", "redact", "mask"):
        config = _config(operators={"roles": {"identifier": {"default": {"operator": operator}}}})
        _same_output(workload_requests("plain", 2, 30, 34), Detection(detector), config)


def test_same_output_without_a_key(detector):
    walked, applied = build_engine(_config(), KeyStore({})), build_engine(_config(), KeyStore({}))
    applied.identify_in_walk = False
    for signal, data in workload_requests("plain", 2, 20, 35):
        got, want = _scrub(walked, signal, data, Detection(detector)), _scrub(applied, signal, data, Detection(detector))
        assert got == want and want[2].get("no_key", 0) > 0


def test_same_output_when_detection_fails(detector):
    requests = workload_requests("plain", 2, 30, 36)
    walked, applied = build_engine(_config(), KeyStore({})), build_engine(_config(), KeyStore({}))
    applied.identify_in_walk = False
    for signal, data in requests:
        got, want = _scrub(walked, signal, data, Failing()), _scrub(applied, signal, data, Failing())
        assert got == want and want[2].get("detector_error", 0) > 0


@pytest.mark.parametrize("identifiers", ["pseudonymize", "redact", "drop"])
def test_same_output_on_metric_identifiers(detector, identifiers):
    metrics = [(signal, data) for signal, data in fixture_requests() if signal is Signal.METRICS]
    assert metrics, "no metric capture: the test would prove nothing"
    _same_output(metrics, Detection(detector), _config(metrics={"identifiers": identifiers}))


def _kv(key: str, value: str) -> KeyValue:
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _request(*spans: list[tuple[str, str]]) -> tuple[Signal, bytes]:
    request = ExportTraceServiceRequest()
    scope = request.resource_spans.add().scope_spans.add()
    for attributes in spans:
        span = scope.spans.add(name="op")
        span.attributes.extend([_kv(k, v) for k, v in attributes])
    return Signal.TRACES, request.SerializeToString()


def test_a_value_two_fields_give_under_two_entities_keeps_the_first_entity(monkeypatch):
    """`known` takes the entity of the first field that gives a value (`_add_identified`): an
    e-mail found in a free-text attribute before, between and after identifiers holding it."""
    mail = "ada.obi@example.com"
    cases = [
        _request([("app.note", f"write to {mail}"), ("enduser.id", mail), ("app.other", f"cc {mail} now")]),
        _request([("enduser.id", mail), ("app.note", f"write to {mail}"), ("app.other", f"cc {mail}")]),
        _request([("enduser.id", mail)], [("app.note", f"mail {mail}"), ("user.email", mail)],
                 [("url.full", f"https://x.example/a?email={mail}&user_id={mail}"), ("app.other", f"to {mail}")]),
        _request([("url.full", f"https://{mail}@x.example/{mail}?q={mail}"), ("app.note", f"{mail} wrote")]),
        _request([("enduser.id", "<USER_ID:k1:0123456789ab>"), ("app.note", "see <USER_ID:k1:0123456789ab>")]),
    ]
    decided = []
    first_giving = Engine._first_giving
    monkeypatch.setattr(Engine, "_first_giving", lambda *args: decided.append(first_giving(*args)) or decided[-1])
    _same_output(cases, StandIn())
    _same_output(cases, StandIn(), _config(audit={"attributes": True}))
    assert decided, "no value was given under two entities: the test would prove nothing"


@pytest.mark.parametrize("workload", ["plain", "world-mixed", "world-multi-turn", "world-logs"])
def test_tokens_remembered_per_request_are_the_tokens(detector, workload):
    """`Engine._token` (a request's tokens remembered) against every token computed anew."""
    requests = workload_requests(workload, 2, min(SPANS_PER_REQUEST[workload], 30), 38)
    assert_same_output(requests, Detection(detector), "remember_tokens")
    assert_same_output(requests, Detection(detector), "remember_tokens", _config(audit={"attributes": True}))


def test_tokens_remembered_fail_closed_alike_without_a_key(detector):
    remembered, computed = build_engine(_config(), KeyStore({})), build_engine(_config(), KeyStore({}))
    computed.remember_tokens = False
    for signal, data in workload_requests("world-mixed", 2, 30, 39):
        got = _scrub(remembered, signal, data, Detection(detector))
        assert got == _scrub(computed, signal, data, Detection(detector)) and got[2].get("no_key", 0) > 0
