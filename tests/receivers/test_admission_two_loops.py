"""One `Admission` serves two event loops at once when `grpc.edge: process` runs the private
gRPC server on the pipeline loop and HTTP on the edge loop: a place freed on one loop goes to
a waiter on the other (on the waiter's own loop), a waiter that gave up gives its handed place
back, and hammering both loops at once never loses or doubles a place."""

from __future__ import annotations

import asyncio
import threading

import pytest

from scrubber.receivers.otlp.admission import Admission, AdmissionConfig
from scrubber.receivers.otlp.status import Refusal
from scrubber.testing.loop_thread import LoopThread


def _admission(limit: int, queued: int = 64, timeout: float = 5.0) -> Admission:
    return Admission(AdmissionConfig(max_concurrent_requests=limit, max_queued_requests=queued,
                                     queue_timeout=timeout))


@pytest.fixture
def other_loop():
    loop = LoopThread("admission-other")
    loop.start()
    yield loop
    loop.stop()


def test_a_place_freed_on_one_loop_goes_to_a_waiter_on_the_other(other_loop):
    admission = _admission(limit=1)
    entered = threading.Event()

    async def hold_then_free(release: asyncio.Event):
        async with admission.slot("grpc"):
            entered.set()
            await release.wait()

    async def wait_for_place():
        async with admission.slot("http"):
            return threading.current_thread().name

    async def scenario():
        release = asyncio.Event()
        holder = asyncio.create_task(hold_then_free(release))
        await asyncio.to_thread(entered.wait, 5)
        waiting = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(wait_for_place(), other_loop.loop))
        while admission.queued == 0:
            await asyncio.sleep(0.01)
        release.set()  # freed here: the waiter runs on the other loop's thread
        name = await asyncio.wait_for(waiting, 5)
        await holder
        return name

    assert asyncio.run(scenario()) == "admission-other"
    assert admission.in_flight == 0 and admission.queued == 0


def test_a_waiter_that_gave_up_gives_its_place_back(other_loop):
    admission = _admission(limit=1, timeout=0.2)

    async def wait_for_place():
        async with admission.slot("http"):
            pass

    async def scenario():
        async with admission.slot("grpc"):
            waiting = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(wait_for_place(), other_loop.loop))
            with pytest.raises(Refusal):
                await asyncio.wait_for(waiting, 5)
        async with admission.slot("grpc"):  # the place is free again, not leaked to the gone waiter
            return admission.in_flight

    assert asyncio.run(scenario()) == 1
    assert admission.in_flight == 0


def test_both_loops_at_once_never_lose_or_double_a_place(other_loop):
    admission = _admission(limit=3, queued=1000, timeout=30.0)
    peak = [0]

    async def one():
        async with admission.slot("x"):
            peak[0] = max(peak[0], admission.in_flight)
            await asyncio.sleep(0)

    async def many(n: int):
        await asyncio.gather(*(one() for _ in range(n)))

    async def scenario():
        there = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(many(400), other_loop.loop))
        await many(400)
        await asyncio.wait_for(there, 30)

    asyncio.run(scenario())
    assert admission.in_flight == 0 and admission.queued == 0 and not admission._waiters
    assert peak[0] <= 3


def test_a_caller_cancelled_as_it_is_handed_a_place_gives_it_back():
    """The client of a waiting call goes away (or its deadline passes) in the moment a place is
    handed to it: the place comes back. Before, each such race leaked one, and a long benchmark
    run ended with every place taken and every call refused."""
    admission = _admission(limit=1)

    async def scenario():
        release = asyncio.Event()
        tasks: dict[str, asyncio.Task] = {}

        async def holder():
            async with admission.slot("grpc"):
                await release.wait()
                tasks["waiter"].cancel()  # in one step: the waiter is cancelled, then handed this place

        async def waiter():
            async with admission.slot("grpc"):
                await asyncio.sleep(30)

        held = asyncio.create_task(holder())
        await asyncio.sleep(0)
        tasks["waiter"] = asyncio.create_task(waiter())
        while admission.queued == 0:
            await asyncio.sleep(0)
        release.set()
        await held
        with pytest.raises(asyncio.CancelledError):
            await tasks["waiter"]
        async with admission.slot("grpc", wait=0.0):  # free: not leaked to the cancelled caller
            pass

    asyncio.run(asyncio.wait_for(scenario(), 10))
    assert admission.in_flight == 0 and admission.queued == 0
