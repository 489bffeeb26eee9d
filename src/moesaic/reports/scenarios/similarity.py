"""How much of a situation's text a past work order shares: the gate a neighbour passes to vote.

Retrieval (:meth:`moesaic.knowledge.KnowledgeBase.search`, hybrid) ranks every order, and its
score is a reciprocal-rank fusion: it says which orders are nearest, not whether they are near. On
a small history the nearest orders are simply all of them, and an unrelated text would borrow the
majority coding. So a neighbour votes only when it shares enough of the situation's words:

    similarity(situation, order) = sum of weight(w) over the situation's words w the order has
                                   / sum of weight(w) over all the situation's words

with the BM25 inverse document frequency ``weight(w) = log(1 + (N - n_w + 0.5) / (n_w + 0.5))``
over the ``N`` past orders, ``n_w`` of which use ``w`` (at least 1: a word no order uses weighs as
much as the rarest word of the history). A word every order uses ("pump" on a pump history) weighs
almost nothing, so sharing only such words with a text about peeling paint is no similarity.
Words are compared without accents (``"côté"`` and ``"cote"`` agree), stemmed, and without
function words of English, French or German.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping

from moesaic.knowledge.links import fold
from moesaic.reports.qa.table import terms
from moesaic.reports.shorthand import MIN_SHORTHAND, writes

# Words that say nothing about a machine: sharing one does not make two orders similar.
_FUNCTION_WORDS = frozenset(
    terms(
        "a an the of on in at to for from with and or is are was were be been by as it its this that "
        "le la les un une des du de au aux et ou sur sous dans en avec pour par est sont ce cet cette "
        "ces son sa ses ne pas qui que "
        "der die das den dem des ein eine einen einem einer und oder am im an auf aus bei mit von vom "
        "zu zum zur ist sind wird wurde nach vor nicht"
    )
)


def content_words(text: str) -> set[str]:
    """The stemmed words of ``text`` that can make two orders similar: alphabetic, two letters or
    more, not a function word (numbers and the ``l``/``h`` of ``L/H`` are not), accents removed."""
    return {w for w in terms(fold(text)) if w.isalpha() and len(w) >= 2 and w not in _FUNCTION_WORDS}


class OrderSimilarity:
    """The share of a situation's word weight that each past order shares (module docstring).

    Args:
        texts: past order id -> its text.
    """

    def __init__(self, texts: Mapping[str, str]) -> None:
        self._words = {key: content_words(text) for key, text in texts.items()}
        self._counts = Counter(w for words in self._words.values() for w in words)

    def weight(self, word: str) -> float:
        """The BM25 inverse document frequency of ``word`` over the past orders, > 0."""
        n, used = len(self._words), max(self._counts.get(word, 0), 1)
        return math.log(1.0 + max(n - used + 0.5, 0.5) / (used + 0.5))

    def __call__(self, words: set[str], key: str) -> float:
        """Similarity in [0, 1] of the past order ``key`` to a situation of content ``words``."""
        total = sum(self.weight(w) for w in words)
        shared = sum(self.weight(w) for w in words & self._words[key])
        return shared / total if total > 0 else 0.0


def shorthand_tokens(text: str) -> set[str]:
    """The lower-case words of ``text`` that may be a technician's shorthand for a sheet's word
    ("brg", "imp"): letters only, long enough, not a function word."""
    words = re.findall(r"[a-z]+", fold(text).lower())
    return {w for w in words if len(w) >= MIN_SHORTHAND and content_words(w)}


def sheet_overlap(row_terms: set[str], row_words: set[str], words: set[str], tokens: set[str]) -> int:
    """How many words an FMEA row (its stemmed ``row_terms``, its lower-case ``row_words``) shares
    with a situation (its stemmed ``words``, its :func:`shorthand_tokens`): the terms both write,
    then the row's words the situation writes in shorthand (:func:`moesaic.reports.shorthand.writes`:
    "brg" for bearing). Shorthand only adds to a word written in full: alone, a prefix such as
    "out" would name every outlet."""
    shared = row_terms & words
    if not shared:
        return 0
    written = {t for w in row_words if any(writes(k, w) for k in tokens) for t in terms(w)}
    return len(shared | (written & row_terms))
