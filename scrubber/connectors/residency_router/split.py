"""Splitting one request item by item into one request per jurisdiction.

Resource and scope (with their schema URLs) are copied into every part that
holds one of their items, so each part is a well-formed export request; a
metric's descriptor (name, unit, type, temporality) is copied with the points
that go with it. The common case, every item of one jurisdiction, returns the
request itself with no copy.
"""

from __future__ import annotations

from typing import Any

from scrubber.pdata import Request, Signal, metric_data_points, resource_groups, scope_groups, scope_items
from scrubber.residency.model import ATTRIBUTE
from scrubber.residency.resolve import DECLARING_KEY, last_attributes, read, resource_stamp, stamped


def _scope_items(scope_group):
    """(metric or None, item) for every item of a scope group."""
    if hasattr(scope_group, "spans"):
        return [(None, span) for span in scope_group.spans]
    if hasattr(scope_group, "log_records"):
        return [(None, record) for record in scope_group.log_records]
    return [(metric, point) for metric in scope_group.metrics for point in metric_data_points(metric)]


def jurisdictions(request: Request) -> list[list[list[tuple[object, object, str]]]]:
    """Per resource group, per scope group: (metric, item, jurisdiction) in order."""
    result = []
    for resource_group in resource_groups(request):
        fallback = resource_stamp(resource_group.resource)
        result.append([[(metric, item, stamped(item, fallback)) for metric, item in _scope_items(scope_group)]
                       for scope_group in scope_groups(resource_group)])
    return result


class _Part:
    """One jurisdiction's request, built lazily group by group."""

    def __init__(self, signal: Signal):
        self.request = signal.new_request()
        self._resource: Any = None
        self._scope: Any = None
        self._metric: Any = None
        self._keys: tuple = ()

    def add(self, resource_group, scope_group, metric, item, keys: tuple) -> None:
        if self._keys[:1] != keys[:1]:
            self._resource = resource_groups(self.request).add()
            self._resource.resource.CopyFrom(resource_group.resource)
            self._resource.schema_url = resource_group.schema_url
        if self._keys[:2] != keys[:2]:
            self._scope = scope_groups(self._resource).add()
            self._scope.scope.CopyFrom(scope_group.scope)
            self._scope.schema_url = scope_group.schema_url
        if metric is None:
            field = "spans" if hasattr(self._scope, "spans") else "log_records"
            getattr(self._scope, field).add().CopyFrom(item)
        else:
            if self._keys[:3] != keys[:3]:
                self._metric = self._scope.metrics.add()
                self._metric.CopyFrom(metric)
                getattr(self._metric, metric.WhichOneof("data")).ClearField("data_points")
            metric_data_points(self._metric).add().CopyFrom(item)
        self._keys = keys


def split(signal: Signal, request: Request) -> dict[str, Request]:
    """{jurisdiction: request holding exactly its items}, in first-seen order."""
    return {j: part for j, (part, _count) in split_counted(signal, request).items()}


def _one_jurisdiction(request: Request) -> tuple[str, int] | None:
    """(jurisdiction, item count) when every item has the same one, else None: one read per
    item and nothing built, the common case's whole cost (`split_counted`)."""
    only, count = None, 0
    for resource_group in resource_groups(request):
        fallback = resource_stamp(resource_group.resource)
        for scope_group in scope_groups(resource_group):
            group_items = scope_items(scope_group)
            if not hasattr(group_items, "__len__"):
                group_items = list(group_items)  # data points of every metric
            found = _stamped_last(scope_group, group_items)
            if found is not None:  # never empty
                only = found[0] if only is None else only
                if found.count(only) != len(found):
                    return None
                count += len(found)
                continue
            for item in group_items:
                j = stamped(item, fallback)
                if only is None:
                    only = j
                elif j != only:
                    return None
                count += 1
    return (only, count) if only is not None else ("", 0)


def _stamped_last(scope_group, group_items: list) -> list[str] | None:
    """Every item's jurisdiction when each carries exactly one `residency.jurisdiction`, as
    its last attribute (what the residency processor leaves), else None (read them one by one).
    The group's bytes hold the key as often as it has items, and every item's last attribute
    has it, so no item has another one before it: the last is the one `stamped` would find,
    and nothing but that one key is read per item."""
    if not group_items or scope_group.SerializeToString().count(DECLARING_KEY) != len(group_items):
        return None
    lasts = last_attributes(group_items)
    if lasts is None:
        return None
    first = lasts[0]
    if first.key == ATTRIBUTE and lasts.count(first) == len(lasts):  # the comparisons in C
        return [read(first.value)] * len(lasts)
    if any(kv.key != ATTRIBUTE for kv in lasts):
        return None
    return [read(kv.value) for kv in lasts]


def split_counted(signal: Signal, request: Request) -> dict[str, tuple[Request, int]]:
    """`split`, with each part's item count (the router's counters), in first-seen order."""
    one = _one_jurisdiction(request)
    if one is not None:
        return {one[0]: (request, one[1])} if one[1] else {}
    return split_items(signal, request)


def split_items(signal: Signal, request: Request) -> dict[str, tuple[Request, int]]:
    """`split_counted` item by item: what it does when the request holds several jurisdictions."""
    layout = jurisdictions(request)
    counts: dict[str, int] = {}
    for groups in layout:
        for scope in groups:
            for _, _, j in scope:
                counts[j] = counts.get(j, 0) + 1
    parts: dict[str, _Part] = {}
    for r, resource_group in enumerate(resource_groups(request)):
        for s, scope_group in enumerate(scope_groups(resource_group)):
            for metric, item, j in layout[r][s]:
                part = parts.get(j) or parts.setdefault(j, _Part(signal))
                part.add(resource_group, scope_group, metric, item, (r, s, id(metric)))
    return {j: (part.request, counts[j]) for j, part in parts.items()}
