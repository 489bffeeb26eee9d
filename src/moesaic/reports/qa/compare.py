"""Numeric comparisons in a question: "RPN > 100", "severity 7", "an RPN of at least 108",
"occurrence between 3 and 5", "detection rated 4 or higher", "cost more than 500".

A comparison is a quantity word, a few words or symbols, then a number (and possibly "or more"
or "and below" after it). The words between are read after dropping fillers ("score", "value",
"of", "is", "an"): nothing left means equality, else they must be one of the :data:`OPERATORS`
phrases. A quantity word followed closely by a number with other words between ("severity
around 7") is *unread*: the answerer abstains naming it rather than answering over every row,
unless those words put the number elsewhere ("downtime on line 1"). An operator phrase, a number,
then the quantity ("more than 10 hours of downtime") is a comparison too, and with a cost among
the quantities so is a number with a currency ("over 2000 euros", "above €1,500"). Numbers may
carry thousands commas ("1,000") or a decimal comma ("2,5"). The quantity words are the FMEA
scores (:data:`SCORE_WORDS`) unless a caller gives its own table, as the record questions do for
costs and hours.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

SCORE_WORDS = {
    "rpn": r"rpns?|risk priority numbers?|risk priority|score",
    "severity": r"severity|severities",
    "occurrence": r"occurr?ences?",
    "detection": r"detection|detectability",
}
# Phrases between the score word and the number -> the comparison they make ("|"-separated).
OPERATORS = {
    ">=": """>=|=>|≥|at least|no less than|not less than|not below|not under|at or above|a minimum of
        |greater than or equal to|more than or equal to|higher than or equal to|equal to or greater than
        |equal to or more than|equal to or higher than|equal to or above""",
    "<=": """<=|=<|≤|at most|no more than|not more than|not above|not over|not exceeding|at or below|up to
        |a maximum of|less than or equal to|lower than or equal to|equal to or less than
        |equal to or lower than|equal to or below|no greater than|no higher than""",
    ">": """>|over|above|greater than|more than|higher than|exceeding|exceeds|exceed|beyond
        |larger than|bigger than|in excess of""",
    "<": """<|under|below|less than|lower than|smaller than|fewer than|beneath""",
    "==": """=|==|equal to|equals|equal|exactly|precisely""",
}
# After the number: "7 or more", "100 and below", "7+".
AFTER = {
    ">=": r"\+|or (?:more|higher|above|greater|over)|and (?:above|up|over|higher|more)",
    "<=": r"or (?:less|lower|below|under|fewer)|and (?:below|under|lower|less)",
}
# Words that say nothing about the comparison: "an RPN value of 100", "severity is 7".
_FILLER_WORDS = """score scores rating ratings rated value values number level index of is are was were
    that which with has have having an a the its their be being eur euro euros usd dollars gbp pounds
    hours hour hrs h"""
FILLERS = frozenset(_FILLER_WORDS.split())
MAX_GAP = 5  # most words or symbols between the score word and the number
_RANK_WORDS = "top first last highest lowest most least best worst largest smallest"
_RANK = frozenset(_RANK_WORDS.split())
_SYMBOLS = r">=|<=|=>|=<|==|[<>=≥≤]"
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\d+,\d{1,2}(?!\d)"  # 1,000.5 (thousands); 2,5 (a decimal comma)
_MONEY = r"(?:[$€£]\s*)?"  # "more than €1,000"
# Between an FMEA score word and its number, no other score may be named ("score" is a filler).
_FMEA_OTHERS = "|".join(p for name, p in SCORE_WORDS.items() if name != "rpn") + r"|rpns?|risk priority"


@functools.lru_cache(maxsize=8)
def _finder(words: tuple[tuple[str, str], ...], others: str) -> re.Pattern[str]:
    """The pattern of a comparison on the quantities ``words`` ((name, pattern) pairs); ``others``
    may not appear between a quantity word and its number."""
    quantity = "|".join(pattern for _, pattern in words)
    return re.compile(
        rf"(?<![\w-])(?P<score>{quantity})(?![\w-])"
        rf"(?P<gap>(?:\s*(?!(?:{others})\b)(?:{_SYMBOLS}|[a-z]+)){{0,{MAX_GAP}}}?)\s*"
        rf"(?<![a-z])(?:(?:(?:between|from)\s+{_MONEY}(?P<low>{_NUM})\s*(?:and|to|-)|{_MONEY}(?P<bare>{_NUM})\s*"
        rf"(?:-|to\b))\s*{_MONEY}(?P<high>{_NUM})|{_MONEY}(?P<value>{_NUM}))(?![\w-]|[.,]\d)"
        rf"(?P<after>\s*(?:{AFTER['>=']}|{AFTER['<=']})(?![\w-]))?",
        re.IGNORECASE,
    )


def _words(text: str) -> str:
    """The tokens of ``text`` that are not fillers, space-joined."""
    return " ".join(t for t in re.findall(rf"{_SYMBOLS}|[a-z]+", text.lower()) if t not in FILLERS)


_PHRASES = {
    _words(phrase): op for op, listed in OPERATORS.items() for phrase in " ".join(listed.split()).split("|")
}


class NumericFilter(NamedTuple):
    score: str  # the quantity's name: one of SCORE_WORDS, or of the caller's table
    op: str  # one of ">", "<", ">=", "<=", "=="
    value: float


class Comparisons(NamedTuple):
    filters: tuple[NumericFilter, ...]  # every comparison read, in question order
    unread: tuple[str, ...]  # comparisons written in a way not understood, as written
    spans: tuple[tuple[int, int], ...]  # character spans of both in the question, spaces collapsed


def blank(question: str, spans: tuple[tuple[int, int], ...]) -> str:
    """``question`` with spaces collapsed and the character ``spans`` replaced by spaces."""
    text = " ".join(question.split())
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def read_comparisons(question: str, quantities: Mapping[str, str] | None = None) -> Comparisons:
    """The numeric comparisons of ``question`` (module docstring) on ``quantities`` (name ->
    pattern of the words naming it; default the FMEA :data:`SCORE_WORDS`). A filter's ``score``
    is the quantity's name."""
    words = tuple((quantities or SCORE_WORDS).items())
    others = _FMEA_OTHERS if quantities is None else "|".join(p for _, p in words)
    text = " ".join(question.split())
    filters: list[NumericFilter] = []
    unread: list[str] = []
    spans: list[tuple[int, int]] = []
    for found in _finder(words, others).finditer(text):
        gap = _words(found.group("gap"))
        op = _PHRASES.get(gap) if gap else "=="
        if op is None and _RANK & set(gap.split()):  # "RPN of the top 5": a ranking
            continue
        if op is None and _ELSEWHERE & set(gap.split()):  # "downtime hours on line 1": a place
            continue
        written = found.group("score").lower()
        score = next(name for name, pattern in words if re.fullmatch(pattern, written))
        spans.append(found.span())
        if found.group("high") is not None:
            ends = (found.group("low") or found.group("bare"), found.group("high"))
            low, high = sorted(_number(v) for v in ends)
            filters += [NumericFilter(score, ">=", low), NumericFilter(score, "<=", high)]
            continue
        if op is None:
            unread.append(found.group(0))
            continue
        after = (found.group("after") or "").strip()
        if after and op == "==":
            op = ">=" if re.fullmatch(AFTER[">="], after) else "<="
        filters.append(NumericFilter(score, op, _number(found.group("value"))))
    blanked = blank(text, tuple(spans))
    for found in _reversed_finder(words, quantities is not None and "cost" in quantities).finditer(blanked):
        written = (found.group("score") or "").lower()
        score = next((name for name, pattern in words if re.fullmatch(pattern, written)), "cost")
        op = _PHRASES[_words(found.group("op"))]
        filters.append(NumericFilter(score, op, _number(found.group("value"))))
        spans.append(found.span())
    return Comparisons(tuple(filters), tuple(unread), tuple(sorted(spans)))


