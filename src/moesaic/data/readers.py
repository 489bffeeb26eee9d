"""Generic readers for a user's own files: sensor series, work orders, assets, drawings.

Every reader validates through :mod:`moesaic.data.tables`, so a malformed file ends in one
:class:`~moesaic.data.tables.DataFormatError` naming the file, the line and/or column, what was
expected and what was found. Readers never write anything.

The folder layout read by :func:`read_user_folder`::

    my_plant/
      assets.csv           asset_id[, asset_type, any other column]
      work_orders.csv      wo_id, asset_id, text[, created|date|time, failure_code, cost, labour_hours, ...]
      fmea.csv             an FMEA sheet in the 12-column layout of :mod:`moesaic.data.readers_fmea`
      series/P-101.csv     a time column + numeric channels (CSV or Parquet); asset id = file stem
      series/P-101_vib.csv another file of P-101 when assets.csv lists P-101 (or series/P-101/*.csv):
                           joined with the asset's other files into one series
      drawings/P-101.png   PNG or JPG drawings; drawing id = file stem

File, folder and column names are matched without case (``Assets.CSV``, ``WO_ID``); a warning
lists the other entries of the folder, which are not read.

For Parquet files, "line N" in an error message means the N-th row (counted from 1).

Column and cell reading lives in :mod:`moesaic.data.readers_columns`, the work-order and asset
tables in :mod:`moesaic.data.readers_records`; their public names are re-exported here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd
from PIL import Image

from moesaic.data.readers_columns import (
    INDEX_NAMES,
    LABEL_NAMES,
    SEPARATORS,
    TIME_NAMES,
    _channel_values,
    _detect_time_column,
    _drop_unnamed_empty,
    _has_offsets,
    _index_columns,
    _label_columns,
    _read_parquet,
    _reject_text_column,
    _time_values,
    is_text_column,
    join_date_and_clock,
    read_sniffed_csv,
    sniff_separator,
)
from moesaic.data.readers_fmea import read_fmea
from moesaic.data.readers_records import WORK_ORDER_TIMES, read_assets_csv, read_work_orders_csv
from moesaic.data.readers_units import split_unit_row
from moesaic.data.schema import Document, Drawing, MaintenanceData, Series
from moesaic.data.series_merge import merge_asset_series
from moesaic.data.series_split import split_by_asset_columns
from moesaic.data.tables import DataFormatError, check_file, require_columns

__all__ = [
    "IMAGE_SUFFIXES",
    "INDEX_NAMES",
    "LABEL_NAMES",
    "SEPARATORS",
    "SERIES_SUFFIXES",
    "TIME_NAMES",
    "WORK_ORDER_TIMES",
    "read_assets_csv",
    "read_drawing_image",
    "read_series_file",
    "read_user_folder",
    "read_work_orders_csv",
    "sniff_separator",
]

log = logging.getLogger(__name__)

SERIES_SUFFIXES = (".csv", ".parquet", ".pq")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
_UNIT_IN_NAME = re.compile(r"[(\[]\s*((?=[^()\[\]]*[^\W\d_]|[^()\[\]]*[°%])[^()\[\]\s]{1,10})\s*[)\]]\s*$")
"""A unit written at the end of a column name: ``Brg Temp DE (°C)``, ``Flow [m3/h]``, ``Load (%)``."""
SEPARATORS_OF_IDS = (" ", "_", "-", ".", "+")
"""What may follow an asset id in the name of another file of that asset (``P-101_vibration.csv``)."""


def read_series_file(
    path: Path | str,
    *,
    time_col: str | None = None,
    channels: Sequence[str] | None = None,
    sep: str | None = None,
    asset_id: str = "",
    series_id: str | None = None,
    skip_text: bool = False,
    text_labels: bool = False,
) -> Series:
    """Read one multichannel series from a CSV or Parquet file.

    Args:
        path: a ``.csv`` file (separator sniffed among ``,`` ``;`` and tab unless ``sep`` is given;
            with ``;`` or tab, decimal commas are read: ``0,75`` is 0.75) or a ``.parquet``/``.pq``
            file.
        time_col: the time column. None: a column named time, timestamp, date, datetime, cycle or
            step (any case), else the first column when it holds timestamps, else row numbers
            (int64) are the time.
            A time column of whole numbers gives int64 steps (cycles, samples).
        channels: the value columns. None: every column except the time column, label columns
            (a name of :data:`LABEL_NAMES`, such as ``anomaly`` or ``changepoint``, holding whole
            numbers only), which go to ``Series.labels`` instead, and row counters (an unnamed
            column or one of :data:`INDEX_NAMES` going up by 1, listed in ``meta["index_columns"]``);
            a column of text only is then an error naming it.
        sep: the CSV field separator.
        asset_id: the asset the series belongs to.
        series_id: defaults to the file stem.
        skip_text: with ``channels`` None, leave a column of text only out (a warning names it,
            ``meta["text_columns"]`` lists it) instead of refusing the file, as when a whole folder
            is read and no column can be chosen per file.
        text_labels: with ``skip_text``, also keep each such column in ``Series.labels`` as text
            per step (a status such as RUN / STANDBY, "" where empty): a condition to synthesise by.

    Returns:
        A Series with values (T, C) float32, NaN and ``observed`` False for empty cells, sorted by
        time (a warning is logged when the file was not). Timestamps with a UTC offset (``Z``,
        ``+01:00``, a tz-aware Parquet column) are converted to UTC, and ``meta["utc"]`` says so.

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
        frame, header_lines, fmt = read_sniffed_csv(path, sep=sep), 1, "csv"
    frame = _drop_unnamed_empty(frame)
    frame, unit_row = split_unit_row(frame, path) if fmt == "csv" else (frame, {})
    joined = None
    if time_col is None:
        frame, joined = join_date_and_clock(frame, path, channels)
    if time_col is not None:
        require_columns(frame, [time_col], path)
    wanted = list(channels) if channels is not None else []
    require_columns(frame, wanted, path)
    if len(frame) < 2:
        raise DataFormatError(path, f"expected at least 2 data rows, found {len(frame)}")

    time_name = time_col or joined or _detect_time_column(frame, channels)
    if time_name is None:
        time = np.arange(len(frame), dtype=np.int64)
    else:
        try:
            time = _time_values(frame, time_name, path, header_lines)
        except DataFormatError as err:
            stacked = _stacked_by(frame, time_name) if err.reason.startswith("duplicated") else None
            if stacked is None:
                raise
            raise DataFormatError(
                path, f"{err.reason}; {stacked}", line=err.line, column=err.column
            ) from None
    label_names: list[str] = []
    index_names: list[str] = []
    text: list[str] = []
    if channels is None:
        wanted = [str(c) for c in frame.columns if c != time_name]
        label_names = _label_columns(frame, wanted)
        index_names = _index_columns(frame, wanted)
        wanted = [name for name in wanted if name not in label_names and name not in index_names]
        if not wanted:
            raise DataFormatError(
                path,
                f"no value columns besides the time column {time_name!r}; "
                f"found columns {list(frame.columns)}",
            )
        text = [name for name in wanted if is_text_column(frame, name)] if skip_text else []
        if text and len(text) < len(wanted):
            kept = "; they are read as per-step labels" if text_labels else ""
            log.warning(
                "%s: column(s) %s hold text only; they are left out of the channels%s", path, text, kept
            )
            wanted = [name for name in wanted if name not in text]
        for name in wanted:
            _reject_text_column(frame, name, path)
    else:  # the channels chosen; a label column beside them is still the labels (``detect --load``)
        label_names = _label_columns(
            frame, [str(c) for c in frame.columns if c != time_name and c not in wanted]
        )
    values = pd.DataFrame({name: _channel_values(frame, name, path, header_lines) for name in wanted})
    labels = {name: _channel_values(frame, name, path, header_lines) for name in label_names}
    if text_labels:
        labels.update(
            {name: frame[name].fillna("").astype(str).str.strip().to_numpy(dtype=object) for name in text}
        )

    if np.any(time[1:] < time[:-1]):
        log.warning("%s: rows are not in time order; sorting them by %r", path, time_name)
        order = np.argsort(time, kind="stable")
        time, values = time[order], values.iloc[order].reset_index(drop=True)
        labels = {name: label[order] for name, label in labels.items()}
    if labels:
        log.info("%s: label columns %s are read as labels, not channels", path, list(labels))
    if index_names:
        log.info("%s: columns %s number the rows; they are not read as channels", path, index_names)
    utc = time_name is not None and _has_offsets(frame[time_name])
    units = {name: unit_row[name] for name in values.columns if name in unit_row}
    units |= {name: m.group(1) for name in values.columns if (m := _UNIT_IN_NAME.search(str(name)))}
    meta = {
        "source": str(path),
        "format": fmt,
        "time_column": time_name,
        "index_columns": index_names,
        "utc": utc,
        **({"text_columns": text} if text else {}),
        **({"units": units} if units else {}),
    }
    return Series.from_frame(
        values, series_id=series_id or path.stem, asset_id=asset_id, time=time, labels=labels, meta=meta
    )


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
    check_file(path, "a PNG or JPG image file")
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


