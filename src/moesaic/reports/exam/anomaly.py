"""Anomaly evidence: model-free detectors for the anomaly types of the exam's vocabulary.

Each detector looks for the footprint its anomaly leaves, without assuming a model of the
normal pattern (a single global model is easily fooled by the anomaly itself):

- cutoff ("the pattern disappeared"): a long flat run (on a noisy series, flat but for the
  noise) where the rest of the series moves, or whose level or length sets it apart from the
  plateaus of a square wave;
- flip ("the pattern is flipped"): two jumps that vanish when the stretch between them is
  reversed in time, the stretch not being an ordinary tooth of a sawtooth;
- speed ("the period differs"): the local period changes by a large factor;
- scale ("a different scale"): a stretch whose local range is a fraction or a multiple of the
  usual one;
- spike ("random large spikes"): rough, heavy-tailed step-to-step changes all over the series;
- wander ("the pattern deviates off"): a jump that is none of the above.

Missing steps (NaN) never count as evidence: spikes are read among the observed values, a flat
run, a break or a window of the scale and speed tests must be mostly observed, and a detection
centred where most steps are missing is dropped (see :mod:`moesaic.reports.exam.gaps`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats as sps

from moesaic.reports.exam.gaps import (
    describe,
    fill_gaps,
    gap_spans,
    nearest_observed,
    observed_around,
    spans_near,
    window_missing,
)
from moesaic.reports.exam.stats import (
    as_float,
    best_split,
    dominant_period,
    fit_line,
    noise_std,
    robust_scale,
    smooth,
)

ANOMALIES = ("spike", "cutoff", "flip", "scale", "wander", "speed")
# A run of this many steps moving less than FLAT_SHARE of the series' range is flat.
FLAT_STEPS = 10
FLAT_SHARE = 0.015
# On a noisy series a flat run moves with the noise: a run within FLAT_NOISE deviations of the
# white noise (10 draws span more than 5 about once in a hundred windows) is flat too when it
# lasts at least FLAT_NOISE_STEPS steps ...
FLAT_NOISE = 5.0
FLAT_NOISE_STEPS = 25
# ... and whose local mean drifts by at most FLAT_DRIFT of that band (a slow ramp with noise on
# it stays within the band window by window, but its mean moves on).
FLAT_DRIFT = 0.6
# ... while the rest of the series, its straight-line trend taken away, moves well beyond the
# band (its local mean over at least FLAT_SIGNAL bands): where the noise is as large as the
# pattern, nothing stands out as flat.
FLAT_SIGNAL = 3.0
# A jump: a step change beyond JUMP_Z robust deviations of the steps and JUMP_SHARE of the range.
JUMP_Z = 6.0
JUMP_SHARE = 0.08
# A break (for flips): a second difference beyond BREAK_Z robust deviations and BREAK_SHARE of
# the range; more than FLIP_BREAKS of them means a wave with jumps of its own (sawtooth, square).
BREAK_Z = 8.0
BREAK_SHARE = 0.03
FLIP_BREAKS = 6
# Steps that run one way this often make ramps (a sawtooth's teeth, up to 4 * FLIP_BREAKS breaks).
FLIP_RAMPS = 0.6
# Spikes: step noise above SPIKE_ROUGH of the spread and heavy tails (excess kurtosis).
SPIKE_ROUGH = 0.3
SPIKE_KURTOSIS = 1.0
# Speed change: the local period changes by at least this factor.
SPEED_RATIO = 1.8
# Scale change: a local range below 1/SCALE_RATIO or above SCALE_RATIO of the usual one.
SCALE_RATIO = 2.0


class AnomalyEvidence(NamedTuple):
    scores: dict[str, float]  # ANOMALIES + "none", each in [0, 1]
    where: dict[str, float]  # the centre of each detected anomaly, as a share of the length
    rationale: str
    gaps: tuple[tuple[int, int], ...] = ()  # runs [start, stop) of missing steps

    def best(self) -> str:
        return max(self.scores, key=self.scores.__getitem__)

    def location(self) -> float | None:
        if not self.where:
            return None
        kind = max(self.where, key=lambda k: self.scores.get(k, 0.0))
        return self.where[kind]


def flat_runs(x: np.ndarray, missing: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Maximal runs [start, stop) of at least FLAT_STEPS steps that stay within a tiny band, and
    on a noisy series the longer runs that stay within the noise's band (windows mostly
    ``missing`` are not flat: a filled gap is flat by construction; ``x`` has its gaps filled)."""
    n = x.size
    if n < FLAT_STEPS:
        return []
    strict = FLAT_SHARE * float(np.ptp(x)) + 1e-12
    runs = _runs_within(x, strict, missing)
    # the white noise's deviation, from second differences: trends and slow cycles barely move them
    white = robust_scale(np.diff(x, n=2)) / np.sqrt(6.0)
    if FLAT_NOISE * white > strict:
        band = FLAT_NOISE * white
        detrended = fit_line(x).residual  # a trend is no pattern
        noisy = [
            (a, b)
            for a, b in _runs_within(x, band, missing)
            if b - a >= FLAT_NOISE_STEPS
            and _drift(x[a:b]) <= FLAT_DRIFT * band
            and _drift(np.concatenate([detrended[:a], detrended[b:]])) >= FLAT_SIGNAL * band
        ]
        runs = sorted(runs + [r for r in noisy if not any(a < r[1] and r[0] < b for a, b in runs)])
    return runs