_ELSEWHERE = frozenset(("on", "in", "at", "for", "by", "from", "per", "to"))
"""Words between a quantity and a number that put the number elsewhere ("downtime on line 1")."""
_CURRENCY = r"eur|euros?|usd|dollars?|gbp|pounds?|chf|€|\$|£"


@functools.lru_cache(maxsize=8)
def _reversed_finder(words: tuple[tuple[str, str], ...], money: bool) -> re.Pattern[str]:
    """The pattern of a comparison written number first: "more than 10 hours of downtime", "over 8
    labour hours", and with ``money`` a currency for the cost: "over 2000 euros", "above €1,500"."""
    phrases = sorted(
        (p for op, listed in OPERATORS.items() if op != "==" for p in " ".join(listed.split()).split("|")),
        key=len,
        reverse=True,
    )
    operator = "|".join(re.escape(p) for p in phrases if re.match(r"[a-z]", p))
    quantity = "|".join(pattern for _, pattern in words)
    named = rf"\s*(?:(?:hours?|hrs|h)\s+(?:of\s+)?)?(?P<score>{quantity})(?![\w-])"
    if not money:
        ending = named
    else:  # a currency before the number ("€1,500") needs no word after it
        ending = rf"(?:{named}|\s*(?:{_CURRENCY})(?![\w-])|(?(cur)|(?!)))"
    cur = r"(?P<cur>[€$£]\s*)?" if money else ""
    return re.compile(
        rf"(?<![\w-])(?P<op>{operator})\s+{cur}(?P<value>{_NUM})(?![\w-]|[.,]\d){ending}",
        re.IGNORECASE,
    )


def _number(written: str) -> float:
    """A number as :data:`_NUM` reads it: "1,000.5" -> 1000.5, "2,5" -> 2.5."""
    if re.fullmatch(r"\d+,\d{1,2}", written):
        return float(written.replace(",", "."))
    return float(written.replace(",", ""))


OPS: dict[str, Callable[[Any, float], Any]] = {
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
}
"""A filter's ``op`` as a function of a number or an array and the bound (NaN holds for none)."""
