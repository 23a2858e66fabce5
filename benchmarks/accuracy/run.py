"""What users get: leaks of planted personal values after scrubber and after Presidio's defaults.

    .venv/bin/python -m benchmarks.accuracy [--corpus dev|tune|heldout|all] [--no-presidio]
                                            [--limit N] [--show-leaks N [--category C,...]] [--out-dir DIR]

Every labeled item is wrapped into a real OTLP request in one of many carriers
(`carriers.py`), scrubbed by the real pii processor as `scrubber scan --config
config/default.yaml` runs it, and the carrier's value is read back and judged
(`leaks.py`): verbatim leak, partial leak, negative item changed, JSON still
valid. Presidio's defaults are run on the same carrier values in the same run
(`systems.py`). Writes `benchmarks/results/accuracy-<corpus>.json`.

`--show-leaks` prints leaks with their local context: tuning corpora (`dev`, `tune`)
only, so the held-out corpus never becomes a tuning loop.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.accuracy import corpora
from benchmarks.accuracy.carriers import Placed, assign
from benchmarks.accuracy.items import CATEGORIES, Item
from benchmarks.accuracy.leaks import ValueResult, context, haystack, judge, strings_of
from benchmarks.accuracy.systems import JURISDICTION, run_presidio, run_scrubber

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"

#: the issue's targets, on the held-out corpus
TARGET_VERBATIM_OVERALL, TARGET_VERBATIM_CATEGORY, TARGET_PARTIAL, TARGET_NEGATIVES = 0.03, 0.10, 0.10, 0.10


def place(items: list[Item]) -> list[Placed]:
    return [Placed(carrier, item, i) for i, (item, carrier) in enumerate(zip(items, assign(items)))]


def evaluate(placed: list[Placed], outputs: list[Any]) -> dict:
    """Per-item judgement of one system's outputs."""
    values: list[tuple[Placed, ValueResult, str]] = []
    negatives, json_total, json_invalid = [], 0, 0
    for p, out in zip(placed, outputs):
        decoded_out, valid = p.carrier.decode(out)
        if p.carrier.fmt == "json":
            json_total += 1
            json_invalid += not valid
        decoded_in, _ = p.carrier.decode(p.input_value())
        if p.item.negative:
            negatives.append((p, decoded_out != decoded_in))
            continue
        source, text = "\n".join(strings_of(decoded_in)), haystack(decoded_out)
        for result in judge(p.item.planted, source, text):
            values.append((p, result, text))
    return {"values": values, "negatives": negatives, "json_total": json_total, "json_invalid": json_invalid}


def _rates(rows: list[ValueResult]) -> dict:
    n = len(rows)
    verbatim = sum(r.verbatim for r in rows)
    partial = sum(r.partial for r in rows)
    return {"n": n, "verbatim": verbatim, "partial": partial,
            "verbatim_rate": round(verbatim / n, 4) if n else 0.0, "partial_rate": round(partial / n, 4) if n else 0.0}


def summarize(judged: dict) -> dict:
    by_category: dict[str, list[ValueResult]] = defaultdict(list)
    by_country: dict[str, list[ValueResult]] = defaultdict(list)
    by_carrier: dict[str, list[ValueResult]] = defaultdict(list)
    by_lang: dict[str, list[ValueResult]] = defaultdict(list)
    for p, r, _ in judged["values"]:
        by_lang[p.item.lang].append(r)
        by_category[r.planted.category].append(r)
        by_carrier[p.carrier.name].append(r)
        if r.planted.category == "PHONE_NUMBER":
            by_country[r.planted.country or "?"].append(r)
    negatives = judged["negatives"]
    neg_kinds: dict[str, list[bool]] = defaultdict(list)
    for p, changed in negatives:
        neg_kinds[p.item.kind].append(changed)
    return {
        "overall": _rates([r for _, r, _ in judged["values"]]),
        "categories": {c: _rates(by_category[c]) for c in CATEGORIES if by_category.get(c)},
        "phone_by_country": {c: _rates(v) for c, v in sorted(by_country.items())},
        "by_carrier": {c: _rates(v) for c, v in sorted(by_carrier.items())},
        "by_language": {c: _rates(v) for c, v in sorted(by_lang.items())},
        "negatives": {"n": len(negatives), "changed": sum(c for _, c in negatives),
                      "changed_rate": round(sum(c for _, c in negatives) / len(negatives), 4) if negatives else 0.0,
                      "by_kind": {k: {"n": len(v), "changed": sum(v)} for k, v in sorted(neg_kinds.items())}},
        "json": {"carriers": judged["json_total"], "invalid": judged["json_invalid"]},
    }


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}"


