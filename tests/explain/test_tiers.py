import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from creatorscore.explain import TIERS, Tier, TierThresholds, market_percentiles, risk_tiers

probability = st.floats(0, 1, allow_nan=False)


def test_tiers_start_at_their_thresholds():
    cuts = TierThresholds(monitor=0.1, review=0.3, restrict=0.6)
    assert risk_tiers(np.array([0.0, 0.0999, 0.1, 0.3, 0.5999, 0.6, 1.0]), cuts) == [
        Tier.LOW,
        Tier.LOW,
        Tier.MONITOR,
        Tier.REVIEW,
        Tier.REVIEW,
        Tier.RESTRICT,
        Tier.RESTRICT,
    ]


@given(st.lists(probability, min_size=2, max_size=30))
def test_a_higher_probability_never_gets_a_lower_tier(probabilities):
    ordered = sorted(probabilities)
    ranks = [TIERS.index(t) for t in risk_tiers(np.array(ordered))]
    assert ranks == sorted(ranks)


def test_a_missing_probability_has_no_tier():
    with pytest.raises(ValueError, match="missing probability"):
        risk_tiers(np.array([0.2, np.nan]))


def test_thresholds_must_increase_and_typos_fail():
    with pytest.raises(ValidationError, match="monitor <= review <= restrict"):
        TierThresholds(monitor=0.5, review=0.2, restrict=0.9)
    with pytest.raises(ValidationError):
        TierThresholds(restirct=0.9)


def test_market_percentiles_rank_within_each_market():
    pct = market_percentiles(np.array([0.1, 0.9, 0.5, 0.2]), np.array(["ID", "ID", "VN", "VN"]))
    np.testing.assert_allclose(pct, [0.5, 1.0, 1.0, 0.5])
