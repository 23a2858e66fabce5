"""Structured logs: one JSON object per line on stderr (or plain text with
`encoding: console`). Components log counts and key names, never values."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _RESERVED and not k.startswith("_")})
        if record.exc_info:
            entry["error"] = describe_exception(record.exc_info)
        return json.dumps(entry, default=str)


def describe_exception(exc_info) -> str:
    """The exception's type and where it was raised, never its message: the text of an
    exception from a decoder, a dict lookup or a third-party library can quote a payload."""
    exc_type, _exc, tb = exc_info
    frames = traceback.extract_tb(tb)[-3:]
    where = "; ".join(f"{os.path.basename(f.filename)}:{f.lineno} in {f.name}" for f in frames)
    name = exc_type.__name__ if exc_type else "error"
    return f"{name} (at {where})" if where else name


class ConsoleFormatter(logging.Formatter):
    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        return describe_exception(ei)


def _handler(path: str) -> logging.Handler:
    """`stderr`, `stdout` or a file path (appended to), as the Collector's `output_paths`."""
    if path == "stderr":
        return logging.StreamHandler(sys.stderr)
    if path == "stdout":
        return logging.StreamHandler(sys.stdout)
    return logging.FileHandler(path, encoding="utf-8")


def setup_logging(level: str = "info", encoding: str = "json", output_paths: list[str] | None = None) -> None:
    handlers = [_handler(path) for path in dict.fromkeys(output_paths or ["stderr"])]
    for handler in handlers:
        if encoding == "json":
            handler.setFormatter(JSONFormatter())
        else:
            handler.setFormatter(ConsoleFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = handlers
    root.setLevel({"warn": "WARNING"}.get(level, level.upper()))
    # third-party chatter (presidio logs every recognizer it loads) stays at warning
    for noisy in ("presidio-analyzer", "presidio-anonymizer", "aiohttp.access", "grpc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
