"""Factory of the `worker_pool` extension: a `WorkerPool` that components find by id."""

from __future__ import annotations

from scrubber.component import Factory, Host, Kind, Settings, Stability
from scrubber.extensions.worker_pool.config import WorkerPoolConfig
from scrubber.extensions.worker_pool.pool import WorkerPool
from scrubber.heap import add_reliever


class WorkerPoolExtension:
    """The extension component; its `worker_pool` is what users resolve with `host.extension(id)`."""

    def __init__(self, settings: Settings, config: WorkerPoolConfig):
        self.settings = settings
        self.worker_pool = WorkerPool(config, settings.telemetry, name=str(settings.id).replace("/", "-"))
        add_reliever(settings.shared, self.worker_pool.relieve_memory)  # the memory_limiter's, see scrubber.heap

    async def start(self, host: Host) -> None:
        """Spawn the workers and return: each user waits in its own start for its handlers."""
        await self.worker_pool.start(wait=False)

    async def shutdown(self, timeout: float) -> None:
        await self.worker_pool.close()


factory = Factory(type="worker_pool", kind=Kind.EXTENSION, config_class=WorkerPoolConfig, create=WorkerPoolExtension,
                  signals=frozenset(), stability=Stability.ALPHA)
