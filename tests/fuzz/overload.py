"""An open-loop overload client in its own process (its own GIL: the test process also runs
the four backends), over many connections as many applications would, with the SDK's 10 s
deadline, over OTLP/gRPC or OTLP/HTTP (protobuf). Reports every call's outcome and latency."""

from __future__ import annotations

import asyncio
import multiprocessing
import time

import aiohttp
import grpc

from scrubber.pdata import Signal
from tests.fuzz.federated import METHODS, _grpc_outcome

DEADLINE = 10.0


def _grpc_client(target: str, connections: int):
    channels = [grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1), ("grpc.channel_id", i)])
                for i in range(connections)]
    calls = [c.unary_unary(METHODS[Signal.TRACES], request_serializer=None, response_deserializer=None) for c in channels]

    async def send(i: int, payload: bytes) -> tuple[str, float | None]:
        try:
            await calls[i % connections](payload, timeout=DEADLINE)
            return "ok", None
        except grpc.aio.AioRpcError as error:
            outcome = _grpc_outcome(error)
            return outcome.kind, outcome.retry_after

    async def close() -> None:
        for channel in channels:
            await channel.close()
    return send, close


def _http_client(target: str, connections: int):
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections),
                                    timeout=aiohttp.ClientTimeout(total=DEADLINE))
    url = f"http://{target}/v1/traces"

    async def send(i: int, payload: bytes) -> tuple[str, float | None]:
        try:
            async with session.post(url, data=payload, headers={"Content-Type": "application/x-protobuf"}) as response:
                await response.read()
                if response.status == 200:
                    return "ok", None
                retry_after = response.headers.get("Retry-After")
                if response.status == 429 and retry_after:
                    return "retry", float(retry_after)
                return f"http_{response.status}", None
        except asyncio.TimeoutError:
            return "http_timeout", None
        except aiohttp.ClientError as error:
            return f"http_{type(error).__name__}", None
    return send, session.close


async def _drive(target: str, payloads: list[bytes], rate: float, seconds: float, connections: int,
                 transport: str) -> list:
    send, close = (_http_client if transport == "http" else _grpc_client)(target, connections)
    results: list[tuple[str, float, float | None]] = []

    async def one(i: int) -> None:
        began = time.monotonic()
        kind, retry = await send(i, payloads[i % len(payloads)])
        results.append((kind, time.monotonic() - began, retry))

    tasks, start, sent = set(), time.monotonic(), 0
    while time.monotonic() - start < seconds:
        task = asyncio.ensure_future(one(sent))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        sent += 1
        await asyncio.sleep(max(0.0, start + sent / rate - time.monotonic()))
    if tasks:
        await asyncio.wait(tasks, timeout=2 * DEADLINE)
    await close()
    return results


def _main(queue, *args) -> None:
    queue.put(asyncio.run(_drive(*args)))


def offer(target: str, payloads: list[bytes], rate: float, seconds: float, connections: int = 32,
          transport: str = "grpc") -> list:
    """[(outcome kind, seconds until answered, retry_after)] for every call offered; `target` is
    host:port of the gRPC or (transport "http") the HTTP server."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_main, args=(queue, target, payloads, rate, seconds, connections, transport))
    process.start()
    try:
        return queue.get(timeout=seconds + 60)
    finally:
        process.join(10)
        if process.is_alive():
            process.kill()
