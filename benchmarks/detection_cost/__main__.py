"""What detection costs, in texts/s, on the dev corpus texts: this tree against another checkout.

    .venv/bin/python -m benchmarks.detection_cost [--baseline-src DIR] [--repeat 3]

Each Detector runs in its own subprocess (fresh import, cache off, NER on every text, one core),
alternating between the trees so that machine noise hits both alike; the best of `--repeat` runs
counts. `DIR` is a checkout of an older commit (`git worktree add /tmp/base <rev>`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.detection_cost import BLAS_ONE_THREAD

ROOT = Path(__file__).resolve().parents[2]

_RUN = r"""
import json, sys, time
from scrubber.detection import Detector, DetectionConfig
texts = json.load(open(sys.argv[1]))
d = Detector(DetectionConfig(cache={"max_entries": 0}))
d.detect(["warm up: Jane Doe lives in Berlin"], [True])
t = time.perf_counter()
for i in range(0, len(texts), 64):
    batch = texts[i:i + 64]
    d.detect(batch, [True] * len(batch))
print(json.dumps({"texts_per_s": len(texts) / (time.perf_counter() - t)}))
"""


def corpus_texts() -> list[str]:
    from benchmarks.accuracy import corpora

    texts = []
    for item in corpora.load("dev"):
        texts.extend([item.text] if item.text else (item.fields or {}).values())
    return [t for t in texts if t]


def measure(src: Path, texts_file: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), **BLAS_ONE_THREAD}
    out = subprocess.run([sys.executable, "-c", _RUN, str(texts_file)], cwd=src, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["texts_per_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-src", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = corpus_texts()
    texts_file = ROOT / "benchmarks" / "results" / "tmp" / "detection_cost_texts.json"
    texts_file.parent.mkdir(parents=True, exist_ok=True)
    texts_file.write_text(json.dumps(texts))
    trees = {"this tree": ROOT, **({"baseline": args.baseline_src.resolve()} if args.baseline_src else {})}
    best = {name: 0.0 for name in trees}
    for _ in range(args.repeat):
        for name, src in trees.items():
            best[name] = max(best[name], measure(src, texts_file))
    print(f"{len(texts)} dev-corpus texts, NER on every text, cache off, one process; best of {args.repeat}")
    for name, rate in best.items():
        print(f"  {name:<10} {rate:8.0f} texts/s")
    if "baseline" in best:
        print(f"  ratio      {best['this tree'] / best['baseline']:8.2f}")


if __name__ == "__main__":
    main()
