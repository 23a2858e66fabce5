"""Handing freed memory back to the system (glibc), for the main process and the workers alike.

Freed memory must go back to the system, or a burst leaves a process above its limit long
after the data is gone (glibc keeps freed heap and raises its mmap threshold after every
large free): `tune_allocator` fixes the mmap threshold so large buffers are returned when
freed, and `release_memory` runs a collection and `malloc_trim`. The memory_limiter's gate
calls both in the main process; each detection worker calls them too (after a large
message), so after a burst of large requests scrubber and its workers come back under the
soft limit within a check (issue 13). Elsewhere than glibc both are no-ops.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3

#: `Settings.shared` name of the list of callables that give up memory holding no data (a worker
#: pool's grown workers: caches, model state, fragmented heap), each returning True if it did. The
#: memory_limiter calls them, at most one every `RELIEF_INTERVAL` seconds, while a collection and
#: `malloc_trim` leave memory above its soft limit: else a scrubber whose caches have filled
#: stays above it for good and refuses every request from then on.
RELIEVERS = "memory_relievers"
RELIEF_INTERVAL = 10.0


def add_reliever(shared: dict, reliever) -> None:
    """Register `reliever` (idempotent: components that share one pool register it once)."""
    relievers = shared.setdefault(RELIEVERS, [])
    if reliever not in relievers:
        relievers.append(reliever)


def _libc():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


_LIBC = _libc()


def tune_allocator(mmap_threshold: int = 1024 * 1024) -> bool:
    """Serve allocations above `mmap_threshold` with mmap (returned to the system on free),
    and trim the heap top eagerly. glibc only; elsewhere a no-op returning False."""
    mallopt = getattr(_LIBC, "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and bool(mallopt(_M_TRIM_THRESHOLD, mmap_threshold))


def release_memory() -> None:
    """Free what is garbage now and hand freed heap pages back to the system."""
    gc.collect()
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)
