"""Loads a config file, expands env references and validates it strictly.

Every problem is collected before anything is reported, and each message names
its key path in the Collector's style (`exporters::otlp/eu::endpoint: ...`), so
an operator fixes a file in one go rather than one error per run.
"""

from __future__ import annotations

import os
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml
from pydantic import BaseModel, ValidationError

from scrubber.component import ComponentConfig, ComponentID, Kind
from scrubber.config.absent import absent_reason
from scrubber.config.expand import Expansion, expand
from scrubber.config.model import ComponentEntry, Config, Pipeline, RawConfig
from scrubber.dataflow import check_place
from scrubber.errors import ConfigError
from scrubber.pdata import Signal
from scrubber.registry import Registry, RegistryError, default_registry

#: entry-point group of whole-config checks: callables `(Config) -> list[str]`
CHECKS_GROUP = "scrubber.config_checks"


def pydantic_errors(exc: ValidationError, prefix: str) -> list[str]:
    """One `path: message` line per pydantic error, with `::` between path parts."""
    lines = []
    for error in exc.errors():
        parts = [prefix] + [str(p) for p in error["loc"] if p not in ("function-after", "function-before")]
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "required key is missing"
        elif error["type"] == "too_short" and error.get("ctx", {}).get("min_length") == 1:
            message = "must not be empty (list at least one)"
        message = message.removeprefix("Value error, ")
        lines.append(f"{'::'.join(p for p in parts if p)}: {message}")
    return lines


def read_yaml(path: str | Path) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read config: {exc.strerror or exc}"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML: {exc}"]) from exc
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: the config must be a YAML mapping with receivers, exporters and service"])
    return data


def load_config(path: str | Path, registry: Registry | None = None, environ: Mapping[str, str] | None = None,
                checks: bool = True) -> Config:
    """Read, expand and validate a config file; raise ConfigError with every problem.
    `checks=False` skips the whole-config checks (for tools that report them themselves)."""
    config = parse_config(read_yaml(path), registry=registry, environ=environ, checks=checks)
    config.source = str(path)
    return config


def parse_config(data: dict[str, Any], registry: Registry | None = None, environ: Mapping[str, str] | None = None,
                 checks: bool = True) -> Config:
    registry = registry or default_registry()
    expansion = Expansion()
    errors: list[str] = []
    expanded = expand(data, os.environ if environ is None else environ, expansion=expansion)
    try:
        raw = RawConfig.model_validate(expanded)
    except ValidationError as exc:
        errors.extend(pydantic_errors(exc, ""))
        _sections_alone(expanded, registry, errors)
        raise ConfigError(_merge(expansion, errors)) from exc
    components = {kind: _components(getattr(raw, kind.value), kind, registry, errors) for kind in Kind}
    _check_ambiguous_connectors(components, errors)
    pipelines = _pipelines(raw, components, errors)
    _check_connectors(components, pipelines, errors)
    extensions = _service_extensions(raw, components, errors)
    _check_extension_references(raw, components, extensions, errors)
    config = Config(components, pipelines, extensions, raw.service, raw=expanded, unset_variables=expansion.unset)
    # deployment errors come in the same pass: a component whose own config parsed can
    # still say what the deployment lacks, whatever is wrong elsewhere in the file
    errors.extend(_deployment_errors(config))
    errors = _merge(expansion, errors)
    if not errors and checks:
        errors.extend(run_checks(config))
    if errors:
        raise ConfigError(errors)
    return config


def _merge(expansion: Expansion, errors: list[str]) -> list[str]:
    """Expansion errors first; a value whose reference could not be expanded is not
    reported a second time by the validation of what it left behind, and a value left
    empty by an unset variable says so, naming the variable."""
    failed = {line.partition(": ")[0] for line in expansion.errors}
    result = list(expansion.errors)
    for line in errors:
        path, _, message = line.partition(": ")
        if path in failed:
            continue
        names = _unset_under(expansion.unset, path)
        if names:
            plural = "s" if len(names) > 1 else ""
            line = f"{path}: environment variable{plural} {', '.join(names)} {'are' if plural else 'is'} not set ({message})"
        result.append(line)
    return list(dict.fromkeys(result))


def _unset_under(unset: dict[str, list[str]], path: str) -> list[str]:
    """Unset variables of the value at `path` or below it (a model-level error names its parent)."""
    names = [name for where, found in unset.items() if where == path or where.startswith(path + "::") for name in found]
    return list(dict.fromkeys(names))


def _sections_alone(expanded: dict[str, Any], registry: Registry, errors: list[str]) -> None:
    """When the top level is wrong (say a typo under `service`), the component sections
    that are well-formed are still checked, so that every error comes out in one run."""
    for kind in Kind:
        section = expanded.get(kind.value)
        if isinstance(section, dict) and all(isinstance(b, dict) or b is None for b in section.values()):
            _components(section, kind, registry, errors)


