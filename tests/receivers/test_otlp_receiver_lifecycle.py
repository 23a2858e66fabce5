"""Lifecycle of the otlp receiver: registration, shutdown without start,
idempotent shutdown, and graceful drain of in-flight requests on both transports."""

from __future__ import annotations

import asyncio
from importlib.metadata import entry_points

import aiohttp
import grpc
import pytest

from scrubber.component import Kind
from scrubber.pdata import Signal
from scrubber.receivers.otlp.factory import factory
from tests.receivers import otlp_helpers
from tests.receivers.otlp_helpers import loopback_config, make_settings, run, spans_request

TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


class Slow:
    """A consumer that holds each request until released, to keep it in flight."""

    mutates_data = False

    def __init__(self):
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.done = 0

    async def consume(self, signal, request):
        self.entered.set()
        await self.release.wait()
        self.done += 1


def test_registered_as_entry_point():
    (entry_point,) = entry_points(group=Kind.RECEIVER.entry_point_group, name="otlp")
    assert entry_point.load() is factory


def test_shutdown_is_safe_without_start_and_idempotent():
    async def body():
        receiver = factory.create(make_settings(), loopback_config(), {Signal.TRACES: Slow()})
        await receiver.shutdown(1.0)
        await receiver.shutdown(1.0)
        started = factory.create(make_settings(), loopback_config(), {Signal.TRACES: Slow()})
        await started.start(None)
        port = started.http_port
        await started.shutdown(1.0)
        await started.shutdown(1.0)
        with pytest.raises(aiohttp.ClientConnectionError):
            async with aiohttp.ClientSession() as session:
                await session.post(f"http://127.0.0.1:{port}/v1/traces", data=b"")

    run(body())


async def _grpc_export(port: int) -> bytes:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        return await channel.unary_unary(TRACES)(spans_request().SerializeToString(), timeout=5)


async def _http_export(port: int) -> int:
    async with aiohttp.ClientSession() as session:
        headers = {"Content-Type": "application/x-protobuf"}
        url, body = f"http://127.0.0.1:{port}/v1/traces", spans_request().SerializeToString()
        async with session.post(url, data=body, headers=headers) as response:
            return response.status


@pytest.mark.parametrize("transport", ["grpc", "grpc-edge-process", "http"])
def test_shutdown_lets_in_flight_requests_finish(transport, monkeypatch):
    if transport == "grpc-edge-process":
        monkeypatch.setattr(otlp_helpers, "GRPC_EDGE", "process")
        transport = "grpc"

    async def body():
        consumer = Slow()
        receiver = factory.create(make_settings(), loopback_config(), {Signal.TRACES: consumer})
        await receiver.start(None)
        send = _grpc_export(receiver.grpc_port) if transport == "grpc" else _http_export(receiver.http_port)
        in_flight = asyncio.create_task(send)
        await asyncio.wait_for(consumer.entered.wait(), 5)
        stopping = asyncio.create_task(receiver.shutdown(5.0))
        await asyncio.sleep(0.2)
        assert not stopping.done()  # waiting for the in-flight request
        consumer.release.set()
        result = await in_flight
        await stopping
        assert consumer.done == 1
        assert result == (b"" if transport == "grpc" else 200)

    run(body())
