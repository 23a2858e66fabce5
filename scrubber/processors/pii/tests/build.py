"""Small builders of OTLP requests for the pii tests (protobuf, as receivers produce them)."""

from __future__ import annotations

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from scrubber.pdata.values import any_value


def set_attributes(container, attributes: dict) -> None:
    container.extend(KeyValue(key=k, value=any_value(v)) for k, v in attributes.items())


def attrs(item) -> dict:
    """Attributes as plain Python (strings, ints, nested)."""
    return {kv.key: plain(kv.value) for kv in item.attributes}


def plain(value: AnyValue):
    kind = value.WhichOneof("value")
    if kind == "kvlist_value":
        return {kv.key: plain(kv.value) for kv in value.kvlist_value.values}
    if kind == "array_value":
        return [plain(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


def traces(*spans: dict, resource: dict | None = None) -> ExportTraceServiceRequest:
    """Each span: {"attributes": {...}, "name": .., "events": [(name, attrs)], "links": [attrs], "status": msg}."""
    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    set_attributes(group.resource.attributes, resource or {"service.name": "svc"})
    scope = group.scope_spans.add()
    for i, spec in enumerate(spans):
        span = scope.spans.add(name=spec.get("name", "op"), trace_id=bytes([i + 1]) * 16, span_id=bytes([i + 1]) * 8)
        set_attributes(span.attributes, spec.get("attributes", {}))
        for event_name, event_attrs in spec.get("events", []):
            event = span.events.add(name=event_name)
            set_attributes(event.attributes, event_attrs)
        for link_attrs in spec.get("links", []):
            link = span.links.add(trace_id=b"\x09" * 16, span_id=b"\x09" * 8)
            set_attributes(link.attributes, link_attrs)
        if "status" in spec:
            span.status.message = spec["status"]
            span.status.code = 2
    return request


def logs(*records: dict, resource: dict | None = None) -> ExportLogsServiceRequest:
    """Each record: {"body": value, "attributes": {...}}."""
    request = ExportLogsServiceRequest()
    group = request.resource_logs.add()
    set_attributes(group.resource.attributes, resource or {"service.name": "svc"})
    scope = group.scope_logs.add()
    for spec in records:
        record = scope.log_records.add()
        if "body" in spec:
            record.body.CopyFrom(any_value(spec["body"]))
        set_attributes(record.attributes, spec.get("attributes", {}))
    return request


def metrics(kind: str, points: list[dict], resource: dict | None = None, name: str = "app.requests") -> ExportMetricsServiceRequest:
    """points: {"attributes": {...}, "value": n | "buckets": [...], "time": t, "exemplar": attrs}."""
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    set_attributes(group.resource.attributes, resource or {"service.name": "svc"})
    metric = group.scope_metrics.add().metrics.add(name=name)
    data = getattr(metric, kind)
    for spec in points:
        point = data.data_points.add(time_unix_nano=spec.get("time", 1000), start_time_unix_nano=spec.get("start", 10))
        set_attributes(point.attributes, spec["attributes"])
        if kind == "histogram":
            point.explicit_bounds.extend(spec.get("bounds", [1.0, 10.0]))
            point.bucket_counts.extend(spec["buckets"])
            point.count = sum(spec["buckets"])
            point.sum = spec.get("sum", 0.0)
        elif isinstance(spec["value"], int):
            point.as_int = spec["value"]
        else:
            point.as_double = spec["value"]
        if "exemplar" in spec:
            exemplar = point.exemplars.add(as_int=1, span_id=b"\x01" * 8, trace_id=b"\x01" * 16)
            set_attributes(exemplar.filtered_attributes, spec["exemplar"])
    return request
