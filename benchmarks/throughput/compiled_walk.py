"""`python -m benchmarks.throughput.compiled_walk`: what compiling the pii engine with Cython buys.

Why: issue 14 names "a compiled walk" as one way to a cheaper plain path and asks to measure the
options. The cheapest compiled walk is the one already written: Cython compiles the unchanged
Python modules of the engine (walker, engine, plans, urls, keys, scan) to C extensions. This
measures that option before anyone hand-types a walker for it.

The script copies `scrubber/` into `.cache/compiled_walk/` (ignored by git), compiles those modules
there (needs `cython` and a C compiler; the copy is rebuilt when a source changes), and then runs
the in-process engine measurement of `walk_cost` (the plans engine, detection answered from a dict)
in a fresh process per tree, alternating the Python tree and the compiled one for `--rounds`
rounds. Both trees scrub the same requests with the same key, and their outputs must hash equal.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python -m benchmarks.throughput.compiled_walk [--workloads plain,world-mixed]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".cache" / "compiled_walk"
#: the engine's modules on the worker's hot path (py-spy: the walk, identification, propagation, HMAC)
MODULES = ["walker", "engine", "plans", "urls", "keys", "scan"]


def _sources_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "scrubber").rglob("*.py")):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def build() -> Path:
    """`.cache/compiled_walk/` holding a copy of `scrubber/` with MODULES compiled (reused if current)."""
    stamp = BUILD / "sources.sha256"
    current = _sources_digest()
    if stamp.exists() and stamp.read_text() == current:
        return BUILD
    shutil.rmtree(BUILD, ignore_errors=True)
    shutil.copytree(ROOT / "scrubber", BUILD / "scrubber", ignore=shutil.ignore_patterns("__pycache__"))
    sources = [f"scrubber/processors/pii/{name}.py" for name in MODULES]
    script = ("from setuptools import setup\nfrom Cython.Build import cythonize\n"
              f"setup(ext_modules=cythonize({sources!r}, language_level=3, quiet=True),"
              " script_args=['build_ext', '--inplace', '--build-temp', 'build'])\n")
    subprocess.run([sys.executable, "-c", script], cwd=BUILD, check=True, stdout=subprocess.DEVNULL)
    stamp.write_text(current)
    return BUILD


def child(workload: str, requests: int) -> dict:
    """In this process (whichever tree is on the path): µs per span of the best of 3 rounds, and a
    hash of the outputs."""
    from benchmarks.throughput.__main__ import SPANS_PER_REQUEST
    from benchmarks.throughput.prepass_cost import _round, engine_cli
    from benchmarks.throughput.workloads import generate
    from scrubber.pdata import Signal
    from scrubber.processors.pii import walker
    from scrubber.processors.pii.assemble import build_engine
    from scrubber.processors.pii.keys import KeyStore

    _, _, config, detection = engine_cli("compiled_walk", None, [], workloads=workload, requests=requests, rounds=1)
    batches = generate(workload, requests, SPANS_PER_REQUEST[workload], 7)
    signal, payloads = Signal(batches[0].signal), [b.payload for b in batches]
    engine = build_engine(config, KeyStore.load(config.keys, config.pseudonym_length, None))
    _, outs = _round(engine, signal, payloads, detection)  # fills the detection dict
    best = min(_round(engine, signal, payloads, detection)[0] for _ in range(3))
    spans = sum(b.spans for b in batches)
    return {"us_per_span": best / spans * 1e6, "outputs": hashlib.sha256(repr(outs).encode()).hexdigest(),
            "compiled": walker.__file__.endswith(".so")}


def _run_child(tree: Path, workload: str, requests: int) -> dict:
    env = dict(os.environ, PYTHONPATH=f"{tree}{os.pathsep}{ROOT}", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-m", "benchmarks.throughput.compiled_walk", "--child", workload,
                          "--requests", str(requests)], env=env, cwd=tree, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _rounded(values: list[float]) -> str:
    return " ".join(f"{v:.1f}" for v in values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.throughput.compiled_walk",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", default="plain,world-mixed")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of the two trees")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.requests)))
        return 0
    from benchmarks.throughput.prepass_cost import KEY_ENV  # the key `engine_cli` reads: one for both trees

    os.environ.setdefault(KEY_ENV, secrets.token_hex(32))
    compiled = build()
    for workload in args.workloads.split(","):
        times: dict[str, list[float]] = {"python": [], "cython": []}
        hashes = set()
        for _ in range(args.rounds):
            for name, tree in (("python", ROOT), ("cython", compiled)):
                result = _run_child(tree, workload, args.requests)
                if result["compiled"] != (name == "cython"):
                    raise AssertionError(f"the {name} tree loaded the wrong walker")
                times[name].append(result["us_per_span"])
                hashes.add(result["outputs"])
        if len(hashes) != 1:
            raise AssertionError(f"{workload}: the compiled engine changed the output")
        ratios = [c / p for p, c in zip(times["python"], times["cython"])]
        print(f"{workload:<12} engine CPU per span: python {min(times['python']):6.1f} us, cython "
              f"{min(times['cython']):6.1f} us (best of {args.rounds}); paired median cython/python "
              f"{statistics.median(ratios):.2f} (outputs identical)", flush=True)
        print(f"{'':<12} rounds: python {_rounded(times['python'])}, cython {_rounded(times['cython'])}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
