"""Whether a reworded sentence may stand for the template sentence it rewords.

A rewording (by the bundled language model, :mod:`moesaic.reports.diagnose.phrasing`) must keep
every number, time, identifier, channel name and unit of its template sentence, add none, keep
every hedge and negation and add no direction word (:func:`precheck`); it then becomes a sentence
with the template's citations and quantities (:func:`phrased_sentence`), its numbers placeholders
again so that the verifier recomputes them. The verifier reads the same checks to accept a
reworded sentence of a report file whose template is not one the composer writes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection

from moesaic.knowledge.links import identifiers_in
from moesaic.reports.diagnose.claims import Sentence
from moesaic.reports.diagnose.wording import DATETIME, NUMBER

# Words that state a direction: a rewrite may keep them but not add them (the verifier cannot
# check a direction in words, only the numbers).
DIRECTION_WORDS = frozenset(
    {"rise", "rises", "rose", "risen", "rising", "increase", "increased", "increases", "increasing"}
    | {"grew", "grow", "growing", "higher", "fall", "falls", "fell", "fallen", "falling", "drop"}
    | {"drops", "dropped", "dropping", "decrease", "decreased", "decreases", "decreasing", "declined"}
    | {"decline", "lower", "up", "down", "more", "less", "above", "below"}
)
# Words that hedge or negate a claim: a rewrite must keep every one the template has (dropping
# "probable" or "no" turns a guess into a fact, or a negative into a positive).
HEDGE_WORDS = frozenset(
    {"probable", "probably", "possible", "possibly", "likely", "unlikely", "may", "might", "could"}
    | {"no", "not", "none", "nothing", "without", "around", "about", "near", "approximately"}
)
_SPLIT = re.compile(r"[\s,;:()\[\]'\"]+")
_UNIT_AFTER = re.compile(NUMBER.pattern + r"\s*([^\s,;:()]+)")  # a number and the word after it
_PREFIX = re.compile(r"^(?:rewrite|rewritten|sentence|answer)\s*:\s*", re.IGNORECASE)


def clean(raw: str) -> str:
    """The first line of a model answer, without a ``Rewrite:`` label or wrapping quotes."""
    line = raw.strip().split("\n", 1)[0].strip()
    line = _PREFIX.sub("", line).strip()
    if len(line) >= 2 and line[0] == line[-1] and line[0] in "\"'":
        line = line[1:-1].strip()
    return line


def _tokens(text: str) -> list[str]:
    return [t.rstrip(".") for t in _SPLIT.split(text) if t.rstrip(".")]


def _numbers_and_times(text: str) -> tuple[Counter[str], Counter[str]]:
    """Numbers and times as the verifier reads them (identifiers taken out before numbers)."""
    times = Counter(DATETIME.findall(text))
    bare = DATETIME.sub(" ", text)
    for token in identifiers_in(bare):
        bare = re.sub(rf"(?<![\w-]){re.escape(token)}(?![\w-])", " ", bare)
    return Counter(NUMBER.findall(bare)), times


def precheck(original: str, rewrite: str, *, protected: Collection[str] = ()) -> str:
    """Why ``rewrite`` may not replace ``original`` ("" when it may).

    Args:
        original: the template sentence.
        rewrite: the model's sentence.
        protected: words to keep exactly as written (the asset's channel names and units).
    """
    if not rewrite:
        return "no rewrite"
    if not rewrite.endswith((".", '."', ".'")):
        return "rewrite is not one finished sentence"
    (num_a, time_a), (num_b, time_b) = _numbers_and_times(original), _numbers_and_times(rewrite)
    if num_a != num_b:
        return f"numbers differ: {sorted(num_a.elements())} became {sorted(num_b.elements())}"
    if time_a != time_b:
        return f"times differ: {sorted(time_a.elements())} became {sorted(time_b.elements())}"
    ids_a, ids_b = set(identifiers_in(original)), set(identifiers_in(rewrite))
    if ids_a != ids_b:
        return f"identifiers differ: {sorted(ids_a)} became {sorted(ids_b)}"
    words_a, words_b = set(_tokens(original)), set(_tokens(rewrite))
    lost = sorted(w for w in words_a - words_b if w in protected)
    if lost:
        return f"channel names or units lost: {lost}"
    hedges = sorted({w.casefold() for w in words_a} & HEDGE_WORDS - {w.casefold() for w in words_b})
    if hedges:
        return f"hedge or negation dropped: {hedges}"
    new = sorted(w for w in words_b - words_a if w in protected or "_" in w)
    if new:
        return f"names not in the template: {new}"
    counts_a = Counter(w for w in _tokens(original) if w in protected)
    counts_b = Counter(w for w in _tokens(rewrite) if w in protected)
    if counts_a != counts_b:
        changed = sorted(((counts_b - counts_a) + (counts_a - counts_b)).elements())
        return f"channel names or units counted differently: {changed}"
    for match in _UNIT_AFTER.finditer(original):
        unit = match.group(1).rstrip(".")
        pair = original[match.start() : match.start(1) + len(unit)]
        if (unit in protected or unit == "%") and pair not in rewrite:
            return f"number and unit separated: {pair!r}"
    added = sorted({w.casefold() for w in words_b} - {w.casefold() for w in words_a} & DIRECTION_WORDS)
    if added:
        return f"direction words added: {added}"
    return ""


def _template(sentence: Sentence, rewrite: str) -> str | None:
    """``rewrite`` with each quantity's text back as ``{i}``; None when one is missing."""
    spans: list[tuple[int, int, int]] = []
    for i, q in enumerate(sentence.quantities):
        pattern = re.compile(rf"(?<![\w.]){re.escape(q.text)}(?!\d|\.\d)")
        free = (
            m for m in pattern.finditer(rewrite) if all(m.end() <= s or m.start() >= e for s, e, _ in spans)
        )
        match = next(free, None)
        if match is None:
            return None
        spans.append((match.start(), match.end(), i))
    parts, last = [], 0
    for start, end, i in sorted(spans):
        parts += [rewrite[last:start].replace("{", "{{").replace("}", "}}"), f"{{{i}}}"]
        last = end
    parts.append(rewrite[last:].replace("{", "{{").replace("}", "}}"))
    return "".join(parts)


def phrased_sentence(sentence: Sentence, rewrite: str) -> Sentence | None:
    """``rewrite`` as a sentence with the citations and quantities of ``sentence`` (None if it cannot be)."""
    template = _template(sentence, rewrite)
    if template is None:
        return None
    phrased = Sentence(sentence.section, template, sentence.quantities, sentence.citations, sentence.quotes)
    return phrased if phrased.text == rewrite else None
