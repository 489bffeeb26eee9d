"""Items 5 and 9 of the user report: a system's peak memory is its own, not the high-water mark
of whatever ran before it; output files are readable by others (0666 less the umask)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from moesaic.atomic import atomic_directory, atomic_path, write_text_atomic
from moesaic.eval import meters
from moesaic.eval.bench import BenchRow, SuiteContext, register_suite, run_suite, suites


def _touch_mib(mib: int) -> None:
    block = np.ones(mib * 2**20, dtype=np.uint8)  # written, so resident
    assert int(block[::4096].sum()) == mib * 256


def test_the_peak_after_a_reset_leaves_out_what_ran_before() -> None:
    if not meters.reset_peak_rss():
        pytest.skip("this kernel cannot reset the peak RSS (no /proc/self/clear_refs)")
    _touch_mib(200)
    before = meters.peak_rss_mb()
    assert meters.reset_peak_rss()
    after = meters.peak_rss_mb()
    assert before - after > 150, (before, after)


PEAKS: list[float] = []


@register_suite("_user_peak", "allocates, then reports a peak", options=())
def _peak_suite(ctx: SuiteContext) -> list[BenchRow]:
    PEAKS.append(meters.peak_rss_mb())
    return [BenchRow(system="s", dataset="d", task="t", setting="k=v", metric="mse", value=1.0)]


def test_the_runner_starts_each_suite_with_a_fresh_peak(tmp_path: Path) -> None:
    if not meters.reset_peak_rss():
        pytest.skip("this kernel cannot reset the peak RSS (no /proc/self/clear_refs)")
    suites()  # imported now, so that the suite's peak is not the imports'
    _touch_mib(200)
    high = meters.peak_rss_mb()
    run_suite("_user_peak", SuiteContext(), out=tmp_path, command="x")
    assert high - PEAKS[-1] > 150


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_027")
def test_atomic_writes_give_the_mode_open_would(tmp_path: Path) -> None:
    write_text_atomic(tmp_path / "a.json", "{}")
    assert _mode(tmp_path / "a.json") == 0o640
    with atomic_path(tmp_path / "b.csv") as tmp:
        tmp.write_text("x")
    assert _mode(tmp_path / "b.csv") == 0o640
    with atomic_directory(tmp_path / "model") as folder:
        (folder / "w").write_text("x")
    assert _mode(tmp_path / "model") == 0o750


def test_atomic_writes_follow_the_umask_of_the_process(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "a.json", "{}")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a.json") == 0o644
