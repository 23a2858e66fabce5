"""An open-loop overload client in its own process (its own GIL: the test process also runs
the four backends), over many connections as many applications would, with the SDK's 10 s
deadline. Reports every call's outcome and latency."""

from __future__ import annotations

import asyncio
import multiprocessing
import time

import grpc

from scrubber.pdata import Signal
from tests.fuzz.federated import METHODS, _grpc_outcome


async def _drive(target: str, payloads: list[bytes], rate: float, seconds: float, connections: int) -> list:
    channels = [grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1), ("grpc.channel_id", i)])
                for i in range(connections)]
    calls = [c.unary_unary(METHODS[Signal.TRACES], request_serializer=None, response_deserializer=None) for c in channels]
    results: list[tuple[str, float, float | None]] = []

    async def one(i: int) -> None:
        began = time.monotonic()
        try:
            await calls[i % connections](payloads[i % len(payloads)], timeout=10)
            kind, retry = "ok", None
        except grpc.aio.AioRpcError as error:
            outcome = _grpc_outcome(error)
            kind, retry = outcome.kind, outcome.retry_after
        results.append((kind, time.monotonic() - began, retry))

    tasks, start, sent = set(), time.monotonic(), 0
    while time.monotonic() - start < seconds:
        task = asyncio.ensure_future(one(sent))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        sent += 1
        await asyncio.sleep(max(0.0, start + sent / rate - time.monotonic()))
    if tasks:
        await asyncio.wait(tasks, timeout=20)
    for channel in channels:
        await channel.close()
    return results


def _main(queue, *args) -> None:
    queue.put(asyncio.run(_drive(*args)))


def offer(target: str, payloads: list[bytes], rate: float, seconds: float, connections: int = 32) -> list:
    """[(outcome kind, seconds until answered, retry_after)] for every call offered."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_main, args=(queue, target, payloads, rate, seconds, connections))
    process.start()
    try:
        return queue.get(timeout=seconds + 60)
    finally:
        process.join(10)
        if process.is_alive():
            process.kill()
