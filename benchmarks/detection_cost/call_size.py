"""CPU per text of the detector when its texts come in calls of k texts, on one workload's texts.

    .venv/bin/python -m benchmarks.detection_cost.call_size [--workload world-logs] [--sizes 1,2,4,10,40]

Why: the worker pool shares its queue among idle workers, so at light load one request's few new
texts reach two workers as two calls. A spaCy call has a fixed cost before its first text (the
model's layers set up, matrix products too small for BLAS to run at speed) that a call of one
short text pays in full. This measures it, for `WorkerPoolConfig.min_batch_bytes`: a detector
with its caches off (as in a worker, behind the parent's cache) reads the texts of each request
in arrival order that no earlier request held, cut into calls of at most k texts. Each size gets
a fresh detector warmed on the same first `--warm` requests; CPU seconds of one process with one
BLAS thread, as a pool worker runs.
"""

from __future__ import annotations

import argparse
import time

from benchmarks.detection_cost import run_with_one_blas_thread
from benchmarks.detection_cost.world import request_texts


def cpu_per_text(requests: list[list[str]], warm: int, k: int) -> tuple[int, float]:
    """(texts timed, CPU milliseconds per text) with calls of at most `k` texts."""
    from scrubber.detection import DetectionConfig, Detector

    detector = Detector(DetectionConfig(cache={"max_entries": 0}))
    seen: set[str] = set()

    def run(batch: list[list[str]]) -> int:
        n = 0
        for texts in batch:
            new = [t for t in texts if t not in seen]
            seen.update(new)
            n += len(new)
            for i in range(0, len(new), k):
                part = new[i:i + k]
                detector.detect(part, [True] * len(part))
        return n

    run(requests[:warm])
    began = time.process_time()
    n = run(requests[warm:])
    return n, 1000 * (time.process_time() - began) / max(1, n)


def main() -> None:
    run_with_one_blas_thread()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", default="world-logs")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--warm", type=int, default=160)
    parser.add_argument("--sizes", default="1,2,4,10,40,1000")
    args = parser.parse_args()
    requests = request_texts(args.workload, args.warm + args.requests)
    for k in (int(s) for s in args.sizes.split(",")):
        n, ms = cpu_per_text(requests, args.warm, k)
        print(f"{args.workload}: calls of at most {k:>4} texts: {ms:5.2f} ms CPU per text ({n} texts)", flush=True)


if __name__ == "__main__":
    main()
