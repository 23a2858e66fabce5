"""What detection costs on the throughput workloads' texts, in arrival order, in one process.

    .venv/bin/python -m benchmarks.detection_cost.world [--workload world-rag-concat] [--requests 20] [--profile]

The texts a pool worker sees: every string of every request (JSON leaves of GenAI messages,
log bodies), in the order requests arrive, each distinct text once (the parent's whole-text
cache answers exact repeats), NER on all, the run cache warm from earlier requests as in a
long-lived worker. The first `--warm` requests warm the caches and are not timed: what is
timed is the steady state, where system prompts and RAG chunks recur in new combinations.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time


def _leaves(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)


def request_texts(workload: str, n_requests: int, seed: int = 3) -> list[list[str]]:
    """Per request, its distinct non-empty strings (JSON strings opened to their leaves)."""
    from benchmarks.throughput import references
    from benchmarks.throughput.workloads import generate
    from benchmarks.throughput.world import SPANS_PER_REQUEST

    out = []
    for batch in generate(workload, n_requests, SPANS_PER_REQUEST.get(workload, 10), seed=seed):
        texts = []
        for value in references._strings(references.parse(batch)):
            text = value.string_value
            if not text:
                continue
            try:
                texts.extend(_leaves(json.loads(text)))
            except ValueError:
                texts.append(text)
        out.append(list(dict.fromkeys(t for t in texts if t)))
    return out


def measure(workload: str, n_requests: int, warm: int, profile: bool) -> dict:
    from scrubber.detection import DetectionConfig, Detector

    requests = request_texts(workload, warm + n_requests)
    detector = Detector(DetectionConfig())
    seen: set[str] = set()

    def run(batch: list[list[str]]) -> int:
        n = 0
        for texts in batch:
            new = [t for t in texts if t not in seen]  # exact repeats: the parent's cache
            seen.update(new)
            n += len(new)
            detector.detect(new, [True] * len(new))
        return n

    run(requests[:warm])
    before = detector.runs.stats()
    prof = cProfile.Profile() if profile else None
    t = time.perf_counter()
    if prof:
        prof.enable()
    n = run(requests[warm:])
    if prof:
        prof.disable()
    elapsed = time.perf_counter() - t
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
    return {"workload": workload, "texts": n, "seconds": round(elapsed, 2), "texts_per_s": round(n / elapsed, 1),
            "run_hits": detector.runs.stats()["hits"] - before["hits"],
            "run_misses": detector.runs.stats()["misses"] - before["misses"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", action="append")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    for workload in args.workload or ["world-rag-concat", "world-multi-turn"]:
        print(json.dumps(measure(workload, args.requests, args.warm, args.profile)))


if __name__ == "__main__":
    main()
