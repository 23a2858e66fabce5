"""The federated benchmark's load: every resource carries the jurisdiction the shipped config routes by."""

from __future__ import annotations

from benchmarks.throughput.loadgen import stamp
from benchmarks.throughput.workloads import generate
from scrubber.pdata import Signal, resource_groups


def test_stamp_sets_the_jurisdiction_on_every_resource_and_keeps_the_items():
    for workload in ("plain", "world-logs"):
        batch = generate(workload, 1, 5, seed=1)[0]
        stamped = stamp(batch, "in")
        signal = Signal(stamped.signal)
        before, after = signal.new_request(), signal.new_request()
        before.ParseFromString(batch.payload)
        after.ParseFromString(stamped.payload)
        groups = list(resource_groups(after))
        assert groups and all(
            any(kv.key == "residency.jurisdiction" and kv.value.string_value == "in" for kv in g.resource.attributes)
            for g in groups)
        assert stamped.spans == batch.spans
        for group in resource_groups(after):  # nothing else changed
            del group.resource.attributes[-1]
        assert after == before
