"""Receiver TLS: the SDK's own exporters deliver over TLS and mTLS; plaintext
clients, clients without a certificate under mTLS and clients below
`min_version` are refused; config errors name their key path."""

from __future__ import annotations

import asyncio
import ssl

import aiohttp
import grpc
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GRPCSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HTTPSpanExporter

from scrubber.config.loader import component_config_errors, parse_config
from scrubber.errors import ConfigError
from scrubber.pdata import Signal
from scrubber.receivers.otlp.config import OTLPReceiverConfig
from tests.receivers.otlp_helpers import EXPECTED, run, running, sdk_spans, spans_request
from tests.receivers.tls_helpers import make_pki

TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


def tls_config(pki, mtls: bool = False, **extra) -> OTLPReceiverConfig:
    tls = {"cert_file": pki.server_cert, "key_file": pki.server_key, **extra}
    if mtls:
        tls["client_ca_file"] = pki.ca
    http_tls = dict(tls)
    grpc_tls = {k: v for k, v in tls.items() if k != "min_version"}
    return OTLPReceiverConfig.model_validate({"protocols": {
        "grpc": {"endpoint": "127.0.0.1:0", "tls": grpc_tls},
        "http": {"endpoint": "127.0.0.1:0", "tls": http_tls}}})


def _export(exporter, data):
    try:
        return exporter.export(data)
    finally:
        exporter.shutdown()


def grpc_exporter(pki, port: int, client_cert: bool = False):
    keys = {"private_key": pki.pem("client_key"), "certificate_chain": pki.pem("client_cert")} if client_cert else {}
    credentials = grpc.ssl_channel_credentials(root_certificates=pki.pem("ca"), **keys)
    return GRPCSpanExporter(endpoint=f"localhost:{port}", credentials=credentials, insecure=False, timeout=5)


def http_exporter(pki, port: int, client_cert: bool = False):
    keys = {"client_certificate_file": pki.client_cert, "client_key_file": pki.client_key} if client_cert else {}
    return HTTPSpanExporter(endpoint=f"https://localhost:{port}/v1/traces", certificate_file=pki.ca, timeout=5, **keys)


@pytest.mark.parametrize("mtls", [False, True], ids=["tls", "mtls"])
@pytest.mark.parametrize("transport", ["grpc", "http"])
def test_sdk_exporter_delivers_over_tls(pki, transport: str, mtls: bool, monkeypatch):
    # requests lets these variables override the SDK's `certificate_file` (its session.verify)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    spans = sdk_spans()

    async def body():
        async with running(config=tls_config(pki, mtls)) as (receiver, sink):
            make = grpc_exporter if transport == "grpc" else http_exporter
            port = receiver.grpc_port if transport == "grpc" else receiver.http_port
            result = await asyncio.to_thread(_export, make(pki, port, client_cert=mtls), spans)
            assert result.name == "SUCCESS"
            assert sink.requests(Signal.TRACES) == [EXPECTED[Signal.TRACES](spans)]

    run(body())


async def grpc_call(port: int, credentials=None) -> grpc.StatusCode:
    """One raw Export call; the status code it ends with."""
    target = f"localhost:{port}"
    channel = grpc.aio.secure_channel(target, credentials) if credentials else grpc.aio.insecure_channel(target)
    async with channel:
        call = channel.unary_unary(TRACES)
        try:
            await call(spans_request().SerializeToString(), timeout=3)
        except grpc.aio.AioRpcError as error:
            return error.code()
    return grpc.StatusCode.OK


async def http_call(port: int, scheme: str = "https", context: ssl.SSLContext | None = None) -> int:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as session:
        async with session.post(f"{scheme}://localhost:{port}/v1/traces", data=spans_request().SerializeToString(),
                                headers={"Content-Type": "application/x-protobuf"}, ssl=context) as response:
            return response.status


def client_context(pki, client_cert: bool = False, maximum: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=pki.ca)
    if client_cert:
        context.load_cert_chain(pki.client_cert, pki.client_key)
    if maximum:
        context.maximum_version = maximum
    return context


def test_plaintext_clients_are_refused(pki):
    async def body():
        async with running(config=tls_config(pki)) as (receiver, sink):
            assert await grpc_call(receiver.grpc_port) == grpc.StatusCode.UNAVAILABLE
            with pytest.raises(aiohttp.ClientError):
                await http_call(receiver.http_port, scheme="http")
            assert sink.requests(Signal.TRACES) == []

    run(body())


