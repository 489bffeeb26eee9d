"""What a window knows of its asset beyond the series: attribute table, work orders, drawing.

Helpers of :func:`moesaic.data.windows.make_windows`: the asset attributes as standardised numeric
and category-id features fitted on the training assets, each asset's dated work-order texts (and
how many precede a time), and the bank of grayscale drawings with the row each asset reads.

Axes: F numeric and G categorical features, K work orders of an asset, R drawings, S image side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch import Tensor

from moesaic.data.schema import Asset, MaintenanceData
from moesaic.data.tables import DataFormatError

if TYPE_CHECKING:
    from moesaic.data.windows import WindowConfig


class _Tables(NamedTuple):
    numeric: dict[str, np.ndarray]  # asset id -> (F,) standardised, NaN missing
    categorical: dict[str, np.ndarray]  # asset id -> (G,) ids
    numeric_names: tuple[str, ...]
    categorical_names: tuple[str, ...]
    cardinalities: tuple[int, ...]


def _value(asset: Asset, column: str) -> Any:
    return asset.asset_type if column == "asset_type" else asset.attributes.get(column)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _fit_tables(train: list[Asset], every: list[Asset], config: WindowConfig) -> _Tables:
    """Numeric columns standardised on ``train``; other columns as ids of the values seen in ``train``."""
    columns = sorted({k for a in every for k in a.attributes} - set(config.exclude_attributes))
    numeric_names = tuple(
        c for c in columns if all(_value(a, c) is None or _is_number(_value(a, c)) for a in every)
    )
    categorical_names = ("asset_type", *(c for c in columns if c not in numeric_names))
    raw = {
        a.asset_id: np.array([np.nan if _value(a, c) is None else float(_value(a, c)) for c in numeric_names])
        for a in every
    }
    rows = np.array([raw[a.asset_id] for a in train], dtype=np.float64).reshape(
        len(train), len(numeric_names)
    )
    seen = ~np.isnan(rows)
    count = np.maximum(seen.sum(axis=0), 1)
    mean = np.where(seen, rows, 0.0).sum(axis=0) / count
    std = np.sqrt((np.where(seen, rows - mean, 0.0) ** 2).sum(axis=0) / count)
    std = np.where(std > 0, std, 1.0)
    vocab = [
        sorted({str(_value(a, c)) for a in train if _value(a, c) not in (None, "")})
        for c in categorical_names
    ]
    index = [{v: i + 1 for i, v in enumerate(values)} for values in vocab]
    categorical = {
        a.asset_id: np.array(
            [index[g].get(str(_value(a, c)), 0) for g, c in enumerate(categorical_names)], dtype=np.int64
        )
        for a in every
    }
    numeric = {k: ((v - mean) / std).astype(np.float32) for k, v in raw.items()}
    return _Tables(
        numeric, categorical, numeric_names, categorical_names, tuple(max(len(v), 1) for v in vocab)
    )


def _work_orders(data: MaintenanceData) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Per asset: (K,) sorted datetime64 times and the K texts of its dated work orders."""
    by_asset: dict[str, list[tuple[np.datetime64, str]]] = {}
    for doc in data.documents:
        if doc.kind == "work_order" and doc.asset_id and doc.time is not None:
            by_asset.setdefault(doc.asset_id, []).append((np.datetime64(doc.time, "ns"), doc.text))
    out = {}
    for asset_id, items in by_asset.items():
        items.sort(key=lambda item: item[0])
        out[asset_id] = (np.array([t for t, _ in items], dtype="datetime64[ns]"), [text for _, text in items])
    return out


def _texts_until(times: np.ndarray, end: Any) -> int:
    """How many of the sorted work-order ``times`` are at or before ``end`` (0 for step-indexed series)."""
    if not np.issubdtype(np.asarray(end).dtype, np.datetime64):
        return 0
    return int(np.searchsorted(times, np.datetime64(end, "ns"), side="right"))


def _drawing_bank(
    data: MaintenanceData, assets: Mapping[str, Asset], size: int
) -> tuple[Tensor, dict[str, int]]:
    """(R, 1, S, S) images of the drawings some asset uses, and the bank row of each asset."""
    chosen: dict[str, str] = {}
    paths = {}
    for drawing in sorted(data.drawings, key=lambda d: d.drawing_id):
        paths[drawing.drawing_id] = drawing.path
        for asset in assets.values():
            linked_ids = (drawing.asset_id, *drawing.fields.get("asset_ids", ()))
            linked = asset.asset_id in linked_ids
            same_type = bool(asset.asset_type) and drawing.fields.get("asset_type") == asset.asset_type
            if asset.asset_id not in chosen and (linked or same_type):
                chosen[asset.asset_id] = drawing.drawing_id
    used = sorted(set(chosen.values()))
    images = [_read_drawing(paths[d], size) for d in used]
    bank = torch.stack(images) if images else torch.zeros(0, 1, size, size)
    return bank, {a: used.index(d) for a, d in chosen.items()}


def _read_drawing(path: Any, size: int) -> Tensor:
    try:
        with Image.open(path) as image:
            gray = image.convert("L").resize((size, size), Image.Resampling.BOX)
    except (FileNotFoundError, UnidentifiedImageError, OSError) as err:
        raise DataFormatError(path, f"cannot read the drawing as an image ({err})") from None
    return torch.from_numpy(np.asarray(gray, dtype=np.float32) / 255.0)[None]  # (1, S, S)
