"""Detection on worker processes, as the components that detect (pii, egress_guard,
aggregates) configure it, and the one rule by which they get their detection service.

A component chooses one of three:

- nothing: `InProcessDetection` (a detector in a thread), one per detection config;
- `worker_pool: worker_pool[/name]`: the workers of that `worker_pool` extension
  (`scrubber/extensions/worker_pool`), with a `PooledDetection` layer (cache, dedupe,
  batches) per detection config on top; two extensions with different settings are two pools;
- inline `pool: {...}`: a `DetectionPool`, a worker pool private to these pool settings AND
  this detection config. Components with exactly the same two share it; any difference
  (e.g. `workers`, `scope`) gives another pool, never silently the first one started.

`DetectionPool` is a `WorkerPool` it owns plus the `PooledDetection` layer on it.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationInfo, field_validator

from scrubber.component import ComponentConfig, ComponentID
from scrubber.detection.batching import PooledDetection
from scrubber.detection.config import DetectionConfig
from scrubber.detection.service import InProcessDetection
from scrubber.errors import ConfigError, JobFailed
from scrubber.extensions.worker_pool.config import WorkerPoolConfig
from scrubber.extensions.worker_pool.pool import WorkerPool
from scrubber.heap import add_reliever
from scrubber.service.telemetry import Telemetry

if TYPE_CHECKING:
    from scrubber.component import Host, Settings

#: the name callers of the detection layer know a lost job by
DetectionFailed = JobFailed
SHARED_NAME = "detection"


class DetectionPoolConfig(WorkerPoolConfig):
    """What users write under a component's inline `pool:` key: the worker_pool extension's keys, and `scope`."""

    #: what the workers get: `texts` (detection only; walk and rewrite stay in the main process)
    #: or `requests` (the pii processor sends each whole request: parse, walk, detection,
    #: rewrite and serialize all run in the workers, so they use every core)
    scope: Literal["texts", "requests"] = "texts"


class DetectionPool(PooledDetection):
    """An inline `pool:`: a private `WorkerPool` with the detection layer on it."""

    def __init__(self, detection: DetectionConfig | dict | None = None,
                 config: DetectionPoolConfig | dict | None = None, telemetry: Telemetry | None = None):
        detection = detection if isinstance(detection, DetectionConfig) else DetectionConfig.model_validate(detection or {})
        config = config if isinstance(config, DetectionPoolConfig) else DetectionPoolConfig.model_validate(config or {})
        telemetry = telemetry or Telemetry()
        super().__init__(WorkerPool(config, telemetry, name="detection"), detection, telemetry)
        self.config = config  # the pool's own settings object: tests tune timeouts on it

    async def start(self, wait: bool = True) -> None:
        """Spawn the workers; with `wait`, until one of them has loaded the detector. In scope
        `requests` the workers load only what the pii processor registers (its request
        scrubber), not a second detector for texts."""
        if self.config.scope == "requests":
            await self.pool.start(wait=wait)
        elif wait:
            await super().start()
        else:
            await self.pool.start()

    async def wait_ready(self, timeout: float | None = None) -> None:
        """Until a worker has loaded the detector (benchmarks, tests, health)."""
        await self.pool.wait_ready(timeout, self.handler)

    async def close(self) -> None:
        await super().close()
        await self.pool.close()

    @property
    def pending(self) -> int:
        return self.pool.pending

    def worker_pids(self) -> list[int]:
        return self.pool.worker_pids()


class PoolChoice(ComponentConfig):
    """The keys of a component that may detect on worker processes (see the module docstring)."""

    #: run detection on worker processes private to these settings and this `detection:`
    #: config (scrubber/detection/pool.py); absent (and no worker_pool) = a detector in a thread
    pool: DetectionPoolConfig | None = None
    #: run detection on the workers of this `worker_pool` extension instead (e.g.
    #: `worker_pool/detection`, listed in service::extensions); then `pool:` may only set `scope`
    worker_pool: str | None = None

    @field_validator("worker_pool")
    @classmethod
    def _names_a_worker_pool(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if ComponentID.parse(value).type != "worker_pool":
            raise ValueError(f"{value!r} is not a worker_pool extension id (worker_pool or worker_pool/<name>)")
        pool = info.data.get("pool")
        if pool is not None and pool.model_fields_set - {"scope"}:
            keys = ", ".join(sorted(pool.model_fields_set - {"scope"}))
            raise ValueError(f"pool settings ({keys}) belong on the extension {value!r}; with worker_pool, "
                             "pool: may only set scope")
        return value

    @property
    def scope(self) -> str:
        return self.pool.scope if self.pool is not None else "texts"

    def extension_references(self) -> list[tuple[str, str]]:
        """Checked by the config loader: the extension must be configured and enabled."""
        return [("worker_pool", self.worker_pool)] if self.worker_pool else []


def detection_name(config: DetectionConfig) -> str:
    """The host-shared name of the in-process detection service for this detection config:
    components with the same settings share one service (and one NER model)."""
    if config == DetectionConfig():
        return SHARED_NAME
    return f"{SHARED_NAME}/{_digest(config.model_dump(mode='json'))}"


def inline_pool_name(detection: DetectionConfig, pool: DetectionPoolConfig) -> str:
    """The host-shared name of an inline pool: its settings AND the detection config."""
    return f"{SHARED_NAME}/pool/{_digest({'detection': detection.model_dump(mode='json'), 'pool': pool.model_dump(mode='json')})}"


def _digest(document: Any) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:12]


def acquire_detection(host: "Host", settings: "Settings", config: PoolChoice, detection: DetectionConfig) -> Any:
    """The detection service for a component's `pool:` / `worker_pool:` keys and its
    `detection:` config (not started). ConfigError naming `worker_pool` if the extension is
    not running."""
    if config.worker_pool is not None:
        pool = resolve_worker_pool(host, settings, config.worker_pool)
        name = f"{config.worker_pool}/{detection_name(detection)}"
        return host.shared(name, lambda: PooledDetection(pool, detection, settings.telemetry))
    if config.pool is not None:
        inline = config.pool
        service = host.shared(inline_pool_name(detection, inline),
                              lambda: DetectionPool(detection, inline, settings.telemetry))
        add_reliever(settings.shared, service.pool.relieve_memory)  # the memory_limiter's, see scrubber.heap
        return service
    return host.shared(detection_name(detection), lambda: InProcessDetection(detection))


def resolve_worker_pool(host: "Host", settings: "Settings", reference: str) -> WorkerPool:
    """The running `WorkerPool` of the extension `reference`, resolved by id at start."""
    extension = host.extension(ComponentID.parse(reference))
    pool = getattr(extension, "worker_pool", None)
    if not isinstance(pool, WorkerPool):
        raise ConfigError([f"{settings.kind.value}::{settings.id}::worker_pool: extension {reference!r} is not a running "
                           "worker_pool extension (configure it under extensions and list it in service::extensions)"])
    return pool
