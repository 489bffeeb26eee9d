"""Domain clean-up of short failure observations before they are turned into n-gram features.

Technicians write ``doesnt work``, ``vibrationcheck`` or ``not pumpung``. Character n-grams
already absorb most typos; what they cannot see is that ``doesnt`` and ``does not`` are the same
words, or that ``damageblockage`` is two of them. :class:`ObservationCleaner` fixes exactly
that, with a vocabulary learned from text (never from the labels):

- contractions written without an apostrophe are expanded (``cant`` -> ``can not``);
- a word unknown to the vocabulary that splits into two known words is split.

:func:`stem_words` strips a few English suffixes so that ``blocked``, ``blocking`` and
``blockage`` share a word feature.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Technicians drop the apostrophe; the negation must survive as its own word ("not").
CONTRACTIONS: Mapping[str, str] = {
    "cant": "can not",
    "cannot": "can not",
    "couldnt": "could not",
    "didnt": "did not",
    "doesnt": "does not",
    "dont": "do not",
    "isnt": "is not",
    "wasnt": "was not",
    "wont": "will not",
    "wouldnt": "would not",
    "arent": "are not",
    "havent": "have not",
    "hasnt": "has not",
    "aint": "is not",
}
_WORD = re.compile(r"[a-z0-9]+(?:/[a-z0-9]+)*")
_SUFFIXES = ("ings", "ing", "ed", "es", "s", "age", "ly")
MIN_PART = 3  # shorter "words" (a, in, of) would split almost anything


def words(text: str) -> list[str]:
    """Lower-case word tokens; apostrophes are dropped so ``don't`` and ``dont`` agree."""
    return _WORD.findall(text.lower().replace("'", "").replace("\u2019", ""))


def stem_words(text: str) -> str:
    """Each word with one common suffix removed, keeping at least three letters."""
    out = []
    for word in text.split():
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= MIN_PART:
                word = word[: -len(suffix)]
                break
        out.append(word)
    return " ".join(out)


def build_vocabulary(texts: Iterable[str]) -> dict[str, int]:
    """Word counts of ``texts`` (alphabetic words only), for :class:`ObservationCleaner`."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w for w in words(text) if w.isalpha())
    return dict(counts)


@dataclass(frozen=True)
class ObservationCleaner:
    """Expand contractions and split run-together words of a short observation.

    Attributes:
        vocabulary: known words with their counts; the most frequent split wins.
    """

    vocabulary: Mapping[str, int] = field(default_factory=dict)

    def _split(self, word: str) -> list[str]:
        if word in self.vocabulary or not word.isalpha() or len(word) < 2 * MIN_PART:
            return [word]
        best: tuple[int, list[str]] | None = None
        for cut in range(MIN_PART, len(word) - MIN_PART + 1):
            left, right = word[:cut], word[cut:]
            if left in self.vocabulary and right in self.vocabulary:
                support = min(self.vocabulary[left], self.vocabulary[right])
                if best is None or support > best[0]:
                    best = (support, [left, right])
        return [word] if best is None else best[1]

    def clean(self, text: str) -> str:
        """The observation as lower-case words separated by single spaces."""
        out: list[str] = []
        for word in words(text):
            if word in CONTRACTIONS:
                out.extend(CONTRACTIONS[word].split())
            else:
                out.extend(self._split(word))
        return " ".join(out)
