"""Every path data can take through a config, from the config alone.

Used by the whole-config check (`check.py`: no raw path across a border) and
by `scrubber flows` (the records-of-processing map). Data enters at the
pipelines with real receivers as `*` (any jurisdiction) in `raw` form, and is
followed through processors, exporters and connectors by what each one's
factory declares through its flow hook (`scrubber.dataflow`), never by its type:

- a processor that declares pseudonymization makes raw data `pseudonymized`
  (with the key rings it declares); one that declares guarding marks it guarded;
- an exporter is where its config's `jurisdiction:` says, else where its
  factory declares it is (the quarantine store: `local`);
- a connector's declared routes say, per downstream pipeline, which
  jurisdictions' data goes there and in which form (the residency router splits
  `*` per policy with the very function it routes by, so the map cannot drift
  from the behaviour; the aggregator turns data into `aggregates`); a connector
  without a declaration passes data on unchanged (an over-approximation: safe).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterator, Mapping

from scrubber.component import ComponentID, Kind
from scrubber.config.model import Config, Pipeline
from scrubber.dataflow import AGGREGATES, ANY, PSEUDONYMIZED, RAW, connector_flow, exporter_place, processor_flow
from scrubber.pdata import Signal
from scrubber.residency.model import DEFAULT_POLICY, UNKNOWN
from scrubber.residency.policy import Policy

__all__ = ["AGGREGATES", "ANY", "Flow", "PSEUDONYMIZED", "RAW", "exporter_place", "key_ring", "residency_aware",
           "trace"]


@dataclass(frozen=True)
class Flow:
    """One way data of `jurisdiction` reaches `exporter`, and in which form."""

    jurisdiction: str  # a jurisdiction id, ANY (not routed), "default" or "unknown"
    signal: Signal  # the signal as the exporter receives it
    form: str  # RAW, PSEUDONYMIZED or AGGREGATES
    guarded: bool  # a processor declaring a guard (egress_guard) is on the path
    path: tuple[str, ...]  # pipeline names and connector ids, in order
    exporter: ComponentID | None = None
    exporter_jurisdiction: str | None = None
    #: the key rings of the processor that pseudonymized it (for key-ring checks)
    key_rings: frozenset[str] | None = None
    #: the policies of the connector that split it by jurisdiction (for policy lookups)
    policies: Mapping[str, Policy] | None = None

    @property
    def pipeline(self) -> str:
        return next(p for p in reversed(self.path) if p.partition("/")[0] in {s.value for s in Signal})

    def policy(self) -> Policy | None:
        """The policy this flow's jurisdiction falls under (None: unknown / not routed)."""
        if self.policies is None or self.jurisdiction in (ANY, UNKNOWN):
            return None
        return self.policies.get(self.jurisdiction) or self.policies.get(DEFAULT_POLICY)


def key_ring(key_rings: Any, jurisdiction: str) -> str | None:
    """The key ring a processor holding `key_rings` uses for `jurisdiction` (its own, else `default`)."""
    if not key_rings:
        return None
    if jurisdiction in key_rings:
        return jurisdiction
    return DEFAULT_POLICY if DEFAULT_POLICY in key_rings else None


def trace(config: Config) -> list[Flow]:
    """Every flow reaching an exporter, starting at the pipelines fed by real receivers."""
    flows: list[Flow] = []
    for pipeline in config.pipelines.values():
        if pipeline.receivers:
            start = Flow(ANY, pipeline.signal, RAW, False, (pipeline.name,))
            flows.extend(_walk(config, pipeline, start))
    return flows


def _walk(config: Config, pipeline: Pipeline, flow: Flow) -> Iterator[Flow]:
    for processor_id in pipeline.processors:
        flow = _through_processor(config.entry(Kind.PROCESSOR, processor_id), flow)
    for exporter_id in pipeline.exporters:
        entry = config.entry(Kind.EXPORTER, exporter_id)
        yield replace(flow, signal=pipeline.signal, exporter=exporter_id, exporter_jurisdiction=exporter_place(entry))
    for connector_id in pipeline.connectors_out:
        declared = connector_flow(config.entry(Kind.CONNECTOR, connector_id))
        for downstream in config.downstream(connector_id, pipeline.signal):
            for route in declared.routes(pipeline.signal, downstream.name, flow.jurisdiction):
                out = replace(flow, jurisdiction=route.jurisdiction or flow.jurisdiction, form=route.form or flow.form,
                              policies=flow.policies if route.policies is None else route.policies,
                              path=flow.path + (str(connector_id), downstream.name), signal=downstream.signal)
                yield from _walk(config, downstream, out)


def _through_processor(entry, flow: Flow) -> Flow:
    declared = processor_flow(entry)
    if declared.pseudonymizes is not None and flow.form == RAW:
        flow = replace(flow, form=PSEUDONYMIZED, key_rings=declared.pseudonymizes)
    if declared.guards:
        flow = replace(flow, guarded=True)
    return flow


def residency_aware(config: Config) -> bool:
    """True if the config routes by jurisdiction (a connector declaring it does, or an
    exporter that declares a jurisdiction)."""
    used = {c for p in config.pipelines.values() for c in p.connectors_out + p.connectors_in}
    routers = any(connector_flow(config.entry(Kind.CONNECTOR, c)).routes_by_jurisdiction for c in used)
    return routers or any(e.jurisdiction for e in config.components[Kind.EXPORTER].values())
