"""Key names as evidence (issue 8 class 5) and keys / names scanned (issue 13 item 6).

Table tests of the classifier on both sides (keys that name personal data, keys that
are technical and must stay as they are), then the processor on attributes, JSON object
keys in tool-call arguments, kvlists, metric labels, keys that hold a name, span and
event names, and route normalisation."""

from __future__ import annotations

import json

import pytest

from scrubber.pdata import Signal
from scrubber.processors.pii.keynames import classify, probe_text, tokens
from scrubber.processors.pii.tests import build
from scrubber.processors.pii.tests.test_pii_engine import spans_of
from scrubber.pseudonym import parse_token

#: (key, expected (role, entity)) - keys whose name says what they hold
FLIPPED = [
    ("app.customer.display_name", ("identifier", "PERSON")),
    ("customer_name", ("identifier", "PERSON")),
    ("first_name", ("identifier", "PERSON")),
    ("lastName", ("identifier", "PERSON")),
    ("given_names", ("identifier", "PERSON")),
    ("surname", ("identifier", "PERSON")),
    ("patient.full-name", ("identifier", "PERSON")),
    ("nickname", ("identifier", "PERSON")),
    ("app.customer_ref", ("identifier", "USER_ID")),
    ("x-user-id", ("identifier", "USER_ID")),
    ("account_number", ("identifier", "USER_ID")),
    ("login", ("identifier", "USER_ID")),
    ("customerEmail", ("identifier", "EMAIL_ADDRESS")),
    ("billing.e-mail", ("identifier", "EMAIL_ADDRESS")),
    ("contactPhoneNumber", ("identifier", "PHONE_NUMBER")),
    ("msisdn", ("identifier", "PHONE_NUMBER")),
    ("shipping.address", ("identifier", "ADDRESS")),
    ("street", ("identifier", "ADDRESS")),
    ("zip_code", ("identifier", "LOCATION")),
    ("postalCode", ("identifier", "LOCATION")),
    ("city", ("identifier", "LOCATION")),
    ("applicant_ssn", ("identifier", "NATIONAL_ID")),
    ("passport_number", ("identifier", "NATIONAL_ID")),
    ("tax_id", ("identifier", "NATIONAL_ID")),
    ("date_of_birth", ("identifier", "DATE_OF_BIRTH")),
    ("birth_date", ("identifier", "DATE_OF_BIRTH")),
    ("dob", ("identifier", "DATE_OF_BIRTH")),
    ("iban", ("identifier", "IBAN_CODE")),
    ("card_number", ("identifier", "CREDIT_CARD")),
    ("client_ip", ("identifier", "IP_ADDRESS")),
    ("app.api_key", ("identifier", "SECRET")),
    ("customer_message", ("content", "")),
    ("user.feedback", ("content", "")),
]

#: technical keys: no evidence, the caller's default applies (pattern scan or content)
LEFT_ALONE = [
    "user_agent.original", "http.request.body.size", "email.count", "is_mobile", "has_email", "num_users",
    "session.duration", "user.locale", "token_count", "server.address", "net.host.ip", "destination.address",
    "span_id", "trace.id", "gen_ai.tool.name", "db.client.connection.pool.name", "name", "feature.flag.ada_obi",
    "customer.type", "phone.verified", "email.status", "user.role", "address.format", "card.brand_type",
    "k8s.pod.name", "host.name", "messaging.destination.name", "app.version", "retry.count",
]


@pytest.mark.parametrize("key,expected", FLIPPED)
def test_key_name_gives_role(key, expected):
    assert classify(key) == expected


@pytest.mark.parametrize("key", LEFT_ALONE)
def test_technical_key_not_flipped(key):
    assert classify(key) is None


def test_tokens_and_probe():
    assert tokens("app.customerDisplayName") == ["app", "customer", "display", "name"]
    assert tokens("HTTPServer_URL-path") == ["http", "server", "url", "path"]
    key = "feature.flag.Ada_Obi"
    assert probe_text(key) == "feature flag Ada Obi" and len(probe_text(key)) == len(key)


