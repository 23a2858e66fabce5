"""Hand-made hostile OTLP payloads, shared by the hostile end-to-end tests and the fuzz suite.

Each is a valid protobuf message whose content is what broke scrubber once (issue 13):
an exponential histogram whose two points merge across 2^31 buckets, Summary points
through the pii walker, JSON nested a thousand deep inside a string attribute or log body.
"""

from __future__ import annotations

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from scrubber.pdata.values import any_value

METRIC_KINDS = ("gauge", "sum", "histogram", "exponential_histogram", "summary")
#: a planted e-mail inside JSON nested a thousand deep
DEEP_EMAIL = "lena.hoffmann@example.de"
DEEP_JSON = "[" * 1000 + f'"{DEEP_EMAIL}"' + "]" * 1000
T0 = 1_700_000_000_000_000_000


def _attributes(container, attributes: dict) -> None:
    container.extend(KeyValue(key=k, value=any_value(v)) for k, v in attributes.items())


def _point(metric, kind: str, attributes: dict, i: int):
    """One data point of `kind`, with a value an SDK could have produced."""
    if kind in ("gauge", "sum"):
        point = getattr(metric, kind).data_points.add(as_int=i + 1)
    elif kind == "histogram":
        point = metric.histogram.data_points.add(count=3, sum=4.5, explicit_bounds=[1.0, 5.0], bucket_counts=[1, 2, 0])
    elif kind == "exponential_histogram":
        point = metric.exponential_histogram.data_points.add(count=3, sum=4.5, scale=2, zero_count=1)
        point.positive.offset, point.positive.bucket_counts[:] = i, [1, 1]
    else:
        point = metric.summary.data_points.add(count=3, sum=4.5)
        point.quantile_values.add(quantile=0.5, value=1.5)
    point.time_unix_nano, point.start_time_unix_nano = T0, T0 - 10**9
    _attributes(point.attributes, attributes)
    if kind != "summary":
        exemplar = point.exemplars.add(time_unix_nano=T0, as_double=1.0, span_id=b"\x01" * 8, trace_id=b"\x02" * 16)
        _attributes(exemplar.filtered_attributes, {"user.email": "exemplar.person@example.com"})
    return point


def metrics_request(kind: str, region: str = "ap-south-1", points: int = 2, same_attributes: bool = True,
                    attributes: dict | None = None) -> ExportMetricsServiceRequest:
    """One metric of `kind`; by default two points whose attributes become equal once the
    identifier label is pseudonymized (so the pii merge runs) and a planted e-mail."""
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    _attributes(group.resource.attributes, {"service.name": "hostile", "cloud.region": region})
    metric = group.scope_metrics.add().metrics.add(name=f"hostile.{kind}", unit="1")
    if kind == "sum":
        metric.sum.is_monotonic, metric.sum.aggregation_temporality = True, 2
    elif kind in ("histogram", "exponential_histogram"):
        getattr(metric, kind).aggregation_temporality = 2
    for i in range(points):
        point_attributes = dict(attributes or {"enduser.id": "user-4711" if same_attributes else f"user-{i}"})
        _point(metric, kind, point_attributes, i)
    return request


def exponential_bomb(offset: int = -2**31) -> ExportMetricsServiceRequest:
    """The 107-byte request of issue 13: two exponential points of equal attributes and
    time, offsets 0 and `offset`; a naive merge materialises every bucket in between."""
    request = ExportMetricsServiceRequest()
    metric = request.resource_metrics.add().scope_metrics.add().metrics.add(name="x")
    for point_offset in (0, offset):
        point = metric.exponential_histogram.data_points.add(time_unix_nano=1, count=1)
        point.positive.offset = point_offset
        point.positive.bucket_counts.append(1)
    return request


def deep_json_span(region: str = "ap-south-1", text: str = DEEP_JSON) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    _attributes(group.resource.attributes, {"service.name": "hostile", "cloud.region": region})
    span = group.scope_spans.add().spans.add(name="chat", trace_id=b"\x01" * 16, span_id=b"\x02" * 8,
                                              start_time_unix_nano=T0, end_time_unix_nano=T0 + 1)
    _attributes(span.attributes, {"gen_ai.input.messages": text, "gen_ai.output.messages": text})
    return request


def deep_json_log(region: str = "ap-south-1", text: str = DEEP_JSON) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    group = request.resource_logs.add()
    _attributes(group.resource.attributes, {"service.name": "hostile", "cloud.region": region})
    record = group.scope_logs.add().log_records.add(time_unix_nano=T0, event_name="gen_ai.client.inference.operation.details")
    record.body.string_value = text
    _attributes(record.attributes, {"gen_ai.input.messages": text})
    return request
