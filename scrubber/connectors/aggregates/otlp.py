"""Store snapshots -> one OTLP `ExportMetricsServiceRequest`.

Built from scratch, never copied from an input: nothing but the allow-listed
attributes reaches the output, and there is no field for exemplars to ride in.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.metrics.v1 import metrics_pb2

from scrubber.connectors.aggregates.store import Attrs, MetricDef, MetricKind, Point, SeriesKey
from scrubber.pdata.values import any_value

_TEMPORALITY = {
    "cumulative": metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE,
    "delta": metrics_pb2.AGGREGATION_TEMPORALITY_DELTA,
}




def _set_attributes(target, attrs: Attrs) -> None:
    target.extend(KeyValue(key=k, value=any_value(v)) for k, v in attrs)


def _number(target, definition: MetricDef, point: Point) -> None:
    target.start_time_unix_nano = point.start_ns
    target.time_unix_nano = point.time_ns
    if definition.is_int and float(point.value).is_integer():
        target.as_int = int(point.value)
    else:
        target.as_double = float(point.value)


def _histogram(target, definition: MetricDef, point: Point) -> None:
    target.start_time_unix_nano = point.start_ns
    target.time_unix_nano = point.time_ns
    target.count = point.count
    target.sum = point.total
    target.explicit_bounds.extend(definition.bounds)
    target.bucket_counts.extend(point.buckets)


def _new_metric(scope_metrics, definition: MetricDef, temporality: str):
    metric = scope_metrics.metrics.add(name=definition.name, unit=definition.unit, description=definition.description)
    if definition.kind == MetricKind.SUM:
        metric.sum.aggregation_temporality = _TEMPORALITY[temporality]
        metric.sum.is_monotonic = definition.monotonic
        return metric.sum
    if definition.kind == MetricKind.HISTOGRAM:
        metric.histogram.aggregation_temporality = _TEMPORALITY[temporality]
        return metric.histogram
    return metric.gauge


def to_request(snapshot: list[tuple[MetricDef, SeriesKey, Point]], temporality: str) -> ExportMetricsServiceRequest:
    """Group by resource, then scope, then metric; one data point per series."""
    request = ExportMetricsServiceRequest()
    resources: dict[Attrs, Any] = {}  # protobuf messages (ResourceMetrics, ScopeMetrics, data of a Metric)
    scopes: dict[tuple[Attrs, tuple[str, str]], Any] = {}
    metrics: dict[tuple[Attrs, MetricDef], Any] = {}
    for definition, (resource_attrs, point_attrs), point in snapshot:
        group = resources.get(resource_attrs)
        if group is None:
            group = resources[resource_attrs] = request.resource_metrics.add()
            _set_attributes(group.resource.attributes, resource_attrs)
        scope_key = (resource_attrs, definition.scope)
        scope = scopes.get(scope_key)
        if scope is None:
            scope = scopes[scope_key] = group.scope_metrics.add()
            scope.scope.name, scope.scope.version = definition.scope
        data = metrics.get((resource_attrs, definition))
        if data is None:
            data = metrics[(resource_attrs, definition)] = _new_metric(scope, definition, temporality)
        target = data.data_points.add()
        _set_attributes(target.attributes, point_attrs)
        (_histogram if definition.kind == MetricKind.HISTOGRAM else _number)(target, definition, point)
    return request
