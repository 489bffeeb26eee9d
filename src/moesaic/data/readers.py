"""Generic readers for a user's own files: sensor series, work orders, assets, drawings.

Every reader validates through :mod:`moesaic.data.tables`, so a malformed file ends in one
:class:`~moesaic.data.tables.DataFormatError` naming the file, the line and/or column, what was
expected and what was found. Readers never write anything.

The folder layout read by :func:`read_user_folder`::

    my_plant/
      assets.csv           asset_id[, asset_type, any other column]
      work_orders.csv      wo_id, asset_id, text[, created|date|time, failure_code, cost, labour_hours, ...]
      series/P-101.csv     a time column + numeric channels (CSV or Parquet); asset id = file stem
      drawings/P-101.png   PNG or JPG drawings; drawing id = file stem

For Parquet files, "line N" in an error message means the N-th row (counted from 1).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image

from moesaic.data.schema import Asset, Document, Drawing, MaintenanceData, Series
from moesaic.data.tables import (
    DataFormatError,
    numeric_column,
    read_csv_checked,
    read_text_checked,
    require_columns,
    row_line,
    time_column,
)

log = logging.getLogger(__name__)

SEPARATORS = (",", ";", "\t")
TIME_NAMES = ("time", "timestamp", "date", "datetime")
SERIES_SUFFIXES = (".csv", ".parquet", ".pq")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
WORK_ORDER_TIMES = ("created", "date", "time")
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_MAX_STEP = 2**53  # larger whole numbers are not exact in float64


# ----------------------------------------------------------------------------- series


def read_series_file(
    path: Path | str,
    *,
    time_col: str | None = None,
    channels: Sequence[str] | None = None,
    sep: str | None = None,
    asset_id: str = "",
    series_id: str | None = None,
) -> Series:
    """Read one multichannel series from a CSV or Parquet file.

    Args:
        path: a ``.csv`` file (separator sniffed among ``,`` ``;`` and tab unless ``sep`` is given)
            or a ``.parquet``/``.pq`` file.
        time_col: the time column. None: a column named time/timestamp/date/datetime (any case),
            else the first column when it holds timestamps, else row numbers (int64) are the time.
            A time column of whole numbers gives int64 steps (cycles, samples).
        channels: the value columns. None: every column except the time column; a column of
            text only is then an error naming it.
        sep: the CSV field separator.
        asset_id: the asset the series belongs to.
        series_id: defaults to the file stem.

    Returns:
        A Series with values (T, C) float32, NaN and ``observed`` False for empty cells, sorted by
        time (a warning is logged when the file was not).

    Raises:
        DataFormatError: unreadable, empty or header-only file, wrong encoding, missing column,
            unparsable or duplicated timestamp, non-numeric value, or fewer than 2 rows.
    """
    path = Path(path)
    if channels is not None and (isinstance(channels, str) or not channels):
        raise ValueError(f"`channels` must be a non-empty sequence of column names, got {channels!r}")
    if channels is not None and time_col is not None and time_col in channels:
        raise ValueError(f"`time_col` {time_col!r} cannot also be one of `channels`")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame, header_lines, fmt = _read_parquet(path), 0, "parquet"
    else:
        sep = sep or sniff_separator(path)
        frame, header_lines, fmt = read_csv_checked(path, sep=sep, dtype=str), 1, "csv"
    frame = _drop_unnamed_empty(frame)
    if time_col is not None:
        require_columns(frame, [time_col], path)
    wanted = list(channels) if channels is not None else []
    require_columns(frame, wanted, path)
    if len(frame) < 2:
        raise DataFormatError(path, f"expected at least 2 data rows, found {len(frame)}")

    time_name = time_col if time_col is not None else _detect_time_column(frame, channels)
    if time_name is None:
        time = np.arange(len(frame), dtype=np.int64)
    else:
        time = _time_values(frame, time_name, path, header_lines)
    if channels is None:
        wanted = [str(c) for c in frame.columns if c != time_name]
        if not wanted:
            raise DataFormatError(
                path,
                f"no value columns besides the time column {time_name!r}; "
                f"found columns {list(frame.columns)}",
            )
        for name in wanted:
            _reject_text_column(frame, name, path)
    values = pd.DataFrame({name: _channel_values(frame, name, path, header_lines) for name in wanted})

    if np.any(time[1:] < time[:-1]):
        log.warning("%s: rows are not in time order; sorting them by %r", path, time_name)
        order = np.argsort(time, kind="stable")
        time, values = time[order], values.iloc[order].reset_index(drop=True)
    meta = {"source": str(path), "format": fmt, "time_column": time_name}
    return Series.from_frame(
        values, series_id=series_id or path.stem, asset_id=asset_id, time=time, meta=meta
    )


def sniff_separator(path: Path | str) -> str:
    """The separator among ``,`` ``;`` and tab that occurs most in the header line (``,`` on a tie)."""
    text = read_text_checked(Path(path))
    header = next((line for line in text.splitlines() if line.strip()), "")
    header = re.sub(r'"[^"]*"', "", header)  # separators inside quoted names do not count
    counts = [header.count(s) for s in SEPARATORS]
    return SEPARATORS[counts.index(max(counts))]


def _read_parquet(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataFormatError(path, "file not found")
    try:
        frame = pd.read_parquet(path)
    except Exception as err:  # pyarrow raises many types (ArrowInvalid, OSError, ...) on a bad file
        raise DataFormatError(path, f"not a readable Parquet file ({type(err).__name__}: {err})") from None
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()  # a time index saved by `to_parquet` becomes a column again
    frame.columns = [str(c).strip() for c in frame.columns]
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        raise DataFormatError(path, f"duplicated column names {duplicated}")
    if frame.columns.empty:
        raise DataFormatError(path, "the file has no columns")
    return frame


def _drop_unnamed_empty(frame: pd.DataFrame) -> pd.DataFrame:
    # A trailing separator on every line makes pandas add an empty "Unnamed: N" column.
    empty = [
        c for c in frame.columns if re.fullmatch(r"Unnamed: \d+", str(c)) and not _present(frame[c]).any()
    ]
    return frame.drop(columns=empty) if empty else frame


def _cell_error(
    path: Path, frame: pd.DataFrame, pos: int, column: str, message: str, header_lines: int = 1
) -> DataFormatError:
    return DataFormatError(path, message, line=row_line(frame, pos, header_lines), column=column)


def _first(mask: np.ndarray | pd.Series) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0])


def _all_numbers(column: pd.Series) -> bool:
    """True when the column has filled cells and every one of them is a number."""
    present = _present(column)
    return bool(present.any() and _numeric_cells(column)[present].all())


def _present(column: pd.Series) -> pd.Series:
    """True where a cell holds something (not NaN, not blank text)."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        return column.notna()
    return column.notna() & (column.astype(str).str.strip() != "")


