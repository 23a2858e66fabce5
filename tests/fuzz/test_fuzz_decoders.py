"""Fuzzing the decoders and the config loader in process (default suite, a few seconds).

Properties:
- OTLP/JSON: the JSON of any structure-aware request decodes back to the same request, and
  any mutation of it (bytes flipped, cut, spliced) either decodes or raises OTLPJSONError:
  never another exception (which the receiver would answer 500);
- protobuf: any mutation of a request's bytes either parses or raises DecodeError, and the
  receiver's validation of whatever parses raises only its 400 Refusal;
- the pii JSON reader (structured.parse) raises only ValueError on any text, however deep;
- the config loader raises only ConfigError on any YAML-shaped document, however wrong.
"""

from __future__ import annotations

import os

import pytest
from google.protobuf.message import DecodeError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scrubber.config.loader import parse_config
from scrubber.errors import ConfigError
from scrubber.pdata import Signal, otlpjson
from scrubber.processors.pii import structured
from scrubber.receivers.otlp import validate
from scrubber.receivers.otlp.status import Refusal
from tests.fuzz.strategies import REQUESTS, json_text

EXAMPLES = int(os.environ.get("SCRUBBER_FUZZ_EXAMPLES", "30"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SIGNALS = list(Signal)


def _mutate(data: bytes, edits: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, byte in edits:
        if not out:
            break
        out[position % len(out)] = byte
    return bytes(out)


@pytest.mark.parametrize("signal", SIGNALS)
@FUZZ
@given(data=st.data())
def test_otlp_json_roundtrips_and_mutations_never_raise_anything_else(signal, data):
    request = data.draw(REQUESTS[signal](valid_ids=data.draw(st.booleans())))
    text = otlpjson.dumps(request)
    assert otlpjson.dumps(otlpjson.loads(signal, text)) == text  # (text: NaN != NaN as messages)
    edits = data.draw(st.lists(st.tuples(st.integers(0, 2**16), st.integers(0, 255)), min_size=1, max_size=8))
    cut = data.draw(st.integers(0, len(text)))
    for mutated in (_mutate(text.encode(), edits), text.encode()[:cut], text.encode()[:cut] + b"[" * 5000):
        try:
            decoded = otlpjson.loads(signal, mutated)
        except otlpjson.OTLPJSONError:
            continue
        try:
            validate.check(signal, decoded)
        except Refusal as refusal:
            assert refusal.http_status == 400


@pytest.mark.parametrize("signal", SIGNALS)
@FUZZ
@given(data=st.data())
def test_protobuf_mutations_parse_or_raise_decode_error_and_validation_only_refuses(signal, data):
    request = data.draw(REQUESTS[signal](valid_ids=data.draw(st.booleans())))
    raw = request.SerializeToString()
    edits = data.draw(st.lists(st.tuples(st.integers(0, 2**16), st.integers(0, 255)), max_size=8))
    for mutated in (raw, _mutate(raw, edits), raw[: data.draw(st.integers(0, len(raw)))]):
        try:
            decoded = signal.request_type.FromString(mutated)
        except DecodeError:
            continue
        try:
            validate.check(signal, decoded)
        except Refusal as refusal:
            assert refusal.http_status == 400 and "invalid" in refusal.message


@FUZZ
@given(text=st.one_of(json_text(), st.text(max_size=200)))
def test_the_pii_json_reader_raises_only_value_error(text):
    try:
        document = structured.parse(text)
    except ValueError:
        return
    structured.JSONStyle.of(text).dumps(document)  # what the walker writes back


_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=False),
                    st.text(max_size=20), st.sampled_from(["${env:NOPE}", "${env:X:-1}", "1s", "-5ms", "localhost:0",
                                                           "otlp", "batch", "pii", "memory_limiter", "traces"]))
_tree = st.recursive(_scalar, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(st.sampled_from(
        ["receivers", "processors", "exporters", "service", "pipelines", "traces", "otlp", "protocols", "grpc",
         "endpoint", "batch", "timeout", "pii", "keys", "memory_limiter", "limit_mib", "debug", "admission",
         "max_in_flight_mib", "exporters", "receivers", "processors", "extensions", "connectors"]) | st.text(max_size=8),
        children, max_size=5)), max_leaves=25)


@FUZZ
@given(document=st.dictionaries(st.sampled_from(["receivers", "processors", "exporters", "service", "connectors",
                                                 "extensions"]), _tree, max_size=6))
def test_the_config_loader_raises_only_config_error(document):
    try:
        parse_config(document, environ={"X": "1"})
    except ConfigError as error:
        assert error.errors and all(isinstance(line, str) and line for line in error.errors)
