import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from creatorscore.explain import TIERS, MarketTiers, Tier, TierThresholds, market_percentiles, risk_tiers
from creatorscore.explain.tiers import share_at_most, sorted_by_market

probability = st.floats(0, 1, allow_nan=False)
CUTS = TierThresholds(monitor=0.05, review=0.2, restrict=0.5)


@st.composite
def thresholds(draw) -> TierThresholds:
    monitor, review, restrict = sorted(draw(st.lists(probability, min_size=3, max_size=3)))
    return TierThresholds(monitor=monitor, review=review, restrict=restrict)


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
    ranks = [TIERS.index(t) for t in risk_tiers(np.array(ordered), CUTS)]
    assert ranks == sorted(ranks)


def test_a_missing_probability_has_no_tier():
    with pytest.raises(ValueError, match="missing probability"):
        risk_tiers(np.array([0.2, np.nan]), CUTS)
    with pytest.raises(ValueError, match="missing probability"):
        MarketTiers({"ID": CUTS}).tiers(np.array([0.2, np.nan]), np.array(["ID", "ID"]))


def test_thresholds_must_increase_and_typos_fail():
    with pytest.raises(ValidationError, match="monitor <= review <= restrict"):
        TierThresholds(monitor=0.5, review=0.2, restrict=0.9)
    with pytest.raises(ValidationError):
        TierThresholds(monitor=0.05, review=0.2, restirct=0.9)


def test_thresholds_have_no_defaults_in_code():
    """The numbers are policy: they live in policies/base.yaml, so code cannot quietly supply them."""
    with pytest.raises(ValidationError, match="review"):
        TierThresholds(monitor=0.05, restrict=0.5)


markets = st.sampled_from(["ID", "VN", "TH"])


@given(
    st.fixed_dictionaries({"ID": thresholds(), "VN": thresholds(), "TH": thresholds()}),
    st.lists(st.tuples(markets, probability), min_size=1, max_size=40),
)
def test_market_tiers_are_each_markets_own_tiers_and_monotone_within_it(by_market, rows):
    cuts = MarketTiers(by_market)
    market = np.array([m for m, _ in rows])
    p = np.array([value for _, value in rows])
    tiers = cuts.tiers(p, market)
    for name, thresholds_ in by_market.items():
        mine = market == name
        assert [t for t, m in zip(tiers, mine, strict=True) if m] == risk_tiers(p[mine], thresholds_)
        order = np.argsort(p[mine], kind="stable")
        ranks = [TIERS.index(t) for t in np.array(tiers, dtype=object)[mine][order]]
        assert ranks == sorted(ranks)


def test_an_unknown_market_has_no_tier_and_is_named():
    with pytest.raises(ValueError, match="'XX'"):
        MarketTiers({"ID": CUTS}).tiers(np.array([0.1, 0.2]), np.array(["ID", "XX"]))


def test_market_tiers_do_not_follow_later_changes_to_the_mapping_they_were_built_from():
    by_market = {"ID": CUTS}
    cuts = MarketTiers(by_market)
    by_market["ID"] = TierThresholds(monitor=0.0, review=0.0, restrict=0.0)
    assert cuts.tiers(np.array([0.1]), np.array(["ID"])) == [Tier.MONITOR]
    with pytest.raises(TypeError):
        cuts.by_market["ID"] = CUTS  # type: ignore[index]


def test_market_percentiles_rank_within_each_market():
    pct = market_percentiles(np.array([0.1, 0.9, 0.5, 0.2]), np.array(["ID", "ID", "VN", "VN"]))
    np.testing.assert_allclose(pct, [0.5, 1.0, 1.0, 0.5])


def test_tied_scores_share_the_highest_of_their_ranks():
    pct = market_percentiles(np.array([0.3, 0.3, 0.1, 0.3]), np.array(["ID"] * 4))
    np.testing.assert_array_equal(pct, [1.0, 1.0, 0.25, 1.0])


# few distinct values, so most draws hold ties within a market
tied_scores = st.lists(
    st.tuples(st.sampled_from(["ID", "VN", "TH"]), st.sampled_from([0.0, 0.01, 0.25, 0.5, 0.5000001, 1.0])),
    min_size=1,
    max_size=40,
)


@given(tied_scores)
def test_batch_and_online_percentiles_agree_and_ties_share_one(rows):
    market = np.array([m for m, _ in rows])
    score = np.array([s for _, s in rows])
    batch = market_percentiles(score, market)
    by_market = sorted_by_market(score, market)
    # the service places one value at a time against the market as stored
    online = np.array([share_at_most(by_market[m], [s])[0] for m, s in rows])
    np.testing.assert_array_equal(batch, online)
    assert ((batch > 0) & (batch <= 1)).all()
    frame = pd.DataFrame({"market": market, "score": score, "pct": batch})
    assert (frame.groupby(["market", "score"])["pct"].nunique() == 1).all()
    top = frame["score"] == frame.groupby("market")["score"].transform("max")
    assert (frame.loc[top, "pct"] == 1.0).all()
    reference = frame.groupby("market")["score"].rank(pct=True, method="max")
    np.testing.assert_array_equal(batch, reference.to_numpy())
