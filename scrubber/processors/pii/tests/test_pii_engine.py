"""Behaviour of the pii processor on built requests: where data hides, operators,
pseudonym consistency and keys, fail-closed paths, metrics re-aggregation, audit."""

from __future__ import annotations

import asyncio
import json

import pytest

from scrubber.detection.service import InProcessDetection
from scrubber.pdata import Signal, items
from scrubber.processors.pii.keys import KeyStore
from scrubber.processors.pii.tests import build
from scrubber.processors.pii.tests.conftest import Harness, StubHost, make_config
from scrubber.pseudonym import parse_token

EMAIL = "jane.roe@example.org"
CARD = "4111111111111111"


def spans_of(request):
    return [item for _, _, item in items(request)]


# ---- pseudonyms and keys ------------------------------------------------------------
def test_same_email_same_token_across_spans_requests_and_signals(harness):
    h = harness()
    first = h.run(Signal.TRACES, build.traces({"attributes": {"user.email": EMAIL}},
                                              {"attributes": {"gen_ai.prompt": f"mail {EMAIL} please"}}))
    second = h.run(Signal.TRACES, build.traces({"attributes": {"user.email": EMAIL.upper()}}))
    log = h.run(Signal.LOGS, build.logs({"body": f"sent to {EMAIL}"}))
    a, b = spans_of(first)
    token = build.attrs(a)["user.email"]
    assert parse_token(token).entity == "EMAIL_ADDRESS" and parse_token(token).key_id == "k1"
    assert build.attrs(b)["gen_ai.prompt"] == f"mail {token} please"
    assert build.attrs(spans_of(second)[0])["user.email"] == token  # e-mail case does not matter
    assert spans_of(log)[0].body.string_value == f"sent to {token}"


def test_other_jurisdiction_other_key_other_token(harness):
    h = harness()
    default = h.run(Signal.TRACES, build.traces({"attributes": {"user.email": EMAIL}}))
    eu_resource = h.run(Signal.TRACES, build.traces({"attributes": {"user.email": EMAIL}},
                                                    resource={"residency.jurisdiction": "eu"}))
    eu_item = h.run(Signal.TRACES, build.traces({"attributes": {"user.email": EMAIL, "residency.jurisdiction": "eu"}}))
    t_default = parse_token(build.attrs(spans_of(default)[0])["user.email"])
    t_eu = parse_token(build.attrs(spans_of(eu_resource)[0])["user.email"])
    assert t_eu.key_id == "eu-2026a" and t_default.key_id == "k1"
    assert t_eu.digest != t_default.digest
    assert build.attrs(spans_of(eu_item)[0])["user.email"] == build.attrs(spans_of(eu_resource)[0])["user.email"]


def test_unknown_jurisdiction_uses_default_key_and_default_jurisdiction_applies(host):
    h = Harness(make_config(default_jurisdiction="eu"), host)
    out = h.run(Signal.TRACES, build.traces({"attributes": {"enduser.id": "u-1", "residency.jurisdiction": "br"}},
                                            {"attributes": {"enduser.id": "u-1"}}))
    br, unset = (parse_token(build.attrs(s)["enduser.id"]) for s in spans_of(out))
    assert br.key_id == "k1" and unset.key_id == "eu-2026a"


def test_rotation_changes_new_tokens_old_key_still_recognised(host):
    old = Harness(make_config(keys=_keys(active="eu-2025b")), host)
    new = Harness(make_config(keys=_keys(active="eu-2026a")), host)
    spec = {"attributes": {"enduser.id": "u-42", "residency.jurisdiction": "eu"}}
    old_token = build.attrs(spans_of(old.run(Signal.TRACES, build.traces(spec)))[0])["enduser.id"]
    new_token = build.attrs(spans_of(new.run(Signal.TRACES, build.traces(spec)))[0])["enduser.id"]
    assert parse_token(old_token).key_id == "eu-2025b" and parse_token(new_token).key_id == "eu-2026a"
    assert old_token != new_token
    store = new.processor(Signal.TRACES).engine.keys
    assert store.knows("eu-2025b") and store.matches("u-42", old_token) and store.matches("u-42", new_token)
    assert not store.matches("u-43", old_token)


def _keys(active: str) -> dict:
    from scrubber.processors.pii.tests.conftest import keys_config
    return keys_config(eu_active=active)


def test_token_is_keyed_not_a_plain_hash():
    import hashlib
    a = KeyStore({"default": ("a", {"a": b"k" * 16})}).pseudonym("x", "EMAIL_ADDRESS", EMAIL)
    b = KeyStore({"default": ("a", {"a": b"j" * 16})}).pseudonym("x", "EMAIL_ADDRESS", EMAIL)
    assert a != b
    assert parse_token(a).digest not in hashlib.sha256(EMAIL.encode()).hexdigest()
    assert "kkkk" not in repr(KeyStore({"default": ("a", {"a": b"k" * 16})}))


