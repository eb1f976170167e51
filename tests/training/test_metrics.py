"""Metrics: review capacity is per snapshot, and perfect scores score perfectly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from creatorscore.training.metrics import abuse_metrics, expected_calibration_error, quality_metrics


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
