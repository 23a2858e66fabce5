"""Walk-time identifiers replaced in one loop after the walk (`Engine._identify_pending`, the
walker's `pending` and `pending_pieces`) give exactly what one `Engine._identify` call per value
during the walk gave (`identify_after_walk = False`, the code before): byte-identical requests and
identical reports on the real captures and every throughput workload, with audit attributes,
mask / redact / keep operators and key rules, without a key, with failing detection, metric
identifiers, URL user info, values that are tokens already, tokens remembered or not. A config in
which any identifier can be dropped keeps the per-value calls (a drop is a `Field`)."""

from __future__ import annotations

import pytest

from benchmarks.throughput.__main__ import SPANS_PER_REQUEST
from benchmarks.throughput.workloads import WORKLOADS
from scrubber.detection import DetectionConfig, Detector
from scrubber.pdata import Signal
from scrubber.processors.pii.engine import _may_drop_identifiers
from scrubber.processors.pii.keys import KeyStore
from scrubber.processors.pii.processor import build_engine
from tests.perf_paths.engines import assert_same_output, workload_requests
from tests.perf_paths.engines import engine_config as _config
from tests.perf_paths.engines import scrub as _scrub
from tests.perf_paths.test_identify_in_walk import _request
from tests.perf_paths.test_prepass import Detection, Failing, fixture_requests
from tests.perf_paths.test_same_as_before import StandIn

WITHOUT = "identify_after_walk"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionConfig())


def _same_output(requests, detection, config=None) -> None:
    fast = assert_same_output(requests, detection, WITHOUT, config)
    assert fast.identify_after_walk, "the config turned the loop off: the test would prove nothing"


def test_same_output_on_the_real_captures(detector):
    _same_output(fixture_requests(), Detection(detector))


@pytest.mark.parametrize("workload", WORKLOADS)
def test_same_output_on_every_workload(detector, workload):
    requests = workload_requests(workload, 3, min(SPANS_PER_REQUEST[workload], 20), 41)
    _same_output(requests, Detection(detector))


def test_same_output_with_audit_attributes(detector):
    requests = workload_requests("world-mixed", 2, 40, 42) + workload_requests("plain", 2, 40, 42)
    _same_output(requests, Detection(detector), _config(audit={"attributes": True}))


@pytest.mark.parametrize("operator", ["keep", "redact", "mask", "pseudonymize"])
def test_same_output_with_other_operators_and_key_rules(detector, operator):
    rules = [{"key": "client.address", "role": "identifier", "entity": "IP_ADDRESS",
              "operator": {"operator": "mask", "keep_last": 3}},
             {"key": "server.address", "role": "identifier", "operator": {"operator": "redact"}}]
    config = _config(rules=rules, operators={"roles": {"identifier": {"default": {"operator": operator}}}})
    _same_output(workload_requests("plain", 2, 30, 43), Detection(detector), config)


@pytest.mark.parametrize("remember_tokens", [True, False])
def test_same_output_without_a_key_and_when_detection_fails(detector, remember_tokens):
    for detection, reason in ((Detection(detector), "no_key"), (Failing(), "detector_error")):
        after, during = build_engine(_config(), KeyStore({})), build_engine(_config(), KeyStore({}))
        during.identify_after_walk = False
        after.remember_tokens = during.remember_tokens = remember_tokens
        for signal, data in workload_requests("plain", 2, 20, 44):
            got, want = _scrub(after, signal, data, detection), _scrub(during, signal, data, detection)
            assert got == want and want[2].get(reason, 0) > 0


@pytest.mark.parametrize("identifiers", ["pseudonymize", "redact"])
def test_same_output_on_metric_identifiers(detector, identifiers):
    metrics = [(signal, data) for signal, data in fixture_requests() if signal is Signal.METRICS]
    assert metrics, "no metric capture: the test would prove nothing"
    _same_output(metrics, Detection(detector), _config(metrics={"identifiers": identifiers}))


def test_same_output_on_url_user_info_tokens_and_recurring_values():
    mail = "ada.obi@example.com"
    cases = [
        _request([("url.full", f"https://{mail}:pw@x.example/{mail}?q={mail}&email={mail}"), ("enduser.id", mail)]),
        _request([("enduser.id", "<USER_ID:k1:0123456789ab>"), ("url.full", "https://x.example/?user_id=%3CUSER_ID%3Ak1%3A0123456789ab%3E")]),
        _request([("enduser.id", mail), ("user.email", mail.upper())], [("url.full", f"https://x.example/a?email={mail}")]),
    ]
    _same_output(cases, StandIn())
    _same_output(cases, StandIn(), _config(audit={"attributes": True}))


@pytest.mark.parametrize("config, drops", [
    ({}, False),
    ({"metrics": {"identifiers": "drop"}}, True),
    ({"operators": {"roles": {"identifier": {"default": {"operator": "drop"}}}}}, True),
    ({"operators": {"roles": {"identifier": {"entities": {"EMAIL_ADDRESS": {"operator": "drop"}}}}}}, True),
    ({"operators": {"entities": {"PHONE_NUMBER": {"operator": "drop"}}}}, True),
    ({"operators": {"default": {"operator": "drop"}}}, True),
    ({"rules": [{"key": "enduser.id", "role": "identifier", "operator": {"operator": "drop"}}]}, True),
    ({"rules": [{"key": "enduser.id", "role": "identifier", "operator": {"operator": "mask"}}]}, False),
])
def test_a_config_that_may_drop_an_identifier_keeps_the_calls_per_value(config, drops):
    assert _may_drop_identifiers(_config(**config)) is drops
    assert build_engine(_config(**config), KeyStore({})).identify_after_walk is not drops
