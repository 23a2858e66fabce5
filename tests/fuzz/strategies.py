"""Hypothesis strategies for structure-aware OTLP fuzzing: valid protobuf messages of every
signal whose *content* is hostile.

What the issue-13 suite found was not broken framing (random bytes are refused cheaply) but
well-formed requests with hostile content, so these build real `Export*ServiceRequest`
messages and fill them with: AnyValues nested deep (kvlists and arrays), strings holding
JSON nested deep or truncated, lone surrogate-free but exotic Unicode, keys that look like
catalog keys, ids of wrong lengths, enums out of range, exponential histograms with far-apart
offsets and scales, explicit histograms whose bounds and counts disagree, summaries, exemplars,
empty groups. Sizes stay small (a few KiB) so hundreds of examples run in seconds; the size
and memory edges have their own tests.
"""

from __future__ import annotations

from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from scrubber.pdata import Signal

#: keys the pii catalog treats specially (content, structured JSON, identifiers, URLs, SQL)
CATALOG_KEYS = ["gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
                "gen_ai.tool.call.arguments", "gen_ai.prompt", "input.value", "output.value",
                "llm.input_messages.0.message.content", "enduser.id", "user.email", "session.id",
                "url.full", "url.query", "db.query.text", "http.request.header.authorization",
                "exception.message", "residency.jurisdiction", "cloud.region", "service.name", "event.name"]
REGIONS = ["eu-central-1", "ap-south-1", "us-east-1", "mars-north-1", ""]
JURISDICTIONS = ["eu", "in", "us", "unknown", "xx", ""]

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_planted = st.sampled_from(["lena.hoffmann@example.de", "+49 30 1234567", "4111 1111 1111 1111",
                            "DE89 3704 0044 0532 0130 00", "Priya Sharma", "192.168.10.20", "sk-abc123def456ghi789jkl"])


@st.composite
def json_text(draw) -> str:
    """Strings that look like JSON to the walker: valid, deep, truncated, or with a planted value."""
    depth = draw(st.sampled_from([1, 3, 63, 64, 65, 200, 1000]))
    value = draw(st.one_of(_planted, _text))
    kind = draw(st.sampled_from(["array", "object", "messages", "truncated", "mixed"]))
    import json as _json
    if kind == "array":
        return "[" * depth + _json.dumps(value) + "]" * depth
    if kind == "object":
        return '{"a":' * depth + _json.dumps(value) + "}" * depth
    if kind == "messages":
        return _json.dumps([{"role": "user", "parts": [{"type": "text", "content": value}]}])
    if kind == "truncated":
        return '[{"role":"user","parts":[{"type":"text","content":' + _json.dumps(value)
    return "[" * depth + "{" + "]" * depth


def _string(draw) -> str:
    return draw(st.one_of(_text, _planted, json_text(), st.just("x" * 3000)))


@st.composite
def any_value(draw, depth: int = 0) -> AnyValue:
    leaf = ["string", "bool", "int", "double", "bytes"]
    kind = draw(st.sampled_from(leaf + (["array", "kvlist", "deep"] if depth < 3 else [])))
    value = AnyValue()
    if kind == "string":
        value.string_value = _string(draw)
    elif kind == "bool":
        value.bool_value = draw(st.booleans())
    elif kind == "int":
        value.int_value = draw(st.integers(-2**63, 2**63 - 1))
    elif kind == "double":
        value.double_value = draw(st.floats(allow_nan=True, allow_infinity=True))
    elif kind == "bytes":
        value.bytes_value = draw(st.binary(max_size=32))
    elif kind == "array":
        value.array_value.values.extend(draw(st.lists(any_value(depth + 1), max_size=3)))
    elif kind == "kvlist":
        value.kvlist_value.values.extend(draw(st.lists(key_value(depth + 1), max_size=3)))
    else:  # nested as deep as protobuf's own limit allows in one message
        node = value
        for _ in range(draw(st.integers(10, 40))):
            node = node.array_value.values.add()
        node.string_value = draw(_planted)
    return value


@st.composite
def key_value(draw, depth: int = 0) -> KeyValue:
    key = draw(st.one_of(st.sampled_from(CATALOG_KEYS), _text, _planted))
    return KeyValue(key=key, value=draw(any_value(depth)))


def _attributes(draw, container, extra: dict | None = None) -> None:
    container.extend(draw(st.lists(key_value(), max_size=5)))
    for key, value in (extra or {}).items():
        container.add(key=key).value.string_value = value


def _id(draw, size: int, valid: bool) -> bytes:
    if valid:
        return draw(st.binary(min_size=size, max_size=size))
    return draw(st.one_of(st.binary(min_size=size, max_size=size), st.binary(max_size=size * 2 + 1)))


def _resource(draw, group) -> None:
    extra = {"service.name": "fuzz", "cloud.region": draw(st.sampled_from(REGIONS))}
    _attributes(draw, group.resource.attributes, extra)


