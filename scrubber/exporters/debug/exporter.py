"""The `debug` exporter: one log line per batch with counts, never the payload.

The Collector's `detailed` verbosity prints whole payloads; the data going through
scrubber is exactly what must not end up in logs, so here `detailed` adds only the
attribute keys seen (keys name fields, e.g. `user.email`; values, span names and
bodies are never logged).
"""

from __future__ import annotations

import time

from scrubber.component import LifecycleMixin, Settings
from scrubber.exporters.debug.config import DebugExporterConfig
from scrubber.exporters.exporterhelper.metrics import ExporterMetrics
from scrubber.pdata import Request, Signal, item_count, metric_data_points, resource_groups, scope_groups


def summary(signal: Signal, request: Request, verbosity: str) -> str:
    groups = resource_groups(request)
    count = item_count(request)
    line = f"{signal.value}: resources={len(groups)} {signal.item_name}={count}"
    if verbosity in ("normal", "detailed"):
        scopes = sum(len(scope_groups(group)) for group in groups)
        per_resource = [sum(_items_in_scope(scope) for scope in scope_groups(group)) for group in groups]
        line += f" scopes={scopes} {signal.item_name}_per_resource={per_resource}"
    if verbosity == "detailed":
        line += f" attribute_keys={sorted(attribute_keys(request))}"
    return line


def attribute_keys(request: Request) -> set[str]:
    """Every attribute key on resources, scopes and items (keys only, never values)."""
    keys: set[str] = set()
    for group in resource_groups(request):
        keys.update(kv.key for kv in group.resource.attributes)
        for scope in scope_groups(group):
            keys.update(kv.key for kv in scope.scope.attributes)
            for item in _items(scope):
                keys.update(kv.key for kv in item.attributes)
    return keys


def _items(scope):
    if hasattr(scope, "spans"):
        return list(scope.spans)
    if hasattr(scope, "log_records"):
        return list(scope.log_records)
    return [point for metric in scope.metrics for point in metric_data_points(metric)]


def _items_in_scope(scope) -> int:
    if hasattr(scope, "spans"):
        return len(scope.spans)
    if hasattr(scope, "log_records"):
        return len(scope.log_records)
    return sum(len(metric_data_points(metric)) for metric in scope.metrics)


class _Sampler:
    """The Collector's log sampling: the first `initial` per second, then every `thereafter`-th."""

    def __init__(self, initial: int, thereafter: int):
        self._initial, self._thereafter = initial, thereafter
        self._second, self._seen = 0, 0

    def allow(self) -> bool:
        second = int(time.monotonic())
        if second != self._second:
            self._second, self._seen = second, 0
        self._seen += 1
        return self._seen <= self._initial or (self._seen - self._initial) % self._thereafter == 0


class DebugExporter(LifecycleMixin):
    mutates_data = False

    def __init__(self, settings: Settings, config: DebugExporterConfig):
        self.settings = settings
        self.config = config
        self.metrics = ExporterMetrics(settings.telemetry, str(settings.id))
        self._sampler = _Sampler(config.sampling_initial, config.sampling_thereafter)

    async def consume(self, signal: Signal, request: Request) -> None:
        if self._sampler.allow():
            self.settings.logger.info("exporter %s: %s", self.settings.id, summary(signal, request, self.config.verbosity))
        self.metrics.sent(signal, item_count(request))
