"""`scrubber flows`: the data-flow map of a config, for the records of processing.

From the config alone (nothing is started), it lists which data of which
jurisdiction can reach which exporter, in which form (raw, pseudonymized,
aggregates), as a table, as Mermaid text, and as a PNG or SVG picture drawn
with matplotlib (a real renderer that needs no system binary such as `dot`).
The rows come from `scrubber.residency.paths.trace`, the same analysis
`scrubber validate` proves the residency guarantee with; both walk what each
component declares through its flow hook (`scrubber.dataflow`), so a plug-in's
processors, exporters and connectors appear on the map as the shipped ones do.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from scrubber.component import Kind
from scrubber.config.loader import load_config
from scrubber.config.model import Config
from scrubber.dataflow import AGGREGATES, PSEUDONYMIZED, RAW, processor_flow
from scrubber.errors import ConfigError
from scrubber.residency.check import check, label, violation
from scrubber.residency.paths import trace

FORMS = (RAW, PSEUDONYMIZED, AGGREGATES)
_SIGNAL_ORDER = {"traces": 0, "logs": 1, "metrics": 2}


@dataclass
class Row:
    jurisdiction: str  # as labelled for people: "eu", "default-policy", "unknown-jurisdiction"
    exporter: str
    exporter_jurisdiction: str
    form: str
    signals: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    #: some path of this row breaks the residency guarantee (`scrubber validate` rejects it)
    violation: bool = False
    #: pseudonymized by a pii processor with `subjects`: tokens keyed per data subject (erasable)
    subject_keyed: bool = False

    @property
    def on_erasure(self) -> str:
        """What `scrubber erase` means for this destination's copy of a subject's data."""
        if self.form == RAW:
            return "backend must delete"
        if self.form == PSEUDONYMIZED:
            return "unlinked (subject key destroyed)" if self.subject_keyed else "linkable while jurisdiction key lives"
        return "no subject ids"


def subject_keyed_pipelines(config: Config) -> set[str]:
    """Pipelines with a processor whose flow hook declares pseudonyms keyed per data
    subject (a pii processor with `subjects`)."""
    return {name for name, pipeline in config.pipelines.items()
            if any(processor_flow(config.entry(Kind.PROCESSOR, p)).subject_keyed for p in pipeline.processors)}


def rows(config: Config) -> list[Row]:
    """One row per (data jurisdiction, exporter, form), signals and paths merged."""
    table: dict[tuple, Row] = {}
    keyed = subject_keyed_pipelines(config)
    for flow in trace(config):
        key = (label(flow.jurisdiction), str(flow.exporter), flow.exporter_jurisdiction or "undeclared", flow.form)
        row = table.setdefault(key, Row(*key))
        row.signals.add(flow.signal.value)
        row.paths.add(" -> ".join(flow.path))
        row.violation = row.violation or violation(flow) is not None
        if flow.form == PSEUDONYMIZED and keyed.intersection(flow.path):
            row.subject_keyed = True
    return sorted(table.values(), key=lambda r: (r.jurisdiction, FORMS.index(r.form), r.exporter))


def destinations(config: Config, jurisdiction: str) -> list[dict]:
    """Where `jurisdiction`'s data can go (for erasure receipts): its own policy's rows, else
    the default policy's. No values: exporter ids, places, forms, signals."""
    all_rows = rows(config)
    mine = [r for r in all_rows if r.jurisdiction == jurisdiction] or \
        [r for r in all_rows if r.jurisdiction == label("default")]
    return [{"exporter": r.exporter, "exporter_in": r.exporter_jurisdiction, "form": r.form,
             "signals": sorted(r.signals, key=_SIGNAL_ORDER.__getitem__), "subject_keyed": r.subject_keyed,
             "on_erasure": r.on_erasure} for r in mine]


def lineage_exporters(config: Config, pipeline: str) -> list[dict]:
    """The exporters a pipeline named in a lineage record feeds, with the form they get."""
    keyed = subject_keyed_pipelines(config)
    seen: dict[str, dict] = {}
    for flow in trace(config):
        if flow.pipeline == pipeline:
            seen.setdefault(str(flow.exporter), {
                "exporter": str(flow.exporter), "exporter_in": flow.exporter_jurisdiction or "undeclared",
                "form": flow.form, "subject_keyed": flow.form == PSEUDONYMIZED and bool(keyed.intersection(flow.path))})
    return list(seen.values())


def _signals(row: Row) -> str:
    return ", ".join(sorted(row.signals, key=_SIGNAL_ORDER.__getitem__))


