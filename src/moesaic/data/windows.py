"""Linked maintenance data (a simulated plant or a user's folder) as a set of multimodal windows.

Each window is ``context_length`` steps of one asset's series, taken every ``stride`` steps, with
everything known about that asset at the window's end:

- series: the union of all channels across asset types, in sorted order; a channel the asset
  lacks is unobserved (0 with ``observed`` False), so one encoder serves a mixed fleet;
- label: the fault code active at the window's last step (0 = normal), as in the series'
  ``fault`` label, whose names come from the simulator's fault codes (``meta["fault_type"]``);
- table: the asset attributes; numeric columns standardised with the training split's mean and
  standard deviation, the others (and ``asset_type``) as category ids learned on the training
  split, 0 for missing or unseen;
- text: the most recent work order of that asset written at or before the window's last step
  (empty when there is none), tokenised with a :class:`TextTokenizer` fitted on training texts;
- drawing: a grayscale ``image_size`` square of the first drawing (by id) of the asset's type,
  each drawing read and resized once.

Split. ``split="time"`` (the default) cuts every series at ``1 - val_fraction`` of its length:
training windows end at or before the cut, validation windows start at or after it, so no step
is in both. With a dozen assets and rare faults, a split by asset leaves whole fault types on one
side only; the time split keeps every asset, with its table and drawing, on both sides and still
validates on a later, unseen period. ``split="asset"`` (train and validation assets disjoint,
chosen per asset type with ``seed``) is there for larger fleets.

Class balance. Faults are rare, so :func:`to_batches` with ``balance=True`` draws the training
epoch with replacement, each window with probability proportional to ``1 / sqrt(n_class)``: rare
classes are seen more often while the loss stays a plain cross-entropy, so training and
validation losses remain comparable. Validation batches are never resampled.

Axes: W windows, T = context_length steps, C channels, F numeric and G categorical features,
L text tokens, S image side.

The attribute table, work-order texts and drawing bank of each asset are built in
:mod:`moesaic.data.windows_assets`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import Tensor

from moesaic.config import ConfigError
from moesaic.data.batch import Batch
from moesaic.data.schema import Asset, MaintenanceData, Series
from moesaic.data.tokenizer import TextTokenizer
from moesaic.data.windows_assets import _drawing_bank, _fit_tables, _Tables, _texts_until, _work_orders

SPLITS = ("time", "asset")


@dataclass(frozen=True)
class WindowConfig:
    """How to cut linked data into windows.

    Attributes:
        context_length: T, steps per window.
        stride: steps between the starts of consecutive windows of one asset.
        split: "time" or "asset", see the module docstring.
        val_fraction: share of each series ("time") or of each type's assets ("asset") held out.
        max_text_length: L, text tokens kept per window.
        image_size: S, side of the grayscale drawing.
        max_words: vocabulary size of the tokenizer.
        num_buckets: hashed ids of the tokenizer for out-of-vocabulary words.
        exclude_attributes: asset attributes that are not features (identifiers, channel lists).
        seed: chooses the validation assets of ``split="asset"``.
    """

    context_length: int = 64
    stride: int = 16
    split: str = "time"
    val_fraction: float = 0.3
    max_text_length: int = 32
    image_size: int = 64
    max_words: int = 2000
    num_buckets: int = 64
    exclude_attributes: tuple[str, ...] = ("serial_number", "channels")
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "exclude_attributes", tuple(self.exclude_attributes))
        problems = [
            f"`{name}` must be an integer >= 1, got {getattr(self, name)!r}"
            for name in ("context_length", "stride", "max_text_length", "image_size", "num_buckets")
            if type(getattr(self, name)) is not int or getattr(self, name) < 1
        ]
        if type(self.max_words) is not int or self.max_words < 0:
            problems.append(f"`max_words` must be an integer >= 0, got {self.max_words!r}")
        if self.split not in SPLITS:
            problems.append(f"`split` must be one of {list(SPLITS)}, got {self.split!r}")
        if not 0 < self.val_fraction < 1:
            problems.append(f"`val_fraction` must be in (0, 1), got {self.val_fraction!r}")
        if problems:
            raise ConfigError(problems)


@dataclass(frozen=True, eq=False)
class WindowSet:
    """W windows, ready to batch. ``images`` is a bank of drawings indexed by ``drawing_index``."""

    series: Tensor  # (W, T, C) float32, 0 where unobserved
    observed: Tensor  # (W, T, C) bool
    numeric: Tensor  # (W, F) float32 standardised, 0 where missing
    numeric_observed: Tensor  # (W, F) bool
    categorical: Tensor  # (W, G) int64 category ids, 0 = missing or unseen
    text_ids: Tensor  # (W, L) int64, 0 = padding
    texts: tuple[str, ...]  # W raw texts: the work order each window sees, "" for none
    drawing_index: Tensor  # (W,) int64 row of `images`, -1 for no drawing
    images: Tensor  # (R, 1, S, S) float32 in [0, 1], R drawings
    labels: Tensor  # (W,) int64 class ids
    asset_ids: tuple[str, ...]  # W asset ids
    end_times: np.ndarray  # (W,) time of each window's last step

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def take(self, index: Tensor) -> WindowSet:
        """The windows at (K,) int64 ``index``, in that order (the drawing bank is kept whole)."""
        chosen = index.tolist()
        return dataclasses.replace(
            self,
            series=self.series[index],
            observed=self.observed[index],
            numeric=self.numeric[index],
            numeric_observed=self.numeric_observed[index],
            categorical=self.categorical[index],
            text_ids=self.text_ids[index],
            texts=tuple(self.texts[i] for i in chosen),
            drawing_index=self.drawing_index[index],
            labels=self.labels[index],
            asset_ids=tuple(self.asset_ids[i] for i in chosen),
            end_times=self.end_times[index.numpy()],
        )

    def replace_texts(self, texts: Sequence[str], tokenizer: TextTokenizer) -> WindowSet:
        """The same windows with other texts (for ablations), tokenised to the same length."""
        if len(texts) != len(self):
            raise ValueError(f"`texts` must hold one text per window ({len(self)}), got {len(texts)}")
        ids = tokenizer.encode(list(texts), self.text_ids.shape[1])
        return dataclasses.replace(self, texts=tuple(texts), text_ids=ids)


class WindowData(NamedTuple):
    """Training and validation windows plus what a model needs to read them."""

    train: WindowSet
    val: WindowSet
    channels: tuple[str, ...]
    class_names: tuple[str, ...]  # class id -> fault name, 0 = "normal"
    numeric_names: tuple[str, ...]
    categorical_names: tuple[str, ...]
    categorical_cardinalities: tuple[int, ...]
    tokenizer: TextTokenizer
    config: WindowConfig


def make_windows(data: MaintenanceData, config: WindowConfig) -> WindowData:
    """Cut ``data`` into training and validation windows (see the module docstring).

    Raises:
        ValueError: no series with a ``fault`` label, series shorter than ``context_length``,
            or a split that leaves the training or validation side empty.
        DataFormatError: a drawing that cannot be read as an image.
    """
    series = [s for s in data.series if "fault" in s.labels]
    if not series:
        raise ValueError(
            f"{data.name}: no series carries a per-step `fault` label; windows need fault labels "
            "(load a plant with ground_truth.csv)"
        )
    assets = {a.asset_id: a for a in data.assets}
    unknown = sorted({s.asset_id for s in series} - set(assets))
    if unknown:
        raise ValueError(f"{data.name}: series of assets {unknown} that are not in the asset table")
    T = config.context_length
    short = [s.series_id for s in series if s.length < T]
    if short:
        raise ValueError(f"{data.name}: series {short} are shorter than context_length={T}")

    val_assets = _val_assets(series, assets, config)
    cut = {s.series_id: int(s.length * (1 - config.val_fraction)) for s in series}
    train_assets = sorted({s.asset_id for s in series} - val_assets)
    channels = tuple(sorted({c for s in series for c in s.channels}))
    tables = _fit_tables([assets[a] for a in train_assets], list(assets.values()), config)
    documents = _work_orders(data)
    train_texts = []
    for s in series:
        if s.asset_id in val_assets or s.asset_id not in documents:
            continue
        times, texts = documents[s.asset_id]
        if config.split == "time":  # only what was written before the cut: the tokenizer never sees val text
            texts = texts[: _texts_until(times, s.time[cut[s.series_id] - 1])]
        train_texts += texts
    tokenizer = TextTokenizer(max_words=config.max_words, num_buckets=config.num_buckets).fit(train_texts)
    bank = _drawing_bank(data, assets, config.image_size)

    parts: dict[str, list[_Item]] = {"train": [], "val": []}
    for s in series:
        if config.split == "asset":
            side = "val" if s.asset_id in val_assets else "train"
            spans = {side: (0, s.length)}
        else:
            spans = {"train": (0, cut[s.series_id]), "val": (cut[s.series_id], s.length)}
        for side, (lo, hi) in spans.items():
            for start in range(lo, hi - T + 1, config.stride):
                parts[side].append(_window(s, start, T, channels, documents))
    for side, items in parts.items():
        if not items:
            raise ValueError(
                f"{data.name}: the {side} split holds no window of {T} steps; use shorter windows, "
                "a smaller val_fraction or longer series"
            )
    sets = {
        side: _stack(items, tables, tokenizer, bank, config.max_text_length) for side, items in parts.items()
    }
    return WindowData(
        train=sets["train"],
        val=sets["val"],
        channels=channels,
        class_names=_class_names(series),
        numeric_names=tables.numeric_names,
        categorical_names=tables.categorical_names,
        categorical_cardinalities=tables.cardinalities,
        tokenizer=tokenizer,
        config=config,
    )


def to_batches(
    windows: WindowSet, batch_size: int, *, generator: torch.Generator | None = None, balance: bool = False
) -> list[Batch]:
    """Batches of ``windows`` with targets ``{"label": (B,) int64}``; the last batch may be smaller.

    Args:
        windows: the window set.
        batch_size: B.
        generator: shuffles the order; None keeps the windows in order.
        balance: resample the epoch with replacement, probability ``1 / sqrt(n_class)`` per window
            (training only; needs ``generator``).
    """
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be >= 1, got {batch_size}")
    W = len(windows)
    if balance:
        if generator is None:
            raise ValueError("`balance=True` draws windows at random: pass a `generator`")
        counts = torch.bincount(windows.labels).float()
        weights = counts[windows.labels].rsqrt()  # (W,)
        order = torch.multinomial(weights, W, replacement=True, generator=generator)
    elif generator is not None:
        order = torch.randperm(W, generator=generator)
    else:
        order = torch.arange(W)
    has_images = windows.images.shape[0] > 0
    has_table = windows.numeric.shape[1] + windows.categorical.shape[1] > 0
    batches = []
    for start in range(0, W, batch_size):
        index = order[start : start + batch_size]
        drawing = windows.drawing_index[index]
        batches.append(
            Batch(
                series=windows.series[index],
                observed=windows.observed[index],
                numeric=windows.numeric[index] if has_table else None,
                numeric_observed=windows.numeric_observed[index] if has_table else None,
                categorical=windows.categorical[index] if has_table else None,
                text_ids=windows.text_ids[index],
                images=windows.images[drawing.clamp(min=0)] if has_images else None,
                images_present=(drawing >= 0) if has_images else None,
                targets={"label": windows.labels[index]},
            )
        )
    return batches


def _val_assets(series: list[Series], assets: Mapping[str, Asset], config: WindowConfig) -> set[str]:
    """The held-out assets of ``split="asset"``: ``val_fraction`` of each type (none of a lone asset)."""
    if config.split != "asset":
        return set()
    rng = np.random.default_rng(config.seed)
    by_type: dict[str, list[str]] = {}
    for asset_id in sorted({s.asset_id for s in series}):
        by_type.setdefault(assets[asset_id].asset_type, []).append(asset_id)
    held: set[str] = set()
    for members in by_type.values():
        if len(members) < 2:  # a lone asset of its type stays in training
            continue
        take = min(len(members) - 1, max(1, round(len(members) * config.val_fraction)))
        held |= {members[i] for i in rng.permutation(len(members))[:take]}
    return held


class _Item(NamedTuple):
    series: np.ndarray  # (T, C)
    observed: np.ndarray  # (T, C)
    text: str
    label: int
    asset_id: str
    end_time: Any


def _window(s: Series, start: int, T: int, channels: tuple[str, ...], documents: Mapping[str, Any]) -> _Item:
    values = np.zeros((T, len(channels)), dtype=np.float32)
    observed = np.zeros((T, len(channels)), dtype=bool)
    columns = [channels.index(c) for c in s.channels]
    seen = s.observed[start : start + T] & np.isfinite(s.values[start : start + T])
    values[:, columns] = np.where(seen, s.values[start : start + T], 0.0)
    observed[:, columns] = seen
    end_time = s.time[start + T - 1]
    times, texts = documents.get(s.asset_id, (np.array([], dtype="datetime64[ns]"), []))
    before = _texts_until(times, end_time)
    text = texts[before - 1] if before else ""
    return _Item(values, observed, text, int(s.labels["fault"][start + T - 1]), s.asset_id, end_time)


def _stack(
    items: list[_Item], tables: _Tables, tokenizer: TextTokenizer, bank: tuple[Tensor, dict[str, int]], L: int
) -> WindowSet:
    assets = [item.asset_id for item in items]
    numeric = np.stack([tables.numeric[a] for a in assets]).reshape(len(items), len(tables.numeric_names))
    categorical = np.stack([tables.categorical[a] for a in assets]).reshape(len(items), -1)
    texts = tuple(item.text for item in items)
    return WindowSet(
        series=torch.from_numpy(np.stack([item.series for item in items])),
        observed=torch.from_numpy(np.stack([item.observed for item in items])),
        numeric=torch.from_numpy(np.nan_to_num(numeric)),
        numeric_observed=torch.from_numpy(~np.isnan(numeric)),
        categorical=torch.from_numpy(categorical),
        text_ids=tokenizer.encode(list(texts), L),
        texts=texts,
        drawing_index=torch.tensor([bank[1].get(a, -1) for a in assets], dtype=torch.long),
        images=bank[0],
        labels=torch.tensor([item.label for item in items], dtype=torch.long),
        asset_ids=tuple(assets),
        end_times=np.array([item.end_time for item in items]),
    )


def _class_names(series: list[Series]) -> tuple[str, ...]:
    """Class id -> name from the series' ``meta["fault_type"]`` code maps (0 = "normal")."""
    names: dict[int, str] = {0: "normal"}
    for s in series:
        for code, name in dict(s.meta.get("fault_type", {})).items():
            names.setdefault(int(code), str(name))
    top = max([*names, *(int(s.labels["fault"].max()) for s in series)])
    return tuple(names.get(code, f"fault_{code}") for code in range(top + 1))
