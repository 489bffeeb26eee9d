"""The maintenance actions of a scenario, and the English, French and German words that name them.

:data:`ACTION_WORDS` is the whole vocabulary, one table: action -> language -> stems. A word of a
text names an action when, compared lower-case and without accents (``"remplacée"`` ->
``"remplacee"``, ``"Prüfung"`` -> ``"prufung"``, ``"ß"`` -> ``"ss"``) and before any stemming:

- it **starts with** an English or French stem, so every inflection counts: ``greased``,
  ``greasing`` and ``regreased`` are lubrication, ``remplacé``, ``remplacement`` replacement;
- it **contains** a German stem, because German builds compounds and participles around the verb:
  ``Lagerwechsel``, ``ausgetauscht``, ``Sichtprüfung``, ``nachgeschmiert``.

A word that contains one of :data:`NOT_ACTIONS` names a part, not an action (a ``fitting``, an
``échangeur`` or ``Wärmetauscher`` (heat exchanger), a ``Wechselrichter`` (inverter)), and names
no action at all. Every stem is tried on every word, whatever its language (a work order may mix
them), so an English stem that also spells the French word (``install``, ``align``, ``inspect``,
``examin``, ``chang``) is listed once, under ``en``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from moesaic.knowledge.links import fold

ACTIONS = ("inspect", "test", "replace", "repair", "adjust", "lubricate", "clean", "monitor")
# The actions a past order's text can name, the most invasive first: an order that replaced a
# bearing and greased it was a replacement.
INVASIVE = ("replace", "repair", "adjust", "lubricate", "clean", "monitor", "test", "inspect")
# How a word is matched to a stem of each language (see the module docstring).
PREFIX_LANGUAGES = ("en", "fr")

ACTION_WORDS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "replace": {
        "en": ("replac", "chang", "swap", "fit", "refit", "install", "new", "renew", "replc", "rplc"),
        "fr": ("remplac", "echang", "substitu"),
        "de": ("wechsel", "tausch", "ersetz", "erneuer", "eingebaut"),
    },
    "repair": {
        "en": ("repair", "fix", "weld", "rebuild", "overhaul", "modif"),
        "fr": ("repar", "soude", "soudu", "ressoud", "refection", "reconditionn", "rectifi"),
        "de": ("repar", "instandgesetzt", "instandsetz", "schweiss", "uberhol", "ueberhol", "nacharbeit"),
    },
    "adjust": {
        "en": ("adjust", "tighten", "top", "servic", "reset", "tension", "align", "realign", "balanc"),
        "fr": ("regl", "ajust", "resserr", "serrag", "equilibr"),
        "de": (
            "einstell",
            "eingestellt",
            "justier",
            "nachgezogen",
            "angezogen",
            "ausricht",
            "ausgericht",
            "gespannt",
            "auswucht",
            "ausgewucht",
        ),
    },
    "lubricate": {
        "en": ("lubricat", "lube", "greas", "regreas", "oiled"),
        "fr": ("lubrifi", "graiss", "regraiss"),
        "de": ("schmier", "fetten", "gefettet"),
    },
    "clean": {
        "en": ("clean", "wash", "flushed", "purg", "unblock", "unclog", "descal"),
        "fr": ("nettoy", "lavage", "rinc", "debouch", "detartr"),
        "de": ("reinig", "saubern", "gesaubert", "spulung", "gespult", "entkalk"),
    },
    "monitor": {
        "en": ("monitor", "sampl", "trend", "analysi", "analys", "cm"),
        "fr": ("surveill", "prelev", "suivi", "tendanc"),
        "de": ("uberwach", "ueberwach", "probenahme", "analys", "trend"),
    },
    "test": {
        "en": ("test", "calibrat", "measur"),
        "fr": ("essai", "etalonn", "calibr", "mesur"),
        "de": ("getestet", "probelauf", "kalibrier", "messung", "gemessen"),
    },
    "inspect": {
        "en": ("inspect", "check", "investigat", "examin", "look"),
        "fr": ("verifi", "control", "visite", "diagnos"),
        "de": ("inspekt", "inspizier", "kontroll", "pruf", "pruef", "besichtig", "untersuch", "begutacht"),
    },
}
NOT_ACTIONS = ("fitting", "echangeur", "tauscher", "wechselrichter", "wechselstrom")
_LETTERS = re.compile(r"[a-z]+")
PLANNED = re.compile(
    r"\b(?:sched\w*|plan|planned|planning|to be|will|needs?|need to|requests?|requested|recommends?|"
    r"recommended|propose[ds]?|pending|awaiting|tbd|prevoir|prevue?s?|planifi\w*|programme\w*|"
    r"geplant|einplanen|vorgesehen|soll|muss)\b"
    r"(?!\s+(?:maint\w*|prevent\w*|pm|service|outage|shutdown|stop|downtime|work|task|round)\b)[^.,;:!?\n]*"
)
"""Work a record only plans, from a planning word to the end of its clause ("sched cleaning",
"roulement à prévoir", "Lager soll getauscht werden"), on folded text; not the planned stop or
maintenance the work was done in ("planned outage, replaced bearing")."""


def _names(word: str, stem: str, language: str) -> bool:
    return word.startswith(stem) if language in PREFIX_LANGUAGES else stem in word


def done_verbs(text: str) -> set[str]:
    """The actions ``text`` says were done: :func:`text_verbs` of it without the work it only plans
    (:data:`PLANNED`): a report that "scheduled cleaning" cleaned nothing."""
    return text_verbs(PLANNED.sub(" ", fold(text)))


def text_verbs(text: str) -> set[str]:
    """The actions of :data:`ACTIONS` that the words of ``text`` name (see :data:`ACTION_WORDS`)."""
    words = {w for w in _LETTERS.findall(fold(text)) if not any(x in w for x in NOT_ACTIONS)}
    return {
        action
        for action, by_language in ACTION_WORDS.items()
        if any(_names(w, stem, lang) for w in words for lang, stems in by_language.items() for stem in stems)
    }


# Words that add a thing rather than swap a worn one: installing monitoring is monitoring.
ADDING = ("install", "fit", "new")


def installs_monitoring(text: str) -> bool:
    """True when ``text`` installs or fits monitoring and replaces nothing ("Install online
    vibration monitoring", "fitted online vib monitoring on DE brg")."""
    words = {w for w in _LETTERS.findall(fold(text)) if not any(x in w for x in NOT_ACTIONS)}
    replacing = {
        w
        for w in words
        if any(_names(w, s, lang) for lang, stems in ACTION_WORDS["replace"].items() for s in stems)
    }
    return bool(replacing) and all(w.startswith(ADDING) for w in replacing) and "monitor" in text_verbs(text)


def instruction_verb(text: str) -> str:
    """The action an instruction (an FMEA row's recommended action) asks for: the most invasive one
    its words name (:data:`INVASIVE`: "Replace seal kit; check flush" is a replacement), or
    ``inspect`` when they name none; but an instruction to install or fit monitoring ("Install
    online vibration monitoring") asks for monitoring, not a replacement, when nothing else in it
    replaces (:func:`installs_monitoring`)."""
    verbs = text_verbs(text)
    if installs_monitoring(text):
        verbs.discard("replace")
    return next((v for v in INVASIVE if v in verbs), "inspect")
