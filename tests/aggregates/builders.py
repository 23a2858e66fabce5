"""Small builders of OTLP requests for the aggregates and egress guard tests."""

from __future__ import annotations

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2

from scrubber.pdata.values import any_value

T0 = 1_700_000_000_000_000_000
CUMULATIVE = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE
DELTA = metrics_pb2.AGGREGATION_TEMPORALITY_DELTA


value = any_value


def kv(key: str, v) -> KeyValue:
    return KeyValue(key=key, value=value(v))


def spans(specs: list[dict], resource: dict | None = None) -> ExportTraceServiceRequest:
    """specs: name, kind (int), status (int), ms, attrs."""
    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    group.resource.attributes.extend(kv(k, v) for k, v in (resource or {"service.name": "svc"}).items())
    scope = group.scope_spans.add()
    for i, spec in enumerate(specs):
        span = scope.spans.add(name=spec.get("name", "op"), kind=spec.get("kind", 2))
        span.trace_id = bytes([1] * 16)
        span.span_id = (i + 1).to_bytes(8, "big")
        span.start_time_unix_nano = T0
        span.end_time_unix_nano = T0 + int(spec.get("ms", 1.0) * 1e6)
        span.status.code = spec.get("status", 0)
        span.attributes.extend(kv(k, v) for k, v in spec.get("attrs", {}).items())
    return request


def logs(records: list[dict], resource: dict | None = None) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    group = request.resource_logs.add()
    group.resource.attributes.extend(kv(k, v) for k, v in (resource or {"service.name": "svc"}).items())
    scope = group.scope_logs.add()
    for spec in records:
        record = scope.log_records.add(severity_number=spec.get("severity", 9), time_unix_nano=T0)
        record.body.CopyFrom(value(spec.get("body", "hello")))
        record.attributes.extend(kv(k, v) for k, v in spec.get("attrs", {}).items())
    return request


def counter(name: str, points: list[tuple[dict, int]], resource: dict | None = None, temporality=CUMULATIVE,
            start: int = T0, time: int = T0 + 10**9) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    group.resource.attributes.extend(kv(k, v) for k, v in (resource or {"service.name": "svc"}).items())
    metric = group.scope_metrics.add().metrics.add(name=name, unit="{request}")
    metric.sum.aggregation_temporality = temporality
    metric.sum.is_monotonic = True
    for attrs, n in points:
        point = metric.sum.data_points.add(as_int=n, start_time_unix_nano=start, time_unix_nano=time)
        point.attributes.extend(kv(k, v) for k, v in attrs.items())
    return request


def histogram(name: str, points: list[tuple[dict, list[int], float]], bounds=(10.0, 100.0),
              temporality=CUMULATIVE, resource: dict | None = None) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    group.resource.attributes.extend(kv(k, v) for k, v in (resource or {"service.name": "svc"}).items())
    metric = group.scope_metrics.add().metrics.add(name=name, unit="ms")
    metric.histogram.aggregation_temporality = temporality
    for attrs, buckets, total in points:
        point = metric.histogram.data_points.add(start_time_unix_nano=T0, time_unix_nano=T0 + 10**9,
                                                 count=sum(buckets), sum=total)
        point.explicit_bounds.extend(bounds)
        point.bucket_counts.extend(buckets)
        point.attributes.extend(kv(k, v) for k, v in attrs.items())
        point.exemplars.add(as_double=1.0, trace_id=bytes([7] * 16), span_id=bytes([7] * 8))
    return request


def gauge(name: str, points: list[tuple[dict, float, int]]) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    group.resource.attributes.extend([kv("service.name", "svc")])
    metric = group.scope_metrics.add().metrics.add(name=name)
    for attrs, v, t in points:
        point = metric.gauge.data_points.add(as_double=v, time_unix_nano=t)
        point.attributes.extend(kv(k, x) for k, x in attrs.items())
    return request
