"""Build the real OpenTelemetry Collector for the benchmark, once, from the Go module proxy.

    .venv/bin/python -m benchmarks.collector.build [--release v0.161.0]

Runs the OpenTelemetry Collector Builder (`go.opentelemetry.io/collector/cmd/builder`, same
release) on `builder.yaml`: core otlpreceiver, batchprocessor, otlpexporter and contrib's
redactionprocessor. The binary lands in `.cache/collector/<release>/otelcol-bench`
(gitignored) and is reused while it exists; it is never committed. Prints the binary's path.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RELEASE = "v0.161.0"


def binary_path(release: str = RELEASE) -> Path:
    return REPO / ".cache" / "collector" / release / "otelcol-bench"


def build(release: str = RELEASE, quiet: bool = False) -> Path:
    """The Collector binary of `release`, built first if it is not cached yet."""
    binary = binary_path(release)
    if binary.exists():
        return binary
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("the Go toolchain (go) is needed to build the reference Collector")
    out = binary.parent
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / "builder.yaml"
    manifest.write_text((HERE / "builder.yaml").read_text().replace("RELEASE", release)
                        .replace("OUTPUT_PATH", str(out)))
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false"}
    command = [go, "run", f"go.opentelemetry.io/collector/cmd/builder@{release}", "--config", str(manifest)]
    done = subprocess.run(command, cwd=out, env=env, capture_output=quiet, text=True, timeout=3600)
    if done.returncode != 0 or not binary.exists():
        tail = (done.stderr or "")[-3000:] if quiet else ""
        raise RuntimeError(f"building the Collector {release} failed (exit {done.returncode}) {tail}")
    return binary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.collector.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", default=RELEASE)
    args = parser.parse_args(argv)
    print(build(args.release))
    return 0


if __name__ == "__main__":
    sys.exit(main())
