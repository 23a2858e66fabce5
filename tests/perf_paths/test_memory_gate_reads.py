"""The memory gate's own reading of `/proc/<pid>/statm` (kept open) gives what psutil gives,
counts the pages of a file that several processes map once, skips a worker that has exited, and the gate still
refuses at its limit with it."""

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
    """The gate's `footprint` from psutil's readings: own pages of each process, shared ones once."""
    infos = [psutil.Process().memory_info()] + [child.memory_info() for child in gate._children]
    return sum(i.rss - i.shared for i in infos) + max(i.shared for i in infos)


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


def _mapper(path: str) -> subprocess.Popen:
    """A real process that maps `path` and reads every page of it, holding them until killed."""
    code = (f"import mmap, time; f = open({path!r}, 'rb'); m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ); "
            "s = sum(m[i] for i in range(0, len(m), 4096)); print('ready', flush=True); time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def test_pages_of_a_file_that_every_worker_maps_count_once_and_heaps_count_each(monkeypatch, tmp_path):
    """Three workers map one 64 MiB file (as every scrubber process maps the same libraries): the
    gate counts it once, so it reads ~128 MiB less than the resident sets summed; a heap of its
    own in a fourth worker still counts in full."""
    monkeypatch.setattr(gate_module, "MIN_INTERVAL", 0.0)
    shared = tmp_path / "model.bin"
    shared.write_bytes(bytes(64 * MIB))
    mappers = [_mapper(str(shared)) for _ in range(3)]
    try:
        gate = MemoryGate()
        gate.refresh()
        ours = [p for p in gate._children if p.pid in {m.pid for m in mappers}]
        assert len(ours) == 3 and all(p.memory_info().shared > 60 * MIB for p in ours)
        summed = psutil.Process().memory_info().rss + sum(p.memory_info().rss for p in gate._children)
        with_mappers = gate.measure()
        assert summed - with_mappers > 120 * MIB
        heap = _child(48)
        try:
            gate.refresh()
            assert gate.measure() - with_mappers > 40 * MIB
        finally:
            heap.kill()
            heap.wait()
    finally:
        for mapper in mappers:
            mapper.kill()
            mapper.wait()
