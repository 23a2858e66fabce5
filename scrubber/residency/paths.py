"""Every path data can take through a config, from the config alone.

Used by the whole-config check (`check.py`: no raw path across a border) and
by `scrubber flows` (the records-of-processing map). Data enters at the
pipelines with real receivers as `*` (any jurisdiction) in `raw` form, and is
followed through processors, exporters and connectors:

- a `pii` processor makes it `pseudonymized` (with the keys it holds);
- an `egress_guard` processor marks it guarded;
- a `residency_router` connector splits `*` into one flow per policy
  jurisdiction, `default` (every jurisdiction without a policy of its own) and
  `unknown`, each going only to the pipelines `route_names` gives it: the very
  function the router runs, so the map cannot drift from the behaviour;
- an `aggregates` connector turns it into `aggregates` (derived metrics);
- any other connector passes it on unchanged (an over-approximation: safe).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterator

from scrubber.component import ComponentID, Kind
from scrubber.config.model import Config, Pipeline
from scrubber.pdata import Signal
from scrubber.residency.model import DEFAULT_POLICY, LOCAL, UNKNOWN
from scrubber.residency.policy import Policy

ANY = "*"
RAW, PSEUDONYMIZED, AGGREGATES = "raw", "pseudonymized", "aggregates"
ROUTER, AGGREGATOR, PII, GUARD, QUARANTINE = "residency_router", "aggregates", "pii", "egress_guard", "quarantine"


@dataclass(frozen=True)
class Flow:
    """One way data of `jurisdiction` reaches `exporter`, and in which form."""

    jurisdiction: str  # a jurisdiction id, ANY (not routed), "default" or "unknown"
    signal: Signal  # the signal as the exporter receives it
    form: str  # RAW, PSEUDONYMIZED or AGGREGATES
    guarded: bool  # an egress_guard processor is on the path
    path: tuple[str, ...]  # pipeline names and connector ids, in order
    exporter: ComponentID | None = None
    exporter_jurisdiction: str | None = None
    #: the `keys` of the pii processor that pseudonymized it (for key-ring checks)
    pii_keys: Any = None
    #: the router config that split it (for policy lookups)
    router: Any = None

    @property
    def pipeline(self) -> str:
        return next(p for p in reversed(self.path) if p.partition("/")[0] in {s.value for s in Signal})

    def policy(self) -> Policy | None:
        """The policy this flow's jurisdiction falls under (None: unknown / not routed)."""
        if self.router is None or self.jurisdiction in (ANY, UNKNOWN):
            return None
        policies = self.router.policies
        return policies.get(self.jurisdiction) or policies.get(DEFAULT_POLICY)


def key_ring(pii_keys: Any, jurisdiction: str) -> str | None:
    """The key ring a pii processor with `pii_keys` uses for `jurisdiction` (its own, else `default`)."""
    if not pii_keys:
        return None
    if jurisdiction in pii_keys:
        return jurisdiction
    return DEFAULT_POLICY if DEFAULT_POLICY in pii_keys else None


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
        entry = config.entry(Kind.CONNECTOR, connector_id)
        for downstream in config.downstream(connector_id, pipeline.signal):
            for out in _through_connector(entry, pipeline.signal, downstream, flow):
                out = replace(out, path=out.path + (str(connector_id), downstream.name), signal=downstream.signal)
                yield from _walk(config, downstream, out)


def exporter_place(entry) -> str | None:
    """Where an exporter's data goes: its declared jurisdiction; the quarantine store is
    `local` by nature (it never exports)."""
    if entry.jurisdiction is None and entry.factory.type == QUARANTINE:
        return LOCAL
    return entry.jurisdiction


def _through_processor(entry, flow: Flow) -> Flow:
    kind = entry.factory.type
    if kind == PII and flow.form == RAW:
        return replace(flow, form=PSEUDONYMIZED, pii_keys=getattr(entry.config, "keys", None))
    if kind == GUARD:
        return replace(flow, guarded=True)
    return flow


def _labels(router_config, jurisdiction: str) -> list[str]:
    if jurisdiction != ANY:
        return [jurisdiction]
    named = [j for j in router_config.policies if j != DEFAULT_POLICY]
    return named + ([DEFAULT_POLICY] if DEFAULT_POLICY in router_config.policies else []) + [UNKNOWN]


def _through_connector(entry, signal: Signal, downstream: Pipeline, flow: Flow) -> Iterator[Flow]:
    kind = entry.factory.type
    if kind == AGGREGATOR:
        yield replace(flow, form=AGGREGATES)
    elif kind == ROUTER:
        from scrubber.connectors.residency_router.router import route_names

        for label in _labels(entry.config, flow.jurisdiction):
            policies = entry.config.policies
            policy = None if label == UNKNOWN else policies.get(label) or policies.get(DEFAULT_POLICY)
            if downstream.name in route_names(entry.config, signal, policy):
                yield replace(flow, jurisdiction=label, router=entry.config)
    else:
        yield flow


def residency_aware(config: Config) -> bool:
    """True if the config routes by jurisdiction (a router, or an exporter that declares one)."""
    used = {c for p in config.pipelines.values() for c in p.connectors_out + p.connectors_in}
    routers = any(config.entry(Kind.CONNECTOR, c).factory.type == ROUTER for c in used)
    return routers or any(e.jurisdiction for e in config.components[Kind.EXPORTER].values())
