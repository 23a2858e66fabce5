"""The top-level shape of a config file and the validated result the service runs.

`RawConfig` is what users write (components still untyped dicts); `Config` is
what the loader hands to the service: every component config parsed by its
factory's model, every pipeline resolved to component ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scrubber.component import ComponentConfig, ComponentID, Factory, Kind
from scrubber.config.types import Endpoint
from scrubber.pdata import Signal


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PipelineConfig(_Strict):
    receivers: list[str] = Field(min_length=1)
    processors: list[str] = Field(default_factory=list)
    exporters: list[str] = Field(min_length=1)


class PrometheusReaderConfig(_Strict):
    """`readers: [{pull: {exporter: {prometheus: ...}}}]`, the Collector's own-metrics reader."""

    host: str = "localhost"
    port: int = Field(8888, gt=0, lt=65536)
    #: accepted as in the Collector; scrubber's names always carry the Prometheus suffixes
    without_type_suffix: bool = False
    without_units: bool = False
    without_scope_info: bool = False


class PullExporterConfig(_Strict):
    prometheus: PrometheusReaderConfig


class PullReaderConfig(_Strict):
    exporter: PullExporterConfig


class ReaderConfig(_Strict):
    pull: PullReaderConfig | None = None
    #: push readers (`periodic` with an otlp exporter) are refused with the alternative
    periodic: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _pull_only(self) -> "ReaderConfig":
        if self.periodic is not None:
            raise ValueError("periodic (push) readers are not supported: scrubber exposes its own metrics for "
                             "scraping only; use a pull reader with a prometheus exporter and scrape it")
        if self.pull is None:
            raise ValueError("a reader must be pull: {exporter: {prometheus: {host: ..., port: ...}}}")
        return self


class MetricsTelemetryConfig(_Strict):
    #: where the Prometheus endpoint listens; null disables it (the Collector uses 8888).
    #: The Collector now writes this as `readers` (below); `address` is its older spelling.
    address: Endpoint | None = "localhost:8888"
    level: Literal["none", "basic", "normal", "detailed"] = "normal"
    readers: list[ReaderConfig] | None = None

    @model_validator(mode="after")
    def _one_reader(self) -> "MetricsTelemetryConfig":
        if self.readers is not None and len(self.readers) > 1:
            raise ValueError("readers: one pull reader at most (scrubber serves its own metrics on one endpoint)")
        if self.readers is not None and "address" in self.model_fields_set:
            raise ValueError("give either address or readers, not both")
        return self

    def endpoint(self) -> str | None:
        """The own-metrics endpoint `host:port`, from `readers` when given, else `address`."""
        if self.readers is None:
            return self.address
        if not self.readers:
            return None
        pull = self.readers[0].pull
        assert pull is not None  # validated: the only reader is a pull reader
        prometheus = pull.exporter.prometheus
        host = f"[{prometheus.host}]" if ":" in prometheus.host else prometheus.host
        return f"{host}:{prometheus.port}"


class LogsTelemetryConfig(_Strict):
    level: Literal["debug", "info", "warn", "warning", "error"] = "info"
    encoding: Literal["json", "console"] = "json"
    #: where log lines go: `stderr`, `stdout` or file paths (the Collector's default: stderr)
    output_paths: list[str] = Field(default_factory=lambda: ["stderr"], min_length=1)
    #: accepted as in the Collector; error lines go to output_paths like every other line
    error_output_paths: list[str] = Field(default_factory=lambda: ["stderr"])
    disable_caller: bool = False
    disable_stacktrace: bool = False


class TelemetryConfig(_Strict):
    metrics: MetricsTelemetryConfig = Field(default_factory=MetricsTelemetryConfig)
    logs: LogsTelemetryConfig = Field(default_factory=LogsTelemetryConfig)
    #: resource attributes of the service's own telemetry (added as labels of the build-info metric)
    resource: dict[str, str | None] = Field(default_factory=dict)
    #: the Collector's own-traces settings; refused (see the validator)
    traces: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _no_own_traces(self) -> "TelemetryConfig":
        if self.traces is not None:
            raise ValueError("traces: scrubber does not trace itself (its spans would describe the data it scrubs); "
                             "use its metrics (service::telemetry::metrics) and logs instead")
        return self


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
    #: key path -> variables that were unset there (expanded to ""), for warnings
    unset_variables: dict[str, list[str]] = field(default_factory=dict)

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