def _phone_rows(by_country: dict) -> list[tuple[str, list[str]]]:
    """A row per country with >= 5 numbers, the others in one row (all of them are in the JSON)."""
    big = [c for c, m in by_country.items() if m["n"] >= 5]
    rest = [c for c in by_country if c not in big]
    rows = [(f"  phone {c}", [c]) for c in big]
    if rest:
        rows.append((f"  phone, {len(rest)} others", rest))
    return rows


def _merge(by_country: dict, countries: list[str]) -> dict:
    picked = [by_country[c] for c in countries if c in by_country]
    n, verbatim, partial = (sum(m[k] for m in picked) for k in ("n", "verbatim", "partial"))
    return {"n": n, "verbatim": verbatim, "partial": partial, "verbatim_rate": verbatim / n if n else 0.0,
            "partial_rate": partial / n if n else 0.0}


def table(corpus: str, summary: dict, presidio: dict | None) -> list[str]:
    head = f"{'category':<22} {'n':>5}  {'scrubber verb %':>15} {'partial %':>9}"
    if presidio:
        head += f"  {'Presidio verb %':>15} {'partial %':>9}"
    lines = [f"corpus {corpus}", head, "-" * len(head)]

    def row(label: str, ours: dict, theirs: dict | None) -> str:
        line = f"{label:<22} {ours['n']:>5}  {_pct(ours['verbatim_rate']):>15} {_pct(ours['partial_rate']):>9}"
        if presidio and theirs:
            line += f"  {_pct(theirs['verbatim_rate']):>15} {_pct(theirs['partial_rate']):>9}"
        return line

    for category, ours in summary["categories"].items():
        lines.append(row(category, ours, presidio["categories"].get(category) if presidio else None))
        if category == "PHONE_NUMBER":
            for label, countries in _phone_rows(summary["phone_by_country"]):
                lines.append(row(label, _merge(summary["phone_by_country"], countries),
                                 _merge(presidio["phone_by_country"], countries) if presidio else None))
    lines.append("-" * len(head))
    lines.append(row("overall", summary["overall"], presidio["overall"] if presidio else None))
    neg = summary["negatives"]
    line = f"negatives changed      {neg['n']:>5}  {_pct(neg['changed_rate']):>15}"
    if presidio:
        line += f"  {'':>9}  {_pct(presidio['negatives']['changed_rate']):>15}"
    lines.append(line)
    js = summary["json"]
    line = f"JSON carriers invalid  {js['carriers']:>5}  {js['invalid']:>15}"
    if presidio:
        line += f"  {'':>9}  {presidio['json']['invalid']:>15}"
    lines.append(line)
    return lines


def targets(summary: dict, presidio: dict | None) -> list[tuple[bool, str]]:
    out = []
    overall = summary["overall"]
    out.append((overall["verbatim_rate"] <= TARGET_VERBATIM_OVERALL,
                f"verbatim leak overall {_pct(overall['verbatim_rate']).strip()}% (required <= 3%)"))
    worst = max(summary["categories"].items(), key=lambda kv: kv[1]["verbatim_rate"], default=None)
    over = [c for c, m in summary["categories"].items() if m["verbatim_rate"] > TARGET_VERBATIM_CATEGORY]
    if worst:
        out.append((not over, f"verbatim leak <= 10% in every category (worst {worst[0]} "
                              f"{_pct(worst[1]['verbatim_rate']).strip()}%; over: {', '.join(over) or 'none'})"))
    out.append((overall["partial_rate"] <= TARGET_PARTIAL,
                f"partial leak overall {_pct(overall['partial_rate']).strip()}% (required <= 10%)"))
    neg = summary["negatives"]["changed_rate"]
    out.append((neg <= TARGET_NEGATIVES, f"negative items changed {_pct(neg).strip()}% (required <= 10%)"))
    if presidio:
        worse = [c for c, m in summary["categories"].items()
                 if c in presidio["categories"] and m["partial"] + m["verbatim"]
                 >= presidio["categories"][c]["partial"] + presidio["categories"][c]["verbatim"]
                 and m["partial"] + m["verbatim"] > 0]
        out.append((not worse, "fewer leaks (verbatim + partial) than Presidio's defaults in every category"
                               f" (not fewer: {', '.join(worse) or 'none'})"))
    return out


