"""Re-aggregation of metric data points whose attributes became equal.

Dropping or redacting an identifier label (`enduser.id`) makes the points of
different users share one attribute set. Forwarding them as they are would
give a backend duplicate series at the same timestamp; instead points of one
metric with equal attributes and equal `time_unix_nano` are merged the way an
SDK would have aggregated them without that label: sums added, gauges keep the
last value, histograms added bucket-wise (explicit bounds must match,
exponential ones are brought to the coarser scale), summaries add count and
sum and lose their quantiles (quantiles cannot be merged). Points that cannot
be merged (histograms with different bounds) are kept apart.

The cost of a merge is bounded by the buckets the points carry, never by the
distance between their offsets: a merged exponential histogram that would
span more than `max(MAX_BUCKETS, buckets present)` indexes is downscaled, as
an SDK does when its buckets exceed `max_size`, and points that would need a
scale below the spec's minimum (offsets absurdly far apart) are kept apart.
"""

from __future__ import annotations

from scrubber.pdata import resource_groups, scope_groups


def merge_points(request) -> None:
    for group in resource_groups(request):
        for scope_group in scope_groups(group):
            for metric in scope_group.metrics:
                kind = metric.WhichOneof("data")
                if kind:
                    _merge_metric(kind, getattr(metric, kind).data_points)


def _attributes_key(point) -> tuple:
    return tuple(sorted((kv.key, kv.value.SerializeToString(deterministic=True)) for kv in point.attributes))


def _merge_metric(kind: str, points) -> None:
    groups: dict[tuple, list] = {}
    for point in points:
        groups.setdefault((_attributes_key(point), point.time_unix_nano), []).append(point)
    if len(groups) == len(points):
        return
    merged = []
    for members in groups.values():
        kept = [_copy(members[0])]
        for point in members[1:]:
            if not _MERGERS[kind](kept[-1], point):
                kept.append(_copy(point))
        merged.extend(kept)
    del points[:]
    points.extend(merged)


def _copy(point):
    copy = type(point)()
    copy.CopyFrom(point)
    return copy


def _common(into, point) -> None:
    if point.start_time_unix_nano and (not into.start_time_unix_nano or point.start_time_unix_nano < into.start_time_unix_nano):
        into.start_time_unix_nano = point.start_time_unix_nano
    if hasattr(into, "exemplars"):  # summaries have none
        into.exemplars.extend(point.exemplars)
    into.flags |= point.flags


def _merge_number_sum(into, point) -> bool:
    a, b = into.WhichOneof("value"), point.WhichOneof("value")
    if a == b == "as_int":
        into.as_int += point.as_int
    else:
        into.as_double = float(getattr(into, a or "as_double")) + float(getattr(point, b or "as_double"))
    _common(into, point)
    return True


def _merge_gauge(into, point) -> bool:
    """Same timestamp: the later point in the request is the last value."""
    exemplars = list(into.exemplars) + list(point.exemplars)
    start = into.start_time_unix_nano
    into.CopyFrom(point)
    into.start_time_unix_nano = start or point.start_time_unix_nano
    del into.exemplars[:]
    into.exemplars.extend(exemplars)
    return True


def _min_max_sum(into, point) -> None:
    if point.HasField("sum"):
        into.sum = (into.sum if into.HasField("sum") else 0.0) + point.sum
    if point.HasField("min"):
        into.min = min(into.min, point.min) if into.HasField("min") else point.min
    if point.HasField("max"):
        into.max = max(into.max, point.max) if into.HasField("max") else point.max
    into.count += point.count


def _merge_histogram(into, point) -> bool:
    if list(into.explicit_bounds) != list(point.explicit_bounds) or len(into.bucket_counts) != len(point.bucket_counts):
        return False
    for i, count in enumerate(point.bucket_counts):
        into.bucket_counts[i] += count
    _min_max_sum(into, point)
    _common(into, point)
    return True


def _buckets(b, shift: int) -> dict[int, int]:
    counts: dict[int, int] = {}
    for i, count in enumerate(b.bucket_counts):
        index = (b.offset + i) >> shift
        counts[index] = counts.get(index, 0) + count
    return counts


#: the SDKs' default `max_size` of an exponential histogram
MAX_BUCKETS = 160
#: the smallest scale the data model defines; needing less means absurd offsets
MIN_SCALE = -10


def _set_buckets(b, counts: dict[int, int]) -> None:
    del b.bucket_counts[:]
    if not counts:
        b.offset = 0
        return
    low, high = min(counts), max(counts)
    b.offset = low
    b.bucket_counts.extend(counts.get(i, 0) for i in range(low, high + 1))


def _span(counts: dict[int, int]) -> int:
    return max(counts) - min(counts) + 1 if counts else 0


def _downscale(counts: dict[int, int], shift: int) -> dict[int, int]:
    out: dict[int, int] = {}
    for index, count in counts.items():
        out[index >> shift] = out.get(index >> shift, 0) + count
    return out


def _merged_sides(into, point, scale: int) -> dict[str, dict[int, int]]:
    sides = {}
    for side in ("positive", "negative"):
        counts = _buckets(getattr(into, side), into.scale - scale)
        for index, count in _buckets(getattr(point, side), point.scale - scale).items():
            counts[index] = counts.get(index, 0) + count
        sides[side] = counts
    return sides


def _merge_exponential(into, point) -> bool:
    scale = min(into.scale, point.scale)
    if scale < MIN_SCALE:
        return False
    present = sum(len(getattr(p, side).bucket_counts) for p in (into, point) for side in ("positive", "negative"))
    limit = max(MAX_BUCKETS, present)
    sides = _merged_sides(into, point, scale)
    while any(_span(counts) > limit for counts in sides.values()):
        if scale - 1 < MIN_SCALE:
            return False  # kept apart: each point stays as small as it came
        scale -= 1
        sides = {side: _downscale(counts, 1) for side, counts in sides.items()}
    for side, counts in sides.items():
        _set_buckets(getattr(into, side), counts)
    into.scale = scale
    into.zero_count += point.zero_count
    _min_max_sum(into, point)
    _common(into, point)
    return True


def _merge_summary(into, point) -> bool:
    into.count += point.count
    into.sum += point.sum
    del into.quantile_values[:]
    _common(into, point)
    return True


_MERGERS = {
    "sum": _merge_number_sum,
    "gauge": _merge_gauge,
    "histogram": _merge_histogram,
    "exponential_histogram": _merge_exponential,
    "summary": _merge_summary,
}
