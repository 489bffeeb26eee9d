"""What a past work order records: the action taken, the failure mode, its cost and its duration.

Two layouts are read, each from its own field names:

- the expert coding of the excavator set (``Action``, ``FM``, ``Cost``; its ``RunningTime`` is
  the running time up to the order, not a downtime, and is not read);
- a user's ``work_orders.csv`` (README, "Your own files"): ``failure_code``, ``cost``,
  ``labour_hours``, and no action column, so the action is the most invasive one its text names
  in English, French or German (:mod:`moesaic.reports.scenarios.actions`: "replaced bearing,
  checked coupling" and "Lager getauscht" were replacements).

The excavator fields win when an order has them: an empty ``Action`` or ``FM`` there is the
expert's verdict (no action, no failure mode), not a missing column, so it is not overridden by
the text or by another column.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from moesaic.data.schema import Document
from moesaic.reports.scenarios.actions import INVASIVE, done_verbs

# Expert action codes of the work orders (``Replace``, ``Minor Maint_Repair``, ...) to one verb,
# the most invasive first: an order that replaced and repaired is a replacement.
_CODE_VERBS = (
    ("Replace", "replace"),
    ("Repair", "repair"),
    ("Modify", "repair"),
    ("Minor Maint", "adjust"),
    ("CM", "monitor"),
)
UNCODED_FM = "uncoded"
# Field names, the excavator set's first: the first one an order has is read.
ACTION_FIELDS = ("Action",)
FAILURE_MODE_FIELDS = ("FM", "failure_code")
COST_FIELDS = ("Cost", "cost")
# A user's downtime_hours, else its labour_hours (a stand-in: the work's length, not the asset's
# stop), gives the scenario's ``downtime_h``; its reason names the field read. The excavator set's
# RunningTime is not one: it is the running time up to the order (262 for an order 262 days after
# the previous one of its asset, and the gap to the previous order on the same part in 55 % of the
# rows).
DURATION_FIELDS = ("downtime_hours", "labour_hours")
# A user's order type (``wo_type``: PM, CM, ...). A preventive order that only checked (its text
# names no action beyond inspecting, testing or monitoring: "monthly function test ok", "vibration
# route") and coded no failure is the maintenance plan's round, not an
# answer to a situation: it votes for no scenario (a monthly round "all ok" is not what to do about
# a bearing alarm) and is no part of a window's situation. A preventive order that did something
# ("strainer cleaned", "greased bearings") still votes for what it did.
ORDER_TYPE_FIELDS = ("wo_type", "order_type", "work_type")
PREVENTIVE_TYPES = frozenset({"pm", "ppm", "preventive", "preventative", "planned preventive", "routine"})
CHECKING_VERBS = frozenset({"inspect", "test", "monitor"})
"""What a routine check does: look, test or measure, nothing that changes the machine."""


def is_preventive(order: Document) -> bool:
    """True when ``order``'s type field (:data:`ORDER_TYPE_FIELDS`) names preventive work: the
    maintenance plan's calendar, not an answer to a fault."""
    kind = next((order.fields[f] for f in ORDER_TYPE_FIELDS if f in order.fields), None)
    return isinstance(kind, str) and kind.strip().casefold() in PREVENTIVE_TYPES


def is_routine_check(order: Document) -> bool:
    """True when ``order`` is preventive by its type field, codes no failure mode and did nothing
    but check (:data:`CHECKING_VERBS`)."""
    if not is_preventive(order):
        return False
    coding = read_coding(order)
    return coding.failure_mode == UNCODED_FM and coding.verb in CHECKING_VERBS


def action_verb(code: str) -> str:
    """The verb of an expert action code; ``inspect`` when no action was coded (a reported symptom)."""
    for part, verb in _CODE_VERBS:
        if part in code:
            return verb
    return "inspect"


def failure_mode(code: str) -> str:
    """The first failure mode of an expert code (``Leak_Unspecified`` -> ``Leak``), or ``uncoded``."""
    first = code.split("_")[0].strip()
    return first or UNCODED_FM


FAILURE_CODE_WORDS = {
    # ISO 14224 failure-mode codes
    "air": "abnormal instrument reading", "brd": "breakdown", "elp": "external leakage process leak",
    "elu": "external leakage utility leak", "ero": "erratic output", "fts": "fail to start",
    "inl": "internal leakage leak", "noi": "noise", "ohe": "overheating", "plu": "plugged choked blockage",
    "std": "structural deficiency", "vib": "vibration", "ust": "spurious stop", "ftf": "fail to function",
    # abbreviations maintenance systems use
    "brg": "bearing", "elec": "electrical", "inst": "instrument", "mech": "mechanical", "blk": "blockage",
    "corr": "corrosion", "lub": "lubrication", "misal": "misalignment", "ovh": "overheating",
}  # fmt: skip
"""Words of failure codes written as abbreviations (``BRG``: bearing), to find their FMEA rows."""


FAILURE_CODE_NAMES = {
    "elp": "external leakage (process medium)", "elu": "external leakage (utility medium)",
    "inl": "internal leakage", "plu": "plugging", "pde": "parameter deviation", "loo": "low output",
    "hio": "high output", "ftc": "failure to close", "fto": "failure to open", "stp": "failure to stop",
    "spo": "spurious operation", "lcp": "leakage in closed position", "ser": "minor in-service problem",
    "lea": "leakage",
}  # fmt: skip
"""Names of failure codes whose :data:`FAILURE_CODE_WORDS` are search words rather than a name,
and of ISO 14224 codes those do not list."""
_CODE = re.compile(r"[A-Z][A-Z0-9]{1,5}")


