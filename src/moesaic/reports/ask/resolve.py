"""What a question names, looked up in the base: assets, channels, identifiers, codes.

Everything here reads the base by read-only SQL. A name the question gives explicitly (an
identifier token such as ``P-999``, "asset Z", "failure code XYZ", "channel foo") that the base
does not hold is reported as *unknown*, so the answerers abstain naming it instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from moesaic.knowledge import KnowledgeBase
from moesaic.knowledge.links import WORD, identifiers_in
from moesaic.knowledge.records import load_json
from moesaic.reports.ask.timewords import blank_times
from moesaic.reports.qa.compare import blank, read_comparisons
from moesaic.reports.qa.table import near

# Words that may stand before an asset's id or number ("pump P-101", "excavator B", "Chiller 6").
_ASSET_WORDS = (
    "asset|equipment|machine|unit|excavator|truck|pump|compressor|motor|fan|chiller|tag|mill|conveyor"
    "|excavtor|excavater|excav|exc|pmp|mtr|compr"  # as typed: shortened or with a letter out
)
_ASSET_REF = re.compile(rf"\b({_ASSET_WORDS})\s+([A-Za-z0-9][A-Za-z0-9_.:/-]*)", re.IGNORECASE)
_CODE_REF = re.compile(
    r"\b(failure code|error code|code|part number|part|drawing|channel|sensor|signal)\s+"
    r"([A-Za-z0-9][A-Za-z0-9_.:/-]*[A-Za-z0-9]|[A-Za-z0-9])",
    re.IGNORECASE,
)
# A bare number after "for", "of" or "on" that ends the question or a clause ("work orders for 7?",
# "for 12 in 2005") names an asset; an amount ("for 7 days") is followed by its unit instead.
_BARE_REF = re.compile(
    r"\b(?:for|of|on)\s+(\d[\w.:/-]*?)(?=\s*(?:[?.!,;]|$)|\s+(?:in|on|at|during|between|since|from"
    r"|after|before|until|last|past|this|with|and|or)\b)",
    re.IGNORECASE,
)
# Words after "asset" etc. that are not ids ("which asset has", "per asset", "the pump bearing").
_NOT_ID_WORDS = """a an the with has had have is was are were of in on for by at to from and or per most
    more least that which what who whose this these those type types ids id list all any each
    every bearing seal impeller shaft casing housing cover drive oil wo wos pm"""
_NOT_IDS = frozenset(_NOT_ID_WORDS.split())
_STAT_PHRASES = re.compile(r"\bcurrent(?=\s+(?:value|reading|level|state|status)s?\b)")
_CHANNEL_SYNONYMS = {
    "temperature": "temp", "temp": "temp", "vibration": "vibration", "vib": "vibration", "vibe": "vibration",
    "pressure": "pressure", "press": "pressure", "brg": "bearing", "disch": "discharge", "dis": "discharge",
    "suct": "suction", "mtr": "motor", "spd": "speed", "curr": "current", "lvl": "level", "pwr": "power",
}  # fmt: skip
_UNIT = re.compile(r"\s*(?:\([^()]*\)|\[[^\[\]]*\])\s*$")
"""A unit in brackets after a channel's name: ``Brg Temp DE (°C)``, ``Flow [m3/h]``."""


class Named(NamedTuple):
    """The assets and identifiers a question names, and those the base does not hold."""

    assets: tuple[str, ...]  # asset keys, in order of mention; a name two sources share gives both
    identifiers: tuple[str, ...]  # identifier tokens the base holds (codes, part numbers, ids)
    unknown: tuple[str, ...]  # names given explicitly that the base does not hold
    mentions: tuple[str, ...] = ()  # the question's words that named the assets, lower-cased


