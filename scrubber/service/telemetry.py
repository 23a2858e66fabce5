"""scrubber's own metrics, exposed in Prometheus format.

Names follow the Collector's (`otelcol_receiver_accepted_spans` becomes
`scrubber_receiver_accepted_spans`; prometheus-client adds `_total` to
counters). Each service has its own `CollectorRegistry` so that several
services in one process (tests) never share counts. Metrics are created on
first use and cached by name, so components need no registration step.
"""

from __future__ import annotations

import threading
from typing import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

PREFIX = "scrubber_"


class Telemetry:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self._metrics: dict[str, object] = {}
        self._lock = threading.Lock()

    def _get(self, cls, name: str, documentation: str, labelnames: Sequence[str], **kwargs):
        full = name if name.startswith(PREFIX) else PREFIX + name
        with self._lock:
            metric = self._metrics.get(full)
            if metric is None:
                metric = cls(full, documentation, labelnames=tuple(labelnames), registry=self.registry, **kwargs)
                self._metrics[full] = metric
            elif not isinstance(metric, cls) or tuple(metric._labelnames) != tuple(labelnames):
                raise ValueError(f"metric {full} already exists with another type or labels")
            return metric

    def counter(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> Counter:
        return self._get(Counter, name, documentation, labelnames)

    def gauge(self, name: str, documentation: str, labelnames: Sequence[str] = ()) -> Gauge:
        return self._get(Gauge, name, documentation, labelnames)

    def histogram(self, name: str, documentation: str, labelnames: Sequence[str] = (), buckets=None) -> Histogram:
        kwargs = {"buckets": buckets} if buckets else {}
        return self._get(Histogram, name, documentation, labelnames, **kwargs)

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """The current value of one sample (0 if absent): for tests and the CLI."""
        full = name if name.startswith(PREFIX) else PREFIX + name
        result = self.registry.get_sample_value(full, labels or {})
        return result or 0.0

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
