"""One lifecycle test over every registered factory, as the Collector does: each plug-in
loads, its default config is a valid instance of its model, and a component built from it
can be shut down without being started, twice, without raising."""

from __future__ import annotations

import asyncio
import logging

import pytest

from scrubber.component import ComponentID, Factory, Kind, Settings
from scrubber.consumer import SinkConsumer
from scrubber.pdata import Signal
from scrubber.registry import default_registry
from scrubber.service.telemetry import Telemetry

#: minimal bodies for factories whose default config is deliberately incomplete
#: (a memory limit must be chosen; pseudonymization needs a key; routing needs policies)
REQUIRED = {
    "residency_router": {"policies": {"eu": {"regional": ["traces/out"]}}, "quarantine": ["traces/quarantine"]},
    "memory_limiter": {"limit_mib": 512},
    "pii": {"keys": {"default": {"active": "k1", "keys": {"k1": {"env": "SCRUBBER_LIFECYCLE_TEST_KEY"}}}}},
}

FACTORIES = [factory for kind in Kind for factory in default_registry().all_factories(kind)]


def build(factory: Factory):
    config = factory.config_class.model_validate(REQUIRED.get(factory.type, {}))
    settings = Settings(ComponentID(factory.type), factory.kind, logging.getLogger("lifecycle"), Telemetry())
    sink = SinkConsumer()
    if factory.kind is Kind.RECEIVER:
        return factory.create(settings, config, {signal: sink for signal in factory.signals})
    if factory.kind is Kind.PROCESSOR:
        return factory.create(settings, config, sorted(factory.signals)[0], sink)
    if factory.kind is Kind.CONNECTOR:
        signal_in, signal_out = sorted(factory.connector_pairs)[0]
        return factory.create(settings, config, signal_in, {f"{signal_out.value}/out": sink})
    return factory.create(settings, config)


def test_every_planned_component_is_registered():
    types = {(f.kind, f.type) for f in FACTORIES}
    for kind, type_ in [(Kind.RECEIVER, "otlp"), (Kind.EXPORTER, "otlp"), (Kind.EXPORTER, "otlphttp"),
                        (Kind.EXPORTER, "file"), (Kind.EXPORTER, "debug"), (Kind.EXPORTER, "quarantine"),
                        (Kind.PROCESSOR, "batch"), (Kind.PROCESSOR, "memory_limiter"), (Kind.PROCESSOR, "pii"),
                        (Kind.PROCESSOR, "residency"), (Kind.PROCESSOR, "egress_guard"),
                        (Kind.CONNECTOR, "residency_router"), (Kind.CONNECTOR, "aggregates"),
                        (Kind.EXTENSION, "health_check")]:
        assert (kind, type_) in types


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f"{f.kind.value}:{f.type}")
def test_shutdown_without_start_is_safe_and_idempotent(factory, monkeypatch, tmp_path):
    monkeypatch.setenv("SCRUBBER_LIFECYCLE_TEST_KEY", "lifecycle-test-key-0123456789")
    monkeypatch.chdir(tmp_path)  # components that write (file, quarantine) write here

    async def scenario():
        component = build(factory)
        await component.shutdown(1.0)
        await component.shutdown(1.0)

    asyncio.run(scenario())


@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f"{f.kind.value}:{f.type}")
def test_factory_declares_what_it_supports(factory):
    assert factory.type and factory.stability
    if factory.kind is Kind.CONNECTOR:
        assert factory.connector_pairs
    elif factory.kind is not Kind.EXTENSION:
        assert factory.signals and set(factory.signals) <= set(Signal)
