"""Where an item travels: one real OTLP request per item, in one of many real carriers.

The shapes follow the captures of real instrumented apps in
`shared/fixtures/instrumented/` (OTel GenAI, OpenInference, OpenLLMetry):
message JSON with text, tool_call and tool_call_response parts, flattened
`llm.input_messages.{i}...` attributes, log bodies as strings and kvlists,
custom attributes under keys the catalog does not know, metric data point
labels, span names and exception events. Each item gets its own request (so a
value found in one item is never propagated into another) stamped with
`residency.jurisdiction` = the jurisdiction the harness scrubs for.

`Carrier.extract` reads the same location back out of the scrubbed request;
`decode` turns a carrier value into what the leak checks compare (the parsed
JSON for JSON carriers, so key order and escaping do not count as changes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from benchmarks.accuracy.items import Item

TEXT, FIELDS, SHORT = "text", "fields", "short"


@dataclass(frozen=True)
class Carrier:
    name: str
    shape: str  # TEXT, FIELDS or SHORT
    signal: str  # traces, logs, metrics
    where: str  # span_attr, span_name, event_attr, log_body, log_attr, metric_label
    key: str | None  # the attribute key (None: derived from the item's key)
    fmt: str  # text, json, anyvalue
    wrap: Callable[[Item], Any]

    def attribute_key(self, item: Item) -> str | None:
        if self.where == "metric_label":
            return (item.key or "customer_name").rsplit(".", 1)[-1]
        return self.key or item.key

    def value(self, item: Item) -> Any:
        """What the app puts at the carrier's location (a string, or a structure for anyvalue)."""
        return self.wrap(item)

    def request(self, item: Item, jurisdiction: str, index: int) -> dict:
        return _REQUEST[self.signal](self, item, jurisdiction, index)

    def decode(self, value: Any) -> tuple[Any, bool]:
        """(comparable value, valid): JSON carriers are parsed; invalid JSON stays a string."""
        if self.fmt != "json" or not isinstance(value, str):
            return value, True
        try:
            return json.loads(value), True
        except ValueError:
            return value, False


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _text(item: Item) -> str:
    return item.text if item.text is not None else _dumps(item.fields)


def _args(item: Item) -> dict:
    return dict(item.fields) if item.fields is not None else {"query": item.text}


_TOOL = "update_customer_record"


def _genai_messages(role: str, parts: list[dict]) -> Callable[[Item], str]:
    return lambda item: _dumps([{"role": role, "parts": parts_of(parts, item)}])


def parts_of(parts: list[dict], item: Item) -> list[dict]:
    out = []
    for part in parts:
        out.append({k: (_text(item) if v == "$text" else _args(item) if v == "$args" else v) for k, v in part.items()})
    return out