# ---- everywhere data hides ----------------------------------------------------------------
def test_resource_events_links_status_and_span_name(harness):
    out = harness().run(Signal.TRACES, build.traces(
        {"name": f"lookup {EMAIL}", "attributes": {"exception.message": f"no account for {EMAIL}"},
         "events": [(f"mail to {EMAIL}", {"gen_ai.prompt": f"hi {EMAIL}"})],
         "links": [{"enduser.id": "u-777"}], "status": f"failed for {EMAIL}"},
        resource={"service.name": "svc", "host.owner": EMAIL}))
    text = str(out)
    assert EMAIL not in text and "u-777" not in text
    span = spans_of(out)[0]
    assert span.name.startswith("lookup <EMAIL_ADDRESS:k1:")
    assert build.attrs(out.resource_spans[0].resource)["service.name"] == "svc"


def test_structured_json_with_nested_tool_call_arguments(harness):
    messages = [{"role": "user", "parts": [{"type": "text", "content": f"I am reachable at {EMAIL}"}]},
                {"role": "assistant", "parts": [{"type": "tool_call", "name": "lookup", "id": "call_1",
                                                 "arguments": json.dumps({"email": EMAIL, "user_id": 1234, "note": f"cc {EMAIL}"})}]},
                {"role": "tool", "parts": [{"type": "tool_call_response", "response": {"card": CARD, "ok": True}}]}]
    original = json.dumps(messages)
    parameters = json.dumps({"model": "gpt-4o", "user": "u-99"})
    out = harness().run(Signal.TRACES, build.traces({"attributes": {"gen_ai.input.messages": original,
                                                                     "llm.invocation_parameters": parameters}}))
    attributes = build.attrs(spans_of(out)[0])
    scrubbed = json.loads(attributes["gen_ai.input.messages"])
    assert EMAIL not in attributes["gen_ai.input.messages"] and CARD not in attributes["gen_ai.input.messages"]
    assert [m["role"] for m in scrubbed] == ["user", "assistant", "tool"]
    args = json.loads(scrubbed[1]["parts"][0]["arguments"])  # JSON inside JSON stays JSON
    assert set(args) == {"email", "user_id", "note"} and parse_token(args["email"]).entity == "EMAIL_ADDRESS"
    assert parse_token(args["user_id"]).entity == "USER_ID"
    assert scrubbed[1]["parts"][0]["name"] == "lookup" and scrubbed[2]["parts"][0]["response"]["ok"] is True
    params = json.loads(attributes["llm.invocation_parameters"])
    assert params["model"] == "gpt-4o" and parse_token(params["user"]).entity == "USER_ID"


def test_invalid_json_in_structured_field_fails_closed(harness):
    h = harness()
    truncated = json.dumps([{"role": "user", "content": f"I am {EMAIL}"}])[:-5]
    out = h.run(Signal.TRACES, build.traces({"attributes": {"gen_ai.input.messages": truncated,
                                                             "input.value": f"plain text from {EMAIL}"}}))
    attributes = build.attrs(spans_of(out)[0])
    assert attributes["gen_ai.input.messages"] == "<REDACTED>"
    assert attributes["input.value"].startswith("plain text from <EMAIL_ADDRESS:")  # not JSON: scanned as text
    assert h.telemetry.value("pii_fail_closed_total", {"reason": "invalid_json"}) == 1


def test_kvlist_and_arrays_at_any_depth(harness):
    body = {"event": "signup", "user": {"profile": {"email": EMAIL, "notes": [f"wrote from {EMAIL}", {"deep": [CARD]}]}},
            "level": 3}
    messages = [{"role": "user", "content": f"to {EMAIL}"}]
    out = harness().run(Signal.LOGS, build.logs({"body": body, "attributes": {"gen_ai.input.messages": messages}}))
    record = spans_of(out)[0]
    scrubbed = build.plain(record.body)
    assert scrubbed["event"] == "signup" and scrubbed["level"] == 3
    assert EMAIL not in str(out) and CARD not in str(out)
    assert len(scrubbed["user"]["profile"]["notes"]) == 2
    assert build.attrs(record)["gen_ai.input.messages"][0]["role"] == "user"


def test_identifier_value_is_found_again_in_free_text(harness):
    attributes = {"enduser.id": "cust-8812", "gen_ai.prompt": "ticket of cust-8812 is open"}
    out = harness().run(Signal.TRACES, build.traces({"attributes": attributes}))
    attributes = build.attrs(spans_of(out)[0])
    assert "cust-8812" not in str(out)
    assert attributes["gen_ai.prompt"] == f"ticket of {attributes['enduser.id']} is open"