# ---- the processor ------------------------------------------------------------------
def test_unknown_identifier_like_keys_pseudonymized_whole(harness):
    out = harness().run(Signal.TRACES, build.traces({"attributes": {
        "app.customer.display_name": "Ada Obi", "app.customer_ref": "u-58213", "app.contact.phone": "555 0100",
        "app.order.total_count": 3, "app.is_member": True, "user_agent.original": "curl/8.1",
        "http.request.body.size": 512}}))
    a = build.attrs(spans_of(out)[0])
    assert parse_token(a["app.customer.display_name"]).entity == "PERSON"
    assert parse_token(a["app.customer_ref"]).entity == "USER_ID"
    assert parse_token(a["app.contact.phone"]).entity == "PHONE_NUMBER"
    assert a["app.order.total_count"] == 3 and a["app.is_member"] is True
    assert a["user_agent.original"] == "curl/8.1" and a["http.request.body.size"] == 512


def test_same_user_id_same_token_under_known_and_inferred_key(harness):
    out = harness().run(Signal.TRACES, build.traces({"attributes": {"enduser.id": "u-58213", "app.customer_ref": "u-58213"}}))
    a = build.attrs(spans_of(out)[0])
    assert a["enduser.id"] == a["app.customer_ref"]


def test_strict_mode_still_redacts_inferred_keys(harness):
    out = harness(unknown_keys="redact").run(Signal.TRACES, build.traces({"attributes": {"customer_name": "Ada Obi"}}))
    assert build.attrs(spans_of(out)[0])["customer_name"] == "<REDACTED>"


def test_tool_call_arguments_names_split_over_fields(harness):
    args = {"first_name": "Ada", "last_name": "Obi", "given_names": "Chidinma Ada", "surname": "Okafor",
            "phone": "0151 2345 6789", "contactEmail": "ada@example.org", "count": 2, "city": "Lagos",
            "order": {"customer_ref": "u-991", "note": "deliver after 5pm"}}
    messages = [{"role": "assistant", "parts": [{"type": "tool_call", "name": "book", "arguments": args}]}]
    out = harness().run(Signal.TRACES, build.traces({"attributes": {"gen_ai.output.messages": json.dumps(messages)}}))
    text = build.attrs(spans_of(out)[0])["gen_ai.output.messages"]
    for value in ("Ada", "Obi", "Chidinma", "Okafor", "2345", "ada@example.org", "Lagos", "u-991"):
        assert value not in text
    scrubbed = json.loads(text)[0]["parts"][0]["arguments"]
    assert list(scrubbed) == list(args)  # same keys, same order
    assert parse_token(scrubbed["first_name"]).entity == "PERSON" and scrubbed["count"] == 2
    assert scrubbed["order"]["note"] == "deliver after 5pm"
    assert json.loads(text)[0]["parts"][0]["name"] == "book"


def test_kvlist_keys_name_the_value(harness):
    out = harness().run(Signal.LOGS, build.logs({"body": {"event": "signup", "customer": {"first_name": "Ada",
                                                                                          "last_name": "Obi"}}}))
    body = build.plain(spans_of(out)[0].body)
    assert parse_token(body["customer"]["first_name"]).entity == "PERSON"
    assert parse_token(body["customer"]["last_name"]).entity == "PERSON"
    assert body["event"] == "signup"


def test_metric_label_customer_name(harness):
    out = harness().run(Signal.METRICS, build.metrics("sum", [
        {"attributes": {"customer_name": "Ada Obi", "plan": "pro"}, "value": 1},
        {"attributes": {"customer_name": "Bo Li", "plan": "pro"}, "value": 2}]))
    points = list(out.resource_metrics[0].scope_metrics[0].metrics[0].sum.data_points)
    labels = [build.attrs(p) for p in points]
    assert all(parse_token(label["customer_name"]).entity == "PERSON" for label in labels)
    assert {label["plan"] for label in labels} == {"pro"}


PERSON_KEY = "feature.flag.Priya Raman"  # a name the NER finds on its own


def test_key_holding_a_name_is_renamed_value_keeps_its_treatment(harness):
    out = harness().run(Signal.TRACES, build.traces({"attributes": {PERSON_KEY: "on", "app.note.for_Priya Raman": "x@y.org"}}))
    a = build.attrs(spans_of(out)[0])
    assert not any("Priya" in k or "Raman" in k for k in a)
    renamed = [k for k in a if k.startswith("feature.flag.")]
    assert len(renamed) == 1 and parse_token(renamed[0][len("feature.flag."):]).entity == "PERSON"
    assert a[renamed[0]] == "on"
    other = next(v for k, v in a.items() if k.startswith("app.note."))
    assert parse_token(other).entity == "EMAIL_ADDRESS"


