"""The process-wide memory gate that every memory_limiter instance and the receivers share.

The limiter of issue 13 sampled memory once per `check_interval`, so a burst of
large requests inside one interval was absorbed and took the process far past its
limit. The gate instead answers "is memory above the soft limit?" on demand,
measuring at most every `MIN_INTERVAL` (a few microseconds: `/proc/<pid>/statm` of
scrubber and of the worker processes found at the last periodic check). The otlp
receiver asks it before reading a request's body, each memory_limiter asks it for
every request, and the periodic check refreshes the worker list and releases
memory (collection + `malloc_trim`) while above the limit, so that good clients are
served again within `MIN_INTERVAL` of memory going back below it.

It is found under the shared name `memory_gate` (see `Settings.shared`), so the
receiver needs no import of this package: it only calls `refusal()`.
"""

from __future__ import annotations

import os
import time
import weakref
from typing import Callable, Sequence

import psutil

from scrubber.heap import RELIEF_INTERVAL
from scrubber.processors.memory_limiter.memory import release_memory, tune_allocator

SHARED_NAME = "memory_gate"
#: the longest an on-demand answer may be stale
MIN_INTERVAL = 0.01
#: bytes per page of `statm` (as psutil reads it)
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class _Resident:
    """The resident bytes of one process, read from its `/proc/<pid>/statm` kept open: what
    `psutil.Process.memory_info()` reads on Linux, for a tenth of its cost (the gate asks on
    the request path). The open file stays bound to that process: once it has exited, reads
    fail (as psutil's would) even if its pid is reused. Without procfs, psutil answers."""

    def __init__(self, process: psutil.Process):
        self.process = process
        self._fd = [-1]  # in a list, so the finalizer closes whatever is open when we go
        weakref.finalize(self, _close, self._fd)

    def pages(self) -> tuple[int, int]:
        """(resident, of which file-backed or shared) bytes. Raises OSError or psutil.Error
        when the process is gone."""
        if self._fd[0] < 0:
            if not os.path.isdir("/proc/self"):
                info = self.process.memory_info()
                return info.rss, getattr(info, "shared", 0)
            self._fd[0] = os.open(f"/proc/{self.process.pid}/statm", os.O_RDONLY | os.O_CLOEXEC)
        fields = os.pread(self._fd[0], 256, 0).split()
        return int(fields[1]) * PAGE_SIZE, int(fields[2]) * PAGE_SIZE

    def close(self) -> None:
        _close(self._fd)


def footprint(pages: list[tuple[int, int]]) -> int:
    """What processes with these (resident, shared) pages hold of the machine's memory: each
    one's own pages (heap, model weights in arrays: resident minus shared), plus the
    file-backed pages once, as the process that maps the most of them holds them.

    Why not the sum of the resident sets: scrubber's processes are one interpreter of one
    environment, so they map the same files (libpython, numpy, grpc, spaCy's libraries), and
    the kernel keeps one copy of each, charged once to the container; clean file pages are also
    the first the kernel reclaims under pressure. Summed, they were counted in every process:
    ~120 MiB too much with two workers (more with every worker), which put a warm scrubber on
    the shipped config above its soft limit, refusing every request from then on."""
    if not pages:
        return 0
    return sum(resident - shared for resident, shared in pages) + max(shared for _, shared in pages)


def _close(fd: list[int]) -> None:
    if fd[0] >= 0:
        try:
            os.close(fd[0])
        except OSError:
            pass
        fd[0] = -1


def descendants(process: psutil.Process) -> list[psutil.Process]:
    """`process.children(recursive=True)`, from `/proc/<pid>/task/<tid>/children` where Linux has it.

    Why: psutil finds children by reading `/proc/<pid>/stat` of every process on the machine. On a
    busy node that took 13 ms (107 processes), once per check, holding the GIL in the limiter's
    thread while requests wait. The kernel's own lists cost a few small reads per scrubber thread.
    A child whose process is gone by the time it is looked at is left out, as psutil does."""
    if not os.path.isfile(f"/proc/{process.pid}/task/{process.pid}/children"):
        try:
            return process.children(recursive=True)
        except psutil.Error:
            return []
    found: list[psutil.Process] = []
    seen = {process.pid}
    pending = [process.pid]
    while pending:
        for pid in _child_pids(pending.pop()):
            if pid in seen:
                continue
            seen.add(pid)
            try:
                found.append(psutil.Process(pid))
            except psutil.Error:
                continue
            pending.append(pid)
    return found


def _child_pids(pid: int) -> list[int]:
    """The pids that the threads of `pid` started (empty if it is gone)."""
    out: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as listing:
                out += [int(c) for c in listing.read().split()]
        except (OSError, ValueError):
            continue
    return out


class MemoryGate:
    def __init__(self, measure=None):
        self.soft: int | None = None
        self.hard: int | None = None
        self.retry_after: float | None = None
        self._custom = measure
        self._process = psutil.Process()
        self._own = _Resident(self._process)
        self._children: list[psutil.Process] = []
        self._readers: list[_Resident] = []  # one per child
        self._used = 0
        self._at = 0.0
        self._relieved_at = -RELIEF_INTERVAL
        tune_allocator()

    def add_limits(self, soft: int, hard: int, check_interval: float) -> None:
        """Several limiters (one per pipeline) may register: the lowest limits win."""
        self.soft = soft if self.soft is None else min(self.soft, soft)
        self.hard = hard if self.hard is None else min(self.hard, hard)
        interval = max(1.0, check_interval)  # Retry-After is whole seconds
        self.retry_after = interval if self.retry_after is None else min(self.retry_after, interval)

    def measure(self) -> int:
        """Bytes scrubber and its workers hold (`footprint`), re-measured if older than MIN_INTERVAL."""
        now = time.monotonic()
        if now - self._at < MIN_INTERVAL:
            return self._used
        if self._custom is not None:
            used = self._custom()
        else:
            pages = [self._own.pages()]
            for child in self._readers:
                try:
                    pages.append(child.pages())
                except (psutil.Error, OSError):
                    continue
            used = footprint(pages)
        self._used, self._at = used, now
        return used

    def refresh(self, relievers: Sequence[Callable[[], bool]] = ()) -> int:
        """The periodic check: find the current worker processes, measure now, and while above
        the soft limit release memory; if that is not enough, ask the first of `relievers` that
        can (`scrubber.heap.RELIEVERS`) to give up memory holding no data, at most once every
        `RELIEF_INTERVAL` (a replaced worker takes seconds to go and to come back)."""
        for reader in self._readers:
            reader.close()
        self._children = descendants(self._process)
        self._readers = [_Resident(child) for child in self._children]
        self._at = 0.0
        used = self.measure()
        if self.soft is not None and used >= self.soft:
            release_memory()
            self._at = 0.0
            used = self.measure()
            now = time.monotonic()
            if used >= self.soft and relievers and now - self._relieved_at >= RELIEF_INTERVAL:
                self._relieved_at = now
                any(relieve() for relieve in relievers)
        return used

    def above(self) -> bool:
        return self.soft is not None and self.measure() >= self.soft

    def refusal(self) -> float | None:
        """None to admit; else the back-off (seconds) to send with the refusal."""
        return (self.retry_after or 1.0) if self.above() else None