class AssetIndex(NamedTuple):
    keys: tuple[str, ...]
    # lower-cased alias (key, original id, name) -> every key it names: "a-1" names both u1:A-1
    # and u2:A-1 when two sources hold an A-1.
    aliases: dict[str, tuple[str, ...]]
    types: frozenset[str]  # lower-cased asset types and their first words


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def asset_index(base: KnowledgeBase) -> AssetIndex:
    """Every asset key of the base with the aliases a question may use for it."""
    connection = base.connection
    aliases: dict[str, tuple[str, ...]] = {}
    types: set[str] = set()

    def add(alias: str, key: str) -> None:
        if key not in aliases.get(alias, ()):
            aliases[alias] = (*aliases.get(alias, ()), key)

    for key, original, asset_type, attributes in connection.execute(
        "SELECT key, original_id, asset_type, attributes FROM assets ORDER BY rowid"
    ):
        add(key.lower(), key)
        add(original.lower(), key)
        compact = re.sub(r"[-_\s]", "", original.lower())  # "m301" for M-301, typed without the hyphen
        if (
            compact != original.lower()
            and len(compact) >= 3
            and re.search(r"\d", compact)
            and re.search(r"[a-z]", compact)
        ):
            add(compact, key)
        held = load_json(attributes) or {}
        for name in ("name", "tag", "asset_name", "equipment_name"):
            value = held.get(name)
            if isinstance(value, str) and value.strip():
                add(" ".join(value.lower().split()), key)
        for alias in _numbered(held):
            add(alias, key)
        if asset_type:
            types.add(asset_type.lower())
            types.add(_words(asset_type)[-1] if _words(asset_type) else asset_type.lower())
    for (key,) in connection.execute("SELECT DISTINCT asset_key FROM entries WHERE asset_key != ''"):
        add(key.lower(), key)
        add(key.partition(":")[2].lower(), key)
    keys = tuple(dict.fromkeys(k for ks in aliases.values() for k in ks))
    return AssetIndex(keys, aliases, frozenset(types))


_DESCRIPTIONS = ("description", "desc", "equipment_description", "asset_description")
_NUMBERED = re.compile(r"^((?:[^\W\d_][\w-]*\s+)+?[^\W\d_][\w-]*)\s+(?:no\.?\s*|#\s*)?\d+[a-z]?$")
"""A description that numbers one of several alike assets: "Raw water pump 1", "High-lift pump #2"."""


def _numbered(attributes: dict[str, object]) -> list[str]:
    """Aliases from an asset's description when it numbers one of several alike assets: the
    description itself ("raw water pump 1") and, of two words or more, the group without its
    number, also in the plural ("raw water pump", "raw water pumps"): "the raw water pumps" names
    every asset so described."""
    keys = {re.sub(r"[^a-z]+", "_", str(k).lower()).strip("_"): v for k, v in attributes.items()}
    value = next((keys[k] for k in _DESCRIPTIONS if isinstance(keys.get(k), str)), None)
    found = _NUMBERED.match(" ".join(str(value).lower().split())) if value else None
    if found is None:
        return []
    group = found.group(1)
    out = [found.group(0)]
    if len(group.split()) >= 2:
        out += [group, group if group.endswith("s") else group + "s"]
    return out


def _known_identifier(base: KnowledgeBase, token: str) -> bool:
    """True when a record has ``token`` as an id or link, or quotes it as a phrase in its text."""
    if base.identifier_exists(token):
        return True
    parts = re.findall(r"[^\W_]+", token)
    if len(token) < 3 or not parts:
        return False
    phrase = '"' + " ".join(parts) + '"'
    return (
        base.connection.execute("SELECT 1 FROM fts WHERE fts MATCH ? LIMIT 1", (phrase,)).fetchone()
        is not None
    )


