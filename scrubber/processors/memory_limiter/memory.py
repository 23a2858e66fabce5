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

from scrubber.cgroup import PROC_CGROUP, ROOT, cgroup_limit
from scrubber.heap import release_memory, tune_allocator

__all__ = ["cgroup_limit", "release_memory", "total_memory", "tune_allocator"]

def total_memory(root: Path = ROOT, proc_cgroup: Path = PROC_CGROUP) -> int:
    """The memory this process may use: the cgroup limit if set (and below the host's), else the host's."""
    host = psutil.virtual_memory().total
    limit = cgroup_limit(root, proc_cgroup)
    return min(limit, host) if limit else host


