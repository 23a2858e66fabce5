"""scrubber's own metrics, exposed in Prometheus format.

Names follow the Collector's (`otelcol_receiver_accepted_spans` becomes
`scrubber_receiver_accepted_spans`; prometheus-client adds `_total` to
counters). Each service has its own `CollectorRegistry` so that several
services in one process (tests) never share counts. Metrics are created on
first use and cached by name, so components need no registration step.
"""

from __future__ import annotations

import platform
import threading
import time
from typing import Sequence

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, PlatformCollector, ProcessCollector, generate_latest

PREFIX = "scrubber_"

# A `_created` series per counter doubles the series count for nothing a dashboard uses
# (the Collector has none); this is a process-wide switch of prometheus-client.
prometheus_client.disable_created_metrics()

#: the Collector's buckets for sizes in items (its batch_send_size histogram)
SIZE_BUCKETS = (10, 25, 50, 75, 100, 250, 500, 750, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000,
                10000, 20000, 30000, 50000, 100000)


class Telemetry:
    def __init__(self, registry: CollectorRegistry | None = None, resource: dict[str, str | None] | None = None):
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self._metrics: dict[str, object] = {}
        self._lock = threading.Lock()
        self._process_metrics(resource or {})

    def _process_metrics(self, resource: dict[str, str | None]) -> None:
        """The standard `process_*` / `python_info` series, uptime and build info, as the
        Collector exposes `otelcol_process_*` and its version."""
        from scrubber import __version__

        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        started = time.monotonic()
        uptime = self.gauge("process_uptime_seconds", "Seconds since the service started.")
        uptime.set_function(lambda: time.monotonic() - started)
        extra = {k.replace(".", "_"): v for k, v in resource.items() if v is not None and k.replace(".", "_").isidentifier()}
        info = self.gauge("build_info", "Build of the running scrubber (value 1).",
                          ("version", "python", *sorted(extra)))
        info.labels(version=__version__, python=platform.python_version(), **extra).set(1)

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
