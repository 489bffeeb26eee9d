"""A technician's shorthand for a word of a sheet: "brg" for bearing, "imp" for impeller,
"condensr" for condenser, "fouled" for fouling.

Work orders are written fast; FMEA sheets and part lists are written in full. :func:`writes` says
whether an order's word writes a sheet's word: the same word, the same stem, a prefix of at least
:data:`MIN_SHORTHAND` letters ("evap", "mech"), or a shorthand that keeps the word's first letter
and some of its letters in order ("brg", "condensr"), at least :data:`SHORTHAND_SHARE` of them;
a common short word (:data:`COMMON`: "out", "run") is never shorthand.
The reports (:mod:`moesaic.reports.diagnose.named`) and the scenarios
(:mod:`moesaic.reports.scenarios.candidates`) read orders with it. It stems words itself
(:func:`moesaic.text.features.stem_words`): the FMEA answerer's ``terms`` would import the
scenarios package, which imports this module.
"""

from __future__ import annotations

from moesaic.text.features import stem_words

MIN_WORD = 4  # a sheet's word this long or longer has a stem worth comparing
MIN_SHORTHAND = 3  # a prefix or shorthand has at least this many letters ...
SHORTHAND_SHARE = 0.4  # ... and a shorthand that is no prefix this share of the word's letters
# Short words an order writes as themselves, never for a longer word: "out of service" says
# nothing of an outlet, "ran hot" nothing of a ransom, "all" nothing of an alloy.
_COMMON_WORDS = "all any are but can car due end few get got had has its let low may new not off old one"
COMMON = frozenset(f"{_COMMON_WORDS} out own per put ran run saw see set two use was way won yet".split())


_DERIVED = ("ation", "ition", "ion", "is", "iz", "at")
"""Endings that derive a noun or a verb from the same root: "oxidation" and "oxidised" (stems
"oxidation", "oxidis"), "degradation" and "degraded", "insulation" and "insulated"."""


def _stem(word: str) -> str:
    """``word``'s stem with a final "e" dropped, so that "ruptured" (stem "ruptur") writes
    "rupture" and "valves" writes "valve", as the FMEA answerer's ``normal_terms`` reads them; and
    with one ending of :data:`_DERIVED` dropped when four letters or more are left, so that an
    order's "oxidised oil" names the sheet's "Oil degradation / oxidation"."""
    stem = stem_words(word)
    stem = stem[:-1] if len(stem) > 3 and stem.endswith("e") else stem
    ending = next((e for e in _DERIVED if stem.endswith(e) and len(stem) - len(e) >= 4), "")
    return stem[: len(stem) - len(ending)]


def _in_order(short: str, word: str) -> bool:
    """Whether the letters of ``short`` appear in ``word`` in the same order."""
    letters = iter(word)
    return all(c in letters for c in short)


def writes(token: str, word: str) -> bool:
    """Whether the order's ``token`` writes the sheet's ``word`` (both lower case): the same word or
    stem, a prefix, or a shorthand (first letter kept, letters in order)."""
    if token == word or (len(token) >= MIN_WORD and _stem(token) == _stem(word)):
        return True
    if len(token) < MIN_SHORTHAND or token[0] != word[0] or token in COMMON:
        return False
    if word.startswith(token):
        return True
    return len(token) >= SHORTHAND_SHARE * len(word) and _in_order(token, word)
