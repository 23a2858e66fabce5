"""The `subject_lineage` processor: records which data subjects' items a pipeline's
exporters were handed, and when, so that `scrubber erase` can say where raw copies went.

Put it in the pipelines that carry raw (full-fidelity) data to regional backends;
pipelines with a pii processor that has `subjects` record their lineage already. It
changes nothing. For each span, log record and data point it finds the subject (the
same attributes as the pii processors, item then resource) and the jurisdiction
(`residency.jurisdiction` on the item, then the resource, then `default_jurisdiction`),
and notes (jurisdiction, blind index, this pipeline, time) in the vault service of a pii
processor of this process that holds that jurisdiction's keys: the blind index is made
with those keys, and the record goes to that jurisdiction's vault. A subject whose
jurisdiction no such processor covers is counted (`subject_lineage_unrecorded`), never
logged.
"""

from __future__ import annotations

import time

from pydantic import Field

from scrubber.component import ComponentConfig, Factory, Host, Kind, Settings, Stability
from scrubber.consumer import Consumer
from scrubber.pdata import Request, Signal, items
from scrubber.processorhelper import ProcessorHelper
from scrubber.subjects.config import DEFAULT_ATTRIBUTES
from scrubber.subjects.resolve import SubjectResolver
from scrubber.subjects.service import Registry


class SubjectLineageConfig(ComponentConfig):
    attributes: list[str] = Field(default_factory=lambda: list(DEFAULT_ATTRIBUTES), min_length=1)
    jurisdiction_attribute: str = "residency.jurisdiction"
    #: jurisdiction of items that carry none (as the pii processor's `default_jurisdiction`)
    default_jurisdiction: str = "default"


class SubjectLineage(ProcessorHelper):
    def __init__(self, settings: Settings, config: SubjectLineageConfig, signal: Signal, next_consumer: Consumer):
        super().__init__(settings, signal, next_consumer, self._record, mutates_data=False, start=self._start_lineage)
        self.config = config
        self.resolver = SubjectResolver(config.attributes)
        self.pipeline = settings.pipeline or str(settings.id)
        self._host: Host | None = None
        self._members: dict[str, object] = {}  # jurisdiction -> SubjectKeys (or None: none covers it)
        self.unrecorded = settings.telemetry.counter(
            "subject_lineage_unrecorded", "Items of a subject whose jurisdiction no pii processor with subjects "
            "covers in this process: their lineage could not be recorded", ("pipeline",)).labels(pipeline=self.pipeline)

    async def _start_lineage(self, host: Host) -> None:
        self._host = host

    def _member(self, jurisdiction: str):
        if jurisdiction not in self._members:
            members = self._host.shared(Registry.NAME, Registry).members if self._host else []
            own = [m for m in members if jurisdiction in m.indexer.jurisdictions]
            fallback = [m for m in members if m.indexer.covers(jurisdiction)]
            chosen = (own or fallback or [None])[0]
            if chosen is None:
                return None  # not cached: a pii processor may register later
            self._members[jurisdiction] = chosen
        return self._members[jurisdiction]

    async def _record(self, signal: Signal, request: Request) -> Request:
        now, key = time.time(), self.config.jurisdiction_attribute
        last_resource, resource_subject = None, None
        resource_j = self.config.default_jurisdiction  # set again by each item's resource group
        for resource_group, _scope, item in items(request):
            if resource_group is not last_resource:
                last_resource = resource_group
                attributes = resource_group.resource.attributes
                resource_subject = self.resolver.of(attributes)
                resource_j = _string(attributes, key) or self.config.default_jurisdiction
            subject = self.resolver.of(item.attributes, resource_subject)
            if subject is None:
                continue
            jurisdiction = _string(item.attributes, key) or resource_j
            member = self._member(jurisdiction)
            if member is None:
                self.unrecorded.inc()
                continue
            member.vault.seen(jurisdiction, member.indexer.indexes(jurisdiction, subject)[0], self.pipeline, now)
        return request


def _string(attributes, key: str) -> str | None:
    for kv in attributes:
        if kv.key == key and kv.value.WhichOneof("value") == "string_value":
            return kv.value.string_value or None
    return None


factory = Factory(type="subject_lineage", kind=Kind.PROCESSOR, config_class=SubjectLineageConfig,
                  create=SubjectLineage, stability=Stability.ALPHA)
