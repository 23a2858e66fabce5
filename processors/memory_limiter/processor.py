"""The `memory_limiter` processor: refuses data while memory is above its soft limit.

Memory is the resident set of this process and its children (the detection
workers), measured every `check_interval`. Above `limit - spike` new data is
refused with a retryable error (gRPC UNAVAILABLE / HTTP 503, as the Collector
answers); the client's exporter retries later. Overload is refused, not absorbed.
"""

from __future__ import annotations

import asyncio
import gc

import psutil

from scrubber.component import Host, Settings
from scrubber.consumer import Consumer
from scrubber.errors import RetryableError
from scrubber.pdata import Request, Signal, item_count

from processors.memory_limiter.config import MemoryLimiterConfig

MIB = 1024 * 1024


def resident_bytes(process: psutil.Process) -> int:
    """RSS of a process and all its children (workers hold most detection memory)."""
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            continue
    return total


def limits(config: MemoryLimiterConfig) -> tuple[int, int]:
    """(soft, hard) limits in bytes."""
    if config.limit_mib:
        hard = config.limit_mib * MIB
        spike = (config.spike_limit_mib or config.limit_mib // 5) * MIB
    else:
        total = psutil.virtual_memory().total
        hard = total * config.limit_percentage // 100
        spike = total * (config.spike_limit_percentage or config.limit_percentage // 5) // 100
    return hard - spike, hard


class MemoryLimiter:
    mutates_data = False

    def __init__(self, settings: Settings, config: MemoryLimiterConfig, signal: Signal, next_consumer: Consumer,
                 measure=None):
        self.config = config
        self.next = next_consumer
        self.log = settings.logger
        self.soft, self.hard = limits(config)
        self._measure = measure or (lambda: resident_bytes(psutil.Process()))
        self.refusing = False
        self._task: asyncio.Task | None = None
        self._refused = settings.telemetry.counter(
            "processor_refused_items", "Items refused by a processor", ["processor", "pipeline", "signal"]
        ).labels(processor=str(settings.id), pipeline=settings.pipeline, signal=signal.value)

    async def start(self, host: Host) -> None:
        self.check()
        self._task = asyncio.get_running_loop().create_task(self._watch())

    def check(self) -> None:
        used = self._measure()
        was = self.refusing
        self.refusing = used >= self.soft
        if used >= self.hard:
            gc.collect()
        if self.refusing != was:
            self.log.warning("memory usage %s soft limit; %s data", "above" if self.refusing else "back below",
                             "refusing" if self.refusing else "accepting",
                             extra={"used_mib": used // MIB, "soft_limit_mib": self.soft // MIB})

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.config.check_interval)
            self.check()

    async def consume(self, signal: Signal, request: Request) -> None:
        if self.refusing:
            self._refused.inc(item_count(request))
            raise RetryableError("data refused due to high memory usage", retry_after=self.config.check_interval)
        await self.next.consume(signal, request)

    async def shutdown(self, timeout: float) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
