"""Open questions: the base's hybrid search, quoted with citations, or an abstention.

The records are ranked by :meth:`KnowledgeBase.search` (identifiers, BM25 and dense fused). Whether
they are evidence at all is decided on the *relevance* of the best one, the cosine similarity of
question and record embeddings (:func:`relevance`), against a threshold chosen per base by
:func:`fit_threshold` on a validation set built from that base: questions made of words of its
own records (answerable) and questions made of words from outside maintenance (not answerable).
The threshold maximises balanced accuracy on that set; it is never tuned on the questions asked.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import sqlite3
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from moesaic.knowledge import KnowledgeBase
from moesaic.knowledge.search import DenseIndex, SearchHit
from moesaic.reports.ask.answer import KbAnswer, abstain, cite_records

log = logging.getLogger(__name__)

TOP_K = 5
VALIDATION_SIZE = 40  # answerable and unanswerable questions each
VALIDATION_SEED = 0
# Everyday words far from maintenance records, for the unanswerable side of the validation set.
_OFF_TOPIC_WORDS = """recipe chocolate cake birthday holiday beach football score goal election president
novel poetry painting museum movie actor music concert guitar piano symphony wedding dress fashion
garden flower tulip rose puppy kitten horse zebra giraffe elephant galaxy planet astronomy comet
volcano mountain river ocean island capital country history empire castle king queen dragon wizard
breakfast coffee tea pizza pasta salad soup dessert vacation hotel airport passport ticket travel
language grammar poem chess puzzle riddle joke cartoon television"""
OFF_TOPIC = _OFF_TOPIC_WORDS.split()
_WORD = re.compile(r"[A-Za-z]{3,}")


class Calibration(NamedTuple):
    threshold: float  # relevance at or above which the best record counts as evidence
    balanced_accuracy: float  # on the validation set
    size: int  # validation questions, both sides


def relevance(base: KnowledgeBase, questions: Sequence[str]) -> np.ndarray:
    """(Q,) cosine similarity of each question and its closest record (0 for an empty base).

    The questions are embedded in one batch, so calibrating a base costs one pass of the encoder.
    """
    index = DenseIndex.load(base.connection)
    if index.ids.size == 0 or not questions:
        return np.zeros(len(questions))
    vectors = base.embedder.embed(list(questions))  # (Q, dim), unit rows
    return np.clip((vectors @ index.matrix.T).max(axis=1), 0.0, None)  # (Q,)


def validation_set(
    base: KnowledgeBase, size: int = VALIDATION_SIZE, seed: int = VALIDATION_SEED
) -> tuple[list[str], list[str]]:
    """(answerable, unanswerable) questions: half the words of sampled records, shuffled; and as many
    words drawn from :data:`OFF_TOPIC`."""
    rng = np.random.default_rng(seed)
    rows = base.connection.execute("SELECT text FROM entries WHERE tbl != 'series' ORDER BY id").fetchall()
    texts = [t for (t,) in rows if len(_WORD.findall(t)) >= 4]
    picks = rng.choice(len(texts), size=min(size, len(texts)), replace=False) if texts else np.zeros(0, int)
    answerable = []
    for i in picks:
        words = _WORD.findall(texts[int(i)])
        keep = rng.choice(len(words), size=max(2, min(8, len(words) // 2)), replace=False)
        answerable.append("what about " + " ".join(words[int(k)] for k in sorted(keep)) + "?")
    unanswerable = [
        "what about " + " ".join(rng.choice(OFF_TOPIC, size=int(rng.integers(3, 7)), replace=False)) + "?"
        for _ in range(len(answerable))
    ]
    return answerable, unanswerable


def fit_threshold(positive: list[float], negative: list[float]) -> tuple[float, float]:
    """(threshold, balanced accuracy): the midpoint between sorted scores that best separates them."""
    scores = sorted(set(positive) | set(negative))
    cuts = [(a + b) / 2 for a, b in itertools.pairwise(scores)] or [scores[0] if scores else 0.5]
    best = (0.0, cuts[0])
    for cut in cuts:
        tpr = float(np.mean([s >= cut for s in positive])) if positive else 0.0
        tnr = float(np.mean([s < cut for s in negative])) if negative else 0.0
        if (tpr + tnr) / 2 > best[0]:
            best = ((tpr + tnr) / 2, cut)
    return best[1], best[0]


_CALIBRATIONS: dict[tuple[str, str], Calibration] = {}


_STORED = "retrieval_calibration"
"""The ``meta`` row that keeps a base's calibration for the next process."""