def find_names(base: KnowledgeBase, question: str, channels: Sequence[str] = ()) -> Named:
    """The assets and identifiers ``question`` names, and the explicit names the base lacks.

    Args:
        base: the knowledge base.
        question: the question as asked.
        channels: every channel name of the base (a channel named in the question is not unknown).
    """
    index = asset_index(base)
    question = blank_times(question)  # "Q1 2005" or "2005-03" names a time, not an identifier
    # "severity of 7" compares a score: 7 names no asset.
    question = blank(question, read_comparisons(question).spans)
    lowered = " ".join(question.lower().split())
    assets: list[str] = []
    unknown: list[str] = []
    spans: list[tuple[int, int]] = []
    mentions: list[str] = []
    # Names with spaces first ("chiller 6"), longest first, on word boundaries. One-letter ids
    # ("A") count only after an asset word ("excavator A"), below.
    for alias in sorted(index.aliases, key=len, reverse=True):
        if len(alias) < 2:
            continue
        for found in re.finditer(rf"(?<![\w-]){re.escape(alias)}(?![\w-])", lowered):
            if any(found.start() < e and s < found.end() for s, e in spans):
                continue
            spans.append((found.start(), found.end()))
            assets.extend(index.aliases[alias])
            mentions.append(found.group(0))
    channel_words = {w for c in channels for w in _words(c)}
    for found in _ASSET_REF.finditer(question):
        word, token = found.group(1).lower(), found.group(2).rstrip(".,;:?!")
        if any(s <= found.start(2) < e for s, e in spans):
            continue
        if token.lower() in _NOT_IDS and not (len(token) == 1 and token.isupper()):
            continue
        explicit = word in ("asset", "equipment", "tag", "unit", "machine")
        short = len(token) <= 2 and (token.isupper() or token.lower() in index.aliases)  # "exc c" for C
        looks_like_id = bool(identifiers_in(token)) or token.isdigit() or short
        if (explicit and token.lower() not in channel_words) or looks_like_id:
            if f"{word} {token.lower()}" in index.aliases:
                assets.extend(index.aliases[f"{word} {token.lower()}"])
                mentions.append(f"{word} {token.lower()}")
            elif token.lower() in index.aliases:
                assets.extend(index.aliases[token.lower()])
                mentions.append(f"{word} {token.lower()}")
            elif not _known_identifier(base, token) and not (
                token.isalpha() and token.islower() and len(token) >= 3
            ):
                # a lower-case word after "asset" is a verb or a noun ("which asset threw the most
                # alarms"), not an id the base lacks
                unknown.append(f"{found.group(1)} {token}")
    for found in _BARE_REF.finditer(question):
        token = found.group(1).lower()
        if any(s <= found.start(1) < e for s, e in spans) or token in (m.split()[-1] for m in mentions):
            continue
        if token in index.aliases:
            assets.extend(index.aliases[token])
            mentions.append(token)
        elif not _known_identifier(base, found.group(1)):
            unknown.append(found.group(1))
    identifiers: list[str] = []
    channel_names = {c.lower() for c in channels}
    for token in identifiers_in(question):
        if token.lower() in index.aliases or token.lower() in channel_names:
            continue
        if any(token in u for u in unknown):
            continue
        (identifiers if _known_identifier(base, token) else unknown).append(token)
    for found in _CODE_REF.finditer(question):
        kind, token = found.group(1).lower(), found.group(2)
        if kind in ("channel", "sensor", "signal"):
            # Unknown only when no channel shares a word with it; an ambiguous name is left to
            # the series answerer, which lists the asset's channels. After "sensor" or "signal"
            # only a name written like a tag (digit or underscore) counts: "sensor failure" is
            # a topic, not a channel.
            tag_like = kind == "channel" or "_" in token or any(c.isdigit() for c in token)
            if (
                channels
                and tag_like
                and token.lower() not in _NOT_IDS
                and not set(_words(token)) & channel_words
            ):
                unknown.append(f"{kind} {token}")
            continue
        if token.lower() in _NOT_IDS or token in identifiers or any(token in u for u in unknown):
            continue
        if token.isupper() or any(c.isdigit() for c in token):
            (identifiers if _known_identifier(base, token) else unknown).append(token)
    return Named(
        tuple(dict.fromkeys(assets)),
        tuple(dict.fromkeys(identifiers)),
        tuple(dict.fromkeys(unknown)),
        tuple(dict.fromkeys(mentions)),
    )


