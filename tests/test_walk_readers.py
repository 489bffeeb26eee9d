"""Reader findings of user walk-throughs: mixed UTC offsets (A12) and decimal commas decided per
column (A14, C5); a preamble above a header of decimal-comma rows, dates that read either way,
commas between thousands and a currency beside a cost, mixed decimal marks, the work-order type and
a unit in a column name."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pytest

from moesaic.data.readers import read_assets_csv, read_series_file, read_user_folder, read_work_orders_csv
from moesaic.data.tables import DataFormatError
from moesaic.reports.scenarios.coding import is_routine_check


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


# ---------------------------------------------------------------- a preamble above decimal commas


@pytest.mark.parametrize("rows", [3, 6])
def test_a_preamble_above_semicolon_rows_of_decimal_commas_is_left_out(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, rows: int
) -> None:
    # every row has as many "," (decimal commas) as ";": the header still names the separator
    data = [f"2025-03-01 0{h}:00;1,{h};2,{h};3,5" for h in range(rows)]
    text = "Plant: North\nExported 2025-04-02\ntime;a;b;c\n" + "\n".join(data) + "\n"
    path = write(tmp_path, "p.csv", text)
    with caplog.at_level(logging.WARNING):
        series = read_series_file(path)
    assert series.channels == ("a", "b", "c")
    np.testing.assert_allclose(series.values[:, 0], [1 + h / 10 for h in range(rows)], rtol=1e-6)
    assert f"{path}: lines 1, 2 above the header (line 3) are not data" in warnings_of(caplog)[0]


def test_a_comma_in_the_times_does_not_hide_the_header_below_a_preamble(tmp_path: Path) -> None:
    # milliseconds after a comma give "," more per row than ";"
    data = [f"01.03.2025 00:00:0{s},000;1,5;2,5" for s in range(4)]
    text = "Anlage: Pumpe\n" + "Zeit;a;b\n" + "\n".join(data) + "\n"
    series = read_series_file(write(tmp_path, "ms.csv", text))
    assert series.channels == ("a", "b") and series.length == 4


# ---------------------------------------------------------------- dates that read either way


def test_monthly_dates_read_month_first_as_evenly_spaced_days_are_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = "date,flow\n01/03/2025,1\n01/04/2025,2\n01/05/2025,3\n01/06/2025,4\n"
    path = write(tmp_path, "P1.csv", text)
    with caplog.at_level(logging.WARNING):
        series = read_series_file(path)
    assert [str(t)[:10] for t in series.time] == ["2025-01-03", "2025-01-04", "2025-01-05", "2025-01-06"]
    (warning,) = warnings_of(caplog)
    assert warning.startswith(f"{path}, column 'date': dates such as '01/03/2025' (line 2) read month first")
    assert "month first they are evenly spaced more often: 2025-01-03 to 2025-01-06" in warning
    assert "day first they would be 2025-03-01 to 2025-06-01" in warning
    assert "write the dates as YYYY-MM-DD" in warning


def test_dotted_dates_that_run_forward_either_way_are_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, "d.csv", "datum;flow\n01.03.2025;1\n02.03.2025;2\n03.03.2025;3\n")
    with caplog.at_level(logging.WARNING):
        series = read_series_file(path)
    assert [str(t)[:10] for t in series.time] == ["2025-03-01", "2025-03-02", "2025-03-03"]
    (warning,) = warnings_of(caplog)
    assert "column 'datum': dates such as '01.03.2025' (line 2) read day first" in warning
    assert "month first they would be 2025-01-03 to 2025-03-03" in warning


def test_dates_that_run_forward_in_one_order_only_are_read_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # day first: 1 Feb, 1 Mar, 3 Jan goes back; month first runs forward
    path = write(tmp_path, "f.csv", "time,v\n01/02/2024,1\n01/03/2024,2\n03/01/2024,3\n")
    with caplog.at_level(logging.WARNING):
        series = read_series_file(path)
    assert [str(t)[:10] for t in series.time] == ["2024-01-02", "2024-01-03", "2024-03-01"]
    assert warnings_of(caplog) == []


# ---------------------------------------------------------------- commas between thousands


def test_commas_between_thousands_are_read_beside_a_decimal_point(tmp_path: Path) -> None:
    text = 'wo_id,asset_id,text,cost\n1,P1,seal,"1,200.00"\n2,P1,pump,"12,500"\n3,P1,noise,80\n'
    orders = read_work_orders_csv(write(tmp_path, "wo.csv", text))
    assert [o.fields["cost"] for o in orders] == [1200.0, 12500.0, 80.0]


def test_commas_between_thousands_are_read_in_a_series_with_two_of_them(tmp_path: Path) -> None:
    text = 'time,energy\n2025-03-01,"1,020,300"\n2025-03-02,"1,020,450"\n2025-03-03,999\n'
    series = read_series_file(write(tmp_path, "e.csv", text))
    np.testing.assert_allclose(series.values[:, 0], [1020300, 1020450, 999])


def test_a_comma_that_may_be_a_decimal_comma_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "wo.csv", 'wo_id,asset_id,text,cost\n1,P1,seal,80\n2,P1,pump,"1,200"\n')
    message = "expected a number, found '1,200'; its comma may separate thousands or be a decimal comma"
    with pytest.raises(DataFormatError, match=re.escape(f"{path}, line 3, column 'cost': {message}")):
        read_work_orders_csv(path)


def test_a_cell_that_is_no_number_is_named_before_commas_between_thousands(tmp_path: Path) -> None:
    text = 'wo_id,asset_id,text,cost\n1,P1,seal,"1,200.00"\n2,P1,noise,80\n3,P1,trip,"ca. 95"\n'
    path = write(tmp_path, "wo.csv", text)
    message = f"{path}, line 4, column 'cost': expected a number, found 'ca. 95'"
    with pytest.raises(DataFormatError, match=re.escape(message)):
        read_work_orders_csv(path)


# ---------------------------------------------------------------- decimal commas beside points


def test_a_column_mixing_decimal_commas_and_points_names_both_kinds(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "time;a;b\n2025-03-01 00:00;0,75;1\n2025-03-01 01:00;2.46;2\n")
    message = (
        f"{path}, line 2, column 'a': expected numbers with one decimal mark, found decimal commas "
        "('0,75', line 2) and decimal points ('2.46', line 3) in one column"
    )
    with pytest.raises(DataFormatError, match=re.escape(message)):
        read_series_file(path)


# ---------------------------------------------------------------- the work-order type


@pytest.mark.parametrize("name", ["Order Type", "Work Type", "WO Type", "Maintenance Type", "Type of Work"])
def test_an_order_type_column_is_read_as_wo_type(tmp_path: Path, name: str) -> None:
    rows = [
        "1,P1,monthly inspection ok,PM",
        "2,P1,replaced seal,CM",
        "3,P1,function test ok,PM",
        "4,P1,greased,PM",
    ]
    orders = read_work_orders_csv(
        write(tmp_path, "wo.csv", f"WO Number,Equipment,Description,{name}\n" + "\n".join(rows))
    )
    assert [o.fields["wo_type"] for o in orders] == ["PM", "CM", "PM", "PM"]
    assert [is_routine_check(o) for o in orders] == [True, False, True, False]


@pytest.mark.parametrize(
    ("sep", "cells", "expected"),
    [
        (",", ['"$1,200.00"', "80", '"€ 95.50"'], [1200.0, 80.0, 95.5]),
        (";", ["95,50 EUR", "1 850,00 €", "12"], [95.5, 1850.0, 12.0]),
    ],
)
def test_a_currency_sign_or_code_beside_a_cost_is_left_out(
    tmp_path: Path, sep: str, cells: list[str], expected: list[float]
) -> None:
    rows = [sep.join([str(i), "P1", "seal leak", cell]) for i, cell in enumerate(cells, 1)]
    path = tmp_path / "work_orders.csv"
    path.write_text(
        "\n".join([sep.join(["wo_id", "asset_id", "text", "cost"]), *rows]) + "\n", encoding="utf-8"
    )
    assert [d.fields["cost"] for d in read_work_orders_csv(path)] == expected


def test_a_unit_at_the_end_of_a_column_name_is_the_channel_unit(tmp_path: Path) -> None:
    text = "time,Brg Temp DE (°C),Flow [m3/h],vibration_mm_s,Sensor (2)\n"
    text += "".join(f"2024-01-01 0{h}:00,{40 + h},{10 + h},{h},{h}\n" for h in range(4))
    path = write(tmp_path, "p.csv", text)
    assert read_series_file(path).meta["units"] == {"Brg Temp DE (°C)": "°C", "Flow [m3/h]": "m3/h"}


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        ("asset_id,Equipment,Site", "P-1,centrifugal pump,North", ("P-1", "centrifugal pump")),
        ("Equipment,Type", "P-1,pump", ("P-1", "pump")),  # alone, the equipment is the id
        ("asset_id,Equipment,Type", "P-1,Feed pump 1,pump", ("P-1", "pump")),  # "type" before "equipment"
    ],
)
def test_an_equipment_column_beside_an_id_column_is_the_asset_type(
    tmp_path: Path, header: str, row: str, expected: tuple[str, str]
) -> None:
    (asset,) = read_assets_csv(write(tmp_path, "assets.csv", f"{header}\n{row}\n"))
    assert (asset.asset_id, asset.asset_type) == expected


def test_asset_ids_missing_from_the_register_are_named_with_where_they_were_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # walk-through: "asset ids not in assets.csv: ['XX-7', 'ZZ-99']" said neither file nor order
    write(tmp_path, "assets.csv", "asset_id,asset_type\nP-1,pump\n")
    write(tmp_path, "work_orders.csv", "wo_id,asset_id,text\nW1,P-1,seal leak\nW2,XX-7,brg noisy\n")
    (tmp_path / "series").mkdir()
    write(tmp_path / "series", "ZZ-99.csv", "time,flow\n2024-01-01 00:00,1\n2024-01-01 01:00,2\n")
    with caplog.at_level(logging.WARNING):
        read_user_folder(tmp_path)
    said = [w for w in warnings_of(caplog) if "asset ids not in assets.csv" in w]
    assert len(said) == 1 and "'XX-7' (work order W2); 'ZZ-99' (series/ZZ-99.csv)" in said[0], said


def test_a_date_and_a_clock_column_in_german_are_one_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Paper-mill walkthrough: "Datum;Zeit" was refused as "duplicated timestamp '17.10.2024' ... the
    clock goes back here, as local times do where daylight saving time ends"."""
    path = tmp_path / "VP-301.csv"
    path.write_text(
        "Logger: PM2 vacuum DL-07\nDatum;Zeit;Vacuum (kPa);Power (kW)\n"
        "17.10.2024;00:00;-55,0;133,3\n17.10.2024;00:01;-55,2;131,0\n17.10.2024;00:02;-55,1;132,0\n",
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING):
        series = read_series_file(path)
    assert series.channels == ("Vacuum (kPa)", "Power (kW)") and series.meta["time_column"] == "Datum Zeit"
    assert str(series.time[1])[:16] == "2024-10-17T00:01"
    assert f"{path}: line 1 above the header (line 2) is not data; it is left out" in warnings_of(caplog)[0]
