"""Factory of the `residency_router` connector; its flow hook declares the routes it runs."""

from scrubber.component import Factory, Kind, Stability
from scrubber.connectors.residency_router.config import ResidencyRouterConfig
from scrubber.connectors.residency_router.flow import RouterFlow
from scrubber.connectors.residency_router.router import ResidencyRouter
from scrubber.pdata import Signal

factory = Factory(
    type="residency_router",
    kind=Kind.CONNECTOR,
    config_class=ResidencyRouterConfig,
    create=ResidencyRouter,
    connector_pairs=frozenset((s, s) for s in Signal),
    stability=Stability.ALPHA,
    flow=RouterFlow,
)
