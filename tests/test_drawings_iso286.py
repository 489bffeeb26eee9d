"""ISO 286-1 tolerance grades and the "tightest" ranking that uses them (a user walkthrough saw
240 ±0.1 ranked above ⌀40 h6 and ⌀40 h6 left out)."""

from __future__ import annotations

import pytest

from moesaic.drawings.dimensions import parse_callout
from moesaic.drawings.iso286 import IT_GRADES, SIZE_LIMITS, fit_band, it_width
from moesaic.drawings.layout import Dimension
from moesaic.drawings.summary import DrawingSummary
from moesaic.drawings.titleblock import TitleBlock


@pytest.mark.parametrize(
    ("grade", "nominal", "microns"),
    [  # ISO 286-1:2010, Table 1, read by hand
        (6, 40.0, 16),  # over 30 up to 50
        (6, 30.0, 13),  # 30 is in "over 18 up to 30"
        (7, 8.0, 15),
        (5, 3.0, 4),
        (8, 100.0, 54),
        (9, 200.0, 115),
        (10, 0.5, 40),
        (11, 500.0, 400),
    ],
)
def test_it_widths_are_iso_286_table_1(grade: int, nominal: float, microns: int) -> None:
    assert it_width(grade, nominal) == pytest.approx(microns / 1000)


def test_every_grade_has_a_width_per_size_range_growing_with_size_and_grade() -> None:
    for grade, widths in IT_GRADES.items():
        assert len(widths) == len(SIZE_LIMITS) and list(widths) == sorted(widths)
        if grade + 1 in IT_GRADES:
            assert all(a < b for a, b in zip(widths, IT_GRADES[grade + 1], strict=True))


def test_fit_bands_and_sizes_outside_the_table() -> None:
    assert fit_band("k6", 35.0) == pytest.approx(0.016)
    assert fit_band("H7/g6", 20.0) == pytest.approx(0.013)  # the narrower of hole and shaft
    assert fit_band("H7", 600.0) is None and fit_band("H3", 10.0) is None
    thread = parse_callout("M24x1.5-6g")
    assert thread is not None and thread.fit == "6g" and thread.band is None  # no ISO 286 grade


def _summary(*texts: str) -> DrawingSummary:
    dims = []
    for i, text in enumerate(texts):
        callout = parse_callout(text)
        assert callout is not None
        dims.append(Dimension(callout.value_text, (10 * i, 0, 10 * i + 8, 8), callout, 1.0))
    return DrawingSummary("s.png", 100, 100, "test", TitleBlock(), tuple(dims), (), (), (), 0.0)


def test_tightest_ranks_fits_by_their_real_band_alongside_written_tolerances() -> None:
    summary = _summary("550", "240 ±0.1", "⌀40h6", "⌀35k6", "⌀35k6", "M24x1.5")
    assert [d.text for d in summary.tightest()] == ["⌀40h6", "⌀35k6", "240±0.1"]
    assert [d.text for d in _summary("120 ±0.05", "⌀8H7").tightest()] == ["⌀8H7", "120±0.05"]


@pytest.mark.parametrize("material", ["100Cr6", "16MnCr5", "42CrMo4"])
def test_a_steel_name_is_no_dimension_with_a_fit(material: str) -> None:
    """Fit letters are capitals (hole) or small (shaft), never mixed: "100Cr6" is a bearing steel."""
    assert parse_callout(material) is None
    assert parse_callout("⌀100h6") is not None and parse_callout("⌀100H6") is not None