# ---- operators, roles, catalog overrides ------------------------------------------------------
def test_operators_mask_redact_drop_keep(harness):
    h = harness(operators={"entities": {"CREDIT_CARD": {"operator": "mask", "keep_last": 4}, "EMAIL_ADDRESS": "keep"}},
                rules=[{"key": "app.auth", "role": "identifier", "entity": "SECRET", "operator": "drop"},
                       {"key": "app.customer", "role": "identifier", "entity": "CUSTOMER_ID", "operator": "redact"}])
    out = h.run(Signal.TRACES, build.traces({"attributes": {
        "gen_ai.prompt": f"card {CARD} mail {EMAIL}", "app.auth": "Bearer abc.def.ghi", "app.customer": "C-1"}}))
    attributes = build.attrs(spans_of(out)[0])
    assert attributes["gen_ai.prompt"] == f"card ************1111 mail {EMAIL}"
    assert "app.auth" not in attributes and attributes["app.customer"] == "<CUSTOMER_ID>"


def test_strict_mode_redacts_unknown_keys_and_keeps_allowed(harness):
    h = harness(unknown_keys="redact", allow_keys=["app.build.*"])
    out = h.run(Signal.TRACES, build.traces({"attributes": {
        "app.comment": "anything at all", "app.build.sha": "abc123", "gen_ai.request.model": "gpt-4o", "retries": 3}}))
    attributes = build.attrs(spans_of(out)[0])
    assert attributes == {"app.comment": "<REDACTED>", "app.build.sha": "abc123", "gen_ai.request.model": "gpt-4o", "retries": 3}


class RecordingDetection(InProcessDetection):
    def __init__(self, detector):
        super().__init__(detector=detector)
        self.calls: list[tuple[list[str], list[bool]]] = []

    async def detect(self, texts, ner):
        self.calls.append((list(texts), list(ner)))
        return await super().detect(texts, ner)


def test_one_detection_call_per_batch_ner_only_on_content(detector):
    detection = RecordingDetection(detector)
    h = Harness(make_config(), StubHost({"detection": detection}))
    h.run(Signal.TRACES, build.traces(
        {"attributes": {"gen_ai.prompt": "Anna Schmidt wrote", "app.free": "Anna Schmidt wrote", "gen_ai.request.model": "m"}},
        {"attributes": {"gen_ai.prompt": "Anna Schmidt wrote", "enduser.id": "u-1"}}))
    assert len(detection.calls) == 1
    texts, ner = detection.calls[0]
    # the unknown key's own name and the span name are scanned too (patterns + NER); the patterns-only
    # copy of the text (gen_ai.prompt's) holds no pattern candidate, so the prepass answers it (prepass.py)
    assert sorted(zip(texts, ner)) == [("Anna Schmidt wrote", True), ("app free", True), ("op", True)]


def test_processors_share_one_detection_service(detector):
    host = StubHost()
    made = []
    config = make_config()
    for _ in range(2):
        Harness(config, host).processor(Signal.TRACES)
    made = [name for name in host.asked]
    assert made == ["detection", "detection"] and len(host.objects) == 1


# ---- fail closed --------------------------------------------------------------------------------
class RaisingDetection:
    async def start(self):
        return None

    async def detect(self, texts, ner):
        raise RuntimeError("detector crashed")


class SlowDetection(RaisingDetection):
    async def detect(self, texts, ner):
        await asyncio.sleep(5)
        return [[] for _ in texts]


@pytest.mark.parametrize("detection,reason", [(RaisingDetection(), "detector_error"), (SlowDetection(), "timeout")])
def test_failing_detector_leaves_no_original_text(detection, reason):
    h = Harness(make_config(detection_timeout="50ms"), StubHost({"detection": detection}))
    prompt = json.dumps([{"role": "user", "parts": [{"type": "text", "content": f"I am Anna Schmidt, {EMAIL}"}]}])
    out = h.run(Signal.TRACES, build.traces({"name": "chat", "attributes": {
        "gen_ai.input.messages": prompt, "gen_ai.prompt": "Anna Schmidt", "user.email": EMAIL, "app.x": "Anna Schmidt"}}))
    text = str(out)
    assert "Anna" not in text and EMAIL not in text
    attributes = build.attrs(spans_of(out)[0])
    assert json.loads(attributes["gen_ai.input.messages"])[0]["parts"][0]["content"] == "<REDACTED>"  # still JSON
    assert parse_token(attributes["user.email"]) is not None  # identifiers need no detection
    assert "app.x" not in attributes and "<REDACTED>" in attributes  # an unscanned unknown key is not kept either
    # 3 texts + the span name + the unknown key's name
    assert h.telemetry.value("pii_fail_closed_total", {"reason": reason}) == 5


