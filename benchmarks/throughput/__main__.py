"""`python -m benchmarks.throughput`: scrubber end to end over OTLP/gRPC, against two references.

    .venv/bin/python -m benchmarks.throughput [--duration 20] [--quick] [--workloads plain,genai-chat]

Starts a count-only OTLP sink process and scrubber (`python -m scrubber run`, pii
processor with the detection pool), then per workload:
1. `max`: closed loop from `--loadgens` processes (`--concurrency` calls in flight
   each) for `--duration` s: accepted spans/s and MB/s, CPU and peak RSS of
   scrubber's process tree;
2. `half`: open loop at half the max request rate for duration/2: export latency;
3. `direct`: the same open loop straight to the sink: the latency scrubber adds is
   (half) - (direct), per percentile;
and the references on the same spans: the naive baseline (Presidio on every string
attribute value, one process) and the transport floor (parse, walk, re-serialize,
one process per core). Prints a table, writes results/throughput.json and .png.
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.throughput import loadgen, references, report, world
from benchmarks.throughput.procs import Monitor, Scrubber, Sink, free_port
from benchmarks.throughput.workloads import WORKLOADS

RESULTS = Path(__file__).resolve().parents[1] / "results"
SPANS_PER_REQUEST = {"plain": 100, "genai-chat": 10, "genai-unique": 10, **world.SPANS_PER_REQUEST}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of the max-rate phase per workload")
    parser.add_argument("--warm-seconds", type=float, default=8.0,
                        help="seconds of other conversations of the same app (same system prompts and RAG pool, other "
                             "users: the workload at another seed) sent at max rate before the timed phases, so they "
                             "measure a scrubber that has run a while, not one started for the benchmark; 0: cold")
    parser.add_argument("--quick", action="store_true", help="smoke run: short phases, small request sets")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated, of: {', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--workers", type=int, default=0, help="detection workers (0: one per core)")
    parser.add_argument("--pii-scope", choices=("shipped", "texts", "requests", "auto"), default="shipped",
                        help="where the pii work runs: shipped (as the config says; bench: texts), texts (detection "
                             "only in the workers), requests (every request scrubbed whole in the workers) or auto "
                             "(whole in the workers only requests without content: whole_requests: without_content)")
    parser.add_argument("--config", choices=("bench", "federated"), default="bench",
                        help="bench: one pii pipeline (throughput/config.yaml); federated: the shipped "
                             "config/federated.yaml (residency, router, pii/in, aggregates, egress guard), every "
                             "backend the sink, items stamped with --jurisdiction")
    parser.add_argument("--jurisdiction", default="in",
                        help="with --config federated: residency.jurisdiction of every resource (in: regional "
                             "pseudonymized, every span scrubbed)")
    parser.add_argument("--subjects", choices=("off", "on", "both"), default="off",
                        help="per-subject pseudonym keys (SQLite vault): off, on, or both side by side in one run "
                             "(workloads with subjects on are reported as <workload>+subjects)")
    parser.add_argument("--loadgens", type=int, default=2, help="load-generator processes")
    parser.add_argument("--concurrency", type=int, default=8, help="calls in flight per load generator")
    parser.add_argument("--naive-seconds", type=float, default=20.0, help="time box of the naive baseline per workload")
    parser.add_argument("--collector", choices=("auto", "off"), default="auto",
                        help="auto: also run the real OpenTelemetry Collector (built once by benchmarks/collector/build.py, "
                             "needs Go) passthrough and with its redaction processor on the plain workloads; off: skip")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for throughput.json / .png")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.naive_seconds = min(args.duration, 3.0), min(args.naive_seconds, 3.0)
        args.warm_seconds = min(args.warm_seconds, 1.0)
    return args


# Requests per second one load generator sends at most to a GenAI workload here (2 cores), with a
# margin: its set is sized from it so that no phase wraps. A wrapped set resends requests whole,
# their texts are answered from the findings cache, and the max rate (and the half rate set from
# it) is overstated: world-logs (20 log records a request) wrapped at 400 requests and its "max"
# cost half the CPU per span of its half-rate phase, which did not wrap. world-rag-docs (two spans a
# request) reached 33-44 requests/s per load generator on a quicker host and wrapped at 25.
REQUESTS_PER_S_CEILING = {"world-logs": 60, "world-mixed": 30, "world-rag-docs": 60}
GENAI_REQUESTS_PER_S_CEILING = 25


def _requests_needed(workload: str, args) -> int:
    """Requests each load generator builds: enough that GenAI texts do not repeat in a phase
    (plain spans hold no text to cache and wrap by design: ids recur in real traffic too)."""
    if args.quick:
        return 20
    if workload == "plain":
        return 200
    ceiling = REQUESTS_PER_S_CEILING.get(workload, GENAI_REQUESTS_PER_S_CEILING)
    return max(100, int(ceiling * max(args.duration, args.warm_seconds)))


def _phase(target: str, workload: str, args, seed: int, duration: float, rate: float | None) -> dict:
    """Run the load generators once; their merged report."""
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    per_rate = rate / args.loadgens if rate else None
    plans = [loadgen.Plan(target, workload, seed * 100 + i, _requests_needed(workload, args), SPANS_PER_REQUEST[workload],
                          duration, per_rate, args.concurrency,
                          args.jurisdiction if args.config == "federated" else None) for i in range(args.loadgens)]
    procs = [context.Process(target=loadgen.run, args=(plan, ready, go, results)) for plan in plans]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=300)
    began = time.monotonic()
    go.set()
    parts = [results.get(timeout=duration + 120) for _ in procs]
    ended = time.monotonic()
    for proc in procs:
        proc.join(10)
    return report.merge_phase(parts, duration, began, ended)


def run_workload(workload: str, args, scrubber: Scrubber, sink: Sink, monitor: Monitor, seed: int) -> dict:
    cold = None
    if args.warm_seconds > 0:
        # a sidecar runs for days: its caches hold the app's system prompts and popular RAG chunks. The warm-up
        # traffic is other users' conversations (another seed): nothing it sends recurs verbatim below except
        # what the app itself repeats, so the timed phases still detect every new user turn and answer
        print(f"[{workload}] warm-up, other conversations at max rate, {args.warm_seconds:.0f}s ...", flush=True)
        cold = _phase(scrubber.grpc, workload, args, seed + 3, args.warm_seconds, None)
    print(f"[{workload}] max rate, {args.duration:.0f}s ...", flush=True)
    before = report.pool_metrics(scrubber)
    top = _phase(scrubber.grpc, workload, args, seed, args.duration, None)
    if cold is not None:
        top["warm_up"] = {"seconds": args.warm_seconds, "spans_per_s": cold["spans_per_s"]}
    top.update(monitor.window(top.pop("began"), top.pop("ended")))
    top["pool"] = report.metrics_delta(before, report.pool_metrics(scrubber))
    half_rate = max(0.5, top["requests_per_s"] / 2)
    half_duration = max(2.0, args.duration / 2)
    print(f"[{workload}] half rate ({half_rate:.1f} req/s), {half_duration:.0f}s; then direct to the sink ...", flush=True)
    half = _phase(scrubber.grpc, workload, args, seed + 1, half_duration, half_rate)
    half.update(monitor.window(half.pop("began"), half.pop("ended")))
    direct = _phase(sink.grpc, workload, args, seed + 2, min(half_duration, 5.0), half_rate)
    for key in ("began", "ended"):
        direct.pop(key)
    print(f"[{workload}] references: naive baseline ({args.naive_seconds:.0f}s), transport floor ...", flush=True)
    n = _requests_needed(workload, args)
    naive = references.in_process(references.naive, workload, n, SPANS_PER_REQUEST[workload], args.naive_seconds)
    print(f"[{workload}] naive timed {naive['requests']} requests of {n}: {naive['text_per_span_timed']:.0f} characters "
          f"of text per span, the set {naive['text_per_span_set']:.0f}", flush=True)
    floor = references.floor(workload, min(n, 100), SPANS_PER_REQUEST[workload], 2.0 if args.quick else 5.0,
                             os.cpu_count() or 1)
    return report.workload_result(workload, top, half, direct, naive, floor)


def _run_variant(args, workloads: list[str], workers: int, subjects: bool, results: dict) -> None:
    """One scrubber process (subjects on or off) through every workload."""
    suffix = "+subjects" if subjects else ""
    with tempfile.TemporaryDirectory(prefix="scrubber-bench-") as tmp:
        sink = Sink()
        scrubber = Scrubber(Path(tmp), sink.grpc, workers, scope=args.pii_scope, subjects=subjects,
                            federated=args.config == "federated")
        monitor = None
        try:
            results["startup_s" + suffix] = scrubber.wait_ready()
            monitor = Monitor(scrubber.proc.pid)
            monitor.start()
            for i, workload in enumerate(workloads):
                results["workloads"][workload + suffix] = run_workload(workload, args, scrubber, sink, monitor,
                                                                       1000 * (i + 1))
            results["peak_rss_mib"] = max(results.get("peak_rss_mib", 0.0), monitor.peak_rss / 2**20)
            results["sink_spans" + suffix] = sink.spans()
        finally:
            if monitor is not None:
                monitor.stop()
            scrubber.stop()
            sink.stop()


COLLECTOR_WORKLOADS = ("plain", "world-mixed")


def run_collector(args, workloads: list[str], results: dict) -> None:
    """The real Collector (passthrough, redaction) on the same plain spans, max-rate phase only."""
    from benchmarks.collector import MODES, Collector
    from benchmarks.collector.build import RELEASE, build

    chosen = [w for w in workloads if w in COLLECTOR_WORKLOADS]
    if args.collector == "off" or not chosen:
        return
    print(f"[collector] building / reusing the OpenTelemetry Collector {RELEASE} ...", flush=True)
    try:
        binary = build(quiet=True)
    except (RuntimeError, OSError, subprocess.SubprocessError) as error:
        print(f"[collector] skipped: {error}", file=sys.stderr)
        results["collector"] = {"skipped": str(error)[:500]}
        return
    out = results.setdefault("collector", {"release": RELEASE})
    for i, workload in enumerate(chosen):
        row = out.setdefault(workload, {})
        for mode in MODES:
            with tempfile.TemporaryDirectory(prefix="otelcol-bench-") as tmp:
                sink = Sink()
                collector = Collector(binary, Path(tmp), mode, sink.grpc, free_port())
                monitor = None
                try:
                    collector.wait_ready()
                    monitor = Monitor(collector.proc.pid)
                    monitor.start()
                    print(f"[collector {mode}] {workload} max rate, {args.duration:.0f}s ...", flush=True)
                    top = _phase(collector.grpc, workload, args, 1000 * (i + 1), args.duration, None)
                    top.update(monitor.window(top.pop("began"), top.pop("ended")))
                    top["sink_items"] = sink.spans() if workload != "world-logs" else None
                    row[mode] = top
                finally:
                    if monitor is not None:
                        monitor.stop()
                    collector.stop()
                    sink.stop()
        ours = results["workloads"].get(workload, {}).get("max", {}).get("spans_per_s")
        if ours:
            for mode in MODES:
                row[f"scrubber_vs_{mode}"] = ours / row[mode]["spans_per_s"] if row[mode]["spans_per_s"] else None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = set(workloads) - set(WORKLOADS)
    if unknown:
        print(f"unknown workloads: {sorted(unknown)}; known: {', '.join(WORKLOADS)}", file=sys.stderr)
        return 2
    workers = args.workers or os.cpu_count() or 1
    args.out.mkdir(parents=True, exist_ok=True)
    results = {"command": " ".join(["python -m benchmarks.throughput", *(argv if argv is not None else sys.argv[1:])]),
               "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "machine": report.machine(), "settings": {**{k: str(v) for k, v in vars(args).items()}, "workers": workers},
               "workloads": {}}
    variants = {"off": [False], "on": [True], "both": [False, True]}[args.subjects]
    for subjects in variants:
        _run_variant(args, workloads, workers, subjects, results)
    if args.subjects == "both":
        results["subjects_drop"] = {
            w: {"off_spans_per_s": results["workloads"][w]["max"]["spans_per_s"],
                "on_spans_per_s": results["workloads"][w + "+subjects"]["max"]["spans_per_s"],
                "drop": 1 - results["workloads"][w + "+subjects"]["max"]["spans_per_s"]
                / results["workloads"][w]["max"]["spans_per_s"]} for w in workloads}
    run_collector(args, workloads, results)
    results["targets"] = report.targets(results)
    (args.out / "throughput.json").write_text(json.dumps(results, indent=2))
    report.plot(results, args.out / "throughput.png")
    print(report.table(results))
    for name, drop in results.get("subjects_drop", {}).items():
        print(f"subjects on, {name}: {drop['on_spans_per_s']:.1f} vs {drop['off_spans_per_s']:.1f} spans/s "
              f"({100 * drop['drop']:+.1f}% drop)")
    print(f"\nwrote {args.out / 'throughput.json'} and {args.out / 'throughput.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
