"""The processes a benchmark run starts: the OTLP sink, scrubber, and a resource monitor.

scrubber runs as `python -m scrubber run --config <generated config>`; the sink as
`python -m scrubber.testing.sink --count-only`. The monitor samples CPU time and
RSS of scrubber's whole process tree (the main process and its detection workers)
with psutil, so the numbers include every core scrubber uses.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil

HERE = Path(__file__).parent
PYTHON = sys.executable
FEDERATED = HERE.parents[1] / "config" / "federated.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """`scrubber.testing.sink` in count-only mode, as a separate process."""

    def __init__(self):
        self.proc = subprocess.Popen([PYTHON, "-m", "scrubber.testing.sink", "--port", "0", "--http-port", "0",
                                      "--count-only"], stdout=subprocess.PIPE, text=True)
        ports = json.loads(self.proc.stdout.readline())
        self.grpc, self.http = f"127.0.0.1:{ports['grpc']}", ports["http"]

    def counts(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/counts", timeout=5) as response:
            return json.loads(response.read())

    def spans(self) -> int:
        return int(self.counts().get("items", {}).get("traces", 0))

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


_POOL_LINE = re.compile(r"^    pool: \{[^}\n]*\}\n", re.M)
_WHOLE_LINE = re.compile(r"^    whole_requests: [a-z_]+\n", re.M)
_PII_POOL = re.compile(r"^(  pii[^\n]*:\n(?:    #[^\n]*\n)*    pool: \{[^}\n]*\}\n)", re.M)


def federated_scope(config: str, scope: str) -> str:
    """`config/federated.yaml` with the pii work where `scope` says: `shipped` as it is; `texts`
    (detection only in the workers), `requests` (every request whole in the workers) or `auto`
    (whole in the workers only requests without content: `whole_requests: without_content`).
    Every user of the pool gets the same pool settings, so they still share one pool."""
    if scope == "shipped":
        return config
    config = _WHOLE_LINE.sub("", config)
    pool = "    pool: {}\n" if scope == "texts" else "    pool: {scope: requests}\n"
    config = _POOL_LINE.sub(pool, config)
    if scope == "auto":
        config = _PII_POOL.sub(r"\1    whole_requests: without_content\n", config)
    return config


class Scrubber:
    """scrubber on a config rendered from `config.yaml` with fresh ports and pool settings."""

    def __init__(self, workdir: Path, sink: str, workers: int, max_pending: int = 20_000,
                 template: Path = HERE / "config.yaml", scope: str = "texts", subjects: bool = False,
                 federated: bool = False):
        self.grpc = f"127.0.0.1:{free_port()}"
        self.health = free_port()
        self.metrics = free_port()
        self.log = open(workdir / "scrubber.log", "w")
        if federated:
            self._start_federated(workdir, sink, scope)
            return
        # subjects on: per-subject keys from a SQLite vault under the work dir (scrubber/subjects)
        block = (f"    subjects: {{vault: {{directory: {workdir / 'vault'}}}, receipts: {workdir / 'receipts.jsonl'}}}"
                 if subjects else "")
        whole = "    whole_requests: without_content" if scope == "auto" else ""
        pool_scope = "requests" if scope == "auto" else "texts" if scope == "shipped" else scope
        config = template.read_text().format(grpc=self.grpc, sink=sink, workers=workers, max_pending=max_pending,
                                             scope=pool_scope, whole=whole,
                                             health=self.health, metrics=self.metrics, subjects=block)
        self.config_path = workdir / "scrubber-bench.yaml"
        self.config_path.write_text(config)
        env = {**os.environ, "SCRUBBER_BENCH_KEY": secrets.token_hex(32)}
        self.proc = subprocess.Popen([PYTHON, "-m", "scrubber", "run", "--config", str(self.config_path)],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def _start_federated(self, workdir: Path, sink: str, scope: str) -> None:
        """The shipped `config/federated.yaml` as users run it: every regional and the global
        backend is the one sink; `scope` other than `shipped` rewrites where the pii work runs
        (`federated_scope`)."""
        config = federated_scope(FEDERATED.read_text(), scope)
        self.config_path = workdir / "scrubber-federated.yaml"
        self.config_path.write_text(config)
        env = {**os.environ, "SCRUBBER_GRPC_ENDPOINT": self.grpc, "SCRUBBER_HTTP_ENDPOINT": f"127.0.0.1:{free_port()}",
               "SCRUBBER_HEALTH_ENDPOINT": f"127.0.0.1:{self.health}",
               "SCRUBBER_METRICS_ENDPOINT": f"127.0.0.1:{self.metrics}",
               "SCRUBBER_QUARANTINE_DIR": str(workdir / "quarantine"), "SCRUBBER_GLOBAL_ENDPOINT": sink,
               **{f"SCRUBBER_REGIONAL_{j}_ENDPOINT": sink for j in ("EU", "IN", "US")},
               **{f"SCRUBBER_KEY_{j}": secrets.token_hex(32) for j in ("EU", "IN", "US")}}
        self.proc = subprocess.Popen([PYTHON, "-m", "scrubber", "run", "--config", str(self.config_path)],
                                     stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def wait_ready(self, timeout: float = 180.0) -> float:
        """Seconds until the health check answers 200 (detection workers loaded)."""
        began = time.monotonic()
        while time.monotonic() - began < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"scrubber exited with {self.proc.returncode}; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.health}/", timeout=1) as response:
                    if response.status == 200:
                        return time.monotonic() - began
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"scrubber not healthy after {timeout:.0f}s; see {self.log.name}")

    def metric(self, name: str) -> float:
        """Sum of every sample of `name` in scrubber's Prometheus exposition."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics}/metrics", timeout=5) as response:
            text = response.read().decode()
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith(name) and (line[len(name)] in " {"))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


