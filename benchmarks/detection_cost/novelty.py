"""How close detection is to what no cache can avoid: content seen for the first time.

    .venv/bin/python -m benchmarks.detection_cost.novelty [--workload world-rag-concat] [--requests 60]

Why: issue 14 asks for 50x the naive Presidio baseline on GenAI workloads with repeated content.
A cache answers what it has seen. It cannot answer a user turn, a model answer or a RAG chunk
that arrives for the first time: an exact detector must read those. This measures, in one
process and on one core each, three costs per span on the workload's texts in arrival order:

- `naive`: Presidio Analyzer + Anonymizer on every string value (`throughput/references.naive`);
- `detector`: scrubber's `Detector` with its caches, each distinct text once (`world.measure`);
- `first seen`: the same `Detector`, all caches off, on the paragraphs (blank-line parts) of each
  text that no earlier text held, i.e. what any exact paragraph-level cache must still detect.

The last line gives both as `x naive per CPU second`, and the bound on 2 cores: twice that, if
the main process, the pipe and every lookup were free. Ratios are per CPU second, the first
`--warm` requests warm the caches (and the first-seen set) and are not timed.
"""

from __future__ import annotations

import argparse
import json
import re
import time

from benchmarks.detection_cost import run_with_one_blas_thread
from benchmarks.detection_cost.world import measure, request_texts

_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def first_seen_paragraphs(requests: list[list[str]], seen: set[str]) -> list[list[str]]:
    """Per request, the paragraphs of its texts not seen in any earlier text (updates `seen`)."""
    out = []
    for texts in requests:
        new = []
        for text in texts:
            for paragraph in _BLANK_LINE.split(text):
                if paragraph.strip() and paragraph not in seen:
                    seen.add(paragraph)
                    new.append(paragraph)
        out.append(new)
    return out


def first_seen_cpu(requests: list[list[str]], warm: int) -> float:
    """CPU seconds of an uncached `Detector` on the first-seen paragraphs of the timed requests."""
    from scrubber.detection import DetectionConfig, Detector

    detector = Detector(DetectionConfig(cache={"max_entries": 0}))
    detector.detect(["warm up: Jane Doe lives in Berlin"], [True])
    seen: set[str] = set()
    first_seen_paragraphs(requests[:warm], seen)
    timed = first_seen_paragraphs(requests[warm:], seen)
    began = time.process_time()
    for paragraphs in timed:
        detector._detect_uncached([(p, True) for p in paragraphs])
    return time.process_time() - began


def main() -> None:
    run_with_one_blas_thread()
    from benchmarks.throughput import references
    from benchmarks.throughput.world import SPANS_PER_REQUEST

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", action="append")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--naive-seconds", type=float, default=8.0)
    args = parser.parse_args()
    for workload in args.workload or ["genai-chat", "world-rag-concat", "world-rag-docs", "world-multi-turn"]:
        per_request = SPANS_PER_REQUEST.get(workload, 10)
        spans = args.requests * per_request
        requests = request_texts(workload, args.warm + args.requests)
        cached = measure(workload, args.requests, args.warm, False, requests=requests)
        fresh = first_seen_cpu(requests, args.warm)
        naive = references.naive(workload, 160, per_request, args.naive_seconds)
        naive_ms, detector_ms, fresh_ms = 1000 / naive["spans_per_s"], 1000 * cached["cpu_seconds"] / spans, 1000 * fresh / spans
        print(json.dumps({
            "workload": workload, "spans": spans,
            "naive_ms_per_span": round(naive_ms, 2), "detector_ms_per_span": round(detector_ms, 2),
            "first_seen_ms_per_span": round(fresh_ms, 2),
            "detector_x_naive_per_cpu_s": round(naive_ms / detector_ms, 1),
            "first_seen_x_naive_per_cpu_s": round(naive_ms / fresh_ms, 1),
            "first_seen_bound_x_naive_2_cores": round(2 * naive_ms / fresh_ms, 1)}), flush=True)


if __name__ == "__main__":
    main()
