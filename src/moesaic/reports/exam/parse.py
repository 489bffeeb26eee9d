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
from dataclasses import dataclass

from moesaic.reports.exam.rules import RULES

# Canonical terms and the phrases that express them. Order matters only for readability.
TERMS: tuple[tuple[str, str], ...] = (
    (
        "no_trend",
        r"\bno (clear |significant |persistent |systematic )?(trend|rise|drift)|\bnot (drift|trend)\w*"
        r"|\b(fluctuates?|oscillates?|varies|moves?) around a (fixed|constant|stable) (level|mean|value)"
        r"|\b(roughly|mostly|basically|essentially) (flat|level|constant)\b"
        r"|\bholds? steady|\bholding steady|\bstay(s|ing)? (put|level)\b|\blies? flat|\bnowhere in particular"
        r"|\bhovers? (at|around) (one|a) (level|value)|\bjitters? around (one|a) (level|value)|^absent$",
    ),
    ("no_pattern", r"\bno (cyclic |clear )?pattern"),
    ("no_noise", r"\bno (significant )?noise"),
    (
        "no_autocorrelation",
        r"\bno (auto)?correlation|\buncorrelated|\bnot (auto)?correlated|\bindependently\b|\bunrelated\b"
        r"|\bno (link|relation)",
    ),
    ("no_influence", r"\bno (influence|effect|impact)"),
    ("linear", r"\blinear|\bstraight[- ]line|\b(constant|steady) rate"),
    ("exponential", r"\bexponential|\bcompounding|\bever more steep|\bever faster"),
    ("log", r"\blog(arithm\w*)?\b"),
    ("sine", r"\bsine|\bsinusoid"),
    ("square", r"\bsquare"),
    ("sawtooth", r"\bsa?w?a?tooth|\bswatooth"),
    ("white", r"\bwhite\b|\bgaussian\b"),
    ("random_only", r"\b(just|only|pure(ly)?|merely) (random )?(jitter|noise)\b|\brandom jitter\b"),
    ("structured", r"\bthere( is|'s) (a |some )?(real )?(structure|pattern|signal)\b|\bstructured\b"),
    (
        "mean_reverting",
        r"\bmean[- ]revert\w*|\bpull(s|ing)? back\b|\bsticky\b|\bar[- ]type\b",
    ),
    ("pink", r"\bpink\b|\bflicker noise|\b1/f\b(?![\^²2])"),
    ("red", r"\bred\b|\brandom walk|\bbrown(ian)?\b|\b1/f(\^2|²)"),
    ("spike", r"\bspikes?\b|\boutliers?\b|\bsingle (point|value)|\bsingle sharp (drop|dip|jump|rise|fall)"),
    ("cutoff", r"\bcut-?off|\bdisappear|\bdrops? to zero|\bflat[- ]?lines?\b|\bstops? changing"),
    ("flip", r"\bflip"),
    ("scale", r"\bscale\b|\bdifferent scale"),
    ("wander", r"\bwander|\bdeviates? off"),
    ("speed", r"\bspeed|\bslow ?down|\bperiod of cyclic"),
    ("seasonality", r"\bseasonal|\bcycl|\bperiodic"),
    ("trend_word", r"\btrend"),
    ("noise_word", r"\bnois"),
    ("additive", r"\badditive|\badded|\bsame everywhere|\bindependent of the (level|signal)"),
    (
        "multiplicative",
        r"\bmultiplicative|\bmultiplied|\bgrows? with the (level|signal|value)"
        r"|\bproportional to (the )?(level|signal)|\bscales? with the (level|signal)",
    ),
    (
        "negative",
        r"\bnegative|\bin opposition\b|\bmirror[- ]image|\bone rises when the other falls"
        r"|\bopposite directions?",
    ),
    ("positive", r"\bpositive|\b(move|rise and fall|go up and down) together|^together$|\bsame stor(y|ies)"),
    (
        "up",
        r"\bupward|\bincreas|\brises?\b|\brising|\bgrow|\bclimb|\blarger|\bbigger|\bwiden"
        r"|\btrends? up\b|\bgo(es|ing)? up\b|\bcreep(s|ing)? up|\btilts? up|\bgaining\b|\bwarmer\b|^up$"
        r"|\bsteps? up\b|^noisier$",
    ),
    (
        "down",
        r"\bdownward|\bdecreas|\bfalls?\b|\bfalling|\bdeclin|\bsmaller|\bshrink|\bnarrow|\bdamp"
        r"|\btrends? down\b|\bgo(es|ing)? down\b|\bcreep(s|ing)? down|\btilts? down|\blosing\b|\bcooler\b"
        r"|\bsinks?\b|\bsinking\b|^down$|\bquieter\b|\bsteps? down\b",
    ),
    ("same", r"\bsame\b|\bremains?\b|\bunchanged|\bsimilar|\bconstant\b|\bstable\b|\bequally\b"),
    ("different", r"\bdifferent|\bdiffer"),
    ("first_half", r"\b(first|former|earlier) half"),
    ("second_half", r"\b(second|latter|later|last) half"),
    (
        "level_shift",
        r"\blevel shift|\bshift in (the )?level|\bjump in (the )?level|\bstep change|\bsudden shift",
    ),
    ("beginning", r"\bbeginning|\bstart|\bearly|\bfirst (part|third|quarter)|\bopening\b"),
    ("middle", r"\bmiddle|\bcent(er|re)|\bcentral\b"),
    ("end", r"\bend\b|\blate\b|\b(last|final) (part|third|quarter)|\bclosing\b"),
    ("frequency", r"\bfrequency"),
    ("direction", r"\bdirection|\breversal|\breverse"),
    ("variance", r"\bvariance|\bvaries|\bvolatil"),
    ("mean", r"\bmean\b|\blevel shift"),
    ("distort", r"\bdistort"),
    ("skew_right", r"\bright[- ]skew|\bpositively skew|\bskewed (to the )?right|\blong (upper|right) tail"),
    ("skew_left", r"\bleft[- ]skew|\bnegatively skew|\bskewed (to the )?left|\blong (lower|left) tail"),
    ("symmetric", r"\bsymmetric"),
    ("heavy_tails", r"\b(heavy|fat)[- ]?tail|\bleptokurt|\bfrequent extreme"),
    ("light_tails", r"\b(light|thin)[- ]?tail|\bgaussian\b|\bnormal distribution|\bnormally distributed"),
)
_TERM_RE = tuple((name, re.compile(rx)) for name, rx in TERMS)
# A whole-number option, also "about 450", "around step 1800", "~ 3.5".
_NUMBER = re.compile(
    r"^\s*(?:(?:about|around|approximately|roughly|near|at|~)\s+)?(?:(?:time )?(?:step|index|t\s*=)\s*)?"
    r"([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s*(?:(?:units? )?per (?:time )?step)?\s*$"
)
# A count of steps inside a sentence: "The pattern repeats about every 32 steps", "About 12 steps".
_STEPS = re.compile(r"\b(\d+(?:\.\d+)?)\s+(?:time[\s-])?(?:steps?|samples?|readings?|hours?)\b")
_INTERVAL = re.compile(r"between\s+([-+]?\d+(?:\.\d+)?)\s*(?:to|and|-)\s*([-+]?\d+(?:\.\d+)?)")
# Words that name one of the two series: "time series 2", "signal 1", "sequence 2", "ts 1".
SERIES_WORD = (
    r"(?:time[\s-]?series|series|ts|signals?|sequences?|curves?|variables?|sensors?|traces?|gauges?)"
)
_SERIES = re.compile(SERIES_WORD + r"\s*#?\s*(\d|one|two)\b")
# "The first signal", "the second one": a series named by its place instead of its number.
_ORDINAL = re.compile(
    r"\b(first|second)\s+(?:one|" + SERIES_WORD + r")\b"
    r"|\bthe (first|second)(?=\s+(?:leads?|lags?|is ahead|reacts?|moves? first|comes? first)\b|[\s.]*$)"
)
_ORDINALS = {"first": 1, "second": 2, "one": 1, "two": 2}
# "From series 2 to series 1", "causality from ts 1 to ts 2": a drives b.
_FROM_TO = re.compile(
    r"\bfrom\s+(?:the\s+)?" + SERIES_WORD + r"\s*(\d)\s+to\s+(?:the\s+)?" + SERIES_WORD + r"\s*(\d)"
)
_LEADER = re.compile(SERIES_WORD + r"\s*(\d)\s+(?:is\s+)?(leads|lags(?: behind)?|precedes|follows|drives)\b")
# "Series 1 is the cause, series 2 the effect": the cause drives the other series.
_ROLE = re.compile(SERIES_WORD + r"\s*(\d)\s+is\s+the\s+(cause|driver|effect|response)\b")
# An option that denies every other claim: "None of the above", "Neither series ...", "No anomaly".
_DENIES = re.compile(r"^\s*(none|neither|nothing|no)\b|\bthere (is|are) no\b|\bnot? any\b")
# A question that asks for the option that does not hold.
_NEGATED = re.compile(
    r"\b(which|what)\b[^?]*\b(not|except|absent|isn't|aren't|doesn't|never|lacks?|missing)\b"
)
_POLARITY = re.compile(r"^\s*(yes|no)\b\s*(?:[,.;:!]|$)")
_RELATION = re.compile(
    SERIES_WORD
    + r"\s*(\d)(?:'s\s+(?:recent\s+)?(?:past|history)(?:\s+values)?)?"  # "series 2's past helps forecast ..."
    r"\s+(?:is\s+)?(?:an?\s+)?(?:the\s+)?"
    r"(granger[\s-]?causes?|lagged version of|scaled version of|leads|causes|drives|precedes"
    r"|helps? (?:to )?(?:predict|forecast)|(?:would )?improves? (?:a )?forecast of"
    r"|lags(?: behind)?|follows|(?:delayed|shifted|lagged) (?:copy|version) of)"
    r"\s+(?:the\s+)?" + SERIES_WORD + r"\s*(\d)"
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
        relation: (a, b, verb) for "time series a <verb> time series b"; verb "granger" means
            a drives b ("a leads b", "b lags behind a" give (a, b)), "lagged" that a is the
            lagged (shifted) version of b, "scaled" that a is the scaled version of b.
        denies: the option denies the other claims ("None of the above", "Neither ...", "No X").
    """

    text: str
    polarity: int | None
    number: float | None
    interval: tuple[float, float] | None
    terms: tuple[str, ...]
    subjects: tuple[tuple[int, tuple[str, ...]], ...]
    relation: tuple[int, int, str] | None
    denies: bool = False

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
        negated: the question asks which option does NOT hold ("Which ... is not present?").
        textbook: lead-lag words take their textbook sense (see :func:`textbook_wording`).
    """

    topic: str
    question: str
    terms: tuple[str, ...]
    choices: tuple[Choice, ...]
    num_series: int
    segment: str | None = None
    focus: str | None = None
    negated: bool = False
    textbook: bool = False

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
    # "No persistent rise or fall" denies a direction: it names no direction itself.
    drop = {"trend_word", "up", "down"} if "no_trend" in negated else set()
    drop |= {"seasonality"} if "no_pattern" in negated else set()
    drop |= {"noise_word"} if "no_noise" in negated else set()
    return tuple(n for _, n in sorted(found) if n not in drop)


def read_choice(text: str) -> Choice:
    """Parse one option."""
    low = text.lower().strip()
    polarity_match = _POLARITY.match(low)
    polarity = None if polarity_match is None else (1 if polarity_match.group(1) == "yes" else -1)
    number_match = _NUMBER.match(low)
    number = float(number_match.group(1)) if number_match else None
    steps = _STEPS.search(low) if number is None and len(re.findall(r"\d+", low)) == 1 else None
    if steps is not None:
        number = float(steps.group(1))
    interval_match = _INTERVAL.search(low)
    interval = None
    if interval_match:
        a, b = float(interval_match.group(1)), float(interval_match.group(2))
        interval = (min(a, b), max(a, b))
    mentions = sorted([*_SERIES.finditer(low), *_ORDINAL.finditer(low)], key=lambda m: m.start())
    subjects: list[tuple[int, tuple[str, ...]]] = []
    for i, m in enumerate(mentions):
        stop = mentions[i + 1].start() if i + 1 < len(mentions) else len(low)
        word = next(g for g in m.groups() if g is not None)
        index = _ORDINALS.get(word) or int(word)
        subjects.append((index, find_terms(low[m.end() : stop])))
    if re.search(r"\bboth\b", low) and subjects:
        shared = tuple(dict.fromkeys(t for _, ts in subjects for t in ts))
        subjects = [(s, shared) for s, _ in subjects]
    return Choice(
        text=text,
        polarity=polarity,
        number=number,
        interval=interval,
        terms=find_terms(low),
        subjects=tuple(subjects),
        relation=_relation(low),
        denies=_DENIES.search(low) is not None,
    )


def _relation(low: str) -> tuple[int, int, str] | None:
    rel = _RELATION.search(low)
    if rel is not None:
        a, b, words = int(rel.group(1)), int(rel.group(3)), rel.group(2)
    else:
        from_to = _FROM_TO.search(low)
        if from_to is not None:
            return (int(from_to.group(1)), int(from_to.group(2)), "granger")
        role = _ROLE.search(low)
        if role is not None:
            named = int(role.group(1))
            other = 2 if named == 1 else 1
            return (
                (named, other, "granger")
                if role.group(2) in ("cause", "driver")
                else (other, named, "granger")
            )
        # "Series 1 leads": the other of the two series is the second party.
        rel = _LEADER.search(low)
        if rel is None:
            return None
        a, words = int(rel.group(1)), rel.group(2)
        b = 2 if a == 1 else 1
    if re.match(r"lags|follows", words):
        return (b, a, "granger")  # "a lags behind b": b drives a
    if re.search(r"lagged|delayed|shifted", words):
        return (a, b, "lagged")
    return (a, b, "scaled") if "scaled" in words else (a, b, "granger")


# Lead-lag wording that only has the textbook sense. The exam's own phrasings ("time series 1
# granger causes time series 2", "a lagged version of") follow its generator, which writes the
# effect from the cause's *future* values; every other wording keeps the textbook direction.
_TEXTBOOK = re.compile(
    r"granger-caus|\bleads?\b|\blags? behind|\bprecedes?|\bfollows\b|\bdelayed|\bshifted|\blagged cop"
    r"|\bthe (cause|effect|driver)\b"
    r"|\bdrives?\b|\bahead\b|\breacts? (first|before)\b|\bbehind\b|\bpast (values?|observations?)\b"
    r"|\bhelps? (to )?(predict|forecast)|\bimproves? (a )?forecast"
    r"|\b(causality|causation|causal (link|effect)|influence) (runs )?from\b|\bfrom "
    + SERIES_WORD
    + r"\s*\d\s+to\b"
)


# "Call the first series A and the second B", "Series one is A, series two is B".
_PAIR_NAMES = re.compile(
    r"\b(?i:call|treat|let|name)\b[^.?]*\bfirst\b[^.?]*\bA\b[^.?]*\bsecond\b[^.?]*\bB\b[.,;:]?"
    r"|\b(?i:series|trace|sensor|signal) (?:one|1) is A\b[^.?]*"
    r"\b(?i:series|trace|sensor|signal) (?:two|2) is B\b[.,;:]?"
)


def _named_pair(question: str, options: tuple[str, ...] | list[str]) -> tuple[str, list[str]]:
    """A question that names its two series A and B, with A and B read as series 1 and 2 in it
    and its options (the options as written are still the answers)."""
    if _PAIR_NAMES.search(question) is None:
        return question, list(options)

    def named(text: str) -> str:
        return re.sub(r"\bB\b", "series 2", re.sub(r"\bA\b", "series 1", text))

    return named(_PAIR_NAMES.sub("", question)), [named(o) for o in options]


def textbook_wording(question: str, options: tuple[str, ...] | list[str]) -> bool:
    """True when the question or an option uses lead-lag words only the textbook uses."""
    return any(_TEXTBOOK.search(t.lower()) for t in (question, *options))


CONVENTIONS = ("auto", "textbook", "exam")
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


def parse_question(
    question: str,
    options: tuple[str, ...] | list[str],
    num_series: int,
    *,
    convention: str = "auto",
) -> Intent:
    """Read a question and its options into an :class:`Intent`.

    Args:
        question: the question text.
        options: the option texts.
        num_series: how many series come with the question (1 or 2).
        convention: the sense of lead-lag words: "textbook", "exam" (the TimeSeriesExam
            generator's reversed one) or "auto" (textbook unless the wording is the exam's).
    Returns:
        The intent; its topic is "unknown" when no rule matches (the solver then abstains
        by scoring every option alike).
    """
    question, options = _named_pair(question, options)
    low = " ".join(question.lower().split())
    choices = tuple(read_choice(o) for o in options)
    topic = "unknown"
    for name, rx, test in _RULES:
        if rx.search(low) and (test is None or test(choices, num_series)):
            topic = name
            break
    terms = find_terms(low)
    segment, focus = _segment_and_focus(low)
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, found {convention!r}")
    textbook = convention == "textbook" or (convention == "auto" and textbook_wording(low, options))
    return Intent(
        topic=topic,
        question=low,
        terms=terms,
        choices=choices,
        num_series=num_series,
        segment=segment,
        focus=focus,
        negated=_NEGATED.search(low) is not None and not any(c.polarity for c in choices),
        textbook=textbook,
    )
