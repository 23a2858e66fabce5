"""Pipeline capabilities (issue 9, item 1): what fan-out sees of a pipeline is the whole
chain. One receiver feeds a raw pipeline and a pipeline whose processors are every order of
mutating (M) and non-mutating (N) processors; the raw pipeline's exporter must always get the
request as sent, and the other the mutated one."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from scrubber.component import Factory, Kind
from scrubber.config.loader import parse_config
from scrubber.pdata import Signal
from scrubber.processorhelper import ProcessorHelper
from scrubber.registry import Registry
from scrubber.service.graph import Graph
from scrubber.service.telemetry import Telemetry
from scrubber.testing.data import synthetic_request
from tests.support.components import Empty, add_capture_and_sink


def _processor(mutates: bool):
    def create(settings, config, signal, next_consumer):
        async def process(signal, request):
            if mutates:
                request.resource_spans[0].scope_spans[0].spans[0].name = "mutated"
            return request
        return ProcessorHelper(settings, signal, next_consumer, process, mutates_data=mutates)
    return create


def registry() -> Registry:
    reg = add_capture_and_sink(Registry())
    reg.add(Factory("m", Kind.PROCESSOR, Empty, _processor(True)))
    reg.add(Factory("n", Kind.PROCESSOR, Empty, _processor(False)))
    return reg


ORDERS = [list(o) for size in range(1, 4) for o in itertools.product("nm", repeat=size) if "m" in o]


def first_name(request) -> str:
    return request.resource_spans[0].scope_spans[0].spans[0].name


@pytest.mark.parametrize("raw_processors", [[], ["n"], ["n", "n"]], ids=lambda p: "raw[" + ",".join(p) + "]")
@pytest.mark.parametrize("order", ORDERS, ids=lambda o: "scrubbed[" + ",".join(o) + "]")
def test_a_raw_pipeline_never_sees_what_a_later_processor_of_another_pipeline_mutates(order, raw_processors):
    ids = [f"{kind}/{i}" for i, kind in enumerate(order)]
    raw_ids = [f"{kind}/raw{i}" for i, kind in enumerate(raw_processors)]
    data = {
        "receivers": {"capture": None},
        "processors": {name: None for name in ids + raw_ids},
        "exporters": {"sink/raw": None, "sink/scrubbed": None},
        "service": {"pipelines": {
            "traces/raw": {"receivers": ["capture"], "processors": raw_ids, "exporters": ["sink/raw"]},
            "traces/scrubbed": {"receivers": ["capture"], "processors": ids, "exporters": ["sink/scrubbed"]},
        }},
    }
    graph = Graph(parse_config(data, registry=registry(), checks=False), Telemetry())
    request = synthetic_request(Signal.TRACES, 2)
    original = first_name(request)
    asyncio.run(graph.receivers[next(iter(graph.receivers))].consumers[Signal.TRACES].consume(Signal.TRACES, request))
    raw = [e for i, e in graph.exporters.items() if i.name == "raw"][0]
    scrubbed = [e for i, e in graph.exporters.items() if i.name == "scrubbed"][0]
    assert first_name(raw.received[0][1]) == original
    assert first_name(scrubbed.received[0][1]) == "mutated"


@pytest.mark.parametrize("order", [["n"], ["n", "n"], ["m"], ["n", "m"], ["m", "n"]])
def test_the_pipeline_head_says_it_mutates_when_any_processor_does(order):
    data = {
        "receivers": {"capture": None},
        "processors": {f"{k}/{i}": None for i, k in enumerate(order)},
        "exporters": {"sink": None},
        "service": {"pipelines": {"traces": {"receivers": ["capture"], "processors": [f"{k}/{i}" for i, k in enumerate(order)],
                                             "exporters": ["sink"]}}},
    }
    graph = Graph(parse_config(data, registry=registry(), checks=False), Telemetry())
    head = graph.receivers[next(iter(graph.receivers))].consumers[Signal.TRACES]
    assert head.mutates_data == ("m" in order)


def test_the_issue_9_reproduction_with_shipped_processors(monkeypatch):
    """traces/raw [batch] and traces/scrubbed [memory_limiter, pii] on one receiver: the raw
    exporter gets the e-mail as sent, the scrubbed one a pseudonym."""
    monkeypatch.setenv("SCRUBBER_CAPABILITIES_KEY", "capabilities-test-key-0123456789")
    reg = add_capture_and_sink(Registry.from_entry_points())
    data = {
        "receivers": {"capture": None},
        "processors": {"batch": None, "memory_limiter": {"limit_mib": 4096},
                       "pii": {"keys": {"default": {"active": "k1", "keys": {"k1": {"env": "SCRUBBER_CAPABILITIES_KEY"}}}},
                               "detection": {"ner": {"enabled": False}}}},
        "exporters": {"sink/raw": None, "sink/scrubbed": None},
        "service": {"pipelines": {
            "traces/raw": {"receivers": ["capture"], "processors": ["batch"], "exporters": ["sink/raw"]},
            "traces/scrubbed": {"receivers": ["capture"], "processors": ["memory_limiter", "pii"], "exporters": ["sink/scrubbed"]},
        }},
    }
    graph = Graph(parse_config(data, registry=reg, checks=False), Telemetry())
    request = synthetic_request(Signal.TRACES, 1)
    attribute = request.resource_spans[0].scope_spans[0].spans[0].attributes.add()
    attribute.key, attribute.value.string_value = "user.email", "jane.doe@example.com"

    async def scenario():
        await graph.start()
        try:
            await graph.receivers[next(iter(graph.receivers))].consumers[Signal.TRACES].consume(Signal.TRACES, request)
        finally:
            await graph.shutdown(5.0)

    asyncio.run(scenario())

    def email(exporter_name: str) -> str:
        exporter = [e for i, e in graph.exporters.items() if i.name == exporter_name][0]
        span = exporter.received[0][1].resource_spans[0].scope_spans[0].spans[0]
        return next(kv.value.string_value for kv in span.attributes if kv.key == "user.email")

    assert email("raw") == "jane.doe@example.com"
    assert email("scrubbed").startswith("<EMAIL_ADDRESS:k1:")
