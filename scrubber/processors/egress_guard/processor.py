"""The `egress_guard` processor: the last check before a global exporter.

Placed last in every pipeline that feeds a global exporter. It does not
scrub: whatever still looks like personal data, or sits under a key the
allow-list does not name, is dropped item by item (the rest of the batch
goes on), counted in `egress_guard_dropped_items{signal, reason,
entity_type}` and logged with the key and entity type only. The app did
nothing wrong, so nothing is reported upstream (no PartialSuccess): the
regional copy of the same data was accepted.

Fails closed: if the check itself fails, the whole batch is dropped and
counted (`reason="guard_error"`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from scrubber.component import Settings
from scrubber.consumer import Consumer
from scrubber.detection.pool import acquire_detection
from scrubber.pdata import Request, Signal, item_count
from scrubber.processorhelper import ProcessorHelper
from scrubber.processors.egress_guard.config import EgressGuardConfig
from scrubber.processors.egress_guard.guard import GUARD_ERROR, NO_ENTITY, SIGNAL_NOT_ALLOWED, Guard, Violation, remove_items

DROPPED = "egress_guard_dropped_items"


class EgressGuard:
    def __init__(self, settings: Settings, config: EgressGuardConfig):
        self.settings = settings
        self.config = config
        self.log = settings.logger
        self.guard = Guard(config)
        self.service: Any = None  # the pooled detection service, with `pool:` / `worker_pool:` (set at start)
        self.dropped = settings.telemetry.counter(
            DROPPED, "Items the egress guard kept from leaving for a global exporter.", ("signal", "reason", "entity_type"))

    async def start(self, host=None) -> None:
        """With `pool:` or `worker_pool:`, detection runs on worker processes (the one rule of
        `acquire_detection`); else the in-process detector loads its model now, off the event
        loop (not on the first batch)."""
        if (self.config.pool is not None or self.config.worker_pool is not None) and host is not None:
            self.service = acquire_detection(host, self.settings, self.config, self.config.detection)
            await self.service.start()
            return
        await asyncio.to_thread(self.guard.detector.detect, ["warm up the guard"], [True])

    async def _inspect(self, signal: Signal, request: Request):
        if self.service is None:
            return await asyncio.to_thread(self.guard.inspect, signal, request)
        scan, chains = self.guard.collect(signal, request)
        texts = self.guard.texts(scan)
        findings = await asyncio.wait_for(self.service.detect(texts, [True] * len(texts)),
                                          self.config.detection_timeout) if texts else []
        return self.guard.judge(scan, chains, findings)

    async def process(self, signal: Signal, request: Request) -> Request | None:
        if self.config.mode == "aggregates" and signal != Signal.METRICS:
            self._report(signal, Counter({Violation(SIGNAL_NOT_ALLOWED, NO_ENTITY, str(signal)): item_count(request)}))
            return None
        try:
            verdicts = await self._inspect(signal, request)
        except Exception as exc:  # noqa: BLE001 - fail closed (also a saturated pool or a timeout)
            self.log.error("egress_guard %s: check failed (%s); dropping the batch", self.settings.id, type(exc).__name__)
            self._report(signal, Counter({Violation(GUARD_ERROR, NO_ENTITY, "batch"): item_count(request)}))
            return None
        found = Counter(v for v in verdicts if v is not None)
        if not found:
            return request
        remove_items(signal, request, [v is None for v in verdicts])
        self._report(signal, found)
        return request if item_count(request) else None

    def _report(self, signal: Signal, found: Counter) -> None:
        """Count every dropped item; one log line per (reason, where, entity type)."""
        for violation, count in found.items():
            self.dropped.labels(str(signal), violation.reason, violation.entity_type).inc(count)
            # `where` is a catalog / allow-list pattern, a fixed label or a key's shape (guard.py):
            # never a key verbatim that no table names, never a value
            self.log.warning("egress_guard %s: dropped %d %s: %s at %s (%s)", self.settings.id, count,
                             signal.item_name, violation.reason, violation.where, violation.entity_type)


def create_processor(settings: Settings, config: EgressGuardConfig, signal: Signal,
                     next_consumer: Consumer) -> ProcessorHelper:
    guard = EgressGuard(settings, config)
    return ProcessorHelper(settings, signal, next_consumer, guard.process, mutates_data=True, start=guard.start)
