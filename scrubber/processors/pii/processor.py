"""The `pii` processor: the engine wrapped by the shared processor helper.

`start` loads the keys (a missing one is a ConfigError naming its env var or
file) and gets the process-wide detection service from the host, so that every
pii processor of a process shares one NER model. Until `start` has run,
detection is absent and every field that needs it fails closed.

With `pool: {scope: requests}` the whole scrub of each request runs in a pool
worker (`offload.py`); otherwise only detection leaves this process.
"""

from __future__ import annotations

import hashlib
import json

from scrubber.processors.pii.audit import AuditMetrics, ScrubReport
from scrubber.processors.pii.catalog import FieldNames, Role, Rule, build_catalog, shipped_field_names
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.engine import Engine
from scrubber.processors.pii.keys import KeyError_, KeyStore
from scrubber.processors.pii.offload import handler, scrub_remote
from scrubber.component import Host, Settings
from scrubber.consumer import Consumer
from scrubber.detection import DetectionConfig
from scrubber.detection.pool import DetectionPool
from scrubber.detection.service import InProcessDetection
from scrubber.errors import ConfigError
from scrubber.pdata import Request, Signal
from scrubber.processorhelper import ProcessorHelper

SHARED_NAME = "detection"


def detection_name(config: DetectionConfig) -> str:
    """The host-shared name of the detection service for this detection config:
    processors with the same settings share one service (and one NER model)."""
    if config == DetectionConfig():
        return SHARED_NAME
    digest = hashlib.sha256(json.dumps(config.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
    return f"{SHARED_NAME}/{digest[:12]}"


def build_engine(config: PIIProcessorConfig, keys: KeyStore) -> Engine:
    rules = [(r.key, Rule(Role(r.role), r.entity if r.role == "identifier" else "", r.operator)) for r in config.rules]
    catalog = build_catalog(rules, config.allow_keys, Role(config.unknown_keys),
                            config.use_shipped_catalog)
    shipped = shipped_field_names() if config.use_shipped_catalog else FieldNames({}, frozenset())
    names = FieldNames({**shipped.identifiers, **config.structured_fields.identifiers},
                       shipped.safe | frozenset(config.structured_fields.safe), shipped.url_parameters)
    return Engine(config, catalog, names, keys)


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
        super().__init__(settings, signal, next_consumer, self._scrub, mutates_data=True,
                         start=self._start_pii)
        self.config = config
        self.detection = None
        self.engine = build_engine(config, KeyStore({}))  # no keys until start: pseudonyms fail closed
        self.metrics = AuditMetrics(settings.telemetry)
        #: what all batches so far found (for `scrubber scan`)
        self.report = ScrubReport()
        self.keep_report = False
        #: the pool job kind when whole requests are scrubbed in the workers (`pool.scope: requests`)
        self.job = None
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
        if self.config.subjects is not None:  # per-subject keys from the jurisdiction's vault
            from scrubber.subjects.setup import for_processor

            self.engine.subjects = for_processor(host, self.settings, self.config.subjects, keys.material(),
                                                 self.subject_failures)
            await self.engine.subjects.vault.start()
        detection_config = self.config.detection
        pool = self.config.pool
        if pool is not None:  # one pool per process and detection config, shared by every pii processor
            make = lambda: DetectionPool(detection_config, pool, self.settings.telemetry)  # noqa: E731
            self.detection = host.shared(detection_name(detection_config) + "/pool", make)
        else:
            self.detection = host.shared(detection_name(detection_config), lambda: InProcessDetection(detection_config))
        if pool is not None and pool.scope == "requests":
            self.job = handler(self.config, keys)
        start = getattr(self.detection, "start", None)  # the pool may need none
        if start is not None:
            await start()

    async def _scrub(self, signal: Signal, request: Request) -> Request:
        if self.job is not None:
            report, failed = await scrub_remote(self.detection, self.job, self.engine, self.config.detection_timeout,
                                                signal, request)
            if failed:
                self.offload_failed.inc()
        else:
            report = await self.engine.scrub(signal, request, self.detection)
        self.metrics.record(report)
        if self.keep_report:
            self.report.add(report)
        return request


def create_processor(settings: Settings, config: PIIProcessorConfig, signal: Signal, next_consumer: Consumer) -> PIIProcessor:
    return PIIProcessor(settings, config, signal, next_consumer)
