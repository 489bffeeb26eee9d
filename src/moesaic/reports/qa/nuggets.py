"""Nugget scoring of free-text answers: is each essential fact of the model answer present?

A nugget is one sentence of fact ("The RPN for the condenser leaking failure mode is 18.").
:func:`nugget_present` decides, deterministically, whether an answer states it:

- every number of the nugget appears in the answer;
- every quoted span of the nugget ('loss of hydraulic oil') has at least ``quote_share`` of its
  words in the answer;
- at least ``word_share`` of the nugget's content words (stemmed, stop words and the generic
  vocabulary of FMEA questions removed) appear in the answer;
- a nugget that denies something ("There is no ...", "No components ...") needs a negation in
  the answer.

The shares are fixed here, chosen before any answer was scored, and reported with the results.

This strict matcher also demands the nugget writer's own words ("called", "due to", "both"),
typos ("Condensor", "faillure") and roundings (2.44 for a mean of 2.4455). A second, clearly
named *lenient* rule (:func:`nugget_present_lenient`) is reported beside it, never instead:
it keeps only the nugget's words that are *grounded* (found in the FMEA sheet or in the
question, a one-letter typo forgiven as the name linker does), matches words with the same
typo tolerance, and lets a decimal number differ by at most ``NUMBER_TOLERANCE``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from moesaic.reports.qa.query import GENERIC
from moesaic.reports.qa.table import near, terms

WORD_SHARE = 0.75
QUOTE_SHARE = 0.8
NUMBER_TOLERANCE = 0.01  # lenient rule: a decimal nugget number matches one this close
_QUOTE = re.compile(r"'([^']{3,})'")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]*\d)")
_NEGATION = re.compile(r"\b(no|not|none|nothing|cannot|never|without)\b", re.IGNORECASE)
_STOP = frozenset(
    terms("the a an of in on to and or is are be with its it this that there for by as at from relevant")
)


def _numbers(text: str) -> set[str]:
    return {n.rstrip("0").rstrip(".") if "." in n else n for n in _NUMBER.findall(text)}


def _content(text: str) -> list[str]:
    return [w for w in terms(text) if w not in _STOP and w not in GENERIC]


def nugget_present(
    nugget: str, answer: str, *, word_share: float = WORD_SHARE, quote_share: float = QUOTE_SHARE
) -> bool:
    """Whether ``answer`` states ``nugget`` (see the module docstring for the rules)."""
    if not 0.0 < word_share <= 1.0 or not 0.0 < quote_share <= 1.0:
        raise ValueError(f"shares must be in (0, 1], got word_share={word_share}, quote_share={quote_share}")
    answer_terms = set(terms(answer))
    if not _numbers(nugget) <= _numbers(answer):
        return False
    for quote in _QUOTE.findall(nugget):
        words = _content(quote) or terms(quote)
        if words and sum(w in answer_terms for w in words) / len(words) < quote_share:
            return False
    if _NEGATION.search(nugget) and not _NEGATION.search(answer):
        return False
    words = _content(_QUOTE.sub(" ", nugget))
    return not words or sum(w in answer_terms for w in words) / len(words) >= word_share


_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"),
        start=1,
    )
}


def _has(word: str, words: set[str]) -> bool:
    """``word`` or a word one typo away from it is in ``words``."""
    return word in words or any(near(word, w) for w in words)


def _numbers_close(nugget: str, answer: str) -> bool:
    found = [float(n) for n in _numbers(answer)]
    found += [float(v) for w, v in _NUMBER_WORDS.items() if re.search(rf"\b{w}\b", answer, re.IGNORECASE)]
    for number in _numbers(nugget):
        tolerance = NUMBER_TOLERANCE if "." in number else 0.0
        if not any(abs(float(number) - f) <= tolerance + 1e-9 for f in found):
            return False
    return True


def nugget_present_lenient(
    nugget: str,
    answer: str,
    grounded: set[str] | frozenset[str],
    *,
    word_share: float = WORD_SHARE,
    quote_share: float = QUOTE_SHARE,
) -> bool:
    """The lenient rule (module docstring): only words of ``grounded`` (stemmed words of the sheet
    and the question) count, words match one typo apart, decimals within ``NUMBER_TOLERANCE``."""
    if not 0.0 < word_share <= 1.0 or not 0.0 < quote_share <= 1.0:
        raise ValueError(f"shares must be in (0, 1], got word_share={word_share}, quote_share={quote_share}")
    answer_terms = set(terms(answer))
    if not _numbers_close(nugget, answer):
        return False
    if _NEGATION.search(nugget) and not _NEGATION.search(answer):
        return False

    def share(words: list[str]) -> float | None:
        kept = [w for w in words if _has(w, set(grounded))]
        return sum(_has(w, answer_terms) for w in kept) / len(kept) if kept else None

    for quote in _QUOTE.findall(nugget):
        found = share(_content(quote) or terms(quote))
        if found is not None and found < quote_share:
            return False
    found = share(_content(_QUOTE.sub(" ", nugget)))
    return found is None or found >= word_share


class NuggetScore(NamedTuple):
    nugget_recall: float  # essential nuggets present / essential nuggets, over all answers
    complete_answers: float  # share of answers holding every one of their essential nuggets
    nuggets: int  # essential nuggets scored
    answers: int


def score_nuggets(
    nuggets: Mapping[str, Sequence[str]],
    answers: Mapping[str, str],
    *,
    grounded: Mapping[str, set[str] | frozenset[str]] | None = None,
) -> NuggetScore:
    """Score answers against their essential nuggets, all keyed by question id: by the strict
    rule, or by the lenient one when ``grounded`` gives each question its grounded words.

    Raises:
        ValueError: a question with nuggets but no answer (or no grounded words), naming it.
    """
    missing = sorted(set(nuggets) - set(answers))
    if missing:
        raise ValueError(f"no answer for questions {missing}")
    if grounded is not None and set(nuggets) - set(grounded):
        raise ValueError(f"no grounded words for questions {sorted(set(nuggets) - set(grounded))}")
    found = total = complete = counted = 0
    for qid, items in nuggets.items():
        if not items:
            continue
        if grounded is None:
            present = [nugget_present(n, answers[qid]) for n in items]
        else:
            present = [nugget_present_lenient(n, answers[qid], grounded[qid]) for n in items]
        found += sum(present)
        total += len(present)
        complete += all(present)
        counted += 1
    return NuggetScore(
        nugget_recall=found / total if total else 0.0,
        complete_answers=complete / counted if counted else 0.0,
        nuggets=total,
        answers=counted,
    )
