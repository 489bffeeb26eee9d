"""A coarse scan from a user walkthrough (about 90 dpi): a plain "600" was read as a diameter and
"⌀80 H7" as a length of 80, so width and height came out mixed up."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from moesaic.drawings.dimensions import parse_callout
from moesaic.drawings.glyphs import diameter_glyph
from moesaic.drawings.symbols import normalize_callout

SCALES = (0.4, 0.45, 0.5)  # a sheet drawn at 200 dpi, scanned at 80 to 100 dpi


def _coarse(text: str, scale: float) -> np.ndarray:
    """``text`` printed 24 px tall, then shrunk as a coarse scan does."""
    image = Image.new("L", (160, 56), 255)
    ImageDraw.Draw(image).text((12, 12), text, fill=0, font=ImageFont.load_default(size=24))
    return np.asarray(image.resize((round(160 * scale), round(56 * scale)), Image.Resampling.LANCZOS))


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("text", ["600", "680", "380"])
def test_coarse_figures_are_no_diameter_sign(text: str, scale: float) -> None:
    assert diameter_glyph(_coarse(text, scale)) is None


@pytest.mark.parametrize("scale", SCALES)
def test_a_coarse_diameter_sign_is_seen(scale: float) -> None:
    assert diameter_glyph(_coarse("Ø80 H7", scale)) is not None


@pytest.mark.parametrize(("read", "canonical"), [("080 H7", "⌀80H7"), ("012", "⌀12"), ("0.5", "0.5")])
def test_a_leading_zero_before_figures_is_a_diameter_sign(read: str, canonical: str) -> None:
    """Sizes are never written with a leading zero (ISO 129-1); "0.5" keeps its zero."""
    assert normalize_callout(read) == canonical
    callout = parse_callout(read)
    assert callout is not None and callout.kind == ("linear" if read == "0.5" else "diameter")