def calibrate(base: KnowledgeBase) -> Calibration:
    """The abstention threshold of this base: fitted once per state of its records, and kept in the
    base's ``meta`` table so that the next ``moesaic ask`` does not embed the validation set again
    (4 s of a 2-core machine). The state is the records' count, last id and total text length, with
    the embedder and the validation set's size and seed; a base that cannot be written to is
    calibrated anew each time."""
    (count, last, length) = base.connection.execute(
        "SELECT COUNT(*), MAX(id), SUM(LENGTH(text)) FROM entries WHERE tbl != 'series'"
    ).fetchone()
    state = f"{count}:{last}:{length}:{base.embedder_name}:{VALIDATION_SIZE}:{VALIDATION_SEED}"
    key = (str(base.folder.resolve()), state)
    if key in _CALIBRATIONS:
        return _CALIBRATIONS[key]
    row = base.connection.execute("SELECT value FROM meta WHERE name = ?", (_STORED,)).fetchone()
    stored = json.loads(row[0]) if row else {}
    if stored.get("state") == state:
        found = Calibration(
            float(stored["threshold"]), float(stored["balanced_accuracy"]), int(stored["size"])
        )
    else:
        answerable, unanswerable = validation_set(base)
        scores = relevance(base, [*answerable, *unanswerable])
        positive = [float(v) for v in scores[: len(answerable)]]
        negative = [float(v) for v in scores[len(answerable) :]]
        threshold, accuracy = fit_threshold(positive, negative)
        found = Calibration(threshold, accuracy, len(positive) + len(negative))
        _keep(base, {"state": state, **found._asdict()})
    _CALIBRATIONS[key] = found
    return found


def _keep(base: KnowledgeBase, value: dict[str, object]) -> None:
    """Store the calibration in the base's ``meta`` table; a read-only base keeps none."""
    try:
        with base.connection:
            base.connection.execute(
                "INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (_STORED, json.dumps(value))
            )
    except sqlite3.Error as err:
        log.info("the retrieval calibration is not kept in the base (%s)", err)


def _line(hit: SearchHit) -> str:
    return f"[{hit.record_id}] {hit.text[:200]}"


_PLAIN_WORDS = """what which when where who whom whose why how did does do done the and for with from
    into about that this these those there their them they have has had been was were are is any all
    some say said says tell show give list find taken take took made make get got please know there
    much many most more less last latest first recent current value values level levels reading
    readings record records base data anything something january february march april june july
    august september october november december sept monday tuesday wednesday thursday friday
    saturday sunday today yesterday week weeks month months year years"""
_PLAIN = frozenset(_PLAIN_WORDS.split())
"""Words any question says besides its topic; they say nothing of what a base holds."""
MIN_UNHELD = 2
"""An open question whose topic words include at least this many that no record mentions, and at
least as many as it has mentioned ones, asks about something the base does not hold."""


def unheld_topic(base: KnowledgeBase, question: str) -> list[str]:
    """The topic words of ``question`` (letters only, 4 or more, not :data:`_PLAIN`) that no record
    of the base mentions, by a prefix of the word ("sampl" finds "sampling"); empty unless they are
    at least :data:`MIN_UNHELD` and at least half of its topic words ("final effluent ammonia at
    Marsh Lane" of a base of pumps and fans: all five; "the oil sample's lab report": lab, sample,
    report, not oil)."""
    words = [w for w in dict.fromkeys(re.findall(r"[a-z]{4,}", question.lower())) if w not in _PLAIN]
    unheld = []
    for word in words:
        prefix = word[: max(4, len(word) - 2)]
        hit = base.connection.execute(
            "SELECT 1 FROM fts WHERE fts MATCH ? LIMIT 1", (f'"{prefix}"*',)
        ).fetchone()
        if hit is None:
            unheld.append(word)
    return unheld if len(unheld) >= MIN_UNHELD and 2 * len(unheld) >= len(words) else []


def answer_open(base: KnowledgeBase, question: str, *, threshold: float | None = None) -> KbAnswer:
    """The records closest to ``question``, quoted and cited, or an abstention below the threshold
    or when most of its topic words are in no record (:func:`unheld_topic`)."""
    unheld = unheld_topic(base, question)
    if unheld:
        listed = ", ".join(repr(w) for w in unheld)
        return abstain(
            "retrieval",
            f"no record of the base mentions {listed}: the closest records would be about something else.",
        )
    limit = calibrate(base).threshold if threshold is None else threshold
    score = float(relevance(base, [question])[0])
    if score < limit:
        return abstain(
            "retrieval",
            f"no record is close enough to the question "
            f"(best similarity {score:.2f} < threshold {limit:.2f}).",
        )
    hits = [h for h in base.search(question, k=TOP_K) if h.table != "series"] or base.search(
        question, k=TOP_K
    )
    text = f"The closest records of the base (best similarity {score:.2f}):\n" + "\n".join(
        _line(h) for h in hits
    )
    citations = tuple(c for h in hits for c in cite_records(h.table, [h.record_id]))
    return KbAnswer(text, citations, False, "retrieval")
