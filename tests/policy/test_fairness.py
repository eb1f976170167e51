"""The fairness audit compares groups within one behaviour, through fairlearn's MetricFrame."""

from __future__ import annotations

import numpy as np
import pandas as pd

from creatorscore.policy.fairness import audit


def _decisions(spec) -> pd.DataFrame:
    """spec: (market, behaviour, creators, share actioned) -> rows with queued == actioned."""
    rows = []
    for market, behaviour, n, share in spec:
        acted = np.arange(n) < round(share * n)
        rows.append(pd.DataFrame({
            "market": market, "behaviour": behaviour, "tenure_days": 120, "queued": acted, "actioned": acted,
        }))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def _flagged(result: pd.DataFrame) -> set:
    hits = result[result["flagged"] & (result["attribute"] == "market")]
    return set(zip(hits["outcome"], hits["behaviour"], hits["group"], strict=True))


def test_a_market_full_of_abusers_is_not_flagged_when_each_behaviour_is_treated_alike():
    result = audit(_decisions([
        ("ID", "healthy", 1000, 0.01), ("ID", "brushing", 500, 0.6),
        ("TH", "healthy", 1000, 0.01), ("TH", "brushing", 50, 0.6),
    ]))  # fmt: skip
    assert _flagged(result) == set()
    healthy = result[(result["outcome"] == "actioned") & (result["behaviour"] == "healthy")]
    assert np.allclose(healthy[healthy["attribute"] == "market"]["rate"], 0.01)


def test_healthy_creators_of_one_market_actioned_twice_as_often_are_flagged():
    result = audit(_decisions([
        ("ID", "healthy", 4000, 0.02), ("TH", "healthy", 4000, 0.01), ("VN", "healthy", 4000, 0.01),
    ]))  # fmt: skip
    assert _flagged(result) == {("queued", "healthy", "ID"), ("actioned", "healthy", "ID")}
    row = result[(result["group"] == "ID") & (result["outcome"] == "actioned")].iloc[0]
    assert row["others_rate"] == 0.01 and row["ratio"] == 2.0 and row["q_value"] < 0.05


def test_a_ratio_that_a_few_creators_make_is_chance_and_not_flagged():
    # 2 of 154 healthy creators actioned against 2 of 1,671: ten times the rate, and chance
    result = audit(_decisions([("PH", "healthy", 154, 2 / 154), ("ID", "healthy", 1671, 2 / 1671)]))
    row = result[(result["group"] == "PH") & (result["outcome"] == "actioned")].iloc[0]
    assert row["ratio"] > 10 and row["p_value"] < 0.05
    assert _flagged(result) == set()


def test_groups_too_small_to_judge_are_reported_but_not_flagged():
    result = audit(_decisions([("SG", "healthy", 10, 0.5), ("ID", "healthy", 1000, 0.01)]))
    assert _flagged(result) == set() and (result["group"] == "SG").any()
