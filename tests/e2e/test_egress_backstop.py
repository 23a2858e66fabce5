"""Issue 4: the egress guard is the backstop. A pii processor configured to miss e-mails
(operator `keep`) lets one through; the guard in front of the global exporter drops exactly
that span, counts it, and logs the key and entity type but never the value."""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from scrubber.pdata import Signal
from scrubber.testing import GrpcSink
from tests.support.process import ScrubberProcess, free_port

MISSED_EMAIL = "backstop.victim@example.org"


def config(grpc_port: int, sink_endpoint: str) -> dict:
    return {
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"127.0.0.1:{grpc_port}"}}}},
        "processors": {
            "pii/misconfigured": {
                "keys": {"default": {"active": "k1", "keys": {"k1": {"env": "SCRUBBER_BACKSTOP_KEY"}}}},
                "operators": {"entities": {"EMAIL_ADDRESS": "keep"}},
            },
            "egress_guard": {"mode": "pseudonymized"},
        },
        "exporters": {"otlp/global": {"endpoint": sink_endpoint, "tls": {"insecure": True}}},
        "service": {"pipelines": {"traces": {"receivers": ["otlp"], "processors": ["pii/misconfigured", "egress_guard"],
                                             "exporters": ["otlp/global"]}}},
    }


def test_guard_drops_the_value_the_pii_processor_missed(tmp_path):
    with GrpcSink() as sink:
        grpc_port = free_port()
        env = {"SCRUBBER_BACKSTOP_KEY": "backstop-test-key-0123456789"}
        with ScrubberProcess(config(grpc_port, sink.endpoint), tmp_path, env=env) as scrubber:
            provider = TracerProvider(resource=Resource.create({"service.name": "backstop"}))
            provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"127.0.0.1:{grpc_port}", insecure=True)))
            tracer = provider.get_tracer("backstop")
            with tracer.start_as_current_span("chat", attributes={"gen_ai.prompt": f"please mail {MISSED_EMAIL} the invoice"}):
                pass
            with tracer.start_as_current_span("clean", attributes={"gen_ai.request.model": "gpt-4o-mini"}):
                pass
            provider.shutdown()
            assert sink.wait_for_items(Signal.TRACES, 1, timeout=15)
            dropped = scrubber.metric("scrubber_egress_guard_dropped_items_total", entity_type="EMAIL_ADDRESS")
            log_text = scrubber.stderr()
        names = [s.name for r in sink.requests[Signal.TRACES] for rs in r.resource_spans for ss in rs.scope_spans for s in ss.spans]
        everything = b"".join(r.SerializeToString() for r in sink.requests[Signal.TRACES])
    assert names == ["clean"]
    assert MISSED_EMAIL.encode() not in everything
    assert dropped == 1
    assert "gen_ai.prompt" in log_text and "EMAIL_ADDRESS" in log_text
    assert MISSED_EMAIL not in log_text
