"""Restore the engineering symbols that OCR engines misread, by rules.

General-purpose OCR models were trained on prose: they read the diameter sign as ``Φ``, ``Ø``
or ``#``, plus-minus as ``+-`` or ``土``, the degree sign as ``º`` or ``o``, and the count sign
``×`` in many ways. :func:`normalize_callout` rewrites such text into the canonical form used by
drawing annotations (``⌀12H7``, ``2x M6``, ``25±0,1``, ``1x45°``) without touching the decimal
separator, so character error rates compare like with like.
"""

from __future__ import annotations

import re
import unicodedata

DIAMETER = "⌀"
PLUS_MINUS = "±"
DEGREE = "°"

# Glyphs OCR engines return for the diameter sign (Greek phi, slashed O, empty set, ...).
_DIAMETER_LOOKALIKES = "ΦφØø∅⊘⌀Ф"
_DEGREE_LOOKALIKES = "º˚⁰"
_PLUS_MINUS_SPELLINGS = ("+/-", "+-", "土", "∓")
_DASHES = "–—−‐‑"  # en dash, em dash, minus sign, hyphens: all mean minus in a tolerance

_NUMBER = r"\d+(?:[.,]\d+)?"


def _fold(text: str) -> str:
    """Compatibility-fold full-width digits and letters, keep the symbols we care about."""
    out = []
    for ch in text:
        if ch in _DIAMETER_LOOKALIKES:
            out.append(DIAMETER)
        elif ch in _DEGREE_LOOKALIKES:
            out.append(DEGREE)
        elif ch in _DASHES:
            out.append("-")
        elif ch == "×":
            out.append("x")
        else:
            out.append(unicodedata.normalize("NFKC", ch) if ord(ch) > 0xFF00 else ch)
    return "".join(out)


def normalize_callout(text: str) -> str:
    """The canonical spelling of a dimension callout read by OCR.

    The rules, in order: fold look-alike glyphs (``Φ`` -> ``⌀``, ``º`` -> ``°``, ``×`` -> ``x``,
    dashes -> ``-``); spell plus-minus as ``±``; join a sign to its number (``⌀ 16`` -> ``⌀16``,
    ``R 5`` -> ``R5``, ``± 0,1`` -> ``±0,1``); write counts as ``2x`` (``2 X ⌀6`` -> ``2x⌀6``);
    a trailing ``o`` after a number that can only be a degree sign becomes ``°``; spaces collapse.
    Decimal commas are kept: ``1,5`` stays ``1,5``.

    Examples:
        >>> normalize_callout("Φ 12 H7")
        '⌀12H7'
        >>> normalize_callout("2 X M6")
        '2x M6'
        >>> normalize_callout("25 +- 0.1")
        '25±0.1'
    """
    s = _fold(text).strip()
    for spelling in _PLUS_MINUS_SPELLINGS:
        s = s.replace(spelling, PLUS_MINUS)
    s = re.sub(r"\s+", " ", s)
    # a leading glyph the recogniser made of the diameter sign: "P60", "@12", "#8"
    s = re.sub(r"^[@#QP](?=\d)", DIAMETER, s)
    s = re.sub(r"[@#]\s?(?=\d)", DIAMETER, s)
    # the letter O for a zero in front of a decimal separator: "RO,2", "⌀O.5"
    s = re.sub(rf"(?<![A-Za-z])((?:R|SR|M|{DIAMETER}|{PLUS_MINUS}|[+-])?)\s?[Oo](?=[.,]\d)", r"\g<1>0", s)
    # a surface-finish tick read as a slash before the value, stray dots after it
    s = re.sub(r"^[/√]\s?(?=\d)", "", s)
    s = re.sub(r"[\s.,;:'*]+$", "", s)
    s = re.sub(r"\(\s*(.*?)\s*\)", r"(\1)", s)
    s = re.sub(rf"([{DIAMETER}{PLUS_MINUS}])\s+(?=\d)", r"\1", s)
    s = re.sub(r"(?<![A-Za-z])(R|SR|M|CH)\s+(?=\d)", r"\1", s)
    # count sign: "2 X ⌀6", "4x R5", "2xM6"; a thread keeps a space after the count as drawn
    s = re.sub(rf"\b(\d+)\s*[xX]\s*(?=[{DIAMETER}R\d])", r"\1x", s)
    s = re.sub(r"\b(\d+)\s*[xX]\s*(?=M\d)", r"\1x ", s)
    # a size is never written with a leading zero (ISO 129-1): a zero before more figures, at the
    # start or after a count, is a diameter sign read as 0 ("080 H7", "6x017.5")
    s = re.sub(r"^0(?=\d)", DIAMETER, s)
    s = re.sub(r"\b(\d+x)0(?=\d)", rf"\1{DIAMETER}", s)
    # "45o" and "45 °": a degree sign detached or read as the letter o
    s = re.sub(rf"({_NUMBER})\s*[oO°](?=$|\s|[)xX])", rf"\1{DEGREE}", s)
    # a fit written apart from its size: "⌀12 H7" -> "⌀12H7" (ISO 286 letters, grade 1-18)
    s = re.sub(rf"({_NUMBER})\s+([A-HJ-NP-Za-hj-np-z]{{1,2}}(?:1[0-8]|[1-9]))\b", r"\1\2", s)
    s = re.sub(rf"\s*{PLUS_MINUS}\s*", PLUS_MINUS, s)
    return s.strip()


def normalize_for_cer(text: str) -> str:
    """The form used to compare OCR text with ground truth: canonical symbols, no spaces.

    Spaces carry no meaning in a callout (``⌀16,5 +0,1 0`` and ``⌀16,5+0,1 0`` are the same
    dimension) and annotators place them inconsistently, so they are dropped on both sides.
    """
    return normalize_callout(text).replace(" ", "")
