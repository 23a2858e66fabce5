"""`scrubber scan --config CONFIG FILE [--processor ID] [--output OUT]`: a dry run of a pii policy.

Reads OTLP/JSON lines of any signal (as the file exporter writes them), runs
each through the pii processor `--processor` names, or else the config's pii
processors (in the order the first pipeline of that signal lists them; all pii
processors of the config if no pipeline of that signal has one), says which
processors and key rings were used, prints what was found where (key, entity
type, count, operator; never a value) and, with `--output`, writes the scrubbed
requests as OTLP/JSON lines. Nothing is sent anywhere: a user tests a policy against real
captures before deploying it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import Any, Callable, TextIO

from scrubber.component import ComponentID, Kind, Settings
from scrubber.config.loader import load_config
from scrubber.consumer import SinkConsumer
from scrubber.errors import ConfigError
from scrubber.pdata import Signal, otlpjson
from scrubber.processors.pii.audit import ScrubReport
from scrubber.service.telemetry import Telemetry

log = logging.getLogger("scrubber.scan")


#: extension types a scan starts: the ones pii processors may reference for their detection
#: (`worker_pool:`); a scan sends nothing anywhere, so no other extension (servers, auth) runs
SCAN_EXTENSIONS = frozenset({"worker_pool"})


class _ScanHost:
    """The little a pii processor asks of a host: shared detection services, and the config's
    worker pools (`worker_pool:` names one by id), started for the scan and stopped after it."""

    def __init__(self) -> None:
        self._shared: dict[str, Any] = {}
        self._extensions: dict[ComponentID, Any] = {}

    async def start_extensions(self, config, telemetry: Telemetry) -> None:
        for component_id in sorted(config.components.get(Kind.EXTENSION, ())):
            if component_id.type not in SCAN_EXTENSIONS:
                continue
            entry = config.entry(Kind.EXTENSION, component_id)
            settings = Settings(component_id, Kind.EXTENSION, logging.getLogger(f"scrubber.extension.{component_id}"),
                                telemetry, "scan")
            extension = entry.factory.create(settings, entry.config)
            await extension.start(self)
            self._extensions[component_id] = extension

    def extension(self, component_id: ComponentID) -> Any:
        return self._extensions.get(component_id)

    def shared(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._shared:
            self._shared[name] = make()
        return self._shared[name]

    async def close(self) -> None:
        for service in self._shared.values():
            close = getattr(service, "close", None)
            if close is not None:
                await close()
        for extension in self._extensions.values():
            await extension.shutdown(5.0)


def _pii_ids(config, signal: Signal, chosen_id: ComponentID | None = None) -> list[ComponentID]:
    if chosen_id is not None:
        return [chosen_id]
    for pipeline in config.pipelines.values():
        chosen = [p for p in pipeline.processors if p.type == "pii"]
        if pipeline.signal == signal and chosen:
            return chosen
    return sorted(c for c in config.components[Kind.PROCESSOR] if c.type == "pii")


class _Chains:
    """One started chain of pii processors per signal, ending in a sink."""

    def __init__(self, config, host: _ScanHost, chosen: ComponentID | None = None) -> None:
        self.config, self.host, self.chosen = config, host, chosen
        self.telemetry = Telemetry()
        self.chains: dict[Signal, tuple[Any, SinkConsumer, list]] = {}

    async def get(self, signal: Signal):
        if signal not in self.chains:
            sink = SinkConsumer()
            head = sink
            processors: list[Any] = []
            for component_id in reversed(_pii_ids(self.config, signal, self.chosen)):
                entry = self.config.entry(Kind.PROCESSOR, component_id)
                settings = Settings(component_id, Kind.PROCESSOR, logging.getLogger(f"scrubber.processor.{component_id}"),
                                    self.telemetry, f"scan/{signal}")
                head = entry.factory.create(settings, entry.config, signal, head)
                head.keep_report = True
                processors.insert(0, head)
            for processor in reversed(processors):
                await processor.start(self.host)
            self.chains[signal] = (head, sink, processors)
        return self.chains[signal]

    def report(self) -> ScrubReport:
        total = ScrubReport()
        for _, _, processors in self.chains.values():
            for processor in processors:
                total.add(processor.report)
        return total

    async def shutdown(self) -> None:
        for _, _, processors in self.chains.values():
            for processor in processors:
                await processor.shutdown(5.0)


async def _scan(config, input_path: str, output: TextIO | None, out: TextIO, chosen: ComponentID | None = None) -> int:
    host = _ScanHost()
    chains = _Chains(config, host, chosen)
    status, lines = 0, 0
    try:
        await host.start_extensions(config, chains.telemetry)
        with open(input_path, encoding="utf-8") as source:
            for number, line in enumerate(source, 1):
                if not line.strip():
                    continue
                try:
                    signal, request = otlpjson.load_line(line)
                except otlpjson.OTLPJSONError as exc:
                    print(f"{input_path}:{number}: skipped: {exc}", file=out)
                    status = 1
                    continue
                head, sink, _ = await chains.get(signal)
                await head.consume(signal, request)
                lines += 1
                for _, scrubbed in sink.received:
                    if output is not None:
                        output.write(otlpjson.dumps(scrubbed) + "\n")
                sink.received.clear()
    finally:
        await chains.shutdown()
        await host.close()
    print_table(chains.report(), lines, out)
    for signal, (_, _, processors) in sorted(chains.chains.items()):
        print(f"{signal.value}: scanned with {', '.join(_describe(config, p.settings.id) for p in processors)}", file=out)
    return status


def _describe(config, component_id: ComponentID) -> str:
    """Which processor and policy: its id, its key rings and their active keys (never a key)."""
    keys = getattr(config.entry(Kind.PROCESSOR, component_id).config, "keys", {}) or {}
    rings = ", ".join(f"{ring} (active key {spec.active})" for ring, spec in sorted(keys.items())) or "no keys"
    return f"{component_id} [key rings: {rings}]"


def print_table(report: ScrubReport, lines: int, out: TextIO) -> None:
    rows = [("KEY", "ENTITY TYPE", "COUNT", "OPERATOR")] + [(k, e, str(c), o) for k, e, c, o in report.table()]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) if i != 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))).rstrip(), file=out)
    found = sum(report.detections.values())
    print(f"\n{lines} request(s) scanned, {found} replacement(s)", file=out)
    for reason, count in sorted(report.fail_closed.items()):
        print(f"fail closed ({reason}): {count} field(s) redacted whole", file=out)


def run_scan(config_path: str, input_path: str, output_path: str | None, out: TextIO = sys.stdout,
             processor: str | None = None) -> int:
    """Exit status as every scrubber command: 0 ok, 1 the config or the input is unusable
    (some input lines not OTLP/JSON, a missing file, no such pii processor)."""
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print("\n".join(exc.errors), file=out)
        return 1
    pii = sorted(str(c) for c, e in config.components[Kind.PROCESSOR].items() if c.type == "pii")
    if not pii:
        print(f"{config_path}: no pii processor configured; nothing to scan with", file=out)
        return 1
    if processor is not None and processor not in pii:
        print(f"{config_path}: --processor {processor!r} is not a pii processor of this config (there are: {', '.join(pii)})", file=out)
        return 1
    chosen = ComponentID.parse(processor) if processor else None
    if not Path(input_path).is_file():
        print(f"{input_path}: no such file", file=out)
        return 1
    try:
        if output_path is None:
            return asyncio.run(_scan(config, input_path, None, out, chosen))
        with open(output_path, "w", encoding="utf-8") as output:
            return asyncio.run(_scan(config, input_path, output, out, chosen))
    except ConfigError as exc:
        print("\n".join(exc.errors), file=out)
        return 1
