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


def test_a_wrapped_genai_request_set_does_not_meet_its_throughput_target():
    """A set that wraps resends texts the findings cache has answered: world-logs' max rate was
    overstated that way. Its target is not met, whatever the ratio says; plain may wrap."""
    from benchmarks.throughput.report import targets

    def workload(wrapped: bool, vs_naive: float) -> dict:
        return {"max": {"request_set_wrapped": wrapped}, "vs_naive": vs_naive, "vs_floor": 0.3, "added_p99_ms": 10.0}

    results = {"workloads": {"world-logs": workload(True, 62.6), "world-rag-docs": workload(False, 62.6),
                             "plain": workload(True, 300.0)}, "peak_rss_mib": 1000}
    met = {t["target"]: t["met"] for t in targets(results)}
    assert met["world-logs spans/s vs naive (request set WRAPPED: not valid)"] is False
    assert met["world-rag-docs spans/s vs naive"] is True
    assert met["plain spans/s vs transport floor"] is True


def test_no_genai_set_wraps_at_the_rates_seen_here():
    """Each load generator's set lasts a default phase at its workload's ceiling rate, and the
    ceilings are above the rates of the full runs (world-logs ~34 requests/s per generator
    when it wrapped at 400 requests)."""
    from benchmarks.throughput.__main__ import _requests_needed, parse_args

    args = parse_args([])
    assert _requests_needed("world-logs", args) >= 34 * args.duration
    for name in ("genai-chat", "world-rag-concat", "world-rag-docs", "world-multi-turn", "world-mixed"):
        assert _requests_needed(name, args) >= 16 * args.duration, name
