"""Questions that sort controls and actions by kind: only a check, more than a check, or none.

"Which current controls are just a visual check on a regular interval?" and "are there
recommended actions that go past just a check?" ask about the *kind* of a control or action, not
its words. :func:`read_kind` finds such a phrase; :func:`kind_matches` decides a cell by the
maintenance verbs it names (:func:`moesaic.reports.scenarios.actions.text_verbs`): a check names
only checking verbs (inspect, test, monitor), more than a check names any other (replace, repair,
adjust, lubricate, clean; also flush, drain, refill). A cell that names no action (empty, "No
current controls") is neither. With ``interval`` (the question says "regular", "routine",
"periodic", "weekly", ...) the cell must also say when (every 250 hours, daily, at each service,
scheduled). "Which failure modes have no current controls?" asks for the rows whose control cell
is empty or says there is none ("No current controls", "None", "N/A").
"""

from __future__ import annotations

import re
from typing import NamedTuple

from moesaic.reports.scenarios.actions import text_verbs

CHECKING = frozenset({"inspect", "test", "monitor"})
_WHEN_WORDS = r"(?:visual|visually|routine|regular|simple|mere|periodic|daily|weekly|monthly|scheduled)"
_CHECK = (
    rf"(?:(?:(?:{_WHEN_WORDS})\s+)*(?:checks?|checking|inspections?|inspecting|inspect|looks?)\b"
    r"|(?:(?:routine|regular|periodic|daily|weekly|monthly|scheduled)\s+)*visual(?:ly)?\b)"
)
_FILLER = (
    r"(?:(?:just|simply|only|merely|a|an|the|to|be|is|are|perform|performing|do|doing|carry out|conduct|"
    r"involve|involves|involving|require|requires|need|needs|consist of|consists of)\s+)*"
)
_BEYOND = re.compile(
    r"\b(?:past|beyond|more than|other than|besides|apart from|rather than|not just|not only)\s+"
    + _FILLER
    + _CHECK,
    re.IGNORECASE,
)
_ONLY = re.compile(rf"\b(?:just|only|simply|merely|solely|purely)\s+{_FILLER}{_CHECK}", re.IGNORECASE)
_REGULAR = re.compile(
    r"\b(?:(?:on|at|in)\s+)?(?:an?\s+)?(?:regular|routine|periodic|fixed|set|scheduled)\s+(?:intervals?|basis|schedule)\b"
    r"|\b(?:regularly|periodically|routinely)\b",
    re.IGNORECASE,
)
_TIMED = re.compile(r"\b(?:routine|regular|periodic|daily|weekly|monthly|scheduled)\b", re.IGNORECASE)
_WHEN = re.compile(
    r"\b(?:every|each|daily|weekly|monthly|yearly|annual|annually|hourly|shift|scheduled|interval|routine|"
    r"periodic|service|services)\b|\b\d+\s*(?:hours?|hrs?|h)\b",
    re.IGNORECASE,
)


# Interventions the shared vocabulary leaves out because, in a work order, the word also names a
# part ("seal flush line", "drain plug"); in a control or an action of an FMEA they are orders.
_INTERVENTIONS = re.compile(r"\b(?:flush|drain|refill|replenish)", re.IGNORECASE)


_NONE = re.compile(
    r"\b(?:no|without(?:\s+any)?|lacking(?:\s+any)?|lack\s+of)\s+(?:current\s+|recommended\s+)?"
    r"(control|action)s?\b",
    re.IGNORECASE,
)
_NONE_CELL = re.compile(r"^\s*(?:no|none|nil|n/?a)\b|^\s*$", re.IGNORECASE)


class Kind(NamedTuple):
    """What kind of control or action a question asks for.

    Attributes:
        kind: "check" (only checking), "beyond" (more than a check) or "none" (no control or
            no action at all: the cell is empty or says so).
        interval: the question asks for it on a regular interval.
        spans: the character spans of the phrases, to leave out of the question's topic.
        column: the column the phrase itself names ("control" or "action"), "" when it names none.
    """

    kind: str
    interval: bool
    spans: tuple[tuple[int, int], ...]
    column: str = ""


def read_kind(text: str) -> Kind | None:
    """The kind phrase of ``text`` (module docstring), or None when it has none."""
    absent = _NONE.search(text)
    if absent is not None:
        return Kind("none", False, (absent.span(),), absent.group(1).lower())
    beyond = _BEYOND.search(text)
    found = beyond or _ONLY.search(text)
    if found is None:
        return None
    regular = _REGULAR.search(text)
    spans = (found.span(),) + ((regular.span(),) if regular else ())
    timed = regular is not None or _TIMED.search(found.group(0)) is not None  # "only weekly visual"
    return Kind("beyond" if beyond else "check", timed, spans)


def kind_matches(kind: Kind, cell: str) -> bool:
    """Whether the control or action ``cell`` is of ``kind`` (module docstring)."""
    if kind.kind == "none":
        return _NONE_CELL.search(cell) is not None
    verbs = text_verbs(_WHEN.sub(" ", cell))  # "on the 125 hour service" says when, not what
    if _INTERVENTIONS.search(cell):
        verbs.add("clean")
    if not verbs:
        return False
    if kind.kind == "beyond":
        return bool(verbs - CHECKING)
    return verbs <= CHECKING and (not kind.interval or _WHEN.search(cell) is not None)
