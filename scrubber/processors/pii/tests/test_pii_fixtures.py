"""The acceptance test of the pii processor on real captured GenAI telemetry: for every
instrumentation library's fixture, nothing planted survives, JSON stays JSON with the
same structure, and what is not personal is untouched."""

from __future__ import annotations

import json

import pytest

from scrubber.pdata import Signal, clone, items, otlpjson
from scrubber.processors.pii.tests.conftest import fixture_dirs, planted
from scrubber.pseudonym import parse_token

SAFE_KEYS = {"gen_ai.request.model", "gen_ai.response.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
             "llm.model_name", "llm.token_count.prompt", "llm.token_count.completion", "llm.token_count.total",
             "embedding.model_name", "gen_ai.operation.name", "service.name", "cloud.region", "openinference.span.kind",
             "llm.input_messages.0.message.role", "input.mime_type", "gen_ai.response.finish_reasons", "route"}



def _forms(value: str) -> set[str]:
    """The value as it may appear in serialized output: raw, JSON-escaped, escaped twice."""
    once = json.dumps(value)[1:-1]
    return {value, once, json.dumps(once)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}


def _shape(node):
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_shape(v) for v in node]
    return None


def _json_or_none(text: str):
    stripped = text.strip()
    if stripped[:1] not in ("{", "["):
        return None
    try:
        return json.loads(stripped)
    except ValueError:
        return None


def _attrs(item) -> dict:
    return {kv.key: kv.value for kv in item.attributes}


@pytest.mark.parametrize("folder", fixture_dirs(), ids=lambda p: p.name)
def test_fixture_scrubbed(folder, harness):
    h = harness()
    values = planted(folder)
    for name in ("traces", "logs", "metrics"):
        for line in (folder / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            signal, original = otlpjson.load_line(line)
            out = h.run(signal, clone(original))
            dumped = [otlpjson.dumps(out), json.dumps(otlpjson.request_to_dict(out), ensure_ascii=True)]
            leaked = [v for v in values for form in _forms(v) for text in dumped if form in text]
            assert not leaked, f"{folder.name}/{name}: planted values survived: {sorted(set(leaked))}"
            if signal is not Signal.METRICS:
                _check_items(original, out)
            else:
                _check_metric_identifiers(out)


def _check_items(original, out) -> None:
    before, after = list(items(original)), list(items(out))
    assert len(before) == len(after)
    for (_, _, a), (_, _, b) in zip(before, after):
        if a.DESCRIPTOR.name == "Span":
            assert (a.trace_id, a.span_id, a.name) == (b.trace_id, b.span_id, b.name)
        attrs_a, attrs_b = _attrs(a), _attrs(b)
        for key, value in attrs_a.items():
            if key in SAFE_KEYS:
                assert attrs_b[key] == value, f"safe attribute {key} changed"
            if value.WhichOneof("value") == "string_value":
                document = _json_or_none(value.string_value)
                if document is not None:
                    scrubbed_doc = json.loads(attrs_b[key].string_value)
                    assert _shape(scrubbed_doc) == _shape(document), f"{key}: JSON structure changed"
    for (resource_a, _, _), (resource_b, _, _) in zip(before, after):
        assert _attrs(resource_a.resource)["service.name"] == _attrs(resource_b.resource)["service.name"]


def _check_metric_identifiers(out) -> None:
    for _, _, point in items(out):
        attrs = _attrs(point)
        if "enduser.id" in attrs:
            token = parse_token(attrs["enduser.id"].string_value)
            assert token is not None and token.entity == "USER_ID" and token.key_id == "k1"


@pytest.mark.parametrize("folder", fixture_dirs(), ids=lambda p: p.name)
def test_fixture_log_event_structured_attributes(folder, harness):
    """gen_ai.* log events carry messages as kvlist/array AnyValues: scrubbed inside, shape kept."""
    h = harness()
    line = (folder / "logs.jsonl").read_text(encoding="utf-8").splitlines()[0]
    signal, original = otlpjson.load_line(line)
    out = h.run(signal, clone(original))
    before = otlpjson.request_to_dict(original)
    after = otlpjson.request_to_dict(out)
    assert _shape(before) == _shape(after)
