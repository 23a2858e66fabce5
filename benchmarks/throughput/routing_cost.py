"""`python -m benchmarks.throughput.routing_cost`: main-process CPU per span of the stages around
the pii walk on the federated intake: the residency processor's stamp, the residency router's
split and the aggregates connector's consume (label vetting answered from a dict, as when the
pool's cache answers), in one process, on the benchmark's workloads.

Each stage runs on the same parsed requests as the federated pipeline hands them on: the
residency stamp on a fresh parse, the router on the stamped request, the aggregates core on
the router's part. The optimised stages and the straightforward ones (`stamp_reference`, the aggregates core with
`memoised_spans = False`) run in alternating rounds on the same requests; their outputs (every
downstream request's bytes, every aggregate series) are checked equal; the best round of each
is compared (the least disturbed by other load). `--profile` prints a cProfile of the
optimised stages instead of timing. A second line times the aggregates core alone on the
router's aggregates parts: its shared path (`Deriver.spans_shared`), the memoised path span by
span and the straightforward one, series checked equal. A third line times the two other per-span
checks of the main process on the same requests: the receiver's validation and the pii
processor's content check (`whole_requests: without_content`, one `ContentCheck` kept across
requests, as the processor keeps it).

    .venv/bin/python -m benchmarks.throughput.routing_cost [--workloads plain,world-mixed] [--requests 30]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import logging
import pstats
import time

from benchmarks.throughput.__main__ import SPANS_PER_REQUEST
from benchmarks.throughput.loadgen import stamp as stamp_batch
from benchmarks.throughput.workloads import WORKLOADS, generate
from scrubber.component import ComponentID, Kind, Settings
from scrubber.connectors.aggregates.config import AggregatesConfig
from scrubber.connectors.aggregates.connector import AggregatesCore
from scrubber.connectors.residency_router.config import ResidencyRouterConfig
from scrubber.connectors.residency_router.router import ResidencyRouter
from scrubber.detection import Detector
from scrubber.pdata import Signal
from scrubber.processors.pii.assemble import build_engine
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.keys import KeyStore
from scrubber.processors.pii.offload import ContentCheck
from scrubber.processors.residency.config import ResidencyConfig
from scrubber.processors.residency.processor import make_resolver, stamp, stamp_reference
from scrubber.receivers.otlp.validate import check as validate
from scrubber.service.telemetry import Telemetry

#: the federated config's router, reduced to what routing reads
ROUTER = {"policies": {"eu": {"key": "eu", "regional": ["traces/eu", "logs/eu"], "global": "aggregates"},
                       "in": {"key": "in", "regional": ["traces/in", "logs/in"], "regional_form": "pseudonymized",
                              "global": "aggregates"},
                       "us": {"key": "us", "regional": ["traces/us", "logs/us"], "global": "pseudonymized"},
                       "default": {"regional": [], "global": "aggregates"}},
          "quarantine": ["traces/quarantine", "logs/quarantine"], "aggregates": ["traces/aggregates", "logs/aggregates"],
          "global": ["traces/global", "logs/global"]}


class Answered:
    """Label detection answered from a dict after the first call per text: the main process's share only."""

    def __init__(self):
        self.detector = Detector(AggregatesConfig().detection)
        self.memo: dict[str, list] = {}

    async def detect(self, texts, ner):
        for text in texts:
            if text not in self.memo:
                self.memo[text] = self.detector.detect([text], [True])[0]
        return [list(self.memo[t]) for t in texts]


class Sink:
    """A downstream pipeline that keeps what it receives (to compare runs)."""

    mutates_data = False

    def __init__(self, name: str, aggregates: AggregatesCore | None = None):
        self.name, self.aggregates, self.received = name, aggregates, []

    async def consume(self, signal: Signal, request) -> None:
        self.received.append(request)  # serialized only in `Stages.output`, outside the timing
        if self.aggregates is not None:
            await self.aggregates.consume(signal, request)


def _settings(name: str, kind: Kind) -> Settings:
    return Settings(ComponentID(name), kind, logging.getLogger(f"bench.{name}"), Telemetry())


class Stages:
    """residency -> residency_router -> (aggregates | regional sinks), as in config/federated.yaml."""

    def __init__(self, signal: Signal, detection, reference: bool = False):
        self.resolver = make_resolver(ResidencyConfig())
        self.stamp = stamp_reference if reference else stamp
        self.core = AggregatesCore(_settings("aggregates", Kind.CONNECTOR), AggregatesConfig())
        self.core.detection = detection
        self.core.memoised_spans = not reference
        names = [n for p in ROUTER["policies"].values() for n in p["regional"]]
        names += ROUTER["quarantine"] + ROUTER["aggregates"] + ROUTER["global"]
        self.sinks = {n: Sink(n, self.core if n.endswith("/aggregates") else None)
                      for n in dict.fromkeys(names) if n.startswith(signal.value)}
        self.router = ResidencyRouter(_settings("residency_router", Kind.CONNECTOR),
                                      ResidencyRouterConfig.model_validate(ROUTER), signal, self.sinks)
        self.signal = signal

    async def run(self, payloads: list[bytes]) -> None:
        for data in payloads:
            request = self.signal.new_request()
            request.ParseFromString(data)
            self.stamp(self.resolver, request)
            await self.router.consume(self.signal, request)

    def output(self) -> tuple:
        """What left: every sink's bytes and the aggregates' series (same order, same values)."""
        series = sorted((d.name, repr(k), p.value, p.count, p.total, tuple(p.buckets))
                        for d, k, p in self.core.store.cumulative())
        sent = {n: [r.SerializeToString(deterministic=True) for r in s.received] for n, s in self.sinks.items()}
        return sent, series


