"""The plain path (issue 14 item 2) fails closed: `Prepass` never calls clean a text the full
detector finds something in, and the pii engine with it writes exactly what it writes without
it, on the real captures, every throughput workload, the dev corpus, when a found value
propagates into a quiet field, and when detection fails."""

from __future__ import annotations

import json

import pytest

from benchmarks.accuracy.corpora import load
from benchmarks.throughput.__main__ import SPANS_PER_REQUEST
from benchmarks.throughput.workloads import WORKLOADS
from scrubber.detection import DetectionConfig, Detector
from scrubber.pdata import Signal, otlpjson
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.prepass import Prepass
from scrubber.testing.data import require_fixtures_dir
from tests.detection.test_chunk_cache import _strings
from tests.perf_paths.engines import assert_same_output, engine_pair, workload_requests
from tests.perf_paths.engines import engine_config as _config
from tests.perf_paths.engines import scrub as _scrub


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector(DetectionConfig())


class Detection:
    """The real detector behind the engine's async interface (no thread: deterministic)."""

    def __init__(self, detector: Detector):
        self.detector = detector
        self.calls = 0

    async def detect(self, texts, ner):
        self.calls += 1
        return self.detector.detect(list(texts), list(ner))


class Failing:
    async def detect(self, texts, ner):
        raise RuntimeError("detector crashed")


def _engines(config: PIIProcessorConfig):
    return engine_pair(config, "prepass")


def _same_output(requests: list[tuple[Signal, bytes]], detection, config: PIIProcessorConfig | None = None) -> None:
    on = assert_same_output(requests, detection, "prepass", config)
    assert len(on.prepass) > 0, "the prepass learned nothing: the test would prove nothing"


def fixture_requests() -> list[tuple[Signal, bytes]]:
    out = []
    for path in sorted(require_fixtures_dir().glob("*/*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                signal, request = otlpjson.load_line(line)
                out.append((signal, request.SerializeToString()))
    return out


def fixture_texts() -> list[str]:
    texts = []
    for path in sorted(require_fixtures_dir().glob("*/*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                for text in _strings(json.loads(line)):
                    texts.append(text)
                    try:
                        texts.extend(_strings(json.loads(text)))
                    except ValueError:
                        pass
    return list(dict.fromkeys(texts))


def dev_texts() -> list[str]:
    return [t for item in load("dev") for t in ([item.text] if item.text else (item.fields or {}).values())]


# ---- the pre-pass against the full detector ---------------------------------------------------
@pytest.mark.parametrize("corpus", ["dev", "fixtures"])
def test_every_text_the_detector_finds_something_in_is_flagged(detector, corpus):
    texts = dev_texts() if corpus == "dev" else fixture_texts()
    assert len(texts) > (1500 if corpus == "dev" else 100)
    prepass = Prepass(detector.config)
    found = detector.detect(texts, [False] * len(texts))
    missed = [i for i, (text, f) in enumerate(zip(texts, found)) if f and prepass.clean(text, False)]
    assert not missed, f"{len(missed)} texts with pattern findings called clean (first at index {missed[0]})"
    # and with NER the pre-pass knows nothing until detection answered (no guessing about names)
    assert not any(prepass.clean(text, True) for text in texts)
    # it does skip work: most texts of these corpora hold no pattern candidate at all
    assert sum(prepass.clean(text, False) for text in texts) > len(texts) // 4


def test_the_memo_keeps_only_what_detection_answered_empty_for(detector):
    prepass = Prepass(detector.config)
    prepass.learn("GET /api/orders", True)
    assert prepass.clean("GET /api/orders", True)
    assert not prepass.clean("GET /api/orders ", True)  # exactly that text, nothing near it
    assert not prepass.clean("write to jane.doe@example.com", False)
    prepass.learn("x" * 10_000, True)  # long texts are not kept (bounded memory)
    assert not prepass.clean("x" * 10_000, True)


# ---- the engine with and without it -------------------------------------------------------------
def test_same_output_on_the_real_captures(detector):
    _same_output(fixture_requests(), Detection(detector))


@pytest.mark.parametrize("workload", WORKLOADS)
def test_same_output_on_every_workload(detector, workload):
    spans = min(SPANS_PER_REQUEST[workload], 20)
    requests = workload_requests(workload, 3, spans, 5)
    _same_output(requests, Detection(detector))


def test_same_output_with_audit_attributes(detector):
    requests = workload_requests("world-mixed", 2, 40, 6)
    _same_output(requests, Detection(detector), _config(audit={"attributes": True}))


def test_a_value_found_elsewhere_is_replaced_in_a_quiet_field(detector):
    """`app.note` (a key no table names: patterns only) holds no pattern candidate, so it is quiet;
    the name NER finds in the prompt of the same batch is still replaced there (propagation)."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add(name="chat")
    for key, text in (("gen_ai.prompt", "Please help me, I am Anna Schmidt."), ("app.note", "Anna Schmidt wrote")):
        span.attributes.append(KeyValue(key=key, value=AnyValue(string_value=text)))
    data = request.SerializeToString()
    on, off = _engines(_config())
    assert on.prepass.clean("Anna Schmidt wrote", False), "the case must exercise a quiet field"
    got = _scrub(on, Signal.TRACES, data, Detection(detector))
    assert got == _scrub(off, Signal.TRACES, data, Detection(detector))
    out = ExportTraceServiceRequest()
    out.ParseFromString(got[0])
    note = next(kv.value.string_value for kv in out.resource_spans[0].scope_spans[0].spans[0].attributes
                if kv.key == "app.note")
    assert "Anna" not in note and "Schmidt" not in note and note.endswith(" wrote")


def test_failing_detection_redacts_quiet_fields_too(detector):
    requests = workload_requests("plain", 2, 30, 8)
    on, off = _engines(_config())
    for signal, data in requests:  # warm the memo with real answers
        _scrub(on, signal, data, Detection(detector))
    for signal, data in requests:
        got, want = _scrub(on, signal, data, Failing()), _scrub(off, signal, data, Failing())
        assert got == want
        assert want[2].get("detector_error", 0) > 0
