"""Emerging hot-spot categories on hand-made five-year series."""

from __future__ import annotations

import pandas as pd
import pytest

from sna_lib.index.emerging import classify_series, emerging_hotspots, threshold_steps

YEARS = list(range(2018, 2023))

# (bins per year, z per year, expected category); z only matters for the trend test
CASES = {
    "new": ([0, 0, 0, 0, 2], [0.1, 0.3, 0.2, 0.4, 2.3], "new hotspot"),
    "consecutive": ([0, 0, 0, 2, 3], [0.1, 0.5, 1.0, 2.2, 2.9], "consecutive hotspot"),
    "intensifying": ([2, 2, 3, 3, 3], [2.0, 2.3, 2.7, 3.1, 3.6], "intensifying hotspot"),
    "persistent": ([3, 2, 3, 2, 3], [3.0, 2.1, 3.3, 2.0, 2.9], "persistent hotspot"),
    "diminishing": ([3, 3, 3, 2, 2], [4.0, 3.5, 3.0, 2.5, 2.0], "diminishing hotspot"),
    "four_of_five_persistent": ([0, 2, 2, 2, 2], [0.5, 2.0, 2.1, 2.05, 2.2], "persistent hotspot"),
    "sporadic": ([2, 0, 1, 0, 2], [2.1, 0.2, 1.7, 0.5, 2.4], "sporadic hotspot"),
    "oscillating": ([-2, 0, 2, 0, 2], [-2.2, 0.1, 2.2, 0.0, 2.1], "oscillating hotspot"),
    "historical": ([2, 3, 2, 2, 0], [2.5, 3.0, 2.4, 2.2, 0.1], "historical hotspot"),
    "new_cold": ([0, 0, 1, 0, -2], [0.0, 0.2, 1.8, 0.0, -2.1], "new coldspot"),
    "persistent_cold": ([-2, -2, -3, -2, -2], [-2.0, -2.2, -3.0, -2.1, -2.0], "persistent coldspot"),
    "intensifying_cold": ([-2, -2, -2, -3, -3], [-2.0, -2.3, -2.6, -3.0, -3.5], "intensifying coldspot"),
    "only_90pct_level": ([1, 1, 1, 1, 1], [1.7, 1.8, 1.7, 1.9, 1.8], "no pattern"),
    "past_blip": ([0, 2, 0, 0, 0], [0.0, 2.2, 0.1, 0.2, 0.1], "no pattern"),
}


@pytest.fixture
def frames():
    z = pd.DataFrame({k: v[1] for k, v in CASES.items()}, index=YEARS).T
    bins = pd.DataFrame({k: v[0] for k, v in CASES.items()}, index=YEARS).T
    return z, bins


def test_categories_on_hand_series(frames):
    z, bins = frames
    res = emerging_hotspots(z, bins, confidence_bin=2)
    got = res["category"].astype(str).to_dict()
    assert got == {k: v[2] for k, v in CASES.items()}


def test_trend_only_for_ninety_percent_locations(frames):
    z, bins = frames
    res = emerging_hotspots(z, bins)
    assert res.loc["new", "trend_p"] != res.loc["new", "trend_p"]  # NaN: not tested
    # strictly increasing 5-point series: S = 10, var = 5*4*15/18, z = (10-1)/sqrt(var)
    import math

    from scipy.stats import norm

    expected = 2 * norm.sf((10 - 1) / math.sqrt(5 * 4 * 15 / 18))
    assert res.loc["intensifying", "trend_p"] == pytest.approx(expected)
    assert res.loc["intensifying", "trend"] == "increasing"
    assert res.loc["persistent", "trend"] == "no trend"


def test_ninety_percent_rule():
    assert threshold_steps(5) == 4
    assert threshold_steps(5, rounding="ceil") == 5
    assert threshold_steps(10) == 9
    # with ceil, 4 of 5 is no longer "persistent": hot only in the final run -> consecutive? no, gap
    assert classify_series([0, 1, 1, 1, 1], [0] * 5, threshold=5) == "consecutive hotspot"
    assert classify_series([0, 1, 1, 1, 1], [0] * 5, threshold=4) == "persistent hotspot"


def test_misaligned_inputs_rejected(frames):
    z, bins = frames
    with pytest.raises(ValueError):
        emerging_hotspots(z, bins.iloc[:-1])