def test_not_started_processor_fails_closed(detector):
    import logging

    from scrubber.component import ComponentID, Kind, Settings
    from scrubber.consumer import SinkConsumer
    from scrubber.processors.pii.processor import create_processor
    from scrubber.service.telemetry import Telemetry
    sink = SinkConsumer()
    processor = create_processor(Settings(ComponentID("pii"), Kind.PROCESSOR, logging.getLogger("t"), Telemetry()),
                                 make_config(), Signal.TRACES, sink)
    asyncio.run(processor.consume(Signal.TRACES, build.traces({"attributes": {"user.email": EMAIL, "gen_ai.prompt": EMAIL}})))
    assert EMAIL not in str(sink.received[0][1])
    asyncio.run(processor.shutdown(1.0))
    asyncio.run(processor.shutdown(1.0))  # idempotent, safe without start


# ---- metrics -------------------------------------------------------------------------------------
def test_metric_identifier_pseudonymized_keeps_series_apart(harness):
    out = harness().run(Signal.METRICS, build.metrics("sum", [
        {"attributes": {"enduser.id": "u-1", "route": "/chat"}, "value": 2},
        {"attributes": {"enduser.id": "u-2", "route": "/chat"}, "value": 3}]))
    points = [p for _, _, p in items(out)]
    assert len(points) == 2 and all(parse_token(build.attrs(p)["enduser.id"]) for p in points)


def test_metric_identifier_dropped_points_merged(harness):
    h = harness(metrics={"identifiers": "drop"})
    sums = h.run(Signal.METRICS, build.metrics("sum", [
        {"attributes": {"enduser.id": "u-1", "route": "/chat"}, "value": 2, "exemplar": {"enduser.id": "u-1"}},
        {"attributes": {"enduser.id": "u-2", "route": "/chat"}, "value": 3},
        {"attributes": {"enduser.id": "u-3", "route": "/other"}, "value": 7},
        {"attributes": {"enduser.id": "u-1", "route": "/chat"}, "value": 5, "time": 2000}]))
    points = sorted(((build.attrs(p)["route"], p.time_unix_nano, p.as_int) for _, _, p in items(sums)))
    assert points == [("/chat", 1000, 5), ("/chat", 2000, 5), ("/other", 1000, 7)]
    assert all(len(p.exemplars) == 0 for _, _, p in items(sums)) and "u-1" not in str(sums)
    gauges = h.run(Signal.METRICS, build.metrics("gauge", [
        {"attributes": {"enduser.id": "u-1"}, "value": 1.5}, {"attributes": {"enduser.id": "u-2"}, "value": 4.0}]))
    assert [p.as_double for _, _, p in items(gauges)] == [4.0]
    histograms = h.run(Signal.METRICS, build.metrics("histogram", [
        {"attributes": {"enduser.id": "u-1"}, "buckets": [1, 2, 0], "sum": 3.0},
        {"attributes": {"enduser.id": "u-2"}, "buckets": [0, 1, 4], "sum": 40.0}]))
    (point,) = [p for _, _, p in items(histograms)]
    assert list(point.bucket_counts) == [1, 3, 4] and point.count == 8 and point.sum == 43.0


def test_redacted_metric_labels_collide_and_merge(harness):
    h = harness(metrics={"identifiers": "redact", "exemplars": "scrub"})
    out = h.run(Signal.METRICS, build.metrics("sum", [
        {"attributes": {"user.email": EMAIL}, "value": 1, "exemplar": {"gen_ai.prompt": f"hi {EMAIL}"}},
        {"attributes": {"user.email": "other@example.com"}, "value": 2}]))
    (point,) = [p for _, _, p in items(out)]
    assert build.attrs(point) == {"user.email": "<EMAIL_ADDRESS>"} and point.as_int == 3
    assert EMAIL not in str(out) and len(point.exemplars) == 1


# ---- audit -------------------------------------------------------------------------------------------
def test_audit_attributes_and_counters_never_hold_values(harness):
    h = harness(audit={"attributes": True})
    out = h.run(Signal.TRACES, build.traces({"attributes": {"user.email": EMAIL, "gen_ai.prompt": f"card {CARD}"}},
                                            {"attributes": {"gen_ai.request.model": "m"}}))
    first, second = spans_of(out)
    attributes = build.attrs(first)
    assert attributes["scrubber.pii.detected_count"] == 2
    assert attributes["scrubber.pii.detected_types"] == ["CREDIT_CARD", "EMAIL_ADDRESS"]
    assert attributes["scrubber.pii.scrubbed_keys"] == ["span:gen_ai.prompt", "span:user.email"]
    assert "scrubber.pii.detected_count" not in build.attrs(second)
    value = h.telemetry.value("pii_detections_total", {"entity_type": "EMAIL_ADDRESS", "role": "identifier",
                                                       "jurisdiction": "default", "operator": "pseudonymize"})
    assert value == 1
    exposition = h.telemetry.exposition().decode()
    assert EMAIL not in exposition and CARD not in exposition and "test-key" not in exposition
