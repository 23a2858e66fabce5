"""Structured logs: one JSON object per line on stderr (or plain text with
`encoding: console`). Components log counts and key names, never values."""

from __future__ import annotations

import json
import logging
import sys
import time

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
            entry["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(entry, default=str)


def setup_logging(level: str = "info", encoding: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if encoding == "json":
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel({"warn": "WARNING"}.get(level, level.upper()))
    # third-party chatter (presidio logs every recognizer it loads) stays at warning
    for noisy in ("presidio-analyzer", "presidio-anonymizer", "aiohttp.access", "grpc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