def failure_name(code: str) -> str:
    """What a plan's steps call failure mode ``code``: the name of a failure code ("OHE":
    "overheating", "BRG": "bearing"), "failure code X12" for a code it does not know, else the
    failure mode in lower case ("Impeller rubbing / wear")."""
    key = code.strip().casefold()
    known = FAILURE_CODE_NAMES.get(key) or FAILURE_CODE_WORDS.get(key)
    if known:
        return known
    return f"failure code {code.strip()}" if _CODE.fullmatch(code.strip()) else code.strip().lower()


def failure_code_words(code: str) -> str:
    """``code`` with the words it abbreviates (:data:`FAILURE_CODE_WORDS`): ``BRG`` -> "BRG bearing"."""
    spelt = FAILURE_CODE_WORDS.get(code.strip().casefold())
    return f"{code} {spelt}" if spelt else code


def scenario_key(action_code: str, fm_code: str) -> str:
    """``"<verb>:<failure mode>"``, the identity of a scenario across situations."""
    return f"{action_verb(action_code)}:{failure_mode(fm_code)}"


class OrderCoding(NamedTuple):
    """The scenario key of one past order and where each half of it was read.

    ``action_from`` is the field holding the action (``"Action"``) or ``"text"`` (its verbs);
    ``mode_from`` is the field holding the failure mode, or None when the order has none of
    :data:`FAILURE_MODE_FIELDS` (an order whose field is there but empty has it named).
    """

    verb: str
    failure_mode: str
    action_from: str
    mode_from: str | None

    @property
    def key(self) -> str:
        return f"{self.verb}:{self.failure_mode}"


def read_coding(order: Document) -> OrderCoding:
    """The action and failure mode of a past ``order``, from its coding fields or its text."""
    fields = order.fields
    action_from = _first_present(fields, ACTION_FIELDS)
    if action_from is not None:
        verb = action_verb(_code(fields[action_from]))
    else:
        action_from = "text"
        verb = next((v for v in INVASIVE if v in done_verbs(order.text)), "inspect")
    mode_from = _first_present(fields, FAILURE_MODE_FIELDS)
    mode = failure_mode(_code(fields[mode_from])) if mode_from is not None else UNCODED_FM
    return OrderCoding(verb, mode, action_from, mode_from)


class Figure(NamedTuple):
    value: Any  # a number, or anything else when not recorded (NaN, None, text)
    field: str | None  # the field read, None when the order has none of the names


def read_figure(order: Document, names: tuple[str, ...]) -> Figure:
    """The first of ``names`` that ``order`` has (:data:`COST_FIELDS`, :data:`DURATION_FIELDS`)."""
    name = _first_present(order.fields, names)
    return Figure(None if name is None else order.fields[name], name)


def describe_coding(coding: OrderCoding) -> str:
    """What the orders of one scenario record, naming the fields read (or their absence)."""
    if coding.action_from == "Action" and coding.mode_from == "FM" and coding.failure_mode != UNCODED_FM:
        return f"were coded {coding.key}"  # the expert coding of the excavator set
    if coding.mode_from is None and coding.action_from == "text":
        return (
            "carry no coding the planner can read (no Action, FM or failure_code field), so no "
            f"failure mode; the verbs of their text give {coding.verb}"
        )
    if coding.mode_from is None:
        mode = "carry no failure-mode coding the planner can read (no FM or failure_code field)"
    elif coding.failure_mode == UNCODED_FM:
        mode = f"have an empty {coding.mode_from}"
    else:
        mode = f"record failure mode {coding.failure_mode} ({coding.mode_from})"
    if coding.action_from == "text":
        action = (
            "their text names no action, hence inspect"
            if coding.verb == "inspect"
            else f"their text says {coding.verb}"
        )
    elif coding.verb == "inspect":
        action = f"their {coding.action_from} names no action, hence inspect"
    else:
        action = f"their {coding.action_from} says {coding.verb}"
    return f"{mode}; {action}"


class MedianFigure(NamedTuple):
    value: float | None  # None when no order records a number, or when they did unlike jobs
    fields: str  # the field(s) the numbers were read from, "" when none
    spread: tuple[float, float] | None = None  # (least, most), given instead of an unlike median


NEAR_MEDIAN = 3.0
"""Numbers within this factor of each other are like; else the median stands for them only when
half of them or more lie within :data:`NEAR_MEDIAN` ** 0.5 of it (both ways)."""


def median_figure(orders: Iterable[Document], names: tuple[str, ...]) -> MedianFigure:
    """The median of the numbers ``orders`` record under the first of ``names`` each has; for
    unlike jobs (:data:`NEAR_MEDIAN`: a EUR 90 sensor swap and a EUR 4,400 change of eight lamps,
    whose median 2,245 is neither), no median but their least and most."""
    numbers, fields = [], set()
    for order in orders:
        value, name = read_figure(order, names)
        if isinstance(value, int | float) and math.isfinite(float(value)):
            numbers.append(float(value))
            fields.add(str(name))
    if not numbers:
        return MedianFigure(None, "")
    median, least, most = statistics.median(numbers), min(numbers), max(numbers)
    field = " and ".join(sorted(fields))
    if most <= NEAR_MEDIAN * least:
        return MedianFigure(median, field)
    near = NEAR_MEDIAN**0.5
    if 2 * sum(median / near <= x <= median * near for x in numbers) >= len(numbers):
        return MedianFigure(median, field)
    return MedianFigure(None, field, (least, most))


def _first_present(fields: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in fields), None)


def _code(value: Any) -> str:
    # A user CSV stores an empty cell as None; the excavator set stores "".
    return "" if value is None else str(value)
