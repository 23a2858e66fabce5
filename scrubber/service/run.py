"""Runs a validated config until SIGTERM or SIGINT, then drains and stops."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal

from scrubber.config.model import Config
from scrubber.service.graph import Graph
from scrubber.service.metrics_server import metrics_server
from scrubber.service.telemetry import Telemetry

log = logging.getLogger("scrubber.service")


class Service:
    """One running config: its graph plus the own-metrics endpoint."""

    def __init__(self, config: Config, telemetry: Telemetry | None = None):
        self.config = config
        self.telemetry = telemetry or Telemetry(resource=config.service.telemetry.resource)
        self.graph = Graph(config, self.telemetry)
        address = config.service.telemetry.metrics.endpoint()
        level = config.service.telemetry.metrics.level
        self.metrics = metrics_server(self.telemetry, address) if address and level != "none" else None

    async def start(self) -> None:
        if self.metrics is not None:
            await self.metrics.start()
        try:
            await self.graph.start()
        except BaseException:
            if self.metrics is not None:
                await self.metrics.stop()
            raise
        log.info("Everything is ready. Begin running and processing data.",
                 extra={"pipelines": sorted(self.config.pipelines)})

    async def shutdown(self) -> None:
        log.info("Shutdown requested; draining", extra={"timeout_s": self.config.service.shutdown_timeout})
        await self.graph.shutdown(self.config.service.shutdown_timeout)
        if self.metrics is not None:
            await self.metrics.stop()
        log.info("Shutdown complete.")


async def run_until_signalled(config: Config) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    service = Service(config)
    await service.start()
    # Everything loaded so far (modules, models, catalogs) lives as long as the process:
    # moving it out of the collector's generations cuts the cost of every later collection,
    # which profiling showed at 12-15% of the hot path.
    gc.freeze()
    try:
        await stop.wait()
    finally:
        await service.shutdown()