@st.composite
def traces(draw, valid_ids: bool = True) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for _ in range(draw(st.integers(1, 2))):
        group = request.resource_spans.add()
        _resource(draw, group)
        scope = group.scope_spans.add()
        scope.scope.name = draw(_text)
        for _ in range(draw(st.integers(0, 3))):
            span = scope.spans.add(name=_string(draw), trace_id=_id(draw, 16, valid_ids), span_id=_id(draw, 8, valid_ids),
                                   kind=draw(st.integers(0, 5) if valid_ids else st.integers(-3, 9)),
                                   start_time_unix_nano=draw(st.integers(0, 2**64 - 1)),
                                   end_time_unix_nano=draw(st.integers(0, 2**64 - 1)))
            if draw(st.booleans()):
                span.parent_span_id = _id(draw, 8, valid_ids)
            _attributes(draw, span.attributes, {"residency.jurisdiction": draw(st.sampled_from(JURISDICTIONS))})
            for _ in range(draw(st.integers(0, 2))):
                event = span.events.add(name=_string(draw), time_unix_nano=draw(st.integers(0, 2**64 - 1)))
                _attributes(draw, event.attributes)
            if draw(st.booleans()):
                link = span.links.add(trace_id=_id(draw, 16, valid_ids), span_id=_id(draw, 8, valid_ids))
                _attributes(draw, link.attributes)
            span.status.code = draw(st.integers(0, 2))
            span.status.message = _string(draw)
    return request


@st.composite
def logs(draw, valid_ids: bool = True) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    group = request.resource_logs.add()
    _resource(draw, group)
    scope = group.scope_logs.add()
    for _ in range(draw(st.integers(0, 4))):
        record = scope.log_records.add(severity_number=draw(st.integers(0, 24) if valid_ids else st.integers(-2, 30)),
                                       severity_text=draw(_text), time_unix_nano=draw(st.integers(0, 2**64 - 1)),
                                       event_name=draw(st.one_of(st.just(""), _text, st.sampled_from(
                                           ["gen_ai.client.inference.operation.details", "gen_ai.user.message"]))))
        if draw(st.booleans()):
            record.trace_id, record.span_id = _id(draw, 16, valid_ids), _id(draw, 8, valid_ids)
        if draw(st.booleans()):
            record.body.CopyFrom(draw(any_value()))
        _attributes(draw, record.attributes, {"residency.jurisdiction": draw(st.sampled_from(JURISDICTIONS))})
    return request


def _exemplars(draw, point, valid_ids: bool) -> None:
    for _ in range(draw(st.integers(0, 2))):
        exemplar = point.exemplars.add(as_double=draw(st.floats()), time_unix_nano=draw(st.integers(0, 2**63)))
        if draw(st.booleans()):
            exemplar.trace_id, exemplar.span_id = _id(draw, 16, valid_ids), _id(draw, 8, valid_ids)
        _attributes(draw, exemplar.filtered_attributes)


def _point_common(draw, point, shared_time: int, shared_key: str) -> None:
    # equal attributes and time across points make the pii merge run
    point.time_unix_nano = shared_time if draw(st.booleans()) else draw(st.integers(0, 2**64 - 1))
    point.attributes.add(key="enduser.id").value.string_value = shared_key if draw(st.booleans()) else draw(_text)
    if draw(st.booleans()):
        _attributes(draw, point.attributes)


@st.composite
def metrics(draw, valid_ids: bool = True) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    _resource(draw, group)
    scope = group.scope_metrics.add()
    shared_time, shared_key = draw(st.integers(0, 2**63)), draw(_planted)
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["gauge", "sum", "histogram", "exponential_histogram", "summary"]))
        metric = scope.metrics.add(name=_string(draw), unit=draw(_text), description=draw(_text))
        data = getattr(metric, kind)
        if kind in ("sum", "histogram", "exponential_histogram"):
            data.aggregation_temporality = draw(st.integers(0, 2) if valid_ids else st.integers(-1, 5))
        if kind == "summary":
            data.SetInParent()
        for _ in range(draw(st.integers(1, 3))):
            point = data.data_points.add()
            _point_common(draw, point, shared_time, shared_key)
            if kind in ("gauge", "sum"):
                if draw(st.booleans()):
                    point.as_int = draw(st.integers(-2**63, 2**63 - 1))
                else:
                    point.as_double = draw(st.floats())
            elif kind == "histogram":
                point.explicit_bounds.extend(draw(st.lists(st.floats(), max_size=4)))
                point.bucket_counts.extend(draw(st.lists(st.integers(0, 2**64 - 1), max_size=5)))
                point.count = draw(st.integers(0, 2**64 - 1))
            elif kind == "exponential_histogram":
                point.scale = draw(st.sampled_from([-10, 0, 3, 20, -2**31, 2**31 - 1]) | st.integers(-12, 22))
                point.zero_count = draw(st.integers(0, 2**32))
                for side in (point.positive, point.negative):
                    side.offset = draw(st.sampled_from([0, -2**31, 2**31 - 1, 20_000_000]) | st.integers(-100, 100))
                    side.bucket_counts.extend(draw(st.lists(st.integers(0, 2**64 - 1), max_size=4)))
            else:
                point.count, point.sum = draw(st.integers(0, 2**64 - 1)), draw(st.floats())
                for _ in range(draw(st.integers(0, 2))):
                    point.quantile_values.add(quantile=draw(st.floats()), value=draw(st.floats()))
            if kind != "summary":
                _exemplars(draw, point, valid_ids)
    return request


REQUESTS = {Signal.TRACES: traces, Signal.LOGS: logs, Signal.METRICS: metrics}
