"""The service graph with connectors: wiring, exclusive ownership, start and stop order."""

from __future__ import annotations

import asyncio

import pytest

from scrubber.component import ComponentConfig, Factory, Kind
from scrubber.config.loader import parse_config
from scrubber.consumer import SinkConsumer
from scrubber.pdata import Signal
from scrubber.registry import Registry, default_registry
from scrubber.service.graph import Graph
from scrubber.service.telemetry import Telemetry
from tests.residency.helpers import stamps, traces

EVENTS: list[str] = []


class _Recorder(SinkConsumer):
    def __init__(self, name: str):
        super().__init__()
        self.name = name

    async def start(self, host) -> None:
        EVENTS.append(f"start {self.name}")

    async def shutdown(self, timeout: float) -> None:
        EVENTS.append(f"stop {self.name}")


class _Receiver:
    def __init__(self, settings, config, consumers):
        self.consumers = consumers

    async def start(self, host) -> None:
        EVENTS.append("start receiver")

    async def shutdown(self, timeout: float) -> None:
        EVENTS.append("stop receiver")


def _registry() -> Registry:
    registry = Registry()
    real = default_registry()
    registry.add(real.get(Kind.PROCESSOR, "residency"))
    registry.add(real.get(Kind.CONNECTOR, "residency_router"))
    registry.add(Factory("fake", Kind.RECEIVER, ComponentConfig, _Receiver))
    make = lambda settings, config: _Recorder(str(settings.id))  # noqa: E731
    registry.add(Factory("sink", Kind.EXPORTER, ComponentConfig, make))
    # a stand-in quarantine store: the residency check knows it by its flow declaration, not its name
    registry.add(Factory("quarantine", Kind.EXPORTER, ComponentConfig, make,
                         flow=real.get(Kind.EXPORTER, "quarantine").flow))
    return registry


CONFIG = {
    "receivers": {"fake": None},
    "processors": {"residency": {"default_jurisdiction": "eu"}},
    "exporters": {"sink/eu": {"jurisdiction": "eu"}, "sink/us": {"jurisdiction": "us"}, "quarantine": None},
    "connectors": {"residency_router": {"policies": {"eu": {"regional": ["traces/eu"], "global": "none"},
                                                     "us": {"regional": ["traces/us"], "global": "none"}},
                                        "quarantine": ["traces/q"]}},
    "service": {"pipelines": {
        "traces": {"receivers": ["fake"], "processors": ["residency"], "exporters": ["residency_router"]},
        "traces/eu": {"receivers": ["residency_router"], "exporters": ["sink/eu"]},
        "traces/us": {"receivers": ["residency_router"], "exporters": ["sink/us"]},
        "traces/q": {"receivers": ["residency_router"], "exporters": ["quarantine"]},
    }},
}


def test_connector_graph_routes_and_starts_downstream_first():
    config = parse_config(CONFIG, registry=_registry())
    assert config.pipelines["traces"].connectors_out and not config.pipelines["traces"].exporters
    graph = Graph(config, Telemetry())
    EVENTS.clear()

    async def scenario():
        await graph.start()
        receiver = next(iter(graph.receivers.values()))
        request = traces(({"cloud.region": "us-east-1"}, [{}, {"residency.jurisdiction": "eu"}]), ({}, [{}]),
                         ({"cloud.region": "eu-central-1"}, [{"residency.jurisdiction": "??"}]))
        await next(iter(receiver.consumers.values())).consume(Signal.TRACES, request)
        await graph.shutdown(timeout=5)

    asyncio.run(scenario())
    sinks = {str(i): e for i, e in graph.exporters.items()}
    assert [j for _, r in sinks["sink/us"].received for j in stamps(r)] == ["us"]
    assert sorted(j for _, r in sinks["sink/eu"].received for j in stamps(r)) == ["eu", "eu"]  # override + default
    assert [j for _, r in sinks["quarantine"].received for j in stamps(r)] == ["unknown"]
    starts = [e for e in EVENTS if e.startswith("start")]
    assert starts[-1] == "start receiver" and set(starts[:3]) == {"start sink/eu", "start sink/us", "start quarantine"}
    stops = [e for e in EVENTS if e.startswith("stop")]
    assert stops[0] == "stop receiver" and set(stops[-3:]) == {"stop sink/eu", "stop sink/us", "stop quarantine"}


def test_connector_listed_as_exporter_only_is_an_error():
    bad = {**CONFIG, "service": {"pipelines": {"traces": CONFIG["service"]["pipelines"]["traces"]}}}
    from scrubber.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        parse_config(bad, registry=_registry())
    assert any(e.startswith("service::pipelines::traces::exporters: connector 'residency_router' is used as an exporter")
               for e in info.value.errors)
