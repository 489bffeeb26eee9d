"""Reader findings of the user walk-through: mixed UTC offsets (A12) and decimal commas decided per
column (A14, C5)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pytest

from moesaic.data.readers import read_assets_csv, read_series_file, read_work_orders_csv
from moesaic.data.tables import DataFormatError


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


# ---------------------------------------------------------------- A12: offsets and naive times


def test_times_with_and_without_utc_offsets_in_one_column_are_refused(tmp_path: Path) -> None:
    rows = [f"2024-03-31T0{h}:00:00+02:00,{h}" for h in range(4, 7)] + ["2024-03-31T07:00:00,7"]
    path = write(tmp_path, "tz_mixed.csv", "timestamp,flow\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataFormatError) as caught:
        read_series_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line 5, column 'timestamp': ")  # the row without an offset
    assert "'2024-03-31T04:00:00+02:00' (line 2) has one, '2024-03-31T07:00:00' has none" in message
    assert "write every time with its offset" in message


def test_offsets_that_change_at_daylight_saving_and_times_without_any_still_read(tmp_path: Path) -> None:
    dst = "time,x\n2024-03-31T01:00:00+01:00,1\n2024-03-31T03:00:00+02:00,2\n2024-03-31T04:00:00Z,3\n"
    series = read_series_file(write(tmp_path, "dst.csv", dst))
    assert series.time.astype("datetime64[h]").astype(str).tolist() == [
        "2024-03-31T00", "2024-03-31T01", "2024-03-31T04",
    ]  # fmt: skip
    assert series.meta["utc"]
    naive = read_series_file(write(tmp_path, "naive.csv", "time,x\n2024-03-31 01:00,1\n2024-03-31 02:00,2\n"))
    assert not naive.meta["utc"] and naive.length == 2


def test_work_order_dates_mixing_offsets_and_local_times_are_refused(tmp_path: Path) -> None:
    text = "wo_id,asset_id,text,created\nWO-1,P-1,leak,2024-04-01 08:00Z\nWO-2,P-1,noise,2024-04-02 09:00\n"
    with pytest.raises(DataFormatError, match=r"line 3, column 'created': timestamps with and without"):
        read_work_orders_csv(write(tmp_path, "wo.csv", text))


# ---------------------------------------------------------------- A14, C5: decimal commas per column


def test_a_column_crossing_a_thousand_with_decimal_commas_is_read(tmp_path: Path) -> None:
    # C5: the only value column mixes "1.020,6" and "951,7"; no other column shows decimal commas
    text = "Zeit;Leistung_kW\n2024-01-01 00:00;1.020,6\n2024-01-01 00:01;951,7\n2024-01-01 00:02;1.005\n"
    series = read_series_file(write(tmp_path, "power_de.csv", text))
    np.testing.assert_allclose(series.values[:, 0], [1020.6, 951.7, 1005.0])  # 1.005: thousands too


def test_thousands_points_alone_are_read_as_decimals_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = "Zeit;Drehzahl;Temperatur\n2024-01-01 00:00;1.470;40\n2024-01-01 00:01;1.471;41\n"
    path = write(tmp_path, "rpm_de.csv", text)
    with caplog.at_level(logging.WARNING):
        series = read_series_file(path)
    np.testing.assert_allclose(series.values, [[1.47, 40.0], [1.471, 41.0]])  # today's reading, kept
    (warning,) = warnings_of(caplog)
    assert warning.startswith(f"{path}, column 'Drehzahl': values such as '1.470' (line 2) are read")
    assert "as 1.47" in warning and "thousands" in warning


def test_thousands_points_are_thousands_beside_a_decimal_comma_or_two_points(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = "Zeit;Drehzahl;Temperatur\n2024-01-01 00:00;1.470;40,5\n2024-01-01 00:01;1.471;41\n"
    two = "Zeit;Energie\n2024-01-01 00:00;1.470\n2024-01-01 00:01;1.020.300\n"
    with caplog.at_level(logging.WARNING):
        beside = read_series_file(write(tmp_path, "rpm_de.csv", text))
        grouped = read_series_file(write(tmp_path, "energy.csv", two))
    np.testing.assert_allclose(beside.values, [[1470.0, 40.5], [1471.0, 41.0]])
    np.testing.assert_allclose(grouped.values[:, 0], [1470.0, 1020300.0])
    assert warnings_of(caplog) == []


def test_point_decimals_that_cannot_be_thousands_give_no_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = "time;p;q\n2024-01-01 00:00;2.460;0.125\n2024-01-01 00:01;2.46;0.250\n"  # 2.46, 0.125
    with caplog.at_level(logging.WARNING):
        series = read_series_file(write(tmp_path, "points.csv", text))
    np.testing.assert_allclose(series.values, [[2.46, 0.125], [2.46, 0.25]])
    assert warnings_of(caplog) == []


def test_a_column_mixing_decimal_commas_and_points_is_named_in_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = "time;flow\n2024-01-01 00:00;0,75\n2024-01-01 00:01;2.46\n"
    path = write(tmp_path, "mixed.csv", text)
    with caplog.at_level(logging.WARNING), pytest.raises(DataFormatError, match="column 'flow'"):
        read_series_file(path)
    (warning,) = warnings_of(caplog)
    assert re.search(
        r"column 'flow': decimal commas \('0,75', line 2\) and decimal points \('2.46', line 3\)", warning
    )


def test_asset_attributes_with_decimal_commas_and_thousands_are_numbers(tmp_path: Path) -> None:
    rows = ["asset_id;asset_type;Baujahr;Leistung kW", "PU-01;pump;2015;75,5", "PU-02;pump;2019;1.250,0"]
    text = "\n".join([*rows, "VE-1;fan;;30"]) + "\n"
    assets = read_assets_csv(write(tmp_path, "assets.csv", text))
    assert [a.attributes["Leistung kW"] for a in assets] == [75.5, 1250.0, 30.0]
    assert [a.attributes["Baujahr"] for a in assets] == [2015, 2019, None]


def test_comma_separated_files_keep_points_as_decimals(tmp_path: Path) -> None:
    series = read_series_file(
        write(tmp_path, "us.csv", "time,rpm\n2024-01-01 00:00,1.470\n2024-01-01 00:01,1.5\n")
    )
    np.testing.assert_allclose(series.values[:, 0], [1.47, 1.5])


def test_identifiers_keep_their_points_in_a_decimal_comma_file(tmp_path: Path) -> None:
    text = "asset_id;Leistung kW\n1.020;75,5\n2.500;1.250,0\n"
    assets = read_assets_csv(write(tmp_path, "assets.csv", text))
    assert [a.asset_id for a in assets] == ["1.020", "2.500"]
    assert [a.attributes["Leistung kW"] for a in assets] == [75.5, 1250.0]
