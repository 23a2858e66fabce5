"""What the container gives this process: its cgroup's memory limit and CPU quota.

The memory_limiter budgets against the cgroup's memory limit, and a worker pool with
`workers: 0` starts one worker per core the cgroup lets it use. Both read our own cgroup
(from `/proc/self/cgroup`) first, then the mount's root (a container's namespace root is
its own cgroup), cgroup v2 before v1. Why the quota and not `os.cpu_count()`: in a pod
limited to 2 CPUs on a 32-core node, `os.cpu_count()` says 32, and 32 workers with a NER
model each would need ~8 GiB in a pod limited to 2 GiB: killed at start, or, under the
memory_limiter, refusing every request.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")

#: cgroup v1 reports "unlimited" as a huge page-rounded number
_UNLIMITED_V1 = 1 << 60


def own_cgroup_paths(proc_cgroup: Path) -> dict[str, str]:
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


def _own_then_root(own: dict[str, str], controller: str) -> list[str]:
    """The folders to look in for `controller` ("" for v2), relative to the mount: our own
    cgroup's, then the mount's root (once, if they are the same)."""
    return [relative.lstrip("/") for relative in dict.fromkeys((own.get(controller, "/"), "/"))]


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


def cgroup_limit(root: Path = ROOT, proc_cgroup: Path = PROC_CGROUP) -> int | None:
    """The memory limit of our cgroup in bytes, or None when unlimited or unknown."""
    own = own_cgroup_paths(proc_cgroup)
    candidates: list[tuple[Path, int | None]] = []  # (file, unlimited threshold), most specific first
    for relative in _own_then_root(own, ""):
        candidates.append((root / relative / "memory.max", None))  # v2, unified
    for relative in _own_then_root(own, "memory"):
        candidates.append((root / "memory" / relative / "memory.limit_in_bytes", _UNLIMITED_V1))
    for path, unlimited_at in candidates:
        if path.exists():
            return _read_limit(path, unlimited_at)
    return None


def _quota_files(root: Path, own: dict[str, str]) -> list[tuple[Path, Path | None]]:
    """(quota file, period file or None when the quota file holds both), most specific first:
    v2 `cpu.max` of our cgroup then the root; v1 `cpu.cfs_quota_us` likewise, under `cpu` or
    `cpu,cpuacct` (where distributions mount the controller)."""
    files: list[tuple[Path, Path | None]] = [(root / relative / "cpu.max", None) for relative in _own_then_root(own, "")]
    for mount in ("cpu", "cpu,cpuacct"):
        for relative in _own_then_root(own, "cpu"):
            folder = root / mount / relative
            files.append((folder / "cpu.cfs_quota_us", folder / "cpu.cfs_period_us"))
    return files


def cpu_quota(root: Path = ROOT, proc_cgroup: Path = PROC_CGROUP) -> float | None:
    """CPUs our cgroup may use (quota / period: 1.5 for "150000 100000"), or None if unlimited
    or unknown: cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1: unlimited)."""
    for quota_file, period_file in _quota_files(root, own_cgroup_paths(proc_cgroup)):
        if not quota_file.exists():
            continue
        try:
            if period_file is None:
                quota, _, period = quota_file.read_text().strip().partition(" ")
            else:
                quota, period = quota_file.read_text().strip(), period_file.read_text().strip()
        except OSError:
            return None
        if not (quota.isdigit() and period.isdigit()) or int(quota) <= 0 or int(period) <= 0:
            return None  # "max", -1 or unreadable: unlimited as far as we can tell
        return int(quota) / int(period)
    return None


def usable_cores(root: Path = ROOT, proc_cgroup: Path = PROC_CGROUP) -> int:
    """The cores this process can run on at once: the CPUs it may be scheduled on (affinity),
    no more than its cgroup's quota rounded up, at least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = cpu_quota(root, proc_cgroup)
    if quota is not None:
        cores = min(cores, math.ceil(quota))
    return max(1, cores)
