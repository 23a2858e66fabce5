"""An installed scrubber as a real process, and an app that sends it a span with the OTel SDK."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.support.process import free_port


def loopback_endpoints() -> dict[str, str]:
    """Free 127.0.0.1 ports for every endpoint the shipped configs take from the environment."""
    return {name: f"127.0.0.1:{free_port()}" for name in
            ("SCRUBBER_GRPC_ENDPOINT", "SCRUBBER_HTTP_ENDPOINT", "SCRUBBER_HEALTH_ENDPOINT", "SCRUBBER_METRICS_ENDPOINT")}


class Installed:
    """`command` (an installed `scrubber`) started in `cwd` with exactly `env`, nothing inherited."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str]):
        self.command, self.cwd, self.env = command, cwd, env
        self.stderr_path = cwd.parent / f"{cwd.name}.stderr"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Installed":
        self.proc = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.stderr_path.open("wb"))
        return self

    def wait_ready(self, timeout: float = 90.0) -> "Installed":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"scrubber exited with {self.proc.returncode}:\n{self.stderr()[-3000:]}")
            if self.healthy():
                return self
            time.sleep(0.1)
        raise AssertionError(f"scrubber not ready after {timeout}s:\n{self.stderr()[-3000:]}")

    def healthy(self) -> bool:
        try:
            url = f"http://{self.env['SCRUBBER_HEALTH_ENDPOINT']}/"
            with urllib.request.urlopen(url, timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self) -> "Installed":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def send_span(grpc_endpoint: str, region: str, name: str) -> None:
    """One span from an app in `region`, through the OTel SDK's own OTLP/gRPC exporter."""
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": "install-test", "cloud.region": region}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=grpc_endpoint, insecure=True, timeout=10)))
    with provider.get_tracer("install-test").start_as_current_span(name) as span:
        span.set_attribute("app.step", "checkout")
    provider.shutdown()


def span_names(path: Path) -> list[str]:
    """Span names in a file exporter's OTLP/JSON lines."""
    if not path.exists():
        return []
    names = []
    for line in path.read_text().splitlines():
        if line.strip():
            for resource in json.loads(line).get("resourceSpans", []):
                for scope in resource.get("scopeSpans", []):
                    names.extend(span["name"] for span in scope.get("spans", []))
    return names


def wait_for_span(path: Path, name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if name in span_names(path):
            return
        time.sleep(0.2)
    raise AssertionError(f"span {name!r} did not reach {path} within {timeout}s (found {span_names(path)})")
