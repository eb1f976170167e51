"""Calibration where the tiers act: tables that see a miscalibrated top even when ECE looks fine."""

from __future__ import annotations

import numpy as np

from creatorscore.contract.schema import MARKETS
from creatorscore.explain import MarketTiers, TierThresholds
from creatorscore.training.calibration import realised_by_tier, top_quantile_bins, wilson


def _outcomes(p: np.ndarray, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random(len(p)) < p).astype(float)


def _markets(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).choice(MARKETS, n)


def test_calibrated_probabilities_are_realised_in_every_tier_and_top_bin(tiers):
    p = np.random.default_rng(1).beta(0.3, 6, 200_000)
    y = _outcomes(p)
    for table in (realised_by_tier(y, p, _markets(len(p)), tiers), top_quantile_bins(y, p)):
        inside = (table["observed_low"] <= table["mean_predicted"]) & (
            table["mean_predicted"] <= table["observed_high"]
        )
        assert inside.all(), table


def test_an_overconfident_top_is_caught_although_most_rows_are_fine(tiers):
    p = np.random.default_rng(2).beta(0.3, 6, 100_000)
    y = _outcomes(np.where(p > 0.2, p / 3, p))  # the top scores come true a third as often as said
    by_tier = realised_by_tier(y, p, _markets(len(p)), tiers).set_index("group")
    assert by_tier.loc["restrict", "observed_high"] < by_tier.loc["restrict", "mean_predicted"]
    assert (
        by_tier.loc["low", "observed_low"]
        <= by_tier.loc["low", "mean_predicted"]
        <= by_tier.loc["low", "observed_high"]
    )
    top = top_quantile_bins(y, p)
    assert len(top) == 5 and top["rows"].sum() == 5000
    assert (top["observed_high"] < top["mean_predicted"]).iloc[-1]


def test_each_row_is_counted_in_the_tier_of_its_own_market():
    strict = TierThresholds(monitor=0.05, review=0.1, restrict=0.5)
    lenient = TierThresholds(monitor=0.05, review=0.3, restrict=0.5)
    cuts = MarketTiers({"ID": strict, "VN": lenient})
    p, market = np.array([0.2, 0.2, 0.2]), np.array(["ID", "VN", "VN"])
    rows = realised_by_tier(np.array([1.0, 0.0, 0.0]), p, market, cuts).set_index("group")["rows"]
    assert rows["review"] == 1 and rows["monitor"] == 2


def test_the_wilson_interval_holds_the_rate_and_is_undefined_without_rows():
    low, high = wilson(3, 37)
    assert low < 3 / 37 < high and low > 0
    assert wilson(0, 37)[0] == 0 and np.isnan(wilson(0, 0)[0])
