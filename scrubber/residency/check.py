"""The whole-config residency check (entry point `scrubber.config_checks`).

`scrubber validate` (and `run`) reject a config where any path could carry a
jurisdiction's raw data to an exporter of another jurisdiction or to a global
one, or carry more to the global stack than the jurisdiction's policy allows.
Every problem is reported at once, each naming the pipeline (or connector key)
where it shows, with the whole path, e.g.

    service::pipelines::traces/global: raw eu traces can reach global exporter
      otlp/global via traces -> residency_router -> traces/global: ...

The paths come from the components' own flow declarations (`scrubber.dataflow`),
so a third-party scrubbing processor, exporter or router takes part as the
shipped ones do; nothing here knows a component type. The advice in the
messages names the shipped components that fix each problem.

Configs that do not route by jurisdiction (no connector declaring it does, no
exporter declaring a `jurisdiction`) are not residency configs and pass this check; but a
plain Collector config that forwards raw data deserves a word: `warnings()` names
every exporter that can receive unscrubbed data without a declared jurisdiction.
`validate` and `run` print them; with `--strict` they are errors.
"""

from __future__ import annotations

from scrubber.component import Kind
from scrubber.config.model import Config
from scrubber.dataflow import connector_flow, exporter_flow
from scrubber.residency.model import GLOBAL, LOCAL, UNKNOWN
from scrubber.residency.paths import AGGREGATES, ANY, PSEUDONYMIZED, RAW, Flow, exporter_place, key_ring, residency_aware, trace


def check(config: Config) -> list[str]:
    if not residency_aware(config):
        return []
    errors = _undeclared(config) + _connector_wiring(config)
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
    line each, naming the pipelines. An exporter whose flow hook declares it forwards no
    payload (`forwards_payloads=False`, e.g. debug, which logs counts only) is not named."""
    reached: dict[str, set[str]] = {}
    for flow in trace(config):
        if flow.form != RAW or flow.exporter_jurisdiction is not None or flow.exporter is None:
            continue
        if exporter_flow(config.entry(Kind.EXPORTER, flow.exporter)).forwards_payloads:
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
    used = key_ring(flow.key_rings, flow.jurisdiction)
    if used != wanted:
        return (f"its policy pseudonymizes with key ring {wanted!r}, but the pii processor on the path "
                f"would use {used or 'no key'!r}; add keys: {{{wanted}: ...}} to it")
    return None


def _undeclared(config: Config) -> list[str]:
    used = {e for p in config.pipelines.values() for e in p.exporters}
    return [f"exporters::{exporter_id}::jurisdiction: required in a config that routes by jurisdiction: "
            f"a jurisdiction id (e.g. eu), global or local"
            for exporter_id in sorted(used) if exporter_place(config.entry(Kind.EXPORTER, exporter_id)) is None]


def _connector_wiring(config: Config) -> list[str]:
    """What each configured connector's flow declaration finds wrong in how the pipelines
    it names are wired (a residency router: its policy, quarantine, aggregates and global
    pipelines)."""
    return [line for connector_id, entry in config.components[Kind.CONNECTOR].items()
            for line in connector_flow(entry).wiring_errors(config, connector_id)]
