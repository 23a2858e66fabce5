"""Small OTLP builders for the residency tests."""

from __future__ import annotations

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from scrubber.pdata import items
from scrubber.residency.resolve import attribute


def _set(attributes, values: dict) -> None:
    for key, value in values.items():
        kv = attributes.add(key=key)
        if isinstance(value, int):
            kv.value.int_value = value
        else:
            kv.value.string_value = value


def traces(*resources: tuple[dict, list[dict]]) -> ExportTraceServiceRequest:
    """resources: (resource attributes, [span attributes, ...]); span names are span-<n>."""
    request = ExportTraceServiceRequest()
    n = 0
    for resource_attrs, spans in resources:
        group = request.resource_spans.add(schema_url="https://opentelemetry.io/schemas/1.26.0")
        _set(group.resource.attributes, resource_attrs)
        scope = group.scope_spans.add()
        scope.scope.name = "lib"
        for span_attrs in spans:
            span = scope.spans.add(name=f"span-{n}", trace_id=bytes(16), span_id=n.to_bytes(8, "big"))
            _set(span.attributes, span_attrs)
            n += 1
    return request


def logs(resource_attrs: dict, records: list[dict]) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    group = request.resource_logs.add()
    _set(group.resource.attributes, resource_attrs)
    scope = group.scope_logs.add()
    for i, record_attrs in enumerate(records):
        record = scope.log_records.add()
        record.body.string_value = f"record-{i}"
        _set(record.attributes, record_attrs)
    return request


def metrics(resource_attrs: dict, points: list[dict]) -> ExportMetricsServiceRequest:
    """One monotonic cumulative sum `requests` with one point per attribute dict (value = index)."""
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    _set(group.resource.attributes, resource_attrs)
    metric = group.scope_metrics.add().metrics.add(name="requests", unit="1")
    metric.sum.is_monotonic = True
    metric.sum.aggregation_temporality = 2
    for i, point_attrs in enumerate(points):
        point = metric.sum.data_points.add(as_int=i)
        _set(point.attributes, point_attrs)
    return request


def stamps(request) -> list[str]:
    """The residency.jurisdiction of every item, in order."""
    out = []
    for _, _, item in items(request):
        value = attribute(item.attributes, "residency.jurisdiction")
        out.append(value.string_value if value is not None else None)
    return out