def show_leaks(judged: dict, summary: dict, limit: int, categories: set[str] | None = None) -> list[str]:
    """Leaks with carrier and local context, then the carriers that leak most, then changed negatives."""
    lines = []
    for p, r, text in judged["values"]:
        if not r.partial or (categories and r.planted.category not in categories):
            continue
        needle = r.planted.value if r.verbatim else r.leaked[0]
        kind = "verbatim" if r.verbatim else f"partial {r.leaked}"
        lines.append(f"{r.planted.category:<20} {p.carrier.name:<40} {p.item.id} {kind}: ...{context(text, needle)}...")
        if len(lines) >= limit:
            break
    worst = sorted(summary["by_carrier"].items(), key=lambda kv: -kv[1]["partial_rate"])[:8]
    lines.append("carriers by partial leak rate: " + ", ".join(
        f"{name} {_pct(m['partial_rate']).strip()}% (n={m['n']})" for name, m in worst))
    if not categories:
        changed = [p for p, c in judged["negatives"] if c]
        lines += [f"{'NEGATIVE CHANGED':<20} {p.carrier.name:<40} {p.item.id} {p.item.kind}" for p in changed[:limit]]
    return lines


def run_corpus(name: str, items: list[Item], presidio: bool, show: int,
               categories: set[str] | None = None) -> dict:
    placed = place(items)
    outputs, seconds, processor = run_scrubber(placed)
    judged = evaluate(placed, outputs)
    ours = summarize(judged)
    result: dict[str, Any] = {
        "corpus": name, "items": len(items), "negative_items": sum(i.negative for i in items),
        "planted_values": sum(len(i.planted) for i in items),
        "carriers": {c: sum(p.carrier.name == c for p in placed) for c in sorted({p.carrier.name for p in placed})},
        "scrubber": {"config": "config/default.yaml", "processor": processor, "jurisdiction": JURISDICTION,
                     "seconds": round(seconds, 2), "items_per_s": round(len(items) / seconds, 1), **ours},
    }
    theirs = None
    if presidio:
        p_outputs, p_seconds = run_presidio(placed)
        theirs = summarize(evaluate(placed, p_outputs))
        result["presidio_default"] = {"seconds": round(p_seconds, 2), "items_per_s": round(len(items) / p_seconds, 1),
                                      **theirs}
    lines = table(name, ours, theirs)
    lines.append("")
    checks = targets(ours, theirs)
    lines += [f"  [{'met' if ok else 'MISS'}] {text}" for ok, text in checks]
    lines.append(f"scrubber: {processor} of config/default.yaml, jurisdiction {JURISDICTION}, "
                 f"{len(items)} items in {seconds:.1f} s")
    result["targets"] = [{"met": ok, "target": text} for ok, text in checks]
    print("\n".join(lines))
    if show:
        print(f"\nleaks (first {show}):")
        print("\n".join(show_leaks(judged, ours, show, categories)))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["dev", "tune", "heldout", "all"], default="dev")
    parser.add_argument("--no-presidio", action="store_true", help="skip the Presidio columns")
    parser.add_argument("--limit", type=int, default=0, help="only the first N items of each corpus")
    parser.add_argument("--show-leaks", type=int, default=0, metavar="N",
                        help="print N leaks with their context (tuning corpora only: dev, tune)")
    parser.add_argument("--category", default="", help="with --show-leaks: only these categories (comma-separated)")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.show_leaks and args.corpus not in corpora.TUNING:
        parser.error("--show-leaks is for the tuning corpora (dev, tune) only: the held-out corpus must not be tuned on")
    names = ["dev", "tune", "heldout"] if args.corpus == "all" else [args.corpus]
    for name in names:
        items = corpora.load(name)
        if args.limit:
            items = items[: args.limit]
        categories = {c.strip() for c in args.category.split(",") if c.strip()} or None
        result = run_corpus(name, items, not args.no_presidio, args.show_leaks if name in corpora.TUNING else 0, categories)
        result.update({"date": time.strftime("%Y-%m-%d"), "command": " ".join(["python -m benchmarks.accuracy"]
                                                                              + (argv or sys.argv[1:])),
                       "machine": {"python": sys.version.split()[0], "platform": platform.platform()}})
        args.out_dir.mkdir(parents=True, exist_ok=True)
        out = args.out_dir / f"accuracy-{name}.json"
        out.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {out}\n")
    return 0