def table_text(all_rows: list[Row]) -> str:
    header = ("DATA OF", "FORM", "SIGNALS", "EXPORTER", "EXPORTER IN", "ON ERASURE", "")
    lines = [header] + [(r.jurisdiction, r.form, _signals(r), r.exporter, r.exporter_jurisdiction, r.on_erasure,
                         "VIOLATION" if r.violation else "") for r in all_rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def _node_id(prefix: str, name: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9_]", "_", name)


_ARROWS = {RAW: "==>", PSEUDONYMIZED: "-->", AGGREGATES: "-.->"}
_SPECIAL = {"global": "global stack", "local": "quarantine (local)", "undeclared": "undeclared place"}


@dataclass
class Edge:
    """One arrow of the picture: data of `source` reaching destination `group` in one form."""

    source: str
    group: str  # "global", "local", "undeclared" or a region's jurisdiction id
    form: str
    subject_keyed: bool
    signals: set[str] = field(default_factory=set)
    exporters: set[str] = field(default_factory=set)
    violation: bool = False

    @property
    def crosses_border(self) -> bool:
        """Data leaves its jurisdiction: to the global stack or another region (the local
        quarantine stays on this deployment, in-region)."""
        return self.group == "global" or (self.group not in _SPECIAL and self.group != self.source)

    @property
    def label(self) -> str:
        form = f"{self.form} (subject keys)" if self.subject_keyed else self.form
        return f"{form}: {', '.join(sorted(self.signals, key=_SIGNAL_ORDER.__getitem__))}"


def group_title(group: str) -> str:
    return _SPECIAL.get(group, f"region {group}")


def groups(all_rows: list[Row]) -> dict[str, list[Row]]:
    """Destinations by where they are: regions first (sorted), then quarantine, the global stack."""
    found: dict[str, dict[str, Row]] = {}
    for row in all_rows:
        found.setdefault(row.exporter_jurisdiction, {}).setdefault(row.exporter, row)
    order = sorted(found, key=lambda g: ({"local": 1, "undeclared": 2, "global": 3}.get(g, 0), g))
    return {g: sorted(found[g].values(), key=lambda r: r.exporter) for g in order}


def edges(all_rows: list[Row]) -> list[Edge]:
    """One edge per (data jurisdiction, destination group, form), signals and exporters merged."""
    merged: dict[tuple, Edge] = {}
    for row in all_rows:
        key = (row.jurisdiction, row.exporter_jurisdiction, row.form, row.subject_keyed)
        edge = merged.setdefault(key, Edge(*key))
        edge.signals |= row.signals
        edge.exporters.add(row.exporter)
        edge.violation = edge.violation or row.violation
    return list(merged.values())


def exporter_forms(all_rows: list[Row]) -> dict[str, str]:
    """What each exporter holds, for its line in a destination box."""
    held: dict[str, set[str]] = {}
    for row in all_rows:
        held.setdefault(row.exporter, set()).add(
            "raw data" if row.form == RAW else "subject-keyed pseudonyms" if row.subject_keyed else
            "pseudonyms" if row.form == PSEUDONYMIZED else "aggregates")
    order = ("raw data", "subject-keyed pseudonyms", "pseudonyms", "aggregates")
    return {name: ", ".join(f for f in order if f in forms) for name, forms in held.items()}


def mermaid_text(all_rows: list[Row]) -> str:
    """A Mermaid flowchart: jurisdictions on the left, one subgraph per destination (each region,
    quarantine, the global stack) listing its exporters, one edge per form; border-crossing
    edges are thick and say so, violations red."""
    lines = ["flowchart LR", "  subgraph data[\"data of jurisdiction\"]"]
    for name in dict.fromkeys(r.jurisdiction for r in all_rows):
        lines.append(f"    {_node_id('j_', name)}([\"{name}\"])")
    lines.append("  end")
    held = exporter_forms(all_rows)
    for group, members in groups(all_rows).items():
        lines.append(f"  subgraph {_node_id('d_', group)}[\"{group_title(group)}\"]")
        for row in members:
            lines.append(f"    {_node_id('x_', row.exporter)}[\"{row.exporter}<br/>{held[row.exporter]}\"]")
        lines.append("  end")
    styles = []
    for index, edge in enumerate(edges(all_rows)):
        flag = "VIOLATION " if edge.violation else "CROSSES BORDER " if edge.crosses_border else ""
        lines.append(f"  {_node_id('j_', edge.source)} {_ARROWS[edge.form]}|\"{flag}{edge.label}\"| "
                     f"{_node_id('d_', edge.group)}")
        if edge.violation:
            styles.append(f"  linkStyle {index} stroke:#cc0000,stroke-width:4px")
        elif edge.crosses_border:
            styles.append(f"  linkStyle {index} stroke-width:4px")
    return "\n".join(lines + styles)


def run_flows(config_path: str, output: str, fmt: str) -> int:
    """Print the table and the Mermaid text, write the picture. Exit 1 if the config is
    invalid; a config that only breaks residency is still mapped (its violations marked
    and listed), since that map is what one needs to fix it."""
    try:
        config = load_config(config_path, checks=False)
    except ConfigError as error:
        print(f"{config_path}: invalid configuration ({len(error.errors)} errors):", file=sys.stderr)
        for line in error.errors:
            print(f"  {line}", file=sys.stderr)
        return 1
    all_rows = rows(config)
    if not all_rows:
        print(f"{config_path}: no pipeline reaches an exporter", file=sys.stderr)
        return 1
    from scrubber.residency.render import render

    target = Path(f"{output}.{fmt}")
    render(all_rows, target, fmt, title=f"scrubber data flows: {config_path}")
    print(table_text(all_rows))
    print()
    print("```mermaid")
    print(mermaid_text(all_rows))
    print("```")
    print()
    print(f"wrote {target}")
    problems = check(config)
    for line in problems:
        print(f"VIOLATION {line}", file=sys.stderr)
    return 1 if problems else 0
