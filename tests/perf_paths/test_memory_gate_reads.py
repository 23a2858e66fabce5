"""The memory gate's own reading of `/proc/<pid>/statm` (kept open) gives what psutil gives,
skips a worker that has exited, and the gate still refuses at its limit with it."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil

from scrubber.processors.memory_limiter import gate as gate_module
from scrubber.processors.memory_limiter.gate import MemoryGate

MIB = 1024 * 1024


def _child(megabytes: int) -> subprocess.Popen:
    """A real process holding `megabytes` of touched memory until killed."""
    code = f"import sys, time; b = bytearray({megabytes} * 1024 * 1024); print('ready', flush=True); time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def _psutil_total(gate: MemoryGate) -> int:
    total = psutil.Process().memory_info().rss
    for child in gate._children:
        total += child.memory_info().rss
    return total


def test_the_gate_reads_what_psutil_reads_and_skips_a_worker_that_is_gone(monkeypatch):
    """The test process may have other children (servers of earlier tests): only ours are asserted."""
    monkeypatch.setattr(gate_module, "MIN_INTERVAL", 0.0)
    children = [_child(40), _child(5)]
    try:
        gate = MemoryGate()
        gate.refresh()
        assert {c.pid for c in children} <= {p.pid for p in gate._children}
        for _ in range(5):
            assert abs(gate.measure() - _psutil_total(gate)) < MIB  # the pages may move between the reads
        with_both = gate.measure()
        children[0].kill()
        children[0].wait()
        time.sleep(0.05)
        alone = gate.measure()  # the dead worker is skipped, not an error
        assert with_both - alone > 35 * MIB
        gate.refresh()
        pids = {p.pid for p in gate._children}
        assert children[0].pid not in pids and children[1].pid in pids
    finally:
        for child in children:
            child.kill()
            child.wait()


def test_the_gate_refuses_at_its_soft_limit_and_admits_below_it(monkeypatch):
    monkeypatch.setattr(gate_module, "MIN_INTERVAL", 0.0)
    used = MemoryGate().measure()
    below, at = MemoryGate(), MemoryGate()
    below.add_limits(used + 512 * MIB, used + 1024 * MIB, check_interval=2.0)
    at.add_limits(used // 2, used, check_interval=2.0)
    assert below.refusal() is None
    assert at.refusal() == 2.0


def test_descendants_from_the_kernels_lists_equal_psutils():
    """Children and grandchildren, as `psutil.Process.children(recursive=True)` finds them."""
    code = ("import subprocess, sys, time; c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
            "print('ready', flush=True); time.sleep(60)")
    parents = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for parent in parents:
            assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
        me = psutil.Process()
        ours = {p.pid for p in gate_module.descendants(me)}
        theirs = {p.pid for p in me.children(recursive=True)}
        grandchildren = {c.pid for parent in parents for c in psutil.Process(parent.pid).children()}
        assert len(grandchildren) == 2
        assert {p.pid for p in parents} | grandchildren <= ours
        assert ours == theirs
    finally:
        for parent in parents:
            for child in psutil.Process(parent.pid).children():
                child.kill()
            parent.kill()
            parent.wait()
