"""The `worker_pool` extension and how detecting components get their pool (issue 9, item 3),
through the real config loader and service graph, with real spawned workers: two inline
`pool:` settings are two pools; a pii processor that names a `worker_pool` extension runs on
its workers (texts and whole requests); a missing or wrong id is a config error with its key
path; the pool imports no component."""

from __future__ import annotations

import asyncio
import json
import pathlib
import subprocess
import sys

import psutil
import pytest
import yaml

from scrubber.component import ComponentID, Kind
from scrubber.config.loader import parse_config
from scrubber.errors import ConfigError
from scrubber.extensions.worker_pool.config import WorkerPoolConfig
from scrubber.extensions.worker_pool.factory import WorkerPoolExtension
from scrubber.extensions.worker_pool.pool import WorkerPool
from scrubber.pdata import Signal, otlpjson
from scrubber.registry import Registry, default_registry
from scrubber.service.graph import Graph
from scrubber.service.telemetry import Telemetry
from scrubber.testing.data import synthetic_request
from tests.support.components import add_capture_and_sink

ROOT = pathlib.Path(__file__).resolve().parents[2]
KEY_ENV = "SCRUBBER_TEST_WORKER_POOL_KEY"
KEYS = {"default": {"active": "k1", "keys": {"k1": {"env": KEY_ENV}}}}
#: patterns only: workers are up in a second (no spaCy model), the e-mail is still found
NO_NER = {"ner": {"enabled": False}}
MAIL = "jane.doe@example.com"


def _registry() -> Registry:
    return add_capture_and_sink(Registry.from_entry_points())


def _config(processors: dict, extensions: dict | None = None) -> dict:
    """One pipeline `traces/<name>` per processor, each to its own sink."""
    pipelines = {f"traces/{pid.replace('/', '_')}": {"receivers": ["capture"], "processors": [pid],
                                                     "exporters": [f"sink/{pid.replace('/', '_')}"]}
                 for pid in processors}
    return {"receivers": {"capture": None}, "processors": processors, "extensions": extensions or {},
            "exporters": {f"sink/{pid.replace('/', '_')}": None for pid in processors},
            "service": {"extensions": list(extensions or {}), "pipelines": pipelines}}


def _pii(**settings) -> dict:
    return {"keys": KEYS, "detection": NO_NER, **settings}


def _request():
    request = synthetic_request(Signal.TRACES, 1)
    attribute = request.resource_spans[0].scope_spans[0].spans[0].attributes.add()
    attribute.key, attribute.value.string_value = "gen_ai.prompt", f"please write to {MAIL} today"
    return request


def _run(graph: Graph, check) -> object:
    """Start the graph, send one request into every pipeline, run `check`, shut down."""
    async def scenario():
        await graph.start()
        try:
            receiver = next(iter(graph.receivers.values()))
            await receiver.consumers[Signal.TRACES].consume(Signal.TRACES, _request())
            return await check()
        finally:
            await graph.shutdown(10.0)
    return asyncio.run(asyncio.wait_for(scenario(), 240))


def _scrubbed_everywhere(graph: Graph) -> None:
    for sink in graph.exporters.values():
        (request,) = sink.requests(Signal.TRACES)
        out = otlpjson.dumps(request)
        assert MAIL not in out and "<EMAIL_ADDRESS:k1:" in out


async def _workers(service, count: int) -> list[int]:
    """The pids once `count` workers are up (start waits for the first one only)."""
    while len(service.worker_pids()) < count:
        await asyncio.sleep(0.05)
    return service.worker_pids()


def _pii_processor(graph: Graph, name: str):
    (processor,) = graph.processors[f"traces/{name}"]
    return processor


def test_two_pii_processors_with_different_pool_settings_get_two_pools(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "worker-pool-test-key-0123456789abcdef")
    config = parse_config(_config({"pii/one": _pii(pool={"workers": 1}), "pii/two": _pii(pool={"workers": 2}),
                                   "pii/again": _pii(pool={"workers": 1})}), registry=_registry(), checks=False)
    graph = Graph(config, Telemetry())

    async def check():
        one, two, again = (_pii_processor(graph, n).detection for n in ("pii_one", "pii_two", "pii_again"))
        pids = {"one": await _workers(one, 1), "two": await _workers(two, 2)}
        await asyncio.sleep(0.5)  # a third worker, if a pool wrongly had one, would be up by now
        pids = {"one": one.worker_pids(), "two": two.worker_pids()}
        _scrubbed_everywhere(graph)
        return one, two, again, pids

    one, two, again, pids = _run(graph, check)
    assert one is not two and one is again  # same settings share; other settings never do
    assert (len(pids["one"]), len(pids["two"])) == (1, 2)
    assert not set(pids["one"]) & set(pids["two"])
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                   for pid in pids["one"] + pids["two"])


