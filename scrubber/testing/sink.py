"""`python -m scrubber.testing.sink`: an OTLP backend as a separate process.

    python -m scrubber.testing.sink --port 0 --out received.jsonl [--http-port 0] [--count-only]

Serves OTLP/gRPC (and OTLP/HTTP with `--http-port`) on 127.0.0.1. Every
request received is appended to `--out` as one OTLP/JSON line (the format of
the Collector's file exporter); with `--count-only` nothing is kept, only item
and byte counts, which `GET /counts` on the HTTP port returns and which are
written to `--out` as one JSON object at exit. The first line on stdout is
`{"grpc": PORT, "http": PORT}` once serving, so a parent can use port 0.
Stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import threading
import urllib.request

from scrubber.testing.grpc_sink import GrpcSink
from scrubber.testing.http_sink import HttpSink


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scrubber.testing.sink", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="OTLP/gRPC port (0: any free port)")
    parser.add_argument("--http-port", type=int, default=None, help="also serve OTLP/HTTP on this port")
    parser.add_argument("--out", default=None, help="OTLP/JSON lines file (counts JSON with --count-only)")
    parser.add_argument("--count-only", action="store_true", help="keep no payload, count items and bytes")
    return parser.parse_args(argv)


def _counts_json(sinks) -> dict:
    total: dict = {"calls": {}, "items": {}, "bytes": {}}
    for sink in sinks:
        for key, values in sink.counts().items():
            for signal_, n in values.items():
                total[key][signal_.value] = total[key].get(signal_.value, 0) + n
    return total


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = open(args.out, "a", encoding="utf-8") if args.out and not args.count_only else None
    sinks: list[GrpcSink | HttpSink] = [GrpcSink(args.host, args.port, keep=False, out=out)]
    if args.http_port is not None:
        http_sink = HttpSink(args.host, args.http_port, keep=False, out=out)
        http_sink.counts_provider = lambda: _counts_json(sinks)
        sinks.append(http_sink)
    ports = {"grpc": sinks[0].start(), "http": sinks[1].start() if len(sinks) > 1 else None}
    print(json.dumps(ports), flush=True)
    done = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: done.set())
    while not done.wait(0.2):
        pass
    for sink in sinks:
        sink.stop()
    counts = _counts_json(sinks)
    print(json.dumps(counts), flush=True)
    if args.count_only and args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            json.dump(counts, handle)
    if out is not None:
        out.close()
    return 0


class SinkProcess:
    """Runs this module as a child process: `with SinkProcess(out=..., count_only=True) as sink:`.
    `grpc_port` / `http_port` are the bound ports; `counts()` asks the running sink
    (needs `http=True`); `stop()` returns the final counts."""

    def __init__(self, out: str | None = None, count_only: bool = False, http: bool = False, port: int = 0):
        self.args = [sys.executable, "-m", "scrubber.testing.sink", "--port", str(port)]
        if out:
            self.args += ["--out", out]
        if count_only:
            self.args.append("--count-only")
        if http:
            self.args += ["--http-port", "0"]
        self.process: subprocess.Popen | None = None
        self.grpc_port = self.http_port = None

    def start(self) -> "SinkProcess":
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None  # stdout=PIPE
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the sink process exited with {self.process.wait()}")
        ports = json.loads(line)
        self.grpc_port, self.http_port = ports["grpc"], ports["http"]
        return self

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def counts(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/counts", timeout=5) as response:
            return json.loads(response.read())

    def stop(self, timeout: float = 10.0) -> dict:
        if self.process is None:
            return {}
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=timeout)
        self.process = None
        lines = out.strip().splitlines()
        return json.loads(lines[-1]) if lines else {}

    def __enter__(self) -> "SinkProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    sys.exit(main())
