"""NER speed and entities of several spaCy releases, on the sentence runs a pool worker sends spaCy.

    .venv/bin/python -m benchmarks.detection_cost.spacy_versions 3.8.7 3.8.18 [--workload world-rag-concat]

Why: spaCy's wheels are compiled code, and the Cython they are built with changes their speed
without changing their results. 3.8.8 and later run the NER transition loop ~3x slower than 3.8.7,
so `pyproject.toml` pins `spacy<3.8.8`. Run this before lifting or moving that pin.

Each version is installed once with `pip install --no-deps --target` into `--cache`
(`benchmarks/results/tmp/spacy/<version>`, never committed) and imported from there ahead of the
venv's own spaCy, in its own subprocess; thinc, numpy and the model stay the venv's. The texts
are the sentence runs the detector hands spaCy on the workload (collected with the venv's spaCy).
Per version: the best of `--repeat` timings of the NER component's `predict` (CPU seconds, one
BLAS thread), and whether its entities equal the first version's.
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
import json, sys, time, warnings
warnings.simplefilter("ignore")
import spacy
from scrubber.detection import DetectionConfig
from scrubber.detection.ner import load_nlp
runs = json.load(open(sys.argv[1]))
nlp = load_nlp(DetectionConfig().ner.model)
ner = nlp.get_pipe("ner")
docs = [nlp.make_doc(r) for r in runs]
best = float("inf")
for _ in range(int(sys.argv[2])):
    t = time.process_time()
    for i in range(0, len(docs), 128):
        ner.predict(docs[i:i + 128])
    best = min(best, time.process_time() - t)
ents = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(runs)]
print(json.dumps({"version": spacy.__version__, "file": spacy.__file__, "predict_cpu_s": round(best, 3),
                  "tokens": sum(len(d) for d in docs), "entities": ents}))
"""


def spacy_runs(workload: str, n_requests: int) -> list[str]:
    """The sentence runs the detector sends spaCy on `workload`'s first requests, in order."""
    from benchmarks.detection_cost.world import request_texts
    from scrubber.detection import DetectionConfig, Detector

    detector = Detector(DetectionConfig())
    runs: list[str] = []
    engine = detector.ner.engine
    process_batch = engine.process_batch

    def recording(texts, *args, **kwargs):
        texts = list(texts)
        runs.extend(texts)
        return process_batch(texts, *args, **kwargs)

    engine.process_batch = recording
    seen: set[str] = set()
    for texts in request_texts(workload, n_requests):
        new = [t for t in texts if t not in seen]
        seen.update(new)
        detector.detect(new, [True] * len(new))
    return runs


def install(version: str, cache: Path) -> Path:
    target = cache / version
    if not (target / "spacy" / "__init__.py").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                        f"spacy=={version}"], check=True)
    return target


def measure(target: Path, runs_file: Path, repeat: int) -> dict:
    env = {**os.environ, "PYTHONPATH": f"{target}{os.pathsep}{ROOT}", **BLAS_ONE_THREAD}
    out = subprocess.run([sys.executable, "-c", _RUN, str(runs_file), str(repeat)], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("versions", nargs="+")
    parser.add_argument("--workload", default="world-rag-concat")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / "results" / "tmp" / "spacy")
    args = parser.parse_args()
    runs = spacy_runs(args.workload, args.requests)
    runs_file = args.cache / f"runs-{args.workload}.json"
    runs_file.parent.mkdir(parents=True, exist_ok=True)
    runs_file.write_text(json.dumps(runs))
    first = None
    for version in args.versions:
        result = measure(install(version, args.cache), runs_file, args.repeat)
        if not result["file"].startswith(str(args.cache)):
            raise SystemExit(f"spaCy {version} was not imported from {args.cache}: {result['file']}")
        first = first or result
        print(f"spaCy {result['version']:8} NER predict {result['predict_cpu_s']:6.3f} CPU s on {len(runs)} runs "
              f"({result['tokens']} tokens), entities {'the same' if result['entities'] == first['entities'] else 'DIFFER'}"
              f" as {first['version']}", flush=True)


if __name__ == "__main__":
    main()
