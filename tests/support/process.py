"""Runs scrubber as a real process for end-to-end tests: free loopback ports, a config
written to a temp dir, readiness through the health endpoint, SIGTERM (or SIGKILL) to stop."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

#: ports handed out in this test process: never twice, even if the first taker has not bound it yet
_handed_out: set[int] = set()
_pick = random.Random()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A loopback port free now, below the kernel's ephemeral range, never handed out before here.

    Why not `bind(0)`: that port is ephemeral, and between this check and the server's bind any
    outgoing connection of the test run (gRPC clients, HTTP probes) may take it as its source port:
    CI once saw "address already in use" for such a port. Outgoing connections never use ports
    below the range, so only another listener could take this one."""
    high = _ephemeral_low()
    low = max(1024, high - 12_000)
    for _ in range(200):
        port = _pick.randrange(low, high)
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket() as sock:  # the range is crowded: what the kernel gives
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ScrubberProcess:
    """`python -m scrubber run --config <file>`; use as a context manager."""

    def __init__(self, config: dict | str | Path, workdir: Path, env: dict[str, str] | None = None):
        self.workdir = Path(workdir)
        self.health_port = free_port()
        self.metrics_port = free_port()
        if isinstance(config, dict):
            config = self._with_telemetry(config)
            path = self.workdir / "scrubber.yaml"
            path.write_text(yaml.safe_dump(config))
            self.config_path = path
        else:
            self.config_path = Path(config)
        self.env = {**os.environ, "SCRUBBER_HEALTH_ENDPOINT": f"127.0.0.1:{self.health_port}",
                    "SCRUBBER_METRICS_ENDPOINT": f"127.0.0.1:{self.metrics_port}", **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.stderr_path = self.workdir / "scrubber.stderr"

    def _with_telemetry(self, config: dict) -> dict:
        config = json.loads(json.dumps(config))
        config.setdefault("extensions", {})["health_check"] = {"endpoint": "${env:SCRUBBER_HEALTH_ENDPOINT}"}
        service = config.setdefault("service", {})
        service["extensions"] = ["health_check"]
        service.setdefault("telemetry", {})["metrics"] = {"address": "${env:SCRUBBER_METRICS_ENDPOINT}"}
        return config

    def start(self, timeout: float = 60.0) -> "ScrubberProcess":
        if self.proc is not None and self.proc.poll() is None:
            # `with proc.start():` would start it twice (`__enter__` starts) and leak the first
            raise RuntimeError("scrubber is already running; use `with proc:` or `proc.start()`, not both")
        self.proc = subprocess.Popen([sys.executable, "-m", "scrubber", "run", "--config", str(self.config_path)],
                                     cwd=self.workdir, env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=self.stderr_path.open("wb"))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"scrubber exited with {self.proc.returncode}: {self.stderr()[-2000:]}")
            if self.ready():
                return self
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"scrubber not ready after {timeout}s: {self.stderr()[-2000:]}")

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/", timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as response:
            return response.read().decode()

    def metric(self, name: str, **labels: str) -> float:
        """Sum of the samples of `name` whose labels include `labels`."""
        from prometheus_client.parser import text_string_to_metric_families

        total = 0.0
        for family in text_string_to_metric_families(self.metrics()):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                    total += sample.value
        return total

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def __enter__(self) -> "ScrubberProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
