"""The `debug` exporter: one log line per batch with counts, never the payload.

Unlike the Collector's debug exporter there is no `detailed` verbosity: the
data going through scrubber is exactly what must not end up in logs. Only
numbers are logged (no names, no attribute keys or values).
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
    if verbosity == "normal":
        scopes = sum(len(scope_groups(group)) for group in groups)
        per_resource = [sum(_items_in_scope(scope) for scope in scope_groups(group)) for group in groups]
        line += f" scopes={scopes} {signal.item_name}_per_resource={per_resource}"
    return line


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
