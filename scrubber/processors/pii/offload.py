"""`pool: {scope: requests}`: the whole scrub of a request runs in a detection worker.

With only texts offloaded, the main process still parses, walks, rewrites and
serializes every request in pure Python, and on workloads that need little
detection (URLs, identifiers) that one core is the limit while the workers idle.
Here the processor sends the serialized request to a worker of its pool (inline `pool:` or
a `worker_pool` extension);
the worker runs the same `Engine` (walk, key rules, detection with its own
`Detector` and findings cache, operators, metric merge) and sends back the
scrubbed bytes and the `ScrubReport` (counts by key, type, operator; never a
value). The parent parses the bytes into the request in place and records the
report in its own Prometheus counters.

The worker gets the validated config and the loaded key material once, over its
pipe (`RequestScrubber` spec); both are never logged. The pool knows this handler only by
the import string `FACTORY`; the worker shares one `Detector` per detection config among
its handlers (`scrubber.detection.worker.worker_detector`).

Fail closed: a job lost to a worker crash, hang or error, or not answered within
`detection_timeout`, is scrubbed in the main process by the same engine with a
detection that always fails, so every scanned field is redacted whole and
identifiers are still pseudonymized; nothing is forwarded raw.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Callable, Sequence

from scrubber.detection.worker import worker_detector
from scrubber.errors import JobFailed
from scrubber.extensions.worker_pool.worker import Handler
from scrubber.pdata import Request, Signal, resource_groups, scope_groups, scope_items
from scrubber.processors.pii.assemble import build_engine
from scrubber.processors.pii.audit import ScrubReport
from scrubber.processors.pii.catalog import Role, Rule
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.keys import KeyStore

FACTORY = "scrubber.processors.pii.offload:RequestScrubber"


@dataclass(frozen=True)
class Spec:
    """What a worker needs to build the engine; travels only over the worker pipe."""

    config: PIIProcessorConfig = field(repr=False)
    keys: dict = field(repr=False)
    length: int = 12


def handler(config: PIIProcessorConfig, keys: KeyStore) -> Handler:
    """A job kind for the pool, unique to this processor instance (its config and keys)."""
    spec = Spec(config, keys.material(), keys.length)
    return Handler(f"pii/{uuid.uuid4().hex}", FACTORY, spec)


class _LocalDetection:
    """The worker's detector behind the engine's async interface (no thread: we are the worker)."""

    def __init__(self, detector):
        self.detector = detector

    async def detect(self, texts: Sequence[str], ner: Sequence[bool]) -> list[list]:
        return self.detector.detect(list(texts), list(ner)) if texts else []


class FailedDetection:
    """Detection that always fails: the engine then redacts every field that needed it."""

    def __init__(self, error: BaseException):
        self.error = error

    async def detect(self, texts: Sequence[str], ner: Sequence[bool]) -> list[list]:
        raise self.error


class RequestScrubber:
    """Runs in the worker: `run((signal, bytes))` -> (scrubbed bytes, ScrubReport)."""

    def __init__(self, spec: Spec, context):
        self.engine = build_engine(spec.config, KeyStore(spec.keys, spec.length))
        self.detection = _LocalDetection(worker_detector(context, spec.config.detection.model_dump_json()))
        self.loop = asyncio.new_event_loop()

    def run(self, payload: tuple[str, bytes]) -> tuple[bytes, ScrubReport]:
        name, data = payload
        signal = Signal(name)
        request = signal.new_request()
        request.ParseFromString(data)
        report = self.loop.run_until_complete(self.engine.scrub(signal, request, self.detection))
        return request.SerializeToString(), report


#: roles whose values are free text or documents worth the main process's shared findings cache
_CONTENT_ROLES = frozenset({Role.CONTENT, Role.STRUCTURED})


def carries_content(request: Request, lookup: Callable[[str], Rule]) -> bool:
    """True if any attribute of `request` holds content (its key's rule, `lookup`, is content or
    structured) or a log record has a body: what `whole_requests: without_content` keeps in the
    main process. Only keys are read (memoised rule look-ups), no values, so the check costs a
    fraction of the walk it saves. It decides where a request is scrubbed, never how: both
    places run the same engine, so the output is the same either way."""
    for group in resource_groups(request):
        if _any_content(group.resource.attributes, lookup):
            return True
        for scope_group in scope_groups(group):
            if _any_content(scope_group.scope.attributes, lookup):
                return True
            for item in scope_items(scope_group):
                if _item_content(item, lookup):
                    return True
    return False


def _item_content(item, lookup: Callable[[str], Rule]) -> bool:
    if _any_content(item.attributes, lookup):
        return True
    if hasattr(item, "body"):  # a log record: its body is content
        return item.HasField("body")
    return any(_any_content(event.attributes, lookup) for event in getattr(item, "events", ()))


def _any_content(attributes, lookup: Callable[[str], Rule]) -> bool:
    roles = _CONTENT_ROLES
    return any(lookup(kv.key).role in roles for kv in attributes)


async def scrub_remote(pool, job: Handler, engine, timeout: float, signal: Signal,
                       request: Request) -> tuple[ScrubReport, bool]:
    """Scrub `request` in place on a pool worker; (report, False), or after a lost job the
    in-process fail-closed scrub's (report, True). ResourceExhaustedError propagates."""
    data = request.SerializeToString()
    try:
        scrubbed, report = await asyncio.wait_for(pool.run_job(job, (signal.value, data), len(data)), timeout)
    except (JobFailed, asyncio.TimeoutError) as exc:
        error = TimeoutError("scrub job timed out") if isinstance(exc, asyncio.TimeoutError) else exc
        return await engine.scrub(signal, request, FailedDetection(error)), True
    request.ParseFromString(scrubbed)
    return report, False
