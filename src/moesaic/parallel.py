"""An ordered map over worker processes, for the long CPU-bound loops of a first run.

The first report or demo on a machine builds the diagnosis cache (:mod:`moesaic.reports.diagnose.
episodes`): thousands of independent windows are described and fitted one by one, on one core,
while the others idle. :func:`map_ordered` spreads such a loop over the cores the process may use
(``MOESAIC_WORKERS`` sets how many; 1 runs it in this process). The results come back in the
order of the items, and each item is computed exactly as in a serial loop, so the output does not
depend on the number of workers. Workers are started fresh (``spawn``: nothing of this process's
threads or open models is copied) and each keeps its numerical libraries to one thread, so that
N workers use N cores.

A fresh worker imports the program's main module again, which is harmless only when that module
guards its work with ``if __name__ == "__main__"``. So workers are used by the ``moesaic`` command
(:func:`enable`, called by :func:`moesaic.cli.app.main`) or when ``MOESAIC_WORKERS`` is set; a
program that imports moesaic as a library runs these loops in its own process unless it sets it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import TypeVar

WORKERS_VAR = "MOESAIC_WORKERS"
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_MIN_ITEMS_PER_WORKER = 4  # fewer: starting a worker (about a second) costs more than it saves

T = TypeVar("T")
R = TypeVar("R")
_enabled = False


def enable() -> None:
    """Let :func:`map_ordered` use worker processes (for a main module that guards its work)."""
    global _enabled
    _enabled = True


def workers() -> int:
    """How many processes :func:`map_ordered` may use: ``MOESAIC_WORKERS``, else the CPUs this
    process may run on once :func:`enable` was called, else 1.

    Raises:
        ValueError: ``MOESAIC_WORKERS`` is not an integer >= 1.
    """
    text = os.environ.get(WORKERS_VAR, "").strip()
    if text:
        try:
            count = int(text)
        except ValueError:
            count = 0
        if count < 1:
            raise ValueError(f"{WORKERS_VAR}={text!r}: expected a whole number of processes >= 1")
        return count
    if not _enabled:
        return 1
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _one_thread() -> None:
    """Worker start-up: numerical libraries on one thread each (N workers, N cores), and Ctrl-C
    left to the parent, which stops the pool and reports once."""
    from threadpoolctl import threadpool_limits

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in _THREAD_VARS:  # for the libraries a task loads later (scikit-learn's OpenMP)
        os.environ[name] = "1"
    threadpool_limits(1)  # for those already loaded (numpy's BLAS)


def map_ordered(
    fn: Callable[[T], R], items: Iterable[T], *, per_worker: int = _MIN_ITEMS_PER_WORKER
) -> list[R]:
    """``[fn(item) for item in items]``, computed by up to :func:`workers` processes.

    ``fn`` must be a module-level function (or a ``functools.partial`` of one) and the items and
    results picklable. Each worker gets at least ``per_worker`` items (1 for items that take
    seconds each); a shorter list, or one worker, runs in this process.
    """
    todo = list(items)
    count = min(workers(), len(todo) // max(1, per_worker))
    if count <= 1:
        return [fn(item) for item in todo]
    chunk = max(1, len(todo) // (32 * count))  # small chunks: an interrupt waits for one at most
    pool = ProcessPoolExecutor(max_workers=count, mp_context=get_context("spawn"), initializer=_one_thread)
    try:
        return list(pool.map(fn, todo, chunksize=chunk))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
