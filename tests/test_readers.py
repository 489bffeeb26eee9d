"""Tests of the generic readers for a user's own files (moesaic.data.readers)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from moesaic.data.readers import (
    read_assets_csv,
    read_drawing_image,
    read_series_file,
    read_user_folder,
    read_work_orders_csv,
    sniff_separator,
)
from moesaic.data.tables import DataFormatError


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def where(path: Path, line: int | None = None, column: str | None = None) -> str:
    """The start of a DataFormatError message, as a regular expression."""
    parts = [re.escape(str(path))]
    if line is not None:
        parts.append(f"line {line}")
    if column is not None:
        parts.append(f"column {re.escape(repr(column))}")
    return "^" + ", ".join(parts) + ": "


def image_bytes(fmt: str, size: tuple[int, int] = (12, 8)) -> bytes:
    import io

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, format=fmt)
    return buffer.getvalue()


SERIES = "time,flow,temp\n2024-01-01 00:00,1.5,20\n2024-01-01 01:00,,21\n2024-01-01 02:00,2.5,\n"


# ----------------------------------------------------------------------------- series: happy paths


def test_series_with_missing_values_has_observed_mask(tmp_path: Path) -> None:
    series = read_series_file(write(tmp_path, "pump.csv", SERIES), asset_id="P-1")
    assert (series.series_id, series.asset_id, series.channels) == ("pump", "P-1", ("flow", "temp"))
    assert series.values.dtype == np.float32 and series.values.shape == (3, 2)
    np.testing.assert_array_equal(series.observed, [[True, True], [False, True], [True, False]])
    assert np.isnan(series.values[1, 0]) and series.values[2, 0] == 2.5
    assert series.time.dtype == np.dtype("datetime64[ns]")
    assert series.meta["time_column"] == "time"


@pytest.mark.parametrize("sep", [";", "\t"])
def test_semicolon_and_tab_files_are_sniffed(tmp_path: Path, sep: str) -> None:
    path = write(tmp_path, "s.csv", SERIES.replace(",", sep))
    assert sniff_separator(path) == sep
    series = read_series_file(path)
    assert series.channels == ("flow", "temp") and series.length == 3


def test_decimal_commas_are_read_when_commas_do_not_separate_fields(tmp_path: Path) -> None:
    text = "time;flow;note;temp\n2024-01-01 00:00;0,5;a,b;12\n2024-01-01 01:00;;c;-1,25e1\n"
    series = read_series_file(write(tmp_path, "eu.csv", text), channels=["flow", "temp"])
    np.testing.assert_allclose(series.values, [[0.5, 12.0], [np.nan, -12.5]])
    assert series.observed.tolist() == [[True, True], [False, True]]
    with pytest.raises(DataFormatError, match=where(tmp_path / "eu.csv", column="note") + "expected numbers"):
        read_series_file(tmp_path / "eu.csv")  # "a,b" is text: the column is left as it is


def test_thousands_points_are_read_in_a_decimal_comma_file_only(tmp_path: Path) -> None:
    text = "time;flow;count;temp\n2024-01-01;980,45;980;20,5\n2024-01-02;1.004,96;1.005;21\n"
    series = read_series_file(write(tmp_path, "de.csv", text))
    np.testing.assert_allclose(series.values, [[980.45, 980.0, 20.5], [1004.96, 1005.0, 21.0]])
    points = "time;flow;ratio\n2024-01-01;1.005;0.5\n2024-01-02;2.125;0.25\n"  # no decimal comma anywhere
    np.testing.assert_allclose(
        read_series_file(write(tmp_path, "pt.csv", points)).values, [[1.005, 0.5], [2.125, 0.25]]
    )


def test_space_aligned_files_are_read_and_a_file_without_header_is_refused(tmp_path: Path) -> None:
    aligned = "cycle   temp  flow\n1   20.5  3\n2   21.0  4\n3   21.5  5\n"
    series = read_series_file(write(tmp_path, "log.txt", aligned))
    assert series.channels == ("temp", "flow") and series.time.tolist() == [1, 2, 3]
    message = where(tmp_path / "raw.txt", line=1) + "expected a header line of column names, found numbers"
    with pytest.raises(DataFormatError, match=message):
        read_series_file(write(tmp_path, "raw.txt", "1 1 -0.0007 100.0\n1 2 0.0019 100.0\n"))


def test_explicit_separator(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", SERIES.replace(",", "|"))
    assert read_series_file(path, sep="|").channels == ("flow", "temp")


def test_unsorted_times_are_sorted_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, "s.csv", "Timestamp,v\n2024-01-03,3\n2024-01-01,1\n2024-01-02,2\n")
    with caplog.at_level(logging.WARNING, logger="moesaic.data.readers"):
        series = read_series_file(path)
    assert series.values[:, 0].tolist() == [1.0, 2.0, 3.0]
    assert np.all(np.diff(series.time) > np.timedelta64(0))
    assert "not in time order" in caplog.text


def test_label_columns_become_labels_not_channels(tmp_path: Path) -> None:
    content = (
        "time;temp;Anomaly;changepoint;fault;label\n"
        "2024-01-03;3,5;1.0;0;0.5;\n2024-01-01;1,5;0.0;1;0.25;2\n2024-01-02;2,5;;0;0.75;0\n"
    )  # unsorted; "fault" holds fractions, so it is a reading; "label" has an empty cell
    series = read_series_file(write(tmp_path, "s.csv", content))
    assert series.channels == ("temp", "fault")
    assert sorted(series.labels) == ["Anomaly", "changepoint", "label"]
    np.testing.assert_array_equal(series.labels["Anomaly"], [0.0, np.nan, 1.0])  # sorted with the rows
    assert series.labels["changepoint"].tolist() == [1.0, 0.0, 0.0]
    assert series.values[:, 0].tolist() == [1.5, 2.5, 3.5]
    chosen = read_series_file(write(tmp_path, "s.csv", content), channels=["temp", "Anomaly"])
    assert chosen.channels == ("temp", "Anomaly")  # named channels stay channels
    assert sorted(chosen.labels) == ["changepoint", "label"]  # the others are still labels


def test_row_counters_are_not_channels(tmp_path: Path) -> None:
    rows = "\n".join(
        f"{i},{i + 1},{2024 + i},{i % 3}.5" for i in range(50)
    )  # pandas' index, a 1-based "Sample"
    series = read_series_file(write(tmp_path, "s.csv", ",Sample,year,v\n" + rows + "\n"))
    assert series.channels == ("year", "v")  # "year" also goes up by 1, but its name says it measures
    assert series.meta["index_columns"] == ["Unnamed: 0", "Sample"]
    restart = "\n".join(f"{i % 25},{i}.5" for i in range(50))  # a counter that restarts: 2 % of steps
    assert read_series_file(write(tmp_path, "r.csv", "index,v\n" + restart + "\n")).channels == ("v",)
    chosen = read_series_file(write(tmp_path, "s.csv", ",Sample,year,v\n" + rows + "\n"), channels=["Sample"])
    assert chosen.channels == ("Sample",)


def test_parquet_round_trip(tmp_path: Path) -> None:
    time = pd.date_range("2024-01-01", periods=4, freq="h")
    frame = pd.DataFrame({"timestamp": time, "a": [1.0, np.nan, 3.0, 4.0], "b": [1, 2, 3, 4]})
    frame.to_parquet(tmp_path / "m.parquet")
    series = read_series_file(tmp_path / "m.parquet")
    assert series.channels == ("a", "b")
    np.testing.assert_array_equal(series.time, time.to_numpy(dtype="datetime64[ns]"))
    np.testing.assert_array_equal(series.values, frame[["a", "b"]].to_numpy(dtype=np.float32))
    assert series.observed[:, 0].tolist() == [True, False, True, True]


def test_parquet_time_index_becomes_the_time(tmp_path: Path) -> None:
    time = pd.date_range("2024-01-01", periods=3, freq="D", tz="Europe/Paris", name="when")
    pd.DataFrame({"v": [1.0, 2.0, 3.0]}, index=time).to_parquet(tmp_path / "m.pq")
    series = read_series_file(tmp_path / "m.pq", time_col="when")
    assert str(series.time[0]) == "2023-12-31T23:00:00.000000000"  # converted to UTC


def test_without_time_column_row_numbers_are_the_time(tmp_path: Path) -> None:
    series = read_series_file(write(tmp_path, "s.csv", "a,b\n1,2\n3,4\n5,6\n"))
    assert series.time.dtype == np.int64 and series.time.tolist() == [0, 1, 2]
    assert series.channels == ("a", "b")


def test_first_column_of_timestamps_is_detected(tmp_path: Path) -> None:
    # what DataFrame.to_csv writes for a frame with a DatetimeIndex: an unnamed first column
    series = read_series_file(write(tmp_path, "s.csv", ",a\n2024-01-01,1\n2024-01-02,2\n"))
    assert series.channels == ("a",) and series.time.dtype == np.dtype("datetime64[ns]")


def test_whole_number_time_column_gives_steps(tmp_path: Path) -> None:
    series = read_series_file(write(tmp_path, "s.csv", "cycle,a\n1,10\n2,11\n3,12\n"), time_col="cycle")
    assert series.time.tolist() == [1, 2, 3] and series.channels == ("a",)


def test_channels_choose_columns_and_skip_text(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "time,status,a,b\n2024-01-01,ok,1,2\n2024-01-02,bad,3,4\n")
    assert read_series_file(path, channels=["b"]).channels == ("b",)


def test_trailing_separator_column_is_dropped(tmp_path: Path) -> None:
    assert read_series_file(write(tmp_path, "s.csv", "a,b,\n1,2,\n3,4,\n")).channels == ("a", "b")


# ----------------------------------------------------------------------------- series: malformed files


def test_missing_requested_column_lists_available(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", SERIES)
    message = where(path, column="pressure") + re.escape(
        "missing column(s) ['pressure']; found columns ['time', "
    )
    with pytest.raises(DataFormatError, match=message):
        read_series_file(path, channels=["flow", "pressure"])
    with pytest.raises(DataFormatError, match=where(path, column="t") + "missing column"):
        read_series_file(path, time_col="t")


def test_non_numeric_value_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", SERIES.replace("2.5", "n/a?"))
    with pytest.raises(
        DataFormatError, match=where(path, line=4, column="flow") + "expected a number, found 'n/a\\?'"
    ):
        read_series_file(path)


def test_text_only_column_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "time,status,a\n2024-01-01,ok,1\n2024-01-02,bad,3\n")
    with pytest.raises(
        DataFormatError, match=where(path, column="status") + "expected numbers, found text only"
    ):
        read_series_file(path)
    # a wrong separator leaves one column of text, named as such
    with pytest.raises(DataFormatError, match=where(path, column="time,status,a") + "expected numbers"):
        read_series_file(path, sep=";")


def test_unparsable_timestamp_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", SERIES.replace("2024-01-01 01:00", "2024-13-45 99:00"))
    message = (
        where(path, line=3, column="time")
        + "expected a timestamp like YYYY-MM-DD hh:mm:ss, found '2024-13-45"
    )
    with pytest.raises(DataFormatError, match=message):
        read_series_file(path)


def _days(series_time: np.ndarray) -> list[str]:
    return [str(t)[:10] for t in series_time]


def test_numbers_only_dates_are_read_in_one_order_for_the_whole_column(tmp_path: Path) -> None:
    # 12/03 alone is ambiguous; 13/03 says day first, so 12/03 is the 12th of March too
    day_first = "time,v\n12/03/2024 23:00,1\n13/03/2024 00:00,2\n"
    assert _days(read_series_file(write(tmp_path, "d.csv", day_first)).time) == ["2024-03-12", "2024-03-13"]
    month_first = "time;v\n03.12.2024;1\n03.13.2024;2\n"
    assert _days(read_series_file(write(tmp_path, "m.csv", month_first)).time) == ["2024-03-12", "2024-03-13"]
    both = "time,v\n13/03/2024,1\n03/14/2024,2\n"
    message = "dates in two orders: '13/03/2024' (line 2) is day first, '03/14/2024' is month first"
    with pytest.raises(DataFormatError, match=re.escape(message)):
        read_series_file(write(tmp_path, "b.csv", both))


def test_a_day_first_time_column_under_another_name_is_found_without_a_pandas_warning(
    tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    text = "Datum;v\n13.03.2024 00:00;1\n13.03.2024 01:00;2\n"
    assert _days(read_series_file(write(tmp_path, "d.csv", text)).time) == ["2024-03-13", "2024-03-13"]
    assert not [str(w.message) for w in recwarn]


def test_undecided_dates_of_a_series_take_the_order_that_runs_forward(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    forward = "time,v\n12/01/2024,1\n01/02/2024,2\n"  # month first would go from December back to January
    assert _days(read_series_file(write(tmp_path, "f.csv", forward)).time) == ["2024-01-12", "2024-02-01"]
    undecided = "time,v\n01.02.2024,1\n01.03.2024,2\n"  # both orders run forward: dots are day first
    with caplog.at_level(logging.WARNING, logger="moesaic.data.times"):
        assert _days(read_series_file(write(tmp_path, "u.csv", undecided)).time) == [
            "2024-02-01",
            "2024-03-01",
        ]
    assert "read day first; no date decides" in caplog.text


def test_undecided_dates_of_a_series_take_the_order_that_is_evenly_spaced(tmp_path: Path) -> None:
    stamps = [f"0{d}/03/2026 {h:02d}:00" for d in range(1, 4) for h in (0, 6, 12, 18)]
    text = "time,v\n" + "\n".join(f"{t},{i}" for i, t in enumerate(stamps)) + "\n"
    # both orders run forward; month first jumps a month at each new day, day first steps 6 hours
    times = read_series_file(write(tmp_path, "d.csv", text)).time
    assert _days(times)[::4] == ["2026-03-01", "2026-03-02", "2026-03-03"]


def test_duplicated_timestamp_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", SERIES.replace("2024-01-01 02:00", "2024-01-01 00:00"))
    with pytest.raises(DataFormatError, match=where(path, line=4, column="time") + "duplicated timestamp"):
        read_series_file(path)


def test_a_time_repeated_where_the_clock_goes_back_suggests_utc(tmp_path: Path) -> None:
    stamps = [
        "2024-10-27 01:30",
        "2024-10-27 02:00",
        "2024-10-27 02:30",
        "2024-10-27 02:00",
        "2024-10-27 02:30",
    ]
    path = write(tmp_path, "s.csv", "time,v\n" + "".join(f"{t},{i}\n" for i, t in enumerate(stamps)))
    with pytest.raises(
        DataFormatError, match=where(path, line=5, column="time") + "duplicated timestamp"
    ) as err:
        read_series_file(path)
    assert "daylight saving time ends: give the times in UTC" in str(err.value)
    repeated = write(
        tmp_path, "r.csv", "time,v\n2024-10-27 01:00,1\n2024-10-27 03:00,2\n2024-10-27 01:00,3\n"
    )
    with pytest.raises(DataFormatError, match="duplicated timestamp") as err:
        read_series_file(repeated)  # two hours back: a copied row, not a clock change
    assert "daylight" not in str(err.value)
    evening = write(tmp_path, "e.csv", "time,v\n2025-03-07 21:40,1\n2025-03-07 21:50,2\n2025-03-07 21:50,3\n")
    with pytest.raises(DataFormatError, match="duplicated timestamp") as err:
        read_series_file(evening)  # a row written twice in the evening: no clock change then
    assert "daylight" not in str(err.value)


def test_duplicated_step_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", "cycle,a\n1,1\n2,2\n2,3\n")
    with pytest.raises(
        DataFormatError, match=where(path, line=4, column="cycle") + "duplicated time step '2'"
    ):
        read_series_file(path, time_col="cycle")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"time,a\n", "the header is there but the file has no data rows"),
        (b"time,a\n2024-01-01,1\n", "expected at least 2 data rows, found 1"),
        (b"time,a\n2024-01-01,1\n2024-01-02,caf\x81\n", "line 3: not valid utf-8 text"),  # nor Windows-1252
        (
            "time,a\n2024-01-01,1\n2024-01-02,caf\u00e9\n".encode("cp1252"),
            "line 3, column 'a': expected a number",
        ),
        ("time,a\n2024-01-01,1\n".encode("utf-16"), "line 1: expected utf-8 text, found UTF-16"),
        (
            b"time,a\n2024-01-01,1\n2024-01-02,1e39\n",
            "line 3, column 'a': expected a number of size below 3.4",
        ),
        (b"time\n2024-01-01\n2024-01-02\n", "no value columns besides the time column 'time'"),
    ],
)
def test_malformed_series_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = write(tmp_path, "bad.csv", content)
    with pytest.raises(DataFormatError, match=re.escape(f"{path}") + ".*" + re.escape(message)):
        read_series_file(path)


def test_corrupt_parquet_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.parquet", SERIES)
    with pytest.raises(DataFormatError, match=where(path) + "not a readable Parquet file"):
        read_series_file(path)


def test_bad_arguments_are_value_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", SERIES)
    with pytest.raises(ValueError, match="`channels` must be a non-empty sequence"):
        read_series_file(path, channels="flow")
    with pytest.raises(ValueError, match="cannot also be one of `channels`"):
        read_series_file(path, time_col="time", channels=["time"])


# ----------------------------------------------------------------------------- work orders and assets

WORK_ORDERS = (
    "wo_id,asset_id,text,created,failure_code,cost,labour_hours,crew\n"
    'WO-1,P-1,"Replaced seal,\nleaking",2024-02-01,SEAL,120.5,2,A\n'
    "WO-2,P-2,Bearing noise,,BRG,,1.5,\n"
)


def test_work_orders_happy_path(tmp_path: Path) -> None:
    docs = read_work_orders_csv(write(tmp_path, "wo.csv", WORK_ORDERS))
    assert [d.doc_id for d in docs] == ["WO-1", "WO-2"] and {d.kind for d in docs} == {"work_order"}
    assert docs[0].text == "Replaced seal,\nleaking" and docs[0].asset_id == "P-1"
    assert docs[0].time == pd.Timestamp("2024-02-01") and docs[1].time is None
    assert docs[0].fields == {"failure_code": "SEAL", "crew": "A", "cost": 120.5, "labour_hours": 2.0}
    assert docs[1].fields == {"failure_code": "BRG", "crew": None, "cost": None, "labour_hours": 1.5}


def test_work_orders_with_semicolons_read_decimal_commas_and_keep_text_commas(tmp_path: Path) -> None:
    text = 'wo_id;asset_id;text;cost\nWO-1;P-1;"seal leak, dripping";120,5\nWO-2;P-1;noise, hot;80\n'
    docs = read_work_orders_csv(write(tmp_path, "wo.csv", text))
    assert [d.fields["cost"] for d in docs] == [120.5, 80.0]
    assert [d.text for d in docs] == ["seal leak, dripping", "noise, hot"]


def test_work_order_dates_of_an_excel_export_are_all_read_day_first(tmp_path: Path) -> None:
    rows = ("WO-1;P-1;leak;01.07.2004", "WO-2;P-1;noise;20.03.2005", "WO-3;P-2;hot;11.06.2006")
    text = "wo_id;asset_id;text;created\n" + "\n".join(rows) + "\n"
    docs = read_work_orders_csv(write(tmp_path, "wo.csv", text))
    assert [str(d.time)[:10] for d in docs] == ["2004-07-01", "2005-03-20", "2006-06-11"]


def test_identifiers_na_and_none_are_kept_as_written(tmp_path: Path) -> None:
    assets = read_assets_csv(write(tmp_path, "a.csv", "asset_id,age\nP-1,3\nNA,NA\nNone,\n"))
    assert [a.asset_id for a in assets] == ["P-1", "NA", "None"]
    assert pd.isna(assets[1].attributes["age"])  # in a value column NA still means missing
    docs = read_work_orders_csv(write(tmp_path, "w.csv", "wo_id,asset_id,text\nNULL,NA,leak\n"))
    assert (docs[0].doc_id, docs[0].asset_id) == ("NULL", "NA")


def test_work_order_duplicated_id_names_line(tmp_path: Path) -> None:
    # the multi-line text of WO-1 takes lines 2-3, so the duplicate is on line 5
    path = write(tmp_path, "wo.csv", WORK_ORDERS + "WO-1,P-3,Again,2024-02-03,,,,\n")
    message = where(path, line=5, column="wo_id") + "duplicated wo_id 'WO-1' \\(first on line 2\\)"
    with pytest.raises(DataFormatError, match=message):
        read_work_orders_csv(path)


def test_work_order_empty_text_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "wo.csv", "wo_id,asset_id,text\nWO-1,P-1,ok\nWO-2,P-1,  \n")
    with pytest.raises(
        DataFormatError, match=where(path, line=3, column="text") + "expected the work order text"
    ):
        read_work_orders_csv(path)


def test_work_order_non_numeric_cost_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "wo.csv", "wo_id,asset_id,text,cost\nWO-1,P-1,ok,12\nWO-2,P-1,ok,twelve\n")
    with pytest.raises(
        DataFormatError, match=where(path, line=3, column="cost") + "expected a number, found 'twelve'"
    ):
        read_work_orders_csv(path)


def test_work_order_bad_date_and_missing_column(tmp_path: Path) -> None:
    path = write(tmp_path, "wo.csv", "wo_id,asset_id,text,date\nWO-1,P-1,ok,\nWO-2,P-1,ok,someday\n")
    with pytest.raises(DataFormatError, match=where(path, line=3, column="date") + "expected a timestamp"):
        read_work_orders_csv(path)
    path = write(tmp_path, "wo2.csv", "wo_id,text\nWO-1,ok\n")
    with pytest.raises(DataFormatError, match=where(path, column="asset_id") + "missing required column"):
        read_work_orders_csv(path)


def test_assets_happy_path(tmp_path: Path) -> None:
    path = write(
        tmp_path, "assets.csv", "asset_id;asset_type;power_kw;site;rpm\nP-1;pump;7.5;north;1450\nP-2;;11;;\n"
    )
    assets = read_assets_csv(path)
    assert [(a.asset_id, a.asset_type) for a in assets] == [("P-1", "pump"), ("P-2", "")]
    assert assets[0].attributes == {"power_kw": 7.5, "site": "north", "rpm": 1450}
    assert isinstance(assets[0].attributes["rpm"], int)
    assert assets[1].attributes == {"power_kw": 11.0, "site": None, "rpm": None}


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("asset_id,asset_type\nP-1,pump\nP-1,fan\n", 3, "duplicated asset_id 'P-1' \\(first on line 2\\)"),
        ("asset_id,asset_type\nP-1,pump\n,fan\n", 3, "expected an id, found an empty cell"),
    ],
)
def test_assets_bad_ids_name_line(tmp_path: Path, content: str, line: int, message: str) -> None:
    path = write(tmp_path, "assets.csv", content)
    with pytest.raises(DataFormatError, match=where(path, line=line, column="asset_id") + message):
        read_assets_csv(path)


# ----------------------------------------------------------------------------- drawings and folders


@pytest.mark.parametrize(("name", "fmt"), [("d.png", "PNG"), ("d.jpg", "JPEG"), ("d.JPEG", "JPEG")])
def test_drawing_image_happy_path(tmp_path: Path, name: str, fmt: str) -> None:
    drawing = read_drawing_image(write(tmp_path, name, image_bytes(fmt)), asset_id="P-1")
    assert (drawing.drawing_id, drawing.width, drawing.height, drawing.asset_id) == ("d", 12, 8, "P-1")
    assert drawing.fields["format"] == fmt


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("t.png", image_bytes("PNG")[:40], "not a PNG/JPG image, or a corrupt or truncated one"),
        ("t.jpg", image_bytes("JPEG", (64, 64))[:300], "not a PNG/JPG image, or a corrupt or truncated one"),
        ("t.png", b"hello, I am text", "not a PNG/JPG image"),
        ("t.png", image_bytes("GIF"), "not a PNG/JPG image: the content is GIF"),
        (
            "t.pdf",
            b"%PDF-1.4",
            "expected a PNG or JPG image, found a PDF; PDF drawings will be read by the drawings module "
            "\\(via pdftoppm\\)",
        ),
        (
            "t.bmp",
            image_bytes("BMP"),
            "expected a PNG or JPG image \\(.png, .jpg, .jpeg\\), found .bmp suffix",
        ),
    ],
)
def test_bad_drawings_are_reported(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(DataFormatError, match=where(path) + message):
        read_drawing_image(path)


def test_missing_drawing_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="file not found"):
        read_drawing_image(tmp_path / "none.png")


def test_user_folder_builds_maintenance_data(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "plant"
    write(folder, "assets.csv", "asset_id,asset_type\nP-1,pump\nP-2,fan\n")
    write(folder, "work_orders.csv", WORK_ORDERS)
    write(folder, "series/P-1.csv", SERIES)
    write(folder, "series/notes.txt", "ignored")
    write(folder, "drawings/P-1.png", image_bytes("PNG"))
    with caplog.at_level(logging.WARNING, logger="moesaic.data.readers"):
        data = read_user_folder(folder)
    assert data.name == "plant"
    assert data.counts() == {
        "assets": 2,
        "series": 1,
        "series_steps": 3,
        "events": 0,
        "documents": 2,
        "drawings": 1,
    }
    assert data.series[0].asset_id == "P-1" and data.drawings[0].drawing_id == "P-1"
    assert "notes.txt" in caplog.text


def test_user_folder_without_work_orders_yet(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "plant"
    write(folder, "assets.csv", "asset_id,asset_type\nP-1,pump\n")
    write(folder, "work_orders.csv", "wo_id,asset_id,text\n")  # the header of a plant with none yet
    with caplog.at_level(logging.WARNING, logger="moesaic.data.readers"):
        data = read_user_folder(folder)
    assert data.counts()["documents"] == 0 and "a header and no rows" in caplog.text


def test_user_folder_with_nothing_expected_lists_what_is_expected(tmp_path: Path) -> None:
    write(tmp_path, "readme.txt", "hello")
    message = where(tmp_path) + re.escape("expected at least one of assets.csv, work_orders.csv, series/")
    with pytest.raises(DataFormatError, match=message + ".*found \\['readme.txt'\\]"):
        read_user_folder(tmp_path)
    with pytest.raises(DataFormatError, match="expected a folder of maintenance data, found a file"):
        read_user_folder(tmp_path / "readme.txt")


def test_user_folder_rejects_two_files_for_one_asset(tmp_path: Path) -> None:
    write(tmp_path, "series/P-1.csv", SERIES)
    write(tmp_path, "series/P-1.parquet", b"")
    with pytest.raises(
        DataFormatError, match=re.escape("two files for asset 'P-1': ['P-1.csv', 'P-1.parquet']")
    ):
        read_user_folder(tmp_path)


def test_a_text_column_of_a_folders_series_file_is_left_out_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A folder gives no way to choose columns per file: an operator's name column is left out."""
    write(
        tmp_path,
        "series/P-9.csv",
        "time,pressure,operator\n2024-05-01 00:00,3.1,Müller\n2024-05-01 00:01,3.2,Müller\n",
    )
    with caplog.at_level(logging.WARNING, logger="moesaic.data.readers"):
        (series,) = read_user_folder(tmp_path).series
    assert series.channels == ("pressure",) and series.meta["text_columns"] == ["operator"]
    assert "column(s) ['operator'] hold text only" in caplog.text
    with pytest.raises(DataFormatError, match="expected numbers, found text only"):
        read_series_file(tmp_path / "series" / "P-9.csv")  # one file: its columns can be chosen


