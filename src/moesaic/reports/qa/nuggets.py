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
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from moesaic.reports.qa.fmea import GENERIC
from moesaic.reports.qa.table import terms

WORD_SHARE = 0.75
QUOTE_SHARE = 0.8
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


class NuggetScore(NamedTuple):
    nugget_recall: float  # essential nuggets present / essential nuggets, over all answers
    complete_answers: float  # share of answers holding every one of their essential nuggets
    nuggets: int  # essential nuggets scored
    answers: int


def score_nuggets(nuggets: Mapping[str, Sequence[str]], answers: Mapping[str, str]) -> NuggetScore:
    """Score answers against their essential nuggets, both keyed by question id.

    Raises:
        ValueError: a question with nuggets but no answer, naming it.
    """
    missing = sorted(set(nuggets) - set(answers))
    if missing:
        raise ValueError(f"no answer for questions {missing}")
    found = total = complete = counted = 0
    for qid, items in nuggets.items():
        if not items:
            continue
        present = [nugget_present(n, answers[qid]) for n in items]
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
