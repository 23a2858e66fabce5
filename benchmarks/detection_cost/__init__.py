"""Detection cost benchmarks: what detection costs per text or span, in one process."""

from __future__ import annotations

import os
import sys

from scrubber.extensions.worker_pool.worker import BLAS_THREAD_VARS

#: what a pool worker sets before numpy loads
BLAS_ONE_THREAD = dict.fromkeys(BLAS_THREAD_VARS, "1")


def run_with_one_blas_thread() -> None:
    """Re-run this command with BLAS on one thread, as in a pool worker, unless it is so already.

    Why: these benchmarks time spaCy in this process with `time.process_time`, which counts every
    thread. OpenBLAS starts a thread per core, and on two cores its second thread doubled the CPU
    counted for the same NER work (2.4 s against 1.2 s of wall clock on the same runs)."""
    if all(os.environ.get(name) == value for name, value in BLAS_ONE_THREAD.items()):
        return
    if "numpy" in sys.modules:
        raise RuntimeError("numpy is loaded already: BLAS threads cannot be set any more")
    os.execvpe(sys.executable, [sys.executable, *sys.orig_argv[1:]], {**os.environ, **BLAS_ONE_THREAD})
