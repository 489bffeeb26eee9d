"""Write ``exam_dev.json``: a seeded development set for ``moesaic exam``, in the TimeSeriesExam format.

Every series is drawn here with a property we set (a trend's form and sign, a period, an AR(1)
coefficient, a noise colour, an anomaly's kind and position, a lag), so every answer is known.
The questions and options are worded on purpose unlike the TimeSeriesExam's own (other verbs,
full-sentence options, 2 to 4 options in shuffled order), to measure how far the question
reading generalises. Run ``python tests/data/exam_dev/make_exam_dev.py`` to rewrite the file;
the same seed gives the same file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20240611
HERE = Path(__file__).resolve().parent
PATTERN, NOISE, SIMILAR, CAUSAL, ANOMALY = (
    "Pattern Recognition",
    "Noise Understanding",
    "Similarity Analysis",
    "Causality Analysis",
    "Anomaly Detection",
)

rng = np.random.default_rng(SEED)


def white(n: int, scale: float = 1.0) -> np.ndarray:
    return scale * rng.standard_normal(n)


def ar1(n: int, phi: float, scale: float = 1.0) -> np.ndarray:
    e, x = white(n + 50, scale), np.zeros(n + 50)
    for t in range(1, n + 50):
        x[t] = phi * x[t - 1] + e[t]
    return x[50:]


def walk(n: int, scale: float = 1.0) -> np.ndarray:
    return np.cumsum(white(n, scale))


def sine(n: int, period: float, amplitude: float = 1.0, phase: float = 0.0) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * np.arange(n) / period + phase)


def square(n: int, period: float, amplitude: float = 1.0) -> np.ndarray:
    return amplitude * np.sign(np.sin(2 * np.pi * (np.arange(n) + 0.5) / period))


def sawtooth(n: int, period: float, amplitude: float = 1.0) -> np.ndarray:
    return amplitude * (2 * ((np.arange(n) / period) % 1.0) - 1)


def shuffled(options: list[Any], answer: Any) -> tuple[list[Any], Any]:
    order = rng.permutation(len(options))
    return [options[i] for i in order], answer


QUESTIONS: list[dict[str, Any]] = []


def add(
    category: str, kind: str, question: str, options: list[Any], answer: Any, *series: np.ndarray
) -> None:
    assert answer in options, (question, answer)
    options, answer = shuffled(options, answer)
    item: dict[str, Any] = {
        "id": f"dev-{len(QUESTIONS) + 1:03d}",
        "question": question,
        "options": options,
        "answer": answer,
        "category": category,
        "subcategory": kind,
    }
    if len(series) == 1:
        item["ts"] = [round(float(v), 3) for v in series[0]]
    else:
        item["ts1"], item["ts2"] = ([round(float(v), 3) for v in s] for s in series)
    QUESTIONS.append(item)


def ask(category: str, kind: str, question: str, options: list[Any], *cases: tuple[Any, np.ndarray]) -> None:
    """One question asked of several series: each case is (its answer, its series)."""
    for answer, series in cases:
        add(category, kind, question, options, answer, series)


def pattern() -> None:
    n, t = 160, np.arange(160)
    movement = "Which of the following best describes the long-term movement of this series?"
    rise, fall, flat = (
        "The values tend to rise over time.",
        "The values tend to fall over time.",
        "There is no persistent rise or fall.",
    )
    ask(
        PATTERN,
        "trend direction",
        movement,
        [rise, fall, flat],
        (rise, 0.04 * t + white(n, 0.8)),
        (fall, 5 - 0.03 * t + ar1(n, 0.3, 0.5)),
        (flat, 2 + white(n)),
    )

    form = "Which functional form best characterises the growth of this signal?"
    lin, expo, logf = (
        "It grows at a constant rate, like a straight line.",
        "It grows exponentially, faster and faster.",
        "It grows quickly at first and then levels off, like a logarithm.",
    )
    ask(
        PATTERN,
        "trend type",
        form,
        [lin, expo, logf],
        (lin, 0.05 * t + white(n, 0.3)),
        (expo, np.exp(t / 40) + white(n, 0.3)),
        (logf, 3 * np.log1p(t) + white(n, 0.2)),
    )

    turn = "Does the general tendency of the series switch from increasing to decreasing at some point?"
    yes_turn, no_turn = "Yes, it first climbs and later declines.", "No, it keeps moving in one direction."
    add(
        PATTERN, "trend reversal", turn, [yes_turn, no_turn], yes_turn, -0.002 * (t - 80) ** 2 + white(n, 0.5)
    )
    add(PATTERN, "trend reversal", turn, [yes_turn, no_turn], no_turn, 0.03 * t + white(n, 0.5))

    seasonal = "Does this signal contain a repeating seasonal pattern?"
    add(PATTERN, "seasonality", seasonal, ["Yes", "No"], "Yes", sine(n, 20, 2) + white(n, 0.5))
    add(PATTERN, "seasonality", seasonal, ["Yes", "No"], "No", ar1(n, 0.5))

    cycle = "Roughly how many time steps does one full oscillation of this series last?"
    add(PATTERN, "period", cycle, [12, 25, 50], 25, sine(200, 25, 3) + white(200, 0.4))
    add(PATTERN, "period", cycle, ["10", "40", "80"], "10", square(200, 10, 2) + white(200, 0.3))

    stationary = "Would you describe this process as stationary?"
    s_yes, s_no = (
        "Yes, its statistical properties do not change over time.",
        "No, its statistical properties change over time.",
    )
    add(PATTERN, "stationarity", stationary, [s_yes, s_no], s_no, walk(n))
    add(PATTERN, "stationarity", stationary, [s_yes, s_no], s_yes, ar1(n, 0.4))

    lag1 = "Which of the following best describes the dependence between consecutive values?"
    pos, neg, none = (
        "Consecutive values are strongly positively correlated.",
        "Consecutive values tend to alternate in sign, a negative correlation.",
        "Consecutive values are essentially uncorrelated.",
    )
    add(PATTERN, "autocorrelation", lag1, [pos, neg, none], pos, ar1(n, 0.9))
    add(PATTERN, "autocorrelation", lag1, [pos, neg, none], neg, ar1(n, -0.7))
    add(PATTERN, "autocorrelation", lag1, [pos, neg, none], none, white(n))

    spread = "Does the spread of the values around their mean change over time?"
    v_yes, v_no = "Yes, the variability grows over time.", "No, the variability stays roughly constant."
    add(PATTERN, "heteroscedasticity", spread, [v_yes, v_no], v_yes, white(n) * np.linspace(0.2, 3, n))
    add(PATTERN, "heteroscedasticity", spread, [v_yes, v_no], v_no, white(n))

    add(
        PATTERN,
        "mean",
        "Approximately what is the average level of this series?",
        ["5.0", "-3.0", "12.0"],
        "-3.0",
        -3 + ar1(n, 0.3),
    )

    wave = "Which waveform best matches the periodic pattern in this series?"
    smooth, box, saw = (
        "A smooth sinusoid",
        "A square wave alternating between two levels",
        "A sawtooth that ramps up slowly and then drops sharply",
    )
    add(PATTERN, "waveform", wave, [smooth, box, saw], saw, sawtooth(n, 32, 2) + white(n, 0.1))
    add(PATTERN, "waveform", wave, [smooth, box, saw], box, square(n, 40, 1.5) + white(n, 0.1))

    size = "How does the size of the oscillations evolve from start to finish?"
    bigger, smaller, same = (
        "The oscillations become larger.",
        "The oscillations become smaller.",
        "The oscillations keep the same size.",
    )
    add(
        PATTERN,
        "amplitude change",
        size,
        [bigger, smaller, same],
        smaller,
        sine(n, 20) * np.linspace(3, 0.5, n),
    )
    add(PATTERN, "amplitude change", size, [bigger, smaller, same], same, sine(n, 16, 2) + white(n, 0.1))

    add(
        PATTERN,
        "mean reversion",
        "Does this process tend to come back to a long-run average after it deviates?",
        ["Yes, deviations die out.", "No, deviations persist."],
        "Yes, deviations die out.",
        ar1(n, 0.5),
    )
    drift = "Is a systematic drift present in the data?"
    d_yes, d_no = "Yes, there is a clear drift.", "No, the series fluctuates around a fixed level."
    add(PATTERN, "trend presence", drift, [d_yes, d_no], d_yes, -0.05 * t + white(n))
    add(PATTERN, "trend presence", drift, [d_yes, d_no], d_no, sine(n, 20) + white(n, 0.5))
    add(
        PATTERN,
        "slope",
        "What is the approximate increase of the series per time step?",
        [0.05, 0.2, 0.5],
        0.2,
        0.2 * t + white(n, 2),
    )
    shift = "Into how many segments with distinct mean levels can this series be divided?"
    levels = np.repeat([0.0, 4.0, 1.0], [60, 50, 50])
    add(PATTERN, "level shifts", shift, ["1", "2", "3"], "3", levels + white(n, 0.5))


def noise() -> None:
    n, t = 200, np.arange(200)
    kind = "What kind of random component does this series contain?"
    w, b = "Uncorrelated (white) noise", "Strongly autocorrelated (brown) noise"
    add(NOISE, "noise colour", kind, [w, b], w, white(n))
    add(NOISE, "noise colour", kind, [w, b], b, walk(n))
    iid = "Is this sequence consistent with pure white noise?"
    add(NOISE, "white noise", iid, ["Yes", "No"], "No", ar1(n, 0.8))
    add(NOISE, "white noise", iid, ["Yes", "No"], "Yes", white(n, 2))
    stronger = "Which of the two signals is corrupted by stronger noise?"
    base = sine(n, 25, 2)
    add(
        NOISE,
        "noise level",
        stronger,
        ["The first signal", "The second signal"],
        "The second signal",
        base + white(n, 0.2),
        base + white(n, 1.0),
    )
    add(
        NOISE,
        "noise level",
        stronger,
        ["Signal 1", "Signal 2"],
        "Signal 1",
        base + white(n, 1.2),
        base + white(n, 0.3),
    )
    rw = "Could this series be a random walk rather than independent noise?"
    a, c = "It behaves like a random walk.", "It behaves like independent noise."
    add(NOISE, "random walk", rw, [a, c], a, walk(n))
    add(NOISE, "random walk", rw, [a, c], c, white(n))
    add(
        NOISE,
        "noise level value",
        "What is the approximate standard deviation of the noise around the sine wave?",
        [0.1, 1.0, 3.0],
        1.0,
        sine(n, 25, 4) + white(n, 1.0),
    )
    scale = "Does the size of the noise scale with the level of the signal?"
    level = 2 + 0.05 * t
    add(
        NOISE,
        "multiplicative",
        scale,
        ["Yes, it is multiplicative.", "No, it is additive."],
        "Yes, it is multiplicative.",
        level * (1 + 0.15 * white(n)),
    )
    add(
        NOISE,
        "multiplicative",
        scale,
        ["Yes, it is multiplicative.", "No, it is additive."],
        "No, it is additive.",
        level + white(n, 0.6),
    )


def similarity() -> None:
    n = 150
    shape = "Do these two series have the same shape?"
    same, other = "They follow the same shape, apart from noise.", "Their shapes are unrelated."
    base = sine(n, 30, 2) + 0.02 * np.arange(n)
    add(SIMILAR, "shape", shape, [same, other], same, base + white(n, 0.3), base + white(n, 0.3))
    add(SIMILAR, "shape", shape, [same, other], other, base + white(n, 0.3), walk(n))
    dist = "Could the values of both series come from the same distribution?"
    d_yes, d_no = "Yes, they appear to share one distribution.", "No, their distributions differ."
    add(SIMILAR, "distribution", dist, [d_yes, d_no], d_yes, white(n), white(n))
    add(SIMILAR, "distribution", dist, [d_yes, d_no], d_no, white(n), 3 + white(n, 2.5))
    wider = "Which of the two sequences fluctuates more widely?"
    add(SIMILAR, "variance", wider, ["Sequence 1", "Sequence 2"], "Sequence 1", white(n, 3), white(n, 1))
    faster = "Which series oscillates faster?"
    add(
        SIMILAR,
        "period",
        faster,
        ["Series 1 has the shorter cycle", "Series 2 has the shorter cycle"],
        "Series 2 has the shorter cycle",
        sine(n, 40, 1) + white(n, 0.1),
        sine(n, 12, 1) + white(n, 0.1),
    )
    direction = "Do both series trend in the same direction?"
    t = np.arange(n)
    both, opposite = "Yes, both move the same way.", "No, one rises while the other falls."
    add(
        SIMILAR,
        "trend direction",
        direction,
        [both, opposite],
        opposite,
        0.05 * t + white(n),
        -0.04 * t + white(n),
    )
    add(
        SIMILAR,
        "trend direction",
        direction,
        [both, opposite],
        both,
        0.05 * t + white(n),
        0.03 * t + white(n),
    )
    mirror = "Is the second series an upside-down copy of the first one?"
    wave = sawtooth(n, 30, 2) + 0.5 * sine(n, 11)
    add(SIMILAR, "flip", mirror, ["Yes", "No"], "Yes", wave + white(n, 0.1), -wave + white(n, 0.1))
    rescaled = "Is one of the two series simply a rescaled copy of the other?"
    wave2 = sine(n, 25) + 0.5 * square(n, 50)
    add(
        SIMILAR,
        "scale",
        rescaled,
        ["Yes, series 2 is series 1 multiplied by a constant", "No, they are unrelated"],
        "Yes, series 2 is series 1 multiplied by a constant",
        wave2 + white(n, 0.05),
        3 * wave2 + white(n, 0.05),
    )


def causality() -> None:
    n = 200
    x = ar1(n + 10, 0.5)
    relation = "Which statement best describes the lead-lag relation between the two series?"
    one, two, neither = (
        "Series 1 leads series 2",
        "Series 2 leads series 1",
        "Neither series leads the other",
    )
    add(CAUSAL, "lead-lag", relation, [one, two, neither], one, x[10:], x[7:-3] + white(n, 0.3))
    y = ar1(n + 10, 0.5)
    add(CAUSAL, "lead-lag", relation, [one, two, neither], two, y[5:-5] + white(n, 0.3), y[10:])
    add(CAUSAL, "lead-lag", relation, [one, two, neither], neither, ar1(n, 0.5), ar1(n, 0.5))
    helps = "Does the history of the first series help forecast the second series, in the Granger sense?"
    z = ar1(n + 5, 0.3)
    add(CAUSAL, "granger", helps, ["Yes", "No"], "Yes", z[5:], 0.8 * z[3:-2] + white(n, 0.4))
    add(CAUSAL, "granger", helps, ["Yes", "No"], "No", ar1(n, 0.3), ar1(n, 0.3))
    trail = "Roughly how many steps does the second series trail behind the first?"
    u = ar1(n + 40, 0.7)
    add(CAUSAL, "lag size", trail, ["5", "15", "30"], "15", u[40:], u[25:-15] + white(n, 0.2))
    link = "Is there a Granger-causal link between the two variables?"
    v = ar1(n + 4, 0.4)
    add(
        CAUSAL,
        "granger",
        link,
        [
            "Variable 2 Granger-causes variable 1",
            "There is no causal link",
            "Variable 1 Granger-causes variable 2",
        ],
        "Variable 2 Granger-causes variable 1",
        v[2:-2] + white(n, 0.4),
        v[4:],
    )
    shifted = "Is the second curve a delayed copy of the first one?"
    w = sine(n + 20, 37, 2) + 0.4 * sine(n + 20, 13)
    add(
        CAUSAL,
        "lagged copy",
        shifted,
        ["Yes, it is shifted in time", "No, they are unrelated"],
        "Yes, it is shifted in time",
        w[20:] + white(n, 0.1),
        w[12:-8] + white(n, 0.1),
    )


def anomaly() -> None:
    n = 200
    base = sine(n, 25, 2)
    present = "Does this series contain an abnormal observation?"
    spiked = base + white(n, 0.2)
    spiked[120] += 9
    add(ANOMALY, "presence", present, ["Yes", "No"], "Yes", spiked)
    add(ANOMALY, "presence", present, ["Yes", "No"], "No", base + white(n, 0.2))
    step = "At approximately which time step does the unusual value occur?"
    x = base + white(n, 0.2)
    x[47] -= 8
    add(ANOMALY, "position", step, ["around 45", "around 100", "around 170"], "around 45", x)
    third = "In which part of the record does the irregularity appear?"
    x = sine(n, 20, 1) + white(n, 0.15)
    x[160:172] = 0.0
    add(ANOMALY, "part", third, ["Early", "In the middle", "Late"], "Late", x)
    x = sine(n, 20, 1) + white(n, 0.15)
    x[95:105] += 5
    add(ANOMALY, "part", third, ["Early", "In the middle", "Late"], "In the middle", x)
    kind = "What kind of anomaly affects this series?"
    spike, shift, cut = (
        "A sudden isolated spike",
        "A level shift that persists until the end",
        "A stretch where the signal drops to zero",
    )
    x = sine(n, 25, 1) + white(n, 0.1)
    x[70] += 7
    add(ANOMALY, "type", kind, [spike, shift, cut], spike, x)
    x = sine(n, 25, 1) + white(n, 0.1)
    x[120:] += 4
    add(ANOMALY, "type", kind, [spike, shift, cut], shift, x)
    x = sine(n, 25, 1) + white(n, 0.1)
    x[80:110] = 0
    add(ANOMALY, "type", kind, [spike, shift, cut], cut, x)
    which = "Only one of the two series has an anomaly. Which one?"
    a, b = base + white(n, 0.2), base + white(n, 0.2)
    b[60] += 8
    add(ANOMALY, "which series", which, ["The first one", "The second one"], "The second one", a, b)
    dip = "Where is the sharp drop located?"
    x = 0.02 * np.arange(n) + white(n, 0.2)
    x[30] -= 6
    add(ANOMALY, "position", dip, ["Near the start", "Near the middle", "Near the end"], "Near the start", x)


def main() -> None:
    pattern()
    noise()
    similarity()
    causality()
    anomaly()
    path = HERE / "exam_dev.json"
    path.write_text(json.dumps(QUESTIONS, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
