"""In-process pii processors with subjects on, on one long-lived event loop (the vault
service's poller must keep running between requests), and request builders."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any, Callable

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from scrubber.component import ComponentID, Kind, Settings
from scrubber.consumer import SinkConsumer
from scrubber.detection import DetectionConfig
from scrubber.detection.service import InProcessDetection
from scrubber.pdata import Signal
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.processor import create_processor
from scrubber.service.telemetry import Telemetry

TOKEN = re.compile(r"<[A-Z_]+:[A-Za-z0-9._-]+:[0-9a-f]+>")
KEYS = {"eu": {"active": "eu-1", "keys": {"eu-1": {"env": "ERASURE_TEST_KEY_EU"}}},
        "us": {"active": "us-1", "keys": {"us-1": {"env": "ERASURE_TEST_KEY_US"}}}}
KEY_ENV = {"ERASURE_TEST_KEY_EU": "eu-erasure-test-key-0123456789", "ERASURE_TEST_KEY_US": "us-erasure-test-key-0123456789"}
DETECTION = {"ner": {"enabled": False}}


class Host:
    def __init__(self, detection):
        self.objects: dict[str, Any] = {"detection": detection}

    def extension(self, component_id):
        return None

    def shared(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self.objects:
            self.objects[name] = make()
        return self.objects[name]

    def is_ready(self) -> bool:
        return True

    async def close(self) -> None:
        for name, obj in self.objects.items():
            if name.startswith("subjects/vault/"):
                await obj.close()


def pii_config(vault: dict, **subjects) -> PIIProcessorConfig:
    return PIIProcessorConfig.model_validate({
        "keys": KEYS, "default_jurisdiction": "eu", "detection": DETECTION,
        "subjects": {"vault": vault, "receipts": subjects.pop("receipts"), **subjects}})


class Pipeline:
    """One started pii processor with a sink, driven from sync tests through `run`."""

    def __init__(self, config: PIIProcessorConfig, name: str = "traces/global"):
        self.loop = asyncio.new_event_loop()
        self.host = Host(InProcessDetection(DetectionConfig.model_validate(DETECTION)))
        self.sink = SinkConsumer()
        settings = Settings(ComponentID("pii"), Kind.PROCESSOR, logging.getLogger("test.erasure"), Telemetry(), name)
        self.processor = create_processor(settings, config, Signal.TRACES, self.sink)
        self.run(self.processor.start(self.host))

    def run(self, coro, timeout: float = 30.0):
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))

    def scrub(self, request) -> ExportTraceServiceRequest:
        self.run(self.processor.consume(Signal.TRACES, request))
        return self.sink.received[-1][1]

    def sleep(self, seconds: float) -> None:
        self.run(asyncio.sleep(seconds), timeout=seconds + 5)

    def close(self) -> None:
        self.run(self.processor.shutdown(5))
        self.run(self.host.close())
        self.loop.close()


def span_request(*spans: dict, resource: dict | None = None) -> ExportTraceServiceRequest:
    """Spans given as attribute dicts (str values) under one resource."""
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    for key, value in (resource or {}).items():
        rs.resource.attributes.append(KeyValue(key=key, value=AnyValue(string_value=value)))
    scope = rs.scope_spans.add()
    for i, attributes in enumerate(spans):
        span = scope.spans.add(name="chat", trace_id=bytes([i + 1]) * 16, span_id=bytes([i + 1]) * 8)
        for key, value in attributes.items():
            span.attributes.append(KeyValue(key=key, value=AnyValue(string_value=value)))
    return request


def attributes(request) -> list[dict[str, str]]:
    return [{kv.key: kv.value.string_value for kv in span.attributes}
            for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]


def subject_span(user: str, email: str, prompt: str = "") -> dict:
    messages = [{"role": "user", "parts": [{"type": "text", "content": prompt or f"mail me at {email} please"}]}]
    return {"enduser.id": user, "user.email": email, "residency.jurisdiction": "eu",
            "gen_ai.input.messages": json.dumps(messages)}
