"""The walker's attribute loop by list shape (plans.py `KeyPlans.shape`: the keys of a list read
once, the per-key decisions kept per key list) and its skip of values the generic `value` does
nothing with (`Plan.inert`: numbers under a rule that is not an identifier's, bytes, empty strings)
write exactly what the generic walk writes: random attribute lists on spans, resources, events and
log records, with the jurisdiction attribute absent, once or repeated, keys of every rule kind
(safe, patterns, content, URL, SQL, identifier, structured, unknown), values of every kind, the
same shapes recurring (kept) and lists too long to keep; with audit attributes and failing
detection too. The reference is the engine without plans (`tests/perf_paths/engines.py`)."""

from __future__ import annotations

import random

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from scrubber.pdata import Signal
from scrubber.processors.pii import plans
from scrubber.processors.pii.plans import KeyPlans
from tests.perf_paths.engines import assert_same_output, engine_pair
from tests.perf_paths.engines import engine_config as _config
from tests.perf_paths.test_same_as_before import StandIn

#: keys of every rule kind: safe, patterns (with and without a probe), content, URL, SQL,
#: identifiers (catalog and inferred), structured, the jurisdiction attribute, unknown keys
KEYS = ["http.request.method", "server.port", "server.address", "db.namespace", "peer.service", "url.full",
        "url.path", "url.query", "db.query.text", "enduser.id", "client.address", "user.email", "customer_id",
        "app.tenant", "gen_ai.input.messages", "input.value", "exception.message", "residency.jurisdiction",
        "feature.flag.ada_obi", "x.custom", "is_member", "contacts"]
STRINGS = ["", "GET", "eu", "in", "us", "xx", "shop.example.com", "ada.obi@example.com", "Ada Obi",
           "https://shop.example.com/users/ada-obi-42?email=ada%40example.com&q=Ada+Obi&page=2#top",
           "/api/orders", "q=hello&user_id=u-12345678", "SELECT * FROM t WHERE name = 'Ada Obi'", "u-12345678",
           "10.0.3.7", '{"name": "Ada Obi", "id": 123456}', "<EMAIL_ADDRESS:k1:0123456789ab>", "call +44 20 7946 0958"]


def _value(rng: random.Random, depth: int = 0) -> AnyValue:
    kind = rng.choice(["string", "string", "string", "int", "big", "double", "bool", "bytes", "none", "array", "kvlist"])
    if kind == "string":
        return AnyValue(string_value=rng.choice(STRINGS))
    if kind == "int":
        return AnyValue(int_value=rng.choice([0, 3, 200, 9_999]))
    if kind == "big":
        return AnyValue(int_value=rng.choice([10_000, 12_345_678, -55_555]))
    if kind == "double":
        return AnyValue(double_value=rng.choice([0.5, 12_345.0]))
    if kind == "bool":
        return AnyValue(bool_value=rng.random() < 0.5)
    if kind == "bytes":
        return AnyValue(bytes_value=b"ada@example.com")
    if kind == "none" or depth > 1:
        return AnyValue()
    if kind == "array":
        value = AnyValue()
        value.array_value.values.extend(_value(rng, depth + 1) for _ in range(rng.randint(0, 3)))
        return value
    value = AnyValue()
    value.kvlist_value.values.extend(KeyValue(key=rng.choice(KEYS), value=_value(rng, depth + 1))
                                     for _ in range(rng.randint(0, 3)))
    return value


def _attributes(rng: random.Random, shapes: list[list[str]]) -> list[KeyValue]:
    """A recurring shape (the same keys in the same order, other values) or a new random one."""
    if shapes and rng.random() < 0.6:
        keys = rng.choice(shapes)
    else:
        keys = [rng.choice(KEYS) for _ in range(rng.randint(0, 12))]
        shapes.append(keys)
    return [KeyValue(key=key, value=_value(rng)) for key in keys]


def _traces(rng: random.Random, shapes: list[list[str]]) -> bytes:
    request = ExportTraceServiceRequest()
    for _ in range(rng.randint(1, 2)):
        group = request.resource_spans.add()
        group.resource.attributes.extend(_attributes(rng, shapes))
        scope = group.scope_spans.add()
        scope.scope.attributes.extend(_attributes(rng, shapes))
        for _ in range(rng.randint(1, 8)):
            span = scope.spans.add(name=rng.choice(["GET /users/ada-obi-42", "SELECT", ""]))
            span.attributes.extend(_attributes(rng, shapes))
            if rng.random() < 0.3:
                span.events.add(name="exception").attributes.extend(_attributes(rng, shapes))
    return request.SerializeToString()


def _logs(rng: random.Random, shapes: list[list[str]]) -> bytes:
    request = ExportLogsServiceRequest()
    group = request.resource_logs.add()
    group.resource.attributes.extend(_attributes(rng, shapes))
    scope = group.scope_logs.add()
    for _ in range(rng.randint(1, 6)):
        scope.log_records.add().attributes.extend(_attributes(rng, shapes))
    return request.SerializeToString()


def _requests(seed: int, n: int) -> list[tuple[Signal, bytes]]:
    rng, shapes = random.Random(seed), []
    return [(Signal.LOGS, _logs(rng, shapes)) if i % 3 == 2 else (Signal.TRACES, _traces(rng, shapes)) for i in range(n)]


@pytest.mark.parametrize("seed", range(6))
def test_same_output_on_random_attribute_lists(seed):
    assert_same_output(_requests(seed, 30), StandIn(), "plans")


def test_same_output_with_audit_attributes_and_failing_detection():
    class Failing:
        async def detect(self, texts, ner):
            raise RuntimeError("detector crashed")
    assert_same_output(_requests(11, 20), StandIn(), "plans", _config(audit={"attributes": True}))
    assert_same_output(_requests(12, 20), Failing(), "plans")


def test_same_output_when_shapes_are_not_kept(monkeypatch):
    """Lists longer than `MAX_SHAPE_KEYS` and a shape table that fills up take the same walk."""
    monkeypatch.setattr(plans, "MAX_SHAPE_KEYS", 3)
    monkeypatch.setattr(plans, "MAX_SHAPES", 2)
    assert_same_output(_requests(13, 20), StandIn(), "plans")


def test_a_shape_names_the_last_jurisdiction_attribute_and_leaves_out_safe_keys():
    key_plans = KeyPlans(engine_pair(_config(), "plans")[0].catalog)
    keys = ("residency.jurisdiction", "http.request.method", "enduser.id", "residency.jurisdiction")
    shape = key_plans.shape("span", keys, "residency.jurisdiction")
    assert shape.jurisdiction == 3
    assert [key for _, key, _ in shape.todo] == [key for key in keys if key_plans.plan("span", key).fast != plans.SKIP]
    assert "http.request.method" not in [key for _, key, _ in shape.todo]
    assert key_plans.shape("span", keys, "residency.jurisdiction") is shape  # kept
    assert key_plans.shape("span", keys[1:3], "residency.jurisdiction").jurisdiction == -1
