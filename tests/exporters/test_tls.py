"""TLS: the otlp and otlphttp exporters verify the backend with `tls.ca_file`."""

from __future__ import annotations

import asyncio
import ssl

import pytest

from scrubber.errors import RetryableError
from scrubber.exporters.otlp.config import OTLPExporterConfig
from scrubber.exporters.otlp.factory import create_exporter as create_grpc
from scrubber.exporters.otlphttp.config import OTLPHTTPExporterConfig
from scrubber.exporters.otlphttp.factory import create_exporter as create_http
from scrubber.pdata import Signal
from scrubber.testing import GrpcSink, HttpSink
from scrubber.testing.data import markers, synthetic_request
from tests.exporters.conftest import make_settings, value
from tests.support.tls import self_signed_localhost

pytest.importorskip("cryptography.x509")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost / 127.0.0.1: (cert path, key path, cert PEM, key PEM)."""
    return self_signed_localhost(tmp_path_factory.mktemp("tls"))


def deliver(exporter, sink, marker: str) -> None:
    async def scenario():
        await exporter.start(None)
        await exporter.consume(Signal.TRACES, synthetic_request(Signal.TRACES, 1, marker))
        await exporter.shutdown(2)

    asyncio.run(scenario())


def test_otlp_over_tls_with_ca_file(certificate):
    cert_path, _, cert_pem, key_pem = certificate
    with GrpcSink(tls=(cert_pem, key_pem)) as sink:
        config = OTLPExporterConfig(endpoint=f"localhost:{sink.port}", tls={"ca_file": cert_path},
                                    sending_queue={"enabled": False}, retry_on_failure={"enabled": False})
        deliver(create_grpc(make_settings("otlp/tls"), config), sink, "tls")
        assert markers(sink.requests[Signal.TRACES]) == ["tls"]


def test_otlp_refuses_a_backend_it_cannot_verify(certificate):
    _, _, cert_pem, key_pem = certificate
    with GrpcSink(tls=(cert_pem, key_pem)) as sink:
        settings = make_settings("otlp/untrusted")
        config = OTLPExporterConfig.model_validate({  # no ca_file: the system roots do not trust it
            "endpoint": f"localhost:{sink.port}", "sending_queue": {"enabled": False},
            "retry_on_failure": {"initial_interval": "50ms", "max_interval": "100ms", "max_elapsed_time": "300ms"}})
        with pytest.raises(RetryableError):
            deliver(create_grpc(settings, config), sink, "x")
        assert sink.requests[Signal.TRACES] == []
        assert value(settings, "exporter_send_failed_spans_total", reason="retries_exhausted") == 1


@pytest.mark.parametrize("tls", ["ca_file", "insecure_skip_verify"])
def test_otlphttp_over_https(certificate, tls):
    cert_path, key_path, _, _ = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    with HttpSink(ssl_context=context) as sink:
        tls_config = {"ca_file": cert_path} if tls == "ca_file" else {"insecure_skip_verify": True}
        config = OTLPHTTPExporterConfig(endpoint=sink.url, tls=tls_config, sending_queue={"enabled": False})
        deliver(create_http(make_settings("otlphttp/tls"), config), sink, tls)
        assert sink.url.startswith("https://") and markers(sink.requests[Signal.TRACES]) == [tls]
