"""The OpenTelemetry SDK's own OTLP exporters (gRPC and HTTP/protobuf) as clients:
every signal arrives in the sink exactly as the SDK encoded it, and is counted."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter as GRPCLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter as GRPCMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GRPCSpanExporter
from opentelemetry.exporter.otlp.proto.http import Compression as HTTPCompression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HTTPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HTTPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPSpanExporter

from scrubber.pdata import Signal, item_count
from tests.receivers.otlp_helpers import EXPECTED, run, running, sdk_logs, sdk_metrics, sdk_spans

MAKE_DATA = {Signal.TRACES: sdk_spans, Signal.LOGS: sdk_logs, Signal.METRICS: sdk_metrics}
GRPC_EXPORTERS = {Signal.TRACES: GRPCSpanExporter, Signal.LOGS: GRPCLogExporter, Signal.METRICS: GRPCMetricExporter}
HTTP_EXPORTERS = {Signal.TRACES: HTTPSpanExporter, Signal.LOGS: HTTPLogExporter, Signal.METRICS: HTTPMetricExporter}
HTTP_PATHS = {Signal.TRACES: "/v1/traces", Signal.LOGS: "/v1/logs", Signal.METRICS: "/v1/metrics"}


def _grpc_exporter(signal: Signal, port: int, gzip: bool):
    compression = grpc.Compression.Gzip if gzip else None
    return GRPC_EXPORTERS[signal](endpoint=f"127.0.0.1:{port}", insecure=True, timeout=5, compression=compression)


def _http_exporter(signal: Signal, port: int, gzip: bool):
    compression = HTTPCompression.Gzip if gzip else HTTPCompression.NoCompression
    return HTTP_EXPORTERS[signal](endpoint=f"http://127.0.0.1:{port}{HTTP_PATHS[signal]}", timeout=5, compression=compression)


def _export(exporter, data):
    try:
        return exporter.export(data)
    finally:
        exporter.shutdown()


@pytest.mark.parametrize("gzip", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("transport", ["grpc", "http"])
@pytest.mark.parametrize("signal", list(Signal))
def test_sdk_exporter_delivers_unchanged(signal: Signal, transport: str, gzip: bool):
    data = MAKE_DATA[signal]()
    expected = EXPECTED[signal](data)

    async def body():
        async with running() as (receiver, sink):
            port = receiver.grpc_port if transport == "grpc" else receiver.http_port
            make = _grpc_exporter if transport == "grpc" else _http_exporter
            result = await asyncio.to_thread(_export, make(signal, port, gzip), data)
            assert result.name == "SUCCESS"
            assert sink.requests(signal) == [expected]
            for other in set(Signal) - {signal}:
                assert sink.requests(other) == []
            labels = {"receiver": "otlp", "transport": transport}
            telemetry = receiver.settings.telemetry
            accepted = telemetry.value(f"receiver_accepted_{signal.item_name}_total", labels)
            assert accepted == item_count(expected) > 0
            assert telemetry.value(f"receiver_refused_{signal.item_name}_total", labels) == 0

    run(body())
