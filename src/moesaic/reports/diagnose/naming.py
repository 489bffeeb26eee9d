"""A site's channel and asset-type names read as the names the diagnosis models learnt.

The fault classifier and the channel model learnt from the simulator's channels (``vibration_rms``,
``bearing_temp``, ``current``, ``discharge_pressure``, ...) and asset types (``pump``, ...). A
plant names the same sensors its own way (``vibration_mm_s``, ``Bearing Temp [°C]``,
``motor_current_a``, ``centrifugal_pump``): without a match, what the models know about a channel
goes unused and a bearing fault reads as "no known fault". A name matches a known one when its
words, units dropped and common abbreviations written out, hold every word of the known name
but its qualifiers (``rms``); the closest match wins, each known name taken once. Reports keep the
site's names: only the models' inputs are renamed.
"""

from __future__ import annotations

from collections.abc import Sequence

from moesaic.data.tables import column_key

_UNITS = frozenset((
    "c", "degc", "f", "degf", "k", "mm", "s", "mms", "bar", "barg", "mbar", "psi", "psig", "kpa", "mpa",
    "pa", "a", "amp", "amps", "ma", "v", "kv", "kw", "w", "mw", "rpm", "hz", "m3h", "m3", "h", "min",
    "lpm", "gpm", "ls", "pct", "percent", "g",
))  # fmt: skip
"""Unit words a site's channel name may end with (``vibration_mm_s``, ``flow_m3h``)."""
_WORDS = {
    "vib": "vibration", "vibr": "vibration", "velocity": "vibration", "vel": "vibration",
    "temperature": "temp", "tmp": "temp", "brg": "bearing", "bearings": "bearing",
    "amps": "current", "amp": "current", "amperage": "current", "curr": "current",
    "press": "pressure", "pres": "pressure", "disch": "discharge", "dis": "discharge",
    "outlet": "discharge", "suct": "suction", "inlet": "suction", "rate": "", "flowrate": "flow",
    "rpm": "speed", "kw": "power", "volts": "voltage", "volt": "voltage", "mtr": "motor",
    "winding": "motor", "de": "", "nde": "",
}  # fmt: skip
"""Abbreviations and other words for the words of the known names ("" drops the word)."""
_QUALIFIERS = frozenset({"rms"})
"""Words of a known name a site's name may leave out."""


def _words(name: str) -> frozenset[str]:
    """The words of a name, abbreviations written out and units dropped (``motor_amps`` -> current)."""
    words = [_WORDS.get(w, "" if w in _UNITS else w) for w in column_key(name).split("_")]
    return frozenset(w for w in words if w)


def known_channel_names(channels: Sequence[str], known: Sequence[str]) -> tuple[str, ...]:
    """Each of ``channels`` as the name in ``known`` it matches (module docstring), or as itself."""
    known_set = set(known)
    out = list(channels)
    taken = {c for c in channels if c in known_set}
    candidates = []  # (extra words, position, known name): fewer extra words first
    for i, name in enumerate(channels):
        if name in known_set:
            continue
        words = _words(name)
        for k in known:
            needed = _words(k) - _QUALIFIERS
            if needed and needed <= words:
                candidates.append((len(words - needed), -len(needed), i, k))
    for _, _, i, k in sorted(candidates):
        if k not in taken and out[i] == channels[i]:
            out[i] = k
            taken.add(k)
    return tuple(out)


def known_asset_type(asset_type: str, known: Sequence[str]) -> str:
    """``asset_type`` as the one name of ``known`` among its words (``centrifugal_pump`` -> ``pump``),
    or as itself."""
    if asset_type in known:
        return asset_type
    words = _words(asset_type)
    matches = [k for k in known if _words(k) and _words(k) <= words]
    return matches[0] if len(matches) == 1 else asset_type
