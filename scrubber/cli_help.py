"""What `scrubber <command> --help` says beyond the usage line, and the `components` command.

Kept apart from `cli.py` so that each command's description, examples and exit codes are
written once, as data, in plain text (no Markdown: it is read in a terminal).
"""

from __future__ import annotations

import argparse
import json
import sys

EXIT_CODES = """exit codes:
  0  success
  1  invalid config or input (every problem is printed, each with its key path)
  2  wrong command line (unknown option, missing argument)"""

HELP: dict[str, tuple[str, str]] = {
    "run": (
        "Run the pipelines of a config until SIGTERM or SIGINT, then drain within service::shutdown_timeout.\n"
        "Warnings about exporters that receive unscrubbed data are logged at start; --strict refuses to start.",
        """examples:
  scrubber run                                  # the embedded default config
  scrubber run --config config/federated.yaml
  scrubber run --config collector.yaml --strict # refuse configs that forward raw data"""),
    "validate": (
        "Check a config as run would (components, pipelines, deployment: keys, files, variables)\n"
        "and print every problem in one pass, each with its key path.",
        """examples:
  scrubber validate config/federated.yaml
  scrubber validate --config collector.yaml     # the Collector's spelling
  scrubber validate collector.yaml --strict     # warnings become errors"""),
    "scan": (
        "Dry run of a config's pii processors on OTLP/JSON lines (as the file exporter writes them):\n"
        "a table of what was found where (key, entity type, count, operator; never a value).",
        """examples:
  scrubber scan --config config/default.yaml capture.jsonl
  scrubber scan --config config/default.yaml --processor pii/eu capture.jsonl --output scrubbed.jsonl"""),
    "flows": (
        "Print which data of which jurisdiction can reach which exporter (table and Mermaid) and draw it.",
        """examples:
  scrubber flows --config config/default.yaml
  scrubber flows --config config/federated.yaml --format png --output records/flows"""),
    "default-config": (
        "Print the default config embedded in the package (what run and validate use without a file),\n"
        "as a start for your own.",
        """examples:
  scrubber default-config > scrubber.yaml"""),
    "erase": (
        "Erase a data subject: destroy its per-subject pseudonym secret in its jurisdiction's vault, print\n"
        "which exporters received its raw items and when, and append a receipt without personal values.",
        """examples:
  scrubber erase --config config/federated.yaml --jurisdiction eu --subject-id user-42
  scrubber erase --config config/federated.yaml --jurisdiction eu --subject-id user-42 --json"""),
    "components": (
        "List the installed components (receivers, processors, exporters, connectors, extensions) with their\n"
        "stability and signals, and the Collector components left out on purpose with the reason.",
        """examples:
  scrubber components
  scrubber components --json"""),
}


def add_help(parser: argparse.ArgumentParser, command: str) -> None:
    """Give a subcommand parser its description and an epilog of examples and exit codes."""
    description, examples = HELP.get(command, ("", ""))
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    if description:
        parser.description = description
    parser.epilog = f"{examples}\n\n{EXIT_CODES}" if examples else EXIT_CODES


def components_table() -> list[dict]:
    from scrubber.component import Kind
    from scrubber.config.absent import ABSENT
    from scrubber.registry import default_registry

    registry = default_registry()
    rows = []
    for kind in Kind:
        for factory in registry.all_factories(kind):
            signals = sorted(s.value for s in factory.signals) if kind is not Kind.EXTENSION else []
            if kind is Kind.CONNECTOR:
                signals = sorted(f"{a.value}->{b.value}" for a, b in factory.connector_pairs)
            rows.append({"kind": kind.value[:-1], "type": factory.type, "stability": factory.stability.value,
                         "signals": signals})
    absent = [{"kind": kind.value[:-1], "type": type_, "reason": reason} for (kind, type_), reason in ABSENT.items()]
    return rows + absent


def cmd_components(args: argparse.Namespace) -> int:
    rows = components_table()
    if getattr(args, "json", False):
        print(json.dumps(rows, indent=2))
        return 0
    present = [r for r in rows if "reason" not in r]
    widths = [max(len(r[k]) for r in present) for k in ("kind", "type", "stability")]
    print(f"{'KIND'.ljust(widths[0])}  {'TYPE'.ljust(widths[1])}  {'STABILITY'.ljust(widths[2])}  SIGNALS")
    for r in present:
        print(f"{r['kind'].ljust(widths[0])}  {r['type'].ljust(widths[1])}  {r['stability'].ljust(widths[2])}  "
              f"{', '.join(r['signals']) or '-'}")
    print("\nleft out on purpose:")
    for r in rows:
        if "reason" in r:
            print(f"  {r['kind']} {r['type']}: {r['reason']}")
    sys.stdout.flush()
    return 0


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
