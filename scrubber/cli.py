"""The scrubber command: run, validate, scan, flows, components, default-config, erase.

python -m scrubber is the same program. Exit codes, the same for every command:
0 success, 1 invalid config or input, 2 usage errors (argparse).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from importlib import resources
from pathlib import Path

from scrubber import __version__
from scrubber.cli_help import EXIT_CODES, add_help, cmd_components, plural
from scrubber.config.loader import load_config
from scrubber.errors import ConfigError, ScrubberError

#: what `run` and `validate` use without a file: the default config shipped inside the package
EMBEDDED_DEFAULT = "embedded default config"


def embedded_default() -> Path:
    """The packaged default config, so an installed scrubber runs from any folder."""
    return Path(str(resources.files("scrubber.config").joinpath("default.yaml")))


def _config_file(given: str | None, data_dir: str | None = None) -> tuple[Path | str, str]:
    """(path to load, name to show). `--data-dir` is SCRUBBER_DATA_DIR, which the shipped
    configs build every path they write (data, keys, queues) from."""
    if data_dir:
        os.environ["SCRUBBER_DATA_DIR"] = data_dir
    return (given, given) if given else (embedded_default(), EMBEDDED_DEFAULT)


def _print_errors(path: str, error: ConfigError) -> None:
    print(f"{path}: invalid configuration ({len(error.errors)} error{'s' if len(error.errors) != 1 else ''}):", file=sys.stderr)
    for line in error.errors:
        print(f"  {line}", file=sys.stderr)


def _config_warnings(config) -> tuple[list[str], list[str]]:
    """(residency warnings: exporters fed unscrubbed data with no jurisdiction, which --strict
    makes errors; unset variables in values that may be empty)."""
    from scrubber.residency.check import warnings

    unset = [f"{path}: {', '.join(names)} {'is' if len(names) == 1 else 'are'} not set; the value is empty"
             for path, names in sorted(config.unset_variables.items())]
    return warnings(config), unset


def _residency_warnings(config, name: str, strict: bool, log: logging.Logger | None = None) -> int:
    """Say the warnings (printed, or logged with `log` once logging is set up); with --strict
    the residency ones are errors and the exit status is 1."""
    residency, unset = _config_warnings(config)
    if strict and residency:
        _print_errors(name, ConfigError([f"{line} (--strict)" for line in residency]))
        return 1
    for line in unset + residency:
        if log is not None:
            log.warning("config %s: %s", name, line)
        else:
            print(f"{name}: warning: {line}", file=sys.stderr)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    if args.file and args.config and args.file != args.config:
        print("scrubber validate: give the config once (FILE or --config FILE)", file=sys.stderr)
        return 2
    path, name = _config_file(args.file or args.config, args.data_dir)
    try:
        config = load_config(path)
    except ConfigError as error:
        _print_errors(name, error)
        return 1
    if _residency_warnings(config, name, args.strict):
        return 1
    print(f"{name}: valid ({plural(len(config.pipelines), 'pipeline')}: {', '.join(sorted(config.pipelines))})")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from scrubber.service.logs import setup_logging
    from scrubber.service.run import run_until_signalled

    path, name = _config_file(args.config, args.data_dir)
    try:
        config = load_config(path)
    except ConfigError as error:
        _print_errors(name, error)
        return 1
    if args.strict and _config_warnings(config)[0]:
        return _residency_warnings(config, name, strict=True)
    logs = config.service.telemetry.logs
    setup_logging(logs.level, logs.encoding, logs.output_paths)
    _residency_warnings(config, name, strict=False, log=logging.getLogger("scrubber.service"))
    try:
        asyncio.run(run_until_signalled(config))
    except OSError as exc:  # a port taken, a directory not writable
        logging.getLogger("scrubber").error("cannot start: %s", exc)
        return 1
    return 0


def cmd_default_config(args: argparse.Namespace) -> int:
    sys.stdout.write(embedded_default().read_text(encoding="utf-8"))
    return 0


def cmd_scan(args: argparse.Namespace) -> int:
    from scrubber.processors.pii.scan import run_scan

    return run_scan(args.config, args.file, args.output, processor=args.processor)


def cmd_flows(args: argparse.Namespace) -> int:
    from scrubber.flows import run_flows

    return run_flows(args.config, args.output, args.format)


DATA_DIR_HELP = ("where the shipped configs write data, keys and queues "
                 "(sets SCRUBBER_DATA_DIR; default: data in the working folder)")


def cmd_erase(args: argparse.Namespace) -> int:
    from scrubber.subjects.erase import run_erase

    return run_erase(args.config, args.jurisdiction, args.subject_id, args.json)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scrubber", description=__doc__.splitlines()[0], epilog=EXIT_CODES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"scrubber {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the pipelines of a config until SIGTERM/SIGINT")
    run.add_argument("--config", help="config file (default: the embedded default, see scrubber default-config)")
    run.add_argument("--data-dir", help=DATA_DIR_HELP)
    run.add_argument("--strict", action="store_true",
                     help="refuse to start when an exporter without a jurisdiction receives unscrubbed data")
    add_help(run, "run")
    run.set_defaults(handler=cmd_run)

    validate = commands.add_parser("validate", help="check a config; print every error with its key path")
    validate.add_argument("file", nargs="?", help="config file (default: the embedded default)")
    validate.add_argument("--config", help="the same as FILE (the Collector's spelling)")
    validate.add_argument("--data-dir", help=DATA_DIR_HELP)
    validate.add_argument("--strict", action="store_true",
                          help="an exporter without a jurisdiction that receives unscrubbed data is an error")
    add_help(validate, "validate")
    validate.set_defaults(handler=cmd_validate)

    default_config = commands.add_parser("default-config", help="print the embedded default config (a start for your own)")
    add_help(default_config, "default-config")
    default_config.set_defaults(handler=cmd_default_config)

    scan = commands.add_parser("scan", help="dry run: apply a config's pii processors to OTLP/JSON lines")
    scan.add_argument("--config", required=True)
    scan.add_argument("file", help="OTLP/JSON lines (as the file exporter writes them)")
    scan.add_argument("--output", help="write the scrubbed requests here as OTLP/JSON lines")
    scan.add_argument("--processor", metavar="ID",
                      help="the pii processor to scan with (default: those of the first pipeline of each signal)")
    add_help(scan, "scan")
    scan.set_defaults(handler=cmd_scan)

    flows = commands.add_parser("flows", help="print which data of which jurisdiction can reach which exporter")
    flows.add_argument("--config", required=True)
    flows.add_argument("--output", default="flows", help="path (without extension) of the rendered diagram")
    flows.add_argument("--format", default="svg", choices=["svg", "png"])
    add_help(flows, "flows")
    flows.set_defaults(handler=cmd_flows)

    components = commands.add_parser("components", help="list the installed components and those left out on purpose")
    components.add_argument("--json", action="store_true", help="print the list as JSON")
    add_help(components, "components")
    components.set_defaults(handler=cmd_components)

    erase = commands.add_parser("erase", help="erase a data subject: destroy its pseudonym key, print where its "
                                "raw data went, append a receipt")
    erase.add_argument("--config", required=True, help="the config the daemon runs (its pii processors name the vaults)")
    erase.add_argument("--jurisdiction", required=True)
    erase.add_argument("--subject-id", required=True, help="the subject's id as the app sends it (e.g. enduser.id)")
    erase.add_argument("--json", action="store_true", help="print the receipt as JSON")
    add_help(erase, "erase")
    erase.set_defaults(handler=cmd_erase)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except ScrubberError as error:  # e.g. a broken plug-in: one clear line, no traceback
        print(f"scrubber: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
