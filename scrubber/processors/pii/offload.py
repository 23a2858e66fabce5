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
import gc
import math
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

from scrubber.detection.worker import worker_detector
from scrubber.errors import JobFailed
from scrubber.extensions.worker_pool.worker import Handler
from scrubber.pdata import Request, Signal, clone, resource_groups, scope_groups, scope_items
from scrubber.processors.pii.assemble import build_engine
from scrubber.processors.pii.audit import ScrubReport
from scrubber.processors.pii.catalog import Role, Rule
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.keys import KeyStore
from scrubber.processors.pii.span_keys import trace_keys

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
        with collector_paused():
            request = signal.new_request()
            request.ParseFromString(data)
            report = self.loop.run_until_complete(self.engine.scrub(signal, request, self.detection))
            return request.SerializeToString(), report


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a worker scrubs one request, on again after (also
    on an error; left off if it was off). A request's walk makes about a hundred tracked objects
    per span (fields, quiet entries, pieces) that all die by reference counting when it ends
    (`Walker.release` breaks its cycles): the generation-0 passes the allocations trigger
    meanwhile only traverse and promote them, ~5% of a plain span's instructions (callgrind).
    Cycles made during the scrub are collected by the first pass after it. Output is unchanged
    (nothing in the engine runs code on collection; tests compare)."""
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


#: roles whose values are free text or documents worth the main process's shared findings cache
_CONTENT_ROLES = frozenset({Role.CONTENT, Role.STRUCTURED})
#: keys whose verdict (not content) is kept at most; beyond, the set starts afresh
MAX_PLAIN_KEYS = 8192
#: items whose keys are read and compared at once (`ContentCheck._items_content`)
CHUNK = 16
#: key lists of spans (`span_keys` blobs) found plain that are kept at most; beyond, afresh
MAX_PLAIN_SPANS = 4096
#: `whole_requests: mostly_plain`: a request stays in the main process when at least this share of its
#: items carry content (a GenAI request: its texts recur, and the one findings cache here keeps
#: hitting on them); with fewer (a service's plain spans and a few GenAI ones) the walk of its
#: plain items is most of its cost, and it goes to a worker whole
MOSTLY_CONTENT_SHARE = 0.5


def carries_content(request: Request, lookup: Callable[[str], Rule]) -> bool:
    """True if any attribute of `request` holds content (its key's rule, `lookup`, is content or
    structured) or a log record has a body: what `whole_requests: without_content` keeps in the
    main process. Only keys are read, no values. It decides where a request is scrubbed, never
    how: both places run the same engine, so the output is the same either way. A processor
    asks a `ContentCheck` it keeps, which remembers the keys found plain across requests."""
    return ContentCheck(lookup)(request)


class ContentCheck:
    """`carries_content` with the plain keys kept: ordinary services send the same few keys in
    every span, so after the first request each CHUNK of items costs one read of their keys and
    one set comparison (`issuperset`) instead of a rule look-up per attribute of every span, the main
    process's largest share on plain traffic. Content keys are not kept: their first occurrence
    decides the request, and the catalog memoises their rule anyway."""

    def __init__(self, lookup: Callable[[str], Rule]):
        self.lookup = lookup
        self.plain: set[str] = set()
        #: spans' serialized key lists (`span_keys`) whose every key was found plain
        self.plain_spans: set[bytes] = set()

    def __call__(self, request: Request) -> bool:
        """Whether any item of `request` carries content (`without_content`'s question)."""
        return self.content_items(request, stop_at=1)[0] > 0

    def traces(self, data: bytes) -> bool:
        """`self(request)` for the trace request serialized as `data` (see `trace_content_items`)."""
        return self.trace_content_items(data, stop_at=1)[0] > 0

    def mostly_content(self, signal: Signal, request: Request, data: bytes) -> bool:
        """Whether at least MOSTLY_CONTENT_SHARE of the items of `request` (serialized: `data`)
        carry content: what `whole_requests: mostly_plain` keeps in the main process. Every item is
        counted: a plain request, the common one, is read to its end either way."""
        if signal == Signal.TRACES:
            content, total = self.trace_content_items(data, stop_at=math.inf)
        else:
            content, total = self.content_items(request, stop_at=math.inf)
        return total > 0 and content >= MOSTLY_CONTENT_SHARE * total

    def content_items(self, request: Request, stop_at: float) -> tuple[int, int]:
        """(items carrying content, items counted): an item carries content when its resource's,
        its scope's, its own or (spans) its events' attributes hold a content key, or (logs) it
        has a body. Counting stops once `stop_at` items carry content."""
        content = total = 0
        for group in resource_groups(request):
            resource = self._any_content([kv.key for kv in group.resource.attributes])
            for scope_group in scope_groups(group):
                items = list(scope_items(scope_group))
                total += len(items)
                if resource or self._any_content([kv.key for kv in scope_group.scope.attributes]):
                    content += len(items)
                else:
                    content += self._items_content(items, stop_at - content)
                if content >= stop_at:
                    return content, total
        return content, total

    def trace_content_items(self, data: bytes, stop_at: float) -> tuple[int, int]:
        """`content_items` for the trace request serialized as `data`, read through `span_keys`:
        the same counts, from the same keys. Each span is its key list's blob; a scope group
        whose blobs were all found plain before costs one set comparison, a new blob has its
        keys looked at as `_any_content` does and is kept if they are all plain."""
        seen = self.plain_spans
        content = total = 0
        for group in trace_keys(data).resource_spans:
            resource = self._any_content([kv.key for kv in group.resource.attributes])
            for scope_group in group.scope_spans:
                spans = scope_group.spans
                total += len(spans)
                if resource or self._any_content([kv.key for kv in scope_group.scope.attributes]):
                    content += len(spans)
                    if content >= stop_at:
                        return content, total
                    continue
                blobs = [span.SerializeToString() for span in spans]
                if seen.issuperset(blobs):
                    continue
                for span, blob in zip(spans, blobs):
                    if blob in seen:
                        continue
                    keys = [kv.key for kv in span.attributes]
                    keys += [kv.key for event in span.events for kv in event.attributes]
                    if self._any_content(keys):
                        content += 1
                        if content >= stop_at:
                            return content, total
                        continue
                    if len(seen) >= MAX_PLAIN_SPANS:
                        seen.clear()
                    seen.add(blob)
        return content, total

    def _items_content(self, items: list, stop_at: float) -> int:
        """How many items' attributes (or their events', for spans) hold content, or (logs) have a
        body, counted up to `stop_at`: the keys of CHUNK items at a time in one list, so a plain
        group costs a few set comparisons; only a chunk that holds content is looked at item by item."""
        if not items:
            return 0
        logs, spans = hasattr(items[0], "body"), hasattr(items[0], "events")
        content = 0
        for start in range(0, len(items), CHUNK):
            chunk = items[start:start + CHUNK]
            if self._chunk_plain(chunk, logs, spans):
                continue
            content += sum(not self._chunk_plain([item], logs, spans) for item in chunk)
            if content >= stop_at:
                break
        return content

    def _chunk_plain(self, chunk: list, logs: bool, spans: bool) -> bool:
        if logs and any(record.HasField("body") for record in chunk):
            return False
        keys = [kv.key for item in chunk for kv in item.attributes]
        if spans:
            keys += [kv.key for span in chunk for event in span.events for kv in event.attributes]
        return not self._any_content(keys)

    def _any_content(self, keys: list[str]) -> bool:
        plain = self.plain
        if plain.issuperset(keys):
            return False
        for key in keys:
            if key in plain:
                continue
            if self.lookup(key).role in _CONTENT_ROLES:
                return True
            if len(plain) >= MAX_PLAIN_KEYS:
                plain.clear()
            plain.add(key)
        return False


async def scrub_remote(pool, job: Handler, engine, timeout: float, signal: Signal,
                       request: Request, data: bytes | None = None) -> tuple[Request, ScrubReport, bool]:
    """`request` scrubbed on a pool worker, as a new request: (scrubbed, report, False), or after
    a lost job the in-process fail-closed scrub of a copy: (copy, report, True). `request` itself
    is never changed (the processor says so to fan-out, which then need not copy it for us), and
    the worker's bytes are parsed into an empty message, which costs about half as much as
    parsing them over the old one (that clears it field by field first). ResourceExhaustedError
    propagates. `data`: `request` serialized already."""
    if data is None:
        data = request.SerializeToString()
    try:
        scrubbed, report = await asyncio.wait_for(pool.run_job(job, (signal.value, data), len(data)), timeout)
    except (JobFailed, asyncio.TimeoutError) as exc:
        error = TimeoutError("scrub job timed out") if isinstance(exc, asyncio.TimeoutError) else exc
        copy = clone(request)
        return copy, await engine.scrub(signal, copy, FailedDetection(error)), True
    return request.FromString(scrubbed), report, False
