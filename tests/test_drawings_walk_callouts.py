"""Callouts from a user walkthrough: a tube by its outer diameter and wall (``⌀89x3``) was missed."""

from __future__ import annotations

import pytest

from moesaic.drawings.dimensions import parse_callout
from moesaic.drawings.layout import read_layout
from moesaic.drawings.ocr import TextItem, box_quad
from moesaic.drawings.summary import DrawingSummary


@pytest.mark.parametrize("text", ["⌀89x3", "Ø89 x 3", "⌀89×3"])
def test_a_tube_is_its_outer_diameter_and_wall(text: str) -> None:
    callout = parse_callout(text)
    assert callout is not None
    assert (callout.kind, callout.nominal, callout.wall, callout.pitch) == ("diameter", 89.0, 3.0, None)
    assert callout.to_json()["wall"] == 3.0


@pytest.mark.parametrize("text", ["⌀20x30", "12x5x3"])
def test_a_wall_thicker_than_the_radius_is_no_tube(text: str) -> None:
    callout = parse_callout(text)
    assert callout is None or callout.wall is None


def test_a_tube_counts_as_the_largest_diameter() -> None:
    items = [TextItem(t, box_quad(x, 100, x + 80, 120), 0.99) for t, x in (("⌀89x3", 100), ("⌀20 h7", 300))]
    layout = read_layout(items, width=1000, height=700)
    summary = DrawingSummary(
        "s.png", 1000, 700, "test", layout.title_block, tuple(layout.dimensions), (), (), (), 0.0
    )
    assert summary.overall_size() == "⌀89 mm largest diameter"
    assert "tubes (outer diameter x wall) ⌀89x3" in summary.features()
