"""The `memory_limiter` processor: refuses data while memory is above its soft limit.

Memory is the resident set of this process and its children (the detection
workers), asked of the process-wide `MemoryGate` for every request (measured at
most every 10 ms, not once per `check_interval`), so a burst cannot slip past it
between two checks. The otlp receiver asks the same gate before it reads a body.
Above `limit - spike` new data is refused with RESOURCE_EXHAUSTED + RetryInfo /
HTTP 429 + Retry-After (the pipeline is overloaded: the client backs off and
retries); the periodic check, every `check_interval`, finds the worker processes
and gives freed memory back to the system while above the limit, and if that is not
enough has a worker pool replace a worker that grew (`scrubber.heap.RELIEVERS`). The limit is the
cgroup's (`memory.max`, `memory.limit_in_bytes`) when a percentage is configured,
host memory only when the cgroup is unlimited.
"""

from __future__ import annotations

import asyncio

from scrubber.component import Host, Settings
from scrubber.consumer import Consumer
from scrubber.errors import ResourceExhaustedError
from scrubber.heap import RELIEVERS
from scrubber.pdata import Request, Signal, item_count
from scrubber.processorhelper import ProcessorHelper
from scrubber.processors.memory_limiter.config import MemoryLimiterConfig
from scrubber.processors.memory_limiter.gate import SHARED_NAME, MemoryGate
from scrubber.processors.memory_limiter.memory import total_memory

MIB = 1024 * 1024


def limits(config: MemoryLimiterConfig, total: int | None = None) -> tuple[int, int]:
    """(soft, hard) limits in bytes; percentages are of `total` (default: the cgroup's limit,
    or host memory when the cgroup is unlimited)."""
    if config.limit_mib:
        hard = config.limit_mib * MIB
        spike = (config.spike_limit_mib or config.limit_mib // 5) * MIB
    else:
        total = total or total_memory()
        hard = total * config.limit_percentage // 100
        spike = total * (config.spike_limit_percentage or config.limit_percentage // 5) // 100
    return hard - spike, hard


class MemoryLimiter(ProcessorHelper):
    """A batch function that lets a request through or refuses it; the helper counts and forwards."""

    def __init__(self, settings: Settings, config: MemoryLimiterConfig, signal: Signal, next_consumer: Consumer,
                 measure=None):
        super().__init__(settings, signal, next_consumer, self._admit, mutates_data=False,
                         start=self._start_watch, shutdown=self._stop_watch)
        self.config = config
        self.log = settings.logger
        self._shared = settings.shared  # where the worker pools list their memory relievers
        self.soft, self.hard = limits(config)
        # tests pass `measure`: a private gate; otherwise the one every limiter and receiver shares
        self.gate = MemoryGate(measure) if measure else settings.shared.setdefault(SHARED_NAME, MemoryGate())
        self.gate.add_limits(self.soft, self.hard, config.check_interval)
        self.refusing = False
        self._task: asyncio.Task | None = None
        self._refused = settings.telemetry.counter(
            "processor_refused_items", "Items refused by a processor", ["processor", "pipeline", "signal"]
        ).labels(processor=str(settings.id), pipeline=settings.pipeline, signal=signal.value)

    async def _start_watch(self, host: Host) -> None:
        self.check()
        self._task = asyncio.get_running_loop().create_task(self._watch())

    def check(self) -> None:
        """The periodic check: refresh the gate (workers, release of freed memory) and log changes."""
        used = self.gate.refresh(self._shared.get(RELIEVERS, ()))
        self._note(used >= self.soft, used)

    def _note(self, refusing: bool, used: int) -> None:
        if refusing != self.refusing:
            self.refusing = refusing
            self.log.warning("memory usage %s soft limit; %s data", "above" if refusing else "back below",
                             "refusing" if refusing else "accepting",
                             extra={"used_mib": used // MIB, "soft_limit_mib": self.soft // MIB})

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.config.check_interval)
            self.check()

    async def _admit(self, signal: Signal, request: Request) -> Request:
        used = self.gate.measure()
        self._note(used >= self.soft, used)
        if self.refusing:
            self._refused.inc(item_count(request))
            raise ResourceExhaustedError("data refused due to high memory usage",
                                         retry_after=max(1.0, self.config.check_interval))
        return request

    async def _stop_watch(self, timeout: float) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
