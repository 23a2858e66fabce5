"""Finds component factories through entry points.

Entry points are listed eagerly (so a duplicate type is an error at once: two
packages claiming `otlp` would make every config ambiguous) but loaded lazily, on
first use: a broken third-party plug-in then fails the configs that use it, with
its name in the message, and no other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

from scrubber.component import Factory, Kind
from scrubber.errors import ScrubberError


class RegistryError(ScrubberError):
    """The installed component plug-ins are inconsistent or one cannot be loaded."""


@dataclass
class Registry:
    factories: dict[Kind, dict[str, Factory]] = field(default_factory=lambda: {k: {} for k in Kind})
    _pending: dict[Kind, dict[str, EntryPoint]] = field(default_factory=lambda: {k: {} for k in Kind})

    def _claim(self, kind: Kind, type_: str) -> None:
        if type_ in self.factories[kind] or type_ in self._pending[kind]:
            raise RegistryError(f"duplicate {kind.value[:-1]} type {type_!r} in {kind.entry_point_group}")

    def add(self, factory: Factory) -> None:
        self._claim(factory.kind, factory.type)
        self.factories[factory.kind][factory.type] = factory

    def add_entry_point(self, kind: Kind, entry_point: EntryPoint) -> None:
        self._claim(kind, entry_point.name)
        self._pending[kind][entry_point.name] = entry_point

    def get(self, kind: Kind, type_: str) -> Factory | None:
        """The factory of `type_`, loading its plug-in on first use (RegistryError if broken)."""
        if type_ not in self.factories[kind] and type_ in self._pending[kind]:
            self.factories[kind][type_] = _load(kind, self._pending[kind].pop(type_))
        return self.factories[kind].get(type_)

    def types(self, kind: Kind) -> list[str]:
        return sorted({*self.factories[kind], *self._pending[kind]})

    def all_factories(self, kind: Kind) -> list[Factory]:
        """Every factory of a kind, all loaded (for lifecycle tests over every plug-in)."""
        factories = [self.get(kind, type_) for type_ in self.types(kind)]
        return [factory for factory in factories if factory is not None]  # every listed type has one

    @classmethod
    def from_entry_points(cls) -> "Registry":
        registry = cls()
        for kind in Kind:
            for entry_point in entry_points(group=kind.entry_point_group):
                registry.add_entry_point(kind, entry_point)
        return registry


def _load(kind: Kind, entry_point: EntryPoint) -> Factory:
    try:
        factory = entry_point.load()
    except Exception as exc:  # a broken plug-in must say which one it is
        raise RegistryError(f"cannot load plug-in {entry_point.name!r} of {kind.entry_point_group} ({entry_point.value}): {exc}") from exc
    if not isinstance(factory, Factory) or factory.kind != kind:
        raise RegistryError(f"entry point {entry_point.name!r} in {kind.entry_point_group} is not a {kind.value[:-1]} factory")
    if factory.type != entry_point.name:
        raise RegistryError(f"entry point {entry_point.name!r} names a factory of type {factory.type!r}")
    return factory


_default: Registry | None = None


def default_registry() -> Registry:
    """The registry of installed plug-ins, listed once per process."""
    global _default
    if _default is None:
        _default = Registry.from_entry_points()
    return _default
