"""The aggregates connector: spans/logs -> metrics, app metrics re-aggregated, bounded, scrapeable."""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from scrubber.component import ComponentID, Kind, Settings
from scrubber.connectors.aggregates.config import DEFAULT_DIMENSIONS, AggregatesConfig
from scrubber.connectors.aggregates.connector import AggregatesConnector
from scrubber.connectors.aggregates.normalize import normalize_span_name
from scrubber.consumer import SinkConsumer
from scrubber.pdata import Signal, otlpjson
from scrubber.registry import default_registry
from scrubber.service.telemetry import Telemetry
from scrubber.testing.data import require_fixtures_dir
from tests.aggregates import builders as b

FIXTURES = require_fixtures_dir()
LIBRARIES = ("otel-genai", "openinference", "openllmetry")
ERROR, OK = 2, 1
SERVER, CLIENT = 2, 3


def make(config: AggregatesConfig | None = None, signals=(Signal.TRACES, Signal.LOGS, Signal.METRICS)):
    """Connector instances of one id (one per input signal, as the graph makes them) and their sink."""
    settings = Settings(ComponentID("aggregates"), Kind.CONNECTOR, logging.getLogger("test.aggregates"), Telemetry())
    sink = SinkConsumer()
    # label detection on a loaded test machine: no fail-closed folding because of a slow first call
    config = (config or AggregatesConfig()).model_copy(update={"detection_timeout": 60.0})
    return {s: AggregatesConnector(settings, config, s, {"metrics/global": sink, "traces/other": SinkConsumer()})
            for s in signals}, sink, settings


def flushed(connectors) -> dict:
    """Flush once; the export as an OTLP/JSON dict."""
    core = next(iter(connectors.values())).core
    sink = core.consumers[0]
    before = len(sink.received)
    asyncio.run(core.flush())
    assert len(sink.received) == before + 1
    return otlpjson.request_to_dict(sink.received[-1][1])


def points(export: dict, name: str) -> list[tuple[dict, dict]]:
    """(labels from resource and point, data point) for every point of metric `name`."""
    out = []
    for rm in export.get("resourceMetrics", []):
        resource = {a["key"]: _v(a["value"]) for a in rm.get("resource", {}).get("attributes", [])}
        for sm in rm["scopeMetrics"]:
            for m in sm["metrics"]:
                if m["name"] != name:
                    continue
                data = next(m[k] for k in ("sum", "gauge", "histogram") if k in m)
                for p in data["dataPoints"]:
                    out.append(({**resource, **{a["key"]: _v(a["value"]) for a in p.get("attributes", [])}}, p))
    return out


def _v(value: dict):
    return next(iter(value.values()))


def feed(connectors, signal: Signal, request) -> None:
    asyncio.run(connectors[signal].consume(signal, request))


def test_spans_become_calls_errors_and_duration_histograms_per_dimension():
    connectors, _, _ = make(AggregatesConfig(histogram_buckets=[5, 50, 500]))
    feed(connectors, Signal.TRACES, b.spans([
        {"name": "GET /users/12345", "kind": SERVER, "ms": 3},
        {"name": "GET /users/67890", "kind": SERVER, "ms": 30},
        {"name": "GET /users/1", "kind": SERVER, "ms": 300, "status": ERROR},
        {"name": "POST /orders", "kind": SERVER, "ms": 1000, "status": OK},
    ], resource={"service.name": "shop", "service.instance.id": "i-1", "deployment.environment": "prod"}))
    export = flushed(connectors)
    calls = {(a["span.name"], a["status.code"]): int(p["asInt"]) for a, p in points(export, "traces.span.metrics.calls")}
    assert calls == {("GET /users/{id}", "STATUS_CODE_UNSET"): 2, ("GET /users/{id}", "STATUS_CODE_ERROR"): 1,
                     ("POST /orders", "STATUS_CODE_OK"): 1}
    labels, _ = points(export, "traces.span.metrics.calls")[0]
    assert labels["service.name"] == "shop" and labels["deployment.environment"] == "prod"
    assert labels["span.kind"] == "SPAN_KIND_SERVER" and "service.instance.id" not in labels
    errors = points(export, "traces.span.metrics.errors")
    assert [(a["span.name"], int(p["asInt"])) for a, p in errors] == [("GET /users/{id}", 1)]
    durations = {(a["span.name"], a["status.code"]): p for a, p in points(export, "traces.span.metrics.duration")}
    ok = durations[("GET /users/{id}", "STATUS_CODE_UNSET")]
    assert int(ok["count"]) == 2 and ok["sum"] == pytest.approx(33.0)
    assert [int(c) for c in ok["bucketCounts"]] == [1, 1, 0, 0] and ok["explicitBounds"] == [5.0, 50.0, 500.0]
    assert [int(c) for c in durations[("POST /orders", "STATUS_CODE_OK")]["bucketCounts"]] == [0, 0, 0, 1]


