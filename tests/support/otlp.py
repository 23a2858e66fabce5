"""OTLP helpers for tests: flatten requests into comparable items, build SDK clients."""

from __future__ import annotations

from collections import Counter

from scrubber.pdata import Request, resource_groups, scope_groups


def flatten(requests: list[Request]) -> Counter:
    """A multiset of (resource, scope, item) serialized triples: equal iff the same items
    arrived under the same resources and scopes, however they were batched."""
    result: Counter = Counter()
    for request in requests:
        for group in resource_groups(request):
            resource = group.resource.SerializeToString(deterministic=True)
            for scope_group in scope_groups(group):
                scope = scope_group.scope.SerializeToString(deterministic=True)
                for item in _items(scope_group):
                    result[(resource, scope, item.SerializeToString(deterministic=True))] += 1
    return result


def _items(scope_group):
    if hasattr(scope_group, "spans"):
        return list(scope_group.spans)
    if hasattr(scope_group, "log_records"):
        return list(scope_group.log_records)
    return list(scope_group.metrics)  # whole metrics: points stay with their metric
