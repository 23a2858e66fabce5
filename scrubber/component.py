"""Components and the factories that make them.

As in the Collector, a factory is the only way to make a component. It names
its `type` (the YAML key), a stability level, the pydantic model of its config
(whose defaults are the default config) and the signals it supports. Factories
are found through the entry-point groups `scrubber.receivers`,
`scrubber.processors`, `scrubber.exporters`, `scrubber.extensions` and
`scrubber.connectors`, so a
third-party package adds a component with no change to scrubber.
"""

from __future__ import annotations

import builtins
import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Callable, Protocol

from pydantic import BaseModel, ConfigDict

from scrubber.pdata import Signal

if TYPE_CHECKING:
    from scrubber.service.telemetry import Telemetry


class Kind(StrEnum):
    RECEIVER = "receivers"
    PROCESSOR = "processors"
    EXPORTER = "exporters"
    EXTENSION = "extensions"
    CONNECTOR = "connectors"

    @property
    def entry_point_group(self) -> str:
        return f"scrubber.{self.value}"


class Stability(StrEnum):
    DEVELOPMENT = "development"
    ALPHA = "alpha"
    BETA = "beta"
    STABLE = "stable"


@dataclass(frozen=True, order=True)
class ComponentID:
    """`type[/name]`, e.g. `otlp` or `otlp/eu`."""

    type: str
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> "ComponentID":
        if not isinstance(text, str) or not text.strip():
            raise ValueError("a component id must be a non-empty string 'type[/name]'")
        type_, _, name = text.partition("/")
        if not type_ or ("/" in text and not name):
            raise ValueError(f"{text!r} is not a component id 'type[/name]'")
        return cls(type_, name)

    def __str__(self) -> str:
        return f"{self.type}/{self.name}" if self.name else self.type


class ComponentConfig(BaseModel):
    """Base of every component's config: strict, so unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=False, validate_default=True)

    def deployment_errors(self) -> list[str]:
        """Problems only the deployment can show (an unset key variable, a missing key
        file), as `sub::path: message` lines. `validate` and `run` report them with the
        component's path in front. The default finds none."""
        return []


@dataclass
class Settings:
    """What code passes to a component (as opposed to what users write)."""

    id: ComponentID
    kind: Kind
    logger: logging.Logger
    telemetry: "Telemetry"
    #: the name of the pipeline a processor instance belongs to ("" for shared components)
    pipeline: str = ""
    #: services shared across components (e.g. the detection pool), by name
    shared: dict[str, Any] = field(default_factory=dict)


class Host(Protocol):
    """What a started component can ask of the running service."""

    def extension(self, component_id: ComponentID) -> Any: ...

    def shared(self, name: str, make: Callable[[], Any]) -> Any:
        """The service-wide object called `name`, made once by `make` (e.g. a worker pool).
        If it has `close()` (sync or async), the service calls it after every processor stopped."""
        ...

    def is_ready(self) -> bool:
        """True once every pipeline has started, until shutdown begins."""
        ...


class Component(Protocol):
    async def start(self, host: Host) -> None:
        """Return quickly; own any background task started here."""

    async def shutdown(self, timeout: float) -> None:
        """Idempotent, safe without `start`; flush downstream within `timeout` seconds."""


class LifecycleMixin:
    """A no-op lifecycle for components with nothing to start or stop."""

    async def start(self, host: Host) -> None:  # noqa: D401 - protocol method
        return None

    async def shutdown(self, timeout: float) -> None:
        return None


@dataclass(frozen=True)
class Factory:
    """Makes one type of component.

    Exactly one of the `create_*` callables is set, by kind:
    - receiver:  create(settings, config, consumers: Mapping[Signal, Consumer]) -> Component
      (one instance per receiver id, shared by every pipeline that lists it)
    - processor: create(settings, config, signal, next_consumer) -> Component & Consumer
      (one instance per pipeline that lists it)
    - exporter:  create(settings, config) -> Component & Consumer
      (one instance per exporter id, shared by every pipeline that lists it)
    - extension: create(settings, config) -> Component
    - connector: create(settings, config, signal_in, consumers: Mapping[str, Consumer]) -> Component & Consumer
      (one instance per (connector id, input signal); `consumers` maps the name of every
      downstream pipeline it feeds (e.g. "metrics/global") to that pipeline's first consumer.
      As in the Collector, a connector is listed under `exporters` of the pipelines it
      consumes from and under `receivers` of the pipelines it feeds; `connector_pairs`
      says which (input signal, output signal) pairs it supports.)
    """

    type: str
    kind: Kind
    config_class: builtins.type[ComponentConfig]  # `type` is the field above
    create: Callable[..., Any]
    signals: frozenset[Signal] = frozenset(Signal)
    #: connectors only: the (signal in, signal out) pairs it supports
    connector_pairs: frozenset[tuple[Signal, Signal]] = frozenset()
    stability: Stability = Stability.ALPHA
    #: the flow hook: `flow(config)` declares how data flows through the component (by
    #: kind a `scrubber.dataflow.ProcessorFlow`, `ExporterFlow` or `ConnectorFlow`); the
    #: residency proof and `scrubber flows` walk these declarations, never type names.
    #: None: data passes unchanged, an exporter is where its config says
    flow: Callable[[Any], Any] | None = None  # (scrubber.dataflow imports this module, not the reverse)

    def default_config(self) -> ComponentConfig:
        return self.config_class()


__all__ = [
    "ComponentConfig",
    "ComponentID",
    "Component",
    "Factory",
    "Host",
    "Kind",
    "LifecycleMixin",
    "Settings",
    "Stability",
]
