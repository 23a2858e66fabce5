"""`python -m benchmarks.throughput.prepass_cost`: main-process CPU per span of the pii engine
with and without the plain-path prepass (`scrubber/processors/pii/prepass.py`), in one process.

What the prepass saves is main-process work (fields, detection slots, propagation, apply), so
detection is answered from a dict filled on the first pass: the rounds measure the walk and
the rewrite alone, as the main process does them when the pool's cache answers. Both engines
scrub the same requests in alternating rounds; the outputs (bytes and reports) are checked
equal; the best round of each is compared (the least disturbed by other load).

    .venv/bin/python -m benchmarks.throughput.prepass_cost [--workloads plain,world-mixed] [--requests 40]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import secrets
import time

from benchmarks.throughput.__main__ import SPANS_PER_REQUEST
from benchmarks.throughput.workloads import WORKLOADS, generate
from scrubber.detection import Detector
from scrubber.pdata import Signal
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.keys import KeyStore
from scrubber.processors.pii.processor import build_engine

KEY_ENV = "SCRUBBER_BENCH_PREPASS_KEY"


class Answered:
    """Detection answered from a dict after the first call per text: the main process's share only."""

    def __init__(self, detector: Detector):
        self.detector = detector
        self.memo: dict[tuple[str, bool], list] = {}

    async def detect(self, texts, ner):
        out = []
        for key in zip(texts, ner):
            if key not in self.memo:
                self.memo[key] = self.detector.detect([key[0]], [key[1]])[0]
            out.append(list(self.memo[key]))
        return out


def _round(engine, signal: Signal, payloads: list[bytes], detection) -> tuple[float, list]:
    async def scrub_all():
        outs = []
        for data in payloads:
            request = signal.new_request()
            request.ParseFromString(data)
            report = await engine.scrub(signal, request, detection)
            outs.append((request.SerializeToString(), dict(report.detections), dict(report.fail_closed)))
        return outs
    gc.collect()
    began = time.process_time()
    outs = asyncio.run(scrub_all())
    return time.process_time() - began, outs


def best_of(rounds: int, engines: dict, signal: Signal, payloads: list[bytes], detection: Answered,
            reference: list[bytes], workload: str) -> dict[str, float]:
    """The least CPU seconds each engine took over `rounds` rounds, taken in turn (so machine
    load touches every side alike); every round's output must equal `reference`."""
    best = {name: float("inf") for name in engines}
    for _ in range(rounds):
        for name, engine in engines.items():
            seconds, outs = _round(engine, signal, payloads, detection)
            if outs != reference:
                raise AssertionError(f"{workload}: the {name} engine changed the output")
            best[name] = min(best[name], seconds)
    return best


def measure(workload: str, n_requests: int, rounds: int, detection: Answered, config: PIIProcessorConfig) -> dict:
    batches = generate(workload, n_requests, SPANS_PER_REQUEST[workload], 7)
    signal = Signal(batches[0].signal)
    payloads = [b.payload for b in batches]
    keys = KeyStore.load(config.keys, config.pseudonym_length, None)
    with_prepass, without = build_engine(config, keys), build_engine(config, keys)
    without.prepass = None
    _, reference = _round(without, signal, payloads, detection)  # fills the detection dict
    best = best_of(rounds, {"on": with_prepass, "off": without}, signal, payloads, detection, reference, workload)
    spans = sum(b.spans for b in batches)
    return {"workload": workload, "us_per_span_on": best["on"] / spans * 1e6, "us_per_span_off": best["off"] / spans * 1e6,
            "speedup": best["off"] / best["on"]}


def engine_cli(prog: str, doc: str | None, argv: list[str] | None, *, workloads: str, requests: int,
               rounds: int) -> tuple[argparse.Namespace, list[str], PIIProcessorConfig, "Answered"]:
    """The command line the in-process engine A/B scripts share (`*_cost.py`): their arguments,
    the workloads asked for (checked), a pii config with a throwaway key, and detection answered
    from a dict (so both sides of an A/B see the same findings at no cost)."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=(doc or "").split("\n\n")[0])
    parser.add_argument("--workloads", default=workloads)
    parser.add_argument("--requests", type=int, default=requests)
    parser.add_argument("--rounds", type=int, default=rounds)
    args = parser.parse_args(argv)
    names = args.workloads.split(",")
    for name in names:
        if name not in WORKLOADS:
            parser.error(f"unknown workload {name!r}")
    os.environ.setdefault(KEY_ENV, secrets.token_hex(32))
    config = PIIProcessorConfig.model_validate({"keys": {"default": {"active": "k1", "keys": {"k1": {"env": KEY_ENV}}}}})
    return args, names, config, Answered(Detector(config.detection))


def main(argv: list[str] | None = None) -> int:
    args, workloads, config, detection = engine_cli("benchmarks.throughput.prepass_cost", __doc__, argv,
                                                    workloads="plain,world-mixed,world-logs,genai-chat", requests=30, rounds=3)
    for workload in workloads:
        r = measure(workload, args.requests, args.rounds, detection, config)
        print(f"{workload:<17} main-process CPU per span: prepass {r['us_per_span_on']:7.1f} us, without "
              f"{r['us_per_span_off']:7.1f} us, x{r['speedup']:.2f} (outputs identical)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