def _channel_words(channel: str) -> list[str]:
    """The words of a channel's name, abbreviations spelt out, without a unit in brackets."""
    named = _UNIT.sub("", channel) or channel
    return [_CHANNEL_SYNONYMS.get(w, w) for w in _words(named.replace("_", " "))]


_TYPO_LENGTH = 6  # shorter words are too alike ("speed" / "spend") to forgive a typo


def match_channel(question: str, channels: Sequence[str]) -> str | None:
    """The channel of ``channels`` the question names: all its words present (``bearing_temp`` for
    "bearing temperature"), the one with most words winning; else the only channel holding a
    question word of 5+ letters ("vibration" for ``vibration_rms``). None when none or several."""
    # "current value" asks for the last reading: it does not name a channel "current".
    lowered = _STAT_PHRASES.sub(" ", question.lower())
    asked = {_CHANNEL_SYNONYMS.get(w, w) for w in _words(lowered)}
    words = {w for c in channels for w in _channel_words(c) if len(w) >= _TYPO_LENGTH}
    # "vibraton": a long question word one typo from a long word of a channel reads as that word
    asked |= {
        w for w in words if w not in asked and any(len(a) >= _TYPO_LENGTH and near(a, w) for a in asked)
    }
    exact = [c for c in channels if c.lower() in lowered]
    if exact:
        return max(exact, key=len)
    full = [c for c in channels if _channel_words(c) and set(_channel_words(c)) <= asked]
    if full:
        best = max(len(_channel_words(c)) for c in full)
        top = [c for c in full if len(_channel_words(c)) == best]
        return top[0] if len(top) == 1 else None
    partial = [c for c in channels if any(len(w) >= 5 and w in asked for w in _channel_words(c))]
    if len(partial) != 1 or _qualified_otherwise(lowered, _channel_words(partial[0])):
        return None
    if (asked & _QUANTITIES) - set(_channel_words(partial[0])):
        return None  # "disch temp" is not the discharge pressure
    return partial[0]


_QUANTITIES = frozenset(
    {"temp", "pressure", "flow", "vibration", "current", "speed", "level", "power", "voltage"}
)
"""What a channel measures: a question asking one that a channel lacks names another channel."""


# Words that, before a channel's word, name what is measured or where, so another channel:
# "oil pressure" is not a discharge pressure, "inlet temperature" not a bearing temperature. An
# asset or a part before it ("motor vibration", "pump temperature") says whose, not which.
_QUALIFIERS = frozenset(
    {
        "oil", "water", "air", "gas", "steam", "coolant", "fuel", "hydraulic", "lube", "inlet", "outlet",
        "suction", "discharge", "supply", "return", "ambient", "exhaust", "intake", "differential",
        "winding", "bearing", "casing", "seal", "tank", "line", "barometric", "stator", "rotor",
    }
)  # fmt: skip


def _qualified_otherwise(lowered: str, words: Sequence[str]) -> bool:
    """Whether the question's word for the channel comes after a qualifier the channel lacks
    ("oil pressure" when the channel is ``discharge_pressure``): then it names another channel."""
    tokens = [_CHANNEL_SYNONYMS.get(w, w) for w in _words(lowered)]
    return any(
        token in words
        and len(token) >= 5
        and i > 0
        and tokens[i - 1] in _QUALIFIERS
        and tokens[i - 1] not in words
        for i, token in enumerate(tokens)
    )


def channels_of(base: KnowledgeBase, asset_key: str | None = None) -> dict[str, tuple[str, ...]]:
    """{series key: its channel names}, of one asset or of the whole base."""
    query = (
        "SELECT key, channels FROM series" + (" WHERE asset_key = ?" if asset_key else "") + " ORDER BY rowid"
    )
    rows = base.connection.execute(query, (asset_key,) if asset_key else ())
    return {key: tuple(load_json(channels)) for key, channels in rows}
