"""Input checks shared by the metric modules of :mod:`moesaic.eval.metrics`.

Each raises ``ValueError`` naming the argument, what was expected and what was found: empty
arrays, mismatched shapes, non-finite forecasts or scores, quantile levels outside (0, 1) and
non-binary labels.
"""

from __future__ import annotations

import numpy as np


def _array(name: str, a: object) -> np.ndarray:
    arr = np.asarray(a, dtype=float)
    if arr.size == 0:
        raise ValueError(f"`{name}` must not be empty, got shape {arr.shape}")
    return arr


def _same_shape(name: str, a: np.ndarray, ref_name: str, ref: np.ndarray) -> None:
    if a.shape != ref.shape:
        raise ValueError(f"`{name}` must have the shape of `{ref_name}` {ref.shape}, got {a.shape}")


def _observed(y: np.ndarray, name: str, forecast: np.ndarray) -> np.ndarray:
    """Mask of observed targets (broadcast to `forecast`); the forecast must be finite there."""
    mask = ~np.isnan(y)
    if not mask.any():
        raise ValueError(f"`y` has no observed (non-NaN) target among its {y.size} values")
    mask_f = np.broadcast_to(mask[..., None], forecast.shape) if forecast.ndim > y.ndim else mask
    bad = int((~np.isfinite(forecast) & mask_f).sum())
    if bad:
        raise ValueError(f"`{name}` must be finite where `y` is observed, found {bad} non-finite values")
    return mask


def _finite(name: str, a: np.ndarray) -> None:
    bad = int((~np.isfinite(a)).sum())
    if bad:
        raise ValueError(f"`{name}` must be finite, found {bad} non-finite values")


def _quantile_levels(name: str, q: object) -> np.ndarray:
    levels = np.atleast_1d(np.asarray(q, dtype=float))
    if levels.ndim != 1 or levels.size == 0:
        raise ValueError(f"`{name}` must be a non-empty 1-D sequence of levels, got shape {levels.shape}")
    outside = levels[~((levels > 0) & (levels < 1))]
    if outside.size:
        raise ValueError(f"`{name}` must lie in the open interval (0, 1), found {outside.tolist()}")
    return levels


def _binary(name: str, a: object) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D (T,), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"`{name}` must not be empty, got shape {arr.shape}")
    if arr.dtype != bool:
        values = np.unique(arr)
        if not np.isin(values, (0, 1)).all():
            raise ValueError(f"`{name}` must be binary (bool or 0/1), found values {values[:10].tolist()}")
    return arr.astype(bool)


def _pair(labels: object, other: object, other_name: str) -> tuple[np.ndarray, np.ndarray]:
    lab = _binary("labels", labels)
    if other_name == "scores":
        oth = np.asarray(other, dtype=float)
        if oth.shape == lab.shape:
            _finite("scores", oth)
    else:
        oth = _binary(other_name, other)
    _same_shape(other_name, oth, "labels", lab)
    return lab, oth
