"""The aggregation state: metrics, their series, the cardinality limit, temporality.

The store always holds cumulative totals. A cumulative export sends them as
they are; a delta export sends the difference to what the previous export
sent (series that did not change are left out), so the Prometheus endpoint,
which needs cumulative values, reads the very same state. As in the OTel SDK
(metrics spec, "cardinality limits"), a metric holds at most `limit` series;
from then on every new attribute set lands in the one overflow series whose
only attribute is `otel.metric.overflow=true`, so totals still add up.
"""

from __future__ import annotations

import copy
from bisect import bisect_left
from dataclasses import dataclass, field
from enum import StrEnum
from functools import reduce
from itertools import repeat
from operator import add
from typing import Iterator

Attrs = tuple[tuple[str, object], ...]
#: (resource attributes, data point attributes), both sorted by key
SeriesKey = tuple[Attrs, Attrs]

OVERFLOW_ATTRIBUTE = "otel.metric.overflow"
OVERFLOW_KEY: SeriesKey = ((), ((OVERFLOW_ATTRIBUTE, True),))
SCOPE = ("scrubber.connectors.aggregates", "0.1.0")


class MetricKind(StrEnum):
    SUM = "sum"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


@dataclass(frozen=True)
class MetricDef:
    """A metric's identity and shape; two inputs with the same def share series."""

    name: str
    kind: MetricKind
    unit: str = ""
    description: str = ""
    monotonic: bool = True
    bounds: tuple[float, ...] = ()
    is_int: bool = False
    scope: tuple[str, str] = SCOPE


@dataclass
class Point:
    start_ns: int
    time_ns: int
    value: float = 0
    count: int = 0
    total: float = 0.0
    buckets: list[int] = field(default_factory=list)

    def minus(self, before: "Point | None") -> "Point":
        """The increment since `before` (None: everything)."""
        if before is None:
            return copy.deepcopy(self)
        return Point(before.time_ns, self.time_ns, self.value - before.value, self.count - before.count,
                     self.total - before.total, [a - b for a, b in zip(self.buckets, before.buckets)])

    def unchanged_since(self, before: "Point | None") -> bool:
        return before is not None and before.time_ns == self.time_ns


class Metric:
    def __init__(self, definition: MetricDef, limit: int):
        self.definition = definition
        self.limit = limit
        self.series: dict[SeriesKey, Point] = {}
        self.exported: dict[SeriesKey, Point] = {}

    def point(self, key: SeriesKey, now: int) -> tuple[Point, bool]:
        """The series of `key`, made if new; (point, overflowed)."""
        point = self.series.get(key)
        if point is not None:
            return point, False
        overflowed = len(self.series) >= self.limit - 1 and key != OVERFLOW_KEY
        if overflowed:
            key = OVERFLOW_KEY
            point = self.series.get(key)
            if point is not None:
                return point, True
        point = Point(now, now, buckets=[0] * (len(self.definition.bounds) + 1))
        self.series[key] = point
        return point, overflowed


class Store:
    """Every metric the connector emits, by definition."""

    def __init__(self, limit: int):
        self.limit = limit
        self.metrics: dict[MetricDef, Metric] = {}
        self.overflowed = 0  # measurements folded into an overflow series
        self.last_export_ns = 0

    def _point(self, definition: MetricDef, key: SeriesKey, now: int) -> Point:
        metric = self.metrics.get(definition)
        if metric is None:
            metric = self.metrics[definition] = Metric(definition, self.limit)
        point, overflowed = metric.point(key, now)
        self.overflowed += overflowed
        point.time_ns = now
        return point

    def series(self, definition: MetricDef, key: SeriesKey, now: int) -> tuple[Point, bool]:
        """The point `key` measures into (made if new) and whether it is the overflow one, for a
        caller that keeps it to measure the same series again (`add_to`, `observe_in`): what
        `_point` answers for `key` from now on, since series are never removed."""
        metric = self.metrics.get(definition)
        if metric is None:
            metric = self.metrics[definition] = Metric(definition, self.limit)
        return metric.point(key, now)

    def add_to(self, series: tuple[Point, bool], value: float, now: int, measurements: int = 1) -> None:
        """`add`, on a series from `series`; `value` may sum several `measurements` (integers:
        their sum is the same in any order)."""
        point, overflowed = series
        self.overflowed += overflowed * measurements
        point.time_ns = now
        point.value += value

    def observe_in(self, bounds: tuple[float, ...], series: tuple[Point, bool], value: float, now: int) -> None:
        """`observe`, on a series from `series`."""
        point, overflowed = series
        self.overflowed += overflowed
        point.time_ns = now
        point.count += 1
        point.total += value
        point.buckets[bisect_left(bounds, value)] += 1

    def observe_all_in(self, bounds: tuple[float, ...], series: tuple[Point, bool], values: list[float],
                       now: int) -> None:
        """`observe_in` for each of `values`, in order: the same count, buckets and total
        (the total still adds them one by one, in order: float addition is not associative,
        and `sum` rounds differently from Python 3.12 on)."""
        point, overflowed = series
        self.overflowed += overflowed * len(values)
        point.time_ns = now
        point.count += len(values)
        point.total = reduce(add, values, point.total)
        buckets = point.buckets
        for index in map(bisect_left, repeat(bounds), values):  # cheaper than a Counter per plan
            buckets[index] += 1

    def add(self, definition: MetricDef, key: SeriesKey, value: float, now: int) -> None:
        """Sum: add an increment."""
        self._point(definition, key, now).value += value

    def set(self, definition: MetricDef, key: SeriesKey, value: float, now: int) -> None:
        """Gauge (or an externally kept cumulative counter): the last value wins."""
        self._point(definition, key, now).value = value

    def observe(self, definition: MetricDef, key: SeriesKey, value: float, now: int) -> None:
        """Histogram: one measurement."""
        point = self._point(definition, key, now)
        point.count += 1
        point.total += value
        point.buckets[bisect_left(definition.bounds, value)] += 1

    def merge_histogram(self, definition: MetricDef, key: SeriesKey, count: int, total: float,
                        buckets: list[int], now: int) -> None:
        """Histogram: add a pre-aggregated increment bucket-wise (same bounds)."""
        point = self._point(definition, key, now)
        point.count += count
        point.total += total
        for i, n in enumerate(buckets[: len(point.buckets)]):
            point.buckets[i] += n

    def cumulative(self) -> Iterator[tuple[MetricDef, SeriesKey, Point]]:
        for definition, metric in self.metrics.items():
            for key, point in metric.series.items():
                yield definition, key, point

    def collect(self, temporality: str, now: int) -> list[tuple[MetricDef, SeriesKey, Point]]:
        """What one export sends; a delta export also remembers what it sent."""
        if temporality == "cumulative":
            result = [(d, k, copy.deepcopy(p)) for d, k, p in self.cumulative()]
        else:
            result = list(self._deltas())
        self.last_export_ns = now
        return result

    def _deltas(self) -> Iterator[tuple[MetricDef, SeriesKey, Point]]:
        for definition, metric in self.metrics.items():
            for key, point in metric.series.items():
                before = metric.exported.get(key)
                if point.unchanged_since(before):
                    continue
                metric.exported[key] = copy.deepcopy(point)
                if definition.kind == MetricKind.GAUGE:
                    yield definition, key, copy.deepcopy(point)
                else:
                    yield definition, key, point.minus(before)
