"""Issue 8 class 6: span names and allow-listed dimension values pass detection before they
become labels; the global aggregates and the Prometheus labels never hold a name or a phone
number. Through the real Detector (patterns + NER), consumed and scraped as in production."""

from __future__ import annotations

import asyncio
import json

import pytest
from prometheus_client.parser import text_string_to_metric_families

from scrubber.connectors.aggregates.config import AggregatesConfig
from scrubber.connectors.aggregates.labels import REDACTED, LabelVetter, safe_shape
from scrubber.pdata import Signal
from tests.aggregates import builders as b
from tests.aggregates.test_aggregates_connector import _scrape, feed, flushed, make, points

NAMES = ("Priya Raman", "Ada Obi", "Chidinma Okafor", "Jürgen Weiß")
PHONES = ("+49 30 12345678", "+1 415 555 2671", "+91 98765 43210", "0151 23456789")
PERSONAL = [*NAMES, *PHONES, "ada.obi@example.org"]


def _leaks(text: str) -> list[str]:
    pieces = {p for value in PERSONAL for p in (value, *value.split()) if len(p) > 3 and not p.startswith("+")}
    pieces |= {value.replace(" ", "") for value in PHONES} | {v.split()[-1] for v in PHONES}
    return sorted(p for p in pieces if p in text)


@pytest.mark.parametrize("value,ok", [
    ("gpt-4o-mini", True), ("claude-3-5-sonnet-20241022", True), ("checkout-api", True), ("prod", True),
    ("eu", True), ("text-embedding-3-small", True), ("models/gemini-1.5-pro", True),
    ("Priya Raman", False), ("ada obi", False), ("ada.obi@example.org", False), ("+4930123456789", False),
    ("u 1", False), ("x" * 65, False), ("", False),
])
def test_safe_shape(value, ok):
    assert safe_shape(value) is ok


def _spans_with_personal_data():
    specs = []
    for i, (name, phone) in enumerate(zip(NAMES, PHONES)):
        specs.append({"name": f"call {name} at {phone}", "attrs": {"gen_ai.request.model": "gpt-4o-mini"}})
        specs.append({"name": f"GET /users/{name.lower().replace(' ', '-')}-{i}"})
        specs.append({"name": "chat", "attrs": {"gen_ai.operation.name": "chat", "gen_ai.request.model": name}})
        specs.append({"name": "chat", "attrs": {"gen_ai.operation.name": phone, "gen_ai.request.model": "gpt-4o"}})
    return b.spans(specs, resource={"service.name": "shop", "deployment.environment": "Ada Obi"})


def test_span_names_and_dimension_values_with_names_and_phones_never_become_labels():
    connectors, _, _ = make()
    feed(connectors, Signal.TRACES, _spans_with_personal_data())
    feed(connectors, Signal.LOGS, b.logs([{"attrs": {"deployment.environment": "+49 30 12345678"}}]))
    feed(connectors, Signal.METRICS, b.counter("app.orders", [({"gen_ai.request.model": "Priya Raman"}, 3),
                                                                ({"gen_ai.request.model": "gpt-4o"}, 2)]))
    export = flushed(connectors)
    text = json.dumps(export, ensure_ascii=False)
    assert not _leaks(text), _leaks(text)
    names = {a["span.name"] for a, _ in points(export, "traces.span.metrics.calls")}
    assert "GET /users/{id}" in names
    assert any(n.startswith("call {person} at {phone_number}") for n in names), names
    models = {a.get("gen_ai.request.model") for a, _ in points(export, "scrubber.gen_ai.requests")}
    assert {"gpt-4o", REDACTED} <= models  # the safe model kept, the name folded
    orders = {a.get("gen_ai.request.model"): int(p["asInt"]) for a, p in points(export, "app.orders")}
    assert orders == {REDACTED: 3, "gpt-4o": 2}  # totals still add up


def test_prometheus_labels_hold_no_name_or_phone():
    config = AggregatesConfig(prometheus={"endpoint": "127.0.0.1:0"}, metrics_flush_interval="60s")
    connectors, _, _ = make(config)

    async def scenario() -> str:
        for c in connectors.values():
            await c.start(None)
        await connectors[Signal.TRACES].consume(Signal.TRACES, _spans_with_personal_data())
        text = await _scrape(connectors[Signal.TRACES].core.server.port)
        for c in connectors.values():
            await c.shutdown(1.0)
        return text

    text = asyncio.run(scenario())
    assert not _leaks(text), _leaks(text)
    labels = {s.labels.get("span_name") for f in text_string_to_metric_families(text) for s in f.samples}
    assert "GET /users/{id}" in labels


class _Failing:
    async def detect(self, texts, ner):
        raise RuntimeError("worker lost")


class _Counting:
    def __init__(self):
        self.calls = []

    async def detect(self, texts, ner):
        self.calls.append(list(texts))
        return [[] for _ in texts]


def test_detection_failure_folds_values_and_is_not_cached():
    vetter = LabelVetter()
    asyncio.run(vetter.prepare(_Failing(), ["gpt-4o"], ["chat gpt-4o"]))
    assert vetter.value("gpt-4o") == REDACTED and vetter.span_name("chat gpt-4o") == REDACTED
    assert vetter.fail_closed == 2
    counting = _Counting()
    asyncio.run(vetter.prepare(counting, ["gpt-4o"], ["chat gpt-4o"]))
    assert vetter.value("gpt-4o") == "gpt-4o" and vetter.span_name("chat gpt-4o") == "chat gpt-4o"


def test_each_distinct_value_is_detected_once_and_unsafe_shapes_never_reach_detection():
    vetter, counting = LabelVetter(), _Counting()
    for _ in range(3):
        asyncio.run(vetter.prepare(counting, ["gpt-4o", "Ada Obi"], ["GET /users/42"]))
    assert counting.calls == [["GET /users/{id}", "gpt-4o"]]
    assert vetter.value("Ada Obi") == REDACTED and vetter.value(4915123456789) == REDACTED and vetter.value(200) == 200
    assert vetter.value("never prepared") == REDACTED  # fail closed


def test_capitalised_name_shape_in_span_name_folded_even_without_ner():
    vetter = LabelVetter()
    asyncio.run(vetter.prepare(_Counting(), [], ["escalate Ada Obi", "invoke_agent planner", "ChatOpenAI"]))
    assert vetter.span_name("escalate Ada Obi") == "escalate {name}"
    assert vetter.span_name("invoke_agent planner") == "invoke_agent planner"
    assert vetter.span_name("ChatOpenAI") == "ChatOpenAI"
