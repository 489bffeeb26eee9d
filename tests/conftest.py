"""Shared test fixtures: seeding and the location of the public data sets."""

from __future__ import annotations

import os
import random
from pathlib import Path

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


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of the public data sets; skips when absent, except in CI where it must exist."""
    root = Path(os.environ.get("MOESAIC_DATA", SHARED_DATA)).resolve()
    if not root.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but the shared data folder {root} is missing")
        pytest.skip(f"shared data not found at {root}; set MOESAIC_DATA to run this test")
    return root