def parse_only(signal: Signal, payloads: list[bytes]) -> None:
    for data in payloads:
        signal.new_request().ParseFromString(data)


def timed_round(signal: Signal, payloads: list[bytes], detection, reference: bool = False) -> tuple[float, Stages]:
    """CPU seconds of the stages on `payloads`, less what parsing them costs alone."""
    stages = Stages(signal, detection, reference)
    gc.collect()
    began = time.process_time()
    asyncio.run(stages.run(payloads))
    seconds = time.process_time() - began
    began = time.process_time()
    parse_only(signal, payloads)
    return seconds - (time.process_time() - began), stages


def ab_rounds(signal: Signal, payloads: list[bytes], detection, rounds: int) -> dict[bool, float]:
    """Best CPU seconds of the optimised (False) and straightforward (True) stages, alternating."""
    best = {False: float("inf"), True: float("inf")}
    expected = None
    for _ in range(rounds):
        for reference in (False, True):
            seconds, stages = timed_round(signal, payloads, detection, reference)
            output = stages.output()
            if expected is None:
                expected = output
            elif output != expected:
                raise AssertionError("the optimised stages changed the output")
            best[reference] = min(best[reference], seconds)
    return best


def checks_rounds(signal: Signal, payloads: list[bytes], rounds: int) -> dict[str, float]:
    """Best CPU seconds of the receiver's validation and of the pii content check on `payloads`."""
    content = ContentCheck(build_engine(PIIProcessorConfig(), KeyStore({})).catalog.lookup)
    requests = [signal.new_request().FromString(data) for data in payloads]
    stages = {"validation": lambda r: validate(signal, r), "content check": content}
    best = dict.fromkeys(stages, float("inf"))
    for _ in range(rounds):
        for name, stage in stages.items():
            gc.collect()
            began = time.process_time()
            for request in requests:
                stage(request)
            best[name] = min(best[name], time.process_time() - began)
    return best


def aggregates_rounds(signal: Signal, payloads: list[bytes], detection, rounds: int) -> dict[str, float]:
    """Best CPU seconds of the aggregates core alone on the router's aggregates parts of
    `payloads` (parsed afresh each round, outside the timing): the shared path, the memoised
    path span by span (`shared_spans = False`) and the straightforward one, alternating; the
    three stores are checked equal."""
    stages = Stages(signal, detection)
    asyncio.run(stages.run(payloads))
    parts = [r.SerializeToString() for r in stages.sinks[f"{signal.value}/aggregates"].received]
    variants = {"shared": (True, True), "span by span": (True, False), "straightforward": (False, False)}
    best = dict.fromkeys(variants, float("inf"))
    loop = asyncio.new_event_loop()
    try:
        for _ in range(rounds):
            stores = []
            for name, (memoised, shared) in variants.items():
                core = Stages(signal, detection).core
                core.memoised_spans, core.shared_spans = memoised, shared
                requests = [signal.new_request().FromString(part) for part in parts]
                gc.collect()
                began = time.process_time()
                for request in requests:
                    loop.run_until_complete(core.consume(signal, request))
                best[name] = min(best[name], time.process_time() - began)
                stores.append(sorted((d.name, repr(k), p.value, p.count, p.total, tuple(p.buckets))
                                     for d, k, p in core.store.cumulative()))
            if any(store != stores[0] for store in stores):
                raise AssertionError("the aggregates paths gave different series")
    finally:
        loop.close()
    return best


def batches_for(workload: str, n_requests: int, jurisdiction: str | None):
    batches = generate(workload, n_requests, SPANS_PER_REQUEST[workload], 7)
    return [stamp_batch(b, jurisdiction) for b in batches] if jurisdiction else batches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput.routing_cost",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default="plain,world-mixed")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jurisdiction", default="in", help="resource stamp, as the benchmark's --jurisdiction")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    detection = Answered()
    for workload in args.workloads.split(","):
        if workload not in WORKLOADS:
            parser.error(f"unknown workload {workload!r}")
        batches = batches_for(workload, args.requests, args.jurisdiction)
        signal, payloads, spans = Signal(batches[0].signal), [b.payload for b in batches], sum(b.spans for b in batches)
        timed_round(signal, payloads, detection)  # fills the detection dict
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            timed_round(signal, payloads, detection)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            continue
        best = ab_rounds(signal, payloads, detection, args.rounds)
        print(f"{workload:<12} stamp+route+aggregates CPU per span: optimised {best[False] / spans * 1e6:6.1f} us, "
              f"straightforward {best[True] / spans * 1e6:6.1f} us, x{best[True] / best[False]:.2f} "
              "(outputs identical)", flush=True)
        alone = aggregates_rounds(signal, payloads, detection, args.rounds)
        print(f"{workload:<12} aggregates core alone CPU per span: " + ", ".join(
            f"{name} {seconds / spans * 1e6:.1f} us" for name, seconds in alone.items()) + " (series identical)", flush=True)
        checks = checks_rounds(signal, payloads, args.rounds)
        print(f"{workload:<12} " + ", ".join(f"{name} {seconds / spans * 1e6:.1f} us" for name, seconds in checks.items())
              + " CPU per span", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
