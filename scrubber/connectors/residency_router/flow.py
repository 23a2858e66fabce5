"""The router's flow hook: where it can send what, for the residency proof and `scrubber flows`.

The routes are the ones the router runs (`route_names`), so the map `scrubber
flows` draws and the paths `scrubber validate` proves safe cannot drift from what
the router does. Data not split yet (`*`) leaves as one flow per policy
jurisdiction, `default` (every jurisdiction without a policy of its own) and
`unknown`; each goes only to the pipelines its policy routes it to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from scrubber.component import ComponentID, Kind
from scrubber.config.model import Config
from scrubber.connectors.residency_router.config import ResidencyRouterConfig
from scrubber.connectors.residency_router.router import policy_for, route_names
from scrubber.dataflow import ANY, ConnectorFlow, Route, exporter_flow
from scrubber.pdata import Signal
from scrubber.residency.model import DEFAULT_POLICY, UNKNOWN


@dataclass(frozen=True)
class RouterFlow(ConnectorFlow):
    config: ResidencyRouterConfig
    routes_by_jurisdiction = True

    def _labels(self, jurisdiction: str) -> list[str]:
        if jurisdiction != ANY:
            return [jurisdiction]
        named = [j for j in self.config.policies if j != DEFAULT_POLICY]
        return named + ([DEFAULT_POLICY] if DEFAULT_POLICY in self.config.policies else []) + [UNKNOWN]

    def routes(self, signal: Signal, downstream: str, jurisdiction: str) -> Iterator[Route]:
        for label in self._labels(jurisdiction):
            if downstream in route_names(self.config, signal, policy_for(self.config, label)):
                yield Route(jurisdiction=label, policies=self.config.policies)

    def wiring_errors(self, config: Config, connector_id: ComponentID) -> list[str]:
        path = f"connectors::{connector_id}"
        fed = {p.name for p in config.pipelines.values() if connector_id in p.connectors_in}
        feeding = {p.signal for p in config.pipelines.values() if connector_id in p.connectors_out}
        errors = _named_pipelines(self.config, path, fed, str(connector_id))
        quarantined = {n.partition("/")[0] for n in self.config.quarantine}
        for signal in sorted(feeding - {Signal(s) for s in quarantined}):
            errors.append(f"{path}::quarantine: no {signal.value} pipeline, but the router receives {signal.value}")
        for i, name in enumerate(self.config.quarantine):
            pipeline = config.pipelines.get(name)
            if pipeline and not any(exporter_flow(config.entry(Kind.EXPORTER, e)).quarantine for e in pipeline.exporters):
                errors.append(f"{path}::quarantine::{i}: pipeline {name!r} has no quarantine exporter")
        for i, name in enumerate(self.config.global_):
            if name.startswith("metrics"):
                errors.append(f"{path}::global::{i}: metrics go global only as aggregates; list {name!r} under aggregates")
        return errors


def _named_pipelines(router_config: ResidencyRouterConfig, path: str, fed: set[str], router: str) -> list[str]:
    """Every pipeline the router names must receive from it, and every pipeline it feeds be named."""
    named = [(f"{path}::quarantine::{i}", n) for i, n in enumerate(router_config.quarantine)]
    named += [(f"{path}::aggregates::{i}", n) for i, n in enumerate(router_config.aggregates)]
    named += [(f"{path}::global::{i}", n) for i, n in enumerate(router_config.global_)]
    for jurisdiction, policy in router_config.policies.items():
        named += [(f"{path}::policies::{jurisdiction}::regional::{i}", n) for i, n in enumerate(policy.regional)]
    errors = [f"{key}: pipeline {name!r} does not list {router!r} under its receivers" for key, name in named if name not in fed]
    unused = fed - {name for _, name in named}
    errors += [f"service::pipelines::{name}::receivers: receives from {router!r}, which routes nothing to it" for name in sorted(unused)]
    return errors