def _numeric_cells(column: pd.Series) -> pd.Series:
    """True where a present cell is a number."""
    if pd.api.types.is_numeric_dtype(column):
        return column.notna()
    return _present(column) & pd.to_numeric(column, errors="coerce").notna()


def _looks_like_time(column: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(column):
        return True
    present = _present(column)
    if not present.any() or _all_numbers(column):
        return False
    try:
        first = pd.to_datetime(str(column[present].iloc[0]).strip(), errors="coerce")
    except (ValueError, OverflowError, TypeError):
        return False
    return first is not pd.NaT and not pd.isna(first)


def _detect_time_column(frame: pd.DataFrame, channels: Sequence[str] | None) -> str | None:
    for name in frame.columns:
        if str(name).lower() in TIME_NAMES and (channels is None or name not in channels):
            return str(name)
    first = str(frame.columns[0])
    if (channels is None or first not in channels) and _looks_like_time(frame[first]):
        return first
    return None


def _time_values(frame: pd.DataFrame, name: str, path: Path, header_lines: int) -> np.ndarray:
    """Timestamps as datetime64[ns], or whole numbers as int64 steps."""
    column = frame[name]
    if pd.api.types.is_datetime64_any_dtype(column):
        column = column.dt.tz_convert("UTC").dt.tz_localize(None) if column.dt.tz is not None else column
        column = column.astype(str).where(column.notna(), "")  # reuse the checks of time_column
        frame = frame.assign(**{name: column})
    elif _all_numbers(column):
        steps = numeric_column(frame, name, path, header_lines=header_lines, allow_missing=False)
        whole = (steps == np.round(steps)) & (np.abs(steps) < _MAX_STEP)
        if not whole.all():
            pos = _first(~whole)
            found = f"found {str(column.iloc[pos])!r}"
            raise _cell_error(
                path, frame, pos, name, f"expected a timestamp or a whole step number, {found}", header_lines
            )
        duplicated = pd.Series(steps).duplicated()
        if duplicated.any():
            pos = _first(duplicated)
            message = f"duplicated time step {str(column.iloc[pos])!r}; each time must appear once per series"
            raise _cell_error(path, frame, pos, name, message, header_lines)
        return steps.astype(np.int64)
    return time_column(frame, name, path, header_lines=header_lines)


def _reject_text_column(frame: pd.DataFrame, name: str, path: Path) -> None:
    column = frame[name]
    present = _present(column)
    if present.any() and not _numeric_cells(column)[present].any():
        first = str(column[present].iloc[0])
        raise DataFormatError(
            path,
            f"expected numbers, found text only (first value {first!r}); pass "
            "`channels` to choose the value columns",
            column=name,
        )


def _channel_values(frame: pd.DataFrame, name: str, path: Path, header_lines: int) -> np.ndarray:
    column = frame[name]
    if pd.api.types.is_datetime64_any_dtype(column) or pd.api.types.is_timedelta64_dtype(column):
        found = "timestamps" if pd.api.types.is_datetime64_any_dtype(column) else "durations"
        raise DataFormatError(
            path, f"expected numbers, found {found}; a series has one time column", column=name
        )
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = numeric_column(frame, name, path, header_lines=header_lines)
    outside = np.abs(np.nan_to_num(values, nan=0.0)) > _FLOAT32_MAX
    if outside.any():
        pos = _first(outside)
        message = (
            f"expected a number of size below {_FLOAT32_MAX:.3g} (values are stored as float32), "
            f"found {str(column.iloc[pos])!r}"
        )
        raise _cell_error(path, frame, pos, name, message, header_lines)
    return values


# ----------------------------------------------------------------------------- tables


def read_work_orders_csv(path: Path | str) -> tuple[Document, ...]:
    """Read work orders: one Document (kind ``work_order``) per row.

    Required columns ``wo_id``, ``asset_id`` (cells may be empty) and ``text``; optional ``created``
    (or ``date`` or ``time``: the first found gives ``Document.time``), ``failure_code``, ``cost``
    and ``labour_hours`` (numbers); every other column is kept as text in ``fields``. Empty
    optional cells are None.

    Raises:
        DataFormatError: empty or duplicated ``wo_id``, empty ``text``, a bad date or number,
            naming the line and column.
    """
    path = Path(path)
    frame = read_csv_checked(
        path, sep=sniff_separator(path), required=("wo_id", "asset_id", "text"), dtype=str
    )
    ids = _id_column(frame, "wo_id", path)
    text = _text(frame["text"])
    if (text == "").any():
        raise _cell_error(
            path, frame, _first(text == ""), "text", "expected the work order text, found an empty cell"
        )
    time_name = next((c for c in WORK_ORDER_TIMES if c in frame.columns), None)
    times: list[pd.Timestamp | None] = [None] * len(frame)
    if time_name is not None:
        present = _present(frame[time_name]).to_numpy()
        parsed = time_column(frame[present], time_name, path, unique=False)  # row labels keep the lines
        for i, stamp in zip(np.flatnonzero(present), parsed, strict=True):
            times[int(i)] = pd.Timestamp(stamp)
    numbers = {c: numeric_column(frame, c, path) for c in ("cost", "labour_hours") if c in frame.columns}
    others = {
        c: _text(frame[c])
        for c in frame.columns
        if c not in ("wo_id", "asset_id", "text", time_name) and c not in numbers
    }
    asset_ids = _text(frame["asset_id"])
    documents = []
    for pos in range(len(frame)):
        fields: dict[str, Any] = {c: cells.iloc[pos] or None for c, cells in others.items()}
        fields.update({c: None if np.isnan(v[pos]) else float(v[pos]) for c, v in numbers.items()})
        documents.append(
            Document(
                doc_id=ids[pos],
                kind="work_order",
                text=text.iloc[pos],
                asset_id=asset_ids.iloc[pos],
                time=times[pos],
                fields=fields,
            )
        )
    return tuple(documents)


def read_assets_csv(path: Path | str) -> tuple[Asset, ...]:
    """Read an asset register: required ``asset_id``, optional ``asset_type``.

    Every other column goes into ``attributes``: as numbers when all its filled cells are numbers
    (int when all whole), else as text; empty cells are None.

    Raises:
        DataFormatError: an empty or duplicated ``asset_id``, naming the line.
    """
    path = Path(path)
    frame = read_csv_checked(path, sep=sniff_separator(path), required=("asset_id",), dtype=str)
    ids = _id_column(frame, "asset_id", path)
    types = _text(frame["asset_type"]).tolist() if "asset_type" in frame.columns else [""] * len(frame)
    extra = {
        c: _attribute_values(frame, c, path) for c in frame.columns if c not in ("asset_id", "asset_type")
    }
    return tuple(
        Asset(asset_id=ids[pos], asset_type=types[pos], attributes={c: v[pos] for c, v in extra.items()})
        for pos in range(len(frame))
    )


def _text(column: pd.Series) -> pd.Series:
    return column.fillna("").astype(str).str.strip()


def _id_column(frame: pd.DataFrame, name: str, path: Path) -> list[str]:
    ids = _text(frame[name])
    if (ids == "").any():
        raise _cell_error(path, frame, _first(ids == ""), name, "expected an id, found an empty cell")
    duplicated = ids.duplicated()
    if duplicated.any():
        pos = _first(duplicated)
        first = row_line(frame, _first(ids == ids.iloc[pos]))
        message = f"duplicated {name} {ids.iloc[pos]!r} (first on line {first}); each {name} must appear once"
        raise _cell_error(path, frame, pos, name, message)
    return ids.tolist()


def _attribute_values(frame: pd.DataFrame, name: str, path: Path) -> list[Any]:
    if not _all_numbers(frame[name]):
        return [v or None for v in _text(frame[name])]
    numbers = numeric_column(frame, name, path)
    filled = numbers[~np.isnan(numbers)]
    whole = bool(np.all((filled == np.round(filled)) & (np.abs(filled) < _MAX_STEP)))
    return [None if np.isnan(v) else int(v) if whole else float(v) for v in numbers]


# ----------------------------------------------------------------------------- drawings and folders


def read_drawing_image(path: Path | str, *, drawing_id: str | None = None, asset_id: str = "") -> Drawing:
    """Check that ``path`` is a real PNG or JPG image and describe it as a Drawing.

    Raises:
        DataFormatError: missing file, a suffix other than .png/.jpg/.jpeg, or a corrupt or
            truncated image.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        raise DataFormatError(
            path,
            "expected a PNG or JPG image, found a PDF; PDF drawings will be read by "
            "the drawings module (via pdftoppm); for now export the page as PNG",
        )
    if suffix not in IMAGE_SUFFIXES:
        raise DataFormatError(
            path, f"expected a PNG or JPG image (.png, .jpg, .jpeg), found {suffix or 'no'} suffix"
        )
    if not path.is_file():
        raise DataFormatError(path, "file not found")
    try:
        with Image.open(path) as image:
            image.verify()  # checks the structure; the image cannot be used afterwards
        with Image.open(path) as image:
            image.load()  # decodes the pixels: catches a truncated JPEG, which verify() lets pass
            kind, (width, height) = image.format, image.size
    except Image.DecompressionBombError as err:
        raise DataFormatError(path, f"image too large to read safely: {err}") from None
    except Exception as err:  # PIL raises many types (OSError, SyntaxError, struct.error, ...)
        raise DataFormatError(
            path, f"not a PNG/JPG image, or a corrupt or truncated one ({type(err).__name__}: {err})"
        ) from None
    if kind not in ("PNG", "JPEG"):
        raise DataFormatError(path, f"not a PNG/JPG image: the content is {kind}")
    return Drawing(
        drawing_id=drawing_id or path.stem,
        path=path,
        asset_id=asset_id,
        width=width,
        height=height,
        fields={"format": kind},
    )


def read_user_folder(path: Path | str) -> MaintenanceData:
    """Read a folder of a user's own data (layout in the module docstring); every part is optional.

    Raises:
        DataFormatError: not a folder, none of the expected inputs, or any malformed file.
    """
    path = Path(path)
    if not path.is_dir():
        raise DataFormatError(
            path, "expected a folder of maintenance data, found " + ("a file" if path.exists() else "nothing")
        )
    assets = read_assets_csv(path / "assets.csv") if (path / "assets.csv").is_file() else ()
    documents = read_work_orders_csv(path / "work_orders.csv") if (path / "work_orders.csv").is_file() else ()
    series_files = _files(path / "series", SERIES_SUFFIXES)
    stems = [f.stem for f in series_files]
    for stem in sorted({s for s in stems if stems.count(s) > 1}):
        clash = [f.name for f in series_files if f.stem == stem]
        raise DataFormatError(path / "series", f"two files for asset {stem!r}: {clash}; keep one")
    series = tuple(read_series_file(f, asset_id=f.stem, series_id=f.stem) for f in series_files)
    drawings = tuple(read_drawing_image(f) for f in _files(path / "drawings", IMAGE_SUFFIXES))
    if not (assets or documents or series or drawings):
        found = sorted(
            p.name + ("/" if p.is_dir() else "") for p in path.iterdir() if not p.name.startswith(".")
        )
        raise DataFormatError(
            path,
            "expected at least one of assets.csv, work_orders.csv, "
            "series/*.csv|*.parquet|*.pq, drawings/*.png|*.jpg|*.jpeg; found "
            f"{found or 'an empty folder'}",
        )
    known = {a.asset_id for a in assets}
    if known:
        used = [s.asset_id for s in series] + [d.asset_id for d in documents]
        unknown = sorted({a for a in used if a and a not in known})
        if unknown:
            log.warning("%s: asset ids not in assets.csv: %s", path, unknown[:10])
    return MaintenanceData(
        name=path.resolve().name,
        assets=assets,
        series=series,
        documents=documents,
        drawings=drawings,
        meta={"source": str(path)},
    )


def _files(folder: Path, suffixes: Sequence[str]) -> list[Path]:
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    skipped = [p.name for p in files if p.suffix.lower() not in suffixes]
    if skipped:
        log.warning("%s: skipping files that are not %s: %s", folder, "/".join(suffixes), skipped)
    return [p for p in files if p.suffix.lower() in suffixes]
