"""Builds the component graph from a validated config and runs its lifecycle.

Shape (as the Collector's `service/internal/graph`):
- one exporter instance per exporter id, shared by every pipeline that lists it;
- one processor instance per (pipeline, processor id), chained back to front,
  the last one feeding a fan-out to the pipeline's exporters;
- one receiver instance per receiver id, handed per signal a fan-out to the
  first consumer of every pipeline of that signal that lists it, wrapped in a
  `Capabilities` node that says whether anything in that pipeline mutates;
- one connector instance per (connector id, input signal): it is one of the
  exporters of the pipelines listing it under `exporters`, and is handed the
  first consumer of every pipeline listing it under `receivers` whose signal it
  can produce (by pipeline name). Pipelines are built downstream first, which
  the loader's no-cycle rule makes possible.
Start order: extensions, exporters, then pipelines downstream first (each one's
outgoing connectors, then its processors back to front), receivers last;
shutdown the reverse, so data in flight drains downstream before its
destination stops.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from scrubber.component import ComponentID, Kind, Settings
from scrubber.config.model import Config, Pipeline
from scrubber.consumer import Consumer, fanout
from scrubber.pdata import Signal
from scrubber.service.telemetry import Telemetry

log = logging.getLogger("scrubber.service")


class Capabilities:
    """What a pipeline's upstream (receiver or connector fan-out) sees of the pipeline:
    its first consumer, with `mutates_data` ORed over the whole chain (every processor
    and the pipeline's own fan-out to exporters and connectors), as the Collector's
    capabilities node. Reading only the first processor's flag let `[batch, pii]`
    mutate a request that a raw pipeline on the same receiver shared."""

    def __init__(self, first: Consumer, chain: list[Consumer]):
        self.first = first
        self.mutates_data = any(c.mutates_data for c in chain)

    async def consume(self, signal: Signal, request) -> None:
        await self.first.consume(signal, request)


class Graph:
    """The running components of one config, and the Host they ask for shared things."""

    def __init__(self, config: Config, telemetry: Telemetry):
        self.config = config
        self.telemetry = telemetry
        self.extensions: dict[ComponentID, Any] = {}
        self.exporters: dict[ComponentID, Any] = {}
        self.processors: dict[str, list[Any]] = {}  # pipeline name -> processors in order
        self.connectors: dict[tuple[ComponentID, Signal], Any] = {}
        self._heads: dict[str, Consumer] = {}  # pipeline name -> its first consumer
        self._order: list[str] = []  # pipeline names, downstream first
        self.receivers: dict[ComponentID, Any] = {}
        self._shared: dict[str, Any] = {}
        self.ready = False
        self._started: list[Any] = []
        self._build()

    # -- Host -----------------------------------------------------------------
    def extension(self, component_id: ComponentID) -> Any:
        return self.extensions.get(component_id)

    def shared(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._shared:
            self._shared[name] = make()
        return self._shared[name]

    def is_ready(self) -> bool:
        return self.ready

    # -- construction ---------------------------------------------------------
    def _settings(self, kind: Kind, component_id: ComponentID, pipeline: str = "") -> Settings:
        logger = logging.getLogger(f"scrubber.{kind.value[:-1]}.{component_id}")
        return Settings(component_id, kind, logger, self.telemetry, pipeline, self._shared)

    def _build(self) -> None:
        config = self.config
        for component_id in config.extensions:
            entry = config.entry(Kind.EXTENSION, component_id)
            self.extensions[component_id] = entry.factory.create(self._settings(Kind.EXTENSION, component_id), entry.config)
        heads: dict[Signal, dict[ComponentID, list[Consumer]]] = {}
        for pipeline in config.pipelines.values():
            head = self._pipeline_head(pipeline)
            for receiver_id in pipeline.receivers:
                heads.setdefault(pipeline.signal, {}).setdefault(receiver_id, []).append(head)
        for receiver_id in sorted({r for p in config.pipelines.values() for r in p.receivers}):
            entry = config.entry(Kind.RECEIVER, receiver_id)
            consumers = {signal: fanout(by_id[receiver_id]) for signal, by_id in heads.items() if receiver_id in by_id}
            self.receivers[receiver_id] = entry.factory.create(self._settings(Kind.RECEIVER, receiver_id), entry.config, consumers)

    def _exporter(self, component_id: ComponentID) -> Any:
        if component_id not in self.exporters:
            entry = self.config.entry(Kind.EXPORTER, component_id)
            self.exporters[component_id] = entry.factory.create(self._settings(Kind.EXPORTER, component_id), entry.config)
        return self.exporters[component_id]

    def _connector(self, component_id: ComponentID, signal: Signal) -> Any:
        key = (component_id, signal)
        if key not in self.connectors:
            entry = self.config.entry(Kind.CONNECTOR, component_id)
            consumers = {p.name: self._pipeline_head(p) for p in self.config.downstream(component_id, signal)}
            settings = self._settings(Kind.CONNECTOR, component_id)
            self.connectors[key] = entry.factory.create(settings, entry.config, signal, consumers)
        return self.connectors[key]

    def _pipeline_head(self, pipeline: Pipeline) -> Consumer:
        """The first consumer of `pipeline`, building it (and what it feeds) once."""
        if pipeline.name not in self._heads:
            self._heads[pipeline.name] = self._build_pipeline(pipeline)
            self._order.append(pipeline.name)
        return self._heads[pipeline.name]

    def _build_pipeline(self, pipeline: Pipeline) -> Consumer:
        tail = [self._exporter(e) for e in pipeline.exporters]
        tail += [self._connector(c, pipeline.signal) for c in pipeline.connectors_out]
        to_exporters = fanout(tail)
        next_consumer: Consumer = to_exporters
        chain: list[Any] = []
        for processor_id in reversed(pipeline.processors):
            entry = self.config.entry(Kind.PROCESSOR, processor_id)
            settings = self._settings(Kind.PROCESSOR, processor_id, pipeline.name)
            next_consumer = entry.factory.create(settings, entry.config, pipeline.signal, next_consumer)
            chain.insert(0, next_consumer)
        self.processors[pipeline.name] = chain
        return Capabilities(next_consumer, [*chain, to_exporters])

    # -- lifecycle ------------------------------------------------------------
    def _start_order(self) -> list[Any]:
        middle = []
        for name in self._order:  # downstream pipelines were built (and listed) first
            signal = self.config.pipelines[name].signal
            middle += [self.connectors[(c, signal)] for c in self.config.pipelines[name].connectors_out]
            middle += list(reversed(self.processors[name]))
        unique = list({id(c): c for c in middle}.values())
        return [*self.extensions.values(), *self.exporters.values(), *unique, *self.receivers.values()]

    async def start(self) -> None:
        """Start everything in order; if one fails, stop what started and re-raise."""
        for component in self._start_order():
            try:
                await component.start(self)
            except BaseException:
                await self.shutdown(timeout=5.0)
                raise
            self._started.append(component)
        self.ready = True

    async def shutdown(self, timeout: float) -> None:
        """Stop in reverse start order within `timeout` seconds overall."""
        self.ready = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        for component in reversed(self._started):
            remaining = max(0.1, deadline - loop.time())
            try:
                await asyncio.wait_for(component.shutdown(remaining), timeout=remaining + 1.0)
            except Exception as exc:  # one component's failure must not stop the others
                log.error("shutdown of %s failed: %s", type(component).__name__, type(exc).__name__)
        self._started.clear()
        await self._close_shared()

    async def _close_shared(self) -> None:
        for name, value in list(self._shared.items()):
            close = getattr(value, "close", None)
            if close is None:
                continue
            try:
                result = close()
                if asyncio.iscoroutine(result):
                    await result
            except Exception as exc:
                log.error("closing shared %s failed: %s", name, type(exc).__name__)
        self._shared.clear()
