"""Question understanding: question text + options -> a structured :class:`Intent`.

Multiple-choice options often *are* the candidate answers ("Upward", "Sine wave with linear
trend", "Time series 2 granger causes time series 1"), so each option is read into a
:class:`Choice` of canonical terms, a yes/no polarity, a number or an interval, and the series
it talks about. The question then fixes the *topic*: which property the options are about.
Everything is keyword and regex rules over lower-cased text; no rule looks at a question id,
a template id or an option's position.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Canonical terms and the phrases that express them. Order matters only for readability.
TERMS: tuple[tuple[str, str], ...] = (
    ("no_trend", r"\bno (clear |significant )?trend"),
    ("no_pattern", r"\bno (cyclic |clear )?pattern"),
    ("no_noise", r"\bno (significant )?noise"),
    ("no_autocorrelation", r"\bno (auto)?correlation"),
    ("no_influence", r"\bno (influence|effect|impact)"),
    ("linear", r"\blinear"),
    ("exponential", r"\bexponential"),
    ("log", r"\blog(arithmic)?\b"),
    ("sine", r"\bsine|\bsinusoid"),
    ("square", r"\bsquare"),
    ("sawtooth", r"\bsa?w?a?tooth|\bswatooth"),
    ("white", r"\bwhite\b|\bgaussian\b"),
    ("red", r"\bred noise|\brandom walk|\bbrownian"),
    ("spike", r"\bspikes?\b"),
    ("cutoff", r"\bcut-?off|\bdisappear"),
    ("flip", r"\bflip"),
    ("scale", r"\bscale\b|\bdifferent scale"),
    ("wander", r"\bwander|\bdeviates? off"),
    ("speed", r"\bspeed|\bslow ?down|\bperiod of cyclic"),
    ("seasonality", r"\bseasonal|\bcycl|\bperiodic"),
    ("trend_word", r"\btrend"),
    ("noise_word", r"\bnois"),
    ("additive", r"\badditive|\badded"),
    ("multiplicative", r"\bmultiplicative|\bmultiplied"),
    ("negative", r"\bnegative"),
    ("positive", r"\bpositive"),
    ("up", r"\bupward|\bincreas|\brising|\bgrow"),
    ("down", r"\bdownward|\bdecreas|\bfalling|\bdeclin"),
    ("same", r"\bsame\b|\bremains?\b|\bunchanged|\bsimilar|\bconstant\b|\bstable\b"),
    ("different", r"\bdifferent|\bdiffer"),
    ("beginning", r"\bbeginning|\bstart|\bearly|\bfirst part"),
    ("middle", r"\bmiddle|\bcent(er|re)"),
    ("end", r"\bend\b|\blate\b|\blast part"),
    ("frequency", r"\bfrequency"),
    ("direction", r"\bdirection|\breversal|\breverse"),
    ("variance", r"\bvariance|\bvaries|\bvolatil"),
    ("mean", r"\bmean\b|\blevel shift"),
    ("distort", r"\bdistort"),
)
_TERM_RE = tuple((name, re.compile(rx)) for name, rx in TERMS)
_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")
_INTERVAL = re.compile(r"between\s+([-+]?\d+(?:\.\d+)?)\s*(?:to|and|-)\s*([-+]?\d+(?:\.\d+)?)")
_SERIES = re.compile(r"(?:time[\s-]?series|series|ts)\s*#?\s*(\d)\b")
_POLARITY = re.compile(r"^\s*(yes|no)\b\s*(?:[,.;:!]|$)")
_RELATION = re.compile(
    r"(?:time[\s-]?series|series)\s*(\d)\s+(?:is\s+)?(?:an?\s+)?(?:the\s+)?"
    r"(granger[\s-]?causes?|lagged version of|scaled version of|leads|causes|drives)"
    r"\s+(?:the\s+)?(?:time[\s-]?series|series)\s*(\d)"
)


@dataclass(frozen=True)
class Choice:
    """One option, read.

    Attributes:
        text: the option as written.
        polarity: +1 for an option that opens with "Yes", -1 for "No" (as an answer, so
            "No Trend" is a term, not a polarity), None otherwise.
        number: the value when the whole option is a number.
        interval: (low, high) for "between A to B".
        terms: canonical terms in reading order (see TERMS).
        subjects: (series number, its terms) for every "time series N" mentioned, the terms
            being those written after the mention and before the next one; "both" gives
            every series the shared terms.
        relation: (a, b, verb) for "time series a <verb> time series b".
    """

    text: str
    polarity: int | None
    number: float | None
    interval: tuple[float, float] | None
    terms: tuple[str, ...]
    subjects: tuple[tuple[int, tuple[str, ...]], ...]
    relation: tuple[int, int, str] | None

    def has(self, *names: str) -> bool:
        return any(n in self.terms for n in names)

    def series(self) -> tuple[int, ...]:
        return tuple(s for s, _ in self.subjects)


@dataclass(frozen=True)
class Intent:
    """What a question asks.

    Attributes:
        topic: the property asked about (a key of ``SOLVERS`` in :mod:`moesaic.reports.exam.solve`).
        question: the question text, lower-cased.
        terms: canonical terms of the question.
        choices: the options, read.
        num_series: how many series come with the question.
        segment: "first" or "second" when the question is about one half or one part of a
            concatenation ("in the latter half", "the square wave" of "a sine wave followed by a
            square wave"), else None.
        focus: a waveform or trend named as the thing to measure ("amplitude of the square
            wave"), else None.
    """

    topic: str
    question: str
    terms: tuple[str, ...]
    choices: tuple[Choice, ...]
    num_series: int
    segment: str | None = None
    focus: str | None = None

    def mentions(self, pattern: str) -> bool:
        return re.search(pattern, self.question) is not None


def find_terms(text: str) -> tuple[str, ...]:
    """Canonical terms in ``text`` in the order they appear (each once)."""
    low = text.lower()
    found = []
    for name, rx in _TERM_RE:
        m = rx.search(low)
        if m:
            found.append((m.start(), name))
    negated = {n for _, n in found if n.startswith("no_")}
    # "No trend" also matches "trend": keep the negated concept only.
    drop = {"trend_word"} if "no_trend" in negated else set()
    drop |= {"seasonality"} if "no_pattern" in negated else set()
    drop |= {"noise_word"} if "no_noise" in negated else set()
    return tuple(n for _, n in sorted(found) if n not in drop)


def read_choice(text: str) -> Choice:
    """Parse one option."""
    low = text.lower().strip()
    polarity_match = _POLARITY.match(low)
    polarity = None if polarity_match is None else (1 if polarity_match.group(1) == "yes" else -1)
    number = float(low) if _NUMBER.match(low) else None
    interval_match = _INTERVAL.search(low)
    interval = None
    if interval_match:
        a, b = float(interval_match.group(1)), float(interval_match.group(2))
        interval = (min(a, b), max(a, b))
    mentions = list(_SERIES.finditer(low))
    subjects: list[tuple[int, tuple[str, ...]]] = []
    for i, m in enumerate(mentions):
        stop = mentions[i + 1].start() if i + 1 < len(mentions) else len(low)
        subjects.append((int(m.group(1)), find_terms(low[m.end() : stop])))
    if re.search(r"\bboth\b", low) and subjects:
        shared = tuple(dict.fromkeys(t for _, ts in subjects for t in ts))
        subjects = [(s, shared) for s, _ in subjects]
    rel = _RELATION.search(low)
    relation = None
    if rel:
        verb = (
            "granger"
            if "granger" in rel.group(2) or "caus" in rel.group(2) or "lead" in rel.group(2)
            else ("lagged" if "lag" in rel.group(2) else "scaled")
        )
        relation = (int(rel.group(1)), int(rel.group(3)), verb)
    return Choice(
        text=text,
        polarity=polarity,
        number=number,
        interval=interval,
        terms=find_terms(low),
        subjects=tuple(subjects),
        relation=relation,
    )


def _numeric(choices: tuple[Choice, ...]) -> bool:
    return sum(c.number is not None for c in choices) >= max(len(choices) - 1, 1)


def _any_terms(choices: tuple[Choice, ...], *names: str) -> bool:
    return any(c.has(*names) for c in choices)


def _about_series(choices: tuple[Choice, ...]) -> bool:
    return any(c.subjects for c in choices)


def _yes_no(choices: tuple[Choice, ...]) -> bool:
    return any(c.polarity is not None for c in choices)


# (topic, question pattern, test on the options and the number of series); first match wins.
# A test on the options and the number of series; None accepts anything.
OptionTest = Callable[[tuple["Choice", ...], int], bool] | None

RULES: tuple[tuple[str, str, OptionTest], ...] = (
    ("lag_steps", r"lag(ging)? steps?|how many steps|lag (size|length)", None),
    ("granger", r"granger", None),
    ("lagged", r"lagged version|lag(ged)? of each other|lagged copy", None),
    ("scaled", r"scaled version|scaled copy", None),
    ("flipped", r"flipped version|mirror", None),
    ("anomaly_nonstationary", r"non-?stationary anomal", None),
    ("break_cause", r"structural break|cause of (this|the) break", None),
    ("anomaly_location", r"anomal", lambda c, k: _any_terms(c, "beginning", "middle", "end")),
    ("anomaly_base", r"without the anomal|pattern.*before the anomal|underlying pattern.*anomal", None),
    ("anomaly", r"anomal", None),
    ("same_distribution", r"distribution", lambda c, k: k == 2),
    ("trend_direction_same", r"direction of (the )?trend|trend direction", lambda c, k: k == 2),
    ("trend_type_same", r"type of trend|same trend", lambda c, k: k == 2),
    ("noise_type_same", r"type of noise|kind of noise", lambda c, k: k == 2),
    (
        "similar_shape",
        r"similar (pattern|shape)|share (a )?similar|same (pattern|shape)",
        lambda c, k: k == 2,
    ),
    (
        "compare",
        r"noise|variance|random component|amplitude|period|autocorrelation|ar\(|ma\(",
        lambda c, k: k == 2 and (_about_series(c) or _yes_no(c)),
    ),
    ("similar_shape", r"similar|share", lambda c, k: k == 2),
    (
        "noise_level",
        r"noise level|level of (the )?noise|standard deviation of (the )?noise",
        lambda c, k: _numeric(c),
    ),
    ("noise_composition", r"noise.*(additive|multiplicative)|(additive|multiplicative).*noise", None),
    ("noise_influence", r"noise", lambda c, k: _any_terms(c, "no_influence", "distort")),
    ("noise_type", r"noise|random walk", lambda c, k: _any_terms(c, "white", "red", "no_noise")),
    ("noisy", r"\bnoisy\b", None),
    ("white_noise_test", r"white noise|random walk", lambda c, k: _yes_no(c)),
    ("trend_order", r"order(ing)? of|sequence of", None),
    ("trend_pieces", r"how many (pieces|segments|linear)", None),
    ("regime_count", r"how many .*regime|number of regimes", None),
    ("regime_switching", r"regime", None),
    ("trend_coefficient", r"trend coefficient|slope", lambda c, k: _numeric(c)),
    ("trend_reversal", r"change (its )?direction|reverse", None),
    ("trend_halves", r"first half.*second half|second half.*first half", None),
    (
        "composition",
        r"additive|multiplicative|combined",
        lambda c, k: _any_terms(c, "additive", "multiplicative"),
    ),
    (
        "dominant_component",
        r"",
        lambda c, k: (
            _any_terms(c, "seasonality") and _any_terms(c, "trend_word") and _any_terms(c, "noise_word")
        ),
    ),
    ("amplitude_change", r"amplitude", lambda c, k: _any_terms(c, "up", "down", "same")),
    (
        "amplitude_change",
        r"",
        lambda c, k: any("amplitude" in x.text.lower() for x in c) and _any_terms(c, "up", "down", "same"),
    ),
    (
        "period_change",
        r"",
        lambda c, k: (
            any(re.search(r"period|frequency", x.text.lower()) for x in c)
            and _any_terms(c, "up", "down", "same")
        ),
    ),
    ("period_change", r"period|frequency", lambda c, k: _any_terms(c, "up", "down", "same")),
    ("amplitude_value", r"amplitude", lambda c, k: _numeric(c)),
    ("period_value", r"period|frequency|how many (cycles|peaks)", lambda c, k: _numeric(c)),
    ("mean_reversion", r"mean[ -]revers", None),
    ("stationarity", r"stationar", None),
    ("mean_value", r"\bmean\b|average", lambda c, k: _numeric(c)),
    (
        "variance_stable",
        r"variance.*(constant|stable|chang)|(constant|stable|chang\w*) variance|heterosked",
        lambda c, k: k == 1 and _yes_no(c),
    ),
    ("variance_value", r"variance", lambda c, k: k == 1),
    ("std_value", r"standard deviation", lambda c, k: k == 1 and _numeric(c)),
    ("acf_value", r"autocorrelation", lambda c, k: k == 1 and _numeric(c)),
    ("compare", r"variance|noise|amplitude|period", lambda c, k: k == 2),
    ("mean_stable", r"mean", lambda c, k: _yes_no(c)),
    ("trend_presence", r"\btrend", lambda c, k: k == 1 and _yes_no(c)),
    ("cycle_presence", r"season|cycl|periodic", lambda c, k: k == 1 and _yes_no(c)),
    ("acf_sign", r"autocorrelation|correlat", lambda c, k: _any_terms(c, "negative", "positive")),
    ("trend_direction", r"", lambda c, k: _any_terms(c, "up", "down") and _any_terms(c, "no_trend")),
    ("trend_direction", r"direction", lambda c, k: _any_terms(c, "up", "down")),
    ("trend_type", r"", lambda c, k: _any_terms(c, "linear", "exponential", "log")),
    ("cycle_type", r"", lambda c, k: _any_terms(c, "sine", "square", "sawtooth", "no_pattern")),
)
_RULES = tuple((topic, re.compile(rx), test) for topic, rx, test in RULES)
_WAVE_ORDER = ("sine", "square", "sawtooth")


def _segment_and_focus(question: str) -> tuple[str | None, str | None]:
    focus_match = re.search(r"\bof the (sine|square|sa?w?a?tooth|swatooth)", question)
    focus = None
    if focus_match:
        focus = next(t for t in find_terms(focus_match.group(1)) if t in _WAVE_ORDER)
    if re.search(r"\b(latter|second|last) half\b", question):
        return "second", focus
    if re.search(r"\b(first|former) half\b", question):
        return "first", focus
    if focus and re.search(r"followed by|then\b|and then", question):
        waves = _ordered_waves(question)
        if focus in waves:
            return ("first" if waves.index(focus) == 0 else "second"), focus
    return None, focus


def _ordered_waves(question: str) -> list[str]:
    hits = []
    for name in _WAVE_ORDER:
        rx = dict(_TERM_RE)[name]
        m = rx.search(question)
        if m:
            hits.append((m.start(), name))
    return [n for _, n in sorted(hits)]


def parse_question(question: str, options: tuple[str, ...] | list[str], num_series: int) -> Intent:
    """Read a question and its options into an :class:`Intent`.

    Args:
        question: the question text.
        options: the option texts.
        num_series: how many series come with the question (1 or 2).
    Returns:
        The intent; its topic is "unknown" when no rule matches (the solver then abstains
        by scoring every option alike).
    """
    low = " ".join(question.lower().split())
    choices = tuple(read_choice(o) for o in options)
    topic = "unknown"
    for name, rx, test in _RULES:
        if rx.search(low) and (test is None or test(choices, num_series)):
            topic = name
            break
    terms = find_terms(low)
    segment, focus = _segment_and_focus(low)
    return Intent(
        topic=topic,
        question=low,
        terms=terms,
        choices=choices,
        num_series=num_series,
        segment=segment,
        focus=focus,
    )
