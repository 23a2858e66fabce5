"""The aggregates on a Prometheus scrape endpoint, from the same store.

A custom collector on the connector's own `CollectorRegistry` (never the
process-wide default, never scrubber's own telemetry registry) renders the
cumulative state at scrape time. Names follow the OTel -> Prometheus rules in
short: dots become underscores, `ms` histograms get `_milliseconds`, counters
`_total`; resource and data point attributes both become labels.
"""

from __future__ import annotations

import re
from typing import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric

from scrubber.connectors.aggregates.store import MetricDef, MetricKind, Store
from scrubber.service.httpserver import LocalHTTPServer

_INVALID = re.compile(r"[^a-zA-Z0-9_]")
_UNITS = {"ms": "milliseconds", "s": "seconds", "By": "bytes"}


def prom_name(definition: MetricDef) -> str:
    name = _INVALID.sub("_", definition.name)
    unit = _UNITS.get(definition.unit)
    if unit and not name.endswith(unit):
        name = f"{name}_{unit}"
    return name


def _label(key: str) -> str:
    label = _INVALID.sub("_", key)
    return f"_{label}" if label[:1].isdigit() else label


def _labels(resource_attrs, point_attrs) -> dict[str, str]:
    labels = {_label(k): _text(v) for k, v in resource_attrs}
    labels.update({_label(k): _text(v) for k, v in point_attrs})
    return labels


def _text(value: object) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class StoreCollector:
    def __init__(self, store: Store, refresh: Callable[[], None] | None = None,
                 skip: Callable[[MetricDef], bool] | None = None):
        self.store = store
        self.refresh = refresh
        self.skip = skip

    def collect(self):
        if self.refresh is not None:
            self.refresh()
        families: dict[MetricDef, Metric] = {}
        for definition, (resource_attrs, point_attrs), point in list(self.store.cumulative()):
            if self.skip is not None and self.skip(definition):
                continue
            family = families.get(definition)
            if family is None:
                family = families[definition] = Metric(prom_name(definition), definition.description or definition.name,
                                                       _prom_type(definition))
            labels = _labels(resource_attrs, point_attrs)
            if definition.kind == MetricKind.HISTOGRAM:
                _histogram_samples(family, definition, labels, point)
            elif family.type == "counter":
                family.add_sample(family.name + "_total", labels, float(point.value))
            else:
                family.add_sample(family.name, labels, float(point.value))
        yield from _merge_same_names(families.values())


def _prom_type(definition: MetricDef) -> str:
    if definition.kind == MetricKind.HISTOGRAM:
        return "histogram"
    return "counter" if definition.kind == MetricKind.SUM and definition.monotonic else "gauge"


def _histogram_samples(family: Metric, definition: MetricDef, labels: dict, point) -> None:
    running = 0
    for bound, count in zip((*definition.bounds, float("inf")), point.buckets):
        running += count
        le = "+Inf" if bound == float("inf") else repr(float(bound))
        family.add_sample(family.name + "_bucket", {**labels, "le": le}, float(running))
    family.add_sample(family.name + "_count", labels, float(point.count))
    family.add_sample(family.name + "_sum", labels, float(point.total))


def _merge_same_names(families):
    """Two defs can share a Prometheus name (same metric from two scopes): one family each name."""
    by_name: dict[str, Metric] = {}
    for family in families:
        first = by_name.setdefault(family.name, family)
        if first is not family and first.type == family.type:
            first.samples.extend(family.samples)
    return by_name.values()


def make_registry(store: Store, refresh: Callable[[], None] | None = None,
                  skip: Callable[[MetricDef], bool] | None = None) -> CollectorRegistry:
    """`refresh` runs before each scrape (it copies scrubber's own counters into the store);
    definitions for which `skip` is true are not served."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store, refresh, skip))
    return registry


def scrape_server(registry: CollectorRegistry, endpoint: str) -> LocalHTTPServer:
    async def handle(_request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/metrics", handle)
    return LocalHTTPServer(app, endpoint)