CARRIERS: tuple[Carrier, ...] = (
    # OTel GenAI semantic conventions (JSON string attributes)
    Carrier("genai.input.messages/text", TEXT, "traces", "span_attr", "gen_ai.input.messages", "json",
            _genai_messages("user", [{"type": "text", "content": "$text"}])),
    Carrier("genai.output.messages/text", TEXT, "traces", "span_attr", "gen_ai.output.messages", "json",
            lambda i: _dumps([{"role": "assistant", "parts": [{"type": "text", "content": _text(i)}],
                               "finish_reason": "stop"}])),
    Carrier("genai.system_instructions", TEXT, "traces", "span_attr", "gen_ai.system_instructions", "json",
            lambda i: _dumps([{"type": "text", "content": _text(i)}])),
    Carrier("genai.input.messages/tool_call_response", TEXT, "traces", "span_attr", "gen_ai.input.messages", "json",
            _genai_messages("tool", [{"type": "tool_call_response", "id": "call_8Xk2", "response": "$text"}])),
    Carrier("genai.output.messages/tool_call", FIELDS, "traces", "span_attr", "gen_ai.output.messages", "json",
            lambda i: _dumps([{"role": "assistant", "parts": [
                {"type": "tool_call", "id": "call_8Xk2", "name": _TOOL, "arguments": _args(i)}],
                "finish_reason": "tool_call"}])),
    Carrier("genai.tool.call.arguments", FIELDS, "traces", "span_attr", "gen_ai.tool.call.arguments", "json",
            lambda i: _dumps(_args(i))),
    # OpenInference
    Carrier("openinference.input.value", TEXT, "traces", "span_attr", "input.value", "text", _text),
    Carrier("openinference.input.value/json", FIELDS, "traces", "span_attr", "input.value", "json",
            lambda i: _dumps(_args(i))),
    Carrier("openinference.llm.input_messages", TEXT, "traces", "span_attr",
            "llm.input_messages.1.message.content", "text", _text),
    Carrier("openinference.retrieval.documents", TEXT, "traces", "span_attr",
            "retrieval.documents.0.document.content", "text", _text),
    Carrier("openinference.tool.parameters", FIELDS, "traces", "span_attr", "tool.parameters", "json",
            lambda i: _dumps(_args(i))),
    # OpenLLMetry / Traceloop
    Carrier("openllmetry.prompt.content", TEXT, "traces", "span_attr", "gen_ai.prompt.1.content", "text", _text),
    Carrier("openllmetry.completion.content", TEXT, "traces", "span_attr", "gen_ai.completion.0.content", "text",
            _text),
    Carrier("traceloop.entity.input", TEXT, "traces", "span_attr", "traceloop.entity.input", "json",
            lambda i: _dumps({"args": [_text(i)], "kwargs": {"stream": False}})),
    Carrier("traceloop.entity.input/fields", FIELDS, "traces", "span_attr", "traceloop.entity.input", "json",
            lambda i: _dumps({"args": [], "kwargs": _args(i)})),
    # logs
    Carrier("log.body/string", TEXT, "logs", "log_body", None, "text", _text),
    Carrier("log.body/kvlist", TEXT, "logs", "log_body", None, "anyvalue",
            lambda i: {"event": "chat.request", "message": _text(i)}),
    Carrier("log.body/kvlist-fields", FIELDS, "logs", "log_body", None, "anyvalue", _args),
    # errors
    Carrier("exception.message", TEXT, "traces", "event_attr", "exception.message", "text", _text),
    # short values: custom keys not in the catalog, metric labels, span names
    Carrier("span.attribute/custom-key", SHORT, "traces", "span_attr", None, "text", _text),
    Carrier("log.attribute/custom-key", SHORT, "logs", "log_attr", None, "text", _text),
    Carrier("metric.label", SHORT, "metrics", "metric_label", None, "text", _text),
    Carrier("span.name", SHORT, "traces", "span_name", None, "text", _text),
)

BY_NAME = {c.name: c for c in CARRIERS}


def compatible(item: Item) -> list[Carrier]:
    shape = FIELDS if item.fields is not None else SHORT if item.key else TEXT
    chosen = [c for c in CARRIERS if c.shape == shape]
    if item.carriers:
        chosen = [BY_NAME[name] for name in item.carriers]
    return chosen


def assign(items: list[Item]) -> list[Carrier]:
    """A carrier per item, round-robin within each shape, so every carrier gets its share."""
    counters: dict[tuple[str, ...], int] = {}
    out = []
    for item in items:
        options = compatible(item)
        names = tuple(c.name for c in options)
        n = counters.get(names, 0)
        counters[names] = n + 1
        out.append(options[n % len(options)])
    return out


# --- OTLP/JSON requests ------------------------------------------------------------------------

def to_anyvalue(value: Any) -> dict:
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, dict):
        return {"kvlistValue": {"values": [{"key": k, "value": to_anyvalue(v)} for k, v in value.items()]}}
    if isinstance(value, list):
        return {"arrayValue": {"values": [to_anyvalue(v) for v in value]}}
    return {"stringValue": str(value)}


def from_anyvalue(value: dict | None) -> Any:
    if not value:
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "kvlistValue" in value:
        return {kv["key"]: from_anyvalue(kv.get("value")) for kv in value["kvlistValue"].get("values", [])}
    if "arrayValue" in value:
        return [from_anyvalue(v) for v in value["arrayValue"].get("values", [])]
    for k in ("intValue", "boolValue", "doubleValue", "bytesValue"):
        if k in value:
            return value[k]
    return None


def _attrs(pairs: dict[str, Any]) -> list[dict]:
    return [{"key": k, "value": to_anyvalue(v)} for k, v in pairs.items()]


def _resource(jurisdiction: str) -> dict:
    return {"attributes": _attrs({"service.name": "support-assistant", "deployment.environment": "prod",
                                  "residency.jurisdiction": jurisdiction})}


def _ids(index: int) -> tuple[str, str]:
    return f"{index + 1:032x}", f"{index + 1:016x}"


_T0 = 1795794126867682513


def _span_request(c: Carrier, item: Item, jurisdiction: str, index: int) -> dict:
    trace_id, span_id = _ids(index)
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                  "gen_ai.request.model": "gpt-4o-mini"}
    name, events = "chat gpt-4o-mini", []
    value = c.value(item)
    if c.where == "span_attr":
        attributes[c.attribute_key(item)] = value
    elif c.where == "span_name":
        name = value
    elif c.where == "event_attr":
        events = [{"timeUnixNano": str(_T0 + 500), "name": "exception",
                   "attributes": _attrs({"exception.type": "app.errors.CustomerLookupError", c.key: value})}]
    span = {"traceId": trace_id, "spanId": span_id, "name": name, "kind": 3, "startTimeUnixNano": str(_T0),
            "endTimeUnixNano": str(_T0 + 9_000_000), "attributes": _attrs(attributes), "status": {}}
    if events:
        span["events"] = events
        span["status"] = {"code": 2}
    return {"resourceSpans": [{"resource": _resource(jurisdiction), "scopeSpans": [
        {"scope": {"name": "app"}, "spans": [span]}]}]}