def _components(section: dict[str, Any], kind: Kind, registry: Registry, errors: list[str]) -> dict[ComponentID, ComponentEntry]:
    result: dict[ComponentID, ComponentEntry] = {}
    for key, body in section.items():
        path = f"{kind.value}::{key}"
        try:
            component_id = ComponentID.parse(key)
        except ValueError as exc:
            errors.append(f"{path}: {exc}")
            continue
        jurisdiction, body = _pop_jurisdiction(kind, body, path, errors)
        try:
            factory = registry.get(kind, component_id.type)
        except RegistryError as exc:
            errors.append(f"{path}: {exc}")
            continue
        if factory is None and absent_reason(kind, component_id.type):
            errors.append(f"{path}: {component_id.type!r} is deliberately not part of scrubber: {absent_reason(kind, component_id.type)}")
            continue
        if factory is None:
            known = ", ".join(registry.types(kind)) or "none"
            errors.append(f"{path}: unknown {kind.value[:-1]} type {component_id.type!r} "
                          f"(entry-point group {kind.entry_point_group}; known: {known})")
            continue
        try:
            parsed = factory.config_class.model_validate(body or {})
        except ValidationError as exc:
            errors.extend(pydantic_errors(exc, path))
            continue
        result[component_id] = ComponentEntry(component_id, kind, factory, parsed, jurisdiction)
    return result


def _pop_jurisdiction(kind: Kind, body: Any, path: str, errors: list[str]) -> tuple[str | None, Any]:
    """Exporters may declare `jurisdiction:` (where their data goes, see scrubber.dataflow);
    it is taken out here so that every exporter's own model stays the Collector's."""
    if kind != Kind.EXPORTER or not isinstance(body, dict) or "jurisdiction" not in body:
        return None, body
    body = dict(body)
    value = body.pop("jurisdiction")
    problem = check_place(value)
    if problem:
        errors.append(f"{path}::jurisdiction: {problem}")
        return None, body
    return value, body


def _check_ambiguous_connectors(components, errors: list[str]) -> None:
    """A connector id may not also be a receiver or exporter id (the Collector's rule):
    a pipeline's `receivers: [x]` must name one thing."""
    for component_id in components[Kind.CONNECTOR]:
        for kind in (Kind.RECEIVER, Kind.EXPORTER):
            if component_id in components[kind]:
                errors.append(f"connectors::{component_id}: ambiguous id: there is also a {kind.value[:-1]} {str(component_id)!r}")


def _resolve(names: list[str], kind: Kind, signal: Signal, components, path: str, errors: list[str],
             connectors: list[ComponentID] | None = None, declared: frozenset[str] = frozenset()) -> list[ComponentID]:
    """The ids of `names`; a name configured under `connectors` goes to `connectors`
    instead (only where one may stand: a pipeline's receivers and exporters). A name
    in `declared` whose config was invalid is skipped: its error is already reported."""
    resolved = []
    for i, name in enumerate(names):
        try:
            component_id = ComponentID.parse(name)
        except ValueError as exc:
            errors.append(f"{path}::{i}: {exc}")
            continue
        entry = components[kind].get(component_id)
        if entry is None and connectors is not None and component_id in components[Kind.CONNECTOR]:
            if component_id in connectors:
                errors.append(f"{path}::{i}: {name!r} is listed twice")
            else:
                connectors.append(component_id)
            continue
        if entry is None and name in declared:
            continue
        if entry is None:
            errors.append(f"{path}::{i}: references {kind.value[:-1]} {name!r}, which is not configured under {kind.value}")
        elif signal not in entry.factory.signals:
            errors.append(f"{path}::{i}: {kind.value[:-1]} {name!r} does not support {signal.value}")
        elif component_id in resolved:
            errors.append(f"{path}::{i}: {name!r} is listed twice")
        else:
            resolved.append(component_id)
    return resolved


def _pipelines(raw: RawConfig, components, errors: list[str]) -> dict[str, Pipeline]:
    pipelines = {}
    declared = {kind: frozenset(getattr(raw, kind.value)) for kind in Kind}
    for name, body in raw.service.pipelines.items():
        path = f"service::pipelines::{name}"
        kind_name, _, _suffix = name.partition("/")
        try:
            signal = Signal(kind_name)
        except ValueError:
            errors.append(f"{path}: a pipeline id must be traces, metrics or logs, optionally followed by /name")
            continue
        connectors_in: list[ComponentID] = []
        connectors_out: list[ComponentID] = []
        pipelines[name] = Pipeline(
            name,
            signal,
            _resolve(body.receivers, Kind.RECEIVER, signal, components, f"{path}::receivers", errors, connectors_in,
                     declared[Kind.RECEIVER] | declared[Kind.CONNECTOR]),
            _resolve(body.processors, Kind.PROCESSOR, signal, components, f"{path}::processors", errors,
                     declared=declared[Kind.PROCESSOR]),
            _resolve(body.exporters, Kind.EXPORTER, signal, components, f"{path}::exporters", errors, connectors_out,
                     declared[Kind.EXPORTER] | declared[Kind.CONNECTOR]),
            connectors_in,
            connectors_out,
        )
    return pipelines


