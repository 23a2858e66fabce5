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


def test_federated_scope_rewrites_every_pool_user_alike_and_validates():
    """`--pii-scope` on the shipped config: every pool user gets the same pool settings (one pool),
    `auto` adds `whole_requests: without_content` to the pii processors only, and each variant loads."""
    import yaml

    from benchmarks.throughput.procs import FEDERATED, federated_scope
    from scrubber.processors.pii.config import PIIProcessorConfig

    shipped = FEDERATED.read_text()
    assert federated_scope(shipped, "shipped") == shipped
    for scope, pool, whole in (("texts", {}, None), ("requests", {"scope": "requests"}, None),
                               ("auto", {"scope": "requests"}, "without_content")):
        doc = yaml.safe_load(federated_scope(shipped, scope))
        users = {**doc["processors"], **doc["connectors"]}
        assert {name: spec.get("pool") for name, spec in users.items() if spec and "pool" in spec} == \
            {"pii/in": pool, "pii/global": pool, "aggregates": pool}
        assert {name: spec.get("whole_requests") for name, spec in doc["processors"].items() if spec} == \
            {name: (whole if name.startswith("pii") else None) for name, spec in doc["processors"].items() if spec}
        assert federated_scope(federated_scope(shipped, scope), "auto") == federated_scope(shipped, "auto")
        for name in ("pii/in", "pii/global"):
            config = PIIProcessorConfig.model_validate(doc["processors"][name])
            assert config.whole_requests == (whole or "all") and config.scope == (pool.get("scope") or "texts")
