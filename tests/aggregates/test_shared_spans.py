"""`Deriver.spans_shared` (scope groups whose spans all have the same dimensions, measured per
plan in C) leaves the store exactly as the span-by-span path does: the same series in the same
order, the same counts, buckets and float totals to the last bit, the same overflow count, on
the benchmark workloads and on requests built to catch what grouping could change (points
shared by several plans, float addition order, durations past 2**53 ns, negative ones)."""

from __future__ import annotations

import asyncio
import random

import pytest

from benchmarks.throughput.routing_cost import Answered, Stages, batches_for
from scrubber.connectors.aggregates import derive
from scrubber.connectors.aggregates.config import AggregatesConfig
from scrubber.pdata import Signal
from tests.aggregates.builders import T0, spans

J = "residency.jurisdiction"


@pytest.fixture(scope="module")
def detection() -> Answered:
    return Answered()


def _store_rows(core) -> tuple:
    """The whole store in its own order, totals by repr (0.1 + 0.2 is not 0.2 + 0.1)."""
    rows = [(d.name, repr(k), repr(p.value), p.count, repr(p.total), tuple(p.buckets), p.start_ns == p.time_ns)
            for d, k, p in core.store.cumulative()]
    return rows, core.store.overflowed


def _both(payloads: list[bytes], detection, config: AggregatesConfig | None = None) -> tuple:
    """(shared path, span-by-span reference) over the stamped, routed `payloads`."""
    results = []
    for reference in (False, True):
        stages = Stages(Signal.TRACES, detection, reference)
        if config is not None:
            stages.core.store.limit = config.cardinality_limit
        asyncio.run(stages.run(payloads))
        results.append(_store_rows(stages.core))
    return tuple(results)


def _varied(seed: int, n: int, names: list[str], stamp: object | None = "in", scopes: int = 1,
            kinds: tuple = (1, 2, 3, 9), statuses: tuple = (0, 0, 1, 2)) -> bytes:
    """Spans with fractional, zero, negative and huge durations, several kinds and statuses."""
    rng = random.Random(seed)
    specs = []
    for _ in range(n):
        attrs = {"http.route": "/x"} if stamp is None else {"http.route": "/x", J: stamp}
        specs.append({"name": rng.choice(names), "kind": rng.choice(kinds), "status": rng.choice(statuses),
                      "ms": rng.choice((rng.random() * 300, 0.0, 0.1, 0.2, 0.3, 1e-6, 2.5e5)), "attrs": attrs})
    request = spans(specs, resource={"service.name": "svc", "deployment.environment": "prod"})
    scope_spans = request.resource_spans[0].scope_spans
    for span in list(scope_spans[0].spans)[::7]:  # negative and past-2**53 durations
        span.end_time_unix_nano = T0 - 5 if rng.random() < 0.5 else T0 + 2**60 + rng.randrange(1000)
    for _ in range(scopes - 1):
        scope_spans.add().CopyFrom(scope_spans[0])
    return request.SerializeToString()


@pytest.mark.parametrize("workload,jurisdiction", [("plain", "in"), ("plain", None), ("world-mixed", "in"),
                                                   ("genai-chat", "us"), ("world-rag-docs", "eu")])
def test_the_store_is_the_same_on_the_workloads(workload, jurisdiction, detection):
    batches = batches_for(workload, 6, jurisdiction)
    shared, reference = _both([b.payload for b in batches], detection)
    assert shared == reference and reference[0]


@pytest.mark.parametrize("stamp", ["in", "EU", None, 7])
def test_the_store_is_the_same_on_varied_durations_kinds_and_statuses(stamp, detection):
    names = ["GET /a", "POST /b", "SELECT t", "publish q"]
    payloads = [_varied(seed, 120, names, stamp, scopes=1 + seed % 3) for seed in range(6)]
    shared, reference = _both(payloads, detection)
    assert shared == reference


def test_plans_on_one_point_keep_the_span_order_of_its_total(detection):
    """Names that normalise to one label (`/users/{id}`) and the overflow series put several
    plans on one histogram point: its float total must add their durations in span order."""
    names = [f"GET /users/{i}" for i in range(10)] + [f"op-{i}" for i in range(4)]
    payloads = [_varied(seed, 150, names, kinds=(2,), statuses=(0, 2)) for seed in range(4)]
    for config in (None, AggregatesConfig(cardinality_limit=6)):
        shared, reference = _both(payloads, detection, config)
        assert shared == reference
    assert reference[1] > 0, "the overflow series was not reached"


def test_groups_with_more_plans_than_the_bound_go_span_by_span(detection, monkeypatch):
    names = [f"op-{i}" for i in range(derive.MAX_SHARED_PLANS + 5)]
    payloads = [_varied(seed, 200, names, kinds=(2,), statuses=(0,)) for seed in range(3)]
    for bound in (derive.MAX_SHARED_PLANS, 1, 1000):
        monkeypatch.setattr(derive, "MAX_SHARED_PLANS", bound)
        shared, reference = _both(payloads, detection)
        assert shared == reference


def test_the_shared_path_is_taken_on_plain_spans(detection, monkeypatch):
    """The equality above is about `spans_shared`: it must be what plain spans go through."""
    calls = []
    original = derive.Deriver._measure

    def counting(self, plan, rows, now):
        calls.append(len(rows))
        return original(self, plan, rows, now)

    monkeypatch.setattr(derive.Deriver, "_measure", counting)
    batches = batches_for("plain", 2, "in")
    stages = Stages(Signal.TRACES, detection)
    asyncio.run(stages.run([b.payload for b in batches]))
    assert sum(calls) == sum(b.spans for b in batches)
