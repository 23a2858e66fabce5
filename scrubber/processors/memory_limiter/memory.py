"""How much memory there is, and how much scrubber and its workers use.

The total is the container's, not the node's: in a pod limited to 1 GiB on a
64 GiB node, the host total would let the process grow until the OOM killer
ends it. As the Collector does, the cgroup limit is read first (cgroup v2
`memory.max`, v1 `memory.limit_in_bytes`; our own cgroup from
`/proc/self/cgroup`, then the mount's root), and host memory is used only when
the cgroup is unlimited or absent.

Freed memory must also go back to the system: `tune_allocator` and `release_memory`
(in `scrubber.heap`, shared with the detection workers) are re-exported here.
"""

from __future__ import annotations

from pathlib import Path

import psutil

from scrubber.heap import release_memory, tune_allocator

__all__ = ["cgroup_limit", "release_memory", "total_memory", "tune_allocator"]

#: cgroup v1 reports "unlimited" as a huge page-rounded number
_UNLIMITED_V1 = 1 << 60


def _own_cgroup_paths(proc_cgroup: Path) -> dict[str, str]:
    """controller ("" for v2) -> our cgroup path, from /proc/self/cgroup."""
    paths: dict[str, str] = {}
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for controller in parts[1].split(",") if parts[1] else [""]:
            paths[controller] = parts[2]
    return paths


def _read_limit(path: Path, unlimited_at: int | None) -> int | None:
    """Bytes, or None if the file is absent, unreadable or says unlimited."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if text == "max" or not text.isdigit():
        return None
    value = int(text)
    if value <= 0 or (unlimited_at is not None and value >= unlimited_at):
        return None
    return value


def cgroup_limit(root: Path = Path("/sys/fs/cgroup"), proc_cgroup: Path = Path("/proc/self/cgroup")) -> int | None:
    """The memory limit of our cgroup in bytes, or None when unlimited or unknown."""
    own = _own_cgroup_paths(proc_cgroup)
    candidates: list[tuple[Path, int | None]] = []  # (file, unlimited threshold), most specific first
    for relative in dict.fromkeys((own.get("", "/"), "/")):
        candidates.append((root / relative.lstrip("/") / "memory.max", None))  # v2, unified
    for relative in dict.fromkeys((own.get("memory", "/"), "/")):
        candidates.append((root / "memory" / relative.lstrip("/") / "memory.limit_in_bytes", _UNLIMITED_V1))
    for path, unlimited_at in candidates:
        if path.exists():
            return _read_limit(path, unlimited_at)
    return None


def total_memory(root: Path = Path("/sys/fs/cgroup"), proc_cgroup: Path = Path("/proc/self/cgroup")) -> int:
    """The memory this process may use: the cgroup limit if set (and below the host's), else the host's."""
    host = psutil.virtual_memory().total
    limit = cgroup_limit(root, proc_cgroup)
    return min(limit, host) if limit else host