def test_pii_processors_naming_a_worker_pool_extension_run_on_its_workers(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "worker-pool-test-key-0123456789abcdef")
    config = parse_config(_config(
        {"pii/texts": _pii(worker_pool="worker_pool/detection"),
         "pii/requests": _pii(worker_pool="worker_pool/detection", pool={"scope": "requests"})},
        extensions={"worker_pool/detection": {"workers": 2}}), registry=_registry(), checks=False)
    graph = Graph(config, Telemetry())
    extension = graph.extensions[ComponentID("worker_pool", "detection")]
    assert isinstance(extension, WorkerPoolExtension)

    async def check():
        texts, requests = _pii_processor(graph, "pii_texts"), _pii_processor(graph, "pii_requests")
        assert texts.detection.pool is extension.worker_pool is requests.detection.pool
        assert requests.job is not None and requests.job.id in extension.worker_pool._handlers
        _scrubbed_everywhere(graph)
        return await _workers(extension.worker_pool, 2)

    pids = _run(graph, check)
    assert len(pids) == 2
    telemetry = graph.telemetry
    assert telemetry.value("detection_batch_texts_count") >= 1  # the texts went through its workers
    assert telemetry.value("pii_offload_fail_closed_total") == 0  # the request job too, not a fallback
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in pids)


@pytest.mark.parametrize("processors, extensions, expected", [
    ({"pii": _pii(worker_pool="worker_pool/missing")}, {},
     "processors::pii::worker_pool: references extension 'worker_pool/missing', which is not configured under extensions"),
    ({"pii": _pii(worker_pool="file_storage")}, {},
     "processors::pii::worker_pool: 'file_storage' is not a worker_pool extension id"),
    ({"pii": _pii(worker_pool="worker_pool", pool={"workers": 2})}, {"worker_pool": None},
     "processors::pii::worker_pool: pool settings (workers) belong on the extension 'worker_pool'"),
    ({"egress_guard": {"mode": "pseudonymized", "worker_pool": "worker_pool/gone"}}, {},
     "processors::egress_guard::worker_pool: references extension 'worker_pool/gone'"),
], ids=["missing", "not-a-worker-pool", "settings-twice", "egress-missing"])
def test_a_missing_or_wrong_worker_pool_id_is_a_config_error_naming_its_key_path(monkeypatch, processors, extensions,
                                                                                  expected):
    monkeypatch.setenv(KEY_ENV, "worker-pool-test-key-0123456789abcdef")
    with pytest.raises(ConfigError) as refused:
        parse_config(_config(processors, extensions), registry=_registry(), checks=False)
    assert any(error.startswith(expected) for error in refused.value.errors), refused.value.errors


def test_an_extension_configured_but_not_enabled_is_named_too(monkeypatch):
    monkeypatch.setenv(KEY_ENV, "worker-pool-test-key-0123456789abcdef")
    data = _config({"pii": _pii(worker_pool="worker_pool/x")}, {"worker_pool/x": None})
    data["service"]["extensions"] = []
    with pytest.raises(ConfigError) as refused:
        parse_config(data, registry=_registry(), checks=False)
    assert ("processors::pii::worker_pool: extension 'worker_pool/x' is configured but not listed in "
            "service::extensions") in refused.value.errors


