"""The one place where outcomes become gRPC and HTTP answers.

Like the Collector's `receiver/otlpreceiver/internal/errors`, every refusal is
first a gRPC status (code, message, optional `google.rpc.RetryInfo`); the HTTP
status and `Retry-After` header are derived from it, and the HTTP error body is
the same `google.rpc.Status` in the request's encoding. Success is an empty
Export*ServiceResponse, or one with `partial_success` when items were rejected.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import duration_pb2, json_format
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from scrubber.errors import PermanentError, ResourceExhaustedError, RetryableError
from scrubber.pdata import Signal

#: trailing metadata key of the rich status (what grpcio-status would write)
STATUS_DETAILS_KEY = "grpc-status-details-bin"

# The Collector's GetHTTPStatusCodeFromStatus; anything else is 500.
_HTTP_BY_CODE = {
    grpc.StatusCode.CANCELLED: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 503,
    grpc.StatusCode.ABORTED: 503,
    grpc.StatusCode.OUT_OF_RANGE: 503,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 503,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNIMPLEMENTED: 404,
}

_RESPONSES = {
    Signal.TRACES: (trace_service_pb2.ExportTraceServiceResponse, "rejected_spans"),
    Signal.METRICS: (metrics_service_pb2.ExportMetricsServiceResponse, "rejected_data_points"),
    Signal.LOGS: (logs_service_pb2.ExportLogsServiceResponse, "rejected_log_records"),
}


@dataclass(eq=False)
class Refusal(Exception):
    """The request is refused: what to answer, on either transport."""

    code: grpc.StatusCode
    message: str
    retry_after: float | None = None
    #: an HTTP status that has no gRPC twin (413 for an oversized body)
    http_override: int | None = None

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message}"

    @property
    def http_status(self) -> int:
        return self.http_override or _HTTP_BY_CODE.get(self.code, 500)

    def rpc_status(self) -> status_pb2.Status:
        """The `google.rpc.Status`, with a RetryInfo detail when a back-off is known."""
        status = status_pb2.Status(code=self.code.value[0], message=self.message)
        if self.retry_after is not None:
            delay = duration_pb2.Duration()
            delay.FromNanoseconds(int(self.retry_after * 1e9))
            status.details.add().Pack(error_details_pb2.RetryInfo(retry_delay=delay))
        return status

    def grpc_trailers(self) -> tuple[tuple[str, bytes], ...]:
        return ((STATUS_DETAILS_KEY, self.rpc_status().SerializeToString()),)

    def retry_after_header(self) -> str | None:
        """Whole seconds, rounded up so that a sub-second hint never reads as 'now'."""
        if self.retry_after is None or self.http_status not in (429, 503):
            return None
        return str(max(1, math.ceil(self.retry_after)))


def invalid(message: str, http_status: int | None = None) -> Refusal:
    """A malformed or unacceptable payload: INVALID_ARGUMENT / 400 (or 413 for size)."""
    return Refusal(grpc.StatusCode.INVALID_ARGUMENT, message, http_override=http_status)


def refusal_for(error: Exception) -> Refusal:
    """Map a consumer error (see `scrubber.errors`) to the answer; unknown errors are bugs."""
    if isinstance(error, ResourceExhaustedError):
        return Refusal(grpc.StatusCode.RESOURCE_EXHAUSTED, str(error), retry_after=error.retry_after)
    if isinstance(error, RetryableError):
        return Refusal(grpc.StatusCode.UNAVAILABLE, str(error), retry_after=error.retry_after)
    if isinstance(error, PermanentError):
        return Refusal(grpc.StatusCode.INVALID_ARGUMENT, str(error))
    # Never echo an unexpected exception's text: it may quote the payload.
    return Refusal(grpc.StatusCode.INTERNAL, "internal error while processing the request")


def export_response(signal: Signal, rejected: int = 0, message: str = ""):
    """The success answer: empty, or with `partial_success` when items were rejected."""
    response_type, rejected_field = _RESPONSES[signal]
    response: Any = response_type()
    if rejected or message:
        setattr(response.partial_success, rejected_field, rejected)
        response.partial_success.error_message = message
    return response


def to_json(message) -> bytes:
    """A response or status in the OTLP/JSON encoding (camelCase, integer enums)."""
    data = json_format.MessageToDict(message, use_integers_for_enums=True)
    return json.dumps(data, separators=(",", ":")).encode()
