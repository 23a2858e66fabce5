"""The pii engine writes byte for byte what it wrote before its hot path was reworked (issue 14:
the worker's CPU per plain span): the scrubbed requests and reports of every throughput workload
and the real captures, under five configs (default, audit attributes, drop / mask / redact key
rules, no key at all, scrubbed exemplars) and with detection failing, hash to the values recorded
from the engine before that work (`same_as_before.json`, written at commit 2d7b54d).

Detection here is a small deterministic stand-in (e-mail and IP regexes, "Two Capitalised" words
as a person when NER is on), not the detector: so the hashes pin the engine (walk, URL pieces,
operators, tokens, propagation, write-back), not detector tuning, and the test takes seconds.
A deliberate change of the engine's output re-records them:

    .venv/bin/python -m tests.perf_paths.test_same_as_before --write
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from benchmarks.throughput.__main__ import SPANS_PER_REQUEST
from benchmarks.throughput.workloads import WORKLOADS, generate
from scrubber.pdata import Signal
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.keys import KeyStore
from scrubber.processors.pii.processor import build_engine
from tests.perf_paths.test_prepass import fixture_requests

GOLDEN = Path(__file__).with_name("same_as_before.json")
#: a fixed key (material, not a secret: it only keys these test tokens)
KEYS = {"default": ("k1", {"k1": b"same-as-before-test-key-0123456789"})}
_RULES = [{"key": "enduser.id", "role": "identifier", "operator": {"operator": "drop"}},
          {"key": "client.address", "role": "identifier", "entity": "IP_ADDRESS",
           "operator": {"operator": "mask", "keep_last": 3}},
          {"key": "server.address", "role": "identifier", "operator": {"operator": "redact"}}]
CONFIGS = {"default": {}, "audit": {"audit": {"attributes": True}}, "rules": {"rules": _RULES},
           "nokey": {}, "exemplars": {"metrics": {"exemplars": "scrub"}}}
#: the world-* generators named conversations by `id()` (it differed per process; now from the seed,
#: 12 hex digits like the id()s the hashes were recorded with): kept stable here, at the same length
_CONVERSATION = re.compile(rb"conv-[0-9a-f]+")


def _stable(payload: bytes) -> bytes:
    return _CONVERSATION.sub(lambda m: b"conv-" + b"0" * (len(m.group()) - 5), payload)


class _Finding(NamedTuple):
    entity_type: str
    start: int
    end: int


_FOUND = [("EMAIL_ADDRESS", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), False),
          ("IP_ADDRESS", re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), False),
          ("PERSON", re.compile(r"\b[A-Z][a-z]{2,} [A-Z][a-z]{2,}\b"), True)]


class StandIn:
    """Deterministic detection: what these regexes find (the person one only with NER)."""

    async def detect(self, texts, ner):
        out = []
        for text, with_ner in zip(texts, ner):
            found = [_Finding(entity, m.start(), m.end()) for entity, pattern, needs_ner in _FOUND
                     if with_ner or not needs_ner for m in pattern.finditer(text)]
            found.sort(key=lambda f: (f.start, -f.end))
            kept, last = [], 0
            for f in found:
                if f.start >= last:
                    kept.append(f)
                    last = f.end
            out.append(kept)
        return out


class Failing:
    async def detect(self, texts, ner):
        raise RuntimeError("detection down")


def corpora_of(workload: str) -> list[tuple[Signal, bytes]]:
    batches = generate(workload, 2, min(SPANS_PER_REQUEST[workload], 40), 21)
    return [(Signal(b.signal), _stable(b.payload)) for b in batches]


def corpora() -> dict[str, list[tuple[Signal, bytes]]]:
    return {**{workload: corpora_of(workload) for workload in WORKLOADS}, "fixtures": fixture_requests()}


def _digest(corpus: list[tuple[Signal, bytes]], config_name: str) -> str:
    """One hash over every request scrubbed three times by one engine: memos cold, warm, then
    with detection failing (bytes, detections and fail-closed counts, in order)."""
    config = PIIProcessorConfig.model_validate(CONFIGS[config_name])
    engine = build_engine(config, KeyStore({} if config_name == "nokey" else KEYS))
    digest = hashlib.sha256()
    for detection in (StandIn(), StandIn(), Failing()):
        for signal, data in corpus:
            request = signal.new_request()
            request.ParseFromString(data)
            report = asyncio.run(engine.scrub(signal, request, detection))
            digest.update(request.SerializeToString())
            digest.update(repr(sorted(report.detections.items())).encode())
            digest.update(repr(sorted(report.fail_closed.items())).encode())
    return digest.hexdigest()


def digests() -> dict[str, str]:
    return {f"{name}|{config}": _digest(corpus, config) for name, corpus in corpora().items() for config in CONFIGS}


@pytest.fixture(scope="module")
def now() -> dict[str, str]:
    return digests()


@pytest.fixture(scope="module")
def recorded() -> dict[str, str]:
    return json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("case", [f"{name}|{config}" for name in [*WORKLOADS, "fixtures"] for config in CONFIGS])
def test_the_engine_writes_what_it_wrote_before(now, recorded, case):
    assert now[case] == recorded[case], f"{case}: output differs from the recorded engine"


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    GOLDEN.write_text(json.dumps(digests(), indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("workload", ["plain", "world-mixed", "world-logs"])
def test_a_scrub_leaves_nothing_to_the_cyclic_collector(workload):
    """What one scrub builds is freed when it returns (`Walker.release`): before, its quiet entries
    and key fields pointed back at the walker, ~50 objects per plain span that every gen-0
    collection walked again until the cyclic collector freed them."""
    import gc

    engine = build_engine(PIIProcessorConfig.model_validate({}), KeyStore(KEYS))
    requests = corpora_of(workload)
    loop = asyncio.new_event_loop()  # one loop, as in a pool worker (offload.RequestScrubber)
    gc.collect()
    gc.disable()
    try:
        for detection in (StandIn(), StandIn()):  # memos cold, then warm (a failure's traceback is a cycle)
            for signal, data in requests:
                request = signal.new_request()
                request.ParseFromString(data)
                loop.run_until_complete(engine.scrub(signal, request, detection))
                del request
                assert gc.collect() == 0, f"{workload}: a scrub left reference cycles"
    finally:
        gc.enable()
        loop.close()
