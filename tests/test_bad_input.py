"""Property-based tests: malformed files only ever raise DataFormatError, naming the file.

Hypothesis feeds the readers random bytes, CSV-like text with injected bad cells, random
encodings, and truncated or corrupted copies of good files. Whatever it finds, the only exception
allowed out of a reader is DataFormatError (never a raw pandas, numpy, PIL or UnicodeDecodeError),
and its message must name the file. The atomic writers are checked in the same spirit: a failure
leaves the previous content intact and no temporary file behind.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from moesaic.atomic import OutputPathError, atomic_directory, atomic_path, write_text_atomic
from moesaic.data.readers import (
    read_assets_csv,
    read_drawing_image,
    read_series_file,
    read_user_folder,
    read_work_orders_csv,
)
from moesaic.data.tables import DataFormatError

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

CSV_READERS: dict[str, Callable[[Path], Any]] = {
    "series": read_series_file,
    "work_orders": read_work_orders_csv,
    "assets": read_assets_csv,
}
_counter = itertools.count()


def fresh_file(factory: pytest.TempPathFactory, suffix: str) -> Path:
    return factory.getbasetemp() / "bad_input" / f"input_{next(_counter)}{suffix}"


def fresh_folder(factory: pytest.TempPathFactory) -> Path:
    folder = factory.getbasetemp() / "bad_input" / f"folder_{next(_counter)}"
    folder.mkdir(parents=True)
    return folder


def write_bytes(factory: pytest.TempPathFactory, suffix: str, content: bytes) -> Path:
    path = fresh_file(factory, suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def expect_clean_failure(reader: Callable[[Path], Any], path: Path) -> None:
    """Run ``reader``: it may succeed; if it fails, only with a DataFormatError naming the file."""
    try:
        reader(path)
    except DataFormatError as err:
        assert path.name in str(err), f"the message does not name the file: {err}"
        assert str(err).count("\n") < 5, f"one clear message, not a dump: {err}"


# ----------------------------------------------------------------------------- good files to break

GOOD_SERIES = "time,flow,temp\n2024-01-01 00:00,1.5,20\n2024-01-01 01:00,,21\n2024-01-01 02:00,2.5,22\n"
GOOD_WORK_ORDERS = (
    'wo_id,asset_id,text,created,cost\nWO-1,P-1,"Seal leak,\nreplaced",2024-02-01,12.5\nWO-2,P-2,Noise,,\n'
)
GOOD_ASSETS = "asset_id;asset_type;power_kw\nP-1;pump;7.5\nP-2;fan;11\n"


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (16, 16, 3), dtype=np.uint8)).save(buffer, format=fmt)
    return buffer.getvalue()


def parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    frame = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=5, freq="h"), "v": np.arange(5.0)})
    frame.to_parquet(buffer)
    return buffer.getvalue()


GOOD_FILES = {
    "series": GOOD_SERIES.encode(),
    "work_orders": GOOD_WORK_ORDERS.encode(),
    "assets": GOOD_ASSETS.encode(),
}
GOOD_BINARIES = {".png": image_bytes("PNG"), ".jpg": image_bytes("JPEG"), ".parquet": parquet_bytes()}


# ----------------------------------------------------------------------------- strategies

ENCODINGS = ("utf-8", "utf-8", "utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-16-le", "utf-32")
NAMES = (
    "time",
    "Timestamp",
    "date",
    "created",
    "a",
    "b",
    "flow",
    "wo_id",
    "asset_id",
    "text",
    "cost",
    "labour_hours",
    "asset_type",
    "failure_code",
    "",
    " a ",
    "Unnamed: 0",
)
GOOD_CELLS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.integers(-(10**6), 10**6).map(str),
    st.datetimes(
        min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
        max_value=pd.Timestamp("2030-01-01").to_pydatetime(),
    ).map(str),
    st.sampled_from(["P-1", "WO-1", "pump", "ok"]),
)
BAD_CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "nan",
            "inf",
            "-inf",
            "1e400",
            "1e39",
            "NULL",
            "N/A",
            "--",
            "2024-13-45",
            "9999-01-01",
            "0000-00-00",
            "1,5",
            '"',
            '""',
            '"a\nb"',
            "a;b",
            "\t",
            "12:00",
            "\u00e9t\u00e9",
            "2024-01-01T00:00+01:00",
            "2024-01-01T00:00+05:00",
            "True",
            "0x1F",
            "1_000",
            "\x00",
        ]
    ),
    st.text(max_size=8),
    st.floats().map(str),
)
CELLS = st.one_of(GOOD_CELLS, GOOD_CELLS, BAD_CELLS)


@st.composite
def csv_like(draw: st.DrawFn) -> bytes:
    """CSV-ish bytes of any shape: random header, rows of wrong lengths, bad cells, any encoding."""
    sep = draw(st.sampled_from([",", ";", "\t"]))
    header = draw(st.lists(st.one_of(st.sampled_from(NAMES), st.text(max_size=6)), min_size=1, max_size=5))
    width = len(header)
    rows = draw(st.lists(st.lists(CELLS, min_size=max(width - 1, 0), max_size=width + 1), max_size=6))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [sep.join(header)] + [sep.join(row) for row in rows]
    if draw(st.booleans()):
        lines.insert(draw(st.integers(0, len(lines))), "")  # a blank line somewhere
    text = newline.join(lines) + draw(st.sampled_from(["", newline]))
    return text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


TABLES = {  # the columns of a good file for each reader, and how to fill each column
    "series": {"time": "time", "flow": "number", "temp": "number"},
    "work_orders": {
        "wo_id": "id",
        "asset_id": "text",
        "text": "text",
        "created": "time",
        "cost": "number",
        "crew": "text",
    },
    "assets": {"asset_id": "id", "asset_type": "text", "power_kw": "number", "site": "text"},
}
FILL = {
    "time": st.datetimes(
        min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
        max_value=pd.Timestamp("2030-01-01").to_pydatetime(),
    ).map(str),
    "number": st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    "id": st.uuids().map(lambda u: str(u)[:8]),
    "text": st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12),
}


@st.composite
def table_with_bad_cells(draw: st.DrawFn, kind: str) -> bytes:
    """A good table for ``kind`` with up to two cells replaced by bad ones, maybe a dropped column."""
    columns = dict(TABLES[kind])
    if draw(st.booleans()) and draw(st.booleans()):
        columns.pop(draw(st.sampled_from(sorted(columns))))
    n_rows = draw(st.integers(1, 6))
    rows = [[draw(FILL[fill]) for fill in columns.values()] for _ in range(n_rows)]
    for _ in range(draw(st.integers(0, 2))):
        row, col = draw(st.integers(0, n_rows - 1)), draw(st.integers(0, len(columns) - 1))
        copied = rows[draw(st.integers(0, n_rows - 1))][col]  # repeating a cell makes duplicated ids/times
        rows[row][col] = draw(st.one_of(BAD_CELLS, st.just(copied)))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    buffer = io.StringIO()
    if draw(st.booleans()):  # proper quoting, as a spreadsheet writes it
        writer = csv.writer(buffer, delimiter=sep, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
        writer.writerows([list(columns), *rows])
    else:  # naive joining, as a hand-written script would
        buffer.write("\n".join(sep.join(cells) for cells in [list(columns), *rows]) + "\n")
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["latin-1", "utf-16"]))
    return buffer.getvalue().encode(encoding, errors="replace")


@st.composite
def damaged(draw: st.DrawFn, good: bytes) -> bytes:
    """A good file truncated, with bytes overwritten, or with a chunk cut out of the middle."""
    how = draw(st.sampled_from(["truncate", "overwrite", "cut"]))
    at = draw(st.integers(0, max(len(good) - 1, 0)))
    if how == "truncate":
        return good[:at]
    if how == "overwrite":
        patch = draw(st.binary(min_size=1, max_size=8))
        return good[:at] + patch + good[at + len(patch) :]
    return good[:at] + good[at + draw(st.integers(1, 64)) :]


# ----------------------------------------------------------------------------- CSV readers


@pytest.mark.parametrize("reader", sorted(CSV_READERS))
@SETTINGS
@given(content=st.binary(max_size=300))
def test_random_bytes_raise_only_data_format_error(
    tmp_path_factory: pytest.TempPathFactory, reader: str, content: bytes
) -> None:
    expect_clean_failure(CSV_READERS[reader], write_bytes(tmp_path_factory, ".csv", content))


@pytest.mark.parametrize("reader", sorted(CSV_READERS))
@SETTINGS
@given(content=csv_like())
def test_csv_like_text_raises_only_data_format_error(
    tmp_path_factory: pytest.TempPathFactory, reader: str, content: bytes
) -> None:
    expect_clean_failure(CSV_READERS[reader], write_bytes(tmp_path_factory, ".csv", content))


@pytest.mark.parametrize("reader", sorted(CSV_READERS))
@SETTINGS
@given(data=st.data())
def test_tables_with_bad_cells_raise_only_data_format_error(
    tmp_path_factory: pytest.TempPathFactory, reader: str, data: st.DataObject
) -> None:
    content = data.draw(table_with_bad_cells(reader))
    expect_clean_failure(CSV_READERS[reader], write_bytes(tmp_path_factory, ".csv", content))


@pytest.mark.parametrize("reader", sorted(CSV_READERS))
@SETTINGS
@given(data=st.data())
def test_damaged_good_files_raise_only_data_format_error(
    tmp_path_factory: pytest.TempPathFactory, reader: str, data: st.DataObject
) -> None:
    content = data.draw(damaged(GOOD_FILES[reader]))
    expect_clean_failure(CSV_READERS[reader], write_bytes(tmp_path_factory, ".csv", content))


@SETTINGS
@given(
    content=st.one_of(csv_like(), table_with_bad_cells("series")),
    time_col=st.sampled_from([None, "time", "flow", "a"]),
    channels=st.sampled_from([None, ["temp"], ["a"]]),
)
def test_series_arguments_with_bad_files(
    tmp_path_factory: pytest.TempPathFactory, content: bytes, time_col: str | None, channels: list[str] | None
) -> None:
    path = write_bytes(tmp_path_factory, ".csv", content)
    if time_col is not None and channels is not None and time_col in channels:
        return  # a programming error (ValueError), not a bad file
    expect_clean_failure(lambda p: read_series_file(p, time_col=time_col, channels=channels), path)


@SETTINGS
@given(content=table_with_bad_cells("series"))
def test_an_accepted_series_is_well_formed(tmp_path_factory: pytest.TempPathFactory, content: bytes) -> None:
    """Whatever is accepted is a well-formed Series: increasing time, mask == not NaN, finite values."""
    try:
        series = read_series_file(write_bytes(tmp_path_factory, ".csv", content))
    except DataFormatError:
        return
    assert series.length >= 2
    assert np.all(series.time[1:] > series.time[:-1])
    np.testing.assert_array_equal(series.observed, ~np.isnan(series.values))
    assert np.all(np.isfinite(series.values[series.observed]))


# ----------------------------------------------------------------------------- binary readers


@pytest.mark.parametrize("suffix", sorted(GOOD_BINARIES))
@SETTINGS
@given(data=st.data())
def test_damaged_or_random_binaries_raise_only_data_format_error(
    tmp_path_factory: pytest.TempPathFactory, suffix: str, data: st.DataObject
) -> None:
    content = data.draw(st.one_of(damaged(GOOD_BINARIES[suffix]), st.binary(max_size=200)))
    path = write_bytes(tmp_path_factory, suffix, content)
    expect_clean_failure(read_series_file if suffix == ".parquet" else read_drawing_image, path)


@SETTINGS
@given(content=st.binary(max_size=100), suffix=st.sampled_from([".pdf", ".gif", ".PNG", ".jpeg", ""]))
def test_drawing_suffixes(tmp_path_factory: pytest.TempPathFactory, content: bytes, suffix: str) -> None:
    expect_clean_failure(read_drawing_image, write_bytes(tmp_path_factory, suffix, content))


@SETTINGS
@given(
    series=st.one_of(csv_like(), table_with_bad_cells("series")),
    assets=st.one_of(st.none(), table_with_bad_cells("assets")),
)
def test_user_folder_names_the_bad_file(
    tmp_path_factory: pytest.TempPathFactory, series: bytes, assets: bytes | None
) -> None:
    folder = fresh_folder(tmp_path_factory)
    (folder / "series").mkdir()
    (folder / "series" / "P-1.csv").write_bytes(series)
    if assets is not None:
        (folder / "assets.csv").write_bytes(assets)
    try:
        read_user_folder(folder)
    except DataFormatError as err:
        assert "P-1.csv" in str(err) or "assets.csv" in str(err), str(err)


# ----------------------------------------------------------------------------- atomic writes

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
FILES = st.dictionaries(st.from_regex(r"[a-z]{1,8}\.txt", fullmatch=True), TEXT, max_size=4)


class Interrupted(Exception):
    """Stands for a crash in the middle of writing."""


def listing(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its exact text (no newline translation)."""
    return {
        str(p.relative_to(folder)): p.read_bytes().decode() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@SETTINGS
@given(old=TEXT, new=TEXT, failing=st.sampled_from([None, "fsync", "replace"]))
def test_write_text_atomic_keeps_old_content_on_failure(
    tmp_path_factory: pytest.TempPathFactory, old: str, new: str, failing: str | None
) -> None:
    path = fresh_folder(tmp_path_factory) / "out.txt"
    write_text_atomic(path, old)
    if failing is None:
        write_text_atomic(path, new)
        assert listing(path.parent) == {path.name: new}
        return
    with mock.patch(f"moesaic.atomic.os.{failing}", side_effect=Interrupted), pytest.raises(Interrupted):
        write_text_atomic(path, new)
    assert listing(path.parent) == {path.name: old}  # old content, no temporary file


@SETTINGS
@given(old=TEXT, partial=TEXT)
def test_atomic_path_keeps_old_content_on_failure(
    tmp_path_factory: pytest.TempPathFactory, old: str, partial: str
) -> None:
    path = fresh_folder(tmp_path_factory) / "out.txt"
    write_text_atomic(path, old)
    with pytest.raises(Interrupted), atomic_path(path) as tmp:
        tmp.write_bytes(partial.encode())
        raise Interrupted
    assert listing(path.parent) == {path.name: old}


@SETTINGS
@given(old=FILES, new=FILES, fail=st.booleans())
def test_atomic_directory_replaces_all_or_nothing(
    tmp_path_factory: pytest.TempPathFactory, old: dict[str, str], new: dict[str, str], fail: bool
) -> None:
    parent = fresh_folder(tmp_path_factory)
    target = parent / "out"
    with atomic_directory(target) as tmp:
        for name, text in old.items():
            (tmp / name).write_bytes(text.encode())
    expected = new if not fail else old
    try:
        with atomic_directory(target) as tmp:
            for name, text in new.items():
                (tmp / name).write_bytes(text.encode())
            if fail:
                raise Interrupted
    except Interrupted:
        assert fail
    assert listing(target) == expected
    assert sorted(os.listdir(parent)) == ["out"]  # no temporary or old folder left behind


def test_atomic_directory_replaces_a_folder_in_one_step(tmp_path: Path) -> None:
    from moesaic.atomic import atomic_directory

    target = tmp_path / "out"
    with atomic_directory(target) as tmp:
        (tmp / "first.txt").write_text("1")
    with atomic_directory(target) as tmp:
        (tmp / "second.txt").write_text("2")
    assert sorted(p.name for p in target.iterdir()) == ["second.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary or old folder left


def test_an_output_on_the_wrong_kind_of_path_is_refused_in_one_line(tmp_path: Path) -> None:
    folder, file = tmp_path / "results", tmp_path / "model"
    folder.mkdir()
    file.write_text("keep me")
    with pytest.raises(OutputPathError, match=f"{folder} is a folder; expected the name of a file"):
        write_text_atomic(folder, "x")
    with pytest.raises(OutputPathError, match=f"{file} is a file, so {file / 'a.csv'} cannot be written"):
        write_text_atomic(file / "a.csv", "x")
    with pytest.raises(OutputPathError, match=f"{file} exists and is not a folder"), atomic_directory(file):
        pass
    assert file.read_text() == "keep me" and sorted(p.name for p in tmp_path.iterdir()) == [
        "model",
        "results",
    ]


def test_commands_check_their_outputs_before_any_work(tmp_path: Path) -> None:
    import typer
    from typer.testing import CliRunner

    from moesaic.cli.forecast import forecast

    app = typer.Typer()
    app.command()(forecast)
    (tmp_path / "model").write_text("not a folder")
    (tmp_path / "s.csv").write_text("v\n" + "\n".join(str(i % 5) for i in range(200)) + "\n")
    args = [
        "--csv",
        str(tmp_path / "s.csv"),
        "--out",
        str(tmp_path / "f.csv"),
        "--save",
        str(tmp_path / "model"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "model exists and is not a folder" in " ".join(result.output.split())
    assert not (tmp_path / "f.csv").exists() and (tmp_path / "model").read_text() == "not a folder"


def _refuse(code: int) -> Callable[..., Any]:
    """A stand-in for a system call that fails with ``code`` (a root test process writes anywhere)."""

    def refuse(*args: Any, dir: Any = None, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code), str(dir))

    return refuse


def test_an_unwritable_output_is_one_error_naming_the_path_and_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from moesaic.atomic import check_writable

    target = tmp_path / "new" / "plant"
    monkeypatch.setattr("moesaic.atomic.tempfile.mkdtemp", _refuse(errno.EROFS))
    with pytest.raises(
        OutputPathError, match=f"cannot write {target}: read-only file system .in {tmp_path}.$"
    ):
        check_writable(target)
    with (
        pytest.raises(OutputPathError, match=f"cannot write {target}: read-only file system$"),
        atomic_directory(target),
    ):
        pass
    monkeypatch.setattr("moesaic.atomic.tempfile.mkstemp", _refuse(errno.EACCES))
    with pytest.raises(OutputPathError, match=f"cannot write {tmp_path / 'a.txt'}: permission denied$"):
        write_text_atomic(tmp_path / "a.txt", "x")
    assert not [p for p in tmp_path.rglob("*") if not p.is_dir()]  # no file, no temporary left
