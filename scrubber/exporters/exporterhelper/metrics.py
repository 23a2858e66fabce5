"""The exporter's own counters, with the Collector's names.

`exporter_sent_<items>`, `exporter_send_failed_<items>` (label `reason`),
`exporter_enqueue_failed_<items>`, and the gauges `exporter_queue_size` /
`exporter_queue_capacity`, the histogram `exporter_queue_batch_send_size`
(items per merged batch, with `sending_queue.batch`); every metric carries the label `exporter` (the
component id). `<items>` is `spans`, `metric_points` or `log_records`.
"""

from __future__ import annotations

from scrubber.pdata import Signal
from scrubber.service.telemetry import SIZE_BUCKETS, Telemetry

#: why items were not delivered (the `reason` label of exporter_send_failed_*)
PERMANENT = "permanent"
RETRIES_EXHAUSTED = "retries_exhausted"
SHUTDOWN = "shutdown"
QUEUE_FULL = "queue_full"
PARTIAL_SUCCESS = "partial_success"


class ExporterMetrics:
    def __init__(self, telemetry: Telemetry, exporter_id: str):
        self._telemetry = telemetry
        self._id = exporter_id
        labels = ("exporter",)
        self._queue_size = telemetry.gauge("exporter_queue_size", "Requests waiting in the sending queue.", labels)
        self._queue_capacity = telemetry.gauge("exporter_queue_capacity", "Capacity of the sending queue.", labels)
        self._batch_size = telemetry.histogram("exporter_queue_batch_send_size", "Items in each batch the sending "
                                               "queue's batcher sent (sending_queue.batch).", labels, buckets=SIZE_BUCKETS)
        # Declared up front so that every name is on the endpoint before the first send or
        # failure (the Collector shows them from the start; dashboards and alerts expect them).
        for signal in Signal:
            self._counter("exporter_sent", signal, "successfully sent to the destination")
            self._failed_counter(signal)
            self._counter("exporter_enqueue_failed", signal, "refused because the sending queue was full")

    def sent(self, signal: Signal, count: int) -> None:
        self._counter("exporter_sent", signal, "successfully sent to the destination").labels(self._id).inc(count)

    def failed(self, signal: Signal, count: int, reason: str) -> None:
        self._failed_counter(signal).labels(self._id, reason).inc(count)

    def _failed_counter(self, signal: Signal):
        return self._telemetry.counter(
            f"exporter_send_failed_{signal.item_name}", f"{signal.item_name} that could not be sent, by reason", ("exporter", "reason")
        )

    def enqueue_failed(self, signal: Signal, count: int) -> None:
        self._counter("exporter_enqueue_failed", signal, "refused because the sending queue was full").labels(self._id).inc(count)

    def queue_size(self, size: int) -> None:
        self._queue_size.labels(self._id).set(size)

    def batch_sent(self, items: int) -> None:
        self._batch_size.labels(self._id).observe(items)

    def queue_capacity(self, capacity: int) -> None:
        self._queue_capacity.labels(self._id).set(capacity)

    def _counter(self, name: str, signal: Signal, what: str):
        return self._telemetry.counter(f"{name}_{signal.item_name}", f"{signal.item_name} {what}", ("exporter",))
