"""The ``ask`` suite's question type and the templates that need no plant files.

:class:`Question` (text, check, kind), seeded sampling of at most ``cap`` questions per kind, and
the generic templates that the simulated plant (:mod:`moesaic.eval.suites.ask_questions`) and
AssetOpsBench (:func:`moesaic.eval.suites.ask.aob_questions`) share: made-up names, off-topic
questions and retrieval of records by some of their words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from moesaic.eval.suites.ask_checks import Check, abstains, cites_any

OFF_TOPIC = (
    "Who painted the Mona Lisa?",
    "What is the boiling point of water at sea level?",
    "How do I bake sourdough bread?",
    "Which team won the 2018 World Cup?",
    "What is the population of Tokyo?",
    "How far is the Moon from Earth?",
    "What happens in the last act of Hamlet?",
    "Recommend a good jazz album",
    "How do I learn Spanish quickly?",
    "What is the tallest mountain in Africa?",
    "Who wrote the novel War and Peace?",
    "What is the capital of Australia?",
)


@dataclass(frozen=True)
class Question:
    """One benchmark question.

    Attributes:
        kind: the question kind (a ``kind=`` setting of the suite's rows).
        text: the question as asked.
        check: True when an answer is correct (abstentions fail every answerable check).
        answerable: False for unknown names and off-topic questions (correct = abstained).
        onset: the true fault onset for ``onset_computed`` questions (scored by hours of error).
        blind: ask the base without events (computed onsets).
    """

    kind: str
    text: str
    check: Check
    answerable: bool = True
    onset: pd.Timestamp | None = None
    blind: bool = False


def sample(rng: np.random.Generator, items: Sequence[Question], cap: int) -> list[Question]:
    """At most ``cap`` of ``items``, drawn without replacement, in their original order."""
    if len(items) <= cap:
        return list(items)
    keep = sorted(rng.choice(len(items), size=cap, replace=False))
    return [items[int(i)] for i in keep]


def capped(rng: np.random.Generator, questions: list[Question], cap: int) -> list[Question]:
    """At most ``cap`` questions per kind, drawn with ``rng``."""
    kinds = list(dict.fromkeys(q.kind for q in questions))
    return [q for k in kinds for q in sample(rng, [q for q in questions if q.kind == k], cap)]


def _fresh(rng: np.random.Generator, pattern: Callable[[np.random.Generator], str], taken: set[str]) -> str:
    """A name from ``pattern`` that is not in ``taken``."""
    while (name := pattern(rng)) in taken:
        pass
    return name


def unknown_questions(rng: np.random.Generator, taken: set[str], asset: str, channel: str) -> list[Question]:
    """Questions about made-up assets, channels, parts and codes (all absent from ``taken``)."""

    def asset_id(g: np.random.Generator) -> str:
        return f"{'QWKZXY'[int(g.integers(6))]}-{int(g.integers(100, 1000))}"

    fake = [_fresh(rng, asset_id, taken) for _ in range(6)]
    part = _fresh(rng, lambda g: f"XX-{int(g.integers(1000, 10000))}", taken)
    code = _fresh(rng, lambda g: "Z" + "".join("QXJ"[int(g.integers(3))] for _ in range(2)), taken)
    chan = _fresh(rng, lambda g: f"foo_{int(g.integers(10, 100))}", taken)
    texts = (
        f"How many work orders for asset {fake[0]}?",
        f"Is there a trend in channel {chan} of {asset}?",
        f"What material is part {part}?",
        f"How many work orders with failure code {code}?",
        f"When did the anomaly start on pump {fake[1]}?",
        f"Which drawings cover asset {fake[2]}?",
        f"What is the maximum {channel} of {fake[3]} last week?",
        f"List the alarms of asset {fake[4]}",
    )
    return [Question("unknown_names", t, abstains, answerable=False) for t in texts]


def off_topic_questions(rng: np.random.Generator, n: int) -> list[Question]:
    """``n`` general-knowledge questions (drawn from :data:`OFF_TOPIC`)."""
    picked = sorted(rng.choice(len(OFF_TOPIC), size=min(n, len(OFF_TOPIC)), replace=False))
    return [Question("off_topic", OFF_TOPIC[int(i)], abstains, answerable=False) for i in picked]


def _content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[A-Za-z]{3,}", text) if not re.match(r"[A-Z]-\d", w)]


def retrieval_questions(
    rng: np.random.Generator, texts: dict[str, str], n: int, prefix: str, pool: Sequence[str] | None = None
) -> list[Question]:
    """Half the content words of ``n`` records' texts (drawn from ``pool``, default all of ``texts``).

    Correct when the answer cites a record of ``texts`` whose words include every word asked
    (the record the words came from, or any other that matches them all).
    """
    bags = {key: {w.lower() for w in _content_words(text)} for key, text in texts.items()}
    ids = sorted(texts if pool is None else pool)
    out = []
    for j in rng.choice(len(ids), size=min(n, len(ids)), replace=False):
        words = _content_words(texts[ids[int(j)]])
        if len(words) < 3:
            continue
        keep = sorted(rng.choice(len(words), size=max(2, len(words) // 2), replace=False))
        asked = [words[k].lower() for k in keep]
        gold = {key for key, bag in bags.items() if bag.issuperset(asked)}
        out.append(Question("retrieval", f"{prefix} {' '.join(asked)}?", cites_any(gold)))
    return out
