"""The hinge fit of the onset estimators: a level, then a change that grows as a power of the time
since the onset, fitted for every candidate onset.

:func:`hinge_profile` gives the least squared error of each candidate onset (the best plateau
length and exponent for that onset); :func:`hinge_onset` states one onset from it, either the
candidate of least error or, given the tolerance a stated onset is judged by, the candidate whose
tolerance holds the most of the evidence (:func:`likeliest_within`). A slow, accelerating start
leaves a long, flat stretch of nearly equal errors before the obvious part of the change: the least
error then falls anywhere on it, while the evidence summed over a day either side of each
candidate still leans towards where the change is most likely to have begun.

:mod:`moesaic.reports.diagnose.onset` builds the departures these fits read and names the shapes.
Axis names: T time steps, K candidate onsets, J fitted series, R regressors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

EXPONENTS = (0.5, 1.0, 1.5, 2.0)
PLATEAU_STEP = 1.6  # ratio of two plateau lengths tried in a row
EVIDENCE_DISCOUNT = 16.0
"""The squared error of n points of a smoothed, autocorrelated departure carries the evidence of
about n / EVIDENCE_DISCOUNT independent ones (:func:`likeliest_within`). Tried 4, 16 and 64 on the
bearing-wear windows of the training plant and of validation plants (seeds 2000-2003): 16 and 64
placed them alike, 4 a little worse."""
_MAX_POINTS = 320  # the hinge fit reads at most this many points of the (smoothed) departure
_FLOOR = 1e-12


def _plateaus(T: int) -> list[float | None]:
    """Plateau lengths tried (steps): none, and a geometric grid from T/32 to T."""
    out: list[float | None] = [None]
    length = max(2.0, T / 32)
    while length < T:
        out.append(length)
        length *= PLATEAU_STEP
    return out


class HingeProfile(NamedTuple):
    """The least squared error of the hinge fit at each candidate onset (:func:`hinge_profile`)."""

    candidates: np.ndarray  # (K,) candidate onsets, indices into the fitted series, increasing
    sse: np.ndarray  # (K,) least squared error over plateau lengths and exponents; inf: no rising fit
    points: int  # fitted values (points read times series fitted)


def hinge_profile(
    y: np.ndarray,
    exponents: Sequence[float] = EXPONENTS,
    *,
    modulation: np.ndarray | None = None,
    powers: int = 1,
    anchored: bool = False,
    nuisance: np.ndarray | None = None,
) -> HingeProfile:
    """The hinge fit of ``y`` at every candidate onset (the arguments are :func:`hinge_onset`'s).

    Raises:
        ValueError: ``y`` has fewer than 4 steps.
    """
    T = len(y)
    if T < 4:
        raise ValueError(f"a hinge fit needs at least 4 steps, got {T}")
    stride = max(1, -(-T // _MAX_POINTS))
    t = np.arange(0, T, stride, dtype=np.float64)
    values = np.asarray(y, dtype=np.float64)[::stride]
    columns = values[:, None] if values.ndim == 1 else values
    candidates = t[:-2]
    lag = np.clip(t[None, :] - candidates[:, None], 0.0, None)  # (K, T/stride)
    m = None if modulation is None else np.asarray(modulation, dtype=np.float64)[::stride]
    fixed = None if nuisance is None else np.asarray(nuisance, dtype=np.float64)[::stride]
    if fixed is not None and not anchored:
        fixed = np.concatenate([np.ones((len(t), 1)), fixed], axis=1)
    fixed = None if fixed is None else _span(fixed)  # every fit below is freed of the same columns
    targets = np.stack(
        [_residual(c if anchored or fixed is not None else c - c.mean(), fixed) for c in columns.T], axis=1
    )  # (n, J)
    totals = [float(c @ c) for c in targets.T]
    least = np.full(len(candidates), np.inf)
    for plateau in _plateaus(T):
        capped = lag if plateau is None else np.minimum(lag, plateau)
        for p in exponents:
            f = capped**p
            regressors = [f] if m is None else [f * m[None, :] ** k for k in range(powers + 1)]
            gains = _gain(regressors, targets, centre=not anchored and fixed is None, nuisance=fixed)
            if len(gains) == 1:
                sse = totals[0] - gains[0]
            else:  # a channel that would fall adds no gain: it is fitted as flat
                sse = sum(totals) - np.where(np.isfinite(gains), gains, 0.0).sum(axis=0)
            least = np.minimum(least, sse)
    return HingeProfile(candidates.astype(np.int64), least, int(targets.size))


def likeliest_within(profile: HingeProfile, tolerance: float) -> int:
    """Position (in ``profile.candidates``) of the onset most likely to lie within ``tolerance``
    steps of the true one.

    Each candidate's likelihood is ``exp(-(sse - least) / (2 s2))``, with the noise variance
    ``s2 = least / points`` inflated by :data:`EVIDENCE_DISCOUNT` / 2 for the departure's
    autocorrelation; the answer is the candidate whose ``tolerance`` either side holds the most
    likelihood; among equals (a sharp fit puts all of it in every window around its best
    candidate), the one of least error. Without a rising fit anywhere it is the first candidate.
    """
    sse = profile.sse
    least = float(np.min(sse)) if len(sse) else np.inf
    if not np.isfinite(least):
        return 0
    scale = EVIDENCE_DISCOUNT * max(least, _FLOOR) / max(profile.points, 1)
    weight = np.exp(-(sse - least) / scale)
    cumulative = np.concatenate([[0.0], np.cumsum(weight)])
    c = profile.candidates
    lo = np.searchsorted(c, c - tolerance, side="left")
    hi = np.searchsorted(c, c + tolerance, side="right")
    mass = cumulative[hi] - cumulative[lo]
    tied = np.flatnonzero(mass >= mass.max() * (1.0 - 1e-9))
    return int(tied[np.argmin(sse[tied])])


def hinge_onset(
    y: np.ndarray,
    exponents: Sequence[float] = EXPONENTS,
    *,
    modulation: np.ndarray | None = None,
    powers: int = 1,
    anchored: bool = False,
    nuisance: np.ndarray | None = None,
    tolerance: float | None = None,
) -> int:
    """Index of the hinge onset of ``y`` (see :mod:`moesaic.reports.diagnose.onset`): rising
    changes only; 0 when ``y`` has fewer than 4 steps.

    Args:
        y: (T,) one departure, or (T, K) one per channel: each is then fitted with its own
            coefficients and the gains of the rising fits are added up.
        modulation: (T,) a signal the size of the change may follow (the load): the change is then
            ``(b + c m(t) + ...) h(t)``, with ``h`` the hinge, rather than ``b h(t)``.
        powers: the highest power of ``modulation`` in that size (1 or 2).
        anchored: the level before the onset is 0 (``y`` is measured from a healthy baseline)
            rather than fitted.
        nuisance: (T, Q) signals the level may follow whatever the onset (the load), fitted with
            the change.
        tolerance: None states the candidate of least squared error; a number of steps states
            the candidate most likely to lie within that many steps of the truth
            (:func:`likeliest_within`).
    """
    if len(y) < 4:
        return 0
    profile = hinge_profile(
        y, exponents, modulation=modulation, powers=powers, anchored=anchored, nuisance=nuisance
    )
    return stated_onset(profile, tolerance)


def stated_onset(profile: HingeProfile, tolerance: float | None) -> int:
    """The onset (index into the fitted series) stated from ``profile``: the candidate of least
    squared error when ``tolerance`` is None, else :func:`likeliest_within` that many steps."""
    if tolerance is None:
        at = int(np.argmin(profile.sse)) if np.isfinite(profile.sse).any() else 0
    else:
        at = likeliest_within(profile, tolerance)
    return int(profile.candidates[at])


def _span(basis: np.ndarray) -> np.ndarray:
    """(n, Q') orthonormal columns spanning the columns of ``basis`` (n, Q), with the rank cut-off
    of ``np.linalg.lstsq``'s default, so that a projection on them is that least-squares fit."""
    u, s, _ = np.linalg.svd(basis, full_matrices=False)
    keep = s > (s[0] if s.size else 0.0) * np.finfo(np.float64).eps * max(basis.shape)
    return u[:, keep]


def _residual(x: np.ndarray, span: np.ndarray | None) -> np.ndarray:
    """``x`` (..., n) less its least-squares fit on the orthonormal columns ``span`` (n, Q) of
    :func:`_span` (``x`` when None)."""
    if span is None:
        return x
    return x - (x @ span) @ span.T


def _gain(
    regressors: list[np.ndarray], targets: np.ndarray, *, centre: bool, nuisance: np.ndarray | None = None
) -> np.ndarray:
    """(J, K) drop of the squared error when each of the ``targets`` (n, J) is fitted by the rows
    of the ``regressors`` (each (K, n)) together (centred first when the level is fitted too; the
    targets and the regressors freed of the columns of ``nuisance`` (n, Q), orthonormal from
    :func:`_span`, when given, the targets already so), -inf when the fitted change falls on
    average. The regressors are prepared and factored once for all targets."""
    x = np.stack(regressors, axis=1)  # (K, R, n)
    x0 = x - x.mean(axis=2, keepdims=True) if centre else _residual(x, nuisance)
    gram = np.einsum("krt,kst->krs", x0, x0)
    u = x0 @ targets  # (K, R, J)
    scale = np.maximum(np.einsum("krr->k", gram), 1e-12)
    ridge = 1e-9 * scale[:, None, None] * np.eye(x.shape[1])[None]
    ok = scale > 1e-9
    coef = np.linalg.solve(gram + ridge, u)  # (K, R, J)
    rising = np.einsum("krj,kr->jk", coef, x.sum(axis=2)) > 0
    return np.where(ok[None] & rising, np.einsum("krj,krj->jk", coef, u), -np.inf)
