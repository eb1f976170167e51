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


def snapshot_codes(as_of: pd.Series) -> np.ndarray:
    """An integer per distinct as-of time: what the per-snapshot metrics group by.

    Grouping by the timestamps themselves turns a tz-aware column into an array of Python
    objects, a minute at the benchmark's million test rows; integer codes group in milliseconds."""
    return pd.factorize(as_of)[0]


def top_share_flags(scores: np.ndarray, groups: np.ndarray, share: float) -> np.ndarray:
    """True for the ceil(share x n) highest scores within each group (ties broken by position)."""
    order = np.lexsort((-scores, groups))  # stable: equal scores keep their positions
    sorted_groups = groups[order]
    starts = np.searchsorted(sorted_groups, sorted_groups, side="left")
    rank = np.empty(len(scores), dtype=np.int64)
    rank[order] = np.arange(len(scores)) - starts  # 0 for each group's highest score
    sizes = np.bincount(groups)
    return rank < np.ceil(share * sizes[groups])


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - mean probability| over equal-width bins, weighted by bin size."""
    index = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(index):
        mask = index == b
        total += mask.sum() * abs(y[mask].mean() - p[mask].mean())
    return float(total / len(y))


def metric(name: str, y: np.ndarray, p: np.ndarray, as_of: np.ndarray) -> float:
    """One ranking metric by the name the gate and the reports use; NaN where it is undefined.
    `as_of` holds each row's snapshot as integer codes (`snapshot_codes`).

    The bootstrap recomputes single metrics hundreds of times, so each is computed on its own,
    and `abuse_metrics`/`quality_metrics` go through here too: one implementation each."""
    if name in ("roc_auc", "pr_auc"):
        if not 0 < y.sum() < len(y):
            return np.nan
        return float((roc_auc_score if name == "roc_auc" else average_precision_score)(y, p))
    kind, _, capacity = name.partition("_at_")
    if capacity in CAPACITIES:
        flagged = top_share_flags(p, as_of, CAPACITIES[capacity])
        caught = float((flagged & (y == 1)).sum())
        denominator = y.sum() if kind == "recall" else flagged.sum()
        return caught / denominator if denominator else np.nan
    if name == "spearman":
        varied = len(y) > 2 and np.ptp(y) > 0 and np.ptp(p) > 0  # rank correlation is undefined otherwise
        return float(spearmanr(y, p).statistic) if varied else np.nan
    if name.startswith("ndcg_at_"):
        top = int(name.removeprefix("ndcg_at_"))
        groups = pd.Series(np.arange(len(y))).groupby(as_of).indices.values()
        ndcgs = [ndcg_score([y[idx]], [p[idx]], k=top) for idx in groups if len(idx) > 1]
        return float(np.mean(ndcgs)) if ndcgs else np.nan
    raise ValueError(f"unknown metric {name}")


def abuse_metrics(y: pd.Series, score: pd.Series, as_of: pd.Series) -> dict[str, float]:
    """Ranking, review-capacity and calibration metrics of a probability score."""
    y_arr, p, moments = y.to_numpy(dtype=float), score.to_numpy(dtype=float), snapshot_codes(as_of)
    out: dict[str, float] = {"rows": float(len(y_arr)), "positives": float(y_arr.sum())}
    for name in (
        "roc_auc",
        "pr_auc",
        *(f"{kind}_at_{c}" for c in CAPACITIES for kind in ("recall", "precision")),
    ):
        out[name] = metric(name, y_arr, p, moments)
    if np.all((p >= 0) & (p <= 1)):
        out["brier"] = float(np.mean((p - y_arr) ** 2))
        out["ece"] = expected_calibration_error(y_arr, p)
    return out


def quality_metrics(y: pd.Series, score: pd.Series, as_of: pd.Series, top: int = 100) -> dict[str, float]:
    """Rank agreement, error and NDCG@top of a predicted review score (NDCG averaged over snapshots)."""
    y_arr, p, moments = y.to_numpy(dtype=float), score.to_numpy(dtype=float), snapshot_codes(as_of)
    return {
        "rows": float(len(y_arr)),
        "spearman": metric("spearman", y_arr, p, moments),
        "rmse": float(np.sqrt(np.mean((y_arr - p) ** 2))),
        f"ndcg_at_{top}": metric(f"ndcg_at_{top}", y_arr, p, moments),
    }


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