def test_mtls_refuses_a_client_without_certificate(pki):
    async def body():
        async with running(config=tls_config(pki, mtls=True)) as (receiver, sink):
            no_cert = grpc.ssl_channel_credentials(root_certificates=pki.pem("ca"))
            assert await grpc_call(receiver.grpc_port, no_cert) == grpc.StatusCode.UNAVAILABLE
            with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
                await http_call(receiver.http_port, context=client_context(pki))
            assert sink.requests(Signal.TRACES) == []
            # the same clients with a certificate signed by the CA get in
            with_cert = grpc.ssl_channel_credentials(pki.pem("ca"), pki.pem("client_key"), pki.pem("client_cert"))
            assert await grpc_call(receiver.grpc_port, with_cert) == grpc.StatusCode.OK
            assert await http_call(receiver.http_port, context=client_context(pki, client_cert=True)) == 200
            assert len(sink.requests(Signal.TRACES)) == 2

    run(body())


def test_mtls_refuses_a_certificate_from_another_ca(pki, tmp_path):
    other = make_pki(tmp_path)

    async def body():
        async with running(config=tls_config(pki, mtls=True)) as (receiver, sink):
            foreign = grpc.ssl_channel_credentials(pki.pem("ca"), other.pem("client_key"), other.pem("client_cert"))
            assert await grpc_call(receiver.grpc_port, foreign) == grpc.StatusCode.UNAVAILABLE
            context = client_context(pki)
            context.load_cert_chain(other.client_cert, other.client_key)
            with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
                await http_call(receiver.http_port, context=context)
            assert sink.requests(Signal.TRACES) == []

    run(body())


def test_http_min_version_13_refuses_tls12(pki):
    async def body():
        async with running(config=tls_config(pki, min_version="1.3")) as (receiver, sink):
            with pytest.raises((aiohttp.ClientError, ssl.SSLError)):
                await http_call(receiver.http_port, context=client_context(pki, maximum=ssl.TLSVersion.TLSv1_2))
            assert await http_call(receiver.http_port, context=client_context(pki)) == 200

    run(body())


PATH = "receivers::otlp"


@pytest.mark.parametrize("tls, message", [
    ({"cert_file": "c.pem"}, "cert_file and key_file must both be set for a TLS server (missing: key_file)"),
    ({"key_file": "k.pem"}, "cert_file and key_file must both be set for a TLS server (missing: cert_file)"),
    ({}, "missing: cert_file and key_file"),
    ({"cert_file": "c", "key_file": "k", "min_version": "1.1"}, "Input should be '1.2' or '1.3'"),
])
@pytest.mark.parametrize("protocol", ["grpc", "http"])
def test_tls_config_errors_name_their_path(protocol, tls, message):
    errors = component_config_errors(OTLPReceiverConfig, {"protocols": {protocol: {"tls": tls}}}, PATH)
    assert len(errors) == 1
    assert errors[0].startswith(f"{PATH}::protocols::{protocol}::tls")
    assert message in errors[0]


def test_grpc_cannot_promise_tls13():
    errors = component_config_errors(OTLPReceiverConfig, {"protocols": {"grpc": {"tls": {
        "cert_file": "c", "key_file": "k", "min_version": "1.3"}}}}, PATH)
    assert len(errors) == 1 and "tls::min_version: '1.3' cannot be enforced" in errors[0]


def test_missing_tls_files_are_deployment_errors_with_their_path(pki, tmp_path):
    missing = str(tmp_path / "absent.pem")
    data = {"receivers": {"otlp": {"protocols": {
                "grpc": {"tls": {"cert_file": pki.server_cert, "key_file": missing}},
                "http": {"tls": {"cert_file": pki.server_cert, "key_file": pki.server_key, "client_ca_file": missing}}}}},
            "exporters": {"debug": None},
            "service": {"pipelines": {"traces": {"receivers": ["otlp"], "exporters": ["debug"]}}}}
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    assert info.value.errors == [
        f"receivers::otlp::protocols::grpc::tls::key_file: file {missing!r} does not exist",
        f"receivers::otlp::protocols::http::tls::client_ca_file: file {missing!r} does not exist",
    ]


def test_a_key_that_does_not_match_fails_the_start_clearly(pki, tmp_path):
    other = make_pki(tmp_path)
    for protocol in ("grpc", "http"):
        config = OTLPReceiverConfig.model_validate({"protocols": {protocol: {
            "endpoint": "127.0.0.1:0", "tls": {"cert_file": pki.server_cert, "key_file": other.server_key}}}})

        async def body(config=config):
            async with running(config=config):
                pass

        with pytest.raises(OSError, match="cannot load the TLS certificate"):
            run(body())