def test_json_and_kvlist_keys_holding_a_name(harness):
    messages = [{"role": "user", "parts": [{"type": "text", "content": "hi"}],
                 "metadata": {"Priya Raman": "vip", "tier": "gold"}}]
    out = harness().run(Signal.TRACES, build.traces({"attributes": {"gen_ai.input.messages": json.dumps(messages),
                                                                    "app.scores": {"Priya Raman": 9}}}))
    a = build.attrs(spans_of(out)[0])
    assert "Priya" not in a["gen_ai.input.messages"]
    meta = json.loads(a["gen_ai.input.messages"])[0]["metadata"]
    assert set(meta.values()) == {"vip", "gold"} and "tier" in meta
    assert "Priya" not in json.dumps(a["app.scores"]) and list(a["app.scores"].values()) == [9]


def test_dropped_attribute_under_renamed_key_is_still_dropped(harness):
    config = {"operators": {"entities": {"EMAIL_ADDRESS": "drop"}}}
    out = harness(**config).run(Signal.TRACES, build.traces({"attributes": {"app.note.for_Priya Raman": "x@y.org", "k": "v"}}))
    assert build.attrs(spans_of(out)[0]) == {"k": "v"}


def test_span_event_and_log_names_scanned_with_ner(harness):
    h = harness()
    out = h.run(Signal.TRACES, build.traces({"name": "call Priya Raman at +49 30 12345678",
                                             "events": [("escalated by Priya Raman", {})]}))
    span = spans_of(out)[0]
    assert "Priya" not in span.name and "12345678" not in span.name and span.name.startswith("call <PERSON:")
    assert "Priya" not in span.events[0].name
    request = build.logs({"body": "x"})
    request.resource_logs[0].scope_logs[0].log_records[0].event_name = "reminder for Priya Raman"
    assert "Priya" not in spans_of(h.run(Signal.LOGS, request))[0].event_name


@pytest.mark.parametrize("name,expected", [
    ("GET /users/ada-obi-42", "GET /users/{id}"),
    ("GET /users/ada-obi", "GET /users/{id}"),
    ("DELETE /customers/ada.obi@example.org/orders/981", "DELETE /customers/{email}/orders/{id}"),
    ("GET /people/AdaObi?tab=1", "GET /people/{id}"),
    ("POST /v1/chat/completions", "POST /v1/chat/completions"),
    ("GET /users/me", "GET /users/me"),
    ("GET /users/{id}", "GET /users/{id}"),
    ("GET /docs/getting-started", "GET /docs/getting-started"),
    ("chat gpt-4o-mini", "chat gpt-4o-mini"),
])
def test_route_span_names_normalised(harness, name, expected):
    out = harness().run(Signal.TRACES, build.traces({"name": name}))
    assert spans_of(out)[0].name == expected


def test_scrubbing_twice_changes_nothing_more(harness):
    h = harness()
    first = h.run(Signal.TRACES, build.traces({"name": "GET /users/ada-obi-42", "attributes": {
        PERSON_KEY: "on", "customer_name": "Ada Obi",
        "gen_ai.input.messages": json.dumps([{"role": "user", "metadata": {"Priya Raman": 1}}])}}))
    dumped = first.SerializeToString(deterministic=True)
    second = h.run(Signal.TRACES, first)
    assert second.SerializeToString(deterministic=True) == dumped


def test_reports_and_audit_attributes_never_name_a_key_that_held_a_name(harness):
    h = harness(audit={"attributes": True})
    h.processor(Signal.TRACES).keep_report = True
    out = h.run(Signal.TRACES, build.traces({"attributes": {
        "app.note.for_Priya Raman": "mail x@y.org",
        "gen_ai.input.messages": json.dumps([{"role": "user", "metadata": {"Priya Raman": "call +49 30 12345678"}}])}}))
    audit = build.attrs(spans_of(out)[0])["scrubber.pii.scrubbed_keys"]
    assert audit and not any("Priya" in label for label in audit), audit
    processor = h.processor(Signal.TRACES)
    assert not any("Priya" in key[0] for key in processor.report.detections)
