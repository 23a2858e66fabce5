"""`pool: {scope: requests}`: the whole scrub runs in a pool worker. Its output must equal the
in-process scrub byte for byte on every shared fixture line (same key, same config), its
counters must match, and a SIGKILLed worker must never let a request through raw."""

from __future__ import annotations

import asyncio
import logging
import os
import signal as signals

import pytest

from scrubber.component import ComponentID, Kind, Settings
from scrubber.consumer import SinkConsumer
from scrubber.detection import DetectionConfig
from scrubber.detection.pool import DetectionPool, DetectionPoolConfig, inline_pool_name
from scrubber.detection.service import InProcessDetection
from scrubber.pdata import Signal, otlpjson
from scrubber.processors.pii.processor import create_processor
from scrubber.processors.pii.tests.conftest import KEY_ENV, StubHost, make_config
from scrubber.service.telemetry import Telemetry
from scrubber.testing.data import fixture_requests, planted_values
from scrubber.testing.loop_thread import LoopThread

POOL = {"workers": 2, "scope": "requests", "timeout": 20.0}


class Rig:
    """One request-scope pool (2 spawned workers) on its own loop thread, for the module."""

    def __init__(self):
        self.loop = LoopThread("pii-offload-tests")
        self.loop.start()
        self.pool = DetectionPool(DetectionConfig(), POOL, Telemetry())
        self.loop.run(self.pool.start(), timeout=180)

    def run(self, coro, timeout: float = 120.0):
        return self.loop.run(coro, timeout)

    def processor(self, signal: Signal, remote: bool, detector=None, **overrides):
        """A started pii processor: on the pool (`remote`) or in-process; its sink and telemetry."""
        telemetry, sink = Telemetry(), SinkConsumer()
        config = make_config(**({"pool": POOL} if remote else {}), **overrides)
        pool_name = inline_pool_name(DetectionConfig(), DetectionPoolConfig.model_validate(POOL))
        host = StubHost({pool_name: self.pool, "detection": InProcessDetection(detector=detector)})
        settings = Settings(ComponentID("pii"), Kind.PROCESSOR, logging.getLogger("test.pii.offload"), telemetry,
                            signal.value)
        processor = create_processor(settings, config, signal, sink)
        self.run(processor.start(host))
        return processor, sink, telemetry

    def wait_workers(self, count: int) -> None:
        async def wait():
            while len(self.pool.worker_pids()) < count:
                await asyncio.sleep(0.1)
        self.run(asyncio.wait_for(wait(), 60), 65)

    def close(self) -> None:
        self.run(self.pool.close(), timeout=30)
        self.loop.stop()


@pytest.fixture(scope="module")
def rig():
    rig = Rig()
    yield rig
    rig.close()


def _count_whole_jobs(rig) -> list:
    """The requests sent whole to the pool from now on (a wrapper on `rig.pool.run_job` that
    the caller removes with `del rig.pool.run_job`)."""
    jobs: list = []
    run_job = rig.pool.run_job

    async def counted(handler, payload, size):
        jobs.append(handler.id)
        return await run_job(handler, payload, size)

    rig.pool.run_job = counted
    return jobs


def _scrub_all(rig, processor, sink, requests):
    async def go():
        for request in requests:
            await processor.consume(processor.signal, request)
    rig.run(go())
    return [request for _, request in sink.received]


def _counters(telemetry: Telemetry) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for metric in telemetry.registry.collect() if metric.name.startswith("scrubber_pii")
            for s in metric.samples if s.name.endswith("_total")}


@pytest.mark.parametrize("signal", list(Signal))
@pytest.mark.parametrize("audit", [False, True])
def test_request_scope_equals_in_process_on_every_fixture_line(rig, detector, signal, audit):
    requests = fixture_requests(signal)
    assert requests, f"no {signal} fixtures"
    local = rig.processor(signal, False, detector, audit={"attributes": audit})
    remote = rig.processor(signal, True, audit={"attributes": audit})
    expected = _scrub_all(rig, local[0], local[1], [r.__class__.FromString(r.SerializeToString()) for r in requests])
    got = _scrub_all(rig, remote[0], remote[1], requests)
    assert len(got) == len(expected) == len(requests)
    for want, have in zip(expected, got):
        assert have.SerializeToString(deterministic=True) == want.SerializeToString(deterministic=True)
    assert remote[2].value("pii_offload_fail_closed_total") == 0
    assert _counters(remote[2]) == _counters(local[2]) and _counters(local[2])


