"""`python -m benchmarks.throughput.gc_cost`: what the cyclic collector costs the pii engine in a
process that has a detector loaded (a pool worker, or the main process), with what is loaded
left in the collector's generations against frozen out of them (`gc.freeze()`, as the main
process does after start and every pool worker after building a handler).

The detector's lexicons and models are a few hundred thousand container objects; the engine
allocates thousands of short-lived ones per request, so full collections come often and each
walks the loaded heap again. Same engine, same requests, detection answered from a dict,
alternating rounds, outputs checked equal, best round of each.

    .venv/bin/python -m benchmarks.throughput.gc_cost [--workloads plain,world-mixed] [--requests 30]
"""

from __future__ import annotations

import gc

from benchmarks.throughput.__main__ import SPANS_PER_REQUEST
from benchmarks.throughput.prepass_cost import Answered, _round, engine_cli
from benchmarks.throughput.workloads import generate
from scrubber.pdata import Signal
from scrubber.processors.pii.assemble import build_engine
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.keys import KeyStore


def measure(workload: str, n_requests: int, rounds: int, detection: Answered, config: PIIProcessorConfig) -> dict:
    batches = generate(workload, n_requests, SPANS_PER_REQUEST[workload], 7)
    signal = Signal(batches[0].signal)
    payloads = [b.payload for b in batches]
    engine = build_engine(config, KeyStore.load(config.keys, config.pseudonym_length, None))
    _, reference = _round(engine, signal, payloads, detection)  # fills the detection dict
    best = {"collected": float("inf"), "frozen": float("inf")}
    for _ in range(rounds):
        for name in best:
            gc.unfreeze()
            if name == "frozen":
                gc.collect()
                gc.freeze()
            seconds, outs = _round(engine, signal, payloads, detection)  # its own collect is untimed
            if outs != reference:
                raise AssertionError(f"{workload}: the output changed")
            best[name] = min(best[name], seconds)
    gc.unfreeze()
    spans = sum(b.spans for b in batches)
    return {name: seconds / spans * 1e6 for name, seconds in best.items()}


def main(argv: list[str] | None = None) -> int:
    args, workloads, config, detection = engine_cli("benchmarks.throughput.gc_cost", __doc__, argv,
                                                    workloads="plain,world-mixed,world-logs", requests=30, rounds=4)
    detection.detector.detect(["Priya Raman wrote from Berlin."], [True])  # load NER: the heap a worker has
    for workload in workloads:
        r = measure(workload, args.requests, args.rounds, detection, config)
        print(f"{workload:<17} engine CPU per span, detector loaded: loaded heap collected {r['collected']:6.1f} us, "
              f"frozen {r['frozen']:6.1f} us (x{r['collected'] / r['frozen']:.2f}; outputs identical)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
