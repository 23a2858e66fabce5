"""Shared pieces of the parity tests: the five configs written from the Collector's docs,
the environment they reference (free loopback ports), real backends, the OTel SDK as client."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.process import ScrubberProcess, free_port
from tests.support.tls import self_signed_localhost

CONFIGS = Path(__file__).parent / "configs"


def base_env(backend_grpc: str = "127.0.0.1:1") -> dict[str, str]:
    return {"OTLP_GRPC_ENDPOINT": f"127.0.0.1:{free_port()}", "OTLP_HTTP_ENDPOINT": f"127.0.0.1:{free_port()}",
            "BACKEND_GRPC_ENDPOINT": backend_grpc}


def scrubber(name: str, workdir: Path, env: dict[str, str]) -> ScrubberProcess:
    """A real scrubber process on `configs/<name>.yaml` (as written, not rewritten)."""
    return ScrubberProcess(CONFIGS / f"{name}.yaml", workdir, env=env)


def validate(name: str, env: dict[str, str], cwd: Path | None = None, *extra: str):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "scrubber", "validate", "--config", str(CONFIGS / f"{name}.yaml"), *extra],
                          env={**os.environ, "SCRUBBER_HEALTH_ENDPOINT": "127.0.0.1:1",
                               "SCRUBBER_METRICS_ENDPOINT": "127.0.0.1:2", **env},
                          cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """A self-signed CA certificate for localhost / 127.0.0.1: (cert path, key path, cert PEM, key PEM)."""
    pytest.importorskip("cryptography.x509")
    return self_signed_localhost(tmp_path_factory.mktemp("tls"))


def sdk_exporter(endpoint: str):
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=endpoint, insecure=True, timeout=10)


def finished_spans(names: list[str], attributes: dict | None = None):
    """Real SDK spans (ended), one per name."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider(resource=Resource.create({"service.name": "parity"}))
    tracer = provider.get_tracer("parity")
    spans = []
    for name in names:
        with tracer.start_as_current_span(name, attributes=attributes or {}) as span:
            pass
        spans.append(span)
    return spans
