"""App metrics bound for global: identifier labels removed, colliding points re-aggregated.

`app.requests{enduser.id="u-1"}` and `{enduser.id="u-2"}` become one series
once `enduser.id` is dropped; their values must then be added, not left as two
points with the same attributes. Inputs are turned into increments first, as
the Collector's cumulativetodelta processor does: a cumulative input is
compared with the last value seen for the very same input series (kept in
memory under a digest of its full identity, never emitted), so two app
instances' counters add up instead of overwriting each other. Gauges keep the
last value. Exponential histograms and summaries cannot be merged exactly
across series and are dropped (counted). Exemplars are never carried.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from typing import Mapping

from opentelemetry.proto.metrics.v1 import metrics_pb2

from scrubber.connectors.aggregates.derive import Deriver, attributes
from scrubber.connectors.aggregates.store import MetricDef, MetricKind, Store

log = logging.getLogger("scrubber.connector.aggregates")
CUMULATIVE = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE


class Passthrough:
    def __init__(self, deriver: Deriver, store: Store, max_tracked: int):
        self.deriver = deriver
        self.store = store
        self.max_tracked = max_tracked
        self.wanted = frozenset(deriver.dimensions)
        self.last: dict[bytes, tuple] = {}  # input series digest -> (start, value, count, total, buckets)
        self.dropped: Counter = Counter()  # reason -> data points

    def metric(self, metric, resource: Mapping[str, object], scope, identity: bytes, now: int) -> None:
        kind = metric.WhichOneof("data")
        if kind not in ("sum", "gauge", "histogram"):
            self.dropped[f"unsupported_{kind}"] += len(getattr(metric, kind).data_points) if kind else 0
            return
        data = getattr(metric, kind)
        for point in data.data_points:
            definition = self._definition(metric, kind, data, point, (scope.name, scope.version))
            key = self.deriver.key(attributes(point.attributes, self.wanted), resource, {})
            digest = self._digest(identity, metric.name, point.attributes)
            if kind == "gauge":
                self.store.set(definition, key, _number(point), now)
            elif kind == "sum":
                self._sum(definition, key, data, point, digest, now)
            else:
                self._histogram(definition, key, data, point, digest, now)

    def _definition(self, metric, kind, data, point, scope) -> MetricDef:
        metric_kind = MetricKind(kind)
        return MetricDef(
            metric.name, metric_kind, metric.unit, metric.description,
            monotonic=data.is_monotonic if kind == "sum" else True,
            bounds=tuple(point.explicit_bounds) if kind == "histogram" else (),
            is_int=kind != "histogram" and point.WhichOneof("value") == "as_int", scope=scope)

    @staticmethod
    def _digest(identity: bytes, name: str, point_attributes) -> bytes:
        h = hashlib.blake2b(identity, digest_size=16)
        h.update(name.encode())
        for kv in sorted(point_attributes, key=lambda kv: kv.key):
            h.update(kv.SerializeToString(deterministic=True))
        return h.digest()

    def _increment(self, digest: bytes, start: int, current: tuple, monotonic: bool = True) -> tuple | None:
        """Cumulative -> increment since the last value of the same input series."""
        before = self.last.get(digest)
        if before is None and len(self.last) >= self.max_tracked:
            self.dropped["tracking_full"] += 1
            return None
        self.last[digest] = (start, *current)
        if before is None or before[0] != start or (monotonic and current[0] < before[1]):
            return current  # first sight or a restart (new start time, or a counter went down)
        return tuple(_diff(a, b) for a, b in zip(current, before[1:]))

    def _sum(self, definition, key, data, point, digest: bytes, now: int) -> None:
        value = _number(point)
        if data.aggregation_temporality == CUMULATIVE:
            inc = self._increment(digest, point.start_time_unix_nano, (value,), data.is_monotonic)
            if inc is None:
                return
            value = inc[0]
        self.store.add(definition, key, value, now)

    def _histogram(self, definition, key, data, point, digest: bytes, now: int) -> None:
        if len(point.bucket_counts) != len(point.explicit_bounds) + 1:
            self.dropped["malformed_histogram"] += 1
            return
        current: tuple = (point.count, point.sum, list(point.bucket_counts))
        if data.aggregation_temporality == CUMULATIVE:
            increment = self._increment(digest, point.start_time_unix_nano, current)
            if increment is None:
                return
            current = increment
        self.store.merge_histogram(definition, key, current[0], current[1], list(current[2]), now)


def _number(point) -> float:
    return point.as_int if point.WhichOneof("value") == "as_int" else point.as_double


def _diff(a, b):
    if isinstance(a, list):
        return [x - y for x, y in zip(a, b)]
    return a - b


def resource_identity(resource_group, scope_group) -> bytes:
    """Digest of an input's full resource and scope: part of its series identity."""
    h = hashlib.blake2b(digest_size=16)
    h.update(resource_group.resource.SerializeToString(deterministic=True))
    h.update(scope_group.scope.SerializeToString(deterministic=True))
    return h.digest()
