"""What detection costs on the throughput workloads' texts, in arrival order, in one process.

    .venv/bin/python -m benchmarks.detection_cost.world [--workload world-rag-concat] [--requests 20] [--profile]
    .venv/bin/python -m benchmarks.detection_cost.world --workload genai-chat --ab 3   # units off/on, alternating

The texts a pool worker sees: every string of every request (JSON leaves of GenAI messages,
log bodies), in the order requests arrive, each distinct text once (the parent's whole-text
cache answers exact repeats), NER on all, the run cache warm from earlier requests as in a
long-lived worker. The first `--warm` requests warm the caches and are not timed: what is
timed is the steady state, where system prompts and RAG chunks recur in new combinations.

`--units off` runs the whole-text passes on the whole text (no `UnitCache`), `--ab N` measures
off and on alternately N times each in this process (a fresh detector each time, same texts), so
machine load hits both alike; the best of each (by texts per CPU second of this process) is printed last.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import time

from benchmarks.detection_cost import run_with_one_blas_thread


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


def measure(workload: str, n_requests: int, warm: int, profile: bool, units: bool = True,
            requests: list[list[str]] | None = None) -> dict:
    from scrubber.detection import DetectionConfig, Detector
    from scrubber.detection.cache import RunCache

    requests = requests or request_texts(workload, warm + n_requests)
    detector = Detector(DetectionConfig())
    detector.runs = RunCache(units=units)
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
    units_before = detector.runs.units.stats() if detector.runs.units is not None else {}
    prof = cProfile.Profile() if profile else None
    t, cpu = time.perf_counter(), time.process_time()
    if prof:
        prof.enable()
    n = run(requests[warm:])
    if prof:
        prof.disable()
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)
    out = {"workload": workload, "units": units, "texts": n, "seconds": round(elapsed, 2),
           "texts_per_s": round(n / elapsed, 1), "cpu_seconds": round(cpu, 2),
           "texts_per_cpu_s": round(n / cpu, 1),  # steadier than wall time on a shared machine
           "run_hits": detector.runs.stats()["hits"] - before["hits"],
           "run_misses": detector.runs.stats()["misses"] - before["misses"]}
    if detector.runs.units is not None:
        out.update(unit_hits=detector.runs.units.hits - units_before["hits"],
                   unit_misses=detector.runs.units.misses - units_before["misses"])
    return out


def compare(workload: str, n_requests: int, warm: int, rounds: int) -> list[dict]:
    """Units off and on, alternating, `rounds` times each on the same texts; the best of each last."""
    requests = request_texts(workload, warm + n_requests)
    results: dict[bool, list[dict]] = {False: [], True: []}
    for _ in range(rounds):
        for units in (False, True):
            result = measure(workload, n_requests, warm, False, units, requests)
            print(json.dumps(result), flush=True)
            results[units].append(result)
    return [max(results[units], key=lambda r: r["texts_per_cpu_s"]) for units in (False, True)]


def main() -> None:
    run_with_one_blas_thread()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", action="append")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--units", choices=("on", "off"), default="on",
                        help="the whole-text passes per paragraph unit (UnitCache) or on the whole text")
    parser.add_argument("--ab", type=int, default=0, metavar="N", help="units off and on alternately, N times each")
    args = parser.parse_args()
    for workload in args.workload or ["world-rag-concat", "world-multi-turn"]:
        if args.ab:
            best_off, best_on = compare(workload, args.requests, args.warm, args.ab)
            print(json.dumps({"workload": workload, "best_off": best_off["texts_per_s"],
                              "best_on": best_on["texts_per_s"],
                              "best_off_per_cpu_s": best_off["texts_per_cpu_s"],
                              "best_on_per_cpu_s": best_on["texts_per_cpu_s"],
                              "speedup_cpu": round(best_on["texts_per_cpu_s"] / best_off["texts_per_cpu_s"], 2)}))
            continue
        print(json.dumps(measure(workload, args.requests, args.warm, args.profile, args.units == "on")))


if __name__ == "__main__":
    main()