FOLDER_FILES = ("assets.csv", "work_orders.csv", "fmea.csv")
FOLDER_DIRS = ("series", "drawings")


def _header_only(path: Path) -> bool:
    """True (with a warning) for a CSV of a header line and no rows: a plant with no work order yet."""
    check_file(path, "a CSV file")
    # bytes, not text: the reader that follows checks the encoding (and falls back to
    # Windows-1252 with one warning); counting lines needs neither
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    if len(lines) == 1:
        log.warning("%s: a header and no rows; no work order read", path)
    return len(lines) == 1


def _folder_entries(path: Path) -> dict[str, Path]:
    """{documented name (``assets.csv``, ``series``, ...): the entry of ``path`` of that name in any
    case}, warning about the other entries, which are not read.

    Raises:
        DataFormatError: two entries are one documented name in different cases.
    """
    entries = sorted(p for p in path.iterdir() if not p.name.startswith("."))
    found: dict[str, Path] = {}
    for name, is_kind in [(f, Path.is_file) for f in FOLDER_FILES] + [(d, Path.is_dir) for d in FOLDER_DIRS]:
        matches = [p for p in entries if p.name.casefold() == name and is_kind(p)]
        if len(matches) > 1:
            raise DataFormatError(
                path, f"{[p.name for p in matches]} differ only by case and are both {name!r}; keep one"
            )
        if matches:
            found[name] = matches[0]
    unread = [p.name + ("/" if p.is_dir() else "") for p in entries if p not in found.values()]
    if unread:
        expected = ", ".join([*FOLDER_FILES, *(f"{d}/" for d in FOLDER_DIRS)])
        log.warning("%s: %s not read; the names read (in any case) are %s", path, unread, expected)
    return found


