"""What the Collector refuses at unmarshal, refused here too, before anything is merged.

The Collector's pdata rejects a trace id that is not 16 bytes and a span id that
is not 8 (an empty parent span id is a root span) while decoding, so a poison
span never enters a pipeline, never shares a batch with other clients' spans
and never makes a backend refuse their data with it. We check the decoded
message once, for both transports and both encodings, and answer 400 /
INVALID_ARGUMENT naming the first bad field's path. Enum fields are also
checked against the values the OTLP protos define (a value out of range is
meaningless to every backend and would poison a merged batch the same way).
"""

from __future__ import annotations

from scrubber.pdata import Signal
from scrubber.receivers.otlp import status

#: (first, last) valid value of the enum fields we check
SPAN_KIND = (0, 5)
STATUS_CODE = (0, 2)
SEVERITY_NUMBER = (0, 24)
TEMPORALITY = (0, 2)


class _Invalid(Exception):
    def __init__(self, path: str, problem: str):
        super().__init__(f"{path}: {problem}")


def _id(value: bytes, size: int, path: str, empty_ok: bool) -> None:
    if len(value) != size and not (empty_ok and not value):
        allowed = f"{size} bytes" + (" or empty" if empty_ok else "")
        raise _Invalid(path, f"{len(value)} bytes, must be {allowed}")


def _enum(value: int, bounds: tuple[int, int], path: str) -> None:
    if not bounds[0] <= value <= bounds[1]:
        raise _Invalid(path, f"{value} is not a defined value (expected {bounds[0]}..{bounds[1]})")


def _span_ok(span) -> bool:
    """Whether `span` passes every check of `_span`, without building a field path: the
    common case costs a few comparisons; only a span that fails is checked again, with paths."""
    parent = len(span.parent_span_id)
    if len(span.trace_id) != 16 or len(span.span_id) != 8 or (parent != 8 and parent != 0):
        return False
    if not SPAN_KIND[0] <= span.kind <= SPAN_KIND[1] or not STATUS_CODE[0] <= span.status.code <= STATUS_CODE[1]:
        return False
    links = span.links
    return not links or all(len(link.trace_id) == 16 and len(link.span_id) == 8 for link in links)


def _span(span, path: str) -> None:
    _id(span.trace_id, 16, f"{path}.trace_id", False)
    _id(span.span_id, 8, f"{path}.span_id", False)
    _id(span.parent_span_id, 8, f"{path}.parent_span_id", True)
    _enum(span.kind, SPAN_KIND, f"{path}.kind")
    _enum(span.status.code, STATUS_CODE, f"{path}.status.code")
    for k, link in enumerate(span.links):
        _id(link.trace_id, 16, f"{path}.links[{k}].trace_id", False)
        _id(link.span_id, 8, f"{path}.links[{k}].span_id", False)


def _spans(request) -> None:
    for r, group in enumerate(request.resource_spans):
        for s, scope in enumerate(group.scope_spans):
            for i, span in enumerate(scope.spans):
                if not _span_ok(span):
                    _span(span, f"resource_spans[{r}].scope_spans[{s}].spans[{i}]")


def _record_ok(record) -> bool:
    """`_span_ok` for a log record."""
    trace, span = len(record.trace_id), len(record.span_id)
    return ((trace == 16 or trace == 0) and (span == 8 or span == 0)
            and SEVERITY_NUMBER[0] <= record.severity_number <= SEVERITY_NUMBER[1])


def _logs(request) -> None:
    for r, group in enumerate(request.resource_logs):
        for s, scope in enumerate(group.scope_logs):
            for i, record in enumerate(scope.log_records):
                if _record_ok(record):
                    continue
                path = f"resource_logs[{r}].scope_logs[{s}].log_records[{i}]"
                _id(record.trace_id, 16, f"{path}.trace_id", True)
                _id(record.span_id, 8, f"{path}.span_id", True)
                _enum(record.severity_number, SEVERITY_NUMBER, f"{path}.severity_number")


def _metrics(request) -> None:
    for r, group in enumerate(request.resource_metrics):
        for s, scope in enumerate(group.scope_metrics):
            for m, metric in enumerate(scope.metrics):
                path = f"resource_metrics[{r}].scope_metrics[{s}].metrics[{m}]"
                kind = metric.WhichOneof("data")
                if kind is None:
                    continue
                data = getattr(metric, kind)
                if kind in ("sum", "histogram", "exponential_histogram"):
                    _enum(data.aggregation_temporality, TEMPORALITY, f"{path}.{kind}.aggregation_temporality")
                if kind == "summary":
                    continue
                for p, point in enumerate(data.data_points):
                    for e, exemplar in enumerate(point.exemplars):
                        where = f"{path}.{kind}.data_points[{p}].exemplars[{e}]"
                        _id(exemplar.trace_id, 16, f"{where}.trace_id", True)
                        _id(exemplar.span_id, 8, f"{where}.span_id", True)


_CHECKS = {Signal.TRACES: _spans, Signal.LOGS: _logs, Signal.METRICS: _metrics}


def check(signal: Signal, request) -> None:
    """Raise a 400 / INVALID_ARGUMENT `Refusal` naming the first invalid field."""
    try:
        _CHECKS[signal](request)
    except _Invalid as error:
        raise status.invalid(f"invalid {signal} export request: {error}") from None
