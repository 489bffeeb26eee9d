"""Which property a question asks about: the topic rules, first match wins.

Each rule is a question pattern plus a test on the options (read into
:class:`~moesaic.reports.exam.parse.Choice`) and the number of series. The word lists name
meanings ("an anomaly", "where", "the length of one cycle"), never a question of a given file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from moesaic.reports.exam.parse import Choice


def _numeric(choices: tuple[Choice, ...]) -> bool:
    return sum(c.number is not None for c in choices) >= max(len(choices) - 1, 1)


def _any_terms(choices: tuple[Choice, ...], *names: str) -> bool:
    return any(c.has(*names) for c in choices)


def _about_series(choices: tuple[Choice, ...]) -> bool:
    return any(c.subjects for c in choices)


def stated_polarities(choices: Sequence[Choice]) -> list[int | None]:
    """Each option's yes/no sense: its "Yes"/"No" when any option opens so; else, for two
    statements of which exactly one denies ("Periodic behaviour is present" / "No periodic
    behaviour"), the denial is the "No" and the other the "Yes"."""
    polarities = [c.polarity for c in choices]
    if any(p is not None for p in polarities) or len(choices) != 2:
        return polarities
    denies = [c.denies for c in choices]
    if denies.count(True) != 1:
        return polarities
    return [-1 if d else 1 for d in denies]


def _yes_no(choices: tuple[Choice, ...]) -> bool:
    """Options that answer yes or no (:func:`stated_polarities`)."""
    return any(p is not None for p in stated_polarities(choices))


# Words for an anomaly, for where something is, for the length of one cycle and of a lag.
ANOMALY = (
    r"(anomal|outlier|unusual|abnormal|\bspikes?\b|glitch|\bodd\b|irregularit"
    r"|\b(sharp|sudden|abrupt) (drop|dip|jump|rise|fall)|\bdips?\b|out of line|out[- ]of[- ]place"
    r"|\bstuck\b|dead flat|\bflat[- ]?lines?\b)"
)
WHERE = (
    r"(\bwhere\b|which (part|half|portion|index|time|step|point)|\bwhen\b|locat|position|\bindex\b|time step)"
)
PLACES = ("beginning", "middle", "end", "first_half", "second_half")
CYCLE_LENGTH = (
    r"(steps?|points|observations|samples) (per|in (one|a|each)|does (one|a|each)) (full )?(cycle|period)"
    r"|one (full |complete )?(cycle|oscillation|period|swing)\b.*\b(take|last|span)|one full cycle"
    r"|crest to crest|how many \w+ apart are the (peaks|crests)|how long\b[^?]*\bbefore the pattern repeats"
    r"|(cycle|pattern|oscillation) (take|last|span)|repeats?\b.*\b(every|after)"
    r"|(length|duration) of (one|a|each) (full )?(cycle|oscillation|period)|cycle length"
    r"|after how many .* repeat|how often\b.*\brepeat"
)
# Words for the spread of the values.
VARIANCE = r"(variance|\bspread|variabilit|volatil|dispersion|\bscatter|\bnoisier\b)"
# Words for a lasting change of the mean, of its place and of the slope of a trend.
BREAK = (
    r"structural break|change[- ]?point|(shift|jump|move|change)s?\b[^?]*\b(stays?|permanent|for good"
    r"|does not (come|go) back)|permanent(ly)? (change|shift)"
)
MEAN_CHANGE = (
    r"(mean|level|average|baseline)\b[^?]*\b(chang|shift|jump|break|move|step)"
    r"|(chang|shift|jump|break|move|step)\w*\b[^?]*\b(mean|level|average|baseline)"
    r"|structural break|change[- ]?point"
)
SLOPE = r"slope|rate of (growth|increase|decrease|decline|change|rise)|steep|kink|bend"
# Words for the strength of a signal against its noise, and for the rhythm of two series.
SNR = (
    r"signal[- ]to[- ]noise|\bsnr\b|signal\b.*\b(relative|compared?)\b.*\bnoise"
    r"|noise\b.*\b(relative|compared?)\b.*\bsignal"
)
FREQUENCY = r"frequenc|period|oscillat|how fast|cycl"
PHASE = r"\bphase|peaks?\b.*\b(together|line up|align|coincide|same time)|(troughs?|peaks?) when"
LAG_SIZE = (
    r"\bthe lag\b|(delay|shift|lag)(ed)?\b.*by how many|by how many .*(delay|shift|lag|behind)"
    r"|how (long|many (samples|steps|readings))\b[^?]*\b(delay|lag)|by (about )?how much\b[^?]*\blag"
)


def _texts(choices: tuple[Choice, ...], pattern: str) -> bool:
    return any(re.search(pattern, c.text.lower()) for c in choices)


def _same_or_not(choices: tuple[Choice, ...]) -> bool:
    """Options that say "the same" and "different", or Yes and No."""
    return _yes_no(choices) or (_any_terms(choices, "same") and _any_terms(choices, "different"))


def _numeric_or_interval(choices: tuple[Choice, ...]) -> bool:
    return _numeric(choices) or sum(c.interval is not None for c in choices) >= len(choices) - 1


def _places(choices: tuple[Choice, ...]) -> bool:
    """All options but at most one name a place ("Early", "In the middle", "None"): an option
    that only mentions a place ("a shift that lasts until the end") does not make a place question."""
    return sum(c.has(*PLACES) for c in choices) >= max(len(choices) - 1, 1)


def _positions(choices: tuple[Choice, ...], num_series: int) -> bool:
    """Options that are places in one series: "the middle", "the first half", "around 450"."""
    return num_series == 1 and (_places(choices) or _numeric(choices))


# (topic, question pattern, test on the options and the number of series); first match wins.
# A test on the options and the number of series; None accepts anything.
OptionTest = Callable[[tuple["Choice", ...], int], bool] | None

RULES: tuple[tuple[str, str, OptionTest], ...] = (
    ("period_value", CYCLE_LENGTH, lambda c, k: _numeric(c)),
    (
        "lag_steps",
        r"lag(ging)? steps?|how many steps|lag (size|length)|\b(what|which) lag\b|lag (between|separat)",
        None,
    ),
    ("lag_steps", LAG_SIZE, lambda c, k: k == 2 and _numeric_or_interval(c)),
    ("granger", r"granger", None),
    (
        "lagged",
        r"lagged version|lag(ged)? of each other|lagged cop|(delayed|shifted) (copy|copies|version)",
        None,
    ),
    ("granger", r"\blead|\blags? behind|\bprecede|\bahead\b|\breacts? (first|before)", lambda c, k: k == 2),
    (
        "granger",
        r"helps? (to )?(predict|forecast)|improves? (a )?forecast|\bpredictive\b"
        r"|\bcaus(al|ality|ation|es?)\b",
        lambda c, k: k == 2,
    ),
    (
        "scaled",
        r"scaled version|scaled copy|unit conversion|scale (plus|and) (an )?offset|stretched and shifted",
        None,
    ),
    (
        "ar_or_ma",
        r"\bma\b|\bma\(|moving[- ]average",
        lambda c, k: (
            k == 1 and _texts(c, r"\bar\b|\bar\(|autoregress") and _texts(c, r"\bma\b|\bma\(|moving")
        ),
    ),
    (
        "correlation_sign",
        r"\bmove together|\bin opposition|\blinked\b|\bstor(y|ies)\b|\bgoes up\b.*\bwhat does",
        lambda c, k: k == 2 and _any_terms(c, "negative") and _any_terms(c, "positive"),
    ),
    ("flipped", r"flipped version|mirror|upside[- ]down|inverted (copy|version)", None),
    ("shape_scale", r"", lambda c, k: k == 2 and _texts(c, r"\bshapes?\b") and _texts(c, r"\bscale\b")),
    ("anomaly_nonstationary", r"non-?stationary anomal", None),
    (
        "break_presence",
        BREAK,
        lambda c, k: k == 1 and _yes_no(c) and not _any_terms(c, "direction", "variance", "frequency"),
    ),
    (
        "break_direction",
        r"\b(step|shift|jump)\b[^?]*\bwhich way",
        lambda c, k: k == 1 and _any_terms(c, "up") and _any_terms(c, "down") and any(x.denies for x in c),
    ),
    ("break_cause", r"structural break|cause of (this|the) break", None),
    ("anomaly_location", ANOMALY, lambda c, k: k == 1 and _places(c)),
    ("anomaly_location", ANOMALY + r".*" + WHERE + "|" + WHERE + r".*" + ANOMALY, _positions),
    ("change_location", MEAN_CHANGE, lambda c, k: k == 1 and _places(c)),
    ("change_location", MEAN_CHANGE + r".*" + WHERE + "|" + WHERE + r".*" + MEAN_CHANGE, _positions),
    (
        "behaviour_location",
        r"(behaviou?r|character|pattern)\b[^?]*\bchang",
        lambda c, k: k == 1 and _places(c),
    ),
    (
        "anomaly_base",
        r"without the anomal|pattern.*before the anomal|underlying pattern.*"
        + ANOMALY
        + "|"
        + ANOMALY
        + r".*underlying pattern",
        None,
    ),
    ("anomaly", ANOMALY, None),
    (
        "distribution_shape",
        r"distribut|skew|tail|symmetr|kurtos",
        lambda c, k: k == 1 and _any_terms(c, "skew_right", "skew_left", "heavy_tails"),
    ),
    ("same_distribution", r"distribution|same range|range of (the )?values", lambda c, k: k == 2),
    (
        "trend_direction_same",
        r"direction of (the )?trend|trend direction|trend\w* in the (same|opposite) direction",
        lambda c, k: k == 2,
    ),
    ("trend_type_same", r"type of trend|same trend", lambda c, k: k == 2),
    ("noise_type_same", r"type of noise|kind of noise", lambda c, k: k == 2),
    (
        "phase",
        PHASE + "|" + r"\bpeaks?\b",
        lambda c, k: k == 2 and (_texts(c, PHASE) or _yes_no(c)) and not _about_series(c),
    ),
    (
        "frequency_same",
        FREQUENCY,
        lambda c, k: (
            k == 2 and _same_or_not(c) and not _about_series(c) and not _texts(c, r"amplitude|trend")
        ),
    ),
    (
        "similar_shape",
        r"similar (pattern|shape)|share (a )?similar|same (overall |general )?(pattern|shape|profile)",
        lambda c, k: k == 2 and not _about_series(c),
    ),
    (
        "white_noise_pick",
        r"which\b.*\b(white noise|random walk)",
        lambda c, k: k == 2 and _about_series(c) and not _any_terms(c, "white", "red"),
    ),
    ("mean_compare", r"\bmeans?\b|\baverages?\b", lambda c, k: k == 2 and (_about_series(c) or _yes_no(c))),
    (
        "compare",
        r"nois|variance|random component|amplitude|period|autocorrelation|ar\(|ma\(|oscillat|fluctuat"
        r"|\bspread|variabilit|volatil|dispersion",
        lambda c, k: k == 2 and (_about_series(c) or _yes_no(c)),
    ),
    ("similar_shape", r"similar|share|alike", lambda c, k: k == 2),
    ("snr", SNR, lambda c, k: k == 1),
    (
        "noise_level",
        r"noise level|level of (the )?noise|(standard deviation|std|spread) of (the )?noise"
        r"|noise('s)? (standard deviation|std|spread)",
        lambda c, k: _numeric(c),
    ),
    ("noise_composition", r"noise.*(additive|multiplicative)|(additive|multiplicative).*noise", None),
    ("noise_composition", r"nois", lambda c, k: k == 1 and _any_terms(c, "additive", "multiplicative")),
    (
        "noise_composition",
        r"nois\w*\b.*\b(depend|grow|scale|proportional)\w*\b.*\blevel",
        lambda c, k: k == 1,
    ),
    ("noise_influence", r"noise", lambda c, k: _any_terms(c, "no_influence", "distort")),
    (
        "noise_or_structure",
        r"",
        lambda c, k: k == 1 and _any_terms(c, "random_only") and _any_terms(c, "structured"),
    ),
    (
        "noise_process",
        r"",
        lambda c, k: (
            k == 1 and _any_terms(c, "mean_reverting") and _any_terms(c, "red", "white", "no_autocorrelation")
        ),
    ),
    (
        "noise_type",
        r"noise|random walk|random (component|part|fluctuation)|stochastic|\bprocess\b",
        lambda c, k: _any_terms(c, "white", "red", "pink", "no_noise"),
    ),
    (
        "noisy",
        r"\bnois(y|ier)\b",
        lambda c, k: k == 1 and not (_any_terms(c, "up") and _any_terms(c, "down")),
    ),
    ("white_noise_test", r"white noise|random walk", lambda c, k: _yes_no(c)),
    ("white_noise_test", r"\bindependent\b|\buncorrelated\b", lambda c, k: k == 1 and _yes_no(c)),
    ("trend_order", r"order(ing)? of|sequence of", None),
    ("trend_pieces", r"how many (pieces|segments|linear)", None),
    (
        "level_count",
        r"how many (distinct |different |separate )?(levels|states|plateaus)|number of (distinct )?levels",
        lambda c, k: k == 1 and _numeric(c),
    ),
    ("regime_count", r"how many .*regime|number of regimes", None),
    ("regime_switching", r"regime", None),
    (
        "trend_coefficient",
        r"trend coefficient|slope|(increase|decrease|change|growth|rise) (of \w+ \w+ )?per (time )?step"
        r"|\brate\b.*\bper (time )?step",
        lambda c, k: _numeric(c),
    ),
    (
        "trend_reversal",
        r"change (its )?direction|reverse|(flip|switch|turn)\w* (its )?direction"
        r"|direction\W+(\w+\W+){0,6}(flip|switch)|from (increas|ris|grow|climb)\w* to (decreas|fall|declin)"
        r"|from (decreas|fall|declin)\w* to (increas|ris|grow|climb)",
        None,
    ),
    ("trend_halves", r"first half.*second half|second half.*first half", None),
    (
        "growth_pace",
        r"speed\w* up|slow\w* down|accelerat|decelerat|\bpace\b",
        lambda c, k: k == 1 and _texts(c, r"speed|accelerat|faster") and _texts(c, r"slow|decelerat"),
    ),
    ("slope_change", SLOPE, lambda c, k: k == 1 and not _numeric(c)),
    ("composition", r"", lambda c, k: _any_terms(c, "additive", "multiplicative")),
    (
        "dominant_component",
        r"",
        lambda c, k: (
            _any_terms(c, "seasonality") and _any_terms(c, "trend_word") and _any_terms(c, "noise_word")
        ),
    ),
    (
        "amplitude_change",
        r"amplitude|(size|height|magnitude) of the (oscillation|cycle|swing|wave)",
        lambda c, k: _any_terms(c, "up", "down", "same"),
    ),
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
    ("amplitude_value", r"amplitude|peak[- ]to[- ](trough|peak)|\bswing\b", lambda c, k: _numeric(c)),
    ("period_value", r"period|frequency|how many (cycles|peaks)", lambda c, k: _numeric(c)),
    (
        "mean_reversion",
        r"mean[ -]rever|(return|revert|come back|go back)\w* to (its|a|the) "
        r"(long[ -](run|term) )?(average|mean)",
        None,
    ),
    ("stationarity", r"stationar", None),
    (
        "stationarity",
        r"statistical properties|\b(level|mean)\b[^?]*\b(and|or)\b[^?]*\b(spread|variance)\b"
        r"|\b(spread|variance)\b[^?]*\b(and|or)\b[^?]*\b(level|mean)\b",
        lambda c, k: k == 1 and _yes_no(c),
    ),
    (
        "mean_value",
        r"\bmean\b|average|cent(red|ered) (on|around|at)|around what (value|level)|typical (value|level)",
        lambda c, k: _numeric(c),
    ),
    ("variance_direction", VARIANCE, lambda c, k: k == 1 and _any_terms(c, "up") and _any_terms(c, "down")),
    (
        "variance_halves",
        VARIANCE + r"|\bcalm|\bquiet|\bwild|\bturbulen|\berratic",
        lambda c, k: k == 1 and _any_terms(c, "first_half") and _any_terms(c, "second_half"),
    ),
    (
        "variance_stable",
        VARIANCE
        + r".*(constant|stable|chang|grow|increas|decreas|shrink|widen|narrow)|(constant|stable|chang\w*) "
        + VARIANCE
        + "|heterosked",
        lambda c, k: k == 1 and _yes_no(c),
    ),
    ("variance_value", r"variance", lambda c, k: k == 1),
    ("std_value", r"standard deviation", lambda c, k: k == 1 and _numeric(c)),
    (
        "acf_value",
        r"autocorrelation|ar\(1\) coefficient|autoregressive coefficient|\bar coefficient",
        lambda c, k: k == 1 and _numeric(c),
    ),
    ("compare", r"variance|nois|amplitude|period", lambda c, k: k == 2),
    ("mean_stable", r"mean", lambda c, k: _yes_no(c)),
    ("trend_presence", r"\btrend|\bdrift", lambda c, k: k == 1 and _yes_no(c)),
    ("cycle_presence", r"season|cycl|periodic|rhythm|recurr", lambda c, k: k == 1 and _yes_no(c)),
    ("correlation_sign", r"correlat", lambda c, k: k == 2 and _any_terms(c, "negative", "positive")),
    (
        "acf_sign",
        r"autocorrelation|correlat|ar\(1\)|autoregressive|(consecutive|successive|adjacent|neighbou?ring|next"
        r"|previous|preceding|before)"
        r"\b.*\b(values?|observations?|points?|steps?|ones?)\b|\b(values?|observations?)\b.*\b(next|previous|before)",
        lambda c, k: _any_terms(c, "negative", "positive"),
    ),
    (
        "lagged",
        r"",
        lambda c, k: k == 2 and any(x.relation is not None and x.relation[2] == "lagged" for x in c),
    ),
    ("trend_direction", r"", lambda c, k: _any_terms(c, "up", "down") and _any_terms(c, "no_trend")),
    ("trend_direction", r"direction", lambda c, k: _any_terms(c, "up", "down")),
    ("trend_type", r"", lambda c, k: _any_terms(c, "linear", "exponential", "log")),
    ("cycle_type", r"", lambda c, k: _any_terms(c, "sine", "square", "sawtooth", "no_pattern")),
)
