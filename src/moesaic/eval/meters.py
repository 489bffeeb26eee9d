"""Frugality meters: what a model costs, measured the same way for every system.

Total and active parameters, FLOPs per window, wall time of training, inference latency
percentiles and peak resident memory. Every measured benchmark row carries these.

Peak memory is per system where the kernel allows it: on Linux, :func:`reset_peak_rss` clears the
process's high-water mark (``VmHWM``) before a system runs, so :func:`peak_rss_mb` afterwards is
that system's own peak, not the high-water mark of a larger system before it. What earlier work
left resident (libraries it loaded, allocator caches: about 100 MB after training a small torch
model) still counts, as it would for that system alone in a process that had done the same work. Elsewhere
(no ``/proc/self/clear_refs``) the mark cannot be cleared and :func:`peak_rss_mb` is the process's
peak since it started, which depends on what ran earlier in the process.
"""

from __future__ import annotations

import gc
import logging
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

logger = logging.getLogger(__name__)


class ParamCount(NamedTuple):
    total: int
    active: int


def count_parameters(model: Any, *, active_fraction: Callable[[str], float] | None = None) -> ParamCount:
    """Total parameters of a torch module and the parameters active for one token.

    Args:
        model: a ``torch.nn.Module``.
        active_fraction: maps a parameter name to the share of it a token uses (for a routed
            expert of a top-k layer, ``top_k / num_experts``); by default a module may say so
            itself through an ``active_parameter_fraction(name)`` method, else every parameter
            counts as active.
    """
    fraction = active_fraction or getattr(model, "active_parameter_fraction", None) or (lambda name: 1.0)
    total = 0
    active = 0.0
    for name, param in model.named_parameters():
        n = int(param.numel())
        total += n
        active += n * float(fraction(name))
    return ParamCount(total=total, active=round(active))


def flops_per_window(model: Any, example: Any) -> int:
    """Floating-point operations of one forward pass on ``example`` (counted by torch), divided by batch size.

    ``example`` is a tensor or a tuple of positional arguments whose first dimension is the batch.
    """
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    args = example if isinstance(example, tuple) else (example,)
    batch = int(args[0].shape[0]) if hasattr(args[0], "shape") else 1
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(*args)
    return int(counter.get_total_flops() // max(batch, 1))


def reset_peak_rss() -> bool:
    """Clear this process's peak resident memory, so that :func:`peak_rss_mb` measures from now
    (Linux >= 4.0: "5" written to ``/proc/self/clear_refs``); False, and a log line, where it
    cannot be cleared."""
    gc.collect()  # what earlier systems left for the collector is not counted from now on
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        logger.info("the peak RSS cannot be reset here: peak_rss_mb is the process's peak so far")
        return False
    return True


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB: since the last :func:`reset_peak_rss` on Linux
    (``VmHWM`` of ``/proc/self/status``), else since the process started (``getrusage``)."""
    try:
        with open("/proc/self/status") as handle:
            line = next((row for row in handle if row.startswith("VmHWM:")), None)
    except OSError:
        line = None
    if line is not None:
        return int(line.split()[1]) / 1024.0  # kB
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return usage / 1024.0 / (1024.0 if sys.platform == "darwin" else 1.0)


def current_rss_mb() -> float:
    """Resident memory of this process now, in MiB (Linux; falls back to the peak elsewhere)."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
    except OSError:
        return peak_rss_mb()
    return pages * resource.getpagesize() / 2**20


@dataclass
class Stopwatch:
    """Wall time of a block: ``with Stopwatch() as sw: ...; sw.seconds``."""

    seconds: float = 0.0

    def __enter__(self) -> Stopwatch:
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._start


class Latency(NamedTuple):
    p50_ms: float
    p95_ms: float
    mean_ms: float


def measure_latency(call: Callable[[], Any], *, repeats: int = 20, warmup: int = 2) -> Latency:
    """Latency percentiles of ``call()`` over ``repeats`` runs after ``warmup`` runs."""
    if repeats < 1:
        raise ValueError(f"`repeats` must be >= 1, got {repeats}")
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000.0)
    arr = np.asarray(times)
    return Latency(
        p50_ms=float(np.percentile(arr, 50)), p95_ms=float(np.percentile(arr, 95)), mean_ms=float(arr.mean())
    )


@contextmanager
def torch_threads(num: int | None = None) -> Iterator[int]:
    """Run a block with ``num`` intra-op threads (default: the CPU count), restoring the old value."""
    import os

    import torch

    old = torch.get_num_threads()
    want = num or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
    torch.set_num_threads(want)
    try:
        yield want
    finally:
        torch.set_num_threads(old)
