"""scrubber on config/federated.yaml as a real process, four real OTLP/gRPC backends.

Apps built on the OpenTelemetry SDK (its own OTLP/gRPC exporters) in different
cloud regions send traces, logs and metrics carrying planted personal values;
some spans and records name another data subject's jurisdiction. Every item
must arrive at exactly the backends its jurisdiction's policy allows:
EU full -> EU, aggregates -> global; IN pseudonymized -> IN, aggregates -> global;
US full -> US, pseudonymized spans/logs + aggregates -> global; unknown -> the
local quarantine only. The global backend holds no planted value, and no span
or log record of EU or IN data; the aggregates add up to what was sent.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from pathlib import Path

from scrubber.pdata import Signal, items, otlpjson
from scrubber.residency.resolve import attribute
from scrubber.testing.grpc_sink import GrpcSink
from tests.support.process import ScrubberProcess, free_port

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"SCRUBBER_KEY_EU": "e2e-eu-key-0123456789abcdef", "SCRUBBER_KEY_IN": "e2e-in-key-0123456789abcdef",
        "SCRUBBER_KEY_US": "e2e-us-key-0123456789abcdef"}

# (app region, span's own residency.jurisdiction or None, expected jurisdiction, planted e-mail, planted user id)
SPANS = [
    ("eu-central-1", None, "eu", "lena.hoffmann@example.de", "user-eu-4711"),
    ("eu-central-1", None, "eu", "pierre.martin@example.fr", "user-eu-4712"),
    ("eu-central-1", "us", "us", "jack.miller@example.com", "user-us-0815"),  # a US subject served in the EU
    ("ap-south-1", None, "in", "priya.sharma@example.in", "user-in-2024"),
    ("ap-south-1", None, "in", "arjun.patel@example.in", "user-in-2025"),
    ("us-east-1", None, "us", "emma.johnson@example.com", "user-us-0816"),
    ("us-east-1", "eu", "eu", "sofia.rossi@example.it", "user-eu-4713"),  # an EU subject served in the US
    ("mars-north-1", None, "unknown", "zed.unknown@example.org", "user-xx-0001"),
]
PLANTED = [v for s in SPANS for v in s[3:]]
POLICY = {  # jurisdiction -> backends its spans and logs reach
    "eu": {"eu"}, "in": {"in"}, "us": {"us", "global"}, "unknown": set(),
}


def _sdk_app(region: str, endpoint: str):
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": f"app-{region}", "cloud.region": region})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True)))
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=endpoint, insecure=True)))
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=endpoint, insecure=True), export_interval_millis=600_000)
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])
    return tracer_provider, logger_provider, meter_provider


def send_everything(endpoint: str) -> None:
    for region in dict.fromkeys(s[0] for s in SPANS):
        tracer_provider, logger_provider, meter_provider = _sdk_app(region, endpoint)
        tracer = tracer_provider.get_tracer("e2e")
        counter = meter_provider.get_meter("e2e").create_counter("app.requests")
        logger = logging.getLogger(f"e2e.{region}")
        logger.propagate = False
        from opentelemetry.sdk._logs import LoggingHandler

        handler = LoggingHandler(logger_provider=logger_provider)
        logger.addHandler(handler)
        for i, (r, override, _, email, user) in enumerate(SPANS):
            if r != region:
                continue
            extra = {"residency.jurisdiction": override} if override else {}
            # the case number travels in keys the egress guard allows: span name, event.name
            with tracer.start_as_current_span(f"case-{i}") as span:
                span.set_attributes({"user.email": email, "enduser.id": user, **extra})
                logger.warning("request from %s (%s)", email, user, extra={"event.name": f"case-{i}", "enduser.id": user, **extra})
            counter.add(2, {"enduser.id": user, **extra})
        logger.removeHandler(handler)
        for provider in (tracer_provider, logger_provider, meter_provider):
            provider.shutdown()  # flushes: every item exported exactly once


def _jurisdictions(sink: GrpcSink, signal: Signal) -> Counter:
    out = Counter()
    for request in sink.requests[signal]:
        for _, _, item in items(request):
            value = attribute(item.attributes, "residency.jurisdiction")
            out[value.string_value if value else None] += 1
    return out


def _cases(sink: GrpcSink, signal: Signal) -> set[int]:
    names = set()
    for request in sink.requests[signal]:
        for _, _, item in items(request):
            event = attribute(item.attributes, "event.name")
            names.add(item.name if signal == Signal.TRACES else event.string_value if event else "")
    return {int(n.removeprefix("case-")) for n in names if n.startswith("case-")}


def _latest_sums(sink: GrpcSink, name: str) -> Counter:
    """Cumulative sums of metric `name` by jurisdiction, from the latest export of each series."""
    latest: dict[tuple, tuple[int, float]] = {}
    for request in sink.requests[Signal.METRICS]:
        for group in request.resource_metrics:
            for scope in group.scope_metrics:
                for metric in scope.metrics:
                    if metric.name != name:
                        continue
                    for point in metric.sum.data_points:
                        series = tuple(sorted((kv.key, kv.value.string_value)
                                              for kv in [*group.resource.attributes, *point.attributes]))
                        value = point.as_int or point.as_double
                        if series not in latest or point.time_unix_nano >= latest[series][0]:
                            latest[series] = (point.time_unix_nano, value)
    totals = Counter()
    for series, (_, value) in latest.items():
        totals[dict(series).get("residency.jurisdiction")] += value
    return totals


def _expected(kind: str) -> Counter:
    return Counter(s[2] for s in SPANS if s[2] in kind)


def _wait(condition, timeout: float = 25.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def federated_env(sinks: dict[str, GrpcSink], tmp_path: Path, grpc_port: int) -> dict[str, str]:
    """The environment config/federated.yaml needs: keys, receiver ports, the four backends."""
    return {**KEYS, "SCRUBBER_GRPC_ENDPOINT": f"127.0.0.1:{grpc_port}", "SCRUBBER_HTTP_ENDPOINT": f"127.0.0.1:{free_port()}",
            "SCRUBBER_QUARANTINE_DIR": str(tmp_path / "quarantine"),
            **{f"SCRUBBER_REGIONAL_{j.upper()}_ENDPOINT": sinks[j].endpoint for j in ("eu", "in", "us")},
            "SCRUBBER_GLOBAL_ENDPOINT": sinks["global"].endpoint}


def test_federated_routing_end_to_end(sinks, tmp_path):
    grpc_port = free_port()
    env = federated_env(sinks, tmp_path, grpc_port)
    with ScrubberProcess(ROOT / "config" / "federated.yaml", tmp_path, env=env) as scrubber:
        send_everything(f"127.0.0.1:{grpc_port}")
        sent = Counter(s[2] for s in SPANS)
        for j in ("eu", "in", "us"):
            for signal in Signal:
                assert sinks[j].wait_for_items(signal, sent[j], timeout=20), (j, signal, sinks[j].counts())
        assert sinks["global"].wait_for_items(Signal.TRACES, sent["us"], timeout=20)
        assert sinks["global"].wait_for_items(Signal.LOGS, sent["us"], timeout=20)
        want_calls = Counter({j: n for j, n in sent.items() if j != "unknown"})
        assert _wait(lambda: _latest_sums(sinks["global"], "traces.span.metrics.calls") == want_calls), \
            _latest_sums(sinks["global"], "traces.span.metrics.calls")
        assert _wait(lambda: _latest_sums(sinks["global"], "log.record.count") == want_calls), \
            _latest_sums(sinks["global"], "log.record.count")
        assert _wait(lambda: _latest_sums(sinks["global"], "app.requests") == Counter({j: 2 * n for j, n in want_calls.items()}))
        time.sleep(0.5)  # anything wrongly routed would have arrived with the rest
        quarantined = scrubber.metric("scrubber_quarantine_items_total")

    # every item at exactly the regional backend of its jurisdiction, and nowhere else regionally
    for j in ("eu", "in", "us"):
        for signal in Signal:
            assert _jurisdictions(sinks[j], signal) == Counter({j: sent[j]}), (j, signal)
        expected_cases = {i for i, s in enumerate(SPANS) if s[2] == j}
        assert _cases(sinks[j], Signal.TRACES) == expected_cases
        assert _cases(sinks[j], Signal.LOGS) == expected_cases
    # full data regionally for EU and US, pseudonymized for IN
    eu_text = "".join(otlpjson.dumps(r) for s in Signal for r in sinks["eu"].requests[s])
    assert "lena.hoffmann@example.de" in eu_text and "sofia.rossi@example.it" in eu_text
    in_text = "".join(otlpjson.dumps(r) for s in Signal for r in sinks["in"].requests[s])
    for signal in Signal:
        text = "".join(otlpjson.dumps(r) for r in sinks["in"].requests[signal])
        assert not [v for v in PLANTED if v in text], (signal, [v for v in PLANTED if v in text], text[:3000])
    assert ":in-1:" in in_text
    # global: only US spans and logs, pseudonymized; no planted value anywhere
    assert _jurisdictions(sinks["global"], Signal.TRACES) == Counter({"us": sent["us"]})
    assert _jurisdictions(sinks["global"], Signal.LOGS) == Counter({"us": sent["us"]})
    us_cases = {i for i, s in enumerate(SPANS) if s[2] == "us"}
    assert _cases(sinks["global"], Signal.TRACES) == us_cases and _cases(sinks["global"], Signal.LOGS) == us_cases
    global_text = "".join(otlpjson.dumps(r) for s in Signal for r in sinks["global"].requests[s])
    assert not [v for v in PLANTED if v in global_text]
    assert ":us-1:" in global_text
    # unknown: quarantined locally, exported nowhere
    assert all("zed.unknown@example.org" not in otlpjson.dumps(r)
               for sink in sinks.values() for s in Signal for r in sink.requests[s])
    stored = "".join(p.read_text() for p in (tmp_path / "quarantine").rglob("*") if p.is_file())
    assert "zed.unknown@example.org" in stored
    assert quarantined >= 3  # one span, one log record, one data point
