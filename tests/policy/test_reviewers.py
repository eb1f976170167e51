"""Replayed reviews: the stated reviewer model on ground truth, or the contract's later facts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from creatorscore.policy.reviewers import ReviewerModel, reviews_from_later_facts, reviews_from_truth

T = pd.Timestamp("2025-10-01", tz="UTC")


def test_the_reviewer_confirms_abusers_and_clears_healthy_creators_at_the_stated_rates():
    reviewed = pd.DataFrame({"creator_id": [f"c{i}" for i in range(20000)], "market": "ID"})
    truth = pd.Series(np.arange(20000) < 10000, index=reviewed["creator_id"])
    confirmed = reviews_from_truth(reviewed, truth, ReviewerModel(), seed=0).to_numpy()
    assert abs(confirmed[:10000].mean() - 0.9) < 0.01  # sensitivity
    assert abs(1 - confirmed[10000:].mean() - 0.98) < 0.005  # specificity
    again = reviews_from_truth(reviewed, truth, ReviewerModel(), seed=0).to_numpy()
    assert (confirmed == again).all()


def test_a_longer_queue_in_one_market_changes_no_verdict_in_another():
    th = pd.DataFrame({"creator_id": [f"th{i}" for i in range(50)], "market": "TH"})
    truth = pd.Series(True, index=[f"th{i}" for i in range(50)] + [f"id{i}" for i in range(80)])
    verdicts = {}
    for id_queue in (10, 80):
        ids = pd.DataFrame({"creator_id": [f"id{i}" for i in range(id_queue)], "market": "ID"})
        reviewed = pd.concat([ids, th], ignore_index=True)
        confirmed = reviews_from_truth(reviewed, truth, ReviewerModel(sensitivity=0.5), seed=3)
        verdicts[id_queue] = confirmed[reviewed["market"] == "TH"].to_numpy()
    assert (verdicts[10] == verdicts[80]).all() and 0 < verdicts[10].sum() < 50


def test_without_truth_a_review_is_confirmed_by_a_case_or_violation_within_the_horizon():
    day = lambda d: T + pd.Timedelta(days=d)  # noqa: E731
    tables = {
        "abuse_cases": pd.DataFrame({
            "creator_id": ["case", "late", "cleared"], "outcome": ["confirmed", "confirmed", "cleared"],
            "closed_at": [day(5), day(40), day(5)],
        }),
        "violations": pd.DataFrame({
            "creator_id": ["violation", "overturned", "before"],
            "decided_at": [day(3), day(3), day(-1)],
            "overturned_at": [pd.NaT, day(10), pd.NaT],
        }),
    }  # fmt: skip
    reviewed = pd.DataFrame({"creator_id": ["case", "late", "cleared", "violation", "overturned", "before"]})
    confirmed = reviews_from_later_facts(reviewed, tables, T, ReviewerModel(horizon_days=30))
    assert confirmed.tolist() == [True, False, False, True, False, False]
