"""Header names of a plant's own exports: spaces around separators and any case (user report items 1, 19)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from moesaic.cli.app import app
from moesaic.data.readers import read_assets_csv, read_user_folder, read_work_orders_csv
from moesaic.data.tables import DataFormatError, read_csv_checked


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "header",
    ["wo_id ;asset_id;text", "wo_id ; asset_id ; text", " wo_id;asset_id ;text "],
)
def test_spaces_around_separators_in_a_work_order_header_are_stripped(tmp_path: Path, header: str) -> None:
    path = _write(tmp_path, "work_orders.csv", f"{header}\nA1;P-1;fuite\nNA;P-2;bruit\n")
    first, second = read_work_orders_csv(path)
    assert (first.doc_id, first.asset_id, first.text) == ("A1", "P-1", "fuite")
    assert second.doc_id == "NA"  # an identifier column is still read as written, not as missing


def test_spaces_in_an_asset_header_are_stripped(tmp_path: Path) -> None:
    path = _write(tmp_path, "assets.csv", "asset_id ,asset_type , site\nP-1,pump, Lyon\n")
    (asset,) = read_assets_csv(path)
    assert (asset.asset_id, asset.asset_type, asset.attributes) == ("P-1", "pump", {"site": "Lyon"})


def test_a_spaced_header_ingests_from_the_command_line(tmp_path: Path) -> None:
    """The report's exact reproduction ended in AttributeError: 'DataFrame' object has no attribute 'str'."""
    _write(tmp_path / "spaced", "work_orders.csv", "wo_id ;asset_id;text\nA1;P-1;fuite\n")
    result = CliRunner().invoke(
        app, ["kb", "ingest", str(tmp_path / "spaced"), "--kb", str(tmp_path / "kb"), "--embedder", "hashing"]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"documents\s*│\s*1\s", result.output)


def test_documented_column_names_are_matched_in_any_case(tmp_path: Path) -> None:
    text = "WO_ID;Asset_ID;Text;Created;COST;Labour_Hours;Failure_Code;Techniker\n"
    text += "W-1;P-1;Lager defekt;2024-02-13 14:05;1.250,50;2,5;BRG;Müller\n"
    (order,) = read_work_orders_csv(_write(tmp_path, "work_orders.csv", text))
    assert (order.doc_id, order.asset_id, order.text) == ("W-1", "P-1", "Lager defekt")
    assert str(order.time) == "2024-02-13 14:05:00"
    # Documented names take their documented spelling; other columns keep the file's.
    assert order.fields == {"failure_code": "BRG", "Techniker": "Müller", "cost": 1250.5, "labour_hours": 2.5}
    (asset,) = read_assets_csv(_write(tmp_path, "assets.csv", "Asset_ID,ASSET_TYPE\nP-1,pump\n"))
    assert (asset.asset_id, asset.asset_type) == ("P-1", "pump")


def test_two_spellings_of_one_documented_column_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "work_orders.csv", "wo_id,asset_id,Text,text\nA1,P-1,a,b\n")
    with pytest.raises(DataFormatError, match=r"line 1: columns 'Text' and 'text' are both read as 'text'"):
        read_work_orders_csv(path)


def test_an_unknown_required_name_is_still_refused_listing_the_columns(tmp_path: Path) -> None:
    _write(tmp_path, "work_orders.csv", "anlage;bemerkung\nP-1;fuite\n")
    with pytest.raises(DataFormatError) as caught:
        read_user_folder(tmp_path)
    assert "missing required column(s) ['wo_id', 'asset_id', 'text']" in str(caught.value)
    assert "found columns ['anlage', 'bemerkung']" in str(caught.value)


def test_required_names_of_any_checked_table_match_in_any_case(tmp_path: Path) -> None:
    path = _write(tmp_path, "t.csv", " ID ,Value\n1,2\n")
    assert list(read_csv_checked(path, required=("id",))) == ["id", "Value"]
    assert list(read_csv_checked(path)) == ["ID", "Value"]  # nothing asked: names as written, stripped


def test_a_written_out_action_column_is_added_to_the_text_and_a_coded_one_is_not(tmp_path: Path) -> None:
    # walk-through: "Action Taken" held "replcd NDE brg"; asked about bearing replacements, the base
    # read only "Problem Description" and found none
    rows = "".join(f"W{i},P-1,brg noisy {i},replaced bearing and aligned {i}\n" for i in range(13))
    written = _write(tmp_path / "a", "wo.csv", "WO Number,Asset,Problem Description,Action Taken\n" + rows
                     + "W13,P-1,PM round,done\nW14,P-1,seal leak.,\n")  # fmt: skip
    orders = read_work_orders_csv(written)
    assert orders[0].text == "brg noisy 0. replaced bearing and aligned 0"
    assert orders[0].fields["Action Taken"] == "replaced bearing and aligned 0"  # still a field
    assert [o.text for o in orders[13:]] == ["PM round", "seal leak."]  # "done" and nothing add nothing
    coded = _write(tmp_path / "b", "wo.csv", "wo_id,asset_id,text,action\nW1,P-1,brg noisy,REPLACE\n")
    assert read_work_orders_csv(coded)[0].text == "brg noisy"


def test_a_completed_column_is_read_in_the_order_of_the_report_dates(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # walk-through: "Completed" stayed text, so no downtime and no "completed in December" was read
    text = (
        "WO Number,Equipment,Description,Reported,Completed\n"
        "W1,P-1,seal leak,03/04/2024 08:00,04/04/2024 10:30\n"  # neither date decides the order...
        "W2,P-1,brg noisy,13/04/2024 09:00,14/04/2024 09:00\n"  # ...13 is a day: day first for both
        "W3,P-1,PM round,20/04/2024 07:00,pending\n"
        "W4,P-1,filter dp hi,21/04/2024 07:00,\n"
    )
    with caplog.at_level("WARNING"):
        orders = read_work_orders_csv(_write(tmp_path, "wo.csv", text))
    assert orders[0].time == pd.Timestamp("2024-04-03 08:00")
    assert [o.fields["completed"] for o in orders] == [
        "2024-04-04 10:30:00", "2024-04-14 09:00:00", "pending", None,
    ]  # fmt: skip
    assert "1 cells are no date (first: 'pending')" in caplog.text
