"""Consumers: anything that takes a batch of telemetry.

A receiver hands each request to a `Consumer`; a processor is a consumer that
passes to the next one; an exporter is the last. `consume` returning means the
data is accepted (queued or delivered); raising a `scrubber.errors.ConsumerError`
refuses it.
"""

from __future__ import annotations

import asyncio
from typing import Protocol, Sequence, runtime_checkable

from scrubber.errors import ConsumerError, PartialSuccess
from scrubber.pdata import Request, Signal, clone


@runtime_checkable
class Consumer(Protocol):
    #: True if `consume` may change the request. Fan-out gives such consumers their
    #: own copy (the Collector's "exclusive ownership").
    mutates_data: bool

    async def consume(self, signal: Signal, request: Request) -> None: ...


class FanoutConsumer:
    """Hands every request to several consumers concurrently.

    Consumers that mutate data get a clone each; the others share the request
    itself, which nobody then changes. The first error wins, except that partial
    successes add up.
    """

    def __init__(self, consumers: Sequence[Consumer]):
        if not consumers:
            raise ValueError("fan-out needs at least one consumer")
        self.consumers = list(consumers)
        # with several consumers it clones for those that mutate; a lone one gets the request itself
        self.mutates_data = len(self.consumers) == 1 and self.consumers[0].mutates_data

    async def consume(self, signal: Signal, request: Request) -> None:
        if len(self.consumers) == 1:
            await self.consumers[0].consume(signal, request)
            return
        await deliver(signal, [(c, clone(request) if c.mutates_data else request) for c in self.consumers])


def fanout(consumers: Sequence[Consumer]) -> Consumer:
    """One consumer for several: a lone consumer itself (no wrapper, no copy), else a
    `FanoutConsumer`. The graph hands each upstream this, and so does a connector
    routing to several pipelines."""
    return consumers[0] if len(consumers) == 1 else FanoutConsumer(consumers)


async def deliver(signal: Signal, deliveries: Sequence[tuple[Consumer, Request]]) -> None:
    """Hand each request to its consumer, concurrently, and raise their combined outcome
    (`raise_combined`): the one way every fan-out (to pipelines, to exporters, a router's
    per-jurisdiction parts) waits for its destinations."""
    if len(deliveries) == 1:
        consumer, request = deliveries[0]
        await consumer.consume(signal, request)
        return
    results = await asyncio.gather(*(c.consume(signal, r) for c, r in deliveries), return_exceptions=True)
    raise_combined(results)


def raise_combined(results: list) -> None:
    """Re-raise the outcome of concurrent deliveries (`gather(..., return_exceptions=True)`):
    the first hard error wins; partial successes add up into one."""
    errors = [r for r in results if isinstance(r, BaseException)]
    if not errors:
        return
    hard = [e for e in errors if not isinstance(e, PartialSuccess)]
    if hard:
        raise hard[0]
    partial = [e for e in errors if isinstance(e, PartialSuccess)]
    raise PartialSuccess(max(e.rejected for e in partial), "; ".join(str(e) for e in partial))


class SinkConsumer:
    """An in-memory terminal consumer, for tests and `scrubber scan`: keeps what it gets."""

    mutates_data = False

    def __init__(self) -> None:
        self.received: list[tuple[Signal, Request]] = []

    async def consume(self, signal: Signal, request: Request) -> None:
        self.received.append((signal, request))

    def requests(self, signal: Signal) -> list[Request]:
        return [r for s, r in self.received if s == signal]


__all__ = ["Consumer", "ConsumerError", "FanoutConsumer", "SinkConsumer", "deliver", "fanout"]
