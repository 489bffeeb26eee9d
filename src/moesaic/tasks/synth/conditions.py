"""Conditions of synthetic windows: named factors (fault type, asset type, severity, ...).

A condition is a mapping from factor name to value, such as ``{"fault": "leak", "severity": 0.7}``.
Categorical factors take strings (their vocabulary is learned from the training conditions);
numeric factors take numbers (standardised with their training mean and spread). Every factor is
one token of the generator's table, so a *combination* never seen in training (a fault on another
asset type) is simply a new set of known tokens: it is accepted, and its fidelity is measured.
A factor left out is a masked token, which is how unconditional sampling works. An unknown factor
or an unknown category is refused with the known ones listed.
"""

from __future__ import annotations

import difflib
import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from moesaic.data.schema import Asset, Document, Series

logger = logging.getLogger(__name__)

FAR_SPREADS = 4.0
"""A numeric condition further than this many spreads from its training mean is extrapolated (a warning)."""

Condition = Mapping[str, Any]


class EncodedConditions(NamedTuple):
    categorical: Tensor  # (B, G) int64 ids, 0 = factor not given
    numeric: Tensor  # (B, F) float, standardised, 0 where not given
    numeric_observed: Tensor  # (B, F) bool
    text: Tensor  # (B, E) float frozen text embeddings, a zero row = no text; (B, 0): no text factor


