"""The erasure receipt log: append-only JSON lines, one receipt per erasure.

A receipt says when, in which jurisdiction, under which blind index, which key
ids were destroyed, where the config sends that jurisdiction's data, and the
lineage (which exporters got the subject's items, when). It holds no personal
value: the blind index is an HMAC under the jurisdiction key, the key ids are
random. The file is owner only (0600, `scrubber.files.PRIVATE`: never shared with a
group), opened O_APPEND and fsynced per receipt.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from scrubber.files import PRIVATE


def append(path: str | Path, receipt: dict) -> None:
    target = Path(path)
    PRIVATE.make_directory(str(target.parent))
    line = (json.dumps(receipt, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")
    fd = PRIVATE.open(str(target), os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: str | Path) -> list[dict]:
    target = Path(path)
    if not target.exists():
        return []
    return [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines() if line.strip()]
