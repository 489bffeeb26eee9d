"""A wide export of several assets' columns is split into one series per asset (paper mill walkthrough)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from moesaic.data.readers import read_user_folder

ASSETS = "Equip No,Class\nGB-101,Gearbox\nDR-101,Drive\nP-1,Pump\nP-10,Pump\n"
WIDE = """Timestamp,GB-101 Oil Temp (°C),GB101_Vib (mm/s),Motor Current (A) DR-101,Line Speed (m/min)
2024-09-01 00:00,57.1,1.9,406.7,812
2024-09-01 01:00,56.3,2.1,407.5,815
2024-09-01 02:00,,2.0,405.0,811
"""


def _folder(root: Path, wide: str = WIDE, name: str = "PM2_drivetrain.csv") -> Path:
    (root / "series").mkdir(parents=True)
    (root / "assets.csv").write_text(ASSETS, encoding="utf-8")
    (root / "series" / name).write_text(wide, encoding="utf-8")
    return root


def test_columns_naming_assets_become_those_assets_series(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        data = read_user_folder(_folder(tmp_path))
    by_asset = {s.asset_id: s for s in data.series}
    assert sorted(by_asset) == ["DR-101", "GB-101", "PM2_drivetrain"]
    gearbox = by_asset["GB-101"]
    assert gearbox.channels == ("Oil Temp (°C)", "Vib (mm/s)")
    np.testing.assert_allclose(gearbox.values[:, 0], [57.1, 56.3, np.nan], rtol=1e-6)
    assert gearbox.observed[:, 0].tolist() == [True, True, False]
    assert gearbox.meta["units"] == {"Oil Temp (°C)": "°C", "Vib (mm/s)": "mm/s"}
    assert by_asset["DR-101"].channels == ("Motor Current (A)",)
    # the column naming no asset stays with the file, and the warning says which it is
    assert by_asset["PM2_drivetrain"].channels == ("Line Speed (m/min)",)
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "Line Speed (m/min)" in said


def test_an_id_inside_a_longer_id_does_not_match(tmp_path: Path) -> None:
    wide = "time,P-10 Flow,P-1 Flow\n2024-01-01 00:00,5,6\n2024-01-01 01:00,5,7\n"
    data = read_user_folder(_folder(tmp_path, wide, "pumps.csv"))
    by_asset = {s.asset_id: s for s in data.series}
    assert sorted(by_asset) == ["P-1", "P-10"]
    assert by_asset["P-1"].values[:, 0].tolist() == [6, 7]
    assert by_asset["P-10"].values[:, 0].tolist() == [5, 5]


def test_an_assets_own_file_keeps_its_column_names(tmp_path: Path) -> None:
    wide = "time,GB-101 Oil Temp\n2024-01-01 00:00,5\n2024-01-01 01:00,6\n"
    data = read_user_folder(_folder(tmp_path, wide, "GB-101.csv"))
    assert [(s.asset_id, s.channels) for s in data.series] == [("GB-101", ("GB-101 Oil Temp",))]


def test_a_file_of_no_asset_without_asset_columns_is_read_whole(tmp_path: Path) -> None:
    wide = "time,Oil Temp,Vib\n2024-01-01 00:00,5,1\n2024-01-01 01:00,6,1\n"
    data = read_user_folder(_folder(tmp_path, wide, "line2.csv"))
    assert [(s.asset_id, s.channels) for s in data.series] == [("line2", ("Oil Temp", "Vib"))]
