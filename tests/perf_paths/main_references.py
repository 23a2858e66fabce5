"""The main-process stages as they were before the plain-span work (commit 2d7b54d), kept
verbatim so the tests hold the faster ones to them: the content check of the pii offload,
the router's one-jurisdiction read and the receiver's validation."""

from __future__ import annotations

from scrubber.connectors.residency_router.split import _scope_items, split_items
from scrubber.pdata import Signal, resource_groups, scope_groups, scope_items
from scrubber.processors.pii.offload import _CONTENT_ROLES
from scrubber.receivers.otlp import validate
from scrubber.residency.model import normalize
from scrubber.residency.resolve import attribute, resource_stamp


def carries_content(request, lookup) -> bool:
    for group in resource_groups(request):
        if _any_content(group.resource.attributes, lookup):
            return True
        for scope_group in scope_groups(group):
            if _any_content(scope_group.scope.attributes, lookup):
                return True
            for item in scope_items(scope_group):
                if _item_content(item, lookup):
                    return True
    return False


def _item_content(item, lookup) -> bool:
    if _any_content(item.attributes, lookup):
        return True
    if hasattr(item, "body"):
        return item.HasField("body")
    return any(_any_content(event.attributes, lookup) for event in getattr(item, "events", ()))


def _any_content(attributes, lookup) -> bool:
    return any(lookup(kv.key).role in _CONTENT_ROLES for kv in attributes)


def read(value) -> str:
    if value.WhichOneof("value") != "string_value":
        return "unknown"
    return normalize(value.string_value) or "unknown"


def one_jurisdiction(request) -> tuple[str, int] | None:
    only, count = None, 0
    for resource_group in resource_groups(request):
        fallback = resource_stamp(resource_group.resource)
        for scope_group in scope_groups(resource_group):
            for _metric, item in _scope_items(scope_group):
                value = attribute(item.attributes, "residency.jurisdiction")
                j = fallback if value is None else read(value)
                if only is None:
                    only = j
                elif j != only:
                    return None
                count += 1
    return (only, count) if only is not None else ("", 0)


def split_counted_reference(signal: Signal, request):
    """`split_counted` as it was: the reference one-jurisdiction read, else the item-by-item split."""
    one = one_jurisdiction(request)
    if one is not None:
        return {one[0]: (request, one[1])} if one[1] else {}
    return split_items(signal, request)


def check(signal: Signal, request) -> None:
    """The receiver's validation with every path built up front, as before."""
    try:
        _CHECKS[signal](request)
    except validate._Invalid as error:
        raise validate.status.invalid(f"invalid {signal} export request: {error}") from None


def _spans(request) -> None:
    for r, group in enumerate(request.resource_spans):
        for s, scope in enumerate(group.scope_spans):
            for i, span in enumerate(scope.spans):
                path = f"resource_spans[{r}].scope_spans[{s}].spans[{i}]"
                validate._id(span.trace_id, 16, f"{path}.trace_id", False)
                validate._id(span.span_id, 8, f"{path}.span_id", False)
                validate._id(span.parent_span_id, 8, f"{path}.parent_span_id", True)
                validate._enum(span.kind, validate.SPAN_KIND, f"{path}.kind")
                validate._enum(span.status.code, validate.STATUS_CODE, f"{path}.status.code")
                for k, link in enumerate(span.links):
                    validate._id(link.trace_id, 16, f"{path}.links[{k}].trace_id", False)
                    validate._id(link.span_id, 8, f"{path}.links[{k}].span_id", False)


def _logs(request) -> None:
    for r, group in enumerate(request.resource_logs):
        for s, scope in enumerate(group.scope_logs):
            for i, record in enumerate(scope.log_records):
                path = f"resource_logs[{r}].scope_logs[{s}].log_records[{i}]"
                validate._id(record.trace_id, 16, f"{path}.trace_id", True)
                validate._id(record.span_id, 8, f"{path}.span_id", True)
                validate._enum(record.severity_number, validate.SEVERITY_NUMBER, f"{path}.severity_number")


_CHECKS = {Signal.TRACES: _spans, Signal.LOGS: _logs, Signal.METRICS: validate._metrics}
