"""Finds component factories through entry points.

A duplicate type in one group is an error (two packages claiming `otlp` would
make the config ambiguous); so is an entry point that is not a `Factory` of
the group's kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points

from scrubber.component import Factory, Kind
from scrubber.errors import ScrubberError


class RegistryError(ScrubberError):
    """The installed component plug-ins are inconsistent."""


@dataclass
class Registry:
    factories: dict[Kind, dict[str, Factory]] = field(default_factory=lambda: {k: {} for k in Kind})

    def add(self, factory: Factory) -> None:
        group = self.factories[factory.kind]
        if factory.type in group:
            raise RegistryError(f"duplicate {factory.kind.value[:-1]} type {factory.type!r} in {factory.kind.entry_point_group}")
        group[factory.type] = factory

    def get(self, kind: Kind, type_: str) -> Factory | None:
        return self.factories[kind].get(type_)

    def types(self, kind: Kind) -> list[str]:
        return sorted(self.factories[kind])

    @classmethod
    def from_entry_points(cls) -> "Registry":
        registry = cls()
        for kind in Kind:
            for entry_point in entry_points(group=kind.entry_point_group):
                try:
                    factory = entry_point.load()
                except Exception as exc:  # a broken plug-in must say which one it is
                    raise RegistryError(f"cannot load plug-in {entry_point.name!r} of {kind.entry_point_group} ({entry_point.value}): {exc}") from exc
                if not isinstance(factory, Factory) or factory.kind != kind:
                    raise RegistryError(f"entry point {entry_point.name!r} in {kind.entry_point_group} is not a {kind.value[:-1]} factory")
                if factory.type != entry_point.name:
                    raise RegistryError(f"entry point {entry_point.name!r} names a factory of type {factory.type!r}")
                registry.add(factory)
        return registry


_default: Registry | None = None


def default_registry() -> Registry:
    """The registry of installed plug-ins, loaded once per process."""
    global _default
    if _default is None:
        _default = Registry.from_entry_points()
    return _default