def _drift(x: np.ndarray) -> float:
    """How far the run's local mean moves: the range of its moving average over FLAT_STEPS // 2
    steps (a slow ramp or the bottom of a slow cycle drifts; a flat run's noise averages out)."""
    width = FLAT_STEPS // 2
    if x.size < width:
        return 0.0
    return float(np.ptp(np.convolve(x, np.ones(width) / width, mode="valid")))


def _runs_within(x: np.ndarray, band: float, missing: np.ndarray | None) -> list[tuple[int, int]]:
    """Maximal runs [start, stop) of at least FLAT_STEPS steps whose every window of FLAT_STEPS
    spans at most ``band`` and is constant or jittery."""
    windows = np.lib.stride_tricks.sliding_window_view(x, FLAT_STEPS)
    steps = np.abs(np.diff(windows, axis=1))
    bends = np.abs(np.diff(windows, n=2, axis=1))
    # Flat and either constant or jittery: the slow bottom of a smooth curve is not a cutoff
    # (its second differences are far smaller than its first ones; noise's are not).
    jittery = np.median(bends, axis=1) >= 0.5 * np.median(steps, axis=1)
    flat = (np.ptp(windows, axis=1) <= band) & jittery  # (n - FLAT_STEPS + 1,)
    if missing is not None:
        flat &= window_missing(missing, FLAT_STEPS) <= 0.5
    runs, start = [], None
    for i, f in enumerate(np.append(flat, False)):
        if f and start is None:
            start = i
        elif not f and start is not None:
            runs.append((start, i - 1 + FLAT_STEPS))
            start = None
    return runs


def cutoff_score(x: np.ndarray, missing: np.ndarray | None = None) -> tuple[float, float | None]:
    runs = flat_runs(x, missing)
    if not runs:
        return 0.0, None
    lengths = np.array([b - a for a, b in runs], dtype=float)
    levels = np.array([x[a:b].mean() for a, b in runs])
    flat_share = lengths.sum() / x.size
    i = int(np.argmax(lengths))
    a, b = runs[i]
    centre = (a + b) / 2 / x.size
    if flat_share < 0.5 and len(runs) <= 2:
        return 1.0, centre  # one flat stretch in a moving series
    if len(runs) == 1:
        return 0.0, None  # a series that is mostly flat
    # Many flat runs: a square wave's plateaus. The cutoff is the odd one out by length or level.
    others = np.delete(np.arange(len(runs)), i)
    longer = lengths[i] > 1.5 * float(np.median(lengths[others]))
    gap = float(np.min(np.abs(levels[others] - levels[i]))) / (float(np.ptp(x)) + 1e-12)
    if longer or gap > 0.1:
        return 0.8, centre
    return 0.0, None


