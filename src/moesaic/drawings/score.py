"""Score drawing reading against ground truth: box matching, character error rate, field accuracy.

Pure functions over plain data, used by the ``drawings`` benchmark suite and by the tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

from moesaic.drawings.symbols import normalize_for_cer

Box = Sequence[float]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes [x1, y1, x2, y2]."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions, each costing 1)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


class DimensionMatch(NamedTuple):
    """The outcome of matching found dimensions to annotated ones on one or more sheets.

    ``pairs`` holds (found index, truth index) of the matched pairs; ``errors`` and ``chars``
    sum the edit distances and truth lengths over them (after symbol normalisation).
    """

    found: int
    truth: int
    pairs: list[tuple[int, int]]
    errors: int
    chars: int

    @property
    def precision(self) -> float:
        return len(self.pairs) / self.found if self.found else 0.0

    @property
    def recall(self) -> float:
        return len(self.pairs) / self.truth if self.truth else 0.0

    @property
    def cer(self) -> float:
        return self.errors / self.chars if self.chars else 0.0


def match_dimensions(
    found: Sequence[tuple[str, Box]], truth: Sequence[tuple[str, Box]], *, min_iou: float = 0.2
) -> DimensionMatch:
    """Match found (text, box) pairs one-to-one to the truth, greedily by decreasing IoU.

    A found dimension counts when its box overlaps an unmatched true one with IoU >= ``min_iou``
    (the eDOCr protocol); the CER is then computed on the matched texts after symbol normalisation.
    """
    candidates = sorted(
        ((iou(f[1], t[1]), i, j) for i, f in enumerate(found) for j, t in enumerate(truth)),
        reverse=True,
    )
    used_f: set[int] = set()
    used_t: set[int] = set()
    pairs = []
    for overlap, i, j in candidates:
        if overlap < min_iou:
            break
        if i in used_f or j in used_t:
            continue
        used_f.add(i)
        used_t.add(j)
        pairs.append((i, j))
    errors = chars = 0
    for i, j in pairs:
        a, b = normalize_for_cer(found[i][0]), normalize_for_cer(truth[j][0])
        errors += edit_distance(a, b)
        chars += len(b)
    return DimensionMatch(len(found), len(truth), sorted(pairs), errors, chars)


def field_accuracy(found: Mapping[str, str], truth: Mapping[str, str]) -> tuple[int, int]:
    """(correct, total) over the fields of ``truth``; a field stated blank must be found blank.

    Values compare without case and spaces ("ISO 2768-m" == "ISO2768-M").
    """

    def canon(value: str) -> str:
        return "".join(value.split()).upper()

    correct = sum(1 for k, v in truth.items() if canon(found.get(k, "")) == canon(v))
    return correct, len(truth)


def f1(tp: int, fp: int, fn: int) -> float:
    """F1 from counts; 1.0 when there was nothing to find and nothing was reported."""
    if tp == fp == fn == 0:
        return 1.0
    return 2 * tp / (2 * tp + fp + fn)