def _warn_unknown_assets(
    path: Path, known: set[str], series: Sequence[Series], documents: Sequence[Document]
) -> None:
    """Warn of the asset ids that assets.csv does not hold, each with where it was read: a series
    file, or the records (work orders, FMEA rows) that name it."""
    where: dict[str, list[str]] = {}
    for s in series:
        if s.asset_id and s.asset_id not in known:
            source = Path(str(s.meta.get("source", s.series_id)))
            where.setdefault(s.asset_id, []).append(
                str(source.relative_to(path)) if source.is_relative_to(path) else str(source)
            )
    for d in documents:
        if d.asset_id and d.asset_id not in known:
            where.setdefault(d.asset_id, []).append(f"{d.kind.replace('_', ' ')} {d.doc_id}")
    if where:
        named = "; ".join(
            f"{a!r} ({', '.join(w[:3])}{f' and {len(w) - 3} more' if len(w) > 3 else ''})"
            for a, w in sorted(where.items())[:10]
        )
        more = f" and {len(where) - 10} more" if len(where) > 10 else ""
        log.warning("%s: asset ids not in assets.csv: %s%s; ingested under those ids", path, named, more)


def read_user_folder(path: Path | str) -> MaintenanceData:
    """Read a folder of a user's own data (layout in the module docstring); every part is optional.

    Raises:
        DataFormatError: not a folder, two files whose names differ only by case, none of the
            expected inputs (or only header lines), or any malformed file.
    """
    path = Path(path)
    if not path.is_dir():
        raise DataFormatError(
            path, "expected a folder of maintenance data, found " + ("a file" if path.exists() else "nothing")
        )
    found = _folder_entries(path)
    assets = read_assets_csv(found["assets.csv"]) if "assets.csv" in found else ()
    orders = found.get("work_orders.csv")
    empty = [orders.name] if orders is not None and _header_only(orders) else []
    documents = read_work_orders_csv(orders) if orders is not None and not empty else ()
    if "fmea.csv" in found:
        documents += read_fmea(found["fmea.csv"]).documents
    series = _read_series_folder(found.get("series", path / "series"), [a.asset_id for a in assets])
    drawings = tuple(
        read_drawing_image(f) for f in _files(found.get("drawings", path / "drawings"), IMAGE_SUFFIXES)
    )
    if not (assets or documents or series or drawings):
        _refuse_nothing_read(path, empty)
    known = {a.asset_id for a in assets}
    if known:
        _warn_unknown_assets(path, known, series, documents)
    return MaintenanceData(
        name=path.resolve().name,
        assets=assets,
        series=series,
        documents=documents,
        drawings=drawings,
        meta={"source": str(path)},
    )