def test_the_worker_pool_imports_no_component():
    """The pool runs its users' code by reference only: importing it (and its worker) loads no
    processor, connector, receiver, exporter or detection module."""
    code = ("import json, sys; import scrubber.extensions.worker_pool.factory, scrubber.extensions.worker_pool.worker; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('scrubber'))))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True)
    loaded = json.loads(done.stdout)
    assert "scrubber.extensions.worker_pool.pool" in loaded
    forbidden = ("scrubber.processors", "scrubber.connectors", "scrubber.receivers", "scrubber.exporters",
                 "scrubber.detection")
    assert not [m for m in loaded if m.startswith(forbidden)]


def test_golden_config_and_registration():
    golden = yaml.safe_load((ROOT / "scrubber/extensions/worker_pool/testdata/config.yaml").read_text())
    assert WorkerPoolConfig.model_validate(golden["worker_pool"] or {}) == WorkerPoolConfig()
    full = WorkerPoolConfig.model_validate(golden["worker_pool/all_settings"])
    assert (full.workers, full.max_batch_texts, full.max_wait, full.min_batch_bytes, full.max_pending_texts,
            full.max_pending_bytes, full.timeout, full.max_worker_memory_mib, full.start_timeout) == \
        (3, 64, 0.005, 4096, 5000, 8388608, 4.0, 768, 90.0)
    with pytest.raises(ValueError, match="scope"):
        WorkerPoolConfig.model_validate({"scope": "requests"})  # a pii choice, not the pool's
    factory = default_registry().get(Kind.EXTENSION, "worker_pool")
    assert factory is not None and factory.create is WorkerPoolExtension and factory.default_config() == WorkerPoolConfig()


def test_a_generic_pool_runs_callable_and_batch_handlers_without_detection():
    """Handlers given as a callable (pickled by reference) and a batch handler whose items are
    sent together; shutdown is idempotent and safe before start."""
    from scrubber.extensions.worker_pool.worker import Handler
    from tests.pool.jobs import Echo, Sizes

    async def scenario():
        pool = WorkerPool({"workers": 1, "max_wait": 0.05}, Telemetry())
        echo, sizes = Handler("test/echo", Echo, {"n": 1}), Handler("test/sizes", Sizes, None, batch=True)
        await pool.start()
        await pool.wait_ready(60, echo)
        answers = await asyncio.gather(*pool.submit(sizes, list(range(30)), [1] * 30))
        echoed = await pool.run_job(echo, "hello", 5)
        await pool.close()
        await pool.close()
        return answers, echoed

    answers, echoed = asyncio.run(asyncio.wait_for(scenario(), 120))
    assert echoed == ({"n": 1}, "hello")
    assert [value for value, _ in answers] == list(range(30))
    assert max(batch for _, batch in answers) > 1  # queued together, sent together
    asyncio.run(WorkerPool({"workers": 1}).close())


@pytest.mark.parametrize("least, size, shares", [(1024, 100, [4]), (1024, 600, [2, 2]), (0, 100, [2, 1, 1])])
def test_a_small_queue_goes_to_one_worker_whole(least, size, shares):
    """The queue is shared among the workers, but not in shares under `min_batch_bytes`: four
    short texts (400 bytes) go in one message, four long ones (2,400) two by two, and with
    the bound at 0 the queue is halved again at each take, down to one text a message, as before."""
    from scrubber.extensions.worker_pool.worker import Handler
    from tests.pool.jobs import Sizes

    async def scenario():
        pool = WorkerPool({"workers": 2, "max_wait": 0.05, "min_batch_bytes": least}, Telemetry())
        sizes = Handler("test/sizes", Sizes, None, batch=True)
        await pool.start()
        await pool.wait_ready(60, sizes)
        answers = await asyncio.gather(*pool.submit(sizes, list(range(4)), [size] * 4))
        await pool.close()
        return answers

    answers = asyncio.run(asyncio.wait_for(scenario(), 120))
    assert [value for value, _ in answers] == list(range(4))
    assert [batch for _, batch in answers] == [n for n in shares for _ in range(n)]


def test_the_readme_example_is_a_valid_config(monkeypatch):
    monkeypatch.setenv("SCRUBBER_PII_KEY", "worker-pool-readme-key-0123456789abcdef")
    text = (ROOT / "scrubber/extensions/worker_pool/README.md").read_text()
    example = yaml.safe_load(text.split("```yaml\n", 1)[1].split("```", 1)[0])
    pipeline = {"receivers": ["capture"], "processors": ["pii", "pii/requests", "egress_guard"], "exporters": ["sink"]}
    example.update(receivers={"capture": None}, exporters={"sink": None})
    example["service"]["pipelines"] = {"traces": pipeline}
    config = parse_config(example, registry=_registry(), checks=False)
    pool = config.entry(Kind.EXTENSION, ComponentID("worker_pool", "detection")).config
    assert (pool.max_wait, pool.timeout, pool.start_timeout) == (0.002, 5.0, 120.0)
    assert config.entry(Kind.PROCESSOR, ComponentID("pii", "requests")).config.scope == "requests"


def test_a_handler_whose_factory_raises_fails_its_jobs_and_spares_the_worker():
    """Its waiters and callers get JobFailed (by exception type only), the worker that tried
    to build it is not killed, and the other handlers keep running on it."""
    from scrubber.errors import JobFailed
    from scrubber.extensions.worker_pool.worker import Handler
    from tests.pool.jobs import Broken, Echo

    async def scenario():
        pool = WorkerPool({"workers": 1}, Telemetry())
        echo, broken = Handler("test/echo", Echo, None), Handler("test/broken", Broken, None)
        await pool.start()
        await pool.wait_ready(60, echo)
        pids = pool.worker_pids()
        with pytest.raises(JobFailed) as waited:
            await pool.wait_ready(60, broken)
        with pytest.raises(JobFailed):
            await pool.run_job(broken, "x", 1)
        echoed = await pool.run_job(echo, "still here", 1)
        after = pool.worker_pids()
        await pool.close()
        return str(waited.value), pids, after, echoed

    message, pids, after, echoed = asyncio.run(asyncio.wait_for(scenario(), 120))
    assert "OSError" in message and "path" not in message
    assert pids == after and echoed == (None, "still here")
