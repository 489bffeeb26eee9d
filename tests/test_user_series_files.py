"""Several series files of one asset in a user's folder become that asset's one series."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moesaic.data.readers import read_user_folder
from moesaic.data.tables import DataFormatError

ASSETS = "asset_id,asset_type\nP-1,pump\nP-12,pump\n"


def _csv(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)


def _folder(tmp_path: Path, files: dict[str, pd.DataFrame], assets: str | None = ASSETS) -> Path:
    if assets is not None:
        (tmp_path / "assets.csv").write_text(assets, encoding="utf-8")
    for name, frame in files.items():
        _csv(tmp_path / "series" / name, frame)
    return tmp_path


def _hourly(start: str, rows: int, **columns: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"time": pd.date_range(start, periods=rows, freq="h"), **columns})


def test_a_file_named_after_a_listed_asset_joins_that_asset_on_time(tmp_path: Path) -> None:
    minutes = pd.DataFrame(
        {"time": pd.date_range("2024-01-01", periods=60, freq="min"), "flow": np.arange(60.0)}
    )
    tens = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=6, freq="10min"), "vib": np.arange(6.0)})
    data = read_user_folder(_folder(tmp_path, {"P-1.csv": minutes, "P-1_vibration.csv": tens}))
    [series] = data.series
    assert (series.asset_id, series.series_id, series.channels) == ("P-1", "P-1", ("flow", "vib"))
    assert series.length == 60
    # each 10-minute reading holds for the ten 1-minute rows it opens
    np.testing.assert_array_equal(series.values[:, 1], np.repeat(np.arange(6.0), 10))
    assert series.observed.all()


def test_the_longest_listed_id_a_name_starts_with_wins(tmp_path: Path) -> None:
    data = read_user_folder(
        _folder(tmp_path, {"P-12 vibration.csv": _hourly("2024-01-01", 3, vib=[1.0, 2.0, 3.0])})
    )
    assert [s.asset_id for s in data.series] == ["P-12"]


def test_without_a_listed_asset_the_file_name_stays_the_asset(tmp_path: Path) -> None:
    files = {
        "P-1.csv": _hourly("2024-01-01", 3, a=[1.0, 2.0, 3.0]),
        "P-1_vib.csv": _hourly("2024-01-01", 3, b=[1.0, 2.0, 3.0]),
    }
    data = read_user_folder(_folder(tmp_path, files, assets=None))
    assert sorted(s.asset_id for s in data.series) == ["P-1", "P-1_vib"]


def test_monthly_files_in_a_subfolder_are_placed_end_to_end(tmp_path: Path) -> None:
    jan = _hourly("2024-01-31 22:00", 3, temp=[1.0, 2.0, 3.0])
    feb = _hourly("2024-02-01 00:00", 3, temp=[3.0, 4.0, 5.0])  # repeats January's last row
    data = read_user_folder(_folder(tmp_path, {"P-1/feb.csv": feb, "P-1/jan.csv": jan}))
    [series] = data.series
    assert series.asset_id == "P-1"
    np.testing.assert_array_equal(series.values[:, 0], [1.0, 2.0, 3.0, 4.0, 5.0])


def test_a_time_two_files_hold_with_different_readings_is_refused(tmp_path: Path) -> None:
    jan = _hourly("2024-01-31 22:00", 3, temp=[1.0, 2.0, 3.0])
    feb = _hourly("2024-02-01 00:00", 2, temp=[9.0, 4.0])
    folder = _folder(tmp_path, {"P-1/jan.csv": jan, "P-1/feb.csv": feb})
    with pytest.raises(
        DataFormatError,
        match=re.escape("files ['feb.csv', 'jan.csv'] of asset 'P-1' both hold time 2024-02-01"),
    ):
        read_user_folder(folder)


def test_a_column_in_two_files_with_different_columns_is_refused(tmp_path: Path) -> None:
    files = {
        "P-1.csv": _hourly("2024-01-01", 3, flow=[1.0, 2.0, 3.0], temp=[1.0, 2.0, 3.0]),
        "P-1_extra.csv": _hourly("2024-01-01", 3, temp=[1.0, 2.0, 3.0]),
    }
    with pytest.raises(
        DataFormatError, match="column 'temp' of asset 'P-1' is in files with different columns"
    ):
        read_user_folder(_folder(tmp_path, files))


def test_timestamps_and_step_numbers_are_not_mixed(tmp_path: Path) -> None:
    files = {
        "P-1.csv": _hourly("2024-01-01", 3, flow=[1.0, 2.0, 3.0]),
        "P-1_cycles.csv": pd.DataFrame({"cycle": [1, 2, 3], "wear": [0.1, 0.2, 0.3]}),
    }
    with pytest.raises(DataFormatError, match="mix timestamps and step numbers"):
        read_user_folder(_folder(tmp_path, files))


def test_readings_outside_the_longest_file_are_counted_in_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = {
        "P-1.csv": _hourly("2024-01-01 00:00", 4, flow=[1.0, 2.0, 3.0, 4.0]),
        "P-1_late.csv": _hourly("2024-01-01 02:00", 3, vib=[7.0, 8.0, 9.0]),
    }
    with caplog.at_level(logging.WARNING):
        [series] = read_user_folder(_folder(tmp_path, files)).series
    np.testing.assert_array_equal(series.observed[:, 1], [False, False, True, True])
    assert "1 of 3 rows of the file(s) holding ['vib']" in caplog.text


def test_a_gap_in_time_is_filled_with_empty_rows_at_the_usual_step() -> None:
    from moesaic.data.schema import Series, fill_gaps

    time = pd.to_datetime(["2024-01-01 00:00", "2024-01-01 01:00", "2024-01-01 02:00", "2024-01-01 06:00"])
    values = np.array([[1.0], [2.0], [3.0], [4.0]], dtype=np.float32)
    series = Series("s", "A", time.to_numpy(), values, ("x",), np.ones_like(values, bool))
    filled, kept = fill_gaps(series, 3)
    assert filled.length == 7 and kept.tolist() == [True, True, True, False, False, False, True]
    assert np.isnan(filled.values[3:6, 0]).all() and not filled.observed[3:6].any()
    assert filled.values[kept, 0].tolist() == [1.0, 2.0, 3.0, 4.0]
    # a gap longer than the series itself is left alone
    assert fill_gaps(series, 3, most=0.5)[0] is series