def jumps(x: np.ndarray) -> np.ndarray:
    """Indices i where the step x[i + 1] - x[i] breaks from the steps around it."""
    d = np.diff(x)
    if d.size < 5:
        return np.array([], dtype=int)
    padded = np.pad(d, 2, mode="edge")
    around = np.stack([padded[:-4], padded[1:-3], padded[3:-1], padded[4:]])  # 2 steps each side
    deviation = d - np.median(around, axis=0)
    limit = max(JUMP_Z * robust_scale(deviation), JUMP_SHARE * float(np.ptp(x)))
    return np.flatnonzero(np.abs(deviation) > limit)


def breaks(x: np.ndarray, *, limit: int = 24) -> np.ndarray:
    """Points where the series bends or jumps far more than it usually does (large second
    differences), strongest first, at most ``limit``."""
    bend = np.abs(np.diff(x, n=2))
    if bend.size == 0:
        return np.array([], dtype=int)
    floor = max(BREAK_Z * robust_scale(bend), BREAK_SHARE * float(np.ptp(x)))
    idx = np.flatnonzero(bend > floor)
    return (idx[np.argsort(-bend[idx])][:limit] + 1).astype(int)


def _roughness(y: np.ndarray, p: int) -> float:
    """Second differences around the boundary between y[p - 1] and y[p]."""
    total = 0.0
    for c in (p - 1, p):
        if 1 <= c < y.size - 1:
            total += abs(y[c + 1] - 2 * y[c] + y[c - 1])
    return total


def flip_score(x: np.ndarray, missing: np.ndarray | None = None) -> tuple[float, float | None]:
    """A stretch whose two ends become smooth when it is reversed in time (its ends jump or
    kink now; the original series was continuous there). A break beside a ``missing`` step is
    the kink of a filled gap, not an observed one."""
    n = x.size
    d = np.diff(x)
    typical = float(np.median(np.abs(d))) + 1e-12
    overall = float(np.median(d))
    # A sawtooth's teeth each give two breaks, and its ramps tell a reversed tooth from a regular
    # one (below), so many breaks are read when the steps mostly run one way; a square wave's
    # reversed stretch between two edges looks like any other, so few are.
    ramps = abs(overall) > 0.5 * typical and float(np.mean(np.sign(d) == np.sign(overall))) >= FLIP_RAMPS
    most = (4 if ramps else 2) * FLIP_BREAKS
    points = breaks(x, limit=4 * FLIP_BREAKS + 1)
    if missing is not None:
        points = np.array([p for p in points if not missing[p - 1 : p + 2].any()], dtype=int)
    if points.size == 0 or points.size > most:
        return 0.0, None
    bounds = sorted({0, n} | {int(p) for p in points} | {int(p) + 1 for p in points if p + 1 < n})
    usual = 2.0 * float(np.median(np.abs(np.diff(x, n=2))))  # a boundary's roughness anyway
    best, where = 0.0, None
    for s_i, s in enumerate(bounds):
        for e in bounds[s_i + 1 :]:
            if e - s < 3 or (s == 0 and e == n):
                continue
            y = x.copy()
            y[s:e] = x[s:e][::-1]
            ends = (s > 0) + (e < n)
            before = _roughness(x, s) * (s > 0) + _roughness(x, e) * (e < n) - ends * usual
            after = max(_roughness(y, s) * (s > 0) + _roughness(y, e) * (e < n) - ends * usual, 0.0)
            if before <= 0 or after > 0.3 * before:
                continue
            inner = float(np.median(d[s : e - 1])) if e - s > 2 else 0.0
            # An ordinary sawtooth tooth rises (or falls) like the rest; a flipped one runs backwards.
            regular = points.size > FLIP_BREAKS
            if regular and np.sign(inner) == np.sign(overall) and abs(overall) > 0.5 * typical:
                continue
            score = 1.0 - after / before
            if score > best:
                best, where = score, (s + e) / 2 / n
    return best, where


