"""A site's own exports as maintenance systems and Excel write them (a user test, 2026-12-03):
other column names, Windows-1252 text, spaces between thousands, empty rows below the data, and
an FMEA sheet with fewer columns than the 12 of the common layout."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from moesaic.data.readers import read_assets_csv, read_work_orders_csv
from moesaic.data.readers_fmea import read_fmea
from moesaic.data.tables import DataFormatError, column_key

ORDERS = (
    "WO Number;Equipment;Date Raised;Description;Failure Code;Cost (EUR);Labour Hrs;Priorité\n"
    "WO-1;P-101;14/03/2023;brg noisy, replaced bearing;BRG;1 850,00;6;Haute\n"
    "WO-2;P-102;02/05/2023;seal leaking;SEAL;12 400;5;Basse\n"
    ";;;;;;;\n"
    ";;;;;;;\n"
)


def test_column_keys_ignore_case_punctuation_and_a_unit_in_brackets() -> None:
    assert column_key("WO Number") == "wo_number"
    assert column_key(" Cost (EUR) ") == "cost"
    assert column_key("Temp [°C]") == "temp"
    assert column_key("Labour-Hrs.") == "labour_hrs"


def test_a_cmms_export_in_windows_1252_reads_with_warnings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "work_orders.csv"
    path.write_bytes(ORDERS.encode("cp1252"))
    with caplog.at_level(logging.WARNING):
        first, second = read_work_orders_csv(path)
    assert "not UTF-8 text; read it as Windows-1252" in caplog.text
    assert "'WO Number' as 'wo_id'" in caplog.text and "'Equipment' as 'asset_id'" in caplog.text
    assert (first.doc_id, first.asset_id, first.text) == ("WO-1", "P-101", "brg noisy, replaced bearing")
    assert str(first.time.date()) == "2023-03-14"
    assert first.fields["cost"] == 1850.0 and second.fields["cost"] == 12400.0
    assert first.fields["labour_hours"] == 6.0 and first.fields["failure_code"] == "BRG"
    assert first.fields["Priorité"] == "Haute"


def test_a_named_column_wins_over_another_name_of_it(tmp_path: Path) -> None:
    path = tmp_path / "work_orders.csv"
    path.write_text("wo_id,asset_id,text,Description\nA,P-1,the text,a note\n", encoding="utf-8")
    (order,) = read_work_orders_csv(path)
    assert order.text == "the text" and order.fields["Description"] == "a note"


def test_rows_left_empty_below_the_data_are_dropped_and_lines_stay_right(tmp_path: Path) -> None:
    path = tmp_path / "work_orders.csv"
    path.write_text("wo_id;asset_id;text\nA;P-1;x\n;;\nB;P-1;\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"line 4, column 'text': expected the work order text"):
        read_work_orders_csv(path)
    path.write_text("asset_id;type\n;\n;\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="every data row is empty"):
        read_assets_csv(path)


def test_an_asset_register_with_other_names(tmp_path: Path) -> None:
    path = tmp_path / "assets.csv"
    path.write_text("Equipment,Equipment Type,site\nP-1,pump,Lyon\n", encoding="utf-8")
    (asset,) = read_assets_csv(path)
    assert (asset.asset_id, asset.asset_type, asset.attributes) == ("P-1", "pump", {"site": "Lyon"})


def test_a_short_fmea_sheet_reads_with_an_rpn_computed(tmp_path: Path) -> None:
    path = tmp_path / "fmea.csv"
    path.write_text(
        "Component,Failure Mode,Effect,Cause,S,O,D,Recommended Action\n"
        "Pump bearing,Bearing wear,High vibration,Poor lubrication,7,5,4,Replace bearing\n"
        ",Seal leak,Fluid loss,Dry running,6,4,3,Replace seal\n",
        encoding="utf-8",
    )
    first, second = read_fmea(path).documents
    assert first.fields["Potential Failure Mode"] == "Bearing wear" and first.fields["RPN"] == 140
    assert first.fields["Subsystem"] == "" and first.fields["Current Controls"] == ""
    assert second.fields["Component"] == "Pump bearing"  # a blank level is merged with the row above
    assert second.fields["RPN"] == 72
    path.write_text("Component,Failure Mode,S,O\nPump,Wear,7,5\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"missing required column\(s\) \['Detection'\]"):
        read_fmea(path)
