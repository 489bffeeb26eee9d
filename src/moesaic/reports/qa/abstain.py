"""A paired answerable / unanswerable question set over an FMEA, and the abstention threshold.

Every answerable question gets an *unanswerable twin* of the same form about a part or failure
mode that the sheet does not hold, built deterministically:

- **template pairs**: for each FMEA row, one question from a fixed template (RPN, cause,
  recommended action or effect of its failure mode on its sub-component, the template chosen
  by row position); its twin swaps the sub-component for a part name from
  :data:`ABSENT_PARTS` (even rows) or the failure mode for one of :data:`ABSENT_MODES` (odd
  rows), cycling through each list;
- **benchmark pairs**: each benchmark question whose text names a sub-component, component or
  subsystem verbatim gets a twin with that name swapped for an absent part.

A replacement name counts as absent when it is no name of the sheet and at least one of its
words appears in no row; names failing that are dropped from the lists before use. Pairs are
split by position: even pairs form the development half (the threshold is fitted there), odd
pairs the evaluation half.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import NamedTuple

from moesaic.reports.qa.table import FmeaRow, normal_terms

ABSENT_PARTS = (
    "conveyor idler",
    "tilt cylinder",
    "pantograph",
    "swing bearing",
    "crusher jaw",
    "boom pivot pin",
    "cab heater core",
    "track roller",
    "slew ring",
    "propeller shaft",
    "bucket teeth",
    "ventilation damper",
    "winch drum",
    "stator winding",
)
ABSENT_MODES = ("delamination", "cavitation", "arcing", "fatigue spalling", "creep", "galling", "pitting")
TEMPLATES = (
    "What is the RPN of {mode} on the {part}?",
    "What causes {mode} in the {part} of the {component}?",
    "What is the recommended action for {mode} on the {part}?",
    "What is the effect of {mode} on the {part}?",
)


class QuestionPair(NamedTuple):
    pair_id: str
    answerable: str
    unanswerable: str
    origin: str  # "template" or "benchmark"


def absent_names(names: Sequence[str], rows: Sequence[FmeaRow]) -> list[str]:
    """The names that the sheet does not hold: not a name of it, and a word found in no row."""
    vocabulary: set[str] = set()
    present: set[str] = set()
    for row in rows:
        vocabulary |= row.terms()
        present |= {
            " ".join(normal_terms(getattr(row, f)))
            for f in ("subsystem", "component", "sub_component", "failure_mode")
        }
    return [
        n
        for n in names
        if " ".join(normal_terms(n)) not in present and any(w not in vocabulary for w in normal_terms(n))
    ]


def _clean(name: str) -> str:
    return " ".join(name.strip(" ,").split())


def template_pairs(rows: Sequence[FmeaRow]) -> list[QuestionPair]:
    """One template question per row and its twin."""
    parts, modes = absent_names(ABSENT_PARTS, rows), absent_names(ABSENT_MODES, rows)
    if not parts or not modes:
        raise ValueError("every replacement name is present in the FMEA; extend ABSENT_PARTS / ABSENT_MODES")
    pairs = []
    for i, row in enumerate(rows):
        if not row.sub_component or not row.failure_mode:
            continue
        template = TEMPLATES[i % len(TEMPLATES)]
        slots = {
            "mode": _clean(row.failure_mode),
            "part": _clean(row.sub_component),
            "component": row.component,
        }
        twin = dict(slots)
        if i % 2 == 0:
            twin["part"] = parts[(i // 2) % len(parts)]
        else:
            twin["mode"] = modes[(i // 2) % len(modes)]
        pairs.append(
            QuestionPair(
                f"template-{row.row_id}", template.format(**slots), template.format(**twin), "template"
            )
        )
    return pairs


def benchmark_pairs(questions: Sequence[tuple[str, str]], rows: Sequence[FmeaRow]) -> list[QuestionPair]:
    """Twins of (question id, question) items that name a part of the sheet verbatim."""
    parts = absent_names(ABSENT_PARTS, rows)
    names = sorted(
        {getattr(r, f) for r in rows for f in ("sub_component", "component", "subsystem") if getattr(r, f)},
        key=lambda n: (-len(n), n),
    )
    pairs = []
    for n, (qid, question) in enumerate(questions):
        for name in names:  # the longest name first, so "Fuel System" wins over "Fuel"
            pattern = re.compile(rf"\b{re.escape(name)}\b", re.IGNORECASE)
            if pattern.search(question):
                twin = pattern.sub(parts[n % len(parts)], question, count=1)
                pairs.append(QuestionPair(f"benchmark-{qid}", question, twin, "benchmark"))
                break
    return pairs


class Halves(NamedTuple):
    dev: list[QuestionPair]
    test: list[QuestionPair]


def split_pairs(pairs: Sequence[QuestionPair]) -> Halves:
    """Even positions for development, odd for evaluation (each origin split on its own)."""
    dev: list[QuestionPair] = []
    test: list[QuestionPair] = []
    for origin in sorted({p.origin for p in pairs}):
        members = [p for p in pairs if p.origin == origin]
        dev += members[0::2]
        test += members[1::2]
    return Halves(dev, test)


class AbstentionScore(NamedTuple):
    abstention_recall: float  # unanswerable questions abstained on / unanswerable questions
    false_abstention: float  # answerable questions abstained on / answerable questions


def abstention_scores(
    answerable: Sequence[float], unanswerable: Sequence[float], threshold: float
) -> AbstentionScore:
    """Scores when abstaining on every support below ``threshold``."""
    if not answerable or not unanswerable:
        raise ValueError("need supports of both answerable and unanswerable questions")
    return AbstentionScore(
        abstention_recall=sum(s < threshold for s in unanswerable) / len(unanswerable),
        false_abstention=sum(s < threshold for s in answerable) / len(answerable),
    )


class ThresholdFit(NamedTuple):
    threshold: float
    dev: AbstentionScore


def fit_threshold(
    answerable: Sequence[float], unanswerable: Sequence[float], *, max_false_abstention: float = 0.05
) -> ThresholdFit:
    """The support threshold with the best abstention recall whose false-abstention rate stays
    within ``max_false_abstention`` on these (development) supports; ties go to the lowest."""
    if not 0.0 <= max_false_abstention <= 1.0:
        raise ValueError(f"`max_false_abstention` must be in [0, 1], got {max_false_abstention}")
    values = sorted(set(answerable) | set(unanswerable) | {0.0, 1.0})
    candidates = [0.0] + [(a + b) / 2 for a, b in itertools.pairwise(values)] + [1.0 + 1e-9]
    best: ThresholdFit | None = None
    for threshold in candidates:
        score = abstention_scores(answerable, unanswerable, threshold)
        if score.false_abstention > max_false_abstention:
            continue
        if best is None or score.abstention_recall > best.dev.abstention_recall:
            best = ThresholdFit(threshold, score)
    assert best is not None  # threshold 0 abstains on nothing, so it is always feasible
    return best