def _read_series_folder(folder: Path, known: Sequence[str]) -> tuple[Series, ...]:
    """One series per asset from ``folder``'s files: a file's asset is its name, or the id of
    ``known`` its name starts with before a separator (``P-101_vibration.csv``), or the subfolder
    it is in (``series/P-101/2024-01.csv``); a file of no known asset whose columns name assets
    (``GB-101 Oil Temp``) is split among them (:mod:`~moesaic.data.series_split`); an asset's
    files are joined by
    :func:`~moesaic.data.series_merge.merge_asset_series`.

    Raises:
        DataFormatError: two files of one name in different formats, or files of an asset that
            cannot be joined.
    """
    flat = _files(folder, SERIES_SUFFIXES)
    stems = [f.stem for f in flat]
    for stem in sorted({s for s in stems if stems.count(s) > 1}):
        clash = [f.name for f in flat if f.stem == stem]
        raise DataFormatError(folder, f"two files for asset {stem!r}: {clash}; keep one")
    groups: dict[str, list[Path]] = {}
    for f in flat:
        groups.setdefault(_asset_of(f.stem, known), []).append(f)
    subfolders = folder.iterdir() if folder.is_dir() else iter(())
    for sub in sorted(p for p in subfolders if p.is_dir() and not p.name.startswith(".")):
        groups.setdefault(_asset_of(sub.name, known), []).extend(_files(sub, SERIES_SUFFIXES))
    parts: dict[str, list[Series]] = {}
    for asset, files in groups.items():
        for f in files:
            part = read_series_file(f, asset_id=asset, series_id=f.stem, skip_text=True)
            pieces = [part] if asset in known else split_by_asset_columns(part, known)
            for piece in pieces:
                parts.setdefault(piece.asset_id, []).append(piece)
    return tuple(merge_asset_series(asset, pieces, folder) for asset, pieces in sorted(parts.items()))


def _asset_of(name: str, known: Sequence[str]) -> str:
    """The asset a series file or subfolder named ``name`` belongs to: the id of ``known`` it
    spells (in any case), else the longest id it starts with before one of `` _-.+``, else itself."""
    folded = name.casefold()
    for asset in known:
        if asset.casefold() == folded:
            return asset
    prefixes = [
        a
        for a in known
        if folded.startswith(a.casefold()) and folded[len(a) : len(a) + 1] in SEPARATORS_OF_IDS
    ]
    return max(prefixes, key=len) if prefixes else name


def _refuse_nothing_read(path: Path, empty: Sequence[str]) -> NoReturn:
    """Fail for a folder that gave no record, saying which files were found and, when some were,
    that they hold a header and no rows."""
    expected = (
        "assets.csv, work_orders.csv, series/*.csv|*.parquet|*.pq, drawings/*.png|*.jpg|*.jpeg, fmea.csv"
    )
    if empty:
        raise DataFormatError(
            path,
            f"no records to read: {', '.join(empty)} holds a header and no rows; expected rows in at "
            f"least one of {expected}",
        )
    found = sorted(p.name + ("/" if p.is_dir() else "") for p in path.iterdir() if not p.name.startswith("."))
    raise DataFormatError(path, f"expected at least one of {expected}; found {found or 'an empty folder'}")


def _files(folder: Path, suffixes: Sequence[str]) -> list[Path]:
    if not folder.is_dir():
        return []
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    skipped = [p.name for p in files if p.suffix.lower() not in suffixes]
    if skipped:
        log.warning("%s: skipping files that are not %s: %s", folder, "/".join(suffixes), skipped)
    return [p for p in files if p.suffix.lower() in suffixes]


STACKED_VALUES = 50
"""The most distinct values of a text column that may name the series a file stacks (turbines)."""


def _stacked_by(frame: pd.DataFrame, time_name: str) -> str | None:
    """A hint when the file's repeated times come from several series stacked in one file: a text
    column of at most :data:`STACKED_VALUES` values within each of which no time repeats; None
    when no column does so."""
    times = frame[time_name].astype(str)
    for name in frame.columns:
        if name == time_name or not is_text_column(frame, name):
            continue
        groups = frame[name].fillna("").astype(str).str.strip()
        count = groups.nunique()
        if 2 <= count <= STACKED_VALUES and not pd.DataFrame({"g": groups, "t": times}).duplicated().any():
            shown = ", ".join(sorted(groups.unique())[:3]) + (", ..." if count > 3 else "")
            return (
                f"column {name!r} holds {count} series ({shown}), each with its own times: one series "
                f"per file, so split the file by {name!r} (in a folder: series/<asset id>.csv each)"
            )
    return None
