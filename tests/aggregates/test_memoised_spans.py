"""The optimised span path (residency `stamp`, aggregates `memoised_spans`) gives exactly what the
straightforward one gives: the same downstream bytes, the same series, in the same order."""

from __future__ import annotations

import asyncio

import pytest

from benchmarks.throughput.routing_cost import Answered, Stages, batches_for
from scrubber.connectors.aggregates.config import AggregatesConfig
from scrubber.pdata import Signal
from tests.aggregates.builders import spans
from tests.aggregates.test_aggregates_connector import make


@pytest.fixture(scope="module")
def detection() -> Answered:
    return Answered()


def _outputs(signal: Signal, payloads: list[bytes], detection) -> tuple:
    results = []
    for reference in (False, True):
        stages = Stages(signal, detection, reference)
        asyncio.run(stages.run(payloads))
        results.append(stages.output())
    return tuple(results)


@pytest.mark.parametrize("workload,jurisdiction", [("plain", "in"), ("world-mixed", "in"), ("world-mixed", None),
                                                   ("genai-chat", "us"), ("world-rag-docs", "eu")])
def test_optimised_stages_match_the_straightforward_ones_on_the_workloads(workload, jurisdiction, detection):
    batches = batches_for(workload, 4, jurisdiction)
    optimised, reference = _outputs(Signal(batches[0].signal), [b.payload for b in batches], detection)
    assert optimised == reference
    assert reference[1], "the aggregates saw no spans"


def test_item_stamps_mixed_types_and_duplicates_match(detection):
    """Items of several jurisdictions (split by the router), malformed and duplicated stamps,
    and label values equal in Python but not as labels (True, 1, 1.0)."""
    specs = [
        {"name": "GET /users/42", "attrs": {"residency.jurisdiction": "EU", "deployment.environment": True}},
        {"name": "GET /users/43", "attrs": {"deployment.environment": 1, "gen_ai.request.model": "gpt-4o",
                                            "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": 3}},
        {"name": "op", "status": 2, "attrs": {"deployment.environment": 1.0, "residency.jurisdiction": 7}},
        {"name": "op", "attrs": {"residency.jurisdiction": "us", "gen_ai.request.model": "gpt-4o",
                                 "gen_ai.usage.input_tokens": 5}},
        {"name": "op", "attrs": {"deployment.environment": True}},
    ]
    request = spans(specs, resource={"service.name": "svc", "cloud.region": "eu-west-1"})
    request.resource_spans[0].scope_spans[0].spans[3].attributes.add(key="residency.jurisdiction").value.string_value = "in"
    payload = request.SerializeToString()
    optimised, reference = _outputs(Signal.TRACES, [payload, payload], detection)
    assert optimised == reference
    assert {k for k in reference[0] if reference[0][k]} >= {"traces/eu", "traces/us", "traces/quarantine"}


class _Failing:
    """Detection that fails on the first call, then answers (fail closed, then vetted)."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    async def detect(self, texts, ner):
        self.calls += 1
        if self.calls == 1:
            raise TimeoutError("first call")
        return await self.inner.detect(texts, ner)


def test_labels_folded_while_unvetted_are_not_memoised(detection):
    """A value folded because detection failed is `{redacted}` once, its own label after."""
    payload = spans([{"name": "checkout", "attrs": {"deployment.environment": "prod"}}],
                    resource={"service.name": "svc", "residency.jurisdiction": "eu"}).SerializeToString()
    results = []
    for reference in (False, True):
        stages = Stages(Signal.TRACES, _Failing(detection), reference)
        asyncio.run(stages.run([payload, payload]))
        results.append(stages.output())
    assert results[0] == results[1]
    labels = {repr(series[1]) for series in results[0][1]}
    assert any("{redacted}" in key for key in labels) and any("'checkout'" in key for key in labels)


def test_cardinality_overflow_matches(detection):
    """Past the limit, memoised series land in the overflow series and count as overflowed."""
    request = spans([{"name": f"op-{i % 7}", "status": i % 3, "attrs": {"deployment.environment": "prod"}}
                     for i in range(40)])
    stores = []
    for memoised in (True, False):
        connectors, _sink, _settings = make(AggregatesConfig(cardinality_limit=4))
        core = connectors[Signal.TRACES].core
        core.detection, core.memoised_spans = detection, memoised
        for _ in range(2):
            asyncio.run(core.consume(Signal.TRACES, request))
        stores.append(([(d.name, k, p.value, p.count, p.buckets) for d, k, p in core.store.cumulative()],
                       core.store.overflowed))
    assert stores[0] == stores[1]
    assert stores[0][1] > 0