class Monitor(threading.Thread):
    """Samples CPU seconds and RSS of a process tree every `interval` seconds."""

    def __init__(self, pid: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_rss = 0
        self._dead_cpu = 0.0  # CPU of children that exited (replaced workers)
        self._last: dict[int, float] = {}
        self._halt = threading.Event()
        #: (time, cpu seconds of the tree, rss of the tree, cpu seconds of the main process)
        self.samples: list[tuple[float, float, int, float]] = []

    def tree(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def sample(self) -> tuple[float, int, float]:
        cpu, rss, seen = 0.0, 0, {}
        for proc in self.tree():
            try:
                times, mem = proc.cpu_times(), proc.memory_info()
            except psutil.NoSuchProcess:
                continue
            seen[proc.pid] = times.user + times.system
            rss += mem.rss
        self._dead_cpu += sum(v for pid, v in self._last.items() if pid not in seen)
        self._last = seen
        cpu = self._dead_cpu + sum(seen.values())
        self.peak_rss = max(self.peak_rss, rss)
        return cpu, rss, seen.get(self.root.pid, 0.0)

    def run(self) -> None:
        while not self._halt.is_set():
            cpu, rss, main = self.sample()
            self.samples.append((time.monotonic(), cpu, rss, main))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()

    def window(self, began: float, ended: float) -> dict:
        """CPU (cores used on average: the tree, and the main process alone; the rest is the
        workers') and peak RSS between two monotonic times."""
        inside = [s for s in self.samples if began <= s[0] <= ended]
        if len(inside) < 2:
            return {"cpu_cores": 0.0, "cpu_main_cores": 0.0, "peak_rss_mib": 0.0}
        seconds = inside[-1][0] - inside[0][0]
        cpu = (inside[-1][1] - inside[0][1]) / seconds
        main = (inside[-1][3] - inside[0][3]) / seconds
        return {"cpu_cores": cpu, "cpu_main_cores": main, "peak_rss_mib": max(s[2] for s in inside) / 2**20}
