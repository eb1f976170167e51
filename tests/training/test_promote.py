"""The promotion gate, as a pure decision on two scores of the same test rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from creatorscore.training.promote import decide


@pytest.fixture(scope="module")
def config(fast_config):
    return fast_config(
        "abuse_risk",
        promotion={
            "metric": "pr_auc",
            "margin": 0.0,
            "market_metric": "recall_at_1pct",
            "market_tolerance": 0.05,
        },
    )


def _test_rows(seed: int = 0, creators: int = 3000, snapshots: int = 3) -> pd.DataFrame:
    """Creators over a few test snapshots, 5% abusing: `informed` and `weak` see the label, `noise` not."""
    rng = np.random.default_rng(seed)
    ids = np.repeat(np.arange(creators), snapshots)
    label = np.repeat(rng.random(creators) < 0.05, snapshots).astype(float)
    as_of = np.tile(pd.date_range("2025-10-01", periods=snapshots, freq="7D", tz="UTC"), creators)
    return pd.DataFrame({
        "creator_id": ids.astype(str), "as_of": as_of, "abuse_label": label,
        "market": np.repeat(rng.choice(["ID", "VN"], creators), snapshots),
        "onboarded_at": pd.Timestamp("2025-01-01", tz="UTC"),
        "informed": label * 0.5 + rng.random(len(ids)), "weak": label * 0.2 + rng.random(len(ids)),
        "noise": rng.random(len(ids)),
    })  # fmt: skip


def test_a_candidate_whose_lead_holds_beyond_noise_is_promoted(config):
    decision = decide(_test_rows(), "informed", "noise", "champion v1", config)
    assert decision.promote and "95% interval" in decision.reason


def test_a_tie_is_refused_with_the_interval_that_includes_zero(config):
    rows = _test_rows()
    decision = decide(rows.assign(same=rows["informed"]), "same", "informed", "champion v1", config)
    assert not decision.promote
    assert "+0.0000" in decision.reason and "must exceed the margin 0" in decision.reason


def test_a_lead_within_noise_is_refused(config):
    rows = _test_rows(creators=400)  # few positives: the gain of one noise score over another is noise
    rows["other_noise"] = np.random.default_rng(9).random(len(rows))
    decision = decide(rows, "other_noise", "noise", "champion v1", config)
    assert not decision.promote and "lower end" in decision.reason


def test_promotion_refuses_when_a_market_recall_drops(config):
    rows = _test_rows()
    vn = (rows["market"] == "VN").to_numpy()
    # far better overall, blind in VN
    candidate = np.where(vn, rows["noise"], rows["abuse_label"] + rows["noise"])
    decision = decide(rows.assign(candidate=candidate), "candidate", "weak", "champion v1", config)
    assert not decision.promote
    assert "recall_at_1pct drops by more than 0.05 in: VN" in decision.reason and "ID" not in decision.reason


def test_markets_with_few_positives_do_not_gate(fast_config):
    strict = fast_config(
        "abuse_risk",
        promotion={"metric": "pr_auc", "market_metric": "recall_at_1pct", "market_tolerance": 0.05,
                   "market_min_positives": 10_000},
    )  # fmt: skip
    rows = _test_rows()
    vn = (rows["market"] == "VN").to_numpy()
    candidate = np.where(vn, rows["noise"], rows["abuse_label"] + rows["noise"])
    assert decide(rows.assign(candidate=candidate), "candidate", "weak", "champion v1", strict).promote


def test_a_market_drop_that_one_creator_makes_is_noise_and_does_not_gate(config):
    rows = _test_rows()
    vn = (rows["creator_id"].astype(int) < 100).to_numpy()  # a small market: about 5 abusers
    rows["market"] = np.where(vn, "VN", "ID")
    caught = rows.loc[vn & (rows["abuse_label"] == 1).to_numpy(), "creator_id"].iloc[0]
    incumbent = np.where(vn, rows["noise"], rows["weak"])
    incumbent[(rows["creator_id"] == caught).to_numpy()] = 10.0  # the incumbent's top 1% in VN
    candidate = np.where(vn, rows["noise"], rows["abuse_label"] + rows["noise"])
    scored = rows.assign(candidate=candidate, incumbent=incumbent)
    decision = decide(scored, "candidate", "incumbent", "champion v1", config)
    assert decision.promote, decision.reason
