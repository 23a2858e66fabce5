"""Pipeline data: the three OTLP signals as their protobuf export requests.

Like the Collector's pdata, a batch is the export request itself
(`ExportTraceServiceRequest` and friends); processors mutate it in place or
return a new one. Helpers here are generic over the signal so that no
component needs a copy of its logic per signal.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Union

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

Request = Union[ExportTraceServiceRequest, ExportMetricsServiceRequest, ExportLogsServiceRequest]


class Signal(StrEnum):
    TRACES = "traces"
    METRICS = "metrics"
    LOGS = "logs"

    @property
    def request_type(self) -> type[Request]:
        return _REQUEST_TYPES[self]

    @property
    def item_name(self) -> str:
        """The Collector's word for one item of this signal, used in metric names."""
        return _ITEM_NAMES[self]

    def new_request(self) -> Request:
        return self.request_type()


_REQUEST_TYPES: dict[Signal, type[Request]] = {
    Signal.TRACES: ExportTraceServiceRequest,
    Signal.METRICS: ExportMetricsServiceRequest,
    Signal.LOGS: ExportLogsServiceRequest,
}
_ITEM_NAMES = {Signal.TRACES: "spans", Signal.METRICS: "metric_points", Signal.LOGS: "log_records"}


def signal_of(request: Request) -> Signal:
    for signal, request_type in _REQUEST_TYPES.items():
        if isinstance(request, request_type):
            return signal
    raise TypeError(f"not an OTLP export request: {type(request).__name__}")


def resource_groups(request: Request):
    """The top-level resource groups (resource_spans / resource_metrics / resource_logs)."""
    if isinstance(request, ExportTraceServiceRequest):
        return request.resource_spans
    if isinstance(request, ExportMetricsServiceRequest):
        return request.resource_metrics
    return request.resource_logs


def scope_groups(resource_group):
    """The scope groups under one resource group, whatever the signal."""
    for field in ("scope_spans", "scope_metrics", "scope_logs"):
        if resource_group.DESCRIPTOR.fields_by_name.get(field) is not None:
            return getattr(resource_group, field)
    raise TypeError(type(resource_group).__name__)


_POINT_FIELDS = ("gauge", "sum", "histogram", "exponential_histogram", "summary")


def metric_data_points(metric):
    """The repeated data_points field of a metric, whichever its type (or [] if unset)."""
    kind = metric.WhichOneof("data")
    return getattr(metric, kind).data_points if kind else []


def scope_items(scope_group):
    """The spans, log records or data points (of every metric) of one scope group."""
    if hasattr(scope_group, "spans"):
        return scope_group.spans
    if hasattr(scope_group, "log_records"):
        return scope_group.log_records
    return (point for metric in scope_group.metrics for point in metric_data_points(metric))


def items(request: Request):
    """Yield (resource_group, scope_group, item) for every span / log record / data point."""
    for resource_group in resource_groups(request):
        for scope_group in scope_groups(resource_group):
            for item in scope_items(scope_group):
                yield resource_group, scope_group, item


def item_count(request: Request) -> int:
    """Spans, log records or metric data points in the request (the Collector's counting unit).
    A group's spans or log records are counted by `len`, not item by item: every component
    counts each request it passes on, and visiting the items made a wrapper per span each time."""
    total = 0
    for resource_group in resource_groups(request):
        for scope_group in scope_groups(resource_group):
            group_items = scope_items(scope_group)
            total += len(group_items) if hasattr(group_items, "__len__") else sum(1 for _ in group_items)
    return total


def clone(request: Request) -> Request:
    copy = type(request)()
    copy.CopyFrom(request)
    return copy


def merge(signal: Signal, requests) -> Request:
    """Concatenate requests of one signal into one (resource groups appended in order)."""
    merged = signal.new_request()
    target = resource_groups(merged)
    for request in requests:
        target.extend(resource_groups(request))
    return merged
