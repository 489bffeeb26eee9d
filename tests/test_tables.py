"""Unit tests of moesaic.data.tables: one clear DataFormatError per malformed file."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moesaic.data.tables import (
    DataFormatError,
    numeric_column,
    read_csv_checked,
    read_text_checked,
    require_columns,
    row_line,
)
from moesaic.data.times import time_column


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def where(path: Path, line: int | None = None, column: str | None = None) -> str:
    """The start of the message of a DataFormatError, as a regular expression."""
    parts = [re.escape(str(path))]
    if line is not None:
        parts.append(f"line {line}")
    if column is not None:
        parts.append(f"column {re.escape(repr(column))}")
    return "^" + ", ".join(parts) + ": "


# ----------------------------------------------------------------------------- read_text_checked


def test_error_message_names_file_line_and_column(tmp_path: Path) -> None:
    err = DataFormatError(tmp_path / "a.csv", "expected x, found y", line=3, column="v")
    assert str(err) == f"{tmp_path / 'a.csv'}, line 3, column 'v': expected x, found y"
    assert (err.line, err.column, err.reason) == (3, "v", "expected x, found y")


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=where(tmp_path / "nope.csv") + "file not found"):
        read_text_checked(tmp_path / "nope.csv")


def test_folder_instead_of_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match=where(tmp_path) + "is a folder; expected a text file"):
        read_text_checked(tmp_path)


def test_an_image_given_for_a_csv_file_is_named_as_such(tmp_path: Path) -> None:
    path = write(tmp_path, "sheet.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    message = "not a CSV text file: it is a PNG image; expected utf-8 CSV text"
    with pytest.raises(DataFormatError, match=where(path) + message):
        read_csv_checked(path)
    with pytest.raises(
        DataFormatError, match=where(write(tmp_path, "book.xlsx", b"PK\x03\x04x")) + "not a text"
    ):
        read_text_checked(tmp_path / "book.xlsx")


@pytest.mark.parametrize("content", [b"", b"  \n\n"])
def test_empty_file_is_reported(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path, "empty.csv", content)
    with pytest.raises(DataFormatError, match=where(path) + "the file is empty; expected a header line"):
        read_text_checked(path)


def test_latin1_bytes_in_utf8_file_name_byte_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.csv", "a,b\n1,2\ncaf\u00e9,3\n".encode("latin-1"))
    with pytest.raises(
        DataFormatError, match=where(path, line=3) + r"not valid utf-8 text \(byte 11 is 0xe9\)"
    ):
        read_text_checked(path)


def test_utf16_without_bom_is_reported_as_nul_bytes(tmp_path: Path) -> None:
    path = write(tmp_path, "wide.csv", "a,b\n1,2\n".encode("utf-16-le"))
    with pytest.raises(
        DataFormatError,
        match=where(path, line=1) + "not a text file: found a NUL byte at byte 1; expected utf-8",
    ):
        read_text_checked(path)


def test_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", "\ufeffa,b\n1,2\n")
    assert read_text_checked(path) == "a,b\n1,2\n"


# ----------------------------------------------------------------------------- read_csv_checked


def test_header_only_file_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "header.csv", "a,b\n")
    with pytest.raises(
        DataFormatError, match=where(path) + "the header is there but the file has no data rows"
    ):
        read_csv_checked(path)


def test_missing_required_column_lists_found_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "a,b\n1,2\n")
    message = where(path, column="c") + re.escape(
        "missing required column(s) ['c']; found columns ['a', 'b']"
    )
    with pytest.raises(DataFormatError, match=message):
        read_csv_checked(path, required=("a", "c"))


def test_wrong_field_count_names_the_line_an_editor_shows(tmp_path: Path) -> None:
    # two blank lines and a quoted cell over three lines come before the bad row on line 8
    path = write(tmp_path, "t.csv", 'a,b\n1,2\n\n\n"x\ny\nz",3\n4,5,6\n')
    with pytest.raises(
        DataFormatError, match=where(path, line=8) + r"expected 2 fields \(separator ','\), found 3"
    ):
        read_csv_checked(path, dtype=str)


def test_repeated_header_name_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "a,b,a\n1,2,3\n")
    with pytest.raises(
        DataFormatError, match=where(path, line=1) + re.escape("duplicated column names ['a']")
    ):
        read_csv_checked(path)


def test_one_field_too_many_on_every_row_is_reported(tmp_path: Path) -> None:
    # pandas would silently make the first field the index and shift every column
    path = write(tmp_path, "t.csv", "a,b\n1,2,3\n4,5,6\n")
    with pytest.raises(
        DataFormatError, match=where(path, line=1) + "every data row has more fields than the 2"
    ):
        read_csv_checked(path, dtype=str)


def test_headerless_file_with_names(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt", "1 2\n3 4\n")
    frame = read_csv_checked(path, sep=r"\s+", header=None, names=["x", "y"])
    assert frame["y"].tolist() == [2, 4]


# ----------------------------------------------------------------------------- numeric_column


def test_non_numeric_value_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "a,b\n1,2\n3,oops\n")
    frame = read_csv_checked(path, dtype=str)
    with pytest.raises(
        DataFormatError, match=where(path, line=3, column="b") + "expected a number, found 'oops'"
    ):
        numeric_column(frame, "b", path)


def test_empty_cells_become_nan(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "a,b\n1,\n,2.5\n")
    frame = read_csv_checked(path, dtype=str)
    np.testing.assert_array_equal(numeric_column(frame, "b", path), [np.nan, 2.5])


def test_empty_cell_rejected_when_not_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "a,b\n1,\n2,2.5\n")
    frame = read_csv_checked(path, dtype=str)
    with pytest.raises(
        DataFormatError, match=where(path, line=2, column="b") + "expected a number, found an empty"
    ):
        numeric_column(frame, "b", path, allow_missing=False)


def test_infinite_value_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "a\n1\n1e999\n")
    frame = read_csv_checked(path, dtype=str)
    with pytest.raises(DataFormatError, match=where(path, line=3, column="a") + "expected a finite number"):
        numeric_column(frame, "a", path)


def test_line_numbers_count_blank_lines_and_multiline_cells(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", 'note,v\n"two\nlines",1\n\nok,2\nok,x\n')
    frame = read_csv_checked(path, dtype=str)
    assert [row_line(frame, pos) for pos in range(3)] == [2, 5, 6]
    with pytest.raises(DataFormatError, match=where(path, line=6, column="v")):
        numeric_column(frame, "v", path)


def test_line_numbers_follow_rows_after_sorting_and_filtering(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "k,v\n3,1\n1,x\n2,2\n")
    frame = read_csv_checked(path, dtype=str).sort_values("k")
    with pytest.raises(DataFormatError, match=where(path, line=3, column="v")):
        numeric_column(frame, "v", path)
    assert row_line(frame[frame["k"] == "2"], 0) == 4


def test_row_line_counts_rows_for_other_frames() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3]})
    assert row_line(frame, 2) == 4
    assert row_line(frame, 2, header_lines=0) == 3


# ----------------------------------------------------------------------------- time_column


def test_unparsable_timestamp_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "date,v\n2020-01-01,1\nyesterday,2\n")
    frame = read_csv_checked(path, dtype=str)
    message = (
        where(path, line=3, column="date")
        + "expected a timestamp like YYYY-MM-DD hh:mm:ss, found 'yesterday'"
    )
    with pytest.raises(DataFormatError, match=message):
        time_column(frame, "date", path)


def test_duplicated_timestamp_names_the_second_line(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "date,v\n2020-01-01,1\n2020-01-02,2\n2020-01-01,3\n")
    frame = read_csv_checked(path, dtype=str)
    with pytest.raises(
        DataFormatError, match=where(path, line=4, column="date") + "duplicated timestamp '2020-01-01'"
    ):
        time_column(frame, "date", path)
    assert len(time_column(frame, "date", path, unique=False)) == 3


def test_empty_timestamp_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "date,v\n2020-01-01,1\n,2\n")
    frame = read_csv_checked(path, dtype=str)
    with pytest.raises(
        DataFormatError, match=where(path, line=3, column="date") + "expected a timestamp, found an empty"
    ):
        time_column(frame, "date", path)


def test_timestamps_outside_nanosecond_range_are_rejected(tmp_path: Path) -> None:
    # without the check, 9999-01-01 silently wraps round to a date in 1815
    path = write(tmp_path, "t.csv", "date,v\n2020-01-01,1\n9999-01-01,2\n")
    frame = read_csv_checked(path, dtype=str)
    with pytest.raises(
        DataFormatError, match=where(path, line=3, column="date") + "expected a timestamp between 1677"
    ):
        time_column(frame, "date", path)


def test_mixed_utc_offsets_are_converted_to_utc(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "date,v\n2020-03-29T01:00+01:00,1\n2020-03-29T03:00+02:00,2\n")
    times = time_column(read_csv_checked(path, dtype=str), "date", path)
    assert times.dtype == np.dtype("datetime64[ns]")
    expected = np.array(["2020-03-29T00:00", "2020-03-29T01:00"], dtype="datetime64[ns]")
    np.testing.assert_array_equal(times, expected)


def test_explicit_format(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "date,v\n01/02/2020,1\n13/02/2020,2\n")
    times = time_column(read_csv_checked(path, dtype=str), "date", path, fmt="%d/%m/%Y")
    assert str(times[1])[:10] == "2020-02-13"


def test_require_columns_names_first_missing(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(
        DataFormatError, match=re.escape("column 'b': missing column(s) ['b', 'c']; found columns ['a']")
    ):
        require_columns(frame, ["a", "b", "c"], tmp_path / "x.csv")


def test_a_time_argument_says_its_date_order_or_is_refused() -> None:
    from moesaic.data.times import parse_time_argument

    assert parse_time_argument("13/03/2024 10:00", "--start") == pd.Timestamp("2024-03-13 10:00")
    assert parse_time_argument("03/13/2024", "--start") == pd.Timestamp("2024-03-13")
    assert parse_time_argument("2024-03-05", "--start") == pd.Timestamp("2024-03-05")
    assert parse_time_argument("05/05/2024", "--start") == pd.Timestamp("2024-05-05")  # same either way
    with pytest.raises(ValueError, match=r"--start '05/01/2005' is ambiguous: day 5 of month 1, or month 5"):
        parse_time_argument("05/01/2005", "--start")
    with pytest.raises(ValueError, match=r"--end 'soon' is not a time"):
        parse_time_argument("soon", "--end")
