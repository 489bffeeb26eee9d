"""The forecast suite against the user report's items 1-4, 6 and 17: published anchors only on
ETTh1's own data with the paper's protocol in their setting, the season read from the time step,
one-line errors before training, and a note for a channel without test readings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moesaic.data.forecast_windows import read_dated_csv
from moesaic.eval.bench import OptionError, SuiteContext, run_suite
from moesaic.eval.season import daily_season, season_of_times
from moesaic.eval.suites import forecast_anchors as anchors

pytestmark = pytest.mark.usefixtures("one_thread")


def _csv(path: Path, rows: int, *, minutes: int = 60, empty: dict[str, slice] | None = None) -> Path:
    """A file of two channels with a daily sine (and a little noise), ``minutes`` apart."""
    rng = np.random.default_rng(0)
    day = 24 * 60 // minutes
    t = np.arange(rows)
    values = {
        "a": np.sin(2 * np.pi * t / day) + 0.01 * rng.normal(size=rows),
        "b": np.cos(2 * np.pi * t / day) + 0.01 * rng.normal(size=rows),
    }
    cells = {name: [f"{v:.4f}" for v in column] for name, column in values.items()}
    for name, rows_out in (empty or {}).items():
        cells[name][rows_out] = [""] * len(cells[name][rows_out])
    stamps = np.datetime64("2020-01-01T00:00") + np.arange(rows) * np.timedelta64(minutes, "m")
    lines = ["date,a,b"] + [
        f"{str(s).replace('T', ' ')}:00,{a},{b}"
        for s, a, b in zip(stamps, cells["a"], cells["b"], strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(tmp_path: Path, options: dict[str, str], quick: bool = False):
    base = {"systems": "seasonal_naive", "threads": "1"}
    return run_suite(
        "forecast", SuiteContext(quick=quick, options={**base, **options}), out=tmp_path / "out", command="t"
    )


def test_the_season_is_a_day_of_rows_capped_by_the_context() -> None:
    assert daily_season(3600, 512).period == 24 and daily_season(900, 512).period == 96
    minutely = daily_season(60, 512)
    assert minutely.period == 480 and "8 hours" in minutely.why  # the longest whole fraction of a day
    assert daily_season(3600, 8).period == 8
    assert season_of_times(np.arange(10), 96) is None  # step numbers: no timestamps


def test_fifteen_minute_data_get_a_daily_season_stated_in_the_setting(tmp_path: Path) -> None:
    csv = _csv(tmp_path / "m15.csv", 2000, minutes=15)
    result = _run(tmp_path, {"csv": str(csv), "context": "192", "horizons": "96"})
    rows = {r.metric: r for r in result.rows}
    assert rows["mse"].setting == "L=192,H=96,split=ratio,season=96"
    assert rows["mse"].value < 0.01  # the day repeated: only the noise is left
    chosen = _run(tmp_path, {"csv": str(csv), "context": "192", "horizons": "96", "seasonal_period": "24"})
    assert {r.setting for r in chosen.rows} == {"L=192,H=96,split=ratio"} and chosen.rows[0].value > 1
    with pytest.raises(
        OptionError, match=r"option seasonal_period=200: longer than the context \(192 steps\)"
    ):
        _run(tmp_path, {"csv": str(csv), "context": "192", "horizons": "96", "seasonal_period": "200"})


def test_a_file_named_etth1_without_its_values_gets_no_anchor(tmp_path: Path) -> None:
    csv = _csv(tmp_path / "ETTh1.csv", 400)
    result = _run(tmp_path, {"csv": str(csv), "context": "24", "horizons": "8"}, quick=True)
    assert {r.source for r in result.rows} == {"measured"}
    assert {r.dataset for r in result.rows} == {"etth1-modified"}
    assert {r.setting for r in result.rows} == {"L=24,H=8,split=ratio,quick=1"}


def test_anchors_carry_the_papers_protocol_and_only_join_the_etth1_protocol(
    shared_data: Path, tmp_path: Path, contract_keys: set[str]
) -> None:
    path = shared_data / "ett" / "ETTh1.csv"
    series = read_dated_csv(path)
    assert (
        anchors.is_etth1(series) and anchors.fingerprint(series.values[:14400]) == anchors.ETTH1_FINGERPRINT
    )
    copy = tmp_path / "renamed.csv"
    copy.write_text(path.read_text())
    result = _run(tmp_path, {"csv": str(copy), "horizons": "96"})
    published = {r.system: r.setting for r in result.rows if r.source != "measured"}
    assert published == {"patchtst": "L=512,H=96,eval=paper", "dlinear": "L=336,H=96,eval=paper",
                         "fits": "L=tuned,H=96,eval=paper"}  # fmt: skip
    assert {r.dataset for r in result.rows} == {"etth1"}
    rows = json.loads(result.json_path.read_text())["rows"]
    assert len({(r["system"], r["dataset"], r["setting"], r["metric"]) for r in rows}) == len(rows)
    shorter = _run(tmp_path, {"csv": str(copy), "horizons": "96", "context": "96"})
    assert {r.source for r in shorter.rows} == {"measured"}  # L=96 is not the anchors' protocol


def test_an_unscorable_test_part_is_one_error_before_training(tmp_path: Path) -> None:
    nothing = _csv(tmp_path / "late.csv", 400, empty={"a": slice(300, None), "b": slice(300, None)})
    with pytest.raises(OptionError, match=r"late\.csv: no reading in the test part \(data rows 321-400\)"):
        _run(tmp_path, {"csv": str(nothing), "context": "24", "horizons": "8", "systems": "dlinear"})
    gap = _csv(tmp_path / "gap.csv", 400, empty={"a": slice(330, 370), "b": slice(330, 370)})
    with pytest.raises(
        OptionError, match=r"gap\.csv: \d+ of the 73 test windows of H=8 have no reading in their 24"
    ):
        _run(tmp_path, {"csv": str(gap), "context": "24", "horizons": "8"})
    assert not (tmp_path / "out").exists()


def test_a_channel_without_test_readings_is_noted(tmp_path: Path) -> None:
    csv = _csv(tmp_path / "half.csv", 400, empty={"b": slice(300, None)})
    result = _run(tmp_path, {"csv": str(csv), "context": "24", "horizons": "8"})
    assert result.notes and "channel b has no reading in the test part" in result.notes[0]
    assert "channel b has no reading in the test part" in result.markdown_path.read_text()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"systems": "seasonal_naive,seasonal_naive"}, r"\['seasonal_naive'\] given more than once"),
        ({"horizons": "8,8"}, r"\['8'\] given more than once"),
        ({"context": "24,48"}, r"option context='24,48': expected an integer"),
        ({"threads": "0"}, r"option threads='0': expected an integer >= 1"),
    ],
)
def test_repeated_or_multi_valued_options_are_refused(tmp_path: Path, options: dict, message: str) -> None:
    csv = _csv(tmp_path / "plant.csv", 400)
    with pytest.raises(OptionError, match=message):
        _run(tmp_path, {"csv": str(csv), "context": "24", "horizons": "8", **options})


def test_the_ridge_study_adds_validation_rows_for_moesaic_only(tmp_path: Path) -> None:
    csv = _csv(tmp_path / "hourly.csv", 600)
    options = {"csv": str(csv), "context": "48", "horizons": "16", "max_steps": "2", "ridge_study": "1"}
    result = _run(tmp_path, {**options, "systems": "moesaic,seasonal_naive"})
    study = {r.system: r for r in result.rows if r.metric == "val_mse_cross_half"}
    names = ("one_pair", "blocks2", "blocks4", "blocks8", "per_step")
    assert set(study) == {f"moesaic-ridge-{n}" for n in names}
    assert {r.setting for r in study.values()} == {"L=48,H=16,split=ratio,steps=2,study=ridge_choice"}
    assert study["moesaic-ridge-per_step"].value <= 2 * study["moesaic-ridge-one_pair"].value
    assert all(0 < r.value < 1 for r in study.values())  # a daily sine with a little noise
    assert not [
        r for r in _run(tmp_path, {**options, "ridge_study": "0"}).rows if r.metric == "val_mse_cross_half"
    ]