@dataclass(frozen=True)
class ConditionSpec:
    """The factors of the training conditions.

    Attributes:
        categorical: (name, sorted categories) per categorical factor; category i has id i + 1.
        numeric: (name, mean, spread) per numeric factor.
    """

    categorical: tuple[tuple[str, tuple[str, ...]], ...] = ()
    numeric: tuple[tuple[str, float, float], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "categorical", tuple((n, tuple(c)) for n, c in self.categorical))
        object.__setattr__(self, "numeric", tuple((n, float(m), float(s)) for n, m, s in self.numeric))
        names = self.names
        if len(set(names)) != len(names):
            raise ValueError(f"condition factors must have distinct names, got {list(names)}")
        if any(s <= 0 for _, _, s in self.numeric):
            raise ValueError("numeric condition factors need a positive spread")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(n for n, _ in self.categorical) + tuple(n for n, _, _ in self.numeric)

    @property
    def cardinalities(self) -> tuple[int, ...]:
        return tuple(len(c) for _, c in self.categorical)

    @classmethod
    def fit(cls, conditions: Sequence[Condition]) -> ConditionSpec:
        """Learn the factors: a factor whose values are all numbers (not bools) is numeric."""
        values: dict[str, list[Any]] = {}
        for row in conditions:
            for name, value in row.items():
                values.setdefault(str(name), []).append(value)
        categorical, numeric = [], []
        for name in sorted(values):
            seen = values[name]
            if all(isinstance(v, int | float) and not isinstance(v, bool) for v in seen):
                array = np.asarray(seen, dtype=np.float64)
                if not np.isfinite(array).all():
                    raise ValueError(f"condition factor {name!r} has non-finite values")
                spread = float(array.std())
                numeric.append((name, float(array.mean()), spread if spread > 0 else 1.0))
            else:
                categorical.append((name, tuple(sorted({category(v) for v in seen}))))
        return cls(tuple(categorical), tuple(numeric))

    def canonical(self, condition: Condition) -> dict[str, Any]:
        """``condition`` with each factor named as in training when only its case differs ("Fault"
        for "fault"), and a categorical value as its category name (``2.0`` typed on the command
        line is category ``"2"``), so that provenance records what was learnt.

        Raises:
            ValueError: two factors of ``condition`` name the same training factor.
        """
        categorical = {n for n, _ in self.categorical}
        out: dict[str, Any] = {}
        for given, value in condition.items():
            name = _spelled_as_offered(str(given), self.names)
            if name in out:
                raise ValueError(f"condition names factor {name!r} twice: {dict(condition)}")
            out[name] = category(value) if name in categorical else value
        return out

    def combination(self, condition: Condition) -> tuple[tuple[str, str], ...]:
        """The categorical factors of ``condition``, sorted: what makes a combination seen or unseen."""
        names = {n for n, _ in self.categorical}
        return tuple(sorted((str(k), category(v)) for k, v in condition.items() if k in names))

    def encode(
        self, conditions: Sequence[Condition], names: Mapping[str, Mapping[str, str]] | None = None
    ) -> EncodedConditions:
        """Tensors of B conditions for the generator's table encoder (no text: ``text`` is (B, 0)).

        ``names`` (factor -> category -> readable name, such as fault code 2 = ``seal_leak``) only
        words the refusal of an unknown category: the values it lists and the closest one.

        Raises:
            ValueError: an unknown factor, an unknown category, or a non-number for a numeric factor.
        """
        G, F = len(self.categorical), len(self.numeric)
        categorical = torch.zeros(len(conditions), G, dtype=torch.long)
        numeric = torch.zeros(len(conditions), F)
        observed = torch.zeros(len(conditions), F, dtype=torch.bool)
        ids = {name: {c: i + 1 for i, c in enumerate(cats)} for name, cats in self.categorical}
        stats = {name: (j, mean, spread) for j, (name, mean, spread) in enumerate(self.numeric)}
        far: dict[str, tuple[float, float]] = {}  # numeric factor -> (a value, its standard score)
        column = {name: g for g, (name, _) in enumerate(self.categorical)}
        for b, row in enumerate(conditions):
            for name, value in row.items():
                if name in ids:
                    if category(value) not in ids[name]:
                        raise ValueError(unknown_value(name, value, list(ids[name]), (names or {}).get(name)))
                    categorical[b, column[name]] = ids[name][category(value)]
                elif name in stats:
                    j, mean, spread = stats[name]
                    number = _number(name, value)
                    z = (number - mean) / spread
                    numeric[b, j] = z
                    observed[b, j] = True
                    if abs(z) > abs(far.get(name, (0.0, 0.0))[1]):
                        far[name] = (number, z)
                else:
                    known = list(self.names) or "none (the model is unconditional)"
                    raise ValueError(f"unknown condition factor {name!r}; known factors: {known}")
        for name, (number, z) in far.items():
            if abs(z) > FAR_SPREADS:
                logger.warning(
                    "condition %s=%g lies %.3g spreads from its training mean: the samples extrapolate",
                    name, number, z,
                )  # fmt: skip
        return EncodedConditions(categorical, numeric, observed, torch.zeros(len(conditions), 0))


def unknown_value(name: str, value: Any, known: Sequence[str], names: Mapping[str, str] | None) -> str:
    """The refusal of ``name=value``, a value the model never saw: the values that can be asked for
    (a code with its readable name, ``2 (seal_leak)``), the closest one, and, for a factor whose
    training values were whole numbers, why a value between them is not interpolated."""
    names = names or {}
    value = _typed_number(value)
    whole = all(k.lstrip("-").isdigit() for k in known)
    order = sorted(known, key=int) if whole else sorted(known)
    shown = {k: f"{k} ({names[k]})" if k in names else k for k in order}
    asked = category(value) if isinstance(value, int | float) else repr(str(value))
    if asked in names:  # a code the data names but no training window had (fault=misalignment)
        asked += f" ({names[asked]})"
    message = f"condition {name}={asked} was never seen in training"
    if whole and isinstance(value, int | float) and not names:
        message += (
            f": {name!r} took whole numbers in training, and such a factor is learnt as categories "
            "(one per value), not as a number, so no value between them can be asked for"
        )
    message += f"; {name!r} takes: {', '.join(shown.values())}"
    if names:
        message += " (the code or the name)"
    closest = _closest(value, order, names, numeric=whole and not names)
    return message + (f"; closest: {shown[closest]}" if closest is not None else "")


