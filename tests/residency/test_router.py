"""Splitting a mixed request item by item, and routing each part per policy."""

from __future__ import annotations

import asyncio
import logging

import pytest

from scrubber.component import ComponentID, Kind, Settings
from scrubber.connectors.residency_router.config import ResidencyRouterConfig
from scrubber.connectors.residency_router.router import ResidencyRouter
from scrubber.connectors.residency_router.split import split
from scrubber.consumer import SinkConsumer
from scrubber.errors import RetryableError
from scrubber.pdata import Signal, item_count
from scrubber.service.telemetry import Telemetry
from tests.residency.helpers import logs, metrics, stamps, traces

R = "residency.jurisdiction"


def test_mixed_trace_request_is_split_item_by_item_keeping_resource_and_scope():
    request = traces(({"service.name": "a", R: "eu"}, [{}, {R: "us"}, {}]),
                     ({"service.name": "b"}, [{R: "us"}, {R: "bogus value"}]))
    parts = split(Signal.TRACES, request)
    assert sorted(parts) == ["eu", "unknown", "us"]
    assert stamps(parts["us"]) == ["us", "us"]
    assert [s.name for g in parts["us"].resource_spans for s in g.scope_spans[0].spans] == ["span-1", "span-3"]
    us_resources = [g.resource for g in parts["us"].resource_spans]
    assert [r.attributes[0].value.string_value for r in us_resources] == ["a", "b"]
    assert all(g.schema_url and g.scope_spans[0].scope.name == "lib" for g in parts["us"].resource_spans)
    assert [s.name for s in parts["eu"].resource_spans[0].scope_spans[0].spans] == ["span-0", "span-2"]
    assert sum(item_count(p) for p in parts.values()) == item_count(request)


def test_logs_and_metric_points_split_with_their_metric_descriptor():
    request = logs({}, [{R: "in"}, {R: "eu"}, {R: "in"}])
    assert {j: item_count(p) for j, p in split(Signal.LOGS, request).items()} == {"in": 2, "eu": 1}
    request = metrics({"cloud.region": "x"}, [{R: "eu"}, {R: "us"}, {R: "eu"}])
    parts = split(Signal.METRICS, request)
    eu_metric = parts["eu"].resource_metrics[0].scope_metrics[0].metrics[0]
    assert (eu_metric.name, eu_metric.unit, eu_metric.sum.is_monotonic, eu_metric.sum.aggregation_temporality) == ("requests", "1", True, 2)
    assert [p.as_int for p in eu_metric.sum.data_points] == [0, 2]
    assert [p.as_int for p in parts["us"].resource_metrics[0].scope_metrics[0].metrics[0].sum.data_points] == [1]


def test_a_single_jurisdiction_request_is_passed_on_without_a_copy():
    request = traces(({R: "eu"}, [{}, {}]))
    assert split(Signal.TRACES, request)["eu"] is request


ROUTER = {
    "policies": {
        "eu": {"regional": ["traces/eu", "metrics/eu"]},
        "in": {"regional": ["traces/in"], "regional_form": "pseudonymized"},
        "us": {"regional": ["traces/us", "metrics/us"], "global": "pseudonymized"},
        "cn": {"regional": ["traces/cn"], "global": "none"},
        "default": {"regional": [], "global": "aggregates"},
    },
    "quarantine": ["traces/quarantine", "metrics/quarantine"],
    "aggregates": ["traces/aggregates", "metrics/aggregates"],
    "global": ["traces/global"],
}


def _router(signal: Signal, names: list[str]):
    sinks = {name: SinkConsumer() for name in names}
    settings = Settings(ComponentID("residency_router"), Kind.CONNECTOR, logging.getLogger("t"), Telemetry())
    router = ResidencyRouter(settings, ResidencyRouterConfig.model_validate(ROUTER), signal, sinks)
    return router, sinks


def _received(sinks) -> dict[str, list[str]]:
    return {name: sorted(j or "unknown" for _, r in sink.received for j in stamps(r)) for name, sink in sinks.items()}