def test_user_folder_error_names_the_bad_file(tmp_path: Path) -> None:
    write(tmp_path, "series/P-1.csv", SERIES)
    bad = write(tmp_path, "series/P-2.csv", SERIES.replace("21", "hot"))
    with pytest.raises(DataFormatError, match=where(bad, line=3, column="temp")):
        read_user_folder(tmp_path)


@pytest.mark.parametrize(("name", "scale"), [("ts", 1), ("timestamp", 1), ("epoch", 1000)])
def test_unix_times_in_a_clock_time_column_are_read_as_times(tmp_path: Path, name: str, scale: int) -> None:
    start = 1772323200  # 2026-03-01 00:00 UTC
    rows = "\n".join(f"{(start + 300 * i) * scale},{i}" for i in range(4))
    series = read_series_file(write(tmp_path, "e.csv", f"{name},temp\n{rows}\n"))
    assert series.channels == ("temp",)
    assert str(series.time[1]) == "2026-03-01T00:05:00.000000000"


def test_whole_numbers_that_are_no_unix_times_stay_steps(tmp_path: Path) -> None:
    series = read_series_file(write(tmp_path, "s.csv", "time,a\n0,1\n5,2\n10,3\n"))
    assert series.time.dtype == np.int64 and list(series.time) == [0, 5, 10]
    falling = read_series_file(write(tmp_path, "c.csv", "cycle,a\n1772323200,1\n1772323500,2\n"))
    assert falling.time.dtype == np.int64  # a cycle counter is never a clock


