"""A short request in words, such as "slow seal leak on pump P-3 at high load", as a condition.

The words (:func:`moesaic.data.tokenizer.split_words`) are matched against the values a fitted
synthesizer knows (:class:`ConditionSpec`, and the readable names of coded values, such as fault
code 3 = ``seal_leak``). A categorical value is found when its words appear together in the text
(``seal_leak`` in "seal leak", ``high`` in "high load", ``P-3`` as written), the longest matches
first; failing that, by a word that names one value of one factor only ("leak" when ``seal_leak``
is the only value with that word). A numeric factor is found as its name followed by a number
("severity 0.7"); a factor's name just before one of its values is read with it ("fault 5").
The words that matched nothing are returned, so a caller can show what was understood and what
was not: nothing is guessed silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from moesaic.data.tokenizer import split_words
from moesaic.tasks.synth.conditions import ConditionSpec

_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


class TextCondition(NamedTuple):
    condition: dict[str, Any]  # factor -> value, ready for ``Synthesizer.sample``
    matched: dict[str, str]  # factor -> the words of the text it was read from
    unused: tuple[str, ...]  # words of the text that matched no factor


def parse_text_condition(
    text: str, spec: ConditionSpec, names: Mapping[str, Mapping[str, str]] | None = None
) -> TextCondition:
    """The condition named by ``text`` in terms of ``spec``'s factors.

    ``names`` gives readable names of categories (factor -> category -> name, such as a fault
    code's fault type); a category is found by its own words or by its name's.

    Raises:
        ValueError: the text names two values of one factor, or no value of any factor (the
            message lists the known values).
    """
    tokens = split_words(text)
    used = [False] * len(tokens)
    condition: dict[str, Any] = {}
    matched: dict[str, str] = {}
    aliases = names or {}
    phrases = sorted(
        (
            (name, value, split_words(said))
            for name, values in spec.categorical
            for value in values
            for said in (value, aliases.get(name, {}).get(value, value))
        ),
        key=lambda item: -len(item[2]),
    )
    for name, value, phrase in phrases:
        for start in _occurrences(tokens, phrase):
            if any(used[start : start + len(phrase)]):
                continue
            end, label = start + len(phrase), split_words(name)
            first = start - len(label)
            if first >= 0 and tokens[first:start] == label and not any(used[first:start]):
                start = first  # "fault 5": the factor's name just before its value is read with it
            _take(condition, matched, name, value, " ".join(tokens[start:end]))
            used[start:end] = [True] * (end - start)
    owners: dict[str, set[tuple[str, str]]] = {}
    for name, value, phrase in phrases:
        for word in phrase:
            owners.setdefault(word, set()).add((name, value))
    for i, token in enumerate(tokens):
        found = owners.get(token, set())
        if not used[i] and len(found) == 1:
            name, value = next(iter(found))
            if name not in condition:
                _take(condition, matched, name, value, token)
                used[i] = True
    for name, _mean, _spread in spec.numeric:
        phrase = split_words(name)
        for start in _occurrences(tokens, phrase):
            after = start + len(phrase)
            if after < len(tokens) and _NUMBER.match(tokens[after]) and not used[after]:
                _take(condition, matched, name, float(tokens[after]), f"{' '.join(phrase)} {tokens[after]}")
                used[start : after + 1] = [True] * (after + 1 - start)
    if not condition:
        known: dict[str, Any] = {name: list(values) for name, values in spec.categorical}
        known.update({name: "a number" for name, _, _ in spec.numeric})
        raise ValueError(f"no known condition in {text!r}; the model knows: {known}")
    unused = tuple(t for t, u in zip(tokens, used, strict=True) if not u)
    return TextCondition(condition, matched, unused)


def _occurrences(tokens: Sequence[str], phrase: Sequence[str]) -> list[int]:
    n = len(phrase)
    return [i for i in range(len(tokens) - n + 1) if n and list(tokens[i : i + n]) == list(phrase)]


def _take(condition: dict[str, Any], matched: dict[str, str], name: str, value: Any, source: str) -> None:
    if name in condition and condition[name] != value:
        raise ValueError(
            f"the text names two values of {name!r}: {condition[name]!r} ({matched[name]!r}) "
            f"and {value!r} ({source!r})"
        )
    condition[name] = value
    matched[name] = source