def _log_request(c: Carrier, item: Item, jurisdiction: str, index: int) -> dict:
    trace_id, span_id = _ids(index)
    attributes: dict[str, Any] = {"code.function.name": "handle"}
    body: Any = "request handled"
    if c.where == "log_body":
        body = c.value(item)
    else:
        attributes[c.attribute_key(item)] = c.value(item)
    record = {"timeUnixNano": str(_T0), "observedTimeUnixNano": str(_T0 + 1000), "severityNumber": 9,
              "severityText": "INFO", "body": to_anyvalue(body), "attributes": _attrs(attributes),
              "traceId": trace_id, "spanId": span_id}
    return {"resourceLogs": [{"resource": _resource(jurisdiction), "scopeLogs": [
        {"scope": {"name": "app"}, "logRecords": [record]}]}]}


def _metric_request(c: Carrier, item: Item, jurisdiction: str, index: int) -> dict:
    point = {"startTimeUnixNano": str(_T0), "timeUnixNano": str(_T0 + 1000), "asInt": "1",
             "attributes": _attrs({c.attribute_key(item): c.value(item), "route": "/chat"})}
    metric = {"name": "app.requests", "sum": {"dataPoints": [point], "aggregationTemporality": 2,
                                              "isMonotonic": True}}
    return {"resourceMetrics": [{"resource": _resource(jurisdiction), "scopeMetrics": [
        {"scope": {"name": "app"}, "metrics": [metric]}]}]}


_REQUEST = {"traces": _span_request, "logs": _log_request, "metrics": _metric_request}


def _first_span(data: dict) -> dict:
    return data["resourceSpans"][0]["scopeSpans"][0]["spans"][0]


def _attr(attributes: list[dict], key: str) -> Any:
    for kv in attributes or []:
        if kv.get("key") == key:
            return from_anyvalue(kv.get("value"))
    return None


def _first(data: dict, *path: str) -> dict | None:
    node: Any = data
    try:
        for step in path:
            node = node[step][0] if isinstance(node.get(step), list) else node[step]
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    return node


def _extract_span_attr(c: Carrier, key: str | None, data: dict) -> Any:
    span = _first(data, "resourceSpans", "scopeSpans", "spans")
    return None if span is None else _attr(span.get("attributes"), key)


def _extract_span_name(c: Carrier, key: str | None, data: dict) -> Any:
    span = _first(data, "resourceSpans", "scopeSpans", "spans")
    return None if span is None else span.get("name", "")


def _extract_event_attr(c: Carrier, key: str | None, data: dict) -> Any:
    span = _first(data, "resourceSpans", "scopeSpans", "spans")
    events = (span or {}).get("events") or [{}]
    return _attr(events[0].get("attributes"), c.key)


def _extract_log(c: Carrier, key: str | None, data: dict) -> Any:
    record = _first(data, "resourceLogs", "scopeLogs", "logRecords")
    if record is None:
        return None
    if c.where == "log_body":
        return from_anyvalue(record.get("body"))
    return _attr(record.get("attributes"), key)


def _extract_metric_label(c: Carrier, key: str | None, data: dict) -> Any:
    metric = _first(data, "resourceMetrics", "scopeMetrics", "metrics")
    points = ((metric or {}).get("sum") or {}).get("dataPoints") or [{}]
    return _attr(points[0].get("attributes"), key)


_EXTRACT = {"span_attr": _extract_span_attr, "span_name": _extract_span_name, "event_attr": _extract_event_attr,
            "log_body": _extract_log, "log_attr": _extract_log, "metric_label": _extract_metric_label}


@dataclass(frozen=True)
class Placed:
    """A carrier bound to one item."""

    carrier: Carrier
    item: Item
    index: int

    def request(self, jurisdiction: str) -> dict:
        return self.carrier.request(self.item, jurisdiction, self.index)

    def input_value(self) -> Any:
        return self.carrier.value(self.item)

    def extract(self, data: dict) -> Any:
        """The carrier's value in a (scrubbed) OTLP/JSON request: str, python structure or None."""
        return _EXTRACT[self.carrier.where](self.carrier, self.carrier.attribute_key(self.item), data)
