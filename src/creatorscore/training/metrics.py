"""Test-period metrics as pure functions of labels, scores and row context.

Review capacity is per snapshot: at each as-of a policy team can look at the top k% of the
creators it scores, so recall and precision at k% are pooled over snapshots, never over the
whole test period at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import average_precision_score, ndcg_score, roc_auc_score

NEW_CREATOR_DAYS = 30
CAPACITIES = {"1pct": 0.01, "5pct": 0.05}


def top_share_flags(scores: pd.Series, groups: pd.Series, share: float) -> pd.Series:
    """True for the ceil(share x n) highest scores within each group (ties broken by position)."""
    rank = scores.groupby(groups.to_numpy()).rank(method="first", ascending=False)
    size = groups.map(groups.value_counts())
    return rank <= np.ceil(share * size)


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - mean probability| over equal-width bins, weighted by bin size."""
    index = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(index):
        mask = index == b
        total += mask.sum() * abs(y[mask].mean() - p[mask].mean())
    return float(total / len(y))


def abuse_metrics(y: pd.Series, score: pd.Series, as_of: pd.Series) -> dict[str, float]:
    """Ranking, review-capacity and calibration metrics of a probability score."""
    y_arr, p = y.to_numpy(dtype=float), score.to_numpy(dtype=float)
    out: dict[str, float] = {"rows": float(len(y_arr)), "positives": float(y_arr.sum())}
    both_classes = 0 < y_arr.sum() < len(y_arr)
    out["roc_auc"] = float(roc_auc_score(y_arr, p)) if both_classes else np.nan
    out["pr_auc"] = float(average_precision_score(y_arr, p)) if both_classes else np.nan
    for name, share in CAPACITIES.items():
        flagged = top_share_flags(score, as_of, share).to_numpy()
        caught = float((flagged & (y_arr == 1)).sum())
        out[f"recall_at_{name}"] = caught / y_arr.sum() if y_arr.sum() else np.nan
        out[f"precision_at_{name}"] = caught / flagged.sum() if flagged.sum() else np.nan
    if np.all((p >= 0) & (p <= 1)):
        out["brier"] = float(np.mean((p - y_arr) ** 2))
        out["ece"] = expected_calibration_error(y_arr, p)
    return out


def quality_metrics(y: pd.Series, score: pd.Series, as_of: pd.Series, top: int = 100) -> dict[str, float]:
    """Rank agreement, error and NDCG@top of a predicted review score (NDCG averaged over snapshots)."""
    y_arr, p = y.to_numpy(dtype=float), score.to_numpy(dtype=float)
    out: dict[str, float] = {"rows": float(len(y_arr))}
    varied = len(y_arr) > 2 and np.ptp(y_arr) > 0 and np.ptp(p) > 0  # rank correlation is undefined otherwise
    out["spearman"] = float(spearmanr(y_arr, p).statistic) if varied else np.nan
    out["rmse"] = float(np.sqrt(np.mean((y_arr - p) ** 2)))
    ndcgs = [
        ndcg_score([y_arr[idx]], [p[idx]], k=top)
        for idx in pd.Series(np.arange(len(y_arr))).groupby(as_of.to_numpy()).indices.values()
        if len(idx) > 1
    ]
    out[f"ndcg_at_{top}"] = float(np.mean(ndcgs)) if ndcgs else np.nan
    return out


def segment_metrics(
    frame: pd.DataFrame, target: str, score: pd.Series, task: str, truth: pd.Series | None = None
) -> dict[str, float]:
    """Metrics overall, per market and for new creators, flattened as `<segment>/<metric>`.

    `truth` (ground truth aligned with `frame`) adds the same metrics against latent truth
    under `truth/`, so the gap between what labels say and what is true stays visible.
    """
    compute = abuse_metrics if task == "binary" else quality_metrics
    segments = {"overall": pd.Series(True, index=frame.index)}
    for market in sorted(frame["market"].unique()):
        segments[f"market_{market}"] = frame["market"] == market
    tenure = (frame["as_of"] - frame["onboarded_at"]).dt.days
    segments["new_creators"] = tenure < NEW_CREATOR_DAYS
    out: dict[str, float] = {}
    for segment, mask in segments.items():
        labelled = mask & frame[target].notna()
        if labelled.sum() > 2:
            rows = frame[labelled]
            for metric, value in compute(rows[target], score[labelled], rows["as_of"]).items():
                out[f"{segment}/{metric}"] = value
        if truth is not None and segment == "overall":
            rows = frame[mask]
            for metric, value in compute(truth[mask], score[mask], rows["as_of"]).items():
                out[f"truth/{metric}"] = value
    return out


HEADLINE = {
    "binary": ["roc_auc", "pr_auc", "recall_at_1pct", "precision_at_1pct", "recall_at_5pct", "brier", "ece"],
    "regression": ["spearman", "rmse", "ndcg_at_100"],
}


def comparison(metrics: dict[str, dict[str, float]], task: str, segment: str = "overall") -> pd.DataFrame:
    """Headline metrics of one segment: a row per metric, a column per scorer."""
    keys = [f"{segment}/{m}" for m in HEADLINE[task]]
    return pd.DataFrame({name: [values.get(k, np.nan) for k in keys] for name, values in metrics.items()},
                        index=HEADLINE[task])  # fmt: skip
