"""The OTLP/JSON codec: hex ids, round trips, and clear errors for bad input."""

from __future__ import annotations

import json

import pytest

from scrubber.pdata import Signal, otlpjson

SPAN = {"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "895e891148bf58e65d35599a1fa7098e",
                                                       "spanId": "6ef95a995ace4a07", "name": "s", "kind": 2}]}]}]}


def test_hex_ids_round_trip_exactly():
    text = json.dumps(SPAN, separators=(",", ":"))
    request = otlpjson.loads(Signal.TRACES, text)
    assert request.resource_spans[0].scope_spans[0].spans[0].trace_id.hex() == "895e891148bf58e65d35599a1fa7098e"
    assert json.loads(otlpjson.dumps(request)) == SPAN


def test_signal_is_sniffed_from_the_top_level_key():
    signal, _ = otlpjson.load_line(json.dumps({"resourceLogs": []}))
    assert signal is Signal.LOGS


@pytest.mark.parametrize("text", [
    "[" * 100_000,                                   # deeper than the decoder can go
    '{"a":' * 100_000 + "1" + "}" * 100_000,
    '{"resourceSpans": 5}',                          # wrong type
    '{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "zz"}]}]}]}',  # not hex
    "not json",
])
def test_bad_input_is_a_clear_otlpjson_error(text):
    with pytest.raises(otlpjson.OTLPJSONError):
        otlpjson.loads(Signal.TRACES, text)
    with pytest.raises(otlpjson.OTLPJSONError):
        otlpjson.load_line(text if text.startswith("{") else text)


def test_nesting_the_decoder_accepts_but_the_walk_cannot_is_still_a_clear_error():
    deep: dict = {"resourceSpans": []}
    node = deep
    for _ in range(5000):  # built in Python: no decoder limit applies
        node["x"] = {}
        node = node["x"]
    with pytest.raises(otlpjson.OTLPJSONError):
        otlpjson.request_from_dict(Signal.TRACES, deep)
