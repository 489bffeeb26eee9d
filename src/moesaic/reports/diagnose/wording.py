"""How a report's sentences write values and names: numbers, labels, record ids, ranks, braces.

:func:`number` writes a value with the decimals its size warrants and gives the tolerance that
writing implies (half a last digit), which the verifier allows when it recomputes the value.
:func:`literal_braces` keeps the braces of record text or channel names put into a template from
being read as placeholders. :mod:`moesaic.reports.diagnose.compose` writes its sentences with them;
:data:`DATETIME` and :data:`NUMBER` read times and numbers back out of a sentence's text.
"""

from __future__ import annotations

import re

DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?")  # a time as a sentence writes it
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?")  # a number as a sentence writes it


def _decimals(value: float) -> int:
    size = abs(value)
    return 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 0.1 else 3


def number(value: float, *, sign: bool = False, integer: bool = False) -> tuple[str, float]:
    """``value`` as written in a report and the tolerance that writing implies (half a last digit)."""
    d = 0 if integer else _decimals(value)
    text = f"{value:+.{d}f}" if sign else f"{value:.{d}f}"
    return text, 0.5 * 10.0**-d


def spoken_label(name: str) -> str:
    """A fault or channel name as written in a sentence: underscores become spaces."""
    return name.replace("_", " ")


def short_id(record_id: str) -> str:
    """A record's original id: knowledge-base keys are ``source:original``."""
    return record_id.partition(":")[2] or record_id


_PLACEHOLDER = re.compile(r"\{(\d+)\}|[{}]")


def literal_braces(template: str, count: int) -> str:
    """``template`` with every brace that is not one of its ``count`` placeholders (``{0}``,
    ``{1}``, ...) doubled: record text or a channel name put into it may hold ``{`` or ``}``.

    >>> literal_braces("seal {worn} on {0}", 1)
    'seal {{worn}} on {0}'
    """

    def keep(match: re.Match[str]) -> str:
        index = match.group(1)
        if index is not None and int(index) < count:
            return match.group(0)
        return match.group(0).replace("{", "{{").replace("}", "}}")

    return _PLACEHOLDER.sub(keep, template)


def rank_word(rank: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(rank, "next")
