"""What a user's folder reads and says: names in any case, files not read, header-only files
(user report items 9 and 20)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from moesaic.data.readers import read_user_folder
from moesaic.data.tables import DataFormatError

ASSETS = "asset_id,asset_type\nP-1,pump\nP-2,fan\n"
ORDERS = "wo_id,asset_id,text\nW-1,P-1,seal leak\n"


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_documented_names_are_read_in_any_case(tmp_path: Path) -> None:
    _write(tmp_path, "Assets.CSV", ASSETS)
    _write(tmp_path, "WORK_ORDERS.csv", ORDERS)
    _write(tmp_path, "Series/P-1.csv", "time,temp\n2024-01-01 00:00,20\n2024-01-01 01:00,21\n")
    data = read_user_folder(tmp_path)
    assert (len(data.assets), len(data.documents), len(data.series)) == (2, 1, 1)


def test_files_that_are_not_read_are_listed_in_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write(tmp_path, "assets.csv", ASSETS)
    _write(tmp_path, "notes.txt", "hello")
    _write(tmp_path, "old/work_orders.csv", ORDERS)
    _write(tmp_path, ".hidden", "")
    with caplog.at_level(logging.WARNING, logger="moesaic.data.readers"):
        data = read_user_folder(tmp_path)
    assert len(data.assets) == 2
    (record,) = [r for r in caplog.records if "not read" in r.getMessage()]
    assert "['notes.txt', 'old/'] not read" in record.getMessage()


def test_a_folder_whose_files_are_all_read_gives_no_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write(tmp_path, "assets.csv", ASSETS)
    _write(tmp_path, "work_orders.csv", ORDERS)
    with caplog.at_level(logging.WARNING, logger="moesaic.data.readers"):
        read_user_folder(tmp_path)
    assert caplog.records == []


def test_two_files_differing_only_by_case_are_refused_naming_both(tmp_path: Path) -> None:
    _write(tmp_path, "Assets.CSV", ASSETS)
    _write(tmp_path, "assets.csv", ASSETS)
    if len(list(tmp_path.iterdir())) < 2:
        pytest.skip("a file system that ignores case holds one file")
    with pytest.raises(DataFormatError, match=re.escape("['Assets.CSV', 'assets.csv'] differ only by case")):
        read_user_folder(tmp_path)


def test_a_header_only_file_is_named_as_holding_no_rows(tmp_path: Path) -> None:
    _write(tmp_path, "work_orders.csv", "wo_id;asset_id;text;created\n")
    with pytest.raises(DataFormatError) as caught:
        read_user_folder(tmp_path)
    message = str(caught.value)
    assert "no records to read: work_orders.csv holds a header and no rows" in message
    assert "found ['work_orders.csv']" not in message


def test_a_header_only_file_beside_other_records_is_not_an_error(tmp_path: Path) -> None:
    _write(tmp_path, "assets.csv", ASSETS)
    _write(tmp_path, "work_orders.csv", "wo_id,asset_id,text\n")
    assert read_user_folder(tmp_path).counts()["assets"] == 2


def test_a_folder_saved_by_excel_in_windows_1252_reads_with_one_warning_per_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # user report: a folder's work orders with "°C" and "café" failed as "not valid utf-8"
    # although every CSV falls back to Windows-1252
    (tmp_path / "work_orders.csv").write_bytes(
        "wo_id,asset_id,text\nW-1,P-1,seal leak at 80 °C near the café\n".encode("cp1252")
    )
    (tmp_path / "assets.csv").write_bytes("asset_id,asset_type\nP-1,pompe à eau\n".encode("cp1252"))
    with caplog.at_level(logging.WARNING):
        data = read_user_folder(tmp_path)
    assert data.documents[0].text == "seal leak at 80 °C near the café"
    assert data.assets[0].asset_type == "pompe à eau"
    fallbacks = [r.getMessage() for r in caplog.records if "read it as Windows-1252" in r.getMessage()]
    assert len(fallbacks) == 2
