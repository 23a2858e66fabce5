"""The real OpenTelemetry Collector as a process of the throughput benchmark (issue 14 item 5).

`build.py` builds it (cached under `.cache/collector/<release>/`); `Collector` runs it on one of
two configs, `passthrough.yaml` (otlp -> otlp) or `redaction.yaml` (contrib's redaction processor
configured for personal data as its README recommends), in front of the benchmark's sink.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODES = ("passthrough", "redaction")


class Collector:
    """`otelcol-bench --config <mode>.yaml rendered with fresh loopback ports>`, as a separate process."""

    def __init__(self, binary: Path, workdir: Path, mode: str, sink: str, grpc_port: int):
        if mode not in MODES:
            raise ValueError(f"unknown Collector mode {mode!r}; known: {', '.join(MODES)}")
        self.grpc = f"127.0.0.1:{grpc_port}"
        config = (HERE / f"{mode}.yaml").read_text().format(grpc=self.grpc, sink=sink)
        self.config_path = workdir / f"otelcol-{mode}.yaml"
        self.config_path.write_text(config)
        self.log = open(workdir / f"otelcol-{mode}.log", "w")
        env = {"REDACTION_SECRET_KEY": secrets.token_hex(32), "PATH": "/usr/bin:/bin", "GOMAXPROCS": ""}
        env = {k: v for k, v in env.items() if v}
        self.proc = subprocess.Popen([str(binary), "--config", str(self.config_path)], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env)

    def wait_ready(self, timeout: float = 30.0) -> float:
        """Seconds until the OTLP/gRPC port accepts connections."""
        began = time.monotonic()
        host, port = self.grpc.rsplit(":", 1)
        while time.monotonic() - began < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Collector exited with {self.proc.returncode}; see {self.log.name}")
            try:
                with socket.create_connection((host, int(port)), timeout=0.5):
                    return time.monotonic() - began
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"the Collector did not listen within {timeout:.0f}s; see {self.log.name}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()
