"""A real OTLP/gRPC backend that refuses some requests as permanent errors, for poison-batch tests."""

from __future__ import annotations

import grpc

from scrubber.testing import GrpcSink


class PoisonSink(GrpcSink):
    """Refuses (INVALID_ARGUMENT) any request holding a span named 'poison'; keeps the rest."""

    def export(self, signal, raw, context):
        request = signal.new_request()
        request.ParseFromString(raw)
        if any(s.name == "poison" for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans):
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "invalid span")
        return super().export(signal, raw, context)
