"""The whole-config residency check (entry point `scrubber.config_checks`).

`scrubber validate` (and `run`) reject a config where any path could carry a
jurisdiction's raw data to an exporter of another jurisdiction or to a global
one, or carry more to the global stack than the jurisdiction's policy allows.
Every problem is reported at once, each naming the pipeline (or connector key)
where it shows, with the whole path, e.g.

    service::pipelines::traces/global: raw eu traces can reach global exporter
      otlp/global via traces -> residency_router -> traces/global: ...

Configs that do not route by jurisdiction (no residency_router, no exporter
declaring a `jurisdiction`) are not residency configs and pass this check; but a
plain Collector config that forwards raw data deserves a word: `warnings()` names
every exporter that can receive unscrubbed data without a declared jurisdiction.
`validate` and `run` print them; with `--strict` they are errors.
"""

from __future__ import annotations

from scrubber.component import Kind
from scrubber.config.model import Config
from scrubber.pdata import Signal
from scrubber.residency.model import GLOBAL, LOCAL, UNKNOWN
from scrubber.residency.paths import (ANY, AGGREGATES, PSEUDONYMIZED, QUARANTINE, RAW, ROUTER, Flow,
                                      exporter_place, key_ring, residency_aware, trace)


def check(config: Config) -> list[str]:
    if not residency_aware(config):
        return []
    errors = _undeclared(config) + _router_wiring(config)
    grouped: dict[tuple, list[str]] = {}  # one line per path and problem, naming every jurisdiction
    for flow in trace(config):
        problem = violation(flow)
        if problem:
            grouped.setdefault((flow.pipeline, describe(flow), problem), []).append(label(flow.jurisdiction))
    for (pipeline, what, problem), who in grouped.items():
        errors.append(f"service::pipelines::{pipeline}: {what.format(who=', '.join(dict.fromkeys(who)))}: {problem}")
    return list(dict.fromkeys(errors))


def warnings(config: Config) -> list[str]:
    """Exporters that can receive unscrubbed (raw) data and declare no jurisdiction, one
    line each, naming the pipelines. An exporter whose config says it forwards no payload
    (`forwards_payloads = False`, e.g. debug, which logs counts only) is not named."""
    reached: dict[str, set[str]] = {}
    for flow in trace(config):
        if flow.form != RAW or flow.exporter_jurisdiction is not None or flow.exporter is None:
            continue
        entry = config.entry(Kind.EXPORTER, flow.exporter)
        if getattr(entry.config, "forwards_payloads", True):
            reached.setdefault(str(flow.exporter), set()).add(flow.pipeline)
    return [f"exporters::{exporter}: receives unscrubbed data (pipeline{'s' if len(pipelines) > 1 else ''} "
            f"{', '.join(sorted(pipelines))}) and declares no jurisdiction: personal data leaves as it came. "
            f"Add a pii processor to the pipeline, or declare where the exporter is (jurisdiction: eu, global or local)"
            for exporter, pipelines in sorted(reached.items())]


def label(jurisdiction: str) -> str:
    return {ANY: "unrouted (any jurisdiction)", UNKNOWN: "unknown-jurisdiction", "default": "default-policy"}.get(
        jurisdiction, jurisdiction)


def describe(flow: Flow) -> str:
    """The flow without its jurisdiction (`{who}` stands for it)."""
    where = flow.exporter_jurisdiction or "undeclared"
    return (f"{flow.form} {{who}} {flow.signal.value} can reach {where} exporter {flow.exporter} "
            f"via {' -> '.join(flow.path)}")


def violation(flow: Flow) -> str | None:
    """Why this flow breaks residency, or None."""
    target = flow.exporter_jurisdiction
    if target is None or target == LOCAL:
        return None  # undeclared exporters are reported once by _undeclared
    if target == GLOBAL:
        return _global_violation(flow)
    if flow.jurisdiction != target:
        if flow.jurisdiction == ANY:
            return f"data of every jurisdiction reaches it; route through a residency_router so only {target} data does"
        return f"only {target} data may reach a {target} exporter"
    policy = flow.policy()
    if policy is not None and policy.regional_form == "pseudonymized" and flow.form == RAW:
        return f"the {target} policy says regional_form: pseudonymized; add a pii processor to the pipeline"
    return _key_violation(flow)