def _typed_number(value: Any) -> Any:
    """``value`` as a float when it is a number written as text (``"10"``, as a categorical value
    is kept), else unchanged."""
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    return value


def _closest(value: Any, known: Sequence[str], names: Mapping[str, str], *, numeric: bool) -> str | None:
    """The known value nearest ``value``: in number for a quantity, in spelling (of the value or its
    name) for a word; None when nothing is near, and for a number asked of codes."""
    if isinstance(value, int | float):
        return min(known, key=lambda k: (abs(int(k) - value), int(k))) if numeric else None
    typed = str(value).casefold()
    spelled = {k.casefold(): k for k in known} | {n.casefold(): k for k, n in names.items() if k in known}
    inside = [k for word, k in spelled.items() if typed and (typed in word or word in typed)]
    if len(set(inside)) == 1:
        return inside[0]
    near = difflib.get_close_matches(typed, list(spelled), n=1, cutoff=0.5)
    return spelled[near[0]] if near else None


def category(value: Any) -> str:
    """The category name of a value: ``3``, ``3.0`` and ``"3"`` all name category ``"3"``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _number(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"condition {name!r} is numeric; got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"condition {name!r} must be finite, got {value!r}")
    return number


def parse_condition(text: str) -> dict[str, Any]:
    """``"fault=leak,severity=0.7"`` -> ``{"fault": "leak", "severity": 0.7}``; numbers become floats."""
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ValueError(f"expected KEY=VALUE pairs separated by commas, got {part!r} in {text!r}")
        value = value.strip()
        if name.strip() in out:
            raise ValueError(f"factor {name.strip()!r} is given twice in {text!r}; give each factor once")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            out[name.strip()] = value
    return out


class ConditionedWindows(NamedTuple):
    """Windows cut from series, with the condition of each (and its text, when documents are given)."""

    windows: np.ndarray  # (W, T, C) float32, NaN where unobserved
    observed: np.ndarray  # (W, T, C) bool
    conditions: list[dict[str, Any]]
    channels: tuple[str, ...]
    texts: list[str] | None = None  # W texts ("" for none); None when no documents were given


def most_common_channels(series: Sequence[Series]) -> tuple[str, ...]:
    """The channel set most of ``series`` share (the first met on a tie): the one a generator
    learns, since one generator learns one set of channels."""
    return Counter(s.channels for s in series).most_common(1)[0][0]


def fitted_channels(series: Sequence[Series], *, limit: int = 256) -> tuple[str, ...]:
    """The channels one generator learns from ``series`` whose channel sets differ (asset types
    with their own sensors): of the series' sets and their intersections (at most ``limit``),
    the one that keeps the most readings, its channels times the steps of the series holding all
    of them (more channels on a tie). A plant of pumps, fans and motors is learnt on the
    channels they share rather than on the motors alone, so that asset type can be a factor; a
    folder with one odd file keeps the channels of the others. Ordered as the first series
    holding them orders them."""
    steps: Counter[frozenset[str]] = Counter()
    for s in series:
        steps[frozenset(s.channels)] += s.length
    sets = list(steps)
    candidates, frontier = set(sets), set(sets)
    while frontier and len(candidates) < limit:
        frontier = {a & b for a in frontier for b in sets if a & b} - candidates
        candidates |= frontier

    def kept(channels: frozenset[str]) -> tuple[int, int, tuple[str, ...]]:
        held = sum(n for have, n in steps.items() if channels <= have)
        return len(channels) * held, len(channels), tuple(sorted(channels))

    best = max(candidates, key=kept)
    first = next(s for s in series if best <= set(s.channels))
    return tuple(c for c in first.channels if c in best)


def condition_windows(
    series: Sequence[Series],
    *,
    window: int,
    stride: int,
    by: Sequence[str],
    documents: Sequence[Document] | None = None,
    text_reach: np.timedelta64 | None = None,
    assets: Sequence[Asset] = (),
) -> ConditionedWindows:
    """Windows every ``stride`` steps of the series, over the channels :func:`fitted_channels`
    chooses when their channel sets differ (a series without all of them is left out).

    The condition of a window takes each factor of ``by`` from the series' per-step labels (the most
    frequent value inside the window other than the series' baseline, its most frequent value, when the
    window holds any: a window with one anomalous step is an anomaly's), else from its metadata, else
    from its asset's row of ``assets`` (``asset_type`` or an attribute); a factor found nowhere is left
    out of that window's condition, and a factor found for no window at all is refused. With
    ``documents`` (work orders, notes), the text of a window is the texts of its asset's documents dated
    inside it, in time order, joined by " | " ("" when there is none; a series with step indices instead
    of timestamps gets none). A report describes what led to it: with ``text_reach``, a document also
    covers the windows that end up to that long before its date.

    Raises:
        ValueError: no series is long enough for one window, a bad ``window``/``stride``, or a
            factor of ``by`` that no window has (the message lists those the data offers).
    """
    if window < 1 or stride < 1:
        raise ValueError(f"`window` and `stride` must be >= 1, got {window} and {stride}")
    if not series:
        raise ValueError("no series to cut windows from")
    channels = fitted_channels(series)
    _say_channels_left_out(series, channels)
    if text_reach is not None and text_reach < np.timedelta64(0, "ns"):
        raise ValueError(f"`text_reach` must not be negative, got {text_reach}")
    reach = np.timedelta64(0, "ns") if text_reach is None else text_reach.astype("timedelta64[ns]")
    values, masks, conditions, texts = [], [], [], []
    dated = _dated_texts(documents or ())
    table = {a.asset_id: {"asset_type": a.asset_type, **a.attributes} for a in assets}
    offered = _offered_factors(series, table)
    by = [_spelled_as_offered(name, offered) for name in by]
    for s in series:
        if not set(channels) <= set(s.channels):
            continue
        columns = [s.channels.index(c) for c in channels]
        row = table.get(s.asset_id, {})
        stamps, notes = dated.get(s.asset_id, (np.empty(0, dtype="datetime64[ns]"), []))
        timed = np.issubdtype(s.time.dtype, np.datetime64)
        baselines = {name: _baseline(s.labels[name]) for name in by if name in s.labels}
        for start in range(0, s.length - window + 1, stride):
            part = slice(start, start + window)
            values.append(s.values[part][:, columns])
            masks.append(s.observed[part][:, columns])
            conditions.append(_window_condition(s, part, by, row, baselines))
            if timed and len(notes):
                end = s.time[start + window - 1] + reach
                first = int(np.searchsorted(stamps, s.time[start], side="left"))
                last = int(np.searchsorted(stamps, end, side="right"))
                texts.append(" | ".join(notes[first:last]))
            else:
                texts.append("")
    if not values:
        lengths = sorted({s.length for s in series})
        raise ValueError(f"no series has {window} steps for one window; series lengths: {lengths[:10]}")
    absent = [name for name in by if not any(name in c for c in conditions)]
    if absent:
        raise ValueError(
            f"no window has the condition factor(s) {absent}; the data offers: "
            f"{', '.join(offered) or 'none'} (per-step labels, series metadata and asset-table columns)"
        )
    return ConditionedWindows(
        np.stack(values).astype(np.float32),
        np.stack(masks),
        conditions,
        channels,
        texts if documents is not None else None,
    )


def _say_channels_left_out(series: Sequence[Series], channels: tuple[str, ...]) -> None:
    """Warn, naming them, about the series left out and the channels not learnt."""
    out = [s.series_id for s in series if not set(channels) <= set(s.channels)]
    unused = sorted({c for s in series for c in s.channels} - set(channels))
    if not out and not unused:
        return
    said = f"the series' channels differ; learning {list(channels)} (the set that keeps the most readings)"
    if unused:
        said += f"; channels not learnt: {', '.join(unused[:10])}" + (" ..." if len(unused) > 10 else "")
    if out:
        said += f"; {len(out)} of {len(series)} series lack some and are left out: " + ", ".join(out[:10])
        said += " ..." if len(out) > 10 else ""
    logger.warning(said)


def _offered_factors(series: Sequence[Series], table: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The condition factors the data holds: per-step labels, series metadata, asset-table columns."""
    return sorted(
        {name for s in series for name in s.labels}
        | {k for s in series for k, v in s.meta.items() if _scalar(v) and k not in _READER_META}
        | {k for row in table.values() for k, v in row.items() if _scalar(v) and v != ""}
    )