def test_a_dash_is_a_missing_reading(tmp_path: Path) -> None:
    series = read_series_file(
        write(tmp_path, "m.csv", "time;a;b\n2024-01-01;0,75;1\n2024-01-02;-;2\n2024-01-03;1,5;\u2014\n")
    )
    assert series.observed.tolist() == [[True, True], [False, True], [True, False]]
    assert series.values[2, 0] == 1.5


def test_a_date_column_and_a_time_of_day_column_are_one_time(tmp_path: Path) -> None:
    text = "Date;Time;temp\n01.03.2026;23:00;1,5\n02.03.2026;00:00;2\n02.03.2026;01:00:30;2,5\n"
    series = read_series_file(write(tmp_path, "dt.csv", text))
    assert series.channels == ("temp",) and series.meta["time_column"] == "Date Time"
    assert [str(t)[:19] for t in series.time] == [
        "2026-03-01T23:00:00",
        "2026-03-02T00:00:00",
        "2026-03-02T01:00:30",
    ]
    bad = "date,time,temp\n2026-03-01,00:00,1\n2026-03-01,,2\n"
    with pytest.raises(DataFormatError, match=r"line 3, column 'date time': expected a timestamp"):
        read_series_file(write(tmp_path, "bad.csv", bad))
    counted = read_series_file(write(tmp_path, "c.csv", "date,time,temp\n2026-03-01,5,1\n2026-03-02,6,2\n"))
    assert counted.channels == ("time", "temp")  # a time column of numbers is no time of day


