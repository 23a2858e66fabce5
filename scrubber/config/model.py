"""The top-level shape of a config file and the validated result the service runs.

`RawConfig` is what users write (components still untyped dicts); `Config` is
what the loader hands to the service: every component config parsed by its
factory's model, every pipeline resolved to component ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from scrubber.component import ComponentConfig, ComponentID, Factory, Kind
from scrubber.config.types import Endpoint
from scrubber.pdata import Signal


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PipelineConfig(_Strict):
    receivers: list[str] = Field(min_length=1)
    processors: list[str] = Field(default_factory=list)
    exporters: list[str] = Field(min_length=1)


class MetricsTelemetryConfig(_Strict):
    #: where the Prometheus endpoint listens; null disables it (the Collector uses 8888)
    address: Endpoint | None = "localhost:8888"
    level: Literal["none", "basic", "normal", "detailed"] = "normal"


class LogsTelemetryConfig(_Strict):
    level: Literal["debug", "info", "warn", "warning", "error"] = "info"
    encoding: Literal["json", "console"] = "json"


class TelemetryConfig(_Strict):
    metrics: MetricsTelemetryConfig = Field(default_factory=MetricsTelemetryConfig)
    logs: LogsTelemetryConfig = Field(default_factory=LogsTelemetryConfig)


class ServiceConfig(_Strict):
    extensions: list[str] = Field(default_factory=list)
    pipelines: dict[str, PipelineConfig] = Field(min_length=1)
    telemetry: TelemetryConfig = Field(default_factory=TelemetryConfig)
    #: seconds a graceful shutdown may take before what is left is dropped and counted
    shutdown_timeout: float = Field(default=10.0, gt=0)


class RawConfig(_Strict):
    receivers: dict[str, dict[str, Any] | None] = Field(min_length=1)
    processors: dict[str, dict[str, Any] | None] = Field(default_factory=dict)
    exporters: dict[str, dict[str, Any] | None] = Field(min_length=1)
    extensions: dict[str, dict[str, Any] | None] = Field(default_factory=dict)
    connectors: dict[str, dict[str, Any] | None] = Field(default_factory=dict)
    service: ServiceConfig


@dataclass(frozen=True)
class ComponentEntry:
    id: ComponentID
    kind: Kind
    factory: Factory
    config: ComponentConfig
    #: exporters only: where the exporter sends data (`scrubber.residency.model`): a
    #: jurisdiction id (`eu`), `global` (the global stack) or `local` (stays on this
    #: deployment, e.g. quarantine); None if the config does not say
    jurisdiction: str | None = None


@dataclass(frozen=True)
class Pipeline:
    name: str  # e.g. "traces/eu"
    signal: Signal
    #: real receivers (the `receivers` list without connectors)
    receivers: list[ComponentID]
    processors: list[ComponentID]
    #: real exporters (the `exporters` list without connectors)
    exporters: list[ComponentID]
    #: connectors this pipeline receives from (listed under its `receivers`)
    connectors_in: list[ComponentID] = field(default_factory=list)
    #: connectors this pipeline feeds (listed under its `exporters`)
    connectors_out: list[ComponentID] = field(default_factory=list)


@dataclass
class Config:
    components: dict[Kind, dict[ComponentID, ComponentEntry]]
    pipelines: dict[str, Pipeline]
    extensions: list[ComponentID]
    service: ServiceConfig
    source: str = "<memory>"
    #: the expanded YAML tree, for checks that want to read it as written
    raw: dict[str, Any] = field(default_factory=dict)

    def entry(self, kind: Kind, component_id: ComponentID) -> ComponentEntry:
        return self.components[kind][component_id]

    def pipelines_using(self, kind: Kind, component_id: ComponentID) -> list[Pipeline]:
        if kind == Kind.CONNECTOR:
            return [p for p in self.pipelines.values() if component_id in p.connectors_in + p.connectors_out]
        attribute = {Kind.RECEIVER: "receivers", Kind.PROCESSOR: "processors", Kind.EXPORTER: "exporters"}[kind]
        return [p for p in self.pipelines.values() if component_id in getattr(p, attribute)]

    def downstream(self, connector_id: ComponentID, signal_in: Signal) -> list[Pipeline]:
        """Pipelines a connector instance for `signal_in` feeds: those listing it as a
        receiver whose signal the connector can produce from `signal_in`."""
        pairs = self.entry(Kind.CONNECTOR, connector_id).factory.connector_pairs
        return [p for p in self.pipelines.values()
                if connector_id in p.connectors_in and (signal_in, p.signal) in pairs]
