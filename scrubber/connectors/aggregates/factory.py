"""Factory of the `aggregates` connector."""

from scrubber.component import Factory, Kind, Stability
from scrubber.connectors.aggregates.config import AggregatesConfig
from scrubber.connectors.aggregates.connector import AggregatesConnector
from scrubber.dataflow import AGGREGATES, Converts
from scrubber.pdata import Signal

#: the flow hook: whatever comes in leaves as derived metrics (bounded, allow-listed labels)
TO_AGGREGATES = Converts(AGGREGATES)

factory = Factory(
    type="aggregates",
    kind=Kind.CONNECTOR,
    config_class=AggregatesConfig,
    create=AggregatesConnector,
    signals=frozenset(Signal),
    connector_pairs=frozenset({(Signal.TRACES, Signal.METRICS), (Signal.LOGS, Signal.METRICS),
                               (Signal.METRICS, Signal.METRICS)}),
    stability=Stability.ALPHA,
    flow=lambda config: TO_AGGREGATES,
)
