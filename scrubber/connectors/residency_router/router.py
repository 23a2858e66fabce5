"""Routes each jurisdiction's part of a request to the pipelines its policy allows.

Routes are computed once, at creation, from the config: for every jurisdiction
with a policy, for the `default` policy and for `unknown`, the list of
downstream pipelines (of this router instance's signal). At run time a request
is split by the `residency.jurisdiction` stamps (see `split.py`) and each part
goes, concurrently, to its route's pipelines:

- regional: the policy's `regional` pipelines; if it has none for this signal,
  the quarantine (full data never leaves without a backend of its own);
- global: `aggregates` -> the aggregator pipelines; `pseudonymized` -> also the
  `global` pipelines for spans and logs (metrics go global only as aggregates);
  `none` -> nothing;
- `unknown` (and any jurisdiction when no `default` policy exists): quarantine only.

A jurisdiction's part is never handed to a pipeline listed for another
jurisdiction: that is what makes "data of A never reaches a regional exporter
of B" a property of the config, which `scrubber validate` then proves.
"""

from __future__ import annotations

from typing import Mapping

from scrubber.component import Host, Settings
from scrubber.connectors.residency_router.config import ResidencyRouterConfig
from scrubber.connectors.residency_router.split import split_counted
from scrubber.consumer import Consumer, deliver, fanout
from scrubber.pdata import Request, Signal
from scrubber.residency.model import DEFAULT_POLICY, UNKNOWN
from scrubber.residency.policy import Policy


def route_names(config: ResidencyRouterConfig, signal: Signal, policy: Policy | None) -> list[str]:
    """Downstream pipeline names of `signal` for a jurisdiction under `policy` (None: quarantine)."""
    def of_signal(names: list[str]) -> list[str]:
        return [n for n in names if n.partition("/")[0] == signal.value]

    if policy is None:
        return of_signal(config.quarantine)
    names = of_signal(policy.regional) or of_signal(config.quarantine)
    if policy.global_ != "none":
        names += of_signal(config.aggregates)
    if policy.global_ == "pseudonymized" and signal != Signal.METRICS:
        names += of_signal(config.global_)
    return list(dict.fromkeys(names))


def policy_for(config: ResidencyRouterConfig, jurisdiction: str) -> Policy | None:
    """The policy `jurisdiction`'s data is routed under: its own, else `default`; None for
    `unknown` and when neither exists (quarantine only)."""
    if jurisdiction == UNKNOWN:
        return None
    return config.policies.get(jurisdiction) or config.policies.get(DEFAULT_POLICY)


class ResidencyRouter:

    def __init__(self, settings: Settings, config: ResidencyRouterConfig, signal: Signal,
                 consumers: Mapping[str, Consumer]):
        self.signal = signal
        self.log = settings.logger
        self._consumers = dict(consumers)
        #: a request of one jurisdiction is passed on as is, so the router changes it exactly
        #: when a downstream consumer does (the Collector derives connector capabilities alike)
        self.mutates_data = any(c.mutates_data for c in self._consumers.values())
        self._routes: dict[str, Consumer | None] = {}
        self._config = config
        self._items = settings.telemetry.counter(
            "connector_residency_router_items", "Items routed, by jurisdiction and destination pipeline.",
            ("connector", "signal", "jurisdiction", "pipeline"))
        self._labels = {"connector": str(settings.id), "signal": str(signal)}

    def names_for(self, jurisdiction: str) -> list[str]:
        """Destination pipelines of `jurisdiction` (those configured downstream of this instance)."""
        policy = policy_for(self._config, jurisdiction)
        return [n for n in route_names(self._config, self.signal, policy) if n in self._consumers]

    def _route(self, jurisdiction: str) -> Consumer | None:
        """The graph's fan-out over the jurisdiction's destination pipelines (None: nowhere)."""
        if jurisdiction not in self._routes:
            consumers = [self._consumers[n] for n in self.names_for(jurisdiction)]
            self._routes[jurisdiction] = fanout(consumers) if consumers else None
        return self._routes[jurisdiction]

    async def consume(self, signal: Signal, request: Request) -> None:
        deliveries = []
        for jurisdiction, (part, count) in split_counted(signal, request).items():
            for name in self.names_for(jurisdiction):
                self._items.labels(jurisdiction=jurisdiction, pipeline=name, **self._labels).inc(count)
            route = self._route(jurisdiction)
            if route is not None:
                deliveries.append((route, part))
        if deliveries:
            await deliver(signal, deliveries)

    async def start(self, host: Host) -> None:
        return None

    async def shutdown(self, timeout: float) -> None:
        return None
