"""Worker pools with `workers: 0` start one worker per core the container lets scrubber use:
its CPU affinity and its cgroup's CPU quota (v2 `cpu.max`, v1 `cpu.cfs_quota_us`), not the
node's core count, which in a pod limited to 2 CPUs on a big node would start a worker (and a
NER model) per node core."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from scrubber.cgroup import cpu_quota, usable_cores
from tests.processors.test_memory_limiter import _fake_cgroup


@pytest.mark.parametrize("files,self_cgroup,expected", [
    # cgroup v2: our own cgroup's cpu.max, before the root's
    ({"kubepods/pod1/cpu.max": "200000 100000\n", "cpu.max": "max 100000\n"}, "0::/kubepods/pod1\n", 2.0),
    # v2 inside a container: the namespace root is our cgroup
    ({"cpu.max": "150000 100000\n"}, "0::/\n", 1.5),
    ({"cpu.max": "max 100000\n"}, "0::/\n", None),
    # cgroup v1, mounted as cpu,cpuacct (as most distributions do); -1 is unlimited
    ({"cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "50000\n", "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n"},
     "3:cpu,cpuacct:/docker/abc\n", 0.5),
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, "3:cpu,cpuacct:/\n", None),
    ({}, "0::/\n", None),  # no cgroup files at all
])
def test_cpu_quota_from_fake_cgroup_files(tmp_path, files, self_cgroup, expected):
    root, proc = _fake_cgroup(tmp_path, files, self_cgroup)
    assert cpu_quota(root, proc) == expected


def test_usable_cores_round_a_fractional_quota_up_and_never_exceed_the_affinity(tmp_path):
    half = _fake_cgroup(tmp_path / "a", {"cpu.max": "50000 100000\n"}, "0::/\n")
    assert usable_cores(*half) == 1
    many = _fake_cgroup(tmp_path / "b", {"cpu.max": "6400000 100000\n"}, "0::/\n")  # 64 CPUs
    assert usable_cores(*many) == len(os.sched_getaffinity(0))


def test_a_pool_on_one_allowed_cpu_starts_one_worker():
    """A real process whose CPU affinity is one core (as `taskset` or a cpuset would make it)."""
    code = ("import os; os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]}); "
            "from scrubber.extensions.worker_pool.config import WorkerPoolConfig; "
            "print(WorkerPoolConfig().worker_count(), WorkerPoolConfig(workers=3).worker_count())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["1", "3"]