def _global_violation(flow: Flow) -> str | None:
    if flow.jurisdiction == ANY:
        return "data reaches the global stack without a residency_router (unknown data must stay in quarantine)"
    if flow.jurisdiction == UNKNOWN:
        return "unknown-jurisdiction data must only go to quarantine, never global"
    if flow.form == RAW:
        return "raw data must not reach a global exporter; add pii and egress_guard processors (or send aggregates)"
    if not flow.guarded:
        return "every payload bound for a global exporter must pass an egress_guard processor"
    policy = flow.policy()
    allowed = "none" if policy is None else policy.global_
    if allowed == "none" or (allowed == AGGREGATES and flow.form != AGGREGATES):
        return f"its policy allows global: {allowed}"
    return _key_violation(flow)


def _key_violation(flow: Flow) -> str | None:
    policy = flow.policy()
    if flow.form != PSEUDONYMIZED or policy is None or flow.jurisdiction == "default" and policy.key is None:
        return None
    wanted = policy.key_ring(flow.jurisdiction)
    used = key_ring(flow.pii_keys, flow.jurisdiction)
    if used != wanted:
        return (f"its policy pseudonymizes with key ring {wanted!r}, but the pii processor on the path "
                f"would use {used or 'no key'!r}; add keys: {{{wanted}: ...}} to it")
    return None


def _undeclared(config: Config) -> list[str]:
    used = {e for p in config.pipelines.values() for e in p.exporters}
    return [f"exporters::{exporter_id}::jurisdiction: required in a config that routes by jurisdiction: "
            f"a jurisdiction id (e.g. eu), global or local"
            for exporter_id in sorted(used) if exporter_place(config.entry(Kind.EXPORTER, exporter_id)) is None]


def _router_wiring(config: Config) -> list[str]:
    errors = []
    for router_id, entry in config.components[Kind.CONNECTOR].items():
        if entry.factory.type != ROUTER:
            continue
        path = f"connectors::{router_id}"
        fed = {p.name for p in config.pipelines.values() if router_id in p.connectors_in}
        feeding = {p.signal for p in config.pipelines.values() if router_id in p.connectors_out}
        errors += _named_pipelines(entry.config, path, fed, str(router_id))
        quarantined = {n.partition("/")[0] for n in entry.config.quarantine}
        for signal in sorted(feeding - {Signal(s) for s in quarantined}):
            errors.append(f"{path}::quarantine: no {signal.value} pipeline, but the router receives {signal.value}")
        for i, name in enumerate(entry.config.quarantine):
            pipeline = config.pipelines.get(name)
            if pipeline and not any(config.entry(Kind.EXPORTER, e).factory.type == QUARANTINE for e in pipeline.exporters):
                errors.append(f"{path}::quarantine::{i}: pipeline {name!r} has no quarantine exporter")
        for i, name in enumerate(entry.config.global_):
            if name.startswith("metrics"):
                errors.append(f"{path}::global::{i}: metrics go global only as aggregates; list {name!r} under aggregates")
    return errors


def _named_pipelines(router_config, path: str, fed: set[str], router: str) -> list[str]:
    named = [(f"{path}::quarantine::{i}", n) for i, n in enumerate(router_config.quarantine)]
    named += [(f"{path}::aggregates::{i}", n) for i, n in enumerate(router_config.aggregates)]
    named += [(f"{path}::global::{i}", n) for i, n in enumerate(router_config.global_)]
    for jurisdiction, policy in router_config.policies.items():
        named += [(f"{path}::policies::{jurisdiction}::regional::{i}", n) for i, n in enumerate(policy.regional)]
    errors = [f"{key}: pipeline {name!r} does not list {router!r} under its receivers" for key, name in named if name not in fed]
    unused = fed - {name for _, name in named}
    errors += [f"service::pipelines::{name}::receivers: receives from {router!r}, which routes nothing to it" for name in sorted(unused)]
    return errors
