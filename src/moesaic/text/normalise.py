"""Lexical normalisation of technician text, learned from MaintNorm-style token pairs.

Maintenance short texts are written in upper case, with shorthand (``REPL``, ``c/o``, ``u/s``),
asset ids and numbers. The MaintNorm corpus gives, token by token, the normalised form: true
case, expansions, masks (``<id>``, ``<num>``, ``<date>``, ``<sensitive>``) and deletions ("").
:class:`TechTextNormaliser` learns from such pairs, in this order of evidence:

1. the token seen in training, with a neighbour that changes its reading (``REP`` before
   ``FRONT`` vs after ``WEEKLY``): the most frequent form for that (token, neighbour) pair;
2. the token seen in training: its most frequent form;
3. its lower-cased spelling seen in training: that word's most frequent form;
4. a number glued to a known unit (``1000H``, ``250HRS``): ``<num>`` plus the unit's form;
   a compound of known parts (``CHECK/REP``, ``LIGHTS&WIRING``): the parts' forms joined by
   the separator's form;
5. an alphabetic token one edit away from a normalised word, or the start of one (``BONET``,
   ``ASSEMB``): the most frequent such word;
6. otherwise the *shape* of the token (``AA999``, ``Xxxx``, ``9999``, first in the text or not)
   decides what to do with it (mask it, lower-case it, or keep it), as learned from the tokens
   seen once in training, which stand in for the unseen ones.

:func:`score_normalisation` gives precision, recall and the error reduction rate of van der
Goot (2019) as MaintNorm reports them, comparing forms exactly (case matters: true casing is
part of the task).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from moesaic.errors import NotFittedError

ACTIONS = ("lower", "keep", "<id>", "<num>", "<date>", "<sensitive>", "")
_GLUED_UNIT = re.compile(r"^(\d+(?:\.\d+)?)([A-Za-z]+)$")
_COMPOUND = re.compile(r"([/&+-])")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
MIN_GUESS = 4  # shorter unseen tokens are too ambiguous to spell-correct or complete


@dataclass(frozen=True)
class NormaliserConfig:
    """Evidence thresholds of the normaliser.

    Attributes:
        min_context_count: times a (token, neighbour) pair must be seen before it overrides the
            token's most frequent form.
        min_context_share: share of that pair's occurrences its form must hold, in (0, 1].
    """

    min_context_count: int = 2
    min_context_share: float = 0.75

    def __post_init__(self) -> None:
        if self.min_context_count < 1:
            raise ValueError(f"`min_context_count` must be >= 1, got {self.min_context_count}")
        if not 0.0 < self.min_context_share <= 1.0:
            raise ValueError(f"`min_context_share` must be in (0, 1], got {self.min_context_share}")


def token_shape(token: str) -> str:
    """A coarse shape: runs of upper (X), lower (x), digit (d) and other characters, run lengths
    capped at 2 (``BF079`` -> ``XXdd``, ``Replace`` -> ``Xxx``, ``1000`` -> ``dd``)."""
    out: list[str] = []
    for ch in token:
        kind = "X" if ch.isupper() else "x" if ch.islower() else "d" if ch.isdigit() else ch
        if len(out) >= 2 and out[-1] == out[-2] == kind:
            continue
        out.append(kind)
    return "".join(out)


def _action(raw: str, norm: str) -> str | None:
    """How ``norm`` was made from ``raw``, when one of :data:`ACTIONS` explains it."""
    if norm == raw:
        return "keep"
    if norm == raw.lower():
        return "lower"
    if norm in ACTIONS:
        return norm
    return None


def _apply(action: str, raw: str) -> str:
    return raw if action == "keep" else raw.lower() if action == "lower" else action


def _shape_keys(tokens: Sequence[str], i: int) -> tuple[tuple[str, ...], ...]:
    """Shape features from specific to general, for the back-off of unseen tokens."""
    shape = token_shape(tokens[i])
    first = "first" if i == 0 else "inner"
    return ((shape, first, str(min(len(tokens[i]), 8))), (shape, first), (shape,))


class TechTextNormaliser:
    """Learn token normalisation from (raw tokens, normalised tokens) texts and apply it.

    Args:
        config: evidence thresholds.
    """

    def __init__(self, config: NormaliserConfig | None = None) -> None:
        self.config = config or NormaliserConfig()

    def fit(self, texts: Sequence[Sequence[str]], normalised: Sequence[Sequence[str]]) -> TechTextNormaliser:
        """Learn from aligned texts: ``normalised[i][j]`` is the form of ``texts[i][j]``."""
        if len(texts) != len(normalised):
            raise ValueError(f"got {len(texts)} texts but {len(normalised)} normalised texts")
        exact: dict[str, Counter[str]] = defaultdict(Counter)
        context: dict[tuple[str, str, str], Counter[str]] = defaultdict(Counter)
        for n, (tokens, forms) in enumerate(zip(texts, normalised, strict=True)):
            if len(tokens) != len(forms):
                raise ValueError(f"text {n}: {len(tokens)} tokens but {len(forms)} normalised forms")
            for i, (raw, norm) in enumerate(zip(tokens, forms, strict=True)):
                exact[raw][norm] += 1
                context[(raw, "prev", tokens[i - 1].lower() if i else "<s>")][norm] += 1
                nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else "</s>"
                context[(raw, "next", nxt)][norm] += 1
        lowered: dict[str, Counter[str]] = defaultdict(Counter)
        for raw, seen in exact.items():
            lowered[raw.lower()].update(seen)
        shapes: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for tokens, forms in zip(texts, normalised, strict=True):
            for i, (raw, norm) in enumerate(zip(tokens, forms, strict=True)):
                action = _action(raw, norm)
                # Tokens seen once are the best stand-in for tokens never seen at all.
                if action is not None and sum(exact[raw].values()) == 1:
                    for key in _shape_keys(tokens, i):
                        shapes[key][action] += 1
        self.exact_ = {raw: seen.most_common(1)[0][0] for raw, seen in exact.items()}
        self.lowered_ = {raw: seen.most_common(1)[0][0] for raw, seen in lowered.items()}
        cfg = self.config
        self.context_: dict[tuple[str, str, str], str] = {}
        for key, seen in context.items():
            form, count = seen.most_common(1)[0]
            share = count / sum(seen.values())
            # Only a neighbour that changes the reading is worth remembering.
            if (
                count >= cfg.min_context_count
                and share >= cfg.min_context_share
                and form != self.exact_[key[0]]
            ):
                self.context_[key] = form
        self.shapes_ = {key: actions.most_common(1)[0][0] for key, actions in shapes.items()}
        words: Counter[str] = Counter()
        for forms in normalised:
            words.update(f for f in forms if f.isalpha() and f.islower())
        self.words_ = {w: c for w, c in words.items() if c >= 2}
        units: dict[str, Counter[str]] = defaultdict(Counter)
        for raw, seen in exact.items():  # "250H" -> "<num> hour" teaches the unit "h" -> "hour"
            glued = _GLUED_UNIT.match(raw)
            for form, count in seen.items():
                if glued and form.startswith("<num> ") and len(form) > len("<num> "):
                    units[glued.group(2).lower()][form[len("<num> ") :]] += count
        self.units_ = {unit: seen.most_common(1)[0][0] for unit, seen in units.items()}
        return self

    def _compound(self, raw: str) -> str | None:
        parts = [p for p in _COMPOUND.split(raw) if p]
        if len(parts) < 3 or not all(p.lower() in self.lowered_ for p in parts):
            return None
        forms = [self.lowered_[p.lower()] for p in parts]
        return " ".join(f for f in forms if f)

    def _spelling(self, raw: str) -> str | None:
        word = raw.lower()
        if len(word) < MIN_GUESS or not word.isalpha():
            return None
        splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
        edits = {a + b[1:] for a, b in splits if b}
        edits |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        edits |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
        edits |= {a + c + b for a, b in splits for c in _LETTERS}
        found = [w for w in edits if w in self.words_]
        if not found:
            found = [w for w in self.words_ if w.startswith(word)]
        return max(found, key=lambda w: (self.words_[w], w)) if found else None

    def _unseen(self, tokens: Sequence[str], i: int) -> str:
        raw = tokens[i]
        glued = _GLUED_UNIT.match(raw)
        if glued:
            letters = glued.group(2).lower()
            unit = self.units_.get(letters) or self.lowered_.get(letters, "")
            if unit and not unit.startswith("<"):
                return f"<num> {unit}"
        guess = self._compound(raw) or self._spelling(raw)
        if guess is not None:
            return guess
        for key in _shape_keys(tokens, i):
            if key in self.shapes_:
                return _apply(self.shapes_[key], raw)
        return raw.lower()

    def normalise_tokens(self, tokens: Sequence[str]) -> list[str]:
        """The normalised form of each token ("" where the token should be dropped)."""
        if not hasattr(self, "exact_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet. Call `fit` first.")
        if isinstance(tokens, str):
            raise TypeError("`tokens` must be a sequence of tokens, got a string; split it first")
        out = []
        for i, raw in enumerate(tokens):
            prev = tokens[i - 1].lower() if i else "<s>"
            nxt = tokens[i + 1].lower() if i + 1 < len(tokens) else "</s>"
            if (raw, "prev", prev) in self.context_:
                out.append(self.context_[(raw, "prev", prev)])
            elif (raw, "next", nxt) in self.context_:
                out.append(self.context_[(raw, "next", nxt)])
            elif raw in self.exact_:
                out.append(self.exact_[raw])
            elif raw.lower() in self.lowered_:
                out.append(self.lowered_[raw.lower()])
            else:
                out.append(self._unseen(tokens, i))
        return out

    def normalise(self, text: str) -> str:
        """A whitespace-tokenised text, normalised, dropped tokens removed."""
        return " ".join(form for form in self.normalise_tokens(text.split()) if form)

    def lexicon(self) -> Mapping[str, str]:
        """Lower-cased raw token -> its most frequent normalised form (masks included)."""
        if not hasattr(self, "lowered_"):
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet. Call `fit` first.")
        return dict(self.lowered_)


class NormScores(NamedTuple):
    precision: float  # TP / (TP + FP)
    recall: float  # TP / (TP + FN)
    error_reduction_rate: float  # (TP - FP) / (TP + FN); 0 for leave-as-is, 1 when perfect
    tokens: int
    to_normalise: int  # tokens whose gold form differs from the raw token


def score_normalisation(
    raw: Sequence[Sequence[str]], gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> NormScores:
    """Token-level scores of van der Goot (2019), as used by MaintNorm.

    TP: a token that needed normalising (gold != raw) and got the gold form; FP: a token that
    needed none but was changed; FN: a token that needed normalising and did not get the gold
    form. Forms are compared exactly, case included.
    """
    if not len(raw) == len(gold) == len(predicted):
        raise ValueError(f"got {len(raw)} raw, {len(gold)} gold and {len(predicted)} predicted texts")
    tp = fp = fn = total = 0
    for n, (r, g, p) in enumerate(zip(raw, gold, predicted, strict=True)):
        if not len(r) == len(g) == len(p):
            raise ValueError(f"text {n}: {len(r)} raw, {len(g)} gold and {len(p)} predicted tokens")
        for raw_tok, gold_tok, pred_tok in zip(r, g, p, strict=True):
            total += 1
            if gold_tok != raw_tok:
                tp += pred_tok == gold_tok
                fn += pred_tok != gold_tok
            else:
                fp += pred_tok != raw_tok
    need = tp + fn
    return NormScores(
        precision=tp / (tp + fp) if tp + fp else 0.0,
        recall=tp / need if need else 0.0,
        error_reduction_rate=(tp - fp) / need if need else 0.0,
        tokens=total,
        to_normalise=need,
    )
