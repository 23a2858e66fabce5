"""What users write under `extensions: worker_pool[/name]:` (and, inline, under a pool user's `pool:`)."""

from __future__ import annotations

from pydantic import Field

from scrubber.cgroup import usable_cores
from scrubber.component import ComponentConfig
from scrubber.config.types import Duration


class WorkerPoolConfig(ComponentConfig):
    #: worker processes; 0 = one per core this process may use (its CPU affinity and its
    #: container's CPU quota, `scrubber.cgroup.usable_cores`; not the node's core count)
    workers: int = Field(default=0, ge=0, le=256)
    #: most items (texts) of a batchable handler sent to a worker in one message
    max_batch_texts: int = Field(default=256, ge=1, le=100_000)
    #: how long an idle worker waits for a batch to fill
    max_wait: Duration = 0.002
    #: the queue of a batchable handler is shared among idle workers only in shares of at least
    #: this many bytes; a smaller queue goes to one worker whole. Why: a spaCy call costs about
    #: 3 ms before its first text (model set-up, small matrix products), as much as ~350
    #: characters of new text: calls of one short text cost 1.6-1.9x the CPU per text of large
    #: calls (`benchmarks/detection_cost/call_size.py`) and the lost CPU is queueing at load
    min_batch_bytes: int = Field(default=1024, ge=0)
    #: items (texts, jobs) queued for the workers; beyond it a call is refused (RESOURCE_EXHAUSTED)
    max_pending_texts: int = Field(default=20_000, ge=1)
    #: bytes of the queued items; beyond it a call is refused
    max_pending_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    #: a worker that takes longer on one message is killed and replaced; its callers fail closed.
    #: Below the SDKs' 10 s export timeout, so a client hears back (fields redacted) before it gives up
    timeout: Duration = 5.0
    #: a worker whose resident memory passes this after a message is replaced (0 = never), so the
    #: workers stay inside what the memory_limiter budgets for them
    max_worker_memory_mib: int = Field(default=1024, ge=0)
    #: how long a worker may take to start and build its handlers (load models)
    start_timeout: Duration = 120.0

    def worker_count(self) -> int:
        return self.workers or usable_cores()
