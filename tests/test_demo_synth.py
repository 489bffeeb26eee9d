"""The demo's synthesis section: it learns the most frequent fault and shows its signature."""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pytest

from moesaic.data.schema import MaintenanceData, Series
from moesaic.demo_synth import signature, synthesis_section, synthesize_fault


def _plant(faulty: bool) -> MaintenanceData:
    rng = np.random.default_rng(0)
    series = []
    for a in range(3):
        t = 480
        values = rng.normal(size=(t, 2)).astype(np.float32)
        fault = np.zeros(t, dtype=np.int64)
        if faulty:
            fault[240:] = 1
            values[240:, 1] += 4.0  # the fault lifts channel b only
        series.append(
            Series(
                f"s{a}", f"A-{a}", np.arange(t, dtype=np.int64), values, ("a", "b"),
                np.ones((t, 2), dtype=bool), labels={"fault": fault},
                meta={"fault_type": {0: "normal", 1: "seal_leak"}},
            )
        )  # fmt: skip
    return MaintenanceData("toy", series=tuple(series))


def test_the_synthesizer_learns_the_fault_shift_and_the_section_labels_it_synthetic() -> None:
    demo = synthesize_fault(_plant(faulty=True), steps=150)
    assert demo is not None and demo.fault == "seal_leak"
    assert demo.real.shape[1:] == demo.synthetic.shape[1:] == (48, 2)
    table = signature(demo).set_index("channel")
    assert table.loc["b", "real shift (sd)"] > 2.0 and abs(table.loc["a", "real shift (sd)"]) < 0.5
    assert table.loc["b", "synthetic shift (sd)"] > 1.0  # the generator reproduces the fault's lift
    html = "".join(synthesis_section(demo).parts)
    assert "SYNTHETIC" in html and "<img" in html


def test_a_plant_without_faults_gives_a_note_instead_of_a_model() -> None:
    assert synthesize_fault(_plant(faulty=False), steps=10) is None
    assert "no fault windows" in "".join(synthesis_section(None).parts)


def test_series_of_other_channels_are_left_out_by_choice_and_named_on_the_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plant = _plant(faulty=True)
    first = plant.series[0]
    fan = dataclasses.replace(first, series_id="f0", asset_id="F-0", channels=("a", "c"))
    with caplog.at_level(logging.WARNING):
        demo = synthesize_fault(dataclasses.replace(plant, series=(*plant.series, fan)), steps=10)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert demo is not None and demo.series == ("s0", "s1", "s2") and demo.others == 1
    html = " ".join("".join(synthesis_section(demo).parts).split())
    assert "from the 3 series that share its 2 channels (s0, s1, s2;" in html
    assert "1 other series have other sensors" in html