def test_a_preamble_above_the_header_is_left_out_with_the_lines_kept(tmp_path: Path) -> None:
    text = (
        "Plant: North Site\nTag export v2\ntime,temp,pressure\n2026-03-01 00:00,1,2\n2026-03-01 01:00,x,2\n"
    )
    with pytest.raises(DataFormatError, match=r"line 5, column 'temp': expected a number"):
        read_series_file(write(tmp_path, "p.csv", text))
    ok = read_series_file(write(tmp_path, "q.csv", text.replace(",x,", ",3,")))
    assert ok.channels == ("temp", "pressure") and len(ok.time) == 2


def test_a_line_of_units_under_the_header_gives_the_units_and_no_row(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Water-station walkthrough: a SCADA export's unit line was refused ("line 2, column 'Date
    Time': expected a timestamp, found an empty cell")."""
    text = (
        "Date,Time,UV Intensity,UVT,Flow [m3/h]\n,,W/m2,%,m3/h\n"
        "01/01/2024,00:00,65.4,92.0,403.0\n01/01/2024,01:00,67.5,x,400.0\n"
    )
    with pytest.raises(DataFormatError, match=r"line 4, column 'UVT': expected a number"):
        read_series_file(write(tmp_path, "u.csv", text))  # the rows below keep their own lines
    with caplog.at_level(logging.WARNING):
        series = read_series_file(write(tmp_path, "v.csv", text.replace(",x,", ",91.5,")))
    assert series.channels == ("UV Intensity", "UVT", "Flow [m3/h]") and len(series.time) == 2
    assert series.meta["units"] == {"UV Intensity": "W/m2", "UVT": "%", "Flow [m3/h]": "m3/h"}
    assert "line 2 under the header holds units" in caplog.text
    # a first row of text that is a reading (a status word over text below it) is no unit row
    status = "time,state,temp\n2024-01-01 00:00,RUN,1\n2024-01-01 01:00,STOP,2\n"
    assert len(read_series_file(write(tmp_path, "s.csv", status), skip_text=True).time) == 2


def test_quoted_separators_and_a_trailing_separator_are_no_preamble(tmp_path: Path) -> None:
    orders = 'wo_id,asset_id,text\nW1,P-1,"noisy, replaced brg"\nW2,P-1,"leak, seal"\nW3,P-2,"hot, cleaned"\n'
    first, *_ = read_work_orders_csv(write(tmp_path, "w.csv", orders))
    assert first.doc_id == "W1" and first.text == "noisy, replaced brg"
    trailing = "time,a\n2024-01-01,1,\n2024-01-02,2,\n2024-01-03,3,\n"
    with pytest.raises(DataFormatError, match="line 1: every data row has more fields"):  # not a preamble
        read_series_file(write(tmp_path, "t.csv", trailing))


def test_two_series_stacked_in_one_file_are_named_by_their_column(tmp_path: Path) -> None:
    # walk-through: a SCADA export of two turbines, one under the other, said only "duplicated"
    rows = [f"2025-03-01 0{h}:00,{turbine},{h}" for turbine in ("WTG01", "WTG02") for h in range(4)]
    path = write(tmp_path, "s.csv", "time,Turbine,power\n" + "\n".join(rows) + "\n")
    with pytest.raises(DataFormatError, match="duplicated timestamp") as err:
        read_series_file(path)
    assert "column 'Turbine' holds 2 series (WTG01, WTG02), each with its own times" in str(err.value)
    assert "split the file by 'Turbine'" in str(err.value)


def test_an_equip_no_column_is_the_asset_id_before_a_functional_location(tmp_path: Path) -> None:
    """Paper-mill walkthrough: the register's "Equip No" (the ids the orders and series use) was
    passed over for "Functional Location" (PM2-WIR-DRV)."""
    text = (
        "Equip No,Description,Class,Functional Location\n"
        "DR-101,Wire section drive,Drive,PM2-WIR-DRV\nGB-101,Wire section gearbox,Gearbox,PM2-WIR-GB\n"
    )
    assets = read_assets_csv(write(tmp_path, "assets.csv", text))
    assert [a.asset_id for a in assets] == ["DR-101", "GB-101"]
    assert assets[0].attributes["Functional Location"] == "PM2-WIR-DRV"
