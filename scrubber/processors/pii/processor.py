"""The `pii` processor: the engine wrapped by the shared processor helper.

`start` loads the keys (a missing one is a ConfigError naming its env var or
file) and gets its detection service from the host by the one rule of
`scrubber.detection.pool.acquire_detection`: in-process (one NER model per
detection config), an inline `pool:` (private to those pool settings and that
detection config) or a `worker_pool:` extension by id. Until `start` has run,
detection is absent and every field that needs it fails closed.

With `pool: {scope: requests}` the whole scrub of each request runs in a pool
worker (`offload.py`), or with `whole_requests: without_content` only of the requests
that carry no content (plain HTTP / DB spans: their walk is the main process's ceiling and
they need no shared cache), or with `mostly_plain` of those in which fewer than half the
items carry content (a service's plain spans with a few GenAI ones among them); otherwise
only detection leaves this process.
"""

from __future__ import annotations

from typing import Any

from scrubber.component import Host, Settings
from scrubber.consumer import Consumer
from scrubber.detection.pool import SHARED_NAME, acquire_detection, detection_name
from scrubber.errors import ConfigError
from scrubber.extensions.worker_pool.worker import Handler
from scrubber.pdata import Request, Signal, clone
from scrubber.processorhelper import ProcessorHelper
from scrubber.processors.pii.assemble import build_engine
from scrubber.processors.pii.audit import AuditMetrics, ScrubReport
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.keys import KeyError_, KeyStore
from scrubber.processors.pii.offload import ContentCheck, handler, scrub_remote

__all__ = ["SHARED_NAME", "PIIProcessor", "build_engine", "create_processor", "detection_name", "load_keys"]


def load_keys(settings: Settings, config: PIIProcessorConfig) -> KeyStore:
    problems = config.deployment_errors()
    if problems:
        raise ConfigError([f"processors::{settings.id}::{p}" for p in problems])
    try:
        return KeyStore.load(config.keys, config.pseudonym_length, settings.logger)
    except KeyError_ as exc:
        raise ConfigError([f"processors::{settings.id}::{m}" for m in str(exc).split("; ")]) from None


class PIIProcessor(ProcessorHelper):
    def __init__(self, settings: Settings, config: PIIProcessorConfig, signal: Signal, next_consumer: Consumer):
        # with `pool.scope: requests` the request handed in is never changed (scrub_remote and
        # `_scrub` work on new requests), so fan-out can share it with us instead of copying it
        super().__init__(settings, signal, next_consumer, self._scrub, mutates_data=config.scope != "requests",
                         start=self._start_pii)
        self.config = config
        #: the detection service (set at start; see acquire_detection)
        self.detection: Any = None
        self.engine = build_engine(config, KeyStore({}))  # no keys until start: pseudonyms fail closed
        self.metrics = AuditMetrics(settings.telemetry)
        #: what all batches so far found (for `scrubber scan`)
        self.report = ScrubReport()
        self.keep_report = False
        #: the pool job kind when whole requests are scrubbed in the workers (`pool.scope: requests`)
        self.job: Handler | None = None
        self.offload_failed = settings.telemetry.counter(
            "pii_offload_fail_closed", "Requests whose worker scrub was lost (crash, hang, timeout) and that were "
            "scrubbed fail-closed in the main process instead")
        self.subject_failures = None
        if config.subjects is not None:
            self.subject_failures = settings.telemetry.counter(
                "pii_subject_vault_fail_closed", "Subjects of a batch whose vault did not answer; their pseudonyms "
                "were redacted instead (never keyed with a fallback key)", ("jurisdiction",))

    async def _start_pii(self, host: Host) -> None:
        keys = load_keys(self.settings, self.config)
        self.engine = build_engine(self.config, keys)
        self.content = ContentCheck(self.engine.catalog.lookup)
        if self.config.subjects is not None:  # per-subject keys from the jurisdiction's vault
            from scrubber.subjects.setup import for_processor

            self.engine.subjects = for_processor(host, self.settings, self.config.subjects, keys.material(),
                                                 self.subject_failures)
            await self.engine.subjects.vault.start()
        self.detection = acquire_detection(host, self.settings, self.config, self.config.detection)
        if self.config.scope == "requests":  # the workers load this processor's request scrubber
            self.job = handler(self.config, keys)
            await self.detection.prepare(self.job)
            if self.config.whole_requests != "all":  # the others detect their texts there:
                await self.detection.prepare(self.detection.handler)  # loaded now, not on the first one
        elif hasattr(self.detection, "start"):  # a test's stand-in service may need none
            await self.detection.start()

    async def _scrub(self, signal: Signal, request: Request) -> Request:
        job = self.job
        data = request.SerializeToString() if job is not None else b""
        if job is not None and self._whole(signal, request, data):
            request, report, failed = await scrub_remote(self.detection, job, self.engine,
                                                         self.config.detection_timeout, signal, request, data)
            if failed:
                self.offload_failed.inc()
        else:
            if not self.mutates_data:  # see __init__: the request given stays as it is
                request = clone(request)
            report = await self.engine.scrub(signal, request, self.detection)
        self.metrics.record(report)
        if self.keep_report:
            self.report.add(report)
        return request

    def _whole(self, signal: Signal, request: Request, data: bytes) -> bool:
        """Whether this request (serialized: `data`, for the worker) is scrubbed whole in a worker
        (`whole_requests`, offload.py); spans are told from their keys read off `data` (`span_keys`)."""
        mode = self.config.whole_requests
        if mode == "all":
            return True
        if mode == "mostly_plain":
            return not self.content.mostly_content(signal, request, data)
        if signal == Signal.TRACES:
            return not self.content.traces(data)
        return not self.content(request)


def create_processor(settings: Settings, config: PIIProcessorConfig, signal: Signal, next_consumer: Consumer) -> PIIProcessor:
    return PIIProcessor(settings, config, signal, next_consumer)
