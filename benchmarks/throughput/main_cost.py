"""Main-process CPU per plain span, end to end, of two source trees side by side (A/B).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.throughput.main_cost --ref /tmp/ref [--rounds 5]

`routing_cost.py` times the stamp, the router and the aggregates in one process; nothing
else times the whole path a plain request takes through the main process (OTLP/gRPC
receive and validation, the pii processor's content check, the hand-off to a pool worker
and back, stamp, router, aggregates, the exports to the sink). This starts one count-only
sink and two scrubbers on `config/federated.yaml` (IN workload, as `benchmarks.throughput
--config federated`), one running the tree under `--ref` and one this checkout, and loads
them in turn, alternating which goes first, with the same closed loop (`--loadgens`
processes x `--concurrency` calls in flight, the plain workload's prebuilt requests). Per
round it reads the CPU seconds (user + system) of each scrubber's main process, of its gRPC
edge process and of its pool workers over the phase, and reports microseconds per accepted
span; the best round of each side is the figure (other load on the machine only adds).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from benchmarks.throughput import loadgen
from benchmarks.throughput.procs import PYTHON, Scrubber, Sink
from benchmarks.throughput.workloads import generate

HERE = Path(__file__).resolve().parents[2]


def _loadgen_main(seed: int, n_requests: int, concurrency: int, commands, results) -> None:
    """A load generator kept for the whole run: builds its requests once, then drives each phase."""
    batches = [loadgen.stamp(b, "in") for b in generate("plain", n_requests, 100, seed)]
    results.put("ready")
    while True:
        command = commands.get()
        if command is None:
            return
        target, seconds = command
        plan = loadgen.Plan(target, "plain", seed, n_requests, 100, seconds, None, concurrency, "in")
        results.put(asyncio.run(loadgen._drive(plan, batches)))


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


class Side:
    """One scrubber on one source tree (`PYTHONPATH`), started from a neutral directory."""

    def __init__(self, name: str, tree: Path, workdir: Path, sink: str):
        self.name, self.tree = name, tree
        workdir.mkdir()
        saved = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = str(tree)
        try:
            self.scrubber = Scrubber(workdir, sink, 0, federated=True, scope="shipped")
        finally:
            if saved is None:
                os.environ.pop("PYTHONPATH")
            else:
                os.environ["PYTHONPATH"] = saved
        self.rounds: list[dict] = []

    def processes(self) -> tuple[psutil.Process, list[psutil.Process]]:
        main = psutil.Process(self.scrubber.proc.pid)
        return main, main.children(recursive=True)

    def snapshot(self) -> dict[str, float]:
        """CPU seconds of the main process, the edge process and the pool workers."""
        main, children = self.processes()
        out = {"main": _cpu(main), "edge": 0.0, "workers": 0.0}
        for child in children:
            try:
                kind = "edge" if "edge" in " ".join(child.cmdline()) else "workers"
                out[kind] += _cpu(child)
            except psutil.NoSuchProcess:
                pass
        return out


def _imported_from(tree: Path, cwd: str) -> str:
    code = "import scrubber, os; print(os.path.dirname(os.path.dirname(scrubber.__file__)))"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run([PYTHON, "-c", code], env=env, cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def _phase(side: Side, seconds: float, commands, results, gens: int) -> dict:
    before = side.snapshot()
    for queue in commands:
        queue.put((side.scrubber.grpc, seconds))
    parts = [results.get(timeout=seconds + 120) for _ in range(gens)]
    time.sleep(0.3)  # the last exports leave after the last answers
    after = side.snapshot()
    spans = sum(p["ok_spans"] for p in parts)
    codes: dict[str, int] = {}
    for p in parts:
        for code, n in p["codes"].items():
            codes[code] = codes.get(code, 0) + n
    cost = {k: (after[k] - before[k]) / max(spans, 1) * 1e6 for k in after}
    return {"spans": spans, "spans_per_s": spans / seconds, "codes": codes, **{f"{k}_us": v for k, v in cost.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput.main_cost", description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", type=Path, required=True, help="the BEFORE source tree (a git worktree)")
    parser.add_argument("--new", type=Path, default=HERE, help="the AFTER source tree (default: this checkout)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=8.0, help="load per side per round")
    parser.add_argument("--loadgens", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="calls in flight per load generator")
    args = parser.parse_args(argv)
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="main-cost-") as tmp:
        os.chdir(tmp)  # `python -m` puts the working directory first on sys.path: not a checkout
        for tree in (args.ref, args.new):
            found = _imported_from(tree, tmp)
            if Path(found).resolve() != tree.resolve():
                raise SystemExit(f"PYTHONPATH={tree} imports scrubber from {found}")
        sink = Sink()
        sides = [Side("before", args.ref, Path(tmp) / "before", sink.grpc),
                 Side("after", args.new, Path(tmp) / "after", sink.grpc)]
        commands = [context.Queue() for _ in range(args.loadgens)]
        results = context.Queue()
        gens = [context.Process(target=_loadgen_main, args=(7 + i, 200, args.concurrency, commands[i], results))
                for i in range(args.loadgens)]
        try:
            for side in sides:
                side.scrubber.wait_ready()
            for gen in gens:
                gen.start()
            for _ in gens:
                results.get(timeout=300)
            for side in sides:  # warm up: caches, channels, the first requests' plans
                _phase(side, 2.0, commands, results, len(gens))
            for r in range(args.rounds):
                for side in (sides if r % 2 == 0 else sides[::-1]):
                    row = _phase(side, args.seconds, commands, results, len(gens))
                    side.rounds.append(row)
                    print(f"round {r} {side.name:6s} {row['spans_per_s']:8.0f} spans/s  main {row['main_us']:6.1f} us/span  "
                          f"edge {row['edge_us']:5.1f}  workers {row['workers_us']:6.1f}  {row['codes']}", flush=True)
            print()
            ratios = sorted(a["main_us"] / b["main_us"] for b, a in zip(sides[0].rounds, sides[1].rounds))
            print(f"after / before, main CPU per span, paired by round: median {ratios[len(ratios) // 2]:.3f} "
                  f"(range {ratios[0]:.3f} .. {ratios[-1]:.3f})")
            for side in sides:
                best = min(side.rounds, key=lambda row: row["main_us"])
                median = sorted(row["main_us"] for row in side.rounds)[len(side.rounds) // 2]
                print(f"{side.name:6s} main best {best['main_us']:.1f} us/span (median {median:.1f}), edge "
                      f"{min(r['edge_us'] for r in side.rounds):.1f}, workers {min(r['workers_us'] for r in side.rounds):.1f}")
        finally:
            for queue in commands:
                queue.put(None)
            for gen in gens:
                gen.join(10)
            for side in sides:
                side.scrubber.stop()
            sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
