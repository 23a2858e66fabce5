"""Issue 13 items 1-2 and the edges: admission decides at once and says when to come back.

A real receiver on loopback whose consumer holds requests (a pipeline that cannot drain):
bytes in flight above `max_in_flight_mib` and requests beyond `max_concurrent_requests` +
queue are refused within a second with RESOURCE_EXHAUSTED + RetryInfo / 429 + Retry-After;
a request too large to ever fit is refused as permanent (413 / INVALID_ARGUMENT); a gzip
burst is refused before it expands; memory above the limiter's soft limit refuses before a
body is read and serving resumes as soon as it is back below; idle, slowloris and slow-body
HTTP connections are closed after their timeouts."""

from __future__ import annotations

import asyncio
import gzip
import socket
import time

import grpc
import pytest
from google.rpc import error_details_pb2

from scrubber.component import ComponentID, Kind, Settings
from scrubber.consumer import SinkConsumer
from scrubber.pdata import Signal
from scrubber.processors.memory_limiter.gate import SHARED_NAME, MemoryGate
from scrubber.receivers.otlp.config import OTLPReceiverConfig
from scrubber.service.telemetry import Telemetry
from tests.receivers.otlp_helpers import run, running, spans_request
from tests.receivers.test_otlp_receiver_grpc import TRACES, call, rich_status
from tests.receivers.test_otlp_receiver_http import PB, post

MIB = 1024 * 1024


class Held(SinkConsumer):
    """A pipeline that keeps every request until `drain` is set (a real SinkConsumer behind)."""

    def __init__(self):
        super().__init__()
        self.drain = asyncio.Event()
        self.waiting = 0

    async def consume(self, signal, request):
        self.waiting += 1
        try:
            await self.drain.wait()
        finally:
            self.waiting -= 1
        await super().consume(signal, request)


def config(admission: dict, **http) -> OTLPReceiverConfig:
    return OTLPReceiverConfig.model_validate({"protocols": {"grpc": {"endpoint": "127.0.0.1:0", "max_recv_msg_size_mib": 16},
                                                            "http": {"endpoint": "127.0.0.1:0", **http}},
                                              "admission": admission})


def big_request(mib: float):
    request = spans_request()
    request.resource_spans[0].resource.attributes.add(key="blob").value.string_value = "x" * int(mib * MIB)
    return request


def retry_delay(error: grpc.aio.AioRpcError) -> float:
    info = error_details_pb2.RetryInfo()
    assert rich_status(error).details[0].Unpack(info)
    return info.retry_delay.ToTimedelta().total_seconds()


async def _until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert condition()


def test_bytes_in_flight_above_the_budget_are_refused_at_once_with_retry_info():
    held = Held()
    payload = big_request(2).SerializeToString()  # charged 3x: wire + decoded estimate

    async def body():
        async with running({s: held for s in Signal}, config({"max_in_flight_mib": 10})) as (receiver, _):
            first = asyncio.create_task(call(receiver.grpc_port, TRACES, payload))
            await _until(lambda: held.waiting == 1)
            started = time.monotonic()
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call(receiver.grpc_port, TRACES, payload)
            assert time.monotonic() - started < 1.0
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and retry_delay(refused.value) >= 1
            status, headers, _ = await post(receiver.http_port, payload, PB)
            assert status == 429 and int(headers["Retry-After"]) >= 1
            held.drain.set()
            await first
            await call(receiver.grpc_port, TRACES, payload)  # budget free again: served
            assert receiver.admission.held == 0
            labels = {"receiver": "otlp", "transport": "grpc", "reason": "in_flight_bytes"}
            assert receiver.settings.telemetry.value("scrubber_receiver_refused_requests_total", labels) == 1

    run(body())


def test_a_request_that_can_never_fit_is_refused_as_permanent():
    payload = big_request(2).SerializeToString()

    async def body():
        async with running(config=config({"max_in_flight_mib": 4})) as (receiver, sink):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call(receiver.grpc_port, TRACES, payload)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "max_in_flight_mib" in refused.value.details()
            status, headers, _ = await post(receiver.http_port, payload, PB)
            assert status == 413 and "Retry-After" not in headers
            assert sink.requests(Signal.TRACES) == []

    run(body())