def local_range(x: np.ndarray, width: int) -> np.ndarray:
    windows = np.lib.stride_tricks.sliding_window_view(x, width)
    return np.asarray(np.ptp(windows, axis=1))


def jump_spacing(x: np.ndarray) -> tuple[float, float | None]:
    """A sawtooth or square wave jumps once or twice a period; a stretch without its jumps for
    far longer than the usual spacing is a slowed-down stretch. Returns (ratio, centre)."""
    j = jumps(x)
    if j.size < 2:
        return 1.0, None
    inner = np.diff(j).astype(float)
    usual = float(np.median(inner))
    gaps = np.concatenate([[j[0] + 1], inner, [x.size - 1 - j[-1]]]).astype(float)
    if j.size == 2 and abs(gaps[0] - gaps[1]) > 0.25 * gaps[1]:
        return 1.0, None  # two jumps that are not the regular beat of a wave (a flip's, say)
    k = int(np.argmax(gaps))
    starts = np.concatenate([[0], j + 1])
    return float(gaps[k] / max(usual, 1.0)), (starts[k] + gaps[k] / 2) / x.size


def speed_score(x: np.ndarray, missing: np.ndarray | None = None) -> tuple[float, float | None, float]:
    n = x.size
    steps = np.arange(n, dtype=np.float64)
    detrended = x - np.polyval(np.polyfit(steps, x, 2), steps)
    period = dominant_period(detrended).period
    width = int(np.clip(1.5 * period, 24, max(n // 3, 24)))
    step = max(width // 4, 1)
    starts = list(range(0, n - width + 1, step))
    if missing is not None:
        holes = window_missing(missing, width)
        starts = [s for s in starts if holes[s] <= 0.5]
    if len(starts) < 3:
        return 0.0, None, 1.0
    periods = np.array([dominant_period(detrended[s : s + width], min_cycles=1.0).period for s in starts])
    ratio = float(np.percentile(periods, 90) / max(np.percentile(periods, 10), 1e-9))
    spacing, centre = jump_spacing(x)
    if spacing >= SPEED_RATIO and jumps(x).size >= 2:
        return min(1.0, 0.5 + (spacing - SPEED_RATIO) / 4), centre, spacing
    if ratio < SPEED_RATIO:
        return 0.0, None, ratio
    odd = int(np.argmax(np.abs(np.log(periods / np.median(periods)))))
    return min(1.0, 0.5 + (ratio - SPEED_RATIO) / 4), (starts[odd] + width / 2) / n, ratio


def scale_score(x: np.ndarray, missing: np.ndarray | None = None) -> tuple[float, float | None]:
    """A stretch whose local range (around the overall line) is a fraction or a multiple of the
    usual one, among the windows that are mostly observed."""
    n = x.size
    residual = fit_line(x).residual
    period = dominant_period(residual).period
    width = int(np.clip(period, 8, max(n // 4, 8)))
    ranges = local_range(residual, width)
    if missing is not None:
        ranges = np.where(window_missing(missing, width) <= 0.5, ranges, np.nan)
    valid = ~np.isnan(ranges)
    if not valid.any():
        return 0.0, None
    ratio = ranges / (float(np.nanmedian(ranges)) + 1e-12)
    odd = ((ratio < 1 / SCALE_RATIO) | (ratio > SCALE_RATIO)) & valid
    share = odd.sum() / valid.sum()
    if share < 0.1 or share > 0.6:
        return 0.0, None
    centre = (float(np.flatnonzero(odd).mean()) + width / 2) / n
    return 0.7, centre


def spike_score(x: np.ndarray) -> float:
    """Many random spikes: rough, heavy-tailed steps all over the series."""
    rough = noise_std(x) / (float(np.std(x)) + 1e-12)
    tail = float(sps.kurtosis(x - smooth(x, 5)))
    return float(rough > SPIKE_ROUGH and tail > SPIKE_KURTOSIS)


def isolated_spikes(x: np.ndarray) -> np.ndarray:
    """Indices of single points that stand out from both neighbours the same way (a jump
    stands out from one neighbour only)."""
    if x.size < 5:
        return np.array([], dtype=int)
    d = np.diff(x)
    padded = np.pad(d, 2, mode="edge")
    around = np.stack([padded[:-4], padded[1:-3], padded[3:-1], padded[4:]])
    limit = max(JUMP_Z * robust_scale(d - np.median(around, axis=0)), JUMP_SHARE * float(np.ptp(x)))
    left, right = x[1:-1] - x[:-2], x[1:-1] - x[2:]
    hits = (np.sign(left) == np.sign(right)) & (np.minimum(np.abs(left), np.abs(right)) > limit)
    return np.flatnonzero(hits) + 1


def inspect(x: np.ndarray) -> AnomalyEvidence:
    """Anomaly evidence for one series; NaN steps are missing and never count as evidence."""
    x = as_float(x)
    n = x.size
    gaps = np.isnan(x)
    missing = gaps if gaps.any() else None
    observed = np.flatnonzero(~gaps)  # the steps of ``seen``
    seen = x[observed]
    scores = dict.fromkeys((*ANOMALIES, "none"), 0.0)
    where: dict[str, float] = {}
    # Spikes are read among the observed values: a filled gap would smear a spike beside it.
    scores["spike"] = spike_score(seen)
    single = isolated_spikes(seen)
    if scores["spike"]:
        # Spikes all over: the largest one stands for where they are.
        where["spike"] = float(observed[np.argmax(np.abs(seen - smooth(seen, 5)))]) / n
    elif 0 < single.size <= 0.05 * seen.size:
        # A few lone spikes: they also inflate the local range, so no scale test.
        scores["spike"] = 0.8
        residual = np.abs(seen - smooth(seen, 5))
        where["spike"] = float(observed[single[int(np.argmax(residual[single]))]]) / n
    if scores["spike"] < 1.0:
        clean = x.copy()
        if missing is None:
            for i in single:
                clean[i] = (x[i - 1] + x[i + 1]) / 2  # a lone spike would read as two jumps
        else:
            clean[observed[single]] = np.nan
            clean = fill_gaps(clean)
        tests = {"cutoff": cutoff_score(clean, missing), "flip": flip_score(clean, missing)}
        if not scores["spike"]:
            tests["scale"] = scale_score(clean, missing)
        for kind, (score, centre) in tests.items():
            scores[kind] = score
            if centre is not None:
                where[kind] = centre
    speed, centre, ratio = speed_score(fill_gaps(x), missing)
    if scores["spike"] < 1.0:
        scores["speed"] = speed
        if centre is not None:
            where["speed"] = centre
    notes = [] if missing is None else _drop_unobserved(scores, where, missing)
    if scores["cutoff"] > 0:
        scores["scale"] = 0.0  # the flat stretch itself has a tiny local range
    jump_count = int(jumps(fill_gaps(x)).size)
    if max(scores.values()) == 0.0:
        # Nothing specific: "no anomaly" is likelier, but if there is one, it deviates ("wander"),
        # and most likely where the series strays furthest from its own cycle (with steps
        # missing, it may as well lie among them: no place is given).
        scores["wander"] = 0.2
        scores["none"] = 0.8
        stray = unusual_stretch(x) if missing is None else None
        if stray is not None:
            where["wander"] = stray
    text_jumps = f"{jump_count} jumps"
    text = (
        ", ".join(f"{k} {v:.2f}" for k, v in scores.items() if v)
        + f" (local period ratio {ratio:.2f}, {text_jumps})"
    )
    spans = gap_spans(gaps)
    if spans:
        text += f"; missing {describe(spans)}"
    text += "".join(f"; {note}" for note in notes)
    return AnomalyEvidence(scores, where, text, tuple(spans))


def unusual_stretch(x: np.ndarray) -> float | None:
    """The centre, as a share of the length, of the stretch that strays furthest from the series'
    own cycle and trend, or None without a cycle to compare with.

    The series less its straight line is folded on its strongest period, refined within 10 % to
    the one whose phase medians leave the smallest median absolute residual (an anomaly moves a
    median little), and the residual's moving mean of squares over half a period peaks at the
    stray stretch: a wander, a cycle of another size, a faster or slower stretch (after which the
    cycle stays shifted, so the peak may fall at its end rather than its centre).
    """
    x = as_float(x)
    n = x.size
    seen = np.flatnonzero(np.isfinite(x))
    if seen.size < 4 * FLAT_STEPS:
        return None
    detrended = fit_line(fill_gaps(x)).residual
    guess = dominant_period(detrended).period
    if not 4 <= guess <= n / 3:
        return None
    folds = [_folded_residual(detrended, period) for period in guess * np.linspace(0.9, 1.1, 41)]
    residual = min(folds, key=lambda r: float(np.median(np.abs(r[seen]))))
    energy = np.where(np.isfinite(x), residual, 0.0) ** 2
    width = max(int(np.rint(guess / 2)), FLAT_STEPS // 2)
    local = np.convolve(energy, np.ones(width) / width, mode="same")
    return (int(np.argmax(local)) + 0.5) / n


def _folded_residual(x: np.ndarray, period: float) -> np.ndarray:
    """``x`` less the median of its phase bin, the series folded on ``period`` (one bin per step)."""
    bins = max(int(np.rint(period)), 1)
    phase = np.floor((np.arange(x.size) / period) % 1.0 * bins).astype(int)
    profile = np.zeros(bins)
    for b in np.unique(phase):
        profile[b] = np.median(x[phase == b])
    return x - profile[phase]


def _drop_unobserved(scores: dict[str, float], where: dict[str, float], missing: np.ndarray) -> list[str]:
    """Drop the detections centred where most steps are missing (a filled gap is no evidence);
    move the others' centres onto their nearest observed step. Returns what was dropped."""
    n, notes = missing.size, []
    for kind, centre in list(where.items()):
        step = min(round(centre * n), n - 1)
        if observed_around(missing, step, FLAT_STEPS // 2):
            where[kind] = nearest_observed(missing, step) / n
            continue
        near = spans_near(gap_spans(missing), step, FLAT_STEPS // 2)
        notes.append(f"a {kind} read at step {step} lies in missing {describe(near)}: not counted")
        scores[kind] = 0.0
        del where[kind]
    return notes


# A change of variance moves the spread of the values by at least this factor.
VALUES_SPREAD_RATIO = 1.3
# A side has a cycle when its strongest period holds this share of the power (noise: about 0.2).
CYCLE_SHARE = 0.5


def break_evidence(x: np.ndarray) -> dict[str, float]:
    """Support for the three classic causes of a structural break, each in [0, 1]."""
    x = as_float(x)
    n = x.size
    split = best_split(x, kind="line", min_size=max(n // 8, 6))
    left, right = fit_line(x[: split.at]), fit_line(x[split.at :])
    reversal = float(
        np.sign(left.slope) != np.sign(right.slope) and min(abs(left.t_stat), abs(right.t_stat)) > 4
    )
    spread = best_split(x, kind="variance")
    # The scan reads the steps' spread, which a faster or slower cycle changes too; a change of
    # variance also shows in the spread of the values around each side's line.
    sides = [max(float(fit_line(part).residual.std()), 1e-12) for part in (x[: spread.at], x[spread.at :])]
    values_ratio = abs(np.log(sides[0] / sides[1])) / np.log(VALUES_SPREAD_RATIO)
    variance = spread.gain * min(values_ratio, 1.0)
    half = n // 2
    first, second = dominant_period(x[:half], min_cycles=1.0), dominant_period(x[half:], min_cycles=1.0)
    # Noise has a strongest period too: a frequency change needs a cycle on each side.
    cycles = min(min(first.power_share, second.power_share) / CYCLE_SHARE, 1.0)
    freq = abs(np.log(first.period / second.period)) * cycles
    return {
        "direction": reversal,
        "variance": float(min(variance / 0.5, 1.0)),
        "frequency": float(min(freq / np.log(2.0), 1.0)) * 0.9,
    }
