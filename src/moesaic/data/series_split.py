"""One file of several assets' readings, split into one series per asset.

Historians often export a line or an area in one wide file: ``PM2_drivetrain.csv`` with the
columns ``GB-101 Oil Temp (°C)``, ``GB-101 Vib (mm/s)``, ``DR-101 Motor Current (A)``. Read as one
asset, that file would give a series of an asset nobody owns, and every question about GB-101
would find no reading. :func:`split_by_asset_columns` gives each asset named at the start or end
of its columns its own series, the id left out of the channel name (``Oil Temp (°C)``); the
columns that name no asset stay with the file.

An id matches in any case, and also without its own separators (``GB101`` for ``GB-101``); it must
be set off from the rest of the name by a space, ``_``, ``-``, ``.``, ``:`` or ``/``, so that
``P-1`` does not match ``P-10 Flow``. The longest id that matches wins.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence

from moesaic.data.schema import Series

__all__ = ["split_by_asset_columns"]

log = logging.getLogger(__name__)

_SET_OFF = " _-.:/"


def _compact(text: str) -> str:
    return re.sub(r"[\s_\-.:/]+", "", text.casefold())


def _asset_in(column: str, known: Sequence[str]) -> tuple[str, str] | None:
    """(asset, the column's name without it) when ``column`` starts or ends with a known id set off
    by a separator, else None."""
    folded = column.casefold()
    best: tuple[str, str] | None = None
    for asset in known:
        for spelled in dict.fromkeys((asset.casefold(), _compact(asset))):
            if not spelled:
                continue
            rest = None
            if folded.startswith(spelled) and folded[len(spelled) : len(spelled) + 1] in tuple(_SET_OFF):
                rest = column[len(spelled) :]
            elif folded.endswith(spelled) and folded[-len(spelled) - 1 : -len(spelled)] in tuple(_SET_OFF):
                rest = column[: -len(spelled)]
            if rest is None or not rest.strip(_SET_OFF):
                continue
            if best is None or len(asset) > len(best[0]):
                best = (asset, rest.strip(_SET_OFF))
    return best


def split_by_asset_columns(part: Series, known: Sequence[str]) -> list[Series]:
    """``part`` split into one series per asset of ``known`` its columns name (rules in the module
    docstring); ``[part]`` when no column names one. The columns naming no asset stay in a series
    of ``part``'s own id, with a warning naming them; labels go with every piece.
    """
    owner: dict[str, tuple[str, str]] = {}
    for column in part.channels:
        found = _asset_in(column, known)
        if found is not None:
            owner[column] = found
    if not owner:
        return [part]
    groups: dict[str, list[int]] = {}
    for i, column in enumerate(part.channels):
        groups.setdefault(owner[column][0] if column in owner else part.asset_id, []).append(i)
    pieces = []
    units = dict(part.meta.get("units", {}))
    for asset, columns in groups.items():
        names = tuple(
            owner[part.channels[i]][1] if asset != part.asset_id else part.channels[i] for i in columns
        )
        if len(set(names)) < len(names):  # two columns one name once the id is gone: keep them whole
            names = tuple(part.channels[i] for i in columns)
        meta = dict(part.meta)
        kept = {
            new: units[part.channels[i]]
            for i, new in zip(columns, names, strict=True)
            if part.channels[i] in units
        }
        meta.pop("units", None)
        if kept:
            meta["units"] = kept
        meta["columns"] = {new: part.channels[i] for i, new in zip(columns, names, strict=True)}
        pieces.append(
            dataclasses.replace(
                part,
                series_id=asset if asset != part.asset_id else part.series_id,
                asset_id=asset,
                values=part.values[:, columns],
                observed=part.observed[:, columns],
                channels=names,
                meta=meta,
            )
        )
    split = sorted(a for a in groups if a != part.asset_id)
    log.info(
        "%s: columns of assets %s read as those assets' series",
        part.meta.get("source", part.series_id),
        split,
    )
    if part.asset_id in groups:
        left = [part.channels[i] for i in groups[part.asset_id]]
        log.warning(
            "%s: columns %s name none of the assets %s; they stay under %r",
            part.meta.get("source", part.series_id),
            left[:5],
            split,
            part.asset_id,
        )
    return pieces
