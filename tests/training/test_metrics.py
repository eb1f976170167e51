"""Metrics: review capacity is per snapshot, and perfect scores score perfectly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from creatorscore.training.metrics import (
    abuse_metrics,
    expected_calibration_error,
    quality_metrics,
    snapshot_codes,
    top_share_flags,
)


def test_recall_at_capacity_counts_the_top_share_of_each_snapshot():
    # two snapshots of 100 creators; each has one positive ranked first, so 1% capacity catches both
    as_of = pd.Series(["a"] * 100 + ["b"] * 100)
    y = pd.Series([1] + [0] * 99 + [1] + [0] * 99)
    score = pd.Series(np.r_[1.0, np.linspace(0.5, 0, 99), 0.2, np.linspace(0.1, 0, 99)])
    metrics = abuse_metrics(y, score, as_of)
    assert metrics["recall_at_1pct"] == 1.0 and metrics["precision_at_1pct"] == 1.0


def test_a_perfect_ranking_has_unit_auc():
    y = pd.Series([0, 0, 1, 1])
    metrics = abuse_metrics(y, pd.Series([0.1, 0.2, 0.8, 0.9]), pd.Series(["a"] * 4))
    assert metrics["roc_auc"] == metrics["pr_auc"] == 1.0


def test_calibrated_probabilities_have_no_calibration_error():
    p = np.array([0.25] * 4 + [0.75] * 4)
    y = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    assert expected_calibration_error(y, p) == pytest.approx(0.0)


def test_quality_metrics_of_exact_predictions():
    y = pd.Series([1.0, 2.5, 4.0, 5.0])
    metrics = quality_metrics(y, y, pd.Series(["a"] * 4))
    assert metrics["spearman"] == pytest.approx(1.0) and metrics["rmse"] == 0.0
    assert metrics["ndcg_at_100"] == pytest.approx(1.0)


@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 4)), min_size=1, max_size=200),
    st.sampled_from([0.01, 0.05, 0.3]),
)
def test_capacity_flags_the_top_share_of_every_snapshot_ties_by_position(rows, share):
    groups, scores = (np.array(column) for column in zip(*rows, strict=True))
    flags = top_share_flags(scores.astype(float), groups, share)
    for group in np.unique(groups):
        members = np.flatnonzero(groups == group)
        ranked = sorted(members, key=lambda i: (-scores[i], i))  # highest first, earlier rows first
        quota = int(np.ceil(share * len(members)))
        assert set(np.flatnonzero(flags)) & set(members) == set(ranked[:quota])


def test_snapshots_group_by_time_not_by_row():
    as_of = pd.Series(pd.to_datetime(["2025-01-08", "2025-01-01", "2025-01-08"], utc=True))
    codes = snapshot_codes(as_of)
    assert codes[0] == codes[2] != codes[1]
