"""The hinge fit's profile over candidate onsets and the onset most likely within a tolerance
(moesaic.reports.diagnose.hinge), on hand-made arrays."""

from __future__ import annotations

import numpy as np
import pytest

from moesaic.reports.diagnose.hinge import (
    EVIDENCE_DISCOUNT,
    HingeProfile,
    hinge_onset,
    hinge_profile,
    likeliest_within,
)
from moesaic.reports.diagnose.onset import shape_onset


def test_the_least_error_of_the_profile_is_the_onset_stated_without_a_tolerance() -> None:
    rng = np.random.default_rng(0)
    t = np.arange(300, dtype=float)
    y = np.clip(t - 150, 0, None) ** 1.5 / 500 + 0.4 * rng.standard_normal(300)
    profile = hinge_profile(y, (1.0, 1.5), anchored=True)
    assert profile.points == 300 and len(profile.candidates) == len(profile.sse) == 298
    assert hinge_onset(y, (1.0, 1.5), anchored=True) == profile.candidates[np.argmin(profile.sse)]
    with pytest.raises(ValueError, match="at least 4 steps"):
        hinge_profile(y[:3])


def test_a_broad_basin_outweighs_a_single_slightly_better_candidate() -> None:
    sse = np.array([5.0, 5.0, 5.0, 1.0, 5.0, 5.0, 1.2, 1.2, 1.2, 5.0])
    # points = EVIDENCE_DISCOUNT makes the likelihood exp(-(sse - 1)): 1 at step 3, 0.82 at 6-8.
    profile = HingeProfile(np.arange(10), sse, int(EVIDENCE_DISCOUNT))
    assert likeliest_within(profile, 0) == 3  # no tolerance: the least error
    assert likeliest_within(profile, 1) == 7  # 3 x 0.82 within a step of 7, against 1.04 around 3
    # Far more points make the evidence sharp: every window around step 3 holds all of it, and
    # the least error is stated.
    assert likeliest_within(profile._replace(points=1000), 1) == 3


def test_without_a_rising_fit_the_first_candidate_is_stated() -> None:
    profile = HingeProfile(np.arange(5), np.full(5, np.inf), 10)
    assert likeliest_within(profile, 2) == 0


def test_the_likeliest_option_needs_the_length_of_a_day() -> None:
    rng = np.random.default_rng(2)
    t = np.arange(300, dtype=float)
    y = np.clip(t - 100, 0, None) / 50 + 0.2 * rng.standard_normal(300)
    with pytest.raises(ValueError, match="steps of one day"):
        shape_onset(y, "ramp1/a/w")
    assert abs(shape_onset(y, "ramp1/a/w", day=24) - 100) <= 24
