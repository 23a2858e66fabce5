"""Issue 8 end to end: scrubber on config/federated.yaml as a real process, real OTLP/gRPC backends,
apps on the OpenTelemetry SDK in three regions.

Each app puts a person's name, phone number and postal address where real GenAI apps put them: in
the prompt (`gen_ai.input.messages` JSON), in tool-call arguments split over JSON fields, under a
custom attribute key that is not in the catalog, in the span name, in a log body and in a metric
label. Then:
- the global backend and IN's pseudonymized backend hold none of the values, nor any part of a
  name, whatever the jurisdiction (a German phone number in a US user's prompt included);
- EU's regional backend, which gets full data, holds every EU value unchanged.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from pathlib import Path

from scrubber.pdata import Signal, otlpjson
from scrubber.testing.grpc_sink import GrpcSink
from tests.e2e.test_federated import _sdk_app, federated_env
from tests.support.process import ScrubberProcess, free_port

ROOT = Path(__file__).resolve().parents[2]

# region -> the data subject's values (first name, last name, phone, address)
PEOPLE = {
    "eu-central-1": ("Katarzyna", "Wiśniewska", "+48 512 345 678", "ul. Marszałkowska 84, 00-514 Warszawa"),
    "ap-south-1": ("Arjun", "Mehta", "+91 98765 43210", "Flat 4B, 12 MG Road, Bengaluru 560001"),
    "us-east-1": ("Emily", "Carter", "+49 30 2345 6789", "Hauptstraße 5, 10115 Berlin"),  # a German number
}
JURISDICTION = {"eu-central-1": "eu", "ap-south-1": "in", "us-east-1": "us"}


def _pieces(first: str, last: str, phone: str, address: str) -> list[str]:
    """What must not survive: the values and every significant piece of them."""
    digits = re.sub(r"\D", "", phone)
    street = address.split(",")[0]
    postcode = re.findall(r"\b\d{5,6}\b|\b\d{2}-\d{3}\b", address)
    return [first, last, f"{first} {last}", phone, digits[-7:], street, *postcode]


def _send(endpoint: str) -> None:
    for region, (first, last, phone, address) in PEOPLE.items():
        tracer_provider, logger_provider, meter_provider = _sdk_app(region, endpoint)
        tracer = tracer_provider.get_tracer("e2e-detection")
        messages = [{"role": "user", "parts": [{"type": "text", "content":
                     f"Hi, I'm {first} {last}. Please call me on {phone} and ship to {address}."}]}]
        arguments = {"first_name": first, "last_name": last, "phone": phone, "address": address}
        with tracer.start_as_current_span(f"support chat {first} {last}") as span:
            span.set_attributes({
                "gen_ai.operation.name": "chat",
                "gen_ai.input.messages": json.dumps(messages, ensure_ascii=False),
                "gen_ai.tool.call.arguments": json.dumps(arguments, ensure_ascii=False),
                "app.customer.display_name": f"{first} {last}",
                "crm.contact_phone": phone,
            })
        logger = logging.getLogger(f"e2e-detection.{region}")
        logger.propagate = False
        from opentelemetry.sdk._logs import LoggingHandler

        handler = LoggingHandler(logger_provider=logger_provider)
        logger.addHandler(handler)
        logger.warning("callback for %s %s on %s, address %s", first, last, phone, address)
        logger.removeHandler(handler)
        counter = meter_provider.get_meter("e2e-detection").create_counter("app.callbacks")
        counter.add(1, {"customer_name": f"{first} {last}", "callback_phone": phone})
        for provider in (tracer_provider, logger_provider, meter_provider):
            provider.shutdown()


def _text(sink: GrpcSink) -> str:
    return "".join(otlpjson.dumps(r) for s in Signal for r in sink.requests[s])


def test_names_phones_addresses_never_leave_their_region(sinks, tmp_path):
    grpc_port = free_port()
    env = federated_env(sinks, tmp_path, grpc_port)
    with ScrubberProcess(ROOT / "config" / "federated.yaml", tmp_path, env=env):
        _send(f"127.0.0.1:{grpc_port}")
        for j in ("eu", "in", "us"):
            for signal in Signal:
                assert sinks[j].wait_for_items(signal, 1, timeout=30), (j, signal, sinks[j].counts())
        # (US's pseudonymized span itself may be dropped by the egress guard: custom keys are not on its
        # allow-list; its log record and the aggregates of every jurisdiction do go global)
        assert sinks["global"].wait_for_items(Signal.LOGS, 1, timeout=30)
        assert sinks["global"].wait_for_items(Signal.METRICS, 1, timeout=30)
        # the aggregates are flushed periodically: wait until every jurisdiction's calls are counted
        assert _wait_for_aggregates(sinks["global"], {"eu", "in", "us"})

    global_text, in_text, eu_text = _text(sinks["global"]), _text(sinks["in"]), _text(sinks["eu"])
    for region, person in PEOPLE.items():
        for piece in _pieces(*person):
            assert piece not in global_text, f"{JURISDICTION[region]} value piece {piece!r} reached the global backend"
            assert piece not in in_text, f"{JURISDICTION[region]} value piece {piece!r} reached IN's pseudonymized backend"
    first, last, phone, address = PEOPLE["eu-central-1"]
    for value in (f"{first} {last}", phone, address, f"support chat {first} {last}"):
        assert value in eu_text, f"EU's regional backend should hold {value!r} unchanged"
    assert ":in-1:" in in_text and ":us-1:" in global_text
    assert "support chat" in global_text  # the span name reached the aggregates, scrubbed


def _wait_for_aggregates(sink: GrpcSink, jurisdictions: set[str], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = Counter()
        for request in sink.requests[Signal.METRICS]:
            for group in request.resource_metrics:
                for scope in group.scope_metrics:
                    for metric in scope.metrics:
                        if metric.name == "traces.span.metrics.calls":
                            for point in metric.sum.data_points:
                                for kv in point.attributes:
                                    if kv.key == "residency.jurisdiction":
                                        seen[kv.value.string_value] += 1
        if jurisdictions <= set(seen):
            return True
        time.sleep(0.3)
    return False
