"""Shared helpers for the otlp receiver tests: a real receiver on loopback, and
telemetry made by the OpenTelemetry SDK itself (so the bytes on the wire are
exactly what a real application sends)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from scrubber.component import ComponentID, Kind, Settings
from scrubber.consumer import SinkConsumer
from scrubber.pdata import Signal
from scrubber.receivers.otlp.config import OTLPReceiverConfig
from scrubber.receivers.otlp.factory import factory
from scrubber.service.telemetry import Telemetry

RESOURCE = Resource.create({"service.name": "receiver-test", "cloud.region": "eu-central-1"})


#: `protocols.grpc.edge` of `loopback_config` (a test module may run its tests over both)
GRPC_EDGE = "thread"


def loopback_config(**http: object) -> OTLPReceiverConfig:
    return OTLPReceiverConfig.model_validate(
        {"protocols": {"grpc": {"endpoint": "127.0.0.1:0", "edge": GRPC_EDGE}, "http": {"endpoint": "127.0.0.1:0", **http}}}
    )


def make_settings(name: str = "") -> Settings:
    return Settings(id=ComponentID("otlp", name), kind=Kind.RECEIVER, logger=logging.getLogger("t"), telemetry=Telemetry())


@contextlib.asynccontextmanager
async def running(consumers=None, config: OTLPReceiverConfig | None = None, settings: Settings | None = None):
    """A started receiver whose every signal goes to one SinkConsumer (unless `consumers` is given)."""
    sink = SinkConsumer()
    consumers = consumers if consumers is not None else {signal: sink for signal in Signal}
    receiver = factory.create(settings or make_settings(), config or loopback_config(), consumers)
    await receiver.start(None)
    try:
        yield receiver, sink
    finally:
        await receiver.shutdown(2.0)


def sdk_spans():
    """Two finished SDK spans (parent and child) with attributes and an event."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=RESOURCE)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("receiver-test")
    with tracer.start_as_current_span("handle_request", attributes={"enduser.id": "u-1"}):
        with tracer.start_as_current_span("chat gpt-4o") as span:
            span.add_event("gen_ai.content", {"gen_ai.prompt": "hello"})
    provider.shutdown()
    return exporter.get_finished_spans()


def sdk_logs():
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider(resource=RESOURCE)
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    provider.get_logger("receiver-test").emit(body="user asked a question", attributes={"session.id": "s-9"})
    provider.shutdown()
    return exporter.get_finished_logs()


def sdk_metrics():
    reader = InMemoryMetricReader()
    provider = MeterProvider(resource=RESOURCE, metric_readers=[reader])
    counter = provider.get_meter("receiver-test").create_counter("app.requests")
    counter.add(3, {"route": "/chat"})
    counter.add(1, {"route": "/health"})
    data = reader.get_metrics_data()
    provider.shutdown()
    return data


EXPECTED = {
    Signal.TRACES: lambda spans: encode_spans(spans),
    Signal.LOGS: lambda logs: encode_logs(logs),
    Signal.METRICS: lambda data: encode_metrics(data),
}


class Raising:
    """A consumer that refuses every request with the given error."""

    mutates_data = False

    def __init__(self, error: Exception):
        self.error = error
        self.calls = 0

    async def consume(self, signal, request):
        self.calls += 1
        raise self.error


def spans_request():
    """An ExportTraceServiceRequest as the SDK encodes it."""
    return EXPECTED[Signal.TRACES](sdk_spans())


def run(coro, timeout: float = 30.0):
    """Run one async test body with a hard deadline, so no test can hang the suite."""
    return asyncio.run(asyncio.wait_for(coro, timeout))
