"""Sentences a report's figures need and a file may have lost: the caveats.

Every kept sentence is checked on its own, so a deleted sentence goes unnoticed unless another one
needs it. A machine's stopped readings are left out of every figure when its baseline starts and
stops (:mod:`moesaic.data.standstill`); the medians and excursions then compare
running readings only, and the sentence of form ``"standstill"`` says so. A report whose figures
are of such a window and that lacks that sentence misleads its reader while each of its numbers
recomputes; :func:`missing_caveats` names it (``moesaic verify`` exits 1).
"""

from __future__ import annotations

from collections.abc import Sequence

from moesaic.reports.diagnose.claims import Sentence
from moesaic.reports.diagnose.recompute import WindowReader

STANDSTILL_FORM = "standstill"


def missing_caveats(
    kept: Sequence[Sentence], forms: Sequence[str | None], reader: WindowReader
) -> tuple[str, ...]:
    """What the ``kept`` sentences (of template forms ``forms``, position for position) need and
    no sentence says, read from their cited windows through ``reader``."""
    if STANDSTILL_FORM in forms:
        return ()
    for sentence in kept:
        for q in sentence.quantities:
            if q.baseline is None:
                continue
            try:
                gate = reader.window(q.source, q.baseline).window.standstill
            except LookupError:
                continue
            if gate is None:
                return ()
            return (
                f"its figures compare running readings only ({gate.channel} at or under "
                f"{gate.level:.3g} is a standstill, left out) and no sentence says so",
            )
    return ()
