"""Flow hooks: how data flows through a component, declared by the component itself.

A factory's `flow` hook (see `scrubber.component.Factory`) takes the component's
parsed config and returns one declaration, by kind:

- a processor: `ProcessorFlow`, what it does to the form of the data (raw in,
  pseudonymized out with which key rings; payloads guarded; unchanged);
- an exporter: `ExporterFlow`, where it is when its config names no
  `jurisdiction:` (the quarantine store is `local` by nature), and whether it
  forwards payloads at all;
- a connector: a `ConnectorFlow`, where it can send what: per downstream
  pipeline, which jurisdictions' data in which form.

The residency proof (`scrubber validate`) and `scrubber flows` walk these
declarations and nothing else, so a third-party scrubbing processor, exporter or
router takes part in the proof by declaring its flow; no check anywhere names a
component type. A factory without a hook is the safe over-approximation: data
passes unchanged, an exporter is where its config says.

The vocabulary lives here, below both the config loader and `scrubber.residency`:
the forms, the reserved places and what a jurisdiction id looks like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Mapping

if TYPE_CHECKING:
    from scrubber.component import ComponentID
    from scrubber.config.model import ComponentEntry, Config
    from scrubber.pdata import Signal

#: the forms data can take on its way to an exporter
RAW, PSEUDONYMIZED, AGGREGATES = "raw", "pseudonymized", "aggregates"
#: data not split by jurisdiction yet: it may be of any jurisdiction
ANY = "*"
#: reserved names (see `scrubber.residency.model`)
UNKNOWN, GLOBAL, LOCAL, DEFAULT_POLICY = "unknown", "global", "local", "default"
RESERVED = frozenset({UNKNOWN, GLOBAL, LOCAL, DEFAULT_POLICY})

_ID = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def normalize(value: object) -> str | None:
    """The jurisdiction id `value` names (case and surrounding blanks ignored), or None
    when it is not a well-formed id. A malformed value is never guessed at: callers
    treat it as `unknown` (fail closed)."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    return text if _ID.fullmatch(text) else None


def is_jurisdiction(value: str) -> bool:
    """A well-formed jurisdiction id that a policy or an exporter can name (not reserved)."""
    return normalize(value) == value and value not in RESERVED


def check_place(value: object) -> str | None:
    """The error text for an exporter's `jurisdiction:` value, or None if it is fine."""
    if isinstance(value, str) and (value in (GLOBAL, LOCAL) or is_jurisdiction(value)):
        return None
    return (f"must be a lowercase jurisdiction id (e.g. eu, us), {GLOBAL!r} for the global stack "
            f"or {LOCAL!r} for a store on this deployment; got {value!r}")


@dataclass(frozen=True)
class ProcessorFlow:
    """What a processor does to the data passing it."""

    #: raw data leaves it pseudonymized with these key rings (jurisdiction ids or
    #: `default`; a ring of the item's jurisdiction, else `default`, is used); None: it
    #: does not pseudonymize
    pseudonymizes: frozenset[str] | None = None
    #: its pseudonyms are keyed per data subject, so erasure unlinks them
    subject_keyed: bool = False
    #: every payload is checked once more and what still holds personal data dropped
    #: (an egress guard): the last step before a global exporter
    guards: bool = False


@dataclass(frozen=True)
class ExporterFlow:
    """Where an exporter is when its config declares no `jurisdiction:`."""

    #: GLOBAL, LOCAL or a jurisdiction id; None: undeclared (a residency config requires one)
    place: str | None = None
    #: a quarantine store: where a router's unknown-jurisdiction pipelines must end
    quarantine: bool = False
    #: False for an exporter that forwards no payload (logs counts only): never a leak
    forwards_payloads: bool = True


@dataclass(frozen=True)
class Route:
    """Data entering a connector leaving to one downstream pipeline; None keeps what it was."""

    #: the jurisdiction (or DEFAULT_POLICY, UNKNOWN) of the data on this route
    jurisdiction: str | None = None
    #: its form downstream (e.g. AGGREGATES)
    form: str | None = None
    #: the residency policies it is routed under ({jurisdiction or `default`:
    #: `scrubber.residency.policy.Policy`}), for the policy checks downstream
    policies: Mapping[str, Any] | None = None


class ConnectorFlow:
    """Where a connector can send what. The base passes data on unchanged to every
    downstream pipeline: an over-approximation, hence safe for any connector."""

    #: it sends each jurisdiction's data only where that jurisdiction's policy allows;
    #: a config using one is a residency config (every exporter must declare where it is)
    routes_by_jurisdiction: bool = False

    def routes(self, signal: "Signal", downstream: str, jurisdiction: str) -> Iterator[Route]:
        """The routes data of `jurisdiction` (ANY: not yet split) entering with `signal`
        takes to the pipeline named `downstream`; none if it never goes there."""
        yield Route()

    def wiring_errors(self, config: "Config", connector_id: "ComponentID") -> list[str]:
        """Problems in how the config wires the pipelines this connector names (key path
        first); the residency check reports them with its own."""
        return []


@dataclass(frozen=True)
class Converts(ConnectorFlow):
    """A connector that turns what it receives into `form` (e.g. aggregates) for every
    downstream pipeline."""

    form: str

    def routes(self, signal: "Signal", downstream: str, jurisdiction: str) -> Iterator[Route]:
        yield Route(form=self.form)


UNCHANGED = ProcessorFlow()
UNDECLARED = ExporterFlow()
PASSTHROUGH = ConnectorFlow()


def _declared(entry: "ComponentEntry", default: Any) -> Any:
    hook = entry.factory.flow
    return default if hook is None else hook(entry.config)


def processor_flow(entry: "ComponentEntry") -> ProcessorFlow:
    return _declared(entry, UNCHANGED)


def exporter_flow(entry: "ComponentEntry") -> ExporterFlow:
    return _declared(entry, UNDECLARED)


def connector_flow(entry: "ComponentEntry") -> ConnectorFlow:
    return _declared(entry, PASSTHROUGH)


def exporter_place(entry: "ComponentEntry") -> str | None:
    """Where an exporter's data goes: its configured `jurisdiction:`, else where its
    factory declares it is."""
    return entry.jurisdiction if entry.jurisdiction is not None else exporter_flow(entry).place


__all__ = ["AGGREGATES", "ANY", "ConnectorFlow", "Converts", "ExporterFlow", "GLOBAL", "LOCAL", "PASSTHROUGH",
           "PSEUDONYMIZED", "ProcessorFlow", "RAW", "Route", "UNCHANGED", "UNDECLARED", "UNKNOWN", "check_place",
           "connector_flow", "exporter_flow", "exporter_place", "is_jurisdiction", "normalize", "processor_flow"]