def _check_connectors(components, pipelines: dict[str, Pipeline], errors: list[str]) -> None:
    """The Collector's rules: a connector used as an exporter is used as a receiver too
    (and vice versa), through a signal pair it supports; pipelines joined by connectors
    form no cycle."""
    for connector_id, entry in components[Kind.CONNECTOR].items():
        pairs = entry.factory.connector_pairs
        feeds = [p for p in pipelines.values() if connector_id in p.connectors_out]
        fed = [p for p in pipelines.values() if connector_id in p.connectors_in]
        path = f"connectors::{connector_id}"
        if not feeds and not fed:
            continue  # configured but unused, as an unused receiver is
        for pipeline in feeds:
            if not any((pipeline.signal, q.signal) in pairs for q in fed):
                errors.append(f"service::pipelines::{pipeline.name}::exporters: connector {str(connector_id)!r} is used as an "
                              f"exporter of {pipeline.signal.value} but no pipeline receives from it a signal it can produce "
                              f"from {pipeline.signal.value}")
        for pipeline in fed:
            if not any((p.signal, pipeline.signal) in pairs for p in feeds):
                errors.append(f"service::pipelines::{pipeline.name}::receivers: connector {str(connector_id)!r} is used as a receiver "
                              f"of {pipeline.signal.value} but no pipeline exports to it a signal it turns into {pipeline.signal.value}")
        if not pairs:
            errors.append(f"{path}: the connector factory declares no signal pairs")
    cycle = _find_cycle(components, pipelines)
    if cycle:
        errors.append(f"service::pipelines::{cycle[0]}: pipelines form a cycle through connectors: {' -> '.join(cycle)}")


def _find_cycle(components, pipelines: dict[str, Pipeline]) -> list[str] | None:
    """A cycle of pipeline names (first repeated at the end), or None."""
    def edges(pipeline: Pipeline):
        for connector_id in pipeline.connectors_out:
            entry = components[Kind.CONNECTOR].get(connector_id)
            pairs = entry.factory.connector_pairs if entry else frozenset()
            for q in pipelines.values():
                if connector_id in q.connectors_in and (pipeline.signal, q.signal) in pairs:
                    yield q.name

    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, trail: list[str]) -> list[str] | None:
        state[name] = 1
        for nxt in edges(pipelines[name]):
            if state.get(nxt) == 1:
                return trail[trail.index(nxt):] + [name, nxt] if nxt in trail else [name, nxt]
            if nxt not in state:
                found = visit(nxt, trail + [name])
                if found:
                    return found
        state[name] = 2
        return None

    for name in pipelines:
        if name not in state:
            found = visit(name, [])
            if found:
                return found
    return None


def _service_extensions(raw: RawConfig, components, errors: list[str]) -> list[ComponentID]:
    result = []
    for i, name in enumerate(raw.service.extensions):
        try:
            component_id = ComponentID.parse(name)
        except ValueError as exc:
            errors.append(f"service::extensions::{i}: {exc}")
            continue
        if component_id not in components[Kind.EXTENSION]:
            if name not in raw.extensions:  # configured but invalid: its own error says why
                errors.append(f"service::extensions::{i}: references extension {name!r}, which is not configured under extensions")
        else:
            result.append(component_id)
    return result


def _check_extension_references(raw: RawConfig, components, enabled: list[ComponentID], errors: list[str]) -> None:
    """Components name extensions by id (`sending_queue: {storage: file_storage}`); each must
    be configured and enabled in service::extensions, as the Collector requires at start."""
    for kind, entries in components.items():
        for component_id, entry in entries.items():
            references: Callable[[], list[tuple[str, str]]] | None = getattr(entry.config, "extension_references", None)
            for key, reference in references() if references else []:
                path = f"{kind.value}::{component_id}::{key}"
                target = ComponentID.parse(reference)
                if target not in components[Kind.EXTENSION]:
                    if reference not in raw.extensions:
                        errors.append(f"{path}: references extension {reference!r}, which is not configured under extensions")
                elif target not in enabled:
                    errors.append(f"{path}: extension {reference!r} is configured but not listed in service::extensions")


def _deployment_errors(config: Config) -> list[str]:
    """Problems a component config can only see at deployment time (a missing key file,
    an unset key variable): components report them through `deployment_errors()`."""
    errors: list[str] = []
    for kind, entries in config.components.items():
        for component_id, entry in entries.items():
            check: Callable[[], list[str]] | None = getattr(entry.config, "deployment_errors", None)
            if check is not None:
                errors.extend(f"{kind.value}::{component_id}::{message}" for message in check())
    return errors


def run_checks(config: Config) -> list[str]:
    """Whole-config checks registered by plug-ins (e.g. residency: no raw path to global)."""
    errors = []
    for entry_point in entry_points(group=CHECKS_GROUP):
        errors.extend(entry_point.load()(config))
    return errors


def component_config_errors(model: type[BaseModel], body: Any, path: str) -> list[str]:
    """Validate one component body in isolation (used by tests and tools)."""
    try:
        model.model_validate(body or {})
    except ValidationError as exc:
        return pydantic_errors(exc, path)
    return []


__all__ = ["CHECKS_GROUP", "ComponentConfig", "load_config", "parse_config", "pydantic_errors"]