def _spelled_as_offered(name: str, offered: Sequence[str]) -> str:
    """``name`` as the data spells it when only its case differs from one offered factor ("Fault"
    for "fault"); otherwise ``name`` unchanged."""
    if name in offered:
        return name
    same = [o for o in offered if o.casefold() == name.casefold()]
    return same[0] if len(same) == 1 else name


def _dated_texts(documents: Sequence[Document]) -> dict[str, tuple[np.ndarray, list[str]]]:
    """asset -> (sorted datetime64 times, their texts) of the documents with an asset, a time and words."""
    found: dict[str, list[tuple[np.datetime64, str]]] = {}
    for d in documents:
        if d.asset_id and d.time is not None and not pd.isna(d.time) and d.text.strip():
            stamp = np.datetime64(pd.Timestamp(d.time), "ns")
            found.setdefault(d.asset_id, []).append((stamp, d.text.strip()))
    out = {}
    for asset, items in found.items():
        items.sort(key=lambda item: item[0])
        out[asset] = (np.asarray([t for t, _ in items], dtype="datetime64[ns]"), [x for _, x in items])
    return out


_READER_META = ("source", "format", "time_column")
"""Metadata the file readers add about the file itself, not offered as factors."""


def _scalar(value: Any) -> bool:
    """A value a factor can take: a text or a number (not a flag, not a missing number)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return False
    return not (isinstance(value, float) and np.isnan(value))


def _window_condition(
    s: Series, part: slice, by: Sequence[str], asset: Mapping[str, Any], baselines: Mapping[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in by:
        if name in s.labels:
            value = _window_label(np.asarray(s.labels[name])[part], baselines[name])
            out[name] = category(value.item() if isinstance(value, np.generic) else value)
            continue
        value = s.meta[name] if name in s.meta else asset.get(name)
        if _scalar(value) and value != "":
            out[name] = category(value) if isinstance(value, int) else value
    return out


def _baseline(labels: np.ndarray) -> Any:
    """The most frequent value of a series' per-step label: its normal operation."""
    every, totals = np.unique(np.asarray(labels), return_counts=True)
    return every[np.argmax(totals)]


def _window_label(labels: np.ndarray, baseline: Any) -> Any:
    """A window's value of a per-step label (its steps' ``labels``): the most frequent one other than
    the series' ``baseline`` when the window holds any, else the baseline. A window with one
    anomalous step is an anomaly's window: were it counted as normal by its majority, samples
    asked for as normal would carry the anomaly."""
    values, counts = np.unique(labels, return_counts=True)
    departing = values != baseline
    if departing.any():
        values, counts = values[departing], counts[departing]
    return values[np.argmax(counts)]


def find_label_names(series: Sequence[Series], by: Sequence[str]) -> dict[str, dict[str, str]]:
    """factor -> category -> name, for label factors whose codes a series names in its metadata.

    The simulator's convention: ``meta["fault_type"]`` maps each ``fault`` label code to its fault
    type, so the factor ``fault`` gets ``{"3": "seal_leak", ...}``.
    """
    out: dict[str, dict[str, str]] = {}
    for name in by:
        for s in series:
            codes = s.meta.get(f"{name}_type")
            if name in s.labels and isinstance(codes, Mapping):
                out.setdefault(name, {}).update({category(c): str(n) for c, n in codes.items()})
    return out
