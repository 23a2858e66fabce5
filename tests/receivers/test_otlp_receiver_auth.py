"""Receiver auth with the `bearertokenauth` extension: the SDK's exporters with the
right `authorization` header deliver; a wrong or missing token gets
UNAUTHENTICATED / 401 (with `WWW-Authenticate`), reaches nothing, is counted,
and neither token ever shows up in the logs."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GRPCSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPSpanExporter

from scrubber.component import ComponentID, Kind, Settings
from scrubber.config.loader import parse_config
from scrubber.errors import ConfigError
from scrubber.extensions.bearertokenauth import BearerTokenAuthConfig
from scrubber.extensions.bearertokenauth import factory as auth_factory
from scrubber.pdata import Signal
from scrubber.receivers.otlp.config import OTLPReceiverConfig
from scrubber.service.graph import Graph
from scrubber.service.telemetry import Telemetry
from tests.receivers.otlp_helpers import EXPECTED, make_settings, run, running, sdk_spans, spans_request

TOKEN = "tok-3f9a1c77e2b04d51"
WRONG = "tok-wrong-8d2e55aa01"
TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
AUTH_ID = ComponentID("bearertokenauth")


class Host:
    """Just enough of the service host: the running extensions by id."""

    def __init__(self, extensions):
        self.extensions = extensions

    def extension(self, component_id):
        return self.extensions.get(component_id)


def auth_config() -> OTLPReceiverConfig:
    auth = {"authenticator": "bearertokenauth"}
    return OTLPReceiverConfig.model_validate({"protocols": {"grpc": {"endpoint": "127.0.0.1:0", "auth": auth},
                                                            "http": {"endpoint": "127.0.0.1:0", "auth": auth}}})


@contextlib.asynccontextmanager
async def authenticated(settings: Settings | None = None, config: OTLPReceiverConfig | None = None):
    """A started receiver (`config`, by default both protocols behind bearertokenauth) whose
    host runs the bearertokenauth extension with TOKEN, and the consumer it feeds."""
    settings = settings or make_settings()
    extension_settings = Settings(AUTH_ID, Kind.EXTENSION, logging.getLogger("t.auth"), settings.telemetry)
    extension = auth_factory.create(extension_settings, BearerTokenAuthConfig(token=TOKEN))
    host = Host({AUTH_ID: extension})
    await extension.start(host)
    from scrubber.consumer import SinkConsumer
    from scrubber.receivers.otlp.factory import factory
    sink = SinkConsumer()
    receiver = factory.create(settings, config or auth_config(), {signal: sink for signal in Signal})
    await receiver.start(host)
    try:
        yield receiver, sink
    finally:
        await receiver.shutdown(2.0)
        await extension.shutdown(1.0)


def _export(exporter, data):
    try:
        return exporter.export(data)
    finally:
        exporter.shutdown()


def sdk_exporter(transport: str, port: int, token: str | None):
    headers = {"authorization": f"Bearer {token}"} if token else None
    if transport == "grpc":
        return GRPCSpanExporter(endpoint=f"127.0.0.1:{port}", insecure=True, timeout=3, headers=headers)
    return HTTPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces", timeout=3, headers=headers)


def refused(settings: Settings, transport: str) -> float:
    return settings.telemetry.value("receiver_refused_requests_total",
                                    {"receiver": "otlp", "transport": transport, "reason": "unauthenticated"})


@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_sdk_exporter_with_the_token_delivers_and_others_are_refused(transport, caplog):
    caplog.set_level(logging.DEBUG)
    spans = sdk_spans()
    settings = make_settings()

    async def body():
        async with authenticated(settings) as (receiver, sink):
            port = receiver.grpc_port if transport == "grpc" else receiver.http_port
            for token in (WRONG, None):
                result = await asyncio.to_thread(_export, sdk_exporter(transport, port, token), spans)
                assert result.name == "FAILURE"
            assert sink.requests(Signal.TRACES) == []
            assert refused(settings, transport) == 2
            result = await asyncio.to_thread(_export, sdk_exporter(transport, port, TOKEN), spans)
            assert result.name == "SUCCESS"
            assert sink.requests(Signal.TRACES) == [EXPECTED[Signal.TRACES](spans)]
            assert refused(settings, transport) == 2

    run(body())
    assert TOKEN not in caplog.text and WRONG not in caplog.text


async def grpc_call(port: int, metadata) -> grpc.StatusCode:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        try:
            await channel.unary_unary(TRACES)(spans_request().SerializeToString(), timeout=3, metadata=metadata)
        except grpc.aio.AioRpcError as error:
            return error.code()
    return grpc.StatusCode.OK


@pytest.mark.parametrize("metadata, code", [
    ((), grpc.StatusCode.UNAUTHENTICATED),
    ((("authorization", f"Bearer {WRONG}"),), grpc.StatusCode.UNAUTHENTICATED),
    ((("authorization", TOKEN),), grpc.StatusCode.UNAUTHENTICATED),  # scheme missing
    ((("authorization", f"Basic {TOKEN}"),), grpc.StatusCode.UNAUTHENTICATED),
    ((("authorization", f"Bearer {TOKEN}x"),), grpc.StatusCode.UNAUTHENTICATED),
    ((("authorization", f"Bearer {TOKEN}"),), grpc.StatusCode.OK),
])
def test_grpc_status_codes(metadata, code, caplog):
    caplog.set_level(logging.DEBUG)

    async def body():
        async with authenticated() as (receiver, sink):
            assert await grpc_call(receiver.grpc_port, metadata) == code
            assert len(sink.requests(Signal.TRACES)) == (1 if code == grpc.StatusCode.OK else 0)

    run(body())
    assert TOKEN not in caplog.text and WRONG not in caplog.text


@pytest.mark.parametrize("headers, status", [
    ({}, 401),
    ({"Authorization": f"Bearer {WRONG}"}, 401),
    ({"Authorization": f"bearer {TOKEN}"}, 401),  # the scheme is compared exactly, as in the Collector
    ({"Authorization": f"Bearer {TOKEN}"}, 200),
])
def test_http_status_and_challenge(headers, status, caplog):
    caplog.set_level(logging.DEBUG)

    async def body():
        async with authenticated() as (receiver, sink):
            async with aiohttp.ClientSession() as session:
                # auth comes first: even a request that is wrong in other ways gets 401, not 405 / 415
                async with session.get(f"http://127.0.0.1:{receiver.http_port}/v1/traces", headers=headers) as response:
                    assert response.status == (401 if status == 401 else 405)
                async with session.post(f"http://127.0.0.1:{receiver.http_port}/v1/traces",
                                        data=spans_request().SerializeToString(),
                                        headers={"Content-Type": "application/x-protobuf", **headers}) as response:
                    assert response.status == status
                    text = await response.text()
                    if status == 401:
                        assert response.headers["WWW-Authenticate"].startswith("Bearer")
                        assert TOKEN not in text and WRONG not in text
            assert len(sink.requests(Signal.TRACES)) == (1 if status == 200 else 0)

    run(body())
    assert TOKEN not in caplog.text and WRONG not in caplog.text


def test_start_fails_clearly_without_the_extension():
    async def body():
        async with running(config=auth_config()):
            pass

    with pytest.raises(ConfigError, match=r"receivers::otlp::protocols::grpc::auth::authenticator: extension "
                                           r"'bearertokenauth' is not running"):
        run(body())


def service_config(extensions=None, listed=None, environ=None):
    data = {"receivers": {"otlp": {"protocols": {"http": {"endpoint": "127.0.0.1:0",
                                                          "auth": {"authenticator": "bearertokenauth"}}}}},
            "exporters": {"debug": None},
            "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["debug"]}}}}
    if extensions is not None:
        data["extensions"] = extensions
    if listed is not None:
        data["service"]["extensions"] = listed
    return parse_config(data, environ=environ or {})


def test_config_check_names_the_authenticator_path():
    from scrubber.errors import ConfigError
    path = "receivers::otlp::protocols::http::auth::authenticator"
    with pytest.raises(ConfigError) as info:
        service_config()
    assert info.value.errors == [f"{path}: references extension 'bearertokenauth', which is not configured under extensions"]
    with pytest.raises(ConfigError) as info:
        service_config({"bearertokenauth": {"token": "${env:OTLP_TOKEN}"}}, [], {"OTLP_TOKEN": TOKEN})
    assert info.value.errors == [f"{path}: extension 'bearertokenauth' is not listed in service::extensions"]
    assert TOKEN not in str(info.value)


def test_through_the_service_graph_with_the_token_from_env(caplog):
    """The real loader, host and start order: the extension starts before the receiver asks for it."""
    caplog.set_level(logging.DEBUG)
    config = service_config({"bearertokenauth": {"token": "${env:OTLP_TOKEN}"}}, ["bearertokenauth"],
                            {"OTLP_TOKEN": TOKEN})
    assert TOKEN not in repr(config.components)

    async def body():
        graph = Graph(config, Telemetry())
        await graph.start()
        try:
            port = graph.receivers[ComponentID("otlp")].http_port
            url = f"http://127.0.0.1:{port}/v1/traces"
            async with aiohttp.ClientSession() as session:
                for token, status in ((WRONG, 401), (TOKEN, 200)):
                    async with session.post(url, data=spans_request().SerializeToString(), headers={
                            "Content-Type": "application/x-protobuf", "Authorization": f"Bearer {token}"}) as response:
                        assert response.status == status
        finally:
            await graph.shutdown(5.0)

    run(body())
    assert TOKEN not in caplog.text and WRONG not in caplog.text
