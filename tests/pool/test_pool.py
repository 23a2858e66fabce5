"""The detection pool: same findings as the single-process Detector, fails closed when a
worker is SIGKILLed or hangs (and recovers), refuses when saturated with bounded memory."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest

from scrubber.detection import Detector
from scrubber.detection.cache import FindingsCache
from scrubber.detection.pool import DetectionFailed
from scrubber.errors import ResourceExhaustedError
from scrubber.pdata import items, otlpjson
from scrubber.receivers.otlp.status import refusal_for
from scrubber.testing.data import require_fixtures_dir

FIXTURES = require_fixtures_dir()


def fixture_texts() -> list[str]:
    """Every message part and string attribute of the captured GenAI traces."""
    texts: list[str] = []
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        for line in (folder / "traces.jsonl").read_text().splitlines():
            _, request = otlpjson.load_line(line)
            for _, _, item in items(request):
                for kv in item.attributes:
                    value = kv.value.string_value
                    if value:
                        texts.extend(_parts(value))
    return texts


def _parts(value: str) -> list[str]:
    try:
        messages = json.loads(value)
    except ValueError:
        return [value]
    if not isinstance(messages, list):
        return [value]
    return [p["content"] for m in messages if isinstance(m, dict) for p in m.get("parts", [])
            if isinstance(p, dict) and isinstance(p.get("content"), str)] or [value]


def test_pool_findings_equal_the_single_process_detector(rig):
    texts = fixture_texts()
    assert len(texts) > 50
    ner = [i % 3 != 0 for i in range(len(texts))]
    expected = Detector(rig.detection).detect(texts, ner)

    async def concurrently():  # split across callers so micro-batches mix their texts
        chunks = [(texts[i:i + 7], ner[i:i + 7]) for i in range(0, len(texts), 7)]
        parts = await asyncio.gather(*(rig.pool.detect(t, n) for t, n in chunks))
        return [found for part in parts for found in part]

    assert rig.run(concurrently()) == expected
    assert any(f.detector == "ner" for found in expected for f in found)


def _mail_texts(n: int, tag: str) -> tuple[list[str], list[str]]:
    emails = [f"user.{tag}.{i}@example.com" for i in range(n)]
    texts = [f"Dear Maria Lopez, ticket {tag}-{i} is closed; we wrote to {e} about it. " * 3 for i, e in enumerate(emails)]
    return texts, emails


def test_sigkill_during_load_fails_the_held_batch_and_never_misroutes(rig):
    restarts = rig.metric("detection_worker_restarts_total")
    texts, emails = _mail_texts(400, "kill")
    victim = rig.pool.worker_pids()[0]

    async def scenario():
        calls = [asyncio.ensure_future(rig.pool.detect(texts[i:i + 4], [True] * 4)) for i in range(0, len(texts), 4)]
        await asyncio.sleep(0.3)  # workers are busy with the first micro-batches
        os.kill(victim, signal.SIGKILL)
        return await asyncio.gather(*calls, return_exceptions=True)

    outcomes = rig.run(scenario())
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    assert failed and all(isinstance(o, DetectionFailed) for o in failed)
    for start, outcome in zip(range(0, len(texts), 4), outcomes):
        if isinstance(outcome, BaseException):
            continue
        for text, email, found in zip(texts[start:start + 4], emails[start:start + 4], outcome):
            assert email in {text[f.start:f.end] for f in found if f.entity_type == "EMAIL_ADDRESS"}
    assert rig.metric("detection_worker_restarts_total") == restarts + 1
    assert rig.metric("detection_failed_texts_total") >= 4
    rig.wait_workers(2)
    assert victim not in rig.pool.worker_pids()
    again = rig.run(rig.pool.detect(texts[:3], [True] * 3))
    assert [{texts[i][f.start:f.end] for f in again[i] if f.entity_type == "EMAIL_ADDRESS"} for i in range(3)] \
        == [{e} for e in emails[:3]]


def test_hung_worker_is_killed_after_the_timeout_and_replaced(rig):
    restarts = rig.metric("detection_worker_restarts_total")
    rig.pool.config.timeout = 1.5
    victim = rig.pool.worker_pids()[0]
    texts, _ = _mail_texts(200, "hang")
    try:
        os.kill(victim, signal.SIGSTOP)  # alive but never answers: a hang

        async def scenario():
            calls = [rig.pool.detect(texts[i:i + 2], [True, True]) for i in range(0, len(texts), 2)]
            return await asyncio.gather(*calls, return_exceptions=True)

        outcomes = rig.run(scenario())
    finally:
        rig.pool.config.timeout = 20.0
        if victim in rig.pool.worker_pids():
            os.kill(victim, signal.SIGCONT)
    assert any(isinstance(o, DetectionFailed) for o in outcomes)
    assert rig.metric("detection_worker_restarts_total") == restarts + 1
    rig.wait_workers(2)
    assert victim not in rig.pool.worker_pids()


def test_saturated_pool_refuses_with_resource_exhausted_and_stays_bounded(rig):
    rig.pool.config.max_pending_texts = 60
    texts, _ = _mail_texts(600, "flood")
    peak = []

    async def flood():
        calls = [asyncio.ensure_future(rig.pool.detect(texts[i:i + 10], [True] * 10)) for i in range(0, len(texts), 10)]
        await asyncio.sleep(0)  # every call has tried to queue its texts by now
        peak.append(rig.pool.pending)
        return await asyncio.gather(*calls, return_exceptions=True)

    try:
        outcomes = rig.run(flood())
    finally:
        rig.pool.config.max_pending_texts = 20_000
    refused = [o for o in outcomes if isinstance(o, ResourceExhaustedError)]
    assert refused and len(refused) < len(outcomes)
    assert peak[0] <= 60
    assert all(isinstance(o, list) for o in outcomes if o not in refused)
    answer = refusal_for(refused[0])
    assert answer.code.name == "RESOURCE_EXHAUSTED" and 0 < refused[0].retry_after <= 5
    assert rig.metric("detection_refused_texts_total") >= 10


def test_parent_cache_answers_repeated_texts_without_a_worker(rig):
    texts, _ = _mail_texts(5, "cache")
    saved = rig.pool._cache
    rig.pool._cache = FindingsCache(100)
    try:
        first = rig.run(rig.pool.detect(texts, [True] * 5))
        misses = rig.metric("detection_cache_misses_total")
        second = rig.run(rig.pool.detect(texts + texts, [True] * 10))
    finally:
        rig.pool._cache = saved
    assert second == first + first
    assert rig.metric("detection_cache_misses_total") == misses


def test_closed_pool_refuses_retryably():
    from scrubber.detection.pool import DetectionPool
    from scrubber.errors import RetryableError

    pool = DetectionPool({}, {"workers": 1})
    asyncio.run(pool.close())
    with pytest.raises(RetryableError):
        asyncio.run(pool.detect(["x"], [False]))
