"""The naive baseline is timed on requests typical of the set scrubber is timed on."""

from __future__ import annotations

from benchmarks.throughput.references import _text_per_span, spread_order
from benchmarks.throughput.workloads import generate
from benchmarks.throughput.world import SPANS_PER_REQUEST


def test_spread_order_is_a_permutation_whose_prefixes_cover_the_range():
    for n in (0, 1, 2, 3, 7, 10, 100, 401):
        order = spread_order(n)
        assert sorted(order) == list(range(n))
    order = spread_order(100)
    assert order[:4] == [0, 50, 25, 75]
    assert max(order[:8]) - min(order[:8]) >= 80


def test_a_spread_prefix_is_typical_where_the_first_requests_are_not():
    """world-multi-turn's conversations start at turn one: its first requests carry far less text
    per span than the set, so timing them flattered the baseline. Three spread requests do not."""
    workload = "world-multi-turn"
    batches = generate(workload, 100, SPANS_PER_REQUEST.get(workload, 10), 7)
    whole = _text_per_span(batches)
    first = _text_per_span(batches[:3])
    spread = _text_per_span([batches[i] for i in spread_order(len(batches))[:3]])
    assert first < 0.8 * whole
    assert abs(spread - whole) < 0.2 * whole