def test_sigkilled_workers_fail_closed_in_process_then_recover(rig, detector):
    requests = fixture_requests(Signal.TRACES)
    processor, sink, telemetry = rig.processor(Signal.TRACES, True)
    for pid in rig.pool.worker_pids():
        os.kill(pid, signals.SIGKILL)  # every worker dead: the jobs are lost on their pipes
    scrubbed = _scrub_all(rig, processor, sink, [r.__class__.FromString(r.SerializeToString()) for r in requests])
    assert len(scrubbed) == len(requests)  # forwarded, not dropped
    assert telemetry.value("pii_offload_fail_closed_total") >= 1
    assert telemetry.value("pii_fail_closed_total", {"reason": "detector_error"}) > 0
    out = "\n".join(otlpjson.dumps(r) for r in scrubbed)
    leaked = [v for v in planted_values() if v in out or v.replace('"', '\\"') in out]
    assert not leaked, f"{len(leaked)} planted values leaked"
    assert ":k1:" in out  # identifiers still pseudonymized by key, with no detection
    rig.wait_workers(2)
    failed = telemetry.value("pii_offload_fail_closed_total")
    local = rig.processor(Signal.TRACES, False, detector)
    want = _scrub_all(rig, local[0], local[1], [r.__class__.FromString(r.SerializeToString()) for r in requests[:3]])
    again = _scrub_all(rig, processor, sink, requests[:3])[-3:]
    assert telemetry.value("pii_offload_fail_closed_total") == failed
    assert [r.SerializeToString() for r in again] == [r.SerializeToString() for r in want]


def test_keys_never_appear_in_the_job_repr(rig):
    processor, _, _ = rig.processor(Signal.LOGS, True)
    text = repr(processor.job)
    assert all(value not in text for value in KEY_ENV.values())



def _workload_requests(workload: str, n: int = 3) -> tuple[Signal, list]:
    from benchmarks.throughput.__main__ import SPANS_PER_REQUEST
    from benchmarks.throughput.workloads import generate

    batches = generate(workload, n, min(SPANS_PER_REQUEST[workload], 20), 11)
    signal = Signal(batches[0].signal)
    return signal, [signal.new_request().FromString(b.payload) for b in batches]


def _copies(requests):
    return [r.__class__.FromString(r.SerializeToString()) for r in requests]


def _workload_names() -> list[str]:
    from benchmarks.throughput.workloads import WORKLOADS
    return list(WORKLOADS)


@pytest.mark.parametrize("workload", _workload_names())
def test_content_is_told_apart_by_keys_and_bodies(workload):
    """`whole_requests: without_content` sends plain HTTP / DB requests to the workers whole and
    keeps GenAI requests (content attributes, log bodies) on the shared findings cache here."""
    from scrubber.processors.pii.assemble import build_engine
    from scrubber.processors.pii.keys import KeyStore
    from scrubber.processors.pii.offload import carries_content

    lookup = build_engine(make_config(), KeyStore({})).catalog.lookup
    _, requests = _workload_requests(workload)
    verdicts = {carries_content(request, lookup) for request in requests}
    assert verdicts == ({False} if workload == "plain" else {True})


def _lookup():
    from scrubber.processors.pii.assemble import build_engine
    from scrubber.processors.pii.keys import KeyStore

    return build_engine(make_config(), KeyStore({})).catalog.lookup


@pytest.mark.parametrize("workload", _workload_names())
def test_mostly_plain_counts_the_items_that_carry_content(workload):
    """`whole_requests: mostly_plain` keeps a request here when half its items or more carry
    content: every GenAI workload, whose texts recur on the findings cache here; the mixed
    service's requests (a few GenAI spans among plain ones) and plain ones go whole. The count
    read off the serialized trace request equals the count on the parsed one."""
    from scrubber.processors.pii.offload import ContentCheck

    signal, requests = _workload_requests(workload)
    check = ContentCheck(_lookup())  # kept across requests, as the processor keeps it
    for request in requests:
        data = request.SerializeToString()
        content, total = ContentCheck(_lookup()).content_items(request, stop_at=10**9)
        if signal == Signal.TRACES:
            assert check.trace_content_items(data, stop_at=10**9) == (content, total)
        assert check.mostly_content(signal, request, data) == (content >= total / 2)
        mixed = workload in ("plain", "world-mixed")
        assert (content < total / 2) == mixed, (content, total)
        assert (content > 0) == (workload != "plain")


def _spans_request(content_spans: int, spans: int = 10, resource_content: bool = False):
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    if resource_content:
        group.resource.attributes.add(key="gen_ai.prompt.0.content").value.string_value = "hello"
    scope = group.scope_spans.add()
    for i in range(spans):
        span = scope.spans.add(name=f"s{i}", trace_id=bytes(16), span_id=bytes([i + 1]) * 8)
        span.attributes.add(key="http.route").value.string_value = "/api/orders"
        if i < content_spans:
            span.attributes.add(key="gen_ai.prompt.0.content").value.string_value = "my name is Ada"
    return request


@pytest.mark.parametrize("content_spans, spans, resource_content, mostly", [
    (0, 10, False, False), (4, 10, False, False), (5, 10, False, True), (10, 10, False, True),
    (0, 10, True, True), (1, 3, False, False), (2, 3, False, True), (0, 0, False, False)])
