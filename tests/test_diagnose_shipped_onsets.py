"""The onset shapes shipped with the package: used only when chosen under this version on exactly
the current training windows; otherwise chosen again."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moesaic.reports.diagnose import episodes, episodes_onset
from moesaic.reports.diagnose.episodes_windows import Request
from moesaic.reports.diagnose.onset import parse_shape
from moesaic.reports.diagnose.signatures import Window


def _pair(level: float) -> tuple[list[Window], list[Request]]:
    window = Window(np.full((4, 1), level), np.zeros((2, 1)), ("temp",), "pump", 24.0)
    start = pd.Timestamp("2026-01-01")
    request = Request("P-1", start, start + pd.Timedelta(days=1), "overheating", start, ("temp",), "e1")
    return [window], [request]


def test_digest_follows_readings_and_labels() -> None:
    windows, requests = _pair(1.0)
    digest = episodes_onset.training_digest(windows, requests)
    assert digest == episodes_onset.training_digest(*_pair(1.0))
    assert digest != episodes_onset.training_digest(*_pair(1.5))
    relabelled = [requests[0]._replace(label="seal_leak")]
    assert digest != episodes_onset.training_digest(windows, relabelled)


def test_shapes_are_chosen_again_unless_version_seed_and_digest_match(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    windows, requests = _pair(1.0)
    shipped = tmp_path / "onset_shapes.json"
    monkeypatch.setattr(episodes_onset, "SHIPPED_SHAPES", shipped)
    assert episodes_onset.shipped_onset_shapes(3, windows, requests) is None  # no file
    monkeypatch.setattr(episodes_onset, "fit_onset_shapes", lambda w, r: {"overheating": "ramp1/a"})
    episodes_onset.ship_onset_shapes(3, windows, requests, path=shipped)
    assert episodes_onset.shipped_onset_shapes(3, windows, requests) == {"overheating": "ramp1/a"}
    assert episodes_onset.shipped_onset_shapes(4, windows, requests) is None
    assert episodes_onset.shipped_onset_shapes(3, *_pair(2.0)) is None
    monkeypatch.setattr(episodes_onset, "ONSET_VERSION", "v0")
    assert episodes_onset.shipped_onset_shapes(3, windows, requests) is None


def test_first_cache_build_takes_matching_shipped_shapes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    windows, requests = _pair(1.0)
    monkeypatch.setenv("MOESAIC_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(episodes, "_training_windows", lambda seed: (windows, requests))
    monkeypatch.setattr(episodes_onset, "SHIPPED_SHAPES", tmp_path / "onset_shapes.json")
    monkeypatch.setattr(episodes_onset, "fit_onset_shapes", lambda w, r: {"overheating": "ramp1/a"})
    episodes_onset.ship_onset_shapes(5, windows, requests)

    def refit(w: list[Window], r: list[Request]) -> dict[str, str]:
        raise AssertionError("the shipped shapes apply: nothing is fitted")

    monkeypatch.setattr(episodes, "fit_onset_shapes", refit)
    episodes.training_onset_shapes.cache_clear()
    try:
        assert episodes.training_onset_shapes(5) == {"overheating": "ramp1/a"}
    finally:
        episodes.training_onset_shapes.cache_clear()
    cached = tmp_path / "cache" / f"fault-onsets-seed5-{episodes.ONSET_VERSION}.json"
    assert json.loads(cached.read_text()) == {"overheating": "ramp1/a"}


def test_the_shipped_file_applies_to_the_current_training_plant() -> None:
    saved = json.loads(episodes_onset.SHIPPED_SHAPES.read_text())
    assert saved["onset_version"] == episodes_onset.ONSET_VERSION
    assert saved["seed"] == episodes.TRAIN_SEED
    for shape in saved["shapes"].values():
        parse_shape(shape.split("@")[0])  # a shape the estimators know
    windows, requests = episodes._training_windows(episodes.TRAIN_SEED)
    # Stale after a change to the simulator or the sampler: refresh it with ship_onset_shapes.
    assert saved["digest"] == episodes_onset.training_digest(windows, requests)
    assert set(saved["shapes"]) == {r.label for r in requests if r.onset is not None}
