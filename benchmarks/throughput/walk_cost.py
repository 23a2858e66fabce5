"""`python -m benchmarks.throughput.walk_cost`: CPU per span of the pii engine's whole scrub of a
request (walk, replace, write back: what a pool worker runs on a plain request) with the key plans
(`scrubber/processors/pii/plans.py`) and without them (the generic walk), in one process.

Detection is answered from a dict filled on a first pass (as when the caches answer), so the
rounds time the engine alone. Both engines scrub the same requests in alternating rounds, the
outputs (bytes and reports) are checked equal, and the best round of each is kept (the least
disturbed by other load). What is loaded is frozen out of the collector's generations first, as
the workers do. The URL, HMAC and propagation changes that came with the plans serve both
engines, so this ratio is the plans' share only; compare with the commit before for the whole.

    .venv/bin/python -m benchmarks.throughput.walk_cost [--workloads plain,world-mixed] [--requests 20]
"""

from __future__ import annotations

import gc

from benchmarks.throughput.__main__ import SPANS_PER_REQUEST
from benchmarks.throughput.prepass_cost import Answered, _round, best_of, engine_cli
from benchmarks.throughput.workloads import generate
from scrubber.pdata import Signal
from scrubber.processors.pii.assemble import build_engine
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.keys import KeyStore


def measure(workload: str, n_requests: int, rounds: int, detection: Answered, config: PIIProcessorConfig) -> dict:
    batches = generate(workload, n_requests, SPANS_PER_REQUEST[workload], 7)
    signal = Signal(batches[0].signal)
    payloads = [b.payload for b in batches]
    keys = KeyStore.load(config.keys, config.pseudonym_length, None)
    planned, generic = build_engine(config, keys), build_engine(config, keys)
    generic.plans = None
    _, reference = _round(generic, signal, payloads, detection)  # fills the detection dict
    gc.collect()
    gc.freeze()
    best = best_of(rounds, {"plans": planned, "generic": generic}, signal, payloads, detection, reference, workload)
    spans = sum(b.spans for b in batches)
    return {name: seconds / spans * 1e6 for name, seconds in best.items()}


def main(argv: list[str] | None = None) -> int:
    args, workloads, config, detection = engine_cli("benchmarks.throughput.walk_cost", __doc__, argv,
                                                    workloads="plain,world-mixed,world-logs,genai-chat", requests=20, rounds=7)
    for workload in workloads:
        r = measure(workload, args.requests, args.rounds, detection, config)
        print(f"{workload:<17} engine CPU per span: plans {r['plans']:6.1f} us, generic {r['generic']:6.1f} us, "
              f"x{r['generic'] / r['plans']:.2f} (outputs identical)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