def test_mostly_plain_share_boundary(content_spans, spans, resource_content, mostly):
    """Half the spans or more with a content key (or content on their resource) stay here; an
    empty request goes whole, as `without_content` sends it. Bytes and parsed request agree,
    on a fresh check and on one that has seen the keys before."""
    from scrubber.processors.pii.offload import ContentCheck

    request = _spans_request(content_spans, spans, resource_content)
    data = request.SerializeToString()
    check = ContentCheck(_lookup())
    for _ in range(2):
        assert check.mostly_content(Signal.TRACES, request, data) is mostly
        assert check.mostly_content(Signal.LOGS, request, data) is mostly  # the parsed request's path
    assert check(request) == check.traces(data) == (content_spans > 0 or resource_content and spans > 0)


ROUTINGS = [(source, "without_content") for source in ["fixtures", *_workload_names()]] + \
    [(source, "mostly_plain") for source in ["fixtures", "plain", "world-mixed", "world-logs"]]


@pytest.mark.parametrize("source, whole", ROUTINGS)
def test_whole_requests_routing_equals_in_process(rig, detector, source, whole):
    """Whichever side a request is scrubbed on, bytes and counters equal the in-process scrub:
    every fixture line of every signal and every throughput workload."""
    if source == "fixtures":
        batches = [(signal, fixture_requests(signal)) for signal in Signal]
    else:
        batches = [_workload_requests(source)]
    for signal, requests in batches:
        # a generous detection timeout: on a crowded machine a slow answer would fail closed on one side only
        local = rig.processor(signal, False, detector, detection_timeout=60)
        routed = rig.processor(signal, True, whole_requests=whole, detection_timeout=60)
        expected = _scrub_all(rig, local[0], local[1], _copies(requests))
        jobs = _count_whole_jobs(rig)
        try:
            got = _scrub_all(rig, routed[0], routed[1], requests)
        finally:
            del rig.pool.run_job  # the class's method again
        if source in ("plain", "world-mixed", "world-logs"):  # went whole, or stayed here, as the mode says
            assert len(jobs) == (len(requests) if source == "plain" or (source, whole) == ("world-mixed", "mostly_plain")
                                 else 0), (source, whole, len(jobs))
        assert [r.SerializeToString(deterministic=True) for r in got] == \
            [r.SerializeToString(deterministic=True) for r in expected]
        assert routed[2].value("pii_offload_fail_closed_total") == 0
        assert _counters(routed[2]) == _counters(local[2])


def test_without_content_fails_closed_on_both_sides(rig, detector):
    """Workers SIGKILLed: plain requests (sent whole) and content requests (texts detected on
    the pool) are forwarded with nothing planted left, identifiers still keyed."""
    _, plain = _workload_requests("plain")
    content = fixture_requests(Signal.TRACES)
    processor, sink, telemetry = rig.processor(Signal.TRACES, True, whole_requests="without_content")
    for pid in rig.pool.worker_pids():
        os.kill(pid, signals.SIGKILL)
    scrubbed = _scrub_all(rig, processor, sink, _copies(plain) + _copies(content))
    assert len(scrubbed) == len(plain) + len(content)
    assert telemetry.value("pii_offload_fail_closed_total") >= 1
    out = "\n".join(otlpjson.dumps(r) for r in scrubbed)
    leaked = [v for v in planted_values() if v in out or v.replace('"', '\\"') in out]
    assert not leaked, f"{len(leaked)} planted values leaked"
    user_ids = {kv.value.string_value for r in plain for rs in r.resource_spans for ss in rs.scope_spans
                for span in ss.spans for kv in span.attributes if kv.key == "enduser.id"}
    assert user_ids and not [u for u in user_ids if u in out]  # identifiers keyed, never raw
    rig.wait_workers(2)


@pytest.mark.parametrize("kill_workers", [False, True])
def test_request_scope_leaves_the_given_request_as_it_was(rig, detector, kill_workers):
    """With `pool.scope: requests` the processor declares `mutates_data = False` (fan-out then
    shares the request instead of copying it for this pipeline): whichever path a request takes
    (whole on a worker, content here, fail-closed here after a lost job), the request handed in
    keeps its bytes and what goes on is a new request, scrubbed as the in-process processor
    scrubs it."""
    _, plain = _workload_requests("plain")
    content = fixture_requests(Signal.TRACES)[:5]
    processor, sink, _ = rig.processor(Signal.TRACES, True, whole_requests="without_content", detection_timeout=60)
    assert processor.mutates_data is False
    local = rig.processor(Signal.TRACES, False, detector, detection_timeout=60)
    assert local[0].mutates_data is True
    given = _copies(plain) + _copies(content)
    before = [r.SerializeToString() for r in given]
    if kill_workers:
        for pid in rig.pool.worker_pids():
            os.kill(pid, signals.SIGKILL)
    got = _scrub_all(rig, processor, sink, given)
    assert [r.SerializeToString() for r in given] == before
    assert all(have is not handed for have, handed in zip(got, given))
    if kill_workers:
        rig.wait_workers(2)
        return
    expected = _scrub_all(rig, local[0], local[1], _copies(given))
    assert [r.SerializeToString(deterministic=True) for r in got] == \
        [r.SerializeToString(deterministic=True) for r in expected]
