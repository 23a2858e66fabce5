"""Fan-out and exclusive ownership: a consumer that mutates never changes what another sees."""

from __future__ import annotations

import asyncio

from scrubber.consumer import FanoutConsumer, SinkConsumer
from scrubber.pdata import Signal
from scrubber.testing.data import synthetic_request


class Renamer(SinkConsumer):
    mutates_data = True

    async def consume(self, signal, request):
        request.resource_spans[0].scope_spans[0].spans[0].name = "changed"
        await super().consume(signal, request)


def first_name(request) -> str:
    return request.resource_spans[0].scope_spans[0].spans[0].name


def test_mutating_consumers_get_their_own_copy():
    readers, writers = [SinkConsumer(), SinkConsumer()], [Renamer(), Renamer()]
    request = synthetic_request(Signal.TRACES, 2)
    original = first_name(request)
    fanout = FanoutConsumer([writers[0], readers[0], writers[1], readers[1]])
    asyncio.run(fanout.consume(Signal.TRACES, request))
    assert not fanout.mutates_data
    assert first_name(request) == original
    assert all(first_name(r.received[0][1]) == original for r in readers)
    assert all(first_name(w.received[0][1]) == "changed" for w in writers)
    assert writers[0].received[0][1] is not writers[1].received[0][1]


def test_a_lone_mutating_consumer_makes_the_fanout_mutating():
    assert FanoutConsumer([Renamer()]).mutates_data
    assert not FanoutConsumer([SinkConsumer()]).mutates_data
