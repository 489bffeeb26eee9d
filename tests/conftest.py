"""Shared test fixtures: seeding and the location of the public data sets."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


@pytest.fixture(autouse=True)
def _seed() -> None:
    random.seed(0)
    np.random.seed(0)
    try:
        import torch
    except ImportError:  # the data-only tests do not need torch
        return
    torch.manual_seed(0)


@pytest.fixture
def one_thread() -> Iterator[None]:
    """One torch thread for the test (``pytestmark = pytest.mark.usefixtures("one_thread")``): tiny
    models gain nothing from more threads, and on a shared machine they only wait for each other."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def contract_keys() -> set[str]:
    """The keys of one row of a bench suite's JSON (``shared/bench-contract.md``)."""
    return {
        "system",
        "dataset",
        "task",
        "setting",
        "metric",
        "value",
        "params_total",
        "params_active",
        "train_seconds",
        "infer_ms_per_window",
        "peak_rss_mb",
        "source",
    }


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of the public data sets; skips when absent, except in CI where it must exist."""
    root = Path(os.environ.get("MOESAIC_DATA", SHARED_DATA)).resolve()
    if not root.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the shared data folder {root} is missing")
        pytest.skip(f"shared data not found at {root}; set MOESAIC_DATA to run this test")
    return root


@pytest.fixture(scope="session")
def small_diagnosed_plant() -> dict[str, Any]:
    """A small simulated plant with a tiny fault classifier and moved-channel model fitted on its
    windows (the report tests check plumbing, not accuracy): ``data``, ``requests``, ``windows``,
    ``classifier``, ``channels``. Built once per session."""
    from moesaic.reports.diagnose import ChannelModel
    from moesaic.reports.diagnose.episodes import sample_requests, simulated_plant, training_windows
    from moesaic.reports.diagnose.faults import FaultClassifier

    data = simulated_plant(3, num_assets=6, days=90.0, fault_rate=24.0)
    requests = sample_requests(data, np.random.default_rng(0), normal_per_fault=0.5)
    windows, labels = training_windows(data, requests)
    classifier = FaultClassifier(num_trees=10).fit(windows, labels)
    channels = ChannelModel(num_trees=30).fit(windows, [r.channels for r in requests])
    return {
        "data": data,
        "requests": requests,
        "windows": windows,
        "classifier": classifier,
        "channels": channels,
    }


@pytest.fixture(scope="session")
def two_channel_window() -> Any:
    """A maker of diagnosis windows: two channels ``a`` and ``b`` of noise over 48 hourly steps
    (96 of baseline), channel ``b`` frozen from step 10 when ``stuck``."""
    from moesaic.reports.diagnose.faults import Window

    def make(rng: np.random.Generator, stuck: bool) -> Window:
        baseline = rng.standard_normal((96, 2))
        values = rng.standard_normal((48, 2))
        if stuck:
            values[10:, 1] = values[10, 1]
        return Window(values, baseline, ("a", "b"), "pump", 24.0)

    return make


@pytest.fixture(scope="session")
def stuck_or_normal(two_channel_window: Any) -> Any:
    """A maker of ``n`` labelled windows (seeded): every other one ``sensor_stuck``, the rest
    ``normal``; returns (windows, labels)."""

    def make(seed: int, n: int) -> tuple[list[Any], list[str]]:
        rng = np.random.default_rng(seed)
        windows = [two_channel_window(rng, stuck=i % 2 == 0) for i in range(n)]
        return windows, ["sensor_stuck" if i % 2 == 0 else "normal" for i in range(n)]

    return make
