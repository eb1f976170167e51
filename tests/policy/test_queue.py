"""The review queue: capacity is never exceeded, the exploration share holds, the rest is the top harm."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from creatorscore.policy.queue import (
    SPARE,
    QueueRule,
    expected_harm,
    recently_reviewed,
    review_queue,
    spare_cases,
    spare_reach,
)

_BANDS = ["under 30 days", "30-89 days", "90 days or more"]
_CANDIDATES = st.lists(
    st.tuples(
        st.sampled_from(["ID", "TH", "SG"]),
        st.floats(0, 1e6, allow_nan=False),
        st.booleans(),
        st.sampled_from(_BANDS),
    ),
    max_size=300,
)


def _frame(rows) -> pd.DataFrame:
    return pd.DataFrame({
        "creator_id": [f"c{i:04d}" for i in range(len(rows))],
        "market": [row[0] for row in rows],
        "expected_harm": [row[1] for row in rows],
        "why": "test",
        "flagged": pd.Series([row[2] for row in rows], dtype=bool),
        "tenure_band": [row[3] if len(row) > 3 else _BANDS[2] for row in rows],
    })  # fmt: skip


@settings(max_examples=80, deadline=None)
@given(_CANDIDATES, st.integers(0, 60), st.floats(0, 0.5), st.booleans(), st.integers(0, 2**16))
def test_each_market_queues_at_most_its_capacity_with_the_exploration_share(
    rows, capacity, share, fill, seed
):
    candidates = _frame(rows)
    rules = {
        m: QueueRule(capacity_per_day=capacity, exploration_share=share, sla_days=3, fill_spare_capacity=fill)
        for m in ("ID", "TH")
    }
    queue = review_queue(candidates, rules, seed)
    assert "SG" not in set(queue["market"])  # no rule, no reviewers
    for market in ("ID", "TH"):
        pool = candidates[candidates["market"] == market]
        taken = queue[queue["market"] == market]
        n = min(capacity, len(pool))
        explore = int(np.floor(share * n))
        flagged = pool.loc[pool["flagged"]]
        exploited = n - explore if fill else min(n - explore, len(flagged))
        assert len(taken) == explore + exploited <= capacity
        assert taken["creator_id"].is_unique
        assert sorted(taken["rank"]) == list(range(1, len(taken) + 1))
        explored = taken[taken["exploration"]]
        assert len(explored) == explore
        # the flagged come first by harm; spare capacity goes to the unflagged by harm, band by band
        exploit = taken[~taken["exploration"]]
        unflagged_pool = pool.loc[~pool["flagged"]]
        bands = [rows for _, rows in unflagged_pool.groupby("tenure_band")]
        for among in (flagged, *bands):
            chosen = exploit[exploit["creator_id"].isin(among["creator_id"])]
            left_out = among[~among["creator_id"].isin(exploit["creator_id"])]
            if len(chosen) and len(left_out):
                assert chosen["expected_harm"].min() >= left_out["expected_harm"].max()
        unflagged = ~exploit["creator_id"].isin(flagged["creator_id"])
        assert unflagged.sum() == (exploited - min(exploited, len(flagged)))
        assert exploit.loc[unflagged, "why"].str.startswith(SPARE).all()
        assert (exploit["review_probability"] == 1).all()
        assert ((explored["review_probability"] > 0) & (explored["review_probability"] <= 1)).all()


def test_a_replayed_day_queues_the_same_creators_and_another_seed_explores_others():
    rng = np.random.default_rng(0)
    candidates = _frame([("ID", float(h), True) for h in rng.random(1000)])
    rules = {"ID": QueueRule(capacity_per_day=100, exploration_share=0.1, sla_days=3)}
    first, again, other = (review_queue(candidates, rules, seed) for seed in (1, 1, 2))
    assert first.equals(again)
    explored = lambda q: set(q.loc[q["exploration"], "creator_id"])  # noqa: E731
    assert explored(first) != explored(other)
    # exploration is spread through the queue, not left at its end
    ranks = first.loc[first["exploration"], "rank"]
    assert ranks.min() <= 10 and ranks.max() >= 90
    # each explored creator had a 10 in 910 chance of being drawn
    assert first.loc[first["exploration"], "review_probability"].eq(10 / 910).all()


def test_expected_harm_weighs_risk_by_reach_and_severity_and_no_reach_counts_as_one():
    harm = expected_harm(
        pd.Series([0.5, 0.5, 0.5]), pd.Series([1000.0, np.nan, 0.0]), pd.Series([2.0, 2.0, 1.0])
    )
    assert harm.tolist() == [1000.0, 1.0, 0.5]


def test_one_markets_capacity_never_changes_whom_another_market_explores():
    rng = np.random.default_rng(3)
    candidates = _frame([(m, float(h), True) for m in ("ID", "TH") for h in rng.random(500)])
    rule = QueueRule(capacity_per_day=40, exploration_share=0.25, sla_days=3)
    wider = {"ID": rule.model_copy(update={"capacity_per_day": 200}), "TH": rule}
    th = lambda q: q[q["market"] == "TH"].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(
        th(review_queue(candidates, {"ID": rule, "TH": rule}, 5)), th(review_queue(candidates, wider, 5))
    )


def test_a_recent_clearance_takes_no_slot_and_an_open_or_later_case_does_not_count():
    at = pd.Timestamp("2026-03-01", tz="UTC")
    day = pd.Timedelta(days=1)
    cases = pd.DataFrame({
        "creator_id": ["open", "cleared_lately", "cleared_long_ago", "confirmed_lately", "opened_later"],
        "opened_at": [at - 5 * day, at - 20 * day, at - 60 * day, at - 20 * day, at + day],
        "closed_at": [pd.NaT, at - 10 * day, at - 40 * day, at - 10 * day, pd.NaT],
        "outcome": ["open", "cleared", "cleared", "confirmed", "open"],
    })  # fmt: skip
    creators = pd.Series([*cases["creator_id"], "never_reviewed"])
    skipped = recently_reviewed(cases, creators, at, pd.Series(28, index=creators.index))
    assert creators[skipped].tolist() == ["cleared_lately"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(_BANDS), min_size=1, max_size=200), st.integers(0, 80), st.integers(0, 2**16))
def test_spare_capacity_goes_to_each_tenure_band_by_harm_within_it(bands, slots, seed):
    unflagged = _frame([("ID", float(i), False, band) for i, band in enumerate(bands)])
    ranked = unflagged.sort_values("expected_harm", ascending=False)
    taken = spare_cases(ranked, slots, np.random.default_rng(seed))
    assert len(taken) == min(slots, len(unflagged)) and taken["creator_id"].is_unique
    for band, rows in ranked.groupby("tenure_band"):
        chosen = taken[taken["tenure_band"] == band]
        assert chosen["creator_id"].tolist() == rows["creator_id"].iloc[: len(chosen)].tolist()


def test_a_small_tenure_band_gets_its_share_of_spare_capacity_over_many_days():
    # 4% of the creators, three slots a day: rounding would give it none, ever
    bands = ["under 30 days"] * 4 + ["90 days or more"] * 96
    unflagged = _frame([("ID", float(i), False, band) for i, band in enumerate(bands)])
    rng = np.random.default_rng(0)
    days = [spare_cases(unflagged, 3, rng) for _ in range(2000)]
    share = np.mean([(day["tenure_band"] == "under 30 days").mean() for day in days])
    assert abs(share - 0.04) < 0.01


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.floats(0, 0.5), st.floats(0.1, 2), st.integers(0, 2**16))
def test_harm_known_only_within_spare_reach_queues_exactly_the_same_cases(capacity, share, spread, seed):
    """Expected harm = unit harm x a severity in [1, 3]: bounded before the severity is known."""
    rng = np.random.default_rng(seed)
    n = 1500
    unit = rng.lognormal(0, spread, n)
    candidates = _frame(
        list(zip(rng.choice(["ID", "TH"], n), unit, rng.random(n) < 0.01, rng.choice(_BANDS, n), strict=True))
    ).assign(harm_low=unit, harm_high=3 * unit)
    candidates["expected_harm"] = unit * rng.choice([1.0, 1.5, 2.0, 3.0], n)
    rule = QueueRule(capacity_per_day=capacity, exploration_share=share, sla_days=3, fill_spare_capacity=True)
    rules = {"ID": rule, "TH": rule}
    reach = spare_reach(candidates, rules) | candidates["flagged"]
    known = candidates.assign(expected_harm=candidates["expected_harm"].where(reach))
    exact, partly = review_queue(candidates, rules, seed), review_queue(known, rules, seed)
    missing = partly["expected_harm"].isna()
    assert partly.loc[missing, "exploration"].all()  # only a draw can take a case out of reach
    same = ["market", "rank", "creator_id", "exploration", "review_probability"]
    assert partly[same].equals(exact[same])
    told = ["expected_harm", "why"]
    assert partly.loc[~missing, told].equals(exact.loc[~missing, told])