def test_a_gzip_bomb_burst_is_refused_before_it_expands():
    """48 bodies of 64 MiB of zeros (65 KiB each on the wire), all at once, under a 64 MiB budget:
    none is admitted whole, the bytes held never pass the budget, and the receiver serves after."""
    bomb = gzip.compress(b"\0" * (64 * MIB), compresslevel=9)
    peak = [0]

    async def body():
        async with running(config=config({"max_in_flight_mib": 64}, max_request_body_size=128 * MIB)) as (receiver, sink):
            async def watch():
                while True:
                    peak[0] = max(peak[0], receiver.admission.held)
                    await asyncio.sleep(0.001)
            watcher = asyncio.create_task(watch())
            answers = await asyncio.gather(*(post(receiver.http_port, bomb, PB, **{"Content-Encoding": "gzip"})
                                             for _ in range(48)))
            watcher.cancel()
            assert {status for status, _, _ in answers} <= {413, 429}
            assert receiver.admission.held == 0
            status, _, _ = await post(receiver.http_port, spans_request().SerializeToString(), PB)
            assert status == 200 and len(sink.requests(Signal.TRACES)) == 1

    run(body(), timeout=60)
    assert peak[0] <= 64 * MIB


def test_beyond_the_concurrency_limit_and_queue_every_refusal_comes_within_a_second():
    held = Held()
    payload = spans_request().SerializeToString()
    admission = {"max_concurrent_requests": 4, "max_queued_requests": 4, "queue_timeout": "300ms"}

    async def body():
        async with running({s: held for s in Signal}, config(admission)) as (receiver, _):
            async def timed():
                started = time.monotonic()
                try:
                    await call(receiver.grpc_port, TRACES, payload)
                    return "ok", time.monotonic() - started, None
                except grpc.aio.AioRpcError as error:
                    return error.code(), time.monotonic() - started, error

            admitted = [asyncio.create_task(timed()) for _ in range(4)]
            await _until(lambda: held.waiting == 4)
            results = await asyncio.gather(*(timed() for _ in range(40)))
            assert all(code == grpc.StatusCode.RESOURCE_EXHAUSTED for code, _, _ in results)
            assert max(elapsed for _, elapsed, _ in results) < 1.0
            assert all(retry_delay(error) >= 1 for _, _, error in results)
            held.drain.set()
            assert [code for code, _, _ in await asyncio.gather(*admitted)] == ["ok"] * 4
            await call(receiver.grpc_port, TRACES, payload)
            assert len(held.requests(Signal.TRACES)) == 5

    run(body())


def test_memory_above_the_limiters_soft_limit_refuses_before_reading_and_recovers_at_once():
    used = [10 * MIB]
    gate = MemoryGate(measure=lambda: used[0])
    gate.add_limits(80 * MIB, 100 * MIB, check_interval=2.0)
    settings = Settings(ComponentID("otlp"), Kind.RECEIVER, __import__("logging").getLogger("t"), Telemetry(),
                        shared={SHARED_NAME: gate})
    payload = spans_request().SerializeToString()

    async def body():
        async with running(config=config({}), settings=settings) as (receiver, sink):
            await call(receiver.grpc_port, TRACES, payload)
            used[0] = 90 * MIB
            await asyncio.sleep(0.02)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call(receiver.grpc_port, TRACES, payload)
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and retry_delay(refused.value) == 2.0
            status, headers, _ = await post(receiver.http_port, payload, PB)
            assert (status, headers["Retry-After"]) == (429, "2")
            used[0] = 10 * MIB
            recovered = time.monotonic()
            await _until(lambda: not gate.above())
            await call(receiver.grpc_port, TRACES, payload)
            assert time.monotonic() - recovered < 0.5
            assert len(sink.requests(Signal.TRACES)) == 2

    run(body())


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
        return True
    except (socket.timeout, TimeoutError):
        return False
    except ConnectionResetError:
        return True


def test_idle_and_slowloris_connections_are_closed_and_a_slow_body_gets_408():
    async def body():
        async with running(config=config({}, idle_timeout="500ms", read_timeout="500ms")) as (receiver, _):
            port = receiver.http_port
            idle = socket.create_connection(("127.0.0.1", port))
            slow_headers = socket.create_connection(("127.0.0.1", port))
            slow_headers.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\n")
            slow_body = socket.create_connection(("127.0.0.1", port))
            slow_body.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                              b"Content-Length: 1000\r\n\r\n" + b"\0" * 10)
            loop = asyncio.get_running_loop()
            started = time.monotonic()
            closed = await asyncio.gather(*(loop.run_in_executor(None, _closed_within, s, 5.0)
                                            for s in (idle, slow_headers)))
            assert closed == [True, True] and time.monotonic() - started < 3.0
            slow_body.settimeout(5.0)
            answer = await loop.run_in_executor(None, slow_body.recv, 4096)
            assert answer.startswith(b"HTTP/1.1 408")
            for s in (idle, slow_headers, slow_body):
                s.close()
            status, _, _ = await post(port, spans_request().SerializeToString(), PB)
            assert status == 200

    run(body())
