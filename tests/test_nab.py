"""NAB, kept aside from the shared data: its reader on folders laid out as upstream or not, and the
NAB part of the anomaly suite on a tiny generated corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moesaic.data.registry import dataset_info
from moesaic.data.sets import nab
from moesaic.data.tables import DataFormatError
from moesaic.data.validate import validate_dataset
from moesaic.eval.bench import OptionError, SuiteContext, run_suite
from moesaic.eval.suites import anomaly_nab

pytestmark = pytest.mark.usefixtures("one_thread")
STAMP = "%Y-%m-%d %H:%M:%S"
ROWS = 400


def _times(rows: int = ROWS) -> pd.DatetimeIndex:
    return pd.date_range("2014-04-01 00:00:00", periods=rows, freq="5min")


def _write_series(path: Path, anomaly: tuple[int, int] | None, seed: int, rows: int = ROWS) -> None:
    rng = np.random.default_rng(seed)
    value = 10 + np.sin(np.arange(rows) * 2 * np.pi / 48) + rng.normal(0, 0.1, rows)
    if anomaly is not None:
        value[anomaly[0] : anomaly[1]] += 6.0
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"timestamp": _times(rows).strftime(STAMP), "value": value.round(4)}).to_csv(
        path, index=False
    )


def _window(first: int, last: int) -> list[str]:
    t = _times()
    return [t[first].strftime(STAMP + ".%f"), t[last].strftime(STAMP + ".%f")]


def make_corpus(root: Path) -> Path:
    """root/nab laid out as upstream: data/<category>/<file>.csv and labels/combined_windows.json."""
    folder = root / "nab"
    _write_series(folder / "data" / "realKnownCause" / "pump.csv", (250, 270), seed=0)
    _write_series(folder / "data" / "realKnownCause" / "fan.csv", (300, 330), seed=1)
    _write_series(folder / "data" / "artificialNoAnomaly" / "flat.csv", None, seed=2)
    _write_series(folder / "results" / "numenta" / "ignored.csv", None, seed=3)  # never read
    windows = {
        "realKnownCause/pump.csv": [_window(240, 280)],
        "realKnownCause/fan.csv": [_window(290, 340)],
        "artificialNoAnomaly/flat.csv": [],
    }
    (folder / "labels").mkdir()
    (folder / "labels" / "combined_windows.json").write_text(json.dumps(windows))
    return folder


def test_reader_takes_the_upstream_layout(tmp_path: Path) -> None:
    data = nab.load(make_corpus(tmp_path))
    by_file = {s.meta["file"]: s for s in data.series}
    assert sorted(by_file) == [
        "artificialNoAnomaly/flat.csv",
        "realKnownCause/fan.csv",
        "realKnownCause/pump.csv",
    ]
    pump = by_file["realKnownCause/pump.csv"]
    assert pump.channels == ("value",) and pump.meta["category"] == "realKnownCause"
    assert np.flatnonzero(pump.labels["anomaly"])[[0, -1]].tolist() == [240, 280]
    assert data.meta["counts"] == {"files": 3, "labelled_files": 3, "windows": 2}


def test_reader_falls_back_on_labels_columns_and_file_names(tmp_path: Path) -> None:
    flat = tmp_path / "flat"  # no data/ folder, keys by file name, anomaly timestamps only
    _write_series(flat / "a.csv", (100, 110), seed=0)
    _write_series(flat / "b.csv", None, seed=1)
    (flat / "combined_labels.json").write_text(
        json.dumps({"elsewhere/a.csv": [_times()[105].strftime(STAMP)]})
    )
    data = {s.meta["file"]: s for s in nab.load(flat).series}
    window = np.flatnonzero(data["a.csv"].labels["anomaly"])
    assert window[[0, -1]].tolist() == [85, 125]  # 10 % of 400 rows around row 105
    assert data["a.csv"].meta["labelled"] and not data["b.csv"].meta["labelled"]
    column = tmp_path / "column"
    column.mkdir()
    frame = pd.DataFrame(
        {"timestamp": _times(5).strftime(STAMP), "value": range(5), "label": [0, 1, 1, 0, 0]}
    )
    frame.to_csv(column / "c.csv", index=False)
    (series,) = nab.load(column).series
    assert series.meta["labelled"] and series.labels["anomaly"].tolist() == [0, 1, 1, 0, 0]


def test_reader_names_the_file_and_what_was_expected(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    with pytest.raises(DataFormatError, match="expected NAB data files"):
        nab.load(folder)
    pd.DataFrame({"timestamp": ["2014-01-01 00:00:00"], "a": [1], "b": [2]}).to_csv(
        folder / "x.csv", index=False
    )
    with pytest.raises(DataFormatError, match=r"x\.csv.*expected a value column .*found \['a', 'b'\]"):
        nab.load(folder)
    pd.DataFrame({"when": ["2014-01-01 00:00:00"], "value": [1]}).to_csv(folder / "x.csv", index=False)
    with pytest.raises(DataFormatError, match=r"x\.csv.*expected a timestamp column"):
        nab.load(folder)
    pd.DataFrame({"time": ["2014-01-01 00:00:00"], "reading": [1.5]}).to_csv(folder / "x.csv", index=False)
    assert nab.load(folder).series[0].values[0, 0] == 1.5  # a time column and one other column
    _write_series(folder / "x.csv", None, seed=0)
    (folder / "combined_windows.json").write_text(json.dumps({"x.csv": [["2014-04-01 05:00:00", "soon"]]}))
    with pytest.raises(
        DataFormatError, match=r"combined_windows\.json.*'x\.csv'.*expected a timestamp, found 'soon'"
    ):
        nab.load(folder)
    (folder / "combined_windows.json").write_text(json.dumps({"x.csv": [["2014-04-01 05:00:00"]]}))
    with pytest.raises(DataFormatError, match=r"expected \[start, end\] windows"):
        nab.load(folder)


def test_reader_keeps_rows_in_file_order_when_timestamps_repeat(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stamps = ["2014-01-01 00:00:00", "2014-01-01 00:05:00", "2014-01-01 00:05:00", "2014-01-01 00:10:00"]
    pd.DataFrame({"timestamp": stamps, "value": [1, 2, 3, 4]}).to_csv(tmp_path / "x.csv", index=False)
    (tmp_path / "combined_windows.json").write_text(json.dumps({"x.csv": [[stamps[1], stamps[2]]]}))
    (series,) = nab.load(tmp_path).series
    assert series.values[:, 0].tolist() == [1, 2, 3, 4]
    assert series.labels["anomaly"].tolist() == [0, 1, 1, 0]
    assert "x.csv has 1 timestamps not after the one before (first on line 4)" in caplog.text


def test_validate_reports_the_kept_aside_set_absent_not_failed(tmp_path: Path) -> None:
    result = validate_dataset(dataset_info("nab"), tmp_path)
    assert result.absent and result.ok
    assert validate_dataset(dataset_info("nab"), tmp_path / "none").ok
    make_corpus(tmp_path)
    found = validate_dataset(dataset_info("nab"), tmp_path)
    assert found.ok and not found.absent and found.counts["windows"] == 2


def test_suite_scores_nab_as_nab_does(tmp_path: Path) -> None:
    make_corpus(tmp_path)
    options = {"datasets": "nab", "steps": "52", "finetune": "2"}
    result = run_suite(
        "anomaly", SuiteContext(data=tmp_path, options=options), out=tmp_path / "out", command="x"
    )
    rows = [r for r in result.rows if r.source == "measured"]
    value = {(r.system, r.metric, r.setting): r.value for r in rows}
    setting = "protocol=nab,train=probation,files=all,steps=52,finetune=2"
    assert value[("null", "nab_standard", setting)] == 0.0
    assert value[("null", "detected_windows", setting)] == 0.0
    for system in ("moesaic", "zscore", "moesaic-consensus", "random"):
        for metric in ("nab_standard", "nab_reward_low_fp", "nab_reward_low_fn", "vus_pr", "auc_pr"):
            assert np.isfinite(value[(system, metric, setting)])
        assert value[(system, "nab_standard", setting)] <= 100.0
    # a 6-sigma level shift: the z-score detector alerts inside both windows
    assert value[("zscore", "detected_windows", setting)] == 100.0
    category = f"{setting},category=realKnownCause"
    assert value[("zscore", "nab_standard", category)] == value[("zscore", "nab_standard", setting)]
    published = [r for r in result.rows if r.source.startswith("published: NAB README")]
    assert {r.metric for r in published} == {"nab_standard", "nab_reward_low_fp", "nab_reward_low_fn"}
    # the full protocol's measured rows share the published rows' setting: no system name may clash
    assert not {r.system for r in published} & {r.system for r in rows}
    moesaic_row = next(r for r in rows if r.system == "moesaic")
    assert moesaic_row.params_total and moesaic_row.train_seconds is not None


def test_suite_asks_for_a_nab_folder_only_when_told_to_read_one(tmp_path: Path) -> None:
    with pytest.raises(OptionError, match=r"NAB: no folder .*nowhere; give -o nab=DIR"):
        run_suite("anomaly", SuiteContext(data=tmp_path, options={"nab": str(tmp_path / "nowhere")}),
                  out=tmp_path / "out", command="x")  # fmt: skip
    with pytest.raises(OptionError, match=r"NAB: no folder .*nab"):
        run_suite(
            "anomaly",
            SuiteContext(data=tmp_path, options={"datasets": "nab"}),
            out=tmp_path / "o",
            command="x",
        )


def test_quick_run_spreads_its_files_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(anomaly_nab, "QUICK_FILES", 2)
    folder = make_corpus(tmp_path)
    files, scope = anomaly_nab.nab_files(folder, SuiteContext(quick=True))
    assert scope == "files=2_of_3"
    assert [s.meta["file"] for s in files] == ["artificialNoAnomaly/flat.csv", "realKnownCause/pump.csv"]
    files, scope = anomaly_nab.nab_files(folder, SuiteContext())
    assert (len(files), scope) == (3, "files=all")


def test_files_without_training_readings_are_left_out_with_a_note(tmp_path: Path) -> None:
    folder = make_corpus(tmp_path)
    pump = folder / "data" / "realKnownCause" / "pump.csv"
    frame = pd.read_csv(pump)
    frame.loc[:80, "value"] = np.nan  # its probation is rows 0-59
    frame.to_csv(pump, index=False)
    ctx = SuiteContext()
    files, _ = anomaly_nab.nab_files(folder, ctx)
    assert [s.meta["file"] for s in files] == ["artificialNoAnomaly/flat.csv", "realKnownCause/fan.csv"]
    assert any("realKnownCause/pump.csv" in note for note in ctx.notes)