def test_genai_tokens_and_requests_per_model_and_operation_across_conventions():
    connectors, _, _ = make()
    feed(connectors, Signal.TRACES, b.spans([
        {"name": "chat gpt-4o", "kind": CLIENT, "attrs": {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                                                          "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 20}},
        {"name": "openai.chat", "kind": CLIENT, "attrs": {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                                                          "gen_ai.usage.prompt_tokens": 5, "gen_ai.usage.completion_tokens": 7}},
        {"name": "ChatCompletion", "kind": 1, "attrs": {"openinference.span.kind": "LLM", "llm.model_name": "gpt-4o",
                                                        "llm.token_count.prompt": 1, "llm.token_count.completion": 2}},
        {"name": "embeddings m", "kind": CLIENT, "attrs": {"gen_ai.operation.name": "embeddings",
                                                           "gen_ai.request.model": "m", "gen_ai.usage.input_tokens": 8}},
        {"name": "handle_request", "kind": SERVER},
    ]))
    export = flushed(connectors)
    tokens = {(a["gen_ai.request.model"], a["gen_ai.operation.name"], a["gen_ai.token.type"]): int(p["asInt"])
              for a, p in points(export, "scrubber.gen_ai.token.usage")}
    assert tokens == {("gpt-4o", "chat", "input"): 106, ("gpt-4o", "chat", "output"): 29, ("m", "embeddings", "input"): 8}
    requests = {(a["gen_ai.request.model"], a["gen_ai.operation.name"]): int(p["asInt"])
                for a, p in points(export, "scrubber.gen_ai.requests")}
    assert requests == {("gpt-4o", "chat"): 3, ("m", "embeddings"): 1}
    assert all("span.name" not in a for a, _ in points(export, "scrubber.gen_ai.requests"))


def test_logs_are_counted_by_severity_and_jurisdiction():
    connectors, _, _ = make()
    feed(connectors, Signal.LOGS, b.logs([
        {"severity": 9, "attrs": {"residency.jurisdiction": "eu", "user.email": "a@example.com"}},
        {"severity": 17, "attrs": {"residency.jurisdiction": "eu"}},
        {"severity": 10, "attrs": {"residency.jurisdiction": "in"}},
    ]))
    counts = {(a["log.severity"], a["residency.jurisdiction"]): int(p["asInt"])
              for a, p in points(flushed(connectors), "log.record.count")}
    assert counts == {("INFO", "eu"): 1, ("ERROR", "eu"): 1, ("INFO", "in"): 1}


def test_a_scope_of_like_records_counts_each_record_once():
    """Records with the same dimensions share one series key (made once per scope); every
    record still counts, and records that differ in a dimension or severity stay apart."""
    config = AggregatesConfig(dimensions=[*DEFAULT_DIMENSIONS, "app.flag"])
    connectors, _, _ = make(config)
    records = [{"severity": 9, "attrs": {"residency.jurisdiction": "eu"}}] * 5
    records += [{"severity": 17, "attrs": {"residency.jurisdiction": "eu"}}] * 2
    records += [{"severity": 9, "attrs": {"residency.jurisdiction": "eu", "app.flag": "a"}},
                {"severity": 9, "attrs": {"app.flag": "b", "residency.jurisdiction": "eu"}},
                {"severity": 9, "attrs": {"residency.jurisdiction": "eu", "app.flag": "b"}}]
    feed(connectors, Signal.LOGS, b.logs(records))
    counts = {(a["log.severity"], a.get("app.flag")): int(p["asInt"])
              for a, p in points(flushed(connectors), "log.record.count")}
    assert counts == {("INFO", None): 5, ("ERROR", None): 2, ("INFO", "a"): 1, ("INFO", "b"): 2}


@pytest.mark.parametrize("name, expected", [
    ("GET /users/12345", "GET /users/{id}"),
    ("GET /users/12345/orders/7", "GET /users/{id}/orders/{id}"),
    ("GET /u/550e8400-e29b-41d4-a716-446655440000/profile", "GET /u/{id}/profile"),
    ("GET /objects/507f1f77bcf86cd799439011", "GET /objects/{id}"),
    ("POST /mail/jane.doe@example.com/send", "POST /mail/{email}/send"),
    ("GET /search?q=alice&page=2", "GET /search"),
    ("GET /s/sess-968859", "GET /s/{id}"),  # a route segment with digits is an id as a whole
    ("GET /t/aB3dE5gH7jK9mN1pQrS", "GET /t/{id}"),
    ("order 1234567 shipped", "order {id} shipped"),
    ("chat gpt-4o-mini", "chat gpt-4o-mini"),
    ("embeddings text-embedding-3-small", "embeddings text-embedding-3-small"),
    ("gpt-3.5-turbo", "gpt-3.5-turbo"),
    ("handle_request", "handle_request"),
    ("", "unknown"),
])
def test_span_name_normalisation(name, expected):
    assert normalize_span_name(name) == expected


def test_normalised_name_is_bounded():
    assert len(normalize_span_name("x" * 1000)) == 128


def test_cardinality_limit_folds_the_excess_into_one_overflow_series():
    connectors, _, _ = make(AggregatesConfig(cardinality_limit=5, dimensions=["service.name", "span.name"]))
    feed(connectors, Signal.TRACES, b.spans([{"name": f"op-{chr(97 + i)}"} for i in range(20)]))
    calls = points(flushed(connectors), "traces.span.metrics.calls")
    assert len(calls) == 5
    overflow = [p for a, p in calls if a.get("otel.metric.overflow") is True]
    assert len(overflow) == 1 and int(overflow[0]["asInt"]) == 16
    overflow_labels = [a for a, _ in calls if "otel.metric.overflow" in a][0]
    assert overflow_labels == {"otel.metric.overflow": True}
    assert sum(int(p["asInt"]) for _, p in calls) == 20


def _fixtures(connectors) -> None:
    for lib in LIBRARIES:
        for signal in (Signal.TRACES, Signal.LOGS, Signal.METRICS):
            for line in (FIXTURES / lib / f"{signal}.jsonl").read_text().splitlines():
                feed(connectors, signal, otlpjson.loads(signal, line))


def test_fixtures_output_only_allow_listed_keys_no_exemplars_no_planted_values():
    connectors, _, _ = make()
    _fixtures(connectors)
    export = flushed(connectors)
    allowed = set(DEFAULT_DIMENSIONS) | {"otel.metric.overflow"}
    keys = set()
    for rm in export["resourceMetrics"]:
        keys |= {a["key"] for a in rm["resource"].get("attributes", [])}
        for sm in rm["scopeMetrics"]:
            for m in sm["metrics"]:
                for p in next(m[k] for k in ("sum", "gauge", "histogram") if k in m)["dataPoints"]:
                    assert "exemplars" not in p
                    keys |= {a["key"] for a in p.get("attributes", [])}
    assert keys and keys <= allowed, keys - allowed
    text = json.dumps(export)
    for lib in LIBRARIES:
        for planted in json.loads((FIXTURES / lib / "planted.json").read_text()):
            assert planted["value"] not in text
    calls = sum(int(p["asInt"]) for _, p in points(export, "traces.span.metrics.calls"))
    sent = sum(1 for lib in LIBRARIES for line in (FIXTURES / lib / "traces.jsonl").read_text().splitlines()
               for rs in json.loads(line)["resourceSpans"] for ss in rs["scopeSpans"] for _ in ss["spans"])
    assert calls == sent


def test_app_metric_identifier_labels_removed_and_colliding_points_summed():
    connectors, _, _ = make()
    feed(connectors, Signal.METRICS, b.counter("app.requests", [
        ({"enduser.id": "u-1", "residency.jurisdiction": "eu"}, 3),
        ({"enduser.id": "u-2", "residency.jurisdiction": "eu"}, 4),
        ({"enduser.id": "u-3", "residency.jurisdiction": "in"}, 5)]))
    # the next cumulative export of the same series: only the increments count
    feed(connectors, Signal.METRICS, b.counter("app.requests", [
        ({"enduser.id": "u-1", "residency.jurisdiction": "eu"}, 10),
        ({"enduser.id": "u-2", "residency.jurisdiction": "eu"}, 4)], time=b.T0 + 2 * 10**9))
    # a second instance (another resource) adds its own
    feed(connectors, Signal.METRICS, b.counter("app.requests", [({"enduser.id": "u-9", "residency.jurisdiction": "eu"}, 2)],
                                               resource={"service.name": "svc", "service.instance.id": "b"}))
    result = {a["residency.jurisdiction"]: int(p["asInt"]) for a, p in points(flushed(connectors), "app.requests")}
    assert result == {"eu": 10 + 4 + 2, "in": 5}


def test_app_histograms_merge_bucket_wise_and_drop_exemplars_gauges_keep_last():
    connectors, _, _ = make()
    feed(connectors, Signal.METRICS, b.histogram("latency", [
        ({"user.id": "a", "http.route": "/x"}, [1, 2, 3], 500.0), ({"user.id": "b"}, [4, 0, 1], 200.0)]))
    feed(connectors, Signal.METRICS, b.gauge("queue", [({"user.id": "a"}, 1.0, b.T0 + 1), ({"user.id": "b"}, 7.0, b.T0 + 2)]))
    export = flushed(connectors)
    [(labels, point)] = points(export, "latency")
    assert labels == {"service.name": "svc"}
    assert [int(c) for c in point["bucketCounts"]] == [5, 2, 4] and int(point["count"]) == 11
    assert point["sum"] == pytest.approx(700.0) and "exemplars" not in point
    [(_, g)] = points(export, "queue")
    assert g["asDouble"] == 7.0


def test_delta_temporality_sends_increments_only():
    connectors, _, _ = make(AggregatesConfig(aggregation_temporality="delta"))
    feed(connectors, Signal.TRACES, b.spans([{"name": "a"}, {"name": "a"}]))
    first = flushed(connectors)
    feed(connectors, Signal.TRACES, b.spans([{"name": "a"}]))
    second = flushed(connectors)
    [(_, p1)] = points(first, "traces.span.metrics.calls")
    [(_, p2)] = points(second, "traces.span.metrics.calls")
    assert (int(p1["asInt"]), int(p2["asInt"])) == (2, 1)
    metric = second["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]
    assert metric["sum"]["aggregationTemporality"] == b.DELTA
    assert int(p2["startTimeUnixNano"]) >= int(p1["timeUnixNano"])


def test_scrubber_counters_are_reexported_with_namespaced_labels():
    connectors, _, settings = make()
    settings.telemetry.counter("quarantine_items", "q", ("signal",)).labels("traces").inc(3)
    settings.telemetry.counter("pii_detections", "p", ("entity_type", "role", "jurisdiction", "operator")).labels(
        "EMAIL_ADDRESS", "content", "eu", "pseudonymize").inc(2)
    export = flushed(connectors)
    assert [(a, int(p["asInt"])) for a, p in points(export, "scrubber.quarantine_items")] == [({"scrubber.signal": "traces"}, 3)]
    [(labels, p)] = points(export, "scrubber.pii_detections")
    assert labels["residency.jurisdiction"] == "eu" and labels["scrubber.entity_type"] == "EMAIL_ADDRESS"


async def _scrape(port: int) -> str:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200
            return await response.text()


def test_prometheus_endpoint_serves_the_series_and_the_flush_loop_delivers():
    config = AggregatesConfig(prometheus={"endpoint": "127.0.0.1:0"}, metrics_flush_interval="50ms")
    connectors, sink, _ = make(config)

    async def scenario() -> str:
        for c in connectors.values():
            await c.start(None)
        await connectors[Signal.TRACES].consume(Signal.TRACES, b.spans([{"name": "GET /a/1"}, {"name": "GET /a/2", "ms": 60}]))
        await connectors[Signal.LOGS].consume(Signal.LOGS, b.logs([{"severity": 13}]))
        text = await _scrape(connectors[Signal.TRACES].core.server.port)
        await asyncio.sleep(0.2)
        for c in connectors.values():
            await c.shutdown(1.0)
        return text

    text = asyncio.run(scenario())
    families = {f.name: f for f in text_string_to_metric_families(text)}
    [calls] = [s for s in families["traces_span_metrics_calls"].samples if s.name.endswith("_total")]
    assert calls.value == 2 and calls.labels["span_name"] == "GET /a/{id}" and calls.labels["service_name"] == "svc"
    count = [s for s in families["traces_span_metrics_duration_milliseconds"].samples if s.name.endswith("_count")]
    assert count[0].value == 2
    assert any(s.value == 1 for s in families["log_record_count"].samples)
    assert sink.received, "the flush loop sent nothing downstream"
    assert connectors[Signal.TRACES].core.server is None  # stopped with the last instance


def test_only_metrics_pipelines_receive_and_factory_is_registered():
    connectors, sink, _ = make()
    assert connectors[Signal.TRACES].core.consumers == [sink]
    factory = default_registry().get(Kind.CONNECTOR, "aggregates")
    assert factory is not None and (Signal.TRACES, Signal.METRICS) in factory.connector_pairs
    assert factory.default_config().metrics_flush_interval == 15.0


def test_config_rejects_bad_buckets_and_unknown_keys():
    with pytest.raises(ValueError, match="strictly increasing"):
        AggregatesConfig(histogram_buckets=[5, 5])
    with pytest.raises(ValueError):
        AggregatesConfig(exemplars=True)
