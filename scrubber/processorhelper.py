"""The one helper every processor is built on (the Collector's `processorhelper`).

A processor is written as a batch function `async process(signal, request) ->
request | None`; `ProcessorHelper` wraps it into a Component & Consumer that
counts the items going in and out (`processor_incoming_items`,
`processor_outgoing_items`, labelled {processor, pipeline, signal}) and hands
the result to the next consumer. Returning `None` (or an empty request) means
"nothing to forward" (a filter dropped everything, a batcher kept it): the next
consumer is then not called. Keeping this generic is why memory_limiter, pii,
residency, egress_guard and subject_lineage share it instead of each copying the
counting and the call to next.

`batch` does not: it is not a function of one request. It gathers the requests of
many callers into one downstream call, holds each caller until its chunk was
delivered and resends a refused chunk request by request, so it owns its calls to
next (as the Collector's batch processor, which is not built on processorhelper
either) and counts with its own `processor_batch_*` metrics.
"""

from __future__ import annotations

from typing import Awaitable, Callable, Optional

from scrubber.component import Host, Settings
from scrubber.consumer import Consumer
from scrubber.pdata import Request, Signal, item_count

ProcessFunc = Callable[[Signal, Request], Awaitable[Optional[Request]]]
StartFunc = Callable[[Host], Awaitable[None]]
ShutdownFunc = Callable[[float], Awaitable[None]]

INCOMING = "processor_incoming_items"
OUTGOING = "processor_outgoing_items"


class ProcessorHelper:
    """Component & Consumer around a batch function.

    `mutates_data` must be declared truthfully: fan-out clones the request only
    for consumers that say they change it.
    """

    def __init__(
        self,
        settings: Settings,
        signal: Signal,
        next_consumer: Consumer,
        process: ProcessFunc,
        *,
        mutates_data: bool,
        start: StartFunc | None = None,
        shutdown: ShutdownFunc | None = None,
    ):
        self.settings = settings
        self.signal = signal
        self.next_consumer = next_consumer
        self.mutates_data = mutates_data
        self._process = process
        self._start = start
        self._shutdown = shutdown
        self._shut_down = False
        labels = {"processor": str(settings.id), "pipeline": settings.pipeline, "signal": str(signal)}
        telemetry = settings.telemetry
        names = ("processor", "pipeline", "signal")
        received = "Items (spans, log records, data points) a processor received."
        self._incoming = telemetry.counter(INCOMING, received, names).labels(**labels)
        self._outgoing = telemetry.counter(OUTGOING, "Items a processor passed to the next consumer.", names).labels(**labels)

    async def start(self, host: Host) -> None:
        self._shut_down = False
        if self._start is not None:
            await self._start(host)

    async def shutdown(self, timeout: float) -> None:
        """Idempotent and safe without `start`."""
        if self._shut_down:
            return
        self._shut_down = True
        if self._shutdown is not None:
            await self._shutdown(timeout)

    async def consume(self, signal: Signal, request: Request) -> None:
        self._incoming.inc(item_count(request))
        result = await self._process(signal, request)
        if result is None:
            return
        count = item_count(result)
        if count == 0 and _is_empty(result):
            return
        self._outgoing.inc(count)
        await self.next_consumer.consume(signal, result)


def _is_empty(request: Request) -> bool:
    """True when the request has no resource groups at all (nothing worth forwarding)."""
    return request.ByteSize() == 0


__all__ = ["ProcessorHelper", "ProcessFunc", "INCOMING", "OUTGOING"]