def test_each_jurisdiction_reaches_exactly_what_its_policy_allows():
    names = ["traces/eu", "traces/in", "traces/us", "traces/cn", "traces/global", "traces/aggregates", "traces/quarantine"]
    router, sinks = _router(Signal.TRACES, names)
    request = traces(({}, [{R: "eu"}, {R: "in"}, {R: "us"}, {R: "cn"}, {R: "br"}, {}]))
    asyncio.run(router.consume(Signal.TRACES, request))
    assert _received(sinks) == {
        "traces/eu": ["eu"], "traces/in": ["in"], "traces/us": ["us"], "traces/cn": ["cn"],
        "traces/global": ["us"],  # only a policy with global: pseudonymized
        "traces/aggregates": ["br", "eu", "in", "us"],  # cn: global none; unknown: never
        "traces/quarantine": ["br", "unknown"],  # br: default policy has no regional pipeline
    }


def test_metrics_go_global_only_as_aggregates():
    names = ["metrics/eu", "metrics/us", "metrics/aggregates", "metrics/quarantine"]
    router, sinks = _router(Signal.METRICS, names)
    asyncio.run(router.consume(Signal.METRICS, metrics({}, [{R: "us"}, {R: "eu"}, {R: "in"}])))
    assert _received(sinks) == {"metrics/eu": ["eu"], "metrics/us": ["us"], "metrics/aggregates": ["eu", "in", "us"],
                                "metrics/quarantine": ["in"]}  # in has no metrics pipeline: kept local


def test_without_a_default_policy_other_jurisdictions_are_quarantined():
    config = {**ROUTER, "policies": {"eu": {"regional": ["traces/eu"]}}}
    sinks = {n: SinkConsumer() for n in ("traces/eu", "traces/aggregates", "traces/quarantine")}
    settings = Settings(ComponentID("residency_router"), Kind.CONNECTOR, logging.getLogger("t"), Telemetry())
    router = ResidencyRouter(settings, ResidencyRouterConfig.model_validate(config), Signal.TRACES, sinks)
    asyncio.run(router.consume(Signal.TRACES, traces(({}, [{R: "br"}, {R: "eu"}]))))
    assert _received(sinks) == {"traces/eu": ["eu"], "traces/aggregates": ["eu"], "traces/quarantine": ["br"]}


class _Renaming(SinkConsumer):
    """A pipeline that changes what it gets (as a pii pipeline does)."""

    mutates_data = True

    async def consume(self, signal, request) -> None:
        for group in request.resource_spans:
            for span in group.scope_spans[0].spans:
                span.name = "changed"
        await super().consume(signal, request)


class _Refusing(SinkConsumer):
    async def consume(self, signal, request) -> None:
        raise RetryableError("backend down")


def test_routes_fan_out_as_the_graph_does_copies_for_mutators_and_the_first_hard_error_wins():
    sinks = {"traces/us": SinkConsumer(), "traces/global": _Renaming(), "traces/aggregates": SinkConsumer(),
             "traces/quarantine": _Refusing()}
    settings = Settings(ComponentID("residency_router"), Kind.CONNECTOR, logging.getLogger("t"), Telemetry())
    router = ResidencyRouter(settings, ResidencyRouterConfig.model_validate(ROUTER), Signal.TRACES, sinks)
    assert router.mutates_data  # a downstream pipeline mutates, so upstream fan-out must copy for it
    request = traces(({}, [{R: "us"}, {R: "??"}]))
    with pytest.raises(RetryableError):  # the unknown part's quarantine refused
        asyncio.run(router.consume(Signal.TRACES, request))
    names = lambda sink: [s.name for _, r in sink.received for g in r.resource_spans for s in g.scope_spans[0].spans]  # noqa: E731
    assert names(sinks["traces/global"]) == ["changed"]
    assert names(sinks["traces/us"]) == names(sinks["traces/aggregates"]) == ["span-0"]  # their own, unchanged copy
